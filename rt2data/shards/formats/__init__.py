"""Output shard formats, one module each, behind one registry.

``REGISTRY`` maps a format name to its :class:`ShardFormat` (name, extension, encode, read); the format list, the
extensions, the shard-name pattern, the CLI choices and the schemas' enums all derive from it. Adding a format is
one module here with a ``ShardFormat`` subclass, one row in ``REGISTRY``, and the reading side's schema text
(README "Output layout").
"""

from __future__ import annotations

import difflib
import re
from pathlib import PurePath

from rt2data.errors import ConfigError
from rt2data.shards.formats.base import RawRecord, ShardFormat
from rt2data.shards.formats.example_proto import ProtoTFRecordFormat
from rt2data.shards.formats.wds import WebDatasetFormat

__all__ = [
    "ShardFormat", "RawRecord", "REGISTRY", "FORMATS", "EXTENSIONS", "ALL_FORMATS_CHOICE", "get_format",
    "check_format", "format_of_path", "format_choices", "shard_name_pattern",
]

REGISTRY: dict[str, ShardFormat] = {f.name: f for f in (WebDatasetFormat(), ProtoTFRecordFormat())}
"""Format name -> format, in canonical order (the order of manifests and of ``--format both``)."""

FORMATS: tuple[str, ...] = tuple(REGISTRY)
EXTENSIONS: dict[str, str] = {name: f.extension for name, f in REGISTRY.items()}

ALL_FORMATS_CHOICE = "both"
"""The ``--format`` choice that writes every registered format in one pass."""


def get_format(name: str) -> ShardFormat:
    """The registered format called ``name``; ``ConfigError`` (with a suggestion) for an unknown one."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), FORMATS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(f"{n} ({f.description})" for n, f in REGISTRY.items())
        raise ConfigError(f"unknown shard format {name!r}{hint} known formats: {known}") from None


def check_format(name: str) -> str:
    """``name`` if it is a registered format, else ``ConfigError``."""
    return get_format(name).name


def format_of_path(path: str | PurePath) -> str:
    """The format of a shard file from its extension (``.tar`` -> ``wds``, ``.tfrecord`` -> ``tfrecord``)."""
    for name, ext in EXTENSIONS.items():
        if str(path).endswith("." + ext):
            return name
    wanted = " or ".join(f".{ext}" for ext in EXTENSIONS.values())
    raise ConfigError(f"cannot tell the shard format of {str(path)!r}: expected a {wanted} file")


def format_choices() -> dict[str, tuple[str, ...]]:
    """``--format`` choices: each format by name, and ``both`` for every format at once."""
    return {**{name: (name,) for name in FORMATS}, ALL_FORMATS_CHOICE: FORMATS}


def shard_name_pattern() -> re.Pattern[str]:
    """``PREFIX-NNNNNN.EXT`` for the registered extensions (groups ``prefix``, ``index``, ``ext``)."""
    exts = "|".join(re.escape(ext) for ext in EXTENSIONS.values())
    return re.compile(rf"^(?P<prefix>[A-Za-z0-9][A-Za-z0-9_.-]*)-(?P<index>\d{{6,}})\.(?P<ext>{exts})$")
