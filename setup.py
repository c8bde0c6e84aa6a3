"""The optional compiled part of rt2data (everything else is in pyproject.toml).

``rt2data.shards.formats._tf_encode`` encodes ``tf.train.Example`` records in C. It is optional: where it cannot be
built (no C compiler) the install goes on and the Python encoder writes the same bytes.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "rt2data.shards.formats._tf_encode",
            ["rt2data/shards/formats/_tf_encode.c"],
            optional=True,
        )
    ]
)
