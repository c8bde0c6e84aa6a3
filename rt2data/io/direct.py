"""Writing a new local file around the page cache (``O_DIRECT``): what a shard writer's bytes cost the kernel.

A shard is written once, in order, and not read back by the run that writes it. Through the page cache every
byte is first copied into a page the kernel must find (on a virtual machine whose host takes back memory the
guest left untouched, a fresh page is a fault into the host: README, "Benchmarks"), then written back, then
dropped. Written with ``O_DIRECT`` the device reads the bytes from this process's buffer: 600 MB written in 1 MB
pieces and fsynced cost 0.05-0.1 s of system time here instead of 0.2 to 2.5 s, and the writer's thread waits on
the disk instead of keeping a core busy, which leaves that core to a second worker.

:class:`DirectFile` takes writes of any size and alignment, as a buffered file does: it gathers them in one
page-aligned buffer and writes whole buffers (``O_DIRECT`` wants the memory, the file offset and the length
aligned to the device's block). :meth:`DirectFile.flush` writes what is left: its aligned part directly, the last
partial block through the page cache (the file leaves direct mode for it; its bytes are the same either way). A
file system that refuses ``O_DIRECT`` (on the ``fcntl`` that turns it on, or on a write) gets the same bytes
through the page cache: the file falls back, silently, for good. ``RT2DATA_DIRECT_WRITES=0`` in the environment
turns direct writes off everywhere (:func:`enabled`).

Direct writes are not durable writes: the caller still ``fsync``s (metadata, the device's write cache).
"""

from __future__ import annotations

import errno
import mmap
import os
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not on a POSIX system
    fcntl = None  # type: ignore[assignment]

__all__ = ["ALIGN", "BUFFER_BYTES", "DirectFile", "enabled", "open_direct"]

ALIGN = 4096
"""Alignment of the buffer, the offsets and the lengths of direct writes: a multiple of every block size a Linux
block device reports for ``O_DIRECT`` (512 or 4096)."""
BUFFER_BYTES = 1 << 20
"""Bytes gathered before one direct write (a multiple of :data:`ALIGN`)."""
ENV = "RT2DATA_DIRECT_WRITES"
"""``0`` (or ``false``, ``no``, ``off``) turns direct writes off: every shard is written through the page cache."""

_O_DIRECT = getattr(os, "O_DIRECT", 0) if fcntl is not None else 0  # Linux and a few others; 0 elsewhere


def enabled() -> bool:
    """Whether shard files are written with ``O_DIRECT`` where the platform and file system allow it."""
    return bool(_O_DIRECT) and os.environ.get(ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def open_direct(path: str | os.PathLike[str], *, exclusive: bool = False) -> Any:
    """A binary file writing the local ``path`` from offset 0: a :class:`DirectFile` where direct writes are
    :func:`enabled`, else a plain buffered file (``open(path, "xb" or "wb")``).

    The file is created (exclusive: it must not exist) before direct mode is asked for, so a file system that
    refuses it leaves nothing behind but the file a buffered open would have made; the file is then written
    through the page cache.
    """
    if not enabled():
        return open(path, "xb" if exclusive else "wb")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | (os.O_EXCL if exclusive else 0)
    fd = os.open(path, flags, 0o666)
    try:
        return DirectFile(fd, os.fspath(path))
    except BaseException:
        os.close(fd)
        raise


class DirectFile:
    """A new file written with ``O_DIRECT`` through one page-aligned buffer (``write``, ``flush``, ``fileno``,
    ``close``; see the module). Not thread-safe: one thread writes at a time (a shard writer's ``"write"`` lane,
    then its caller's ``flush`` once that lane is done)."""

    def __init__(self, fd: int, name: str) -> None:
        self.name = name
        self._fd = fd
        self._buffer = mmap.mmap(-1, BUFFER_BYTES)  # anonymous memory: page-aligned
        self._view = memoryview(self._buffer)
        self._fill = 0
        self._direct = self._set_direct(True)
        self.closed = False

    @property
    def direct(self) -> bool:
        """Whether the next whole buffer goes to the device directly (False once the file fell back)."""
        return self._direct

    def fileno(self) -> int:
        return self._fd

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        """Append ``data`` (bytes-like); returns its length. Whole buffers are written as they fill."""
        if self.closed:
            raise ValueError(f"{self.name}: write to a closed file")
        with memoryview(data) as source:
            source = source.cast("B") if source.format != "B" or source.ndim != 1 else source
            size = len(source)
            start = 0
            while start < size:
                take = min(size - start, BUFFER_BYTES - self._fill)
                self._view[self._fill:self._fill + take] = source[start:start + take]
                self._fill += take
                start += take
                if self._fill == BUFFER_BYTES:
                    self._write_out(BUFFER_BYTES)
                    self._fill = 0
        return size

    def flush(self) -> None:
        """Write every byte given so far: the aligned part of the buffer directly, the rest (less than one block)
        through the page cache. Later writes go through the page cache too (the file offset is no longer
        aligned)."""
        if self.closed or self._fill == 0:
            return
        whole = self._fill - self._fill % ALIGN if self._direct else 0
        if whole:
            self._write_out(whole)
        if self._fill > whole:
            self._fall_back()
            self._write_all(self._view[whole:self._fill])
        self._fill = 0

    def close(self) -> None:
        """Flush and close (the buffer is released even when the flush fails)."""
        if self.closed:
            return
        try:
            self.flush()
        finally:
            self.closed = True
            os.close(self._fd)
            try:
                self._view.release()
                self._buffer.close()
            except BufferError:  # a slice is still held (an error's traceback): freed with it
                pass

    def __enter__(self) -> "DirectFile":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _write_out(self, length: int) -> None:
        """Write the buffer's first ``length`` bytes: directly while the file is in direct mode and the length
        is aligned, else through the page cache."""
        if not self._direct or length % ALIGN:
            self._fall_back()
            self._write_all(self._view[:length])
            return
        done = 0
        while done < length:
            try:
                done += os.write(self._fd, self._view[done:length])
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # EINVAL: this file system wants other alignments, or none
                    raise
                self._fall_back()
                self._write_all(self._view[done:length])
                return
            if done % ALIGN:  # a short write (a full disk, a signal) left the offset unaligned
                self._fall_back()
                self._write_all(self._view[done:length])
                return

    def _write_all(self, view: memoryview) -> None:
        done = 0
        while done < len(view):
            done += os.write(self._fd, view[done:])

    def _fall_back(self) -> None:
        if self._direct:
            self._direct = self._set_direct(False)

    def _set_direct(self, on: bool) -> bool:
        """Turn ``O_DIRECT`` on or off for the open file; returns whether it is on."""
        if not _O_DIRECT:
            return False
        flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
        try:
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags | _O_DIRECT if on else flags & ~_O_DIRECT)
        except OSError as exc:
            if on and exc.errno in (errno.EINVAL, errno.EOPNOTSUPP):
                return False
            raise
        return on
