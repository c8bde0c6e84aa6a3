"""The WebDataset tar reader reads plain tars header by header; every outcome must be tarfile's: the same samples,
problems, messages and indices for whole, cut, damaged, compressed and unusual tars."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest
import webdataset as wds
from hypothesis import given
from hypothesis import strategies as st

from rt2data.web import tars
from rt2data.web.tars import iter_tar_samples


def _by_tarfile(path, monkeypatch) -> list:
    with monkeypatch.context() as m:
        m.setattr(tars, "_plain_header", lambda *a: None)  # every header left to tarfile
        return list(iter_tar_samples(str(path)))


def _webdataset_tar(path) -> bytes:
    with wds.TarWriter(str(path)) as sink:
        for k in range(4):
            sink.write({"__key__": f"s{k}", "jpg": bytes([k]) * (300 + 211 * k), "txt": f"caption {k}"})
    return path.read_bytes()


def _ustar_tar(path) -> bytes:
    """No PAX records at all (integer mtimes), as many tar writers leave them."""
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for k in range(3):
            for ext, data in (("jpg", bytes([k]) * (700 + 300 * k)), ("txt", f"caption {k}".encode())):
                info = tarfile.TarInfo(f"d/s{k}.{ext}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path.read_bytes()


def _unusual_tar(path) -> bytes:
    """A PAX long name, a directory, a symlink and a member without suffix after two plain samples."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        def add(name, data=b"", kind=tarfile.REGTYPE, link=""):
            info = tarfile.TarInfo(name)
            info.size, info.type, info.linkname = len(data), kind, link
            tar.addfile(info, io.BytesIO(data) if data else None)
        add("a.jpg", b"x" * 600), add("a.txt", b"first")
        add("b.jpg", b"y" * 10), add("b.txt", b"second")
        add("dir", kind=tarfile.DIRTYPE)
        add("dir/" + "n" * 120 + ".txt", b"long name")
        add("link.txt", kind=tarfile.SYMTYPE, link="a.txt")
        add("README", b"no suffix")
        add("c.jpg", b"z" * 5), add("c.txt", b"third")
    return path.read_bytes()


