"""The RLDS shard file types rt2data reads, one registry: a name (``dataset_info.json``'s ``fileFormat``) and how a
shard's records ``[first_record, stop_record)`` are streamed, as framed records or framing errors.

Adding a file type is one iterator here and one row in :data:`FILE_TYPES`; ``FILE_FORMATS`` and the readers derive
from it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from rt2data import io
from rt2data.errors import DataError
from rt2data.rlds.framing import FramedRecord, FramingError, iter_records

if TYPE_CHECKING:
    from rt2data.rlds.splits import ShardRef

__all__ = ["ShardFileType", "FILE_TYPES", "FILE_FORMATS", "get_file_type"]

log = logging.getLogger(__name__)


def _longer_than_declared(ref: "ShardRef", found: str) -> DataError:
    return DataError(
        f"{ref.path}: the shard holds more than the {ref.num_records} records dataset_info.json says "
        f"(shardLengths){found}; dataset_info.json does not describe this file: regenerate it or restore the shard"
    )


def _iter_tfrecord(ref: "ShardRef") -> Iterator[FramedRecord | FramingError]:
    count = ref.first_record
    for item in iter_records(ref.path, start=ref.first_record, stop=ref.stop_record):
        yield item
        if isinstance(item, FramingError) and not item.resumable:
            return
        count = item.index + 1
    if count < ref.stop_record:
        yield FramingError(
            count, io.size(ref.path), "truncated",
            f"the shard ends after {count} records but dataset_info.json says it has {ref.num_records}", False,
        )
    elif ref.stop_record == ref.num_records:
        # Records past the declared count would be dropped without a trace: the file must end here.
        extra = next(iter(iter_records(ref.path, start=ref.num_records, stop=ref.num_records + 1, verify=False)), None)
        if extra is not None:
            raise _longer_than_declared(ref, f": more bytes follow record {ref.num_records - 1}")


def _iter_array_record(ref: "ShardRef") -> Iterator[FramedRecord | FramingError]:
    from array_record.python import array_record_module

    if io.is_url(ref.path):
        raise DataError(
            f"{ref.path}: array_record shards are read from local paths only (the reader is a C++ library that "
            "opens files itself); copy the dataset to a local disk or use its tfrecord version"
        )
    try:
        reader = array_record_module.ArrayRecordReader(ref.path)
    except Exception as exc:  # the C++ reader raises RuntimeError/ValueError/OSError
        yield FramingError(ref.first_record, None, "unreadable", f"cannot open array_record shard: {exc}", False)
        return
    try:
        available = reader.num_records()
        if available > ref.num_records:
            raise _longer_than_declared(ref, f": it has {available}")
        for index in range(ref.first_record, ref.stop_record):
            if index >= available:
                yield FramingError(
                    index, None, "truncated",
                    f"the array_record shard has {available} records but dataset_info.json says {ref.num_records}",
                    False,
                )
                return
            try:
                (data,) = reader.read([index])
            except Exception as exc:  # riegeli checks a hash per chunk; tfds writes one record per chunk
                yield FramingError(index, None, "unreadable", f"cannot read array_record record: {exc}", True)
                continue
            yield FramedRecord(index, 0, data)
    finally:
        try:
            reader.close()
        except Exception as exc:  # closing a damaged file can fail too; the caller has been told already
            log.debug("%s: closing the array_record reader failed: %s", ref.path, exc)


@dataclass(frozen=True)
class ShardFileType:
    """One shard file type.

    Attributes:
        name: ``dataset_info.json``'s ``fileFormat`` value.
        iter_records: ``ShardRef`` -> framed records and framing errors of its record range, in order.
        has_offsets: whether records have byte offsets (named in errors and dead letters).
    """

    name: str
    iter_records: Callable[["ShardRef"], Iterator[FramedRecord | FramingError]]
    has_offsets: bool


FILE_TYPES: dict[str, ShardFileType] = {
    t.name: t
    for t in (
        ShardFileType("tfrecord", _iter_tfrecord, has_offsets=True),
        ShardFileType("array_record", _iter_array_record, has_offsets=False),
    )
}
FILE_FORMATS: tuple[str, ...] = tuple(FILE_TYPES)


def get_file_type(name: str) -> ShardFileType:
    """The registered file type ``name``; ``DataError`` naming the known ones otherwise."""
    try:
        return FILE_TYPES[name]
    except KeyError:
        raise DataError(f"RLDS shards of file format {name!r} cannot be read; rt2data reads {list(FILE_FORMATS)}") from None
