"""rt2data: the data side of RT-2 style vision-language-action training.

RLDS episodes -> standardized by a dataset spec -> action codec (normalize -> 256 bins -> action text)
+ prompt -> ``Example`` records -> mixtures with web caption/VQA data -> sharded WebDataset/TFRecord + manifest.

``import rt2data`` is light: numpy only. TensorFlow, Apache Beam and torch are imported where used.
"""

from __future__ import annotations

from rt2data.errors import (
    ActionSpaceError,
    ConfigError,
    DataError,
    EncodeError,
    OutputError,
    ParseError,
    PromptError,
    Rt2DataError,
    SchemaError,
    SpecError,
)
from rt2data.example import Example
from rt2data.codec.action_space import ActionSpace, Dimension
from rt2data.codec.action_codec import ActionCodec
from rt2data.codec.normalize import Normalization
from rt2data.prompt import DEFAULT_ACTION_TEMPLATE, PromptTemplate

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Example",
    "ActionSpace",
    "Dimension",
    "ActionCodec",
    "Normalization",
    "PromptTemplate",
    "DEFAULT_ACTION_TEMPLATE",
    "Rt2DataError",
    "ActionSpaceError",
    "ConfigError",
    "DataError",
    "EncodeError",
    "OutputError",
    "ParseError",
    "PromptError",
    "SchemaError",
    "SpecError",
]
