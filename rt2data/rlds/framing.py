"""TFRecord framing for RLDS shards: read (with CRC checks, offsets and a corrupt-record policy) and write.

A TFRecord file is a sequence of records, each framed as::

    uint64 length                       (little-endian)
    uint32 masked_crc32c(length bytes)
    byte   data[length]
    uint32 masked_crc32c(data)

``masked_crc(x) = ((crc >> 15 | crc << 17) + 0xa282ead8) mod 2**32`` over CRC-32C (Castagnoli); this is what
``tf.io.TFRecordWriter`` writes (no compression). The reader streams one record at a time: records before the
wanted range are skipped by seeking over their payload (their length CRC is still checked), so a slice of a large
shard costs no memory and little I/O.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterable, Iterator

from rt2data import io
from rt2data.errors import DataError
from rt2data.shards.formats.tfrecord import frame_record, masked_crc32c  # one TFRecord codec for reading and writing

__all__ = ["FramedRecord", "FramingError", "masked_crc32c", "frame_record", "write_records", "iter_records"]

_HEADER = 12
_OVERHEAD = 16


def write_records(path: str | os.PathLike[str], records: Iterable[bytes]) -> int:
    """Write ``records`` to a new TFRecord file at ``path`` (a local path or a URL); returns the number of records
    written."""
    count = 0
    f = io.open_write(path)
    try:
        for data in records:
            f.write(frame_record(bytes(data)))
            count += 1
    except BaseException:
        f.close()
        raise
    io.close_writer(f, path)
    return count


@dataclass(frozen=True)
class FramedRecord:
    """One record's payload with its position: ``index`` (0-based record number) and byte ``offset`` of its header."""

    index: int
    offset: int
    data: bytes


@dataclass(frozen=True)
class FramingError:
    """A record that could not be read; ``resumable`` is False when nothing after it can be trusted.

    ``reason`` is a short code (``crc_mismatch``, ``corrupt_header``, ``truncated``); ``message`` says the rest.
    """

    index: int
    offset: int | None
    reason: str
    message: str
    resumable: bool

    def to_error(self, path: str) -> DataError:
        at = f" at byte offset {self.offset}" if self.offset is not None else ""
        return DataError(
            f"{path}: record {self.index}{at}: {self.message}; the shard is corrupt or truncated "
            "(restore it from a good copy, or pass --corrupt skip (corrupt='skip' in Python) to dead-letter bad records)"
        )


def iter_records(
    path: str | os.PathLike[str], *, start: int = 0, stop: int | None = None, verify: bool = True
) -> Iterator[FramedRecord | FramingError]:
    """Stream the records ``[start, stop)`` of a TFRecord file.

    Yields a ``FramedRecord`` per good record and a ``FramingError`` per bad one. After a non-resumable error
    (corrupt length header, truncation) iteration ends; after a data CRC mismatch it continues with the next
    record (the length was trustworthy). The caller decides whether an error is fatal.

    Args:
        path: the TFRecord file, a local path or a URL (streamed through ``rt2data.io``; skipped records are
            seeked over, so a slice reads little of a large object).
        start: first record index to yield (earlier records are skipped by seeking).
        stop: record index to stop before; ``None`` reads to the end of the file.
        verify: check the data CRC of yielded records (length CRCs are always checked).
    """
    size = io.size(path)
    with io.open_read(path) as f:
        yield from _iter_stream(f, size, start=start, stop=stop, verify=verify)


def _iter_stream(
    f: BinaryIO, size: int, *, start: int, stop: int | None, verify: bool
) -> Iterator[FramedRecord | FramingError]:
    offset = 0
    index = 0
    while stop is None or index < stop:
        header = f.read(_HEADER)
        if not header:
            return
        if len(header) < _HEADER:
            yield FramingError(index, offset, "truncated", f"truncated record header ({len(header)} of 12 bytes)", False)
            return
        (length,) = struct.unpack("<Q", header[:8])
        if masked_crc32c(header[:8]) != struct.unpack("<I", header[8:])[0]:
            yield FramingError(index, offset, "corrupt_header", "length CRC mismatch (corrupt record header)", False)
            return
        if offset + length + _OVERHEAD > size:
            yield FramingError(
                index, offset, "truncated",
                f"record of {length} bytes runs past the end of the file ({size} bytes): truncated", False,
            )
            return
        if index < start:
            f.seek(length + 4, os.SEEK_CUR)
        else:
            data = f.read(length)
            (data_crc,) = struct.unpack("<I", f.read(4))
            if verify and masked_crc32c(data) != data_crc:
                yield FramingError(index, offset, "crc_mismatch", "data CRC mismatch (corrupt record payload)", True)
            else:
                yield FramedRecord(index, offset, data)
        offset += length + _OVERHEAD
        index += 1
