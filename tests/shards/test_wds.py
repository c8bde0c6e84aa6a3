"""WebDataset tar shards: deterministic bytes, read back by `webdataset` and Hugging Face `datasets`."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
import webdataset as wds
from PIL import Image

from rt2data.errors import DataError
from rt2data.example import Example
from rt2data.shards import iter_examples, iter_shard, write_shard, write_shards
from rt2data.shards.formats.wds import TAR_FORMAT, encode_sample, tar_end_size


def _image(i: int, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (i * 37 % 256, 40, 200)).save(buf, format={"jpg": "JPEG", "png": "PNG"}[fmt])
    return buf.getvalue()


def _examples(n: int, *, fmt: str = "jpg", mixed: bool = False) -> list[Example]:
    out = []
    for i in range(n):
        image_format = ("png" if i % 2 else "jpg") if mixed else fmt
        if i % 3 == 2 and mixed:
            out.append(Example(key=f"web-{i:04d}", image=_image(i, image_format), image_format=image_format,
                               prompt="Caption:", target=f"a photo {i}", kind="caption", source="coco",
                               template_id="caption-v1"))
        else:
            out.append(Example(key=f"robot-ep{i // 4}-{i % 4}", image=_image(i, image_format),
                               image_format=image_format, prompt="Q: what action should the robot take to pick? A:",
                               target="1 2 3", kind="action", source="bridge", template_id="rt2-action-v1",
                               instruction="pick", episode_id=f"ep{i // 4}", step=i % 4,
                               action_raw=(0.1 * i, -1.0, 2.5), action_tokens=(1, 2, 3)))
    return out


def test_tar_bytes_equal_tarfile_addfile(tmp_path):
    exs = _examples(5)
    info = write_shard(tmp_path, "s-000000.tar", exs, fmt="wds")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=TAR_FORMAT) as tar:
        for ex in exs:
            for name, data in sorted([(f"{ex.key}.jpg", ex.image), (f"{ex.key}.json", ex.to_json_bytes())]):
                ti = tarfile.TarInfo(name)
                ti.size, ti.mtime, ti.mode, ti.uname, ti.gname = len(data), 0, 0o644, "", ""
                tar.addfile(ti, io.BytesIO(data))
    assert (tmp_path / "s-000000.tar").read_bytes() == buf.getvalue()
    assert info.bytes == len(buf.getvalue())
    with tarfile.open(tmp_path / "s-000000.tar") as tar:
        members = tar.getmembers()
    assert [m.name for m in members[:2]] == ["robot-ep0-0.jpg", "robot-ep0-0.json"]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {(0, 0, 0, "", "", 0o644)}


def test_size_estimate_is_exact_with_long_names():
    ex = _examples(1)[0].replace(key="k" * 200)  # > 100 characters: PAX headers carry the path
    sample = encode_sample(ex)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=TAR_FORMAT) as tar:
        for name, data in sorted([(f"{ex.key}.jpg", ex.image), (f"{ex.key}.json", ex.to_json_bytes())]):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode, ti.uname, ti.gname = len(data), 0, 0o644, "", ""
            tar.addfile(ti, io.BytesIO(data))
    assert sample.size + tar_end_size(sample.size) == len(buf.getvalue())
    assert buf.getvalue().startswith(sample.data)


def test_webdataset_reads_raw_and_decoded(tmp_path):
    exs = _examples(10)
    infos = write_shards(tmp_path, exs, fmt="wds", prefix="robot", shard_examples=4)
    urls = [str(tmp_path / i.name) for i in infos]
    samples = list(wds.WebDataset(urls, shardshuffle=False, empty_check=False))
    assert [s["__key__"] for s in samples] == [e.key for e in exs]
    for sample, ex in zip(samples, exs):
        assert sample["jpg"] == ex.image and sample["json"] == ex.to_json_bytes()
    decoded = list(wds.WebDataset(urls, shardshuffle=False, empty_check=False).decode("pil"))
    assert decoded[3]["json"]["action_raw"] == list(exs[3].action_raw)
    assert decoded[3]["jpg"].size == (8, 6)


def test_mixed_kinds_and_formats_read_back(tmp_path):
    exs = _examples(9, mixed=True)
    infos = write_shards(tmp_path, exs, fmt="wds", prefix="mix", shard_examples=5)
    assert list(iter_examples([tmp_path / i.name for i in infos])) == exs
    samples = list(wds.WebDataset([str(tmp_path / i.name) for i in infos], shardshuffle=False))
    assert [sorted(k for k in s if not k.startswith("__")) for s in samples[:2]] == [["jpg", "json"], ["json", "png"]]


def _evil_tar(path, names):
    with tarfile.open(path, "w", format=TAR_FORMAT) as tar:
        for name in names:
            ti = tarfile.TarInfo(name)
            ti.size = 2
            tar.addfile(ti, io.BytesIO(b"{}"))


@pytest.mark.parametrize("name", ["../evil.json", "/abs/evil.json", "a/../../evil.json", "dir/x.json", "noext"])
def test_escaping_or_foreign_member_rejected(tmp_path, name):
    path = tmp_path / "evil-000000.tar"
    _evil_tar(path, [name])
    with pytest.raises(DataError) as info:
        list(iter_shard(path))
    assert str(path) in str(info.value) and repr(name) in str(info.value)


def test_bad_samples_rejected(tmp_path):
    ex = _examples(1)[0]
    path = tmp_path / "bad-000000.tar"
    with tarfile.open(path, "w", format=TAR_FORMAT) as tar:
        for name, data in [(f"{ex.key}.json", ex.to_json_bytes())]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))
    with pytest.raises(DataError, match="exactly one image member"):
        list(iter_shard(path))
    fields = json.loads(ex.to_json_bytes())
    fields["key"] = "other"
    with tarfile.open(path, "w", format=TAR_FORMAT) as tar:
        for name, data in [(f"{ex.key}.jpg", ex.image), (f"{ex.key}.json", json.dumps(fields).encode())]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))
    with pytest.raises(DataError, match="not the member stem"):
        list(iter_shard(path))


def test_truncated_tar_is_data_error(tmp_path):
    write_shard(tmp_path, "t-000000.tar", _examples(3), fmt="wds")
    path = tmp_path / "t-000000.tar"
    path.write_bytes(path.read_bytes()[:1500])
    with pytest.raises(DataError, match="t-000000.tar"):
        list(iter_shard(path))


@pytest.fixture
def hf_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


def test_huggingface_datasets_reads_shards(tmp_path, hf_offline):
    """`datasets.load_dataset("webdataset", ...)` with no rt2data code (skipped without `datasets`)."""
    datasets = pytest.importorskip("datasets")
    robot = _examples(8)
    (tmp_path / "robot").mkdir()
    infos = write_shards(tmp_path / "robot", robot, fmt="wds", prefix="r", shard_examples=3)
    files = [str(tmp_path / "robot" / i.name) for i in infos]
    ds = datasets.load_dataset("webdataset", data_files={"train": files}, split="train",
                               cache_dir=str(tmp_path / "cache"))
    assert ds["__key__"] == [e.key for e in robot]
    assert ds[5]["json"]["action_raw"] == list(robot[5].action_raw)
    assert ds[5]["jpg"].size == (8, 6)


def test_huggingface_datasets_reads_mixtures_with_features(tmp_path, hf_offline):
    """Mixtures (null action fields, JPEG and PNG) need explicit features; inference alone fails on them."""
    datasets = pytest.importorskip("datasets")
    from rt2data.shards import HF_FEATURES_DOC, hf_webdataset_features

    (tmp_path / "mix").mkdir()
    mix = _examples(9, mixed=True)
    infos = write_shards(tmp_path / "mix", mix, fmt="wds", prefix="m", shard_examples=4)
    files = [str(tmp_path / "mix" / i.name) for i in infos]
    ds = datasets.load_dataset("webdataset", data_files={"train": files}, split="train",
                               cache_dir=str(tmp_path / "cache"), features=hf_webdataset_features(["jpg", "png"]))
    assert ds["__key__"] == [e.key for e in mix]
    assert ds[2]["json"]["action_raw"] is None and ds[2]["json"]["kind"] == "caption"
    assert ds[1]["png"].size == (8, 6) and ds[1]["jpg"] is None
    # The README snippet (plain datasets code) gives the same features.
    namespace: dict = {}
    exec(HF_FEATURES_DOC.split("ds = ")[0], namespace)
    assert namespace["features"] == hf_webdataset_features(["jpg", "png"])
