"""convert under bad input: every declared record accounted, NaN actions dropped by the statistics pass as by
convert, statistics written only into OUT."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rt2data.pipelines.convert import ConvertJob, run_convert
from rt2data.testing import rlds_builders as rb

pytestmark = pytest.mark.slow


def _convert(ds_dir, out, **kw):
    job_kw = {k: kw.pop(k) for k in list(kw) if k in ConvertJob.__dataclass_fields__}
    return run_convert(ConvertJob(dataset_dir=str(ds_dir), spec="bridge_dataset", **job_kw), out, **kw)


def _letters(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "dead_letters.jsonl").read_text().splitlines()]


def test_corrupt_header_under_skip_accounts_every_declared_episode(tmp_path):
    ds_dir = rb.build_dataset("bridge_dataset", tmp_path / "ds", episodes=4, steps=2, shards=1, image_size=(8, 8))
    (shard,) = sorted(ds_dir.glob("*.tfrecord*"))
    rb.corrupt_record(shard, 1, where="header")
    m = _convert(ds_dir, tmp_path / "out", corrupt="skip")
    episodes = m.sources["bridge_dataset"]["episodes"]
    assert episodes["input"] == 4  # what dataset_info.json declares
    assert episodes["records_dropped"] == {"corrupt_header": 1, "unreadable_after_corruption": 2}
    letters = _letters(tmp_path / "out")
    assert [(d["reason"], d["record_index"], d["records"]) for d in letters] == [
        ("corrupt_header", 1, 1), ("unreadable_after_corruption", 2, 2)]


def test_nan_action_is_dropped_by_the_statistics_pass_too(tmp_path):
    ds_dir = rb.build_dataset("bridge_dataset", tmp_path / "ds", episodes=2, steps=4, shards=1, image_size=(8, 8))
    rb.append_record(ds_dir, rb.serialize_with_value(ds_dir, key="steps/action", step=1, value=float("nan")))
    m = _convert(ds_dir, tmp_path / "out")  # the statistics pass runs first, and used to crash here
    assert m.accounting.input == 12 and m.accounting.dropped == {"non_finite_action": 1}
    stats = json.loads((tmp_path / "out" / "dataset_statistics.json").read_text())
    assert stats["bridge_dataset"]["num_transitions"] == 11  # the dropped step is left out, as convert drops it
    assert [d["reason"] for d in _letters(tmp_path / "out")] == ["non_finite_action"]
    _validate_catches_edited_statistics_and_dead_letters(tmp_path / "out")


def _validate_catches_edited_statistics_and_dead_letters(out: Path) -> None:
    import shutil

    from rt2data.inspection.validate import validate_output

    assert validate_output(out).ok
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == {"dataset_statistics.json", "dead_letters.jsonl"}

    def problems(name: str, edit) -> list[str]:
        copy = out.parent / name
        shutil.copytree(out, copy)
        edit(copy)
        report = validate_output(copy)
        assert not report.ok
        return [str(p) for p in report.problems]

    def q99(copy: Path) -> None:
        doc = json.loads((copy / "dataset_statistics.json").read_text())
        doc["bridge_dataset"]["action"]["q99"][1] += 0.5
        (copy / "dataset_statistics.json").write_text(json.dumps(doc))

    assert any(p.startswith("dataset_statistics.json: sha256") for p in problems("q99", q99))

    got = problems("emptied", lambda copy: (copy / "dead_letters.jsonl").write_text(""))
    assert any(p.startswith("dead_letters.jsonl: sha256") for p in got)
    assert any("holds 0 dead letters; the manifest says 1" in p for p in got)

    def claims(copy: Path) -> None:  # the manifest claims drops the dead letters do not hold (still balanced)
        doc = json.loads((copy / "manifest.json").read_text())
        doc["accounting"]["dropped"] = {"idle_action": 1}
        (copy / "manifest.json").write_text(json.dumps(doc))

    assert problems("claims", claims) == [
        "dead_letters.jsonl: dead letters account for dropped steps {'non_finite_action': 1}; the manifest's "
        "accounting says {'idle_action': 1}"]
