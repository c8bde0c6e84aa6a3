"""Hugging Face ``datasets`` view of our WebDataset shards (``datasets`` is optional, imported lazily).

``datasets.load_dataset("webdataset", data_files=...)`` reads our tars with no rt2data code. It infers the column
types from the first five samples: right when every sample has the same members (one image format per output: a
convert output, or a mixture with ``image_format`` jpg/png) and those samples have every field. ``datasets.
load_dataset(OUT_DIR)`` reads the output's dataset card (``rt2data.shards.card``), which carries these exact
features. Elsewhere (a ``keep`` mixture of PNG and JPEG, a field null in the first samples) pass explicit
``features``: :data:`HF_FEATURES_DOC` shows them in plain ``datasets`` code and :func:`hf_webdataset_features`
builds them.
"""

from __future__ import annotations

from typing import Any, Sequence

from rt2data import fields as F
from rt2data.errors import ConfigError
from rt2data.example import IMAGE_FORMATS

__all__ = ["HF_JSON_FIELDS", "HF_FEATURES_DOC", "hf_webdataset_features"]

HF_JSON_FIELDS: dict[str, str] = {
    **{name: "string" for name in F.TEXT},
    F.STEP: "int64",
    F.ACTION_RAW: "list<float64>",
    F.ACTION_TOKENS: "list<int64>",
    # optional (absent from KEY.json unless convert --action-chunk / --tokenizer made them; read as null then)
    F.CHUNK_STEPS: "int64",
    F.CHUNK_REAL: "int64",
    F.INPUT_IDS: "list<int64>",
    F.LABELS: "list<int64>",
}
"""Fields of ``KEY.json`` and their Arrow types."""

HF_FEATURES_DOC = '''\
import datasets
from datasets import Features, Image, List, Value

text = ["key", "image_format", "prompt", "target", "kind", "source", "template_id", "instruction", "episode_id", "plan"]
example = {name: Value("string") for name in text}
example.update(step=Value("int64"), action_raw=List(Value("float64")), action_tokens=List(Value("int64")),
               chunk_steps=Value("int64"), chunk_real=Value("int64"),          # optional: --action-chunk
               input_ids=List(Value("int64")), labels=List(Value("int64")))    # optional: --tokenizer
features = Features({"__key__": Value("string"), "__url__": Value("string"),
                     "jpg": Image(), "png": Image(), "json": example})  # one Image() per image format present
ds = datasets.load_dataset("webdataset", data_files={"train": "OUT_DIR/*.tar"}, split="train", features=features)
'''
"""README snippet: load our tars with ``datasets`` and explicit features (needed for mixtures)."""


def hf_webdataset_features(image_formats: Sequence[str] = ("jpg",)) -> Any:
    """``datasets.Features`` for our tars with the given image formats (one ``Image()`` column each)."""
    from datasets import Features, Image, List, Value

    unknown = sorted(set(image_formats) - set(IMAGE_FORMATS))
    if unknown:
        raise ConfigError(f"unknown image formats {unknown}; expected some of {list(IMAGE_FORMATS)}")
    example: dict[str, Any] = {}
    for name, arrow in HF_JSON_FIELDS.items():
        if arrow.startswith("list<"):
            example[name] = List(Value(arrow[5:-1]))
        else:
            example[name] = Value(arrow)
    columns: dict[str, Any] = {"__key__": Value("string"), "__url__": Value("string")}
    columns.update({fmt: Image() for fmt in sorted(set(image_formats))})
    columns["json"] = example
    return Features(columns)
