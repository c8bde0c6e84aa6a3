"""Shared pieces of the per-format reader options (frozen dataclasses built from a mixture entry).

A field whose metadata has ``path`` is a filesystem location: ``patterns`` (tuple of files/globs/braces/dirs),
``file`` or ``dir``. The mixture loader resolves these against the mixture file's directory and checks they exist
before anything runs.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rt2data.errors import ConfigError
from rt2data.web.text import MARKUPS

MAX_IMAGE_PIXELS = 1 << 26
"""Default ``max_image_pixels`` of every web source: 67,108,864 pixels (8192 x 8192). A bigger image is
dead-lettered as ``image_too_large`` before it is decoded (a decompression bomb would need gigabytes of memory)."""

__all__ = ["MAX_IMAGE_PIXELS", "path_field", "path_fields", "as_str_tuple", "check_markup", "check_positive", "check_bool"]


def path_field(kind: str, *, optional: bool = False) -> Any:
    """A dataclass field holding a path (``kind``: ``patterns`` | ``file`` | ``dir``)."""
    meta = {"path": kind}
    if optional:
        return dataclasses.field(default=None, metadata=meta)
    return dataclasses.field(metadata=meta)


def path_fields(options_cls: type) -> dict[str, str]:
    """``{field name: path kind}`` of an options dataclass."""
    return {f.name: f.metadata["path"] for f in dataclasses.fields(options_cls) if "path" in f.metadata}


def as_str_tuple(obj: Any, name: str, *, allow_empty: bool = False) -> None:
    """Coerce ``obj.<name>`` (a string or a list of strings) to a tuple of non-empty strings, in place."""
    value = getattr(obj, name)
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"option {name!r} must be a string or a list of non-empty strings, got {value!r}")
    if not value and not allow_empty:
        raise ConfigError(f"option {name!r} must not be empty")
    object.__setattr__(obj, name, tuple(value))


def check_markup(value: Any) -> None:
    if value not in MARKUPS:
        raise ConfigError(f"option 'markup' is {value!r}; use one of {list(MARKUPS)}")


def check_positive(value: Any, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"option {name!r} must be a positive integer, got {value!r}")


def check_bool(value: Any, name: str) -> None:
    if not isinstance(value, bool):
        raise ConfigError(f"option {name!r} must be true or false, got {value!r}")
