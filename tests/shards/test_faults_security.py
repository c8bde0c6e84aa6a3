"""Names read back from files in OUT (ledger, manifest, staging markers) never reach outside OUT."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rt2data.errors import OutputError, Rt2DataError
from rt2data.example import Example
from rt2data.shards import (
    Accounting,
    Manifest,
    config_fingerprint,
    finalize_output,
    prepare_output_dir,
    verify_output,
    write_shard_at,
    write_shards,
)
from rt2data.shards.files import LEDGER_NAME, inside

FP = config_fingerprint({"t": 1})


def _examples(n: int) -> list[Example]:
    return [Example(key=f"k{i}", image=bytes([i]) * 20, image_format="jpg", prompt="p", target="t",
                    kind="caption", source="web", template_id="c") for i in range(n)]


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim.tar"
    victim.write_bytes(b"not yours")
    return victim


def test_resume_ignores_ledger_names_outside_out(tmp_path):
    victim = _victim(tmp_path)
    out = tmp_path / "out"
    prepare_output_dir(out, config_fingerprint=FP)
    first = write_shard_at(out, _examples(2), index=0, fmt="wds", prefix="x")
    bad = {**first.to_json_dict(), "name": "../victim.tar"}
    with open(out / LEDGER_NAME, "a") as f:
        f.write(json.dumps(bad) + "\n")
    kept = prepare_output_dir(out, resume=True, config_fingerprint=FP)
    assert list(kept) == [first.name]
    assert victim.read_bytes() == b"not yours"


def test_resume_refuses_a_symlinked_shard_that_leaves_out(tmp_path):
    victim = _victim(tmp_path)
    out = tmp_path / "out"
    prepare_output_dir(out, config_fingerprint=FP)
    info = write_shard_at(out, _examples(2), index=0, fmt="wds", prefix="x")
    (out / info.name).unlink()
    (out / info.name).symlink_to(victim)  # same name, resolves outside OUT
    with pytest.raises(OutputError, match="points outside"):
        prepare_output_dir(out, resume=True, config_fingerprint=FP)
    assert victim.read_bytes() == b"not yours"


def test_manifest_names_outside_out_are_refused(tmp_path):
    victim = _victim(tmp_path)
    out = tmp_path / "out"
    prepare_output_dir(out, config_fingerprint=FP)
    infos = write_shards(out, _examples(3), fmt="wds", prefix="x", shard_examples=3)
    finalize_output(out, infos, manifest=Manifest(kind="mix", config={"t": 1}, config_fingerprint=FP,
                                                  shards={"wds": infos}, accounting=Accounting(3, 3, {})))
    doc = json.loads((out / "manifest.json").read_text())
    doc["shards"]["wds"][0]["name"] = "../victim.tar"
    (out / "manifest.json").write_text(json.dumps(doc))
    report = verify_output(out)
    assert not report.ok and "../victim.tar" in report.problems[0].message
    with pytest.raises(OutputError, match="unreadable"):
        prepare_output_dir(out, resume=True, config_fingerprint=FP)
    assert victim.read_bytes() == b"not yours"


@pytest.mark.parametrize("name", ["../victim.tar", "/etc/passwd", "..", "", "a/b"])
def test_inside_refuses_names_that_leave_the_directory(tmp_path, name):
    with pytest.raises(OutputError, match="outside"):
        inside(tmp_path, name)
    assert inside(tmp_path, "x-000000.tar") == tmp_path / "x-000000.tar"


@pytest.mark.parametrize("name", ["../victim.tar", "/etc/passwd", "..", ".", "", "a/b", "a\\b"])
def test_inside_a_url_out_checks_the_plain_name(name):
    # An object store has no symlinks: the name alone decides; nothing is contacted.
    with pytest.raises(OutputError, match="outside"):
        inside("s3://bucket/out", name)
    assert inside("s3://bucket/out", "x-000000.tar") == "s3://bucket/out/x-000000.tar"


def test_convert_staging_marker_names_outside_out_are_refused(tmp_path):
    from rt2data.pipelines.convert import _read_marker, _rename_parts

    victim = _victim(tmp_path)
    out = tmp_path / "out"
    staging = out / ".staging"
    staging.mkdir(parents=True)
    info = write_shard_at(staging, _examples(2), index=0, fmt="wds", prefix="in00000-r000000")
    part = {**info.to_json_dict(), "name": "../../victim.tar", "sha256": "0" * 64}
    marker = staging / "in00000-r000000.done.json"
    marker.write_text(json.dumps({"fingerprint": "f", "result": {"parts": {"wds": [part]}}}))
    assert _read_marker(marker, "f") is None  # not trusted: the input shard is converted again
    with pytest.raises(Rt2DataError, match="not a shard file name"):
        _rename_parts(out, staging, [{"parts": {"wds": [part]}}], ("wds",), "x")
    assert victim.read_bytes() == b"not yours"
