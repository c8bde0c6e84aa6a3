"""``rt2data.io`` on local paths (the same calls the pipelines make on URLs) and its errors."""

from __future__ import annotations

import pytest

from rt2data import io
from rt2data.errors import ConfigError, DataError


def test_local_paths_round_trip(tmp_path):
    path = io.join(tmp_path, "a.bin")
    io.write_bytes(path, b"hello")
    assert io.read_bytes(path) == b"hello" and io.size(path) == 5 and io.is_file(path)
    io.makedirs(io.join(tmp_path, "sub"))
    io.copy(path, io.join(tmp_path, "b.bin"))
    io.rename(io.join(tmp_path, "b.bin"), io.join(tmp_path, "c.bin"))
    assert io.listdir(tmp_path) == ["a.bin", "c.bin"]  # files only: "sub" is a directory
    assert io.list_sizes(tmp_path) == {"a.bin": 5, "c.bin": 5}
    assert io.glob(io.join(tmp_path, "*.bin")) == [str(tmp_path / "a.bin"), str(tmp_path / "c.bin")]
    io.delete([path, io.join(tmp_path, "missing")])
    assert not io.exists(path)
    with pytest.raises(DataError, match="no such file"):
        io.read_bytes(path)


def test_urls_are_joined_and_split_with_slashes():
    assert io.is_url("s3://b/x") and io.is_url("gs://b") and not io.is_url("/tmp/x") and not io.is_url("file:///x")
    assert io.join("s3://b/out/", "manifest.json") == "s3://b/out/manifest.json"
    assert io.basename("gs://b/out/x.tar") == "x.tar" and io.dirname("gs://b/out/x.tar") == "gs://b/out"
    assert io.scheme("GS://b") == "gs"


def test_an_unknown_scheme_is_one_line_naming_what_to_install():
    with pytest.raises(ConfigError, match=r"no filesystem for nope:// URLs is installed") as info:
        io.read_bytes("nope://bucket/x")
    assert "\n" not in str(info.value)
    assert io.EXTRAS == {"s3": "aws", "gs": "gcp"}


@pytest.mark.parametrize("url, beam_module, sdk, extra", [
    ("s3://bucket/x", "apache_beam.io.aws.s3filesystem", "boto3", "aws"),
    ("gs://bucket/x", "apache_beam.io.gcp.gcsfilesystem", "google.cloud.storage", "gcp"),
])
def test_a_missing_sdk_names_the_extra(monkeypatch, url, beam_module, sdk, extra):
    pytest.importorskip(beam_module)
    monkeypatch.setitem(__import__("sys").modules, sdk, None)  # as if rt2data[aws] / rt2data[gcp] were not installed
    with pytest.raises(ConfigError, match=rf"{url}: .*pip install 'rt2data\[{extra}\]'") as info:
        io.read_bytes(url)
    assert "\n" not in str(info.value)
