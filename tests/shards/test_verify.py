"""verify_output: a good output passes; tampering of any kind is caught and located."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from rt2data.example import Example
from rt2data.shards import (
    Accounting,
    Manifest,
    config_fingerprint,
    finalize_output,
    iter_examples,
    load_manifest,
    prepare_output_dir,
    verify_output,
    write_manifest,
    write_shards,
)
from rt2data.errors import DataError
from rt2data.shards.formats.wds import TAR_FORMAT

CONFIG = {"spec": "bridge", "shard_examples": 4}


def _examples(n: int) -> list[Example]:
    return [Example(key=f"ep{i // 5}-{i % 5}", image=b"\xff\xd8\xff" + bytes([i]) * 64, image_format="jpg",
                    prompt="Q: what action should the robot take to pick? A:", target=f"1 {i} 3", kind="action",
                    source="bridge", template_id="rt2-action-v1", instruction="pick", episode_id=f"ep{i // 5}",
                    step=i % 5, action_raw=(0.5, -0.25 * i, 1.0), action_tokens=(1, i, 3)) for i in range(n)]


def _output(out: Path, n: int = 10, dropped: int = 2) -> Manifest:
    prepare_output_dir(out, config_fingerprint=config_fingerprint(CONFIG))
    exs = _examples(n)
    shards = {fmt: write_shards(out, exs, fmt=fmt, prefix="bridge", shard_examples=4) for fmt in ("wds", "tfrecord")}
    manifest = Manifest(kind="convert", config=CONFIG, shards=shards,
                        accounting=Accounting(n + dropped, n, {"no_instruction": dropped}))
    finalize_output(out, [i for infos in shards.values() for i in infos], manifest=manifest)
    return manifest


def test_good_output_passes(tmp_path):
    _output(tmp_path)
    report = verify_output(tmp_path)
    assert report.ok and report.problems == []
    assert (report.shards_checked, report.examples_checked) == (6, 20)
    assert report.to_json_dict()["ok"] is True


@pytest.mark.parametrize("fmt,offset", [("wds", 600), ("wds", 5), ("tfrecord", 40), ("tfrecord", 3)])
def test_tampered_byte_is_caught(tmp_path, fmt, offset):
    manifest = _output(tmp_path)
    name = manifest.shards[fmt][1].name
    path = tmp_path / name
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x20
    path.write_bytes(bytes(raw))
    report = verify_output(tmp_path)
    assert not report.ok
    assert any(p.shard == name and "sha256" in p.message for p in report.problems)
    assert all(p.shard == name for p in report.problems)
    with pytest.raises(DataError, match=name):
        list(iter_examples(tmp_path, fmt=fmt, verify=True))


def test_manifest_mismatches_are_reported(tmp_path):
    _output(tmp_path)
    doc = json.loads((tmp_path / "manifest.json").read_text())
    doc["shards"]["wds"][0]["count"] = 5
    doc["shards"]["wds"][0]["counts_by_source"] = {"bridge": 3}
    doc["accounting"]["written"] = 11
    (tmp_path / "manifest.json").write_text(json.dumps(doc))
    (tmp_path / "bridge-000099.tar").write_bytes(b"")
    messages = [str(p) for p in verify_output(tmp_path).problems]
    assert any("accounting does not balance" in m for m in messages)
    assert any("tfrecord shards hold 10 examples, accounting says 11" in m for m in messages)
    assert any(m.startswith("bridge-000000.tar: count is 4, the manifest says 5") for m in messages)
    assert any("counts_by_source" in m for m in messages)
    assert any(m.startswith("bridge-000099.tar: shard file not listed") for m in messages)


def _rewrite_tar(path: Path, edit) -> None:
    with tarfile.open(path) as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(path, "w", format=TAR_FORMAT) as tar:
        for name, data in edit(members):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_schema_duplicates_and_sample_shape(tmp_path):
    manifest = _output(tmp_path)
    first, second = (tmp_path / i.name for i in manifest.shards["wds"][:2])

    def bad_json(members):
        out = []
        for name, data in members:
            if name == "ep0-1.json":
                fields = json.loads(data)
                fields["step"] = -3  # the schema says step >= 0
                data = json.dumps(fields).encode()
            out.append((name, data))
        return out

    with tarfile.open(first) as tar:
        copied = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()[:2]]  # sample ep0-0
    _rewrite_tar(first, bad_json)
    _rewrite_tar(second, lambda members: [m for m in members if m[0] != "ep0-4.jpg"] + copied)
    problems = verify_output(tmp_path).problems
    found = {(p.shard, p.key): p.message for p in problems}
    assert "step" in found[(first.name, "ep0-1")]
    assert "exactly one image member" in found[(second.name, "ep0-4")]
    assert "duplicate key" in found[(second.name, "ep0-0")]
    assert verify_output(tmp_path, check_schema=False).problems != problems


def test_check_example_hook_and_missing_things(tmp_path):
    _output(tmp_path)
    report = verify_output(tmp_path, check_example=lambda ex: [f"odd token {ex.action_tokens[1]}"]
                           if ex.action_tokens[1] % 2 else [])
    assert not report.ok
    assert {(p.key, p.message) for p in report.problems} >= {("ep0-1", "odd token 1"), ("ep1-4", "odd token 9")}
    assert len(report.problems) == 10  # 5 odd tokens x 2 formats
    (tmp_path / load_manifest(tmp_path).shards["tfrecord"][2].name).unlink()
    assert any("missing" in p.message for p in verify_output(tmp_path).problems)
    (tmp_path / "manifest.json").unlink()
    report = verify_output(tmp_path)
    assert not report.ok and "no manifest" in report.problems[0].message


def test_rewritten_manifest_still_verifies(tmp_path):
    manifest = _output(tmp_path)
    write_manifest(tmp_path, manifest)
    assert verify_output(tmp_path).ok
