"""TFRecord framing, written and read without TensorFlow.

A TFRecord file is a sequence of records, each framed as::

    uint64 length          (little-endian)
    uint32 masked_crc32c(length bytes)
    byte   data[length]
    uint32 masked_crc32c(data)

with ``masked_crc(x) = ((crc >> 15 | crc << 17) + 0xa282ead8) mod 2**32`` over CRC-32C (Castagnoli), the same
framing ``tf.data.TFRecordDataset`` and ``tf.io.TFRecordWriter`` use (no compression).
"""

from __future__ import annotations

import io
import logging
import os
import struct
from typing import BinaryIO, Iterable, Iterator

import google_crc32c

from rt2data import io as rio
from rt2data.errors import DataError

__all__ = [
    "RECORD_OVERHEAD",
    "masked_crc32c",
    "frame_record",
    "frame_pieces",
    "write_tfrecord_records",
    "iter_tfrecord",
    "iter_tfrecord_stream",
]

log = logging.getLogger(__name__)

RECORD_OVERHEAD = 16
"""Bytes a record adds around its payload: 8 (length) + 4 (length CRC) + 4 (data CRC)."""

_MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """The masked CRC-32C of ``data`` as TFRecord stores it."""
    return _masked(google_crc32c.value(data))


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & _U32


def frame_record(data: bytes) -> bytes:
    """One framed TFRecord record (``len(data) + RECORD_OVERHEAD`` bytes)."""
    header = struct.pack("<Q", len(data))
    return b"".join(
        (header, struct.pack("<I", masked_crc32c(header)), data, struct.pack("<I", masked_crc32c(data)))
    )


_PACK_LENGTH, _PACK_CRC = struct.Struct("<Q").pack, struct.Struct("<I").pack
_CRC_VALUE, _CRC_EXTEND = google_crc32c.value, google_crc32c.extend


def frame_pieces(head: bytes, middle: bytes, tail: bytes) -> bytes:
    """``frame_record(head + middle + tail)``, the payload copied once: its CRC is taken piece by piece (an
    encoder that has a record as the bytes before and after its image does not join them first)."""
    header = _PACK_LENGTH(len(head) + len(middle) + len(tail))
    data_crc = _CRC_EXTEND(_CRC_EXTEND(_CRC_VALUE(head), middle), tail)
    return b"".join((header, _PACK_CRC(_masked(_CRC_VALUE(header))), head, middle, tail,
                     _PACK_CRC(_masked(data_crc))))


def write_tfrecord_records(f: BinaryIO, records: Iterable[bytes]) -> int:
    """Write each payload in ``records`` to the binary file ``f`` as a framed record.

    Returns:
        The number of bytes written.
    """
    total = 0
    for data in records:
        framed = frame_record(bytes(data))
        f.write(framed)
        total += len(framed)
    return total


def iter_tfrecord(path: str | os.PathLike[str], *, verify: bool = True) -> Iterator[bytes]:
    """Yield the payload of every record of a TFRecord file, streaming.

    Args:
        path: the file.
        verify: check both CRCs of every record (``False`` still checks the framing lengths).

    Raises:
        DataError: truncated or corrupt framing / CRC mismatch; names the file, byte offset and record index.
    """
    with rio.open_read(path) as f:  # a local path or a URL (rt2data.io)
        yield from iter_tfrecord_stream(f, name=str(path), verify=verify)


def iter_tfrecord_stream(f: BinaryIO, *, name: str, verify: bool = True) -> Iterator[bytes]:
    """Like :func:`iter_tfrecord` on an open binary stream; ``name`` is used in error messages."""
    offset = 0
    index = 0
    size = _stream_size(f)
    while True:
        header = f.read(12)
        if not header:
            return
        if len(header) < 12:
            raise _corrupt(name, offset, index, f"truncated record header ({len(header)} of 12 bytes)")
        (length,) = struct.unpack("<Q", header[:8])
        (length_crc,) = struct.unpack("<I", header[8:])
        if verify and masked_crc32c(header[:8]) != length_crc:
            raise _corrupt(name, offset, index, "length CRC mismatch (corrupt header)")
        if size is not None and offset + length + RECORD_OVERHEAD > size:
            raise _corrupt(
                name, offset, index, f"record length {length} runs past the end of the file ({size} bytes)"
            )
        data = f.read(length)
        if len(data) < length:
            raise _corrupt(name, offset, index, f"truncated record data ({len(data)} of {length} bytes)")
        footer = f.read(4)
        if len(footer) < 4:
            raise _corrupt(name, offset, index, "truncated record (missing data CRC)")
        if verify and masked_crc32c(data) != struct.unpack("<I", footer)[0]:
            raise _corrupt(name, offset, index, "data CRC mismatch (corrupt record)")
        yield data
        offset += length + RECORD_OVERHEAD
        index += 1


def _corrupt(name: str, offset: int, index: int, what: str) -> DataError:
    return DataError(
        f"{name}: record {index} at byte offset {offset}: {what}; the file is corrupt or truncated "
        "(re-create it, or restore it from a good copy)"
    )


def _stream_size(f: BinaryIO) -> int | None:
    """Bytes left in ``f`` from its current position, when it is a real file; else None."""
    try:
        return os.fstat(f.fileno()).st_size - f.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
