"""The package's exceptions: one base class, a few subclasses a caller can catch.

Every message names the thing, the bad value and what was expected. The CLI turns any
``Rt2DataError`` into one line and a non-zero exit; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "Rt2DataError",
    "ActionSpaceError",
    "EncodeError",
    "ParseError",
    "PromptError",
    "SchemaError",
    "SpecError",
    "DataError",
    "OutputError",
    "ConfigError",
    "TokenizerError",
]


class Rt2DataError(Exception):
    """Base class of every error rt2data raises on purpose."""


class ActionSpaceError(Rt2DataError, ValueError):
    """An action space (or its JSON) is malformed: bad bounds, bins, names."""


class EncodeError(Rt2DataError, ValueError):
    """An action cannot be encoded: NaN/inf, wrong number of dimensions, out of range under policy 'error'."""


class ParseError(Rt2DataError, ValueError):
    """An action string or token id sequence is malformed; the message names the position and token."""


class PromptError(Rt2DataError, ValueError):
    """A prompt template or instruction is unusable (unknown placeholder, empty instruction)."""


class SchemaError(Rt2DataError, ValueError):
    """A record does not match its JSON Schema."""


class SpecError(Rt2DataError, ValueError):
    """A dataset spec is malformed or does not match the dataset it is applied to."""


class DataError(Rt2DataError):
    """Input data is unreadable or inconsistent (corrupt record, bad shape); names file, record and field."""


class OutputError(Rt2DataError):
    """An output directory is in a state we refuse to touch (exists without --overwrite, fails verification)."""


class ConfigError(Rt2DataError, ValueError):
    """A configuration file (mixture, conversion options) is invalid; names the entry and the fix."""


class TokenizerError(ConfigError):
    """A tokenizer file is unreadable, of an unknown kind, or unfit for a use (lossy for action text, a reserved id
    that is a special or byte piece); names the file and the reason."""
