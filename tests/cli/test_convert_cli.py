"""``rt2data convert`` / ``stats`` / ``detokenize --manifest`` from a shell, and readers that are not ours."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from rt2data.spec.model import DatasetSpec

pytestmark = pytest.mark.slow

RT2DATA = [sys.executable, "-m", "rt2data.cli.main"]


def run(*args, check=True):
    proc = subprocess.run([*RT2DATA, *map(str, args)], capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"rt2data {args} exited {proc.returncode}:\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def converted(rlds_dataset, tmp_path_factory):
    ds_dir = rlds_dataset("fractal20220817_data", episodes=3, steps=5, shards=2)
    out = tmp_path_factory.mktemp("cli") / "out"
    proc = run("convert", ds_dir, out, "--spec", "fractal20220817_data", "--format", "both", "--shard-examples", "4")
    return ds_dir, out, proc


def test_convert_prints_a_summary_and_writes_both_formats(converted):
    _, out, proc = converted
    assert "15 examples from 15 steps" in proc.stdout
    assert "apitools" not in proc.stderr and "Traceback" not in proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    # 15 steps in 2 input shards (10 + 5), cut into shards of at most 4: 4 4 2 | 4 1
    assert [s["count"] for s in manifest["shards"]["wds"]] == [4, 4, 2, 4, 1]
    assert len(list(out.glob("fractal20220817_data-*.tar"))) == 5
    assert len(list(out.glob("fractal20220817_data-*.tfrecord"))) == 5


def test_detokenize_with_the_manifest_gives_raw_units(converted):
    _, out, _ = converted
    import webdataset as wds

    sample = next(iter(wds.WebDataset(str(out / "fractal20220817_data-000000.tar"), shardshuffle=False)))
    meta = json.loads(sample["json"])
    proc = run("detokenize", "--manifest", out / "manifest.json", meta["target"])
    decoded = np.array(json.loads(proc.stdout))
    raw = np.array(meta["action_raw"])
    stats = json.loads((out / "dataset_statistics.json").read_text())["fractal20220817_data"]["action"]
    # within half a bin of the raw action in the dataset's units (q01/q99 normalized dims: width (q99-q01)/256)
    span = np.array(stats["q99"]) - np.array(stats["q01"])
    mask = np.array(DatasetSpec.load("fractal20220817_data").normalization.mask)
    tol = np.where(mask, span / 256, 1 / 256) + 1e-9
    inside = (raw >= np.array(stats["q01"])) & (raw <= np.array(stats["q99"])) | ~mask
    assert np.all(np.abs(decoded - raw)[inside] <= tol[inside])


def test_stats_command_prints_openvla_layout(converted):
    ds_dir, _, _ = converted
    proc = run("stats", ds_dir, "--spec", "fractal20220817_data")
    doc = json.loads(proc.stdout)
    entry = doc["fractal20220817_data"]
    assert entry["num_trajectories"] == 3 and entry["num_transitions"] == 15
    assert set(entry["action"]) == {"mean", "std", "min", "max", "q01", "q99"}
    assert doc["rt2data"]["codec"]["action_space"]["dimensions"][0]["name"] == "terminate"


def test_user_errors_are_one_line(converted, tmp_path):
    ds_dir, out, _ = converted
    proc = run("convert", ds_dir, out, "--spec", "fractal20220817_data", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("error: output directory") and "--overwrite" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = run("convert", ds_dir, tmp_path / "x", "--spec", "bridge", check=False)
    assert proc.returncode == 1 and "does not match" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("convert", ds_dir, tmp_path / "y", "--spec", "no_such_spec", check=False)
    assert proc.returncode == 1 and "no_such_spec" in proc.stderr


def test_hugging_face_datasets_reads_the_shards(converted):
    datasets = pytest.importorskip("datasets", reason="Hugging Face datasets is not installed")
    _, out, _ = converted
    files = sorted(str(p) for p in out.glob("*.tar"))
    ds = datasets.load_dataset("webdataset", data_files={"train": files}, split="train")
    assert len(ds) == 15
    row = ds[0]
    assert row["json"]["kind"] == "action" and row["json"]["target"].count(" ") == 7


def test_tf_data_reads_the_tfrecords(converted):
    tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed (optional extra rt2data[tensorflow])")
    _, out, _ = converted


    files = sorted(str(p) for p in out.glob("*.tfrecord"))
    spec = {
        "image": tf.io.FixedLenFeature([], tf.string),
        "prompt": tf.io.FixedLenFeature([], tf.string),
        "target": tf.io.FixedLenFeature([], tf.string),
        "action_tokens": tf.io.VarLenFeature(tf.int64),
    }
    n = sum(1 for _ in tf.data.TFRecordDataset(files).map(lambda r: tf.io.parse_single_example(r, spec)))
    assert n == 15


def test_spec_missing_instruction_policy_is_the_default(rlds_dataset, tmp_path):
    from click.testing import CliRunner

    from rt2data.cli.main import cli

    ds_dir = rlds_dataset("bridge_dataset", episodes=2, steps=3, shards=1, blank_instruction_episodes=(1,))
    data = DatasetSpec.load("bridge_dataset").to_dict()
    data["instruction"]["missing"] = "keep"
    spec_file = tmp_path / "bridge_keep.json"
    spec_file.write_text(json.dumps(data))
    runner = CliRunner()
    res = runner.invoke(cli, ["-q", "convert", str(ds_dir), str(tmp_path / "keep"), "--spec", str(spec_file)])
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "keep" / "manifest.json").read_text())
    assert manifest["accounting"] == {"input": 6, "written": 6, "dropped": {}}
    assert manifest["config"]["convert"]["missing_instruction"] == "keep"
    res = runner.invoke(cli, ["-q", "convert", str(ds_dir), str(tmp_path / "drop"), "--spec", str(spec_file),
                              "--missing-instruction", "drop"])  # the flag overrides the spec
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "drop" / "manifest.json").read_text())
    assert manifest["accounting"] == {"input": 6, "written": 3, "dropped": {"no_instruction": 3}}


def test_corrupt_input_is_one_error_line_without_beams_traceback(tmp_path):
    from rt2data.testing import rlds_builders as rb

    ds_dir = rb.build_dataset("bridge_dataset", tmp_path / "ds", episodes=2, steps=3, shards=1)
    (shard,) = sorted(ds_dir.glob("*.tfrecord*"))
    offset = rb.corrupt_record(shard, 1)
    proc = run("convert", ds_dir, tmp_path / "out", "--spec", "bridge_dataset", check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"byte offset {offset}" in lines[0], proc.stderr


def test_summary_names_dead_lettered_records(tmp_path):
    from click.testing import CliRunner

    from rt2data.cli.main import cli
    from rt2data.testing import rlds_builders as rb

    ds_dir = rb.build_dataset("bridge_dataset", tmp_path / "ds", episodes=2, steps=3, shards=1)
    rb.append_record(ds_dir, rb.serialize_wrong_shape(ds_dir, key="steps/action", size=3))
    res = CliRunner().invoke(cli, ["-q", "convert", str(ds_dir), str(tmp_path / "out"), "--spec", "bridge_dataset",
                                   "--corrupt", "skip"])
    assert res.exit_code == 0, res.output
    assert "6 examples from 6 steps" in res.output and "unreadable records dead-lettered: decode_error 1" in res.output
