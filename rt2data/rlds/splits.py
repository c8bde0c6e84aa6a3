"""Split specs (``train``, ``train[:95%]``, ``train[10:20]``, ``train+val``) resolved to shard record ranges.

The slicing semantics are tfds's own (``ReadInstruction``: episode-level slices, percentages rounded to the
closest episode), applied by ``rlds.info.InfoTable.shards`` without tfds. Each shard read becomes a ``ShardRef``:
one shard file with the record range ``[first_record, stop_record)`` to read. Shard paths come from
``dataset_info.json`` ``splits[].filepathTemplate`` (with or without ``-of-NNNNN``) and ``shardLengths``, as tfds
reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rt2data.errors import ConfigError
from rt2data.rlds.file_types import FILE_FORMATS

__all__ = ["ShardRef", "SplitInfo", "FILE_FORMATS"]



@dataclass(frozen=True)
class SplitInfo:
    """One split of a dataset: its name, episode count and per-shard episode counts (from ``shardLengths``)."""

    name: str
    num_episodes: int
    shard_lengths: tuple[int, ...]
    filepath_template: str


@dataclass(frozen=True, order=True)
class ShardRef:
    """One shard file and the records to read from it; small, hashable and picklable (a Beam element).

    Attributes:
        dataset_dir: the TFDS builder directory (version folder) the shard belongs to.
        split: the split the shard belongs to.
        index: the shard's index within its split (0-based, the ``-NNNNN`` in its name).
        path: absolute path of the shard file.
        num_records: episodes in the whole shard (``shardLengths``).
        file_format: ``"tfrecord"`` or ``"array_record"``.
        first_record: first record (episode) index to read, inclusive.
        stop_record: record index to stop before (exclusive); ``num_records`` when the whole shard is read.
    """

    dataset_dir: str
    split: str
    index: int
    path: str
    num_records: int
    file_format: str
    first_record: int
    stop_record: int

    def __post_init__(self) -> None:
        if self.file_format not in FILE_FORMATS:
            raise ConfigError(f"shard {self.path}: file format {self.file_format!r} is not one of {FILE_FORMATS}")
        if not 0 <= self.first_record <= self.stop_record <= self.num_records:
            raise ConfigError(
                f"shard {self.path}: record range [{self.first_record}, {self.stop_record}) is not inside "
                f"[0, {self.num_records}]"
            )

    @property
    def take(self) -> int:
        """Number of records (episodes) this ref reads."""
        return self.stop_record - self.first_record

    @property
    def is_whole(self) -> bool:
        return self.first_record == 0 and self.stop_record == self.num_records
