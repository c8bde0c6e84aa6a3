"""The dataset card's image formats come from a header-only scan of the tars, equal to what ``tarfile`` lists."""

from __future__ import annotations

import io
import tarfile

import pytest

from rt2data.example import Example
from rt2data.shards.card import _member_names, wds_image_formats
from rt2data.shards.writer import write_shard


def _example(key: str, fmt: str, image: bytes) -> Example:
    return Example(key=key, image=image, image_format=fmt, prompt="p", target="t", kind="caption", source="s",
                   template_id="caption-v1")


def _tarfile_names(path) -> list[str]:
    with tarfile.open(path) as tar:
        return [m.name for m in tar]


def test_scan_lists_what_tarfile_lists_pax_names_included(tmp_path):
    long_key = "k" * 150  # a member name over 100 bytes: our writer gives it a PAX header
    examples = [_example("a", "jpg", b"\xff\xd8\xff" + b"x" * 700), _example(long_key, "png", b"p" * 512),
                _example("b", "webp", b"w" * 1)]
    write_shard(tmp_path, "x-000000.tar", examples, fmt="wds", record_progress=False)
    path = tmp_path / "x-000000.tar"
    with open(path, "rb") as f:
        assert _member_names(f) == _tarfile_names(path)
    assert wds_image_formats([path]) == ["jpg", "png", "webp"]


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
def test_other_tars_fall_back_to_tarfile(tmp_path, fmt):
    path = tmp_path / "other.tar"
    with tarfile.open(path, "w", format=fmt) as tar:
        for name in (("d" * 120) + ".png" if fmt == tarfile.GNU_FORMAT else "dir/a.gif", "b.json"):
            info = tarfile.TarInfo(name)
            info.size = 3
            tar.addfile(info, io.BytesIO(b"abc"))
    expected = _tarfile_names(path)
    with open(path, "rb") as f:
        scanned = _member_names(f)
    assert scanned in (None, expected)  # GNU long names: not scanned, tarfile reads them
    assert (scanned is None) == (fmt == tarfile.GNU_FORMAT)
    assert wds_image_formats([path]) == (["png"] if fmt == tarfile.GNU_FORMAT else ["gif"])


def test_truncated_or_corrupt_tar_is_left_to_tarfile(tmp_path):
    write_shard(tmp_path, "x-000000.tar", [_example("a", "jpg", b"\xff\xd8\xff" + b"x" * 2000)], fmt="wds",
                record_progress=False)
    data = (tmp_path / "x-000000.tar").read_bytes()
    for bad in (data[:1000], data[:100] + b"\x01" + data[101:], b""):
        assert _member_names(io.BytesIO(bad)) is None
    (tmp_path / "cut.tar").write_bytes(data[:1000])
    with pytest.raises(tarfile.ReadError):
        wds_image_formats([tmp_path / "cut.tar"])
