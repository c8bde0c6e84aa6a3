"""rt2data.io.direct: a new file written around the page cache holds exactly the bytes given, however they came,
and falls back to the page cache (same bytes) wherever direct writes are refused."""

from __future__ import annotations

import errno
import hashlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.io import direct
from rt2data.io.direct import ALIGN, BUFFER_BYTES, DirectFile, open_direct

DIRECT_FLAG = getattr(os, "O_DIRECT", 0)
needs_direct = pytest.mark.skipif(not direct.enabled(), reason="no O_DIRECT on this platform")


def _pattern(size: int, seed: int = 0) -> bytes:
    """Bytes that differ from block to block (a misplaced block changes the file)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def _flags(f) -> int:
    import fcntl

    return fcntl.fcntl(f.fileno(), fcntl.F_GETFL)


def _write(path, pieces) -> DirectFile:
    f = open_direct(path, exclusive=True)
    for piece in pieces:
        assert f.write(piece) == len(piece)
    f.flush()
    os.fsync(f.fileno())
    f.close()
    return f


@needs_direct
def test_writes_whole_buffers_directly_and_the_tail_through_the_cache(tmp_path):
    path = tmp_path / "shard.tar"
    data = _pattern(3 * BUFFER_BYTES + 5 * ALIGN + 123)
    f = _direct_file(path)
    assert isinstance(f, DirectFile) and _flags(f) & DIRECT_FLAG
    f.write(data[:10])  # small pieces gather in the buffer
    f.write(memoryview(data)[10:])  # any bytes-like object
    assert f.direct and os.path.getsize(path) == 3 * BUFFER_BYTES  # the whole buffers, nothing else yet
    f.flush()
    assert not f.direct and not _flags(f) & DIRECT_FLAG  # the last partial block left direct mode
    f.write(b"after the flush")
    f.close()
    assert path.read_bytes() == data + b"after the flush"


@needs_direct
@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.sampled_from([0, 1, 511, ALIGN - 1, ALIGN, ALIGN + 1, BUFFER_BYTES - 1, BUFFER_BYTES,
                                       BUFFER_BYTES + 7, 70_000]), max_size=6))
def test_any_sequence_of_writes_gives_the_same_bytes(tmp_path_factory, sizes):
    path = tmp_path_factory.mktemp("direct") / "f"
    pieces = [_pattern(n, seed=i) for i, n in enumerate(sizes)]
    _write(path, pieces)
    assert path.read_bytes() == b"".join(pieces)


def test_a_file_system_that_refuses_direct_mode_gets_the_same_bytes(tmp_path, monkeypatch):
    import fcntl

    real = fcntl.fcntl

    def refuse(fd, cmd, arg=0):
        if cmd == fcntl.F_SETFL and arg & DIRECT_FLAG:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, cmd, arg)

    monkeypatch.setattr(direct.fcntl, "fcntl", refuse)
    data = _pattern(2 * BUFFER_BYTES + 99)
    f = _write(tmp_path / "f", [data])
    assert not f.direct
    assert (tmp_path / "f").read_bytes() == data


def _direct_file(path) -> DirectFile:
    """A new DirectFile at ``path`` in direct mode, or the test skipped where the file system refuses it."""
    f = open_direct(path, exclusive=True)
    if not f.direct:
        f.close()
        pytest.skip(f"{path.parent}: this file system refuses O_DIRECT")
    return f


def _faulty_write(fault: str):
    """``os.write`` failing once as a device or a signal may: EINVAL for the second whole buffer ("wrong
    alignment for this device"), or two short writes (the first aligned, then one that leaves the offset
    unaligned)."""
    real = os.write
    calls = []

    def write(fd, view):
        calls.append(len(view))
        if fault == "einval" and len(calls) == 2:
            raise OSError(errno.EINVAL, "Invalid argument")
        if fault == "short" and len(calls) == 1:
            return real(fd, view[: ALIGN * 3])  # short but aligned: direct writes go on
        if fault == "short" and len(calls) == 2:
            return real(fd, view[:100])
        return real(fd, view)

    return write


@needs_direct
@pytest.mark.parametrize("fault", ["einval", "short"])
def test_a_refused_or_short_direct_write_goes_on_through_the_cache(tmp_path, monkeypatch, fault):
    f = _direct_file(tmp_path / "f")
    monkeypatch.setattr(direct.os, "write", _faulty_write(fault))
    data = _pattern(3 * BUFFER_BYTES + 10)
    f.write(data)
    assert not f.direct
    f.close()
    assert (tmp_path / "f").read_bytes() == data


def test_a_full_disk_is_an_error_not_a_fallback(tmp_path, monkeypatch):
    def full(fd, view):
        raise OSError(errno.ENOSPC, "No space left on device")

    f = open_direct(tmp_path / "f", exclusive=True)
    monkeypatch.setattr(direct.os, "write", full)
    with pytest.raises(OSError) as info:
        f.write(_pattern(BUFFER_BYTES))
    assert info.value.errno == errno.ENOSPC
    with pytest.raises(OSError):
        f.close()  # the flush of what is left fails the same way; the descriptor is closed anyway
    assert f.closed
    with pytest.raises(ValueError, match="closed"):
        f.write(b"x")


def test_exclusive_refuses_an_existing_file(tmp_path):
    (tmp_path / "f").write_bytes(b"kept")
    with pytest.raises(FileExistsError):
        open_direct(tmp_path / "f", exclusive=True)
    assert (tmp_path / "f").read_bytes() == b"kept"
    with open_direct(tmp_path / "f") as f:  # not exclusive: truncated and rewritten
        f.write(b"new")
    assert (tmp_path / "f").read_bytes() == b"new"


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_the_environment_turns_direct_writes_off(tmp_path, monkeypatch, value):
    monkeypatch.setenv(direct.ENV, value)
    assert not direct.enabled()
    with open_direct(tmp_path / "f", exclusive=True) as f:
        assert not isinstance(f, DirectFile)
        f.write(b"plain")
    assert (tmp_path / "f").read_bytes() == b"plain"
