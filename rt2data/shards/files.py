"""Small file-system helpers: temp names, atomic writes, fsync, hashing, our file-name patterns.

Paths may be local or URLs (``rt2data.io``). On an object store a write is one object that appears whole when
closed, so "atomic" needs no rename there, and fsync has nothing to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from rt2data import io
from rt2data.errors import OutputError

__all__ = [
    "MANIFEST_NAME",
    "LEDGER_NAME",
    "LOCK_NAME",
    "LEDGER_ENTRY_RE",
    "ledger_entry_name",
    "TEMP_RE",
    "temp_path",
    "inside",
    "naming_errors",
    "fsync_dir",
    "drop_cached",
    "Syncer",
    "atomic_write_bytes",
    "file_sha256",
    "HashingWriter",
    "reader_into",
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


def inside(out_dir: Any, name: str, *, what: str = "file name") -> Any:
    """``out_dir / name`` for a ``name`` read back from a file in ``out_dir`` (manifest, ledger, staging marker).

    Such files may have been edited, so the name is trusted only when it is one plain file name (no separator,
    not ``.``/``..``) and, for a local ``out_dir``, the path, symlinks resolved, lies directly in ``out_dir``. Call
    this before any read, write, rename or delete of a path built from such a name.

    Returns:
        A ``Path`` for a local ``out_dir``; for a URL (an object store has no symlinks, and a plain name cannot
        leave the prefix) the URL string joined by ``rt2data.io``.

    Raises:
        OutputError: the name would reach outside ``out_dir``.
    """
    ok = (
        isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\\" not in name
        and "\0" not in name
    )
    if ok and io.is_url(out_dir):
        return io.join(out_dir, name)
    out = Path(out_dir)
    if ok:
        path = out / name
        try:
            ok = path.resolve().parent == out.resolve()
        except (OSError, RuntimeError):  # symlink loop, unreadable parent
            ok = False
    if not ok:
        raise OutputError(
            f"{out_dir}: {what} {name!r} read back from the output points outside it; refusing to touch it "
            "(the output's files were edited: remove OUT and run again)"
        )
    return path


@contextlib.contextmanager
def naming_errors(path: Any) -> Iterator[None]:
    """Give an ``OSError`` raised inside without a file name (``write``, ``fsync``, ``close`` of a full disk) the
    ``path`` it concerns, so the one-line error a user sees says where it happened."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None and exc.errno is not None:
            raise type(exc)(exc.errno, exc.strerror, os.fspath(path)) from exc
        raise


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


def drop_cached(fd: int) -> None:
    """Tell the kernel it may drop a durable file's pages from the page cache (``posix_fadvise(DONTNEED)``; call it
    after ``fsync``, when every page is clean: nothing is lost, a later read comes from the disk).

    A shard is written once and not read back by the run that writes it: its pages would only push out what is read
    again (the input dataset, the next dataset's statistics pass), and a writer keeps taking fresh pages. Where the
    kernel hands pages back to a host (a virtual machine with free page reporting or a ``pageout`` policy), a fresh
    page costs a fault into the host, where a page just freed is reused at once (README, "Benchmarks"). Advisory:
    where the platform has no ``posix_fadvise`` or the file system refuses it, nothing happens.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:  # pragma: no cover - not on Linux
        return
    try:
        advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass


class Syncer:
    """Runs file work on two background threads while the caller goes on encoding: a shard writer hands the
    ``"write"`` lane its bytes (hashed and written there; both release the GIL) and the ``"commit"`` lane the
    durable end of a closed file (fsync, rename, directory fsync). Each lane runs its tasks in the order given; the
    two lanes run side by side, so one shard's fsync neither holds up the next shard's bytes nor the caller.

    :meth:`wait` (and leaving the ``with`` block) returns once every task is done and raises the first error, so
    nothing that depends on the files (a marker, a manifest) is written before they are durable. After an error
    in the block the pending tasks still finish (no thread outlives the block) and the block's error is raised.
    """

    LANES = ("write", "commit")

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor  # light: only a writer that overlaps its fsyncs

        self._pools = {lane: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"rt2data-sync-{lane}")
                       for lane in self.LANES}
        self._pending: list = []

    def submit(self, lane: str, fn, *args):
        """Queue ``fn(*args)`` on ``lane`` after every task queued there before; returns its future."""
        future = self._pools[lane].submit(fn, *args)
        self._pending.append(future)
        return future

    def submit_after(self, fn, *args):
        """Queue ``fn(*args)`` on the ``"commit"`` lane, to run once every task queued before it (on both lanes)
        has finished without an error: a marker that vouches for files is written only once they are durable.
        Returns its future; if one of those tasks failed, ``fn`` is not called and the future holds that error."""
        before = list(self._pending)

        def after():
            for future in before:
                future.result()  # the lanes run in order: done already; raises the first error
            return fn(*args)

        return self.submit("commit", after)

    def reap(self) -> None:
        """Forget the tasks that finished; raise the first error among them (a syncer that outlives one item of
        work reports a failed fsync of an earlier item before the next one goes on)."""
        done = [f for f in self._pending if f.done()]
        if not done:
            return
        self._pending = [f for f in self._pending if not f.done()]
        first = next((e for e in (f.exception() for f in done) if e is not None), None)
        if first is not None:
            raise first

    def wait(self) -> None:
        pending, self._pending = self._pending, []
        errors = [f.exception() for f in pending]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first

    def close(self) -> None:
        """:meth:`wait`, then end the threads (they end even when ``wait`` raised)."""
        self.__exit__(None, None, None)

    def __enter__(self) -> "Syncer":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.wait()
            else:
                for f in self._pending:
                    f.exception()  # finish, keep the block's own error
        finally:
            for pool in self._pools.values():
                pool.shutdown(wait=True)


def atomic_write_bytes(path: Any, data: bytes) -> None:
    """Write ``data`` to a temp file, fsync, rename onto ``path``: readers see the old or the new file.

    For a URL: one object write (an object store replaces an object whole)."""
    if io.is_url(path):
        io.write_bytes(path, data)
        return
    path = Path(path)
    tmp = temp_path(path)
    try:
        with naming_errors(path), open(tmp, "xb") as f:
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


def reader_into(f: BinaryIO) -> Callable[[Any], int]:
    """``f.readinto`` (0 where it returns None), or the same made of ``f.read`` for a stream without it."""
    into = getattr(f, "readinto", None)
    if into is not None:
        return lambda buffer: into(buffer) or 0

    def read_into(buffer: Any) -> int:
        data = f.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    return read_into


class HashingReader:
    """Wraps a binary file: every read also feeds a SHA-256 and a byte count (``read`` and ``readinto``)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.sha = hashlib.sha256()
        self.bytes = 0
        self._read_into = reader_into(f)

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.sha.update(data)
        self.bytes += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        n = self._read_into(buffer)
        with memoryview(buffer) as view:
            self.sha.update(view[:n])
        self.bytes += n
        return n

    def fileno(self) -> int:
        return self.f.fileno()

    def tell(self) -> int:
        return self.f.tell()

    def drain(self, chunk: int = 1 << 20) -> None:
        """Read (and hash) the rest of the file."""
        while self.read(chunk):
            pass
