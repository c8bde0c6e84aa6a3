"""Stream RLDS episodes out of one shard, without TensorFlow.

Each record is one ``tf.train.Example`` holding a whole episode (step fields concatenated under ``steps/...``).
``read_shard`` frames the records itself (CRC-checked, see ``framing``) or reads them with ``array_record``, then
decodes each into nested numpy (``rt2data.rlds.decode``: without tfds for the Open X-Embodiment layouts, through
tfds's own numpy path for the rest); images keep their encoded JPEG/PNG bytes, untouched.

Bad input never disappears silently:

- a framing problem (CRC mismatch, truncated file, unreadable array_record) raises ``DataError`` naming the file,
  byte offset and record index under ``corrupt="error"``, or yields a ``BadRecord`` under ``corrupt="skip"``;
- a record that frames fine but does not decode against the features (wrong shape, missing key, garbage
  payload) raises ``DataError`` under ``corrupt="error"``, or yields a ``BadRecord`` with reason ``decode_error``
  under ``corrupt="skip"`` (the shard goes on);
- every record ``dataset_info.json`` declares is accounted for: after a corrupt header or a truncation the records
  that cannot be found come out as one ``BadRecord`` ``unreadable_after_corruption`` with their count; a shard
  holding more records than declared is a ``DataError`` under any policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterator

from rt2data import io
from rt2data.errors import ConfigError, DataError
from rt2data.rlds.decode import episode_decoder
from rt2data.rlds.features import as_features
from rt2data.rlds.file_types import get_file_type
from rt2data.rlds.framing import FramingError
from rt2data.rlds.splits import ShardRef

__all__ = ["RawEpisode", "BadRecord", "CORRUPT_POLICIES", "read_shard"]

log = logging.getLogger(__name__)

CORRUPT_POLICIES = ("error", "skip")


@dataclass(frozen=True, eq=False)
class RawEpisode:
    """One decoded RLDS episode as nested numpy.

    Attributes:
        path: the shard file it came from.
        record_index: its record number within the shard (0-based, whole-shard numbering).
        data: nested dict. ``data["steps"]`` is a dict of arrays with a leading step axis N
            (``data["steps"]["action"]``: float32[N, 7]; images and strings: object arrays of ``bytes``);
            episode-level fields (``episode_metadata/...``, ``episode_id``) are numpy scalars/arrays or ``bytes``.
        offset: byte offset of the record in a TFRecord shard (None for array_record).
    """

    path: str
    record_index: int
    data: dict[str, Any] = field(repr=False)
    offset: int | None = None

    @property
    def num_steps(self) -> int:
        """N, the number of steps (0 for an empty episode)."""
        steps = self.data.get("steps", {})
        for leaf in _leaves(steps):
            return int(len(leaf))
        return 0

    def has(self, path: str) -> bool:
        """Whether ``path`` (``steps/observation/image``, ``episode_metadata/file_path``) exists."""
        try:
            self.get(path)
        except KeyError:
            return False
        return True

    def get(self, path: str) -> Any:
        """The value at a ``/``-separated path.

        Raises:
            KeyError: the path does not exist; the message names the episode and the keys that do.
        """
        node: Any = self.data
        parts = path.strip("/").split("/")
        i = 0
        while i < len(parts):
            # Longest key first: some datasets (kuka) have keys with a literal "/" in them.
            key = next((k for j in range(len(parts), i, -1) if isinstance(node, dict)
                        and (k := "/".join(parts[i:j])) in node), None)
            if key is None:
                where = "/".join(parts[:i]) or "<episode>"
                keys = sorted(node) if isinstance(node, dict) else []
                raise KeyError(f"{self.path} record {self.record_index}: no {parts[i]!r} under {where}; keys: {keys}")
            node = node[key]
            i += key.count("/") + 1
        return node

    def describe(self) -> str:
        """Where the episode is, for error messages."""
        return f"{self.path} record {self.record_index}"


@dataclass(frozen=True)
class BadRecord:
    """A record that could not be turned into a ``RawEpisode`` (dead-letter it, count it by ``reason``).

    Attributes:
        path: the shard file.
        index: the record's index in the shard.
        offset: byte offset of the record in a TFRecord shard (None where unknown).
        reason: ``crc_mismatch`` | ``corrupt_header`` | ``truncated`` | ``unreadable`` | ``decode_error`` |
            ``unreadable_after_corruption`` (the records after a corrupt header or a truncation: they cannot be
            found, but ``dataset_info.json`` says they exist).
        message: the details (what was wrong, the decoder's error).
        records: how many records (episodes) it stands for: 1, or the count of ``unreadable_after_corruption``.
    """

    path: str
    index: int
    offset: int | None
    reason: str
    message: str = ""
    records: int = 1


def _leaves(tree: Any) -> Iterator[Any]:
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _leaves(value)
    else:
        yield tree


def read_shard(ref: ShardRef, *, features: Any, corrupt: str = "error") -> Iterator[RawEpisode | BadRecord]:
    """Stream the episodes ``[ref.first_record, ref.stop_record)`` of one shard, one record at a time.

    Args:
        ref: the shard and record range (from ``RldsDataset.shards``).
        features: the dataset's features (``RldsDataset.features``, or a pruned tree of them; a tfds
            ``FeaturesDict`` is taken too).
        corrupt: ``"error"`` raises ``DataError`` on a framing/CRC problem; ``"skip"`` yields a ``BadRecord`` instead.

    Yields:
        ``RawEpisode`` per good record; under ``corrupt="skip"``, ``BadRecord`` per record that is corrupt or does
        not decode, and one for the records that cannot be found after a corrupt header or truncation.

    Raises:
        DataError: the shard file is missing or holds more records than ``dataset_info.json`` says (any policy);
            under ``corrupt="error"``: a corrupt or truncated record (file, byte offset, record index), or a shard
            with fewer records than ``dataset_info.json`` says.
    """
    if corrupt not in CORRUPT_POLICIES:
        raise ConfigError(f"--corrupt {corrupt!r} is not one of {list(CORRUPT_POLICIES)}")
    if not io.is_file(ref.path):
        raise DataError(
            f"{ref.path}: shard {ref.index} of split {ref.split!r} is missing ({ref.num_records} episodes); "
            "dataset_info.json lists it, so the download or copy is incomplete"
        )
    decode = episode_decoder(as_features(features))
    file_type = get_file_type(ref.file_format)
    records = file_type.iter_records(ref)
    for item in records:
        if isinstance(item, FramingError):
            if corrupt == "error":
                raise item.to_error(ref.path)
            log.warning("%s: record %d: %s (skipped)", ref.path, item.index, item.message)
            yield BadRecord(ref.path, item.index, item.offset, item.reason, item.message)
            rest = ref.stop_record - item.index - 1
            if not item.resumable and rest > 0:
                # Nothing after a corrupt header or a truncation can be found, but dataset_info.json says these
                # records exist: account for every one of them.
                yield BadRecord(
                    ref.path, item.index + 1, None, "unreadable_after_corruption",
                    f"records {item.index + 1}..{ref.stop_record - 1} ({rest}) cannot be read after the "
                    f"{item.reason} at record {item.index}", records=rest,
                )
            continue
        offset = item.offset if file_type.has_offsets else None
        try:
            data = decode(item.data)
        except Exception as exc:  # tfds/numpy raise many types for a record that does not fit the features
            detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
            if corrupt == "error":
                at = f" at byte offset {offset}" if offset is not None else ""
                raise DataError(
                    f"{ref.path}: record {item.index}{at}: does not decode against the dataset's features "
                    f"(wrong shape, dtype or missing key: {detail}); pass --corrupt skip (corrupt='skip' in Python) "
                    "to dead-letter such records"
                ) from exc
            yield BadRecord(ref.path, item.index, offset, "decode_error", detail)
            continue
        yield RawEpisode(path=ref.path, record_index=item.index, data=data, offset=offset)
