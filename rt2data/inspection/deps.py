"""Optional dependencies (matplotlib, torch, tensorflow, datasets): imported on use, with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from rt2data.errors import Rt2DataError

__all__ = ["MissingDependencyError", "require"]


class MissingDependencyError(Rt2DataError, ImportError):
    """An optional library is not installed. An ``ImportError`` (for library callers) and an ``Rt2DataError``
    (so the CLI prints one line with the install command)."""


def require(module: str, *, what: str, install: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` saying what needs it and how to install it.

    >>> require("json", what="reading JSON", install="pip install json").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{what} needs {module.split('.')[0]}, which is not installed ({exc.msg}); install it with: {install}"
        ) from exc
