"""Byte spans of local files: where a reader found bytes it hands on unchanged, to be read again later.

A reader that takes an image out of a local file without changing it (a tar member, a whole image file) can say
where it lies: :func:`file_span`. A step that must keep the bytes until later (``rt2data mix`` between its two
passes) then keeps the span instead of a copy and reads the bytes back with :class:`SpanReader`, which opens each
file once and refuses a file that changed in between (its size, modification time or inode differ from what
:func:`signature` recorded). URLs get no span: reading a span back from an object store is a request per span,
dearer than keeping the bytes.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from rt2data.errors import DataError
from rt2data.io.paths import _local, is_url

__all__ = ["FileSpan", "file_span", "Signature", "signature", "SpanReader"]


class FileSpan(NamedTuple):
    """``length`` bytes at ``offset`` of the local file ``path`` (an OS path)."""

    path: str
    offset: int
    length: int


class Signature(NamedTuple):
    """What says a file is still the one read: its size, modification time (ns) and inode."""

    size: int
    mtime_ns: int
    inode: int


def file_span(path: str | os.PathLike[str], offset: int, length: int) -> FileSpan | None:
    """The span of ``length`` bytes at ``offset`` of ``path``; None when ``path`` is a URL."""
    if is_url(path):
        return None
    return FileSpan(_local(path), offset, length)


def signature(path: str) -> Signature:
    """The :class:`Signature` of a local file.

    Raises:
        DataError: the file cannot be looked at.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot be looked at: {exc.strerror or exc}") from exc
    return Signature(st.st_size, st.st_mtime_ns, st.st_ino)


class SpanReader:
    """Reads spans back: each file opened once (the last ``keep`` files stay open) and checked, when opened,
    against the signature it had when its spans were taken. Use as a context manager (closes the files)."""

    def __init__(self, *, keep: int = 16) -> None:
        self.keep = keep
        self._open: dict[str, int] = {}  # path -> file descriptor, oldest first

    def read(self, span: FileSpan | tuple[str, int, int], expected: Signature | tuple[int, int, int]) -> bytes:
        """The bytes of ``span`` (its fields as a plain tuple will do, and so will ``expected``'s).

        Raises:
            DataError: the file is gone, changed since ``expected`` was taken, or holds fewer bytes than the span.
        """
        path, offset, length = span
        fd = self._open.get(path)
        if fd is None:
            fd = self._opened(path, expected)
        data = os.pread(fd, length, offset)
        if len(data) < length:  # a short read (a signal, some network file systems) or the file's end
            parts, got = [data], len(data)
            while got < length:
                more = os.pread(fd, length - got, offset + got)
                if not more:
                    raise DataError(f"{path}: {length} bytes at byte {offset} were read before, {got} are there now")
                parts.append(more)
                got += len(more)
            data = b"".join(parts)
        return data

    def _opened(self, path: str, expected: Signature | tuple[int, int, int]) -> int:
        expected = Signature(*expected)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise DataError(f"{path}: cannot be read again: {exc.strerror or exc}; it was read earlier in this "
                            f"run") from exc
        st = os.fstat(fd)
        now = Signature(st.st_size, st.st_mtime_ns, st.st_ino)
        if now != expected:
            os.close(fd)
            raise DataError(f"{path}: changed while it was in use (size {expected.size} -> {now.size} bytes, "
                            f"modified {expected.mtime_ns} -> {now.mtime_ns} ns, inode {expected.inode} -> "
                            f"{now.inode}); leave inputs unchanged while a run reads them, then run again")
        if len(self._open) >= self.keep:
            os.close(self._open.pop(next(iter(self._open))))
        self._open[path] = fd
        return fd

    def close(self) -> None:
        while self._open:
            os.close(self._open.popitem()[1])

    def __enter__(self) -> "SpanReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
