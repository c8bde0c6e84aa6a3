"""The tar reader's fast path (issue 14) against ``tarfile`` and against the reader's own general parse: the same
members from archives mixing our writer's headers with others (PAX long names, ``webdataset.TarWriter``'s), at any
read size, through a ``HashingReader`` or a stream without ``readinto``; damaged archives give what the general parse
gives (members or the error, word for word; ``tests/shards/test_encoders_pinned.py`` holds that parse to tarfile)."""

from __future__ import annotations

import io
import tarfile

import pytest
import webdataset
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.errors import DataError
from rt2data.shards.files import HashingReader
from rt2data.shards.formats import tar_read, wds
from rt2data.testing.strategies import examples


def _tarfile_members(data: bytes) -> list[tuple[str, bytes, int, int]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
        return [(info.name, tar.extractfile(info).read(), info.offset, info.offset_data) for info in tar]


def _ours(data: bytes, *, general_only: bool = False, monkeypatch=None, stream=io.BytesIO):
    if general_only:  # the fast path refuses every header: the general parse reads everything
        monkeypatch.setattr(tar_read, "_SAFE_NAME", lambda raw: None)
    try:
        return [(f"{k}.{x}", d, o, do) for k, x, d, o, do in tar_read.iter_tar_members(stream(data), shard="s")]
    except DataError as exc:
        return str(exc)
    finally:
        if general_only:
            monkeypatch.undo()


def _webdataset_members(samples: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with webdataset.TarWriter(buf) as sink:
        for key, payload in samples:
            sink.write({"__key__": key, "bin": payload})
    data = buf.getvalue()
    return data[: _members_end(data)]


def _members_end(data: bytes) -> int:
    """Where the members of a whole archive end (its end-of-archive blocks start)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
        infos = list(tar)
    last = infos[-1]
    return last.offset_data + last.size + (-last.size % 512)


def _long_name_member(key: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(f"{key}.{'x' * 120}")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    data = buf.getvalue()
    return data[: _members_end(data)]


@st.composite
def archives(draw) -> bytes:
    """Our samples, with webdataset-written members and PAX long-name members between them."""
    exs = draw(st.lists(examples(), min_size=1, max_size=3, unique_by=lambda e: e.key))
    parts = []
    for i, ex in enumerate(exs):
        parts.append(wds.encode_sample(ex).data)
        other = draw(st.sampled_from(["", "webdataset", "pax"]))
        payload = draw(st.binary(max_size=700))
        if other == "webdataset":
            parts.append(_webdataset_members([(f"w{i}", payload)]))
        elif other == "pax":
            parts.append(_long_name_member(f"p{i}", payload))
    body = b"".join(parts)
    return body + b"\0" * wds.tar_end_size(len(body))


class _ReadOnly:
    """A stream with ``read`` only (as some object-store streams are)."""

    def __init__(self, data: bytes) -> None:
        self._f = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._f.read(n)


@settings(max_examples=25, deadline=None)
@given(archives(), st.sampled_from([512, 700, 4096, 1 << 20]), st.data())
def test_fast_path_reads_what_tarfile_and_the_general_parse_read(archive, chunk, data):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tar_read, "_CHUNK", chunk)  # members straddle reads; the window grows for large ones
        want = _tarfile_members(archive)
        assert _ours(archive) == want
        assert _ours(archive, stream=_ReadOnly) == want
        general = _ours(archive, general_only=True, monkeypatch=pytest.MonkeyPatch())
        assert general == want
        cut = data.draw(st.integers(0, len(archive)))
        flip = data.draw(st.integers(0, len(archive) - 1))
        for damaged in (archive[:cut], archive[:flip] + bytes([archive[flip] ^ data.draw(st.sampled_from([1, 0x5A, 0x80]))])
                        + archive[flip + 1:]):
            assert _ours(damaged) == _ours(damaged, general_only=True, monkeypatch=pytest.MonkeyPatch())


def test_hashing_reader_readinto_hashes_what_is_read():
    import hashlib

    data = bytes(range(256)) * 50
    for raw in (io.BytesIO(data), _ReadOnly(data)):
        f = HashingReader(raw)
        buf = bytearray(1000)
        got = b""
        while n := f.readinto(memoryview(buf)):
            got += bytes(buf[:n])
        assert got == data and f.bytes == len(data) and f.sha.hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_shard_of_our_writer_is_read_by_the_fast_path(monkeypatch):
    from rt2data.example import Example

    exs = [Example(key=f"k{i}", image=b"\xff\xd8\xff" * (100 + i), image_format="jpg", prompt="p", target="t",
                   kind="caption", source="s", template_id="c") for i in range(3)]
    archive = b"".join(wds.encode_sample(ex).data for ex in exs)
    archive += b"\0" * wds.tar_end_size(len(archive))
    calls = []
    original = tar_read._checksum_ok
    monkeypatch.setattr(tar_read, "_checksum_ok", lambda header: calls.append(1) or original(header))
    members = _ours(archive)
    assert members == _tarfile_members(archive) and len(members) == 6
    assert not calls  # no header went through the general parse (the end-of-archive block needs no checksum)