@pytest.mark.parametrize("make", [_webdataset_tar, _ustar_tar, _unusual_tar])
def test_whole_and_cut_tars_read_as_tarfile_reads_them(tmp_path, monkeypatch, make):
    path = tmp_path / "t-000000.tar"
    whole = make(path)
    cuts = sorted({*range(0, len(whole), 151), *(k * 512 + d for k in range(len(whole) // 512) for d in (0, 1, 511))})
    fast_samples = 0
    for cut in [len(whole), *cuts]:
        path.write_bytes(whole[:cut])
        got = list(iter_tar_samples(str(path)))
        assert got == _by_tarfile(path, monkeypatch), cut
        fast_samples += sum(isinstance(x, tars.TarSample) for x in got)
    assert fast_samples > 0
    path.write_bytes(whole)
    if make is not _unusual_tar:  # a whole plain tar (PAX time records allowed) never reaches tarfile
        monkeypatch.setattr(tars, "_tarfile_members", None)
        assert len(list(iter_tar_samples(str(path)))) in (3, 4)


@pytest.mark.parametrize("make", [_webdataset_tar, _ustar_tar, _unusual_tar])
def test_members_read_header_by_header_say_where_their_bytes_lie(tmp_path, make):
    """``TarSample.offsets``: where tarfile says each member's data starts (``offset_data``), for every member the
    header-by-header reading gave; ``tar_image`` turns the image's into a span of the file."""
    path = tmp_path / "t-000000.tar"
    whole = make(path)
    with tarfile.open(path) as tar:
        data_at = {m.name: m.offset_data for m in tar if m.isfile()}
    located = 0
    for sample in iter_tar_samples(str(path)):
        if not isinstance(sample, tars.TarSample):
            continue
        for suffix, offset in sample.offsets.items():
            data = sample.members[suffix]
            assert whole[offset:offset + len(data)] == data
            assert offset in data_at.values()
            located += 1
        image, span = tars.tar_image(sample, ("png", "jpg"), str(path))
        if "jpg" in sample.offsets:
            assert span == (str(path), sample.offsets["jpg"], len(image)) and image == sample.members["jpg"]
        else:
            assert span is None
    assert located >= 4


def test_compressed_tars_and_members_say_nothing_of_where_bytes_lie(tmp_path):
    plain = tmp_path / "t-000000.tar"
    with wds.TarWriter(str(plain)) as sink:
        sink.write({"__key__": "s0", "jpg": b"\xff\xd8" * 300, "txt.gz": "a caption"})  # (the writer gzips it)
    (sample,) = iter_tar_samples(str(plain))
    assert sample.members["txt"] == b"a caption" and set(sample.offsets) == {"jpg"}  # decompressed: not the file's
    gz = tmp_path / "t-000001.tar.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    (sample,) = iter_tar_samples(str(gz))
    assert set(sample.members) == {"jpg", "txt"} and sample.offsets == {}
    assert tars.tar_image(sample, ("jpg",), str(gz)) == (sample.members["jpg"], None)


def test_damaged_headers_and_compressed_tars_read_as_tarfile_reads_them(tmp_path, monkeypatch):
    path = tmp_path / "t-000000.tar"
    whole = _webdataset_tar(path)
    # name, size, checksum, type, magic, a PAX record's length, keyword and newline, a member's header
    with tarfile.open(path) as tar:
        second = [m.offset_data - 512 for m in tar][1]  # the ustar header of the second member
    # (the numeric fields of a later header, after the first's were found good and remembered, included)
    numeric = (100, 108, 116, 136, 141, 329, 337)
    for at in (0, 100, 124, 130, 148, 156, 257, 345, 512, 513, 515, 530, 2048 + 10, *(second + d for d in numeric)):
        for byte in (0x00, 0x37, 0x80, 0xFF):
            damaged = bytearray(whole)
            damaged[at] = byte
            path.write_bytes(bytes(damaged))
            assert list(iter_tar_samples(str(path))) == _by_tarfile(path, monkeypatch), (at, byte)
    gz = tmp_path / "t-000001.tar.gz"
    gz.write_bytes(gzip.compress(whole))
    got = list(iter_tar_samples(str(gz)))
    assert got == _by_tarfile(gz, monkeypatch) and [x.key for x in got] == ["s0", "s1", "s2", "s3"]
    empty = tmp_path / "t-000002.tar"
    empty.write_bytes(b"")
    assert list(iter_tar_samples(str(empty))) == _by_tarfile(empty, monkeypatch)


def _with_field(header: bytes, at: int, value: bytes) -> bytes:
    """``header`` with ``value`` written at ``at`` and its checksum made right again."""
    block = bytearray(header)
    block[at:at + len(value)] = value
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


@pytest.mark.parametrize("at, value", [(108, b"0000x00\0"), (116, b"00\x0100000"), (136, b"0000000000 9"),
                                       (329, b"0000008\0"), (100, b"0000644 ")])
def test_a_later_header_with_other_numeric_fields_reads_as_tarfile_reads_it(tmp_path, monkeypatch, at, value):
    """The numeric fields found good in one header are remembered; a later header whose fields differ (with a
    right checksum) is checked again, and ends as tarfile ends it."""
    path = tmp_path / "t-000000.tar"
    whole = _ustar_tar(path)
    with tarfile.open(path) as tar:
        third = [m.offset for m in tar][2]
    path.write_bytes(whole[:third] + _with_field(whole[third:third + 512], at, value) + whole[third + 512:])
    assert list(iter_tar_samples(str(path))) == _by_tarfile(path, monkeypatch)


def _unsafe_reference(name: str) -> str | None:
    """What ``_unsafe`` says of a regular file member, written plainly."""
    import re

    if name.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", name):
        return f"member {name!r} has an absolute path"
    if ".." in re.split(r"[\\/]+", name):
        return f"member {name!r} escapes the shard with '..'"
    return None


@given(st.text(alphabet="ab.:/\\Z", max_size=12))
def test_unsafe_names_are_told_as_before(name):
    assert tars._unsafe(tars._Plain(name, b"", 512)) == _unsafe_reference(name)
