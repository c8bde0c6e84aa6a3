"""Shard formats, names and the per-shard record (:class:`ShardInfo`) kept in the manifest."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from rt2data.errors import ConfigError, SchemaError
from rt2data.shards.formats import EXTENSIONS, FORMATS, check_format, format_of_path, shard_name_pattern

__all__ = ["FORMATS", "EXTENSIONS", "SHARD_RE", "ShardInfo", "shard_name", "check_format", "format_of_path"]

SHARD_RE = shard_name_pattern()
"""Names of our shard files: ``PREFIX-NNNNNN.<extension of a registered format>``."""

_PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def shard_name(prefix: str, index: int, fmt: str) -> str:
    """``PREFIX-%06d.<extension>``: ``.tar`` for ``wds``, ``.tfrecord`` for ``tfrecord``.

    >>> shard_name("bridge", 3, "wds")
    'bridge-000003.tar'
    """
    check_format(fmt)
    if not _PREFIX_RE.match(prefix):
        raise ConfigError(f"shard prefix {prefix!r} must be [A-Za-z0-9_.-] characters starting with a letter or digit")
    if not isinstance(index, int) or index < 0:
        raise ConfigError(f"shard index must be a non-negative integer, got {index!r}")
    return f"{prefix}-{index:06d}.{EXTENSIONS[fmt]}"


@dataclass(frozen=True)
class ShardInfo:
    """What the manifest records about one complete shard.

    Attributes:
        name: file name inside the output directory.
        format: a registered format name (``rt2data.shards.formats``).
        count: number of examples.
        bytes: file size in bytes.
        sha256: hex SHA-256 of the whole file.
        first_key: key of the first example (None for an empty shard).
        last_key: key of the last example (None for an empty shard).
        counts_by_source: examples per ``Example.source`` (sorted by name).
        counts_by_kind: examples per ``Example.kind`` (sorted by name).
    """

    name: str
    format: str
    count: int
    bytes: int
    sha256: str
    first_key: str | None
    last_key: str | None
    counts_by_source: Mapping[str, int] = field(default_factory=dict)
    counts_by_kind: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_format(self.format)
        # Names come back from files in the output (manifest, ledger, staging markers): only a plain shard file
        # name may ever be joined to the output directory.
        if not isinstance(self.name, str) or not SHARD_RE.match(self.name):
            raise SchemaError(
                f"shard record name {self.name!r} is not a shard file name (PREFIX-NNNNNN.tar or .tfrecord)"
            )
        object.__setattr__(self, "counts_by_source", dict(sorted(self.counts_by_source.items())))
        object.__setattr__(self, "counts_by_kind", dict(sorted(self.counts_by_kind.items())))

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (as in ``manifest.json``)."""
        return {
            "name": self.name,
            "format": self.format,
            "count": self.count,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "first_key": self.first_key,
            "last_key": self.last_key,
            "counts_by_source": dict(self.counts_by_source),
            "counts_by_kind": dict(self.counts_by_kind),
        }

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> "ShardInfo":
        """Inverse of :meth:`to_json_dict`."""
        try:
            return cls(**dict(d))
        except TypeError as exc:
            raise SchemaError(f"shard record {d.get('name')!r}: {exc}") from exc
