"""Small file-system helpers: temp names, atomic writes, fsync, hashing, our file-name patterns.

Paths may be local or URLs (``rt2data.io``). On an object store a write is one object that appears whole when
closed, so "atomic" needs no rename there, and fsync has nothing to do.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from rt2data import io
__all__ = [
    "MANIFEST_NAME",
    "LEDGER_NAME",
    "LOCK_NAME",
    "LEDGER_ENTRY_RE",
    "ledger_entry_name",
    "TEMP_RE",
    "temp_path",
    "fsync_dir",
    "atomic_write_bytes",
    "file_sha256",
    "HashingWriter",
    "HashingReader",
]

MANIFEST_NAME = "manifest.json"
LEDGER_NAME = ".shards.partial.jsonl"
LOCK_NAME = ".shards.partial.lock"
LEDGER_ENTRY_RE = re.compile(r"^\.shards\.partial\.(?P<name>.+)\.json$")
"""On an object store (no append, no lock) the ledger is a header object plus one ``.shards.partial.NAME.json``
per complete shard."""
TEMP_RE = re.compile(r"^\..+\.tmp-[0-9a-f]{32}$")
"""Our temporary files: ``.NAME.tmp-<uuid4 hex>`` beside the final ``NAME``."""


def ledger_entry_name(shard: str) -> str:
    """The ledger entry object of a complete shard on an object store."""
    return f".shards.partial.{shard}.json"


def temp_path(final: Any) -> Any:
    """A fresh temporary path beside ``final`` (same directory, so a rename is atomic; a URL stays a string)."""
    if io.is_url(final):
        return io.join(io.dirname(final), f".{io.basename(final)}.tmp-{uuid.uuid4().hex}")
    final = Path(final)
    return final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex}")


def fsync_dir(directory: Any) -> None:
    """Flush a directory entry change (rename) to disk where the platform allows it (nothing to do for a URL)."""
    if io.is_url(directory):
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Any, data: bytes) -> None:
    """Write ``data`` to a temp file, fsync, rename onto ``path``: readers see the old or the new file.

    For a URL: one object write (an object store replaces an object whole)."""
    if io.is_url(path):
        io.write_bytes(path, data)
        return
    path = Path(path)
    tmp = temp_path(path)
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def file_sha256(path: Any, *, chunk: int = 1 << 20) -> tuple[str, int]:
    """``(hex sha256, size in bytes)`` of a file or object, streaming."""
    h = hashlib.sha256()
    size = 0
    with io.open_read(path) as f:
        while block := f.read(chunk):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


class HashingWriter:
    """Wraps a binary file: every write also feeds a SHA-256 and a byte count."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.sha = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.f.write(data)
        self.sha.update(data)
        self.bytes += len(data)
        return len(data)


class HashingReader:
    """Wraps a binary file: every read also feeds a SHA-256 and a byte count (``read`` only)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.sha = hashlib.sha256()
        self.bytes = 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.sha.update(data)
        self.bytes += len(data)
        return data

    def fileno(self) -> int:
        return self.f.fileno()

    def tell(self) -> int:
        return self.f.tell()

    def drain(self, chunk: int = 1 << 20) -> None:
        """Read (and hash) the rest of the file."""
        while self.read(chunk):
            pass
