"""The seam for robot-data sources: what the convert and statistics pipelines need from a dataset of episodes.

A source is opened once on the driver and handed to the pipelines (it pickles to its location, so a worker reopens
it, once per process). Its work units are small picklable records (RLDS: a shard and its record range); reading one
unit streams its episodes one at a time. Today the one source is RLDS/TFDS (``rt2data.rlds``); another format is
one package whose dataset class has these members, plus a row in :data:`OPENERS`.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Collection, Iterator, Protocol, Sequence, runtime_checkable

from rt2data.errors import ConfigError
from rt2data.rlds.dataset import open_dataset

__all__ = ["RobotSource", "OPENERS", "open_source"]


@runtime_checkable
class RobotSource(Protocol):
    """A dataset of robot episodes, opened for reading.

    Attributes:
        path: where it lives (recorded in manifests).
        name: the dataset's name; version: its version string.
        features: what its episodes hold (for RLDS, the tfds ``FeaturesDict`` a spec is checked against).
    """

    path: Any
    name: str
    version: str
    features: Any

    def work_units(self, split: str) -> list[Any]:
        """The units of work that ``split`` reads, in input order (small and picklable)."""

    def read_unit(self, unit: Any, *, corrupt: str = "error", fields: Collection[str] | None = None) -> Iterator[Any]:
        """Stream one unit's episodes: a raw episode per good record, a bad-record marker per unreadable one.
        ``fields``: the paths the caller reads (``DatasetSpec.fields_read``); a source may decode only those
        (None: every field)."""

    def input_fingerprint(self, units: Sequence[Any]) -> str:
        """``sha256:...`` naming the bytes ``units`` read (not the path: a moved copy matches)."""


OPENERS: dict[str, Callable[[str | os.PathLike[str]], RobotSource]] = {"rlds": open_dataset}
"""Source format name -> opener of a path."""


def open_source(path: str | os.PathLike[str], *, kind: str = "rlds") -> RobotSource:
    """Open the robot-data source at ``path`` (``kind``: a key of :data:`OPENERS`)."""
    try:
        opener = OPENERS[kind]
    except KeyError:
        raise ConfigError(f"unknown robot-data source kind {kind!r}; known: {sorted(OPENERS)}") from None
    return opener(path)
