"""Byte spans of local files read back: the bytes as they were, each file opened once, and a file that changed in
between refused with its name, instead of read as if it had not changed."""

from __future__ import annotations

import os

import pytest

from rt2data.errors import DataError
from rt2data.io.spans import FileSpan, Signature, SpanReader, file_span, signature


def test_a_span_of_a_local_path_or_file_url_and_none_of_an_object():
    assert file_span("/data/a.tar", 512, 10) == FileSpan("/data/a.tar", 512, 10)
    assert file_span("file:///data/a.tar", 512, 10) == FileSpan("/data/a.tar", 512, 10)
    assert file_span("s3://bucket/a.tar", 512, 10) is None and file_span("gs://b/a.tar", 0, 1) is None


def test_spans_read_back_their_bytes_and_files_stay_open_up_to_the_limit(tmp_path, monkeypatch):
    files = []
    for i in range(5):
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(bytes(range(i, i + 200)))
        files.append(str(path))
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda path, flags: opened.append(path) or real_open(path, flags))
    with SpanReader(keep=2) as reader:
        for path in files + files[-2:]:  # the last two are still open: not opened again
            sig = signature(path)
            assert reader.read(FileSpan(path, 17, 30), sig) == bytes(range(int(path[-5]) + 17, int(path[-5]) + 47))
            assert reader.read((path, 0, 0), tuple(sig)) == b""
        assert opened == files and len(reader._open) == 2
    assert not reader._open


@pytest.mark.parametrize("change", ["append", "rewrite", "replace", "remove"])
def test_a_file_changed_since_its_spans_were_taken_is_refused_naming_it(tmp_path, change):
    path = tmp_path / "images.tar"
    path.write_bytes(b"x" * 1000)
    sig = signature(str(path))
    if change == "append":
        with open(path, "ab") as f:
            f.write(b"more")
    elif change == "rewrite":  # the same size: the modification time tells
        os.utime(path, ns=(sig.mtime_ns, sig.mtime_ns + 1_000_000))
    elif change == "replace":  # the same size and time, another file (renamed over it)
        other = tmp_path / "new.tar"
        other.write_bytes(b"y" * 1000)
        os.utime(other, ns=(sig.mtime_ns, sig.mtime_ns))
        os.replace(other, path)
    else:
        path.unlink()
    with SpanReader() as reader, pytest.raises(DataError) as err:
        reader.read(FileSpan(str(path), 0, 10), sig)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert ("cannot be read again" if change == "remove" else "changed while it was in use") in message
    assert not reader._open


def test_a_span_past_the_end_of_its_file_is_an_error(tmp_path):
    path = tmp_path / "short.bin"
    path.write_bytes(b"abc")
    with SpanReader() as reader, pytest.raises(DataError, match=r"short.bin: 10 bytes at byte 1 were read before, 2"):
        reader.read(FileSpan(str(path), 1, 10), signature(str(path)))


def test_short_reads_are_read_on_to_the_end_of_the_span(tmp_path, monkeypatch):
    """pread may return fewer bytes than asked (a signal, some network file systems): the rest is read after."""
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * 8)
    real_pread = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, at: real_pread(fd, min(n, 7), at))
    with SpanReader() as reader:
        assert reader.read(FileSpan(str(path), 100, 1000), signature(str(path))) == path.read_bytes()[100:1100]


def test_signature_of_a_missing_file_names_it(tmp_path):
    with pytest.raises(DataError, match="nothing.bin: cannot be looked at"):
        signature(str(tmp_path / "nothing.bin"))
    assert isinstance(signature(__file__), Signature)
