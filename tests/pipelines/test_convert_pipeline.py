"""End-to-end ``convert``: tfds-built RLDS datasets in real layouts -> Beam (FnApiRunner) -> shards read back with
``webdataset`` and our TFRecord reader, checked step by step against the spec's canonical episodes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from rt2data.codec.action_codec import ActionCodec
from rt2data.convert import example_key
from rt2data.codec.bins import Discretizer
from rt2data.errors import DataError, OutputError, SpecError
from rt2data.pipelines.convert import ConvertJob, run_convert
from rt2data.pipelines.runner import RunnerOptions
from rt2data.rlds import open_dataset
from rt2data.shards import iter_examples, load_manifest, verify_output
from rt2data.shards.card import CARD_NAME, dataset_card, wds_image_formats
from rt2data.spec.model import DatasetSpec
from rt2data.testing import rlds_builders as rb
from rt2data.spec import standardize

pytestmark = pytest.mark.slow


def canonical_episodes(dataset_dir: Path, spec_name: str, split: str = "train"):
    """{(shard index, record index): CanonicalEpisode}, read directly with the library (the truth)."""
    spec = DatasetSpec.load(spec_name)
    ds = open_dataset(dataset_dir)
    out = {}
    for ref in ds.shards(split):
        for raw in ds.read_shard(ref):
            out[(ref.index, raw.record_index)] = standardize(spec, raw)
    return out


def shard_digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir()) if p.is_file()}


def convert(dataset_dir, out, spec, **kw):
    job_kw = {k: kw.pop(k) for k in list(kw) if k in ConvertJob.__dataclass_fields__}
    return run_convert(ConvertJob(dataset_dir=str(dataset_dir), spec=spec, **job_kw), out, **kw)


LAYOUTS = list(rb.LAYOUTS)  # one per shipped spec: "From a fresh clone, convert ... each shipped layout"


def test_every_shipped_spec_has_a_layout_under_test():
    from rt2data.spec.model import list_specs

    assert set(LAYOUTS) <= set(list_specs())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_step_decodes_to_its_action(rlds_dataset, tmp_path, layout):
    ds_dir = rlds_dataset(layout, episodes=3, steps=6, shards=2)
    out = tmp_path / "out"
    manifest = convert(ds_dir, out, layout, formats=("wds", "tfrecord"), shard_examples=7)
    truth = canonical_episodes(ds_dir, layout)
    total_steps = sum(ep.actions.shape[0] for ep in truth.values())

    assert manifest.accounting.input == total_steps
    assert manifest.accounting.written + sum(manifest.accounting.dropped.values()) == total_steps
    assert manifest.accounting.written == total_steps  # generated data has instructions and finite actions
    # the card's image formats, counted by the writers, are what a listing of the tars finds
    scanned = wds_image_formats(out / i.name for i in manifest.shards["wds"])
    assert (out / CARD_NAME).read_text(encoding="utf-8") == dataset_card(load_manifest(out), scanned)
    counts = [i.count for i in manifest.shards["wds"]]
    assert sum(counts) == total_steps and max(counts) == 7
    # each input shard is cut into shards of 7: only its last one may be smaller
    per_input = [sum(ep.actions.shape[0] for (s, _), ep in truth.items() if s == k) for k in sorted({s for s, _ in truth})]
    assert counts == [c for n in per_input for c in [7] * (n // 7) + ([n % 7] if n % 7 else [])]

    import webdataset as wds

    urls = [str(out / i.name) for i in manifest.shards["wds"]]
    samples = list(wds.WebDataset(urls, shardshuffle=False))
    assert len(samples) == total_steps
    codec = ActionCodec.from_file(out / "manifest.json")
    disc = Discretizer(codec.action_space)
    half_bin = np.array([d.bin_width / 2 if d.kind == "continuous" else 0.0 for d in codec.action_space.dims])
    by_key = {}
    for (shard, record), ep in truth.items():
        for t in range(ep.actions.shape[0]):
            by_key[example_key(layout, shard, record, t)] = (ep, t)
    for sample in samples:
        meta = json.loads(sample["json"])
        ep, t = by_key[meta["key"]]
        assert meta["episode_id"] == ep.episode_id and meta["step"] == t
        np.testing.assert_array_equal(np.array(meta["action_raw"]), ep.actions[t])
        tokens = [int(x) for x in meta["target"].split(" ")]
        assert tokens == meta["action_tokens"]
        # the target decodes to the original action within half a bin, where inside the normalization range
        norm = codec.normalization.normalize(ep.actions[t][None])[0]
        decoded = disc.dequantize(np.array([tokens]))[0]
        inside = np.abs(norm) <= 1.0
        assert np.all(np.abs(decoded - norm)[inside] <= half_bin[inside] + 1e-9), (meta["key"], decoded, norm)
        np.testing.assert_allclose(codec.decode_tokens(np.array([tokens]))[0][inside[None][0]],
                                   codec.normalization.denormalize(decoded[None])[0][inside])
        assert sample[ep.image_format] == ep.images[t]  # image bytes passed through untouched
        assert meta["prompt"] == f"Q: what action should the robot take to {meta['instruction']}? A:"

    # TFRecord shards hold the same examples, in the same order
    from_tfr = [ex.key for ex in iter_examples(out, fmt="tfrecord")]
    assert from_tfr == [json.loads(s["json"])["key"] for s in samples]
    assert verify_output(out).ok


def test_same_input_gives_byte_identical_output(rlds_dataset, tmp_path):
    ds_dir = rlds_dataset("fractal20220817_data", episodes=4, steps=5, shards=2)
    a = convert(ds_dir, tmp_path / "a", "fractal20220817_data", formats=("wds", "tfrecord"), shard_examples=6)
    b = convert(ds_dir, tmp_path / "b", "fractal20220817_data", formats=("wds", "tfrecord"), shard_examples=6)
    assert shard_digests(tmp_path / "a") == shard_digests(tmp_path / "b")
    assert a.to_json_dict() == b.to_json_dict()


def test_two_worker_processes_give_the_same_bytes(rlds_dataset, tmp_path):
    ds_dir = rlds_dataset("bridge_dataset", episodes=4, steps=5, shards=3)
    convert(ds_dir, tmp_path / "one", "bridge_dataset", shard_examples=6)
    convert(ds_dir, tmp_path / "two", "bridge_dataset", shard_examples=6, runner_options=RunnerOptions(workers=2))
    assert shard_digests(tmp_path / "one") == shard_digests(tmp_path / "two")


def test_shard_bytes_limit_is_exact(rlds_dataset, tmp_path):
    ds_dir = rlds_dataset("bridge_dataset", episodes=3, steps=6, shards=1)
    m = convert(ds_dir, tmp_path / "out", "bridge_dataset", shard_examples=None, shard_bytes=30_000)
    assert len(m.shards["wds"]) > 1
    assert all(i.bytes <= 30_000 for i in m.shards["wds"])
    assert [i.name for i in m.shards["wds"]] == [f"bridge_dataset-{k:06d}.tar" for k in range(len(m.shards["wds"]))]
    assert sum(i.count for i in m.shards["wds"]) == 18


def test_existing_output_is_refused_then_overwritten_or_resumed(rlds_dataset, tmp_path):
    ds_dir = rlds_dataset("bridge_dataset", episodes=2, steps=4, shards=1)
    out = tmp_path / "out"
    first = convert(ds_dir, out, "bridge_dataset")
    with pytest.raises(OutputError, match="--overwrite"):
        convert(ds_dir, out, "bridge_dataset")
    again = convert(ds_dir, out, "bridge_dataset", resume=True)  # complete and verified: nothing to do
    assert again.to_json_dict() == first.to_json_dict()
    (out / first.shards["wds"][0].name).write_bytes(b"tampered")
    redone = convert(ds_dir, out, "bridge_dataset", resume=True)
    assert verify_output(out).ok and redone.to_json_dict() == first.to_json_dict()
    with pytest.raises(OutputError, match="another configuration"):
        convert(ds_dir, out, "bridge_dataset", resume=True, shard_examples=3)
    convert(ds_dir, out, "bridge_dataset", overwrite=True, shard_examples=3)
    assert load_manifest(out).config["shard_examples"] == 3


def test_overwrite_with_another_dataset_does_not_reuse_its_statistics(tmp_path):
    a = rb.build_dataset("bridge_dataset", tmp_path / "a", episodes=3, steps=4, shards=1, seed=1)
    b = rb.build_dataset("bridge_dataset", tmp_path / "b", episodes=2, steps=4, shards=1, seed=2)
    out = tmp_path / "out"
    convert(a, out, "bridge_dataset")
    m = convert(b, out, "bridge_dataset", overwrite=True)
    assert m.statistics["bridge_dataset"]["num_transitions"] == m.accounting.input == 8
    stats_file = out / "dataset_statistics.json"
    before = stats_file.stat().st_mtime_ns
    again = convert(b, tmp_path / "out2", "bridge_dataset", stats_path=stats_file)
    assert again.statistics == m.statistics and stats_file.stat().st_mtime_ns == before  # same dataset: reused
    assert (tmp_path / "out2" / "dataset_statistics.json").read_bytes() == stats_file.read_bytes()  # its own copy
    # Another dataset's statistics given as input: computed into the run's own OUT, the given file untouched.
    other = convert(a, tmp_path / "out3", "bridge_dataset", stats_path=stats_file)
    assert stats_file.stat().st_mtime_ns == before and other.statistics["bridge_dataset"]["num_transitions"] == 12
    assert json.loads((tmp_path / "out3" / "dataset_statistics.json").read_text()) == other.statistics


def test_corrupt_record_errors_with_file_and_offset_or_is_dead_lettered(tmp_path):
    ds_dir = rb.build_dataset("bridge_dataset", tmp_path / "ds", episodes=3, steps=4, shards=1)
    (shard,) = sorted(ds_dir.glob("*.tfrecord*"))
    offset = rb.corrupt_record(shard, 1)
    with pytest.raises(DataError) as err:
        convert(ds_dir, tmp_path / "strict", "bridge_dataset")
    assert shard.name in str(err.value) and str(offset) in str(err.value)

    m = convert(ds_dir, tmp_path / "skip", "bridge_dataset", corrupt="skip")
    assert m.accounting.input == m.accounting.written == 8  # two readable episodes of 4 steps
    assert m.sources["bridge_dataset"]["episodes"]["records_dropped"] == {"crc_mismatch": 1}
    letters = [json.loads(line) for line in (tmp_path / "skip" / "dead_letters.jsonl").read_text().splitlines()]
    assert [(d["reason"], d["record_index"]) for d in letters] == [("crc_mismatch", 1)]
    assert str(offset) in letters[0]["detail"]


def test_episode_with_wrong_action_shape_stops_the_run_or_is_dead_lettered(tmp_path):
    ds_dir = rb.build_dataset("bridge_dataset", tmp_path / "ds", episodes=2, steps=4, shards=1)
    shard, index = rb.append_record(ds_dir, rb.serialize_wrong_shape(ds_dir, key="steps/action", size=3))
    with pytest.raises(DataError, match=rf"{shard.name}: record {index} .*does not decode"):
        convert(ds_dir, tmp_path / "strict", "bridge_dataset")  # --corrupt error (the default) stops the run
    m = convert(ds_dir, tmp_path / "out", "bridge_dataset", corrupt="skip")
    assert m.accounting.written == 8
    letters = [json.loads(line) for line in (tmp_path / "out" / "dead_letters.jsonl").read_text().splitlines()]
    assert len(letters) == 1 and letters[0]["record_index"] == index
    assert sum(m.sources["bridge_dataset"]["episodes"]["records_dropped"].values()) == 1


def test_filters_are_counted_by_reason(tmp_path):
    ds_dir = rb.build_dataset("bridge_dataset", tmp_path / "ds", episodes=3, steps=5, shards=1,
                              blank_instruction_episodes=[1])
    m = convert(ds_dir, tmp_path / "out", "bridge_dataset")
    assert m.accounting.input == 15
    assert m.accounting.dropped == {"no_instruction": 5}
    assert m.accounting.written == 10


def test_spec_that_does_not_match_fails_before_running(rlds_dataset, tmp_path):
    ds_dir = rlds_dataset("bridge_dataset", episodes=2, steps=3, shards=1)
    with pytest.raises(SpecError, match="does not match"):
        convert(ds_dir, tmp_path / "out", "fractal20220817_data")
    assert not (tmp_path / "out").exists()


def test_non_action_template_fails_before_running(rlds_dataset, tmp_path):
    from rt2data.convert import ConvertConfig
    from rt2data.errors import ConfigError

    ds_dir = rlds_dataset("bridge_dataset", episodes=2, steps=3, shards=1)
    config = ConvertConfig(source="bridge_dataset", template_id="rt2-vqa-v1")
    with pytest.raises(ConfigError, match="action template"):
        convert(ds_dir, tmp_path / "out", "bridge_dataset", convert=config)
    assert not (tmp_path / "out").exists()


def test_split_slices(rlds_dataset, tmp_path):
    ds_dir = rlds_dataset("bridge_dataset", episodes=4, steps=3, shards=2)
    m = convert(ds_dir, tmp_path / "out", "bridge_dataset", split="train[:50%]")
    assert m.accounting.input == 6
    stats = json.loads((tmp_path / "out" / "dataset_statistics.json").read_text())
    assert stats["rt2data"]["split"] == "train[:50%]" and stats["bridge_dataset"]["num_trajectories"] == 2


def _add_validation_split(ds_dir: Path) -> None:
    """A second split 'validation' holding copies of the train shards (shard and record indices restart)."""
    import shutil

    info_path = ds_dir / "dataset_info.json"
    info = json.loads(info_path.read_text())
    info["splits"].append({**info["splits"][0], "name": "validation"})
    info_path.write_text(json.dumps(info))
    for shard in sorted(ds_dir.glob("*-train.tfrecord*")):
        shutil.copy(shard, shard.with_name(shard.name.replace("-train.", "-validation.")))


def test_several_splits_keep_every_step_under_unique_keys(tmp_path):
    ds_dir = rb.build_dataset("bridge_dataset", tmp_path / "ds", episodes=3, steps=4, shards=2)
    _add_validation_split(ds_dir)
    m = convert(ds_dir, tmp_path / "out", "bridge_dataset", split="train+validation", shard_examples=5)
    assert m.accounting.input == m.accounting.written == 24
    import webdataset as wds

    urls = [str(tmp_path / "out" / i.name) for i in m.shards["wds"]]
    keys = [json.loads(s["json"])["key"] for s in wds.WebDataset(urls, shardshuffle=False)]
    assert len(keys) == len(set(keys)) == 24
    assert keys[0] == "bridge_dataset-train-s00000-r000000-t0000" and keys[-1].startswith("bridge_dataset-validation-")
    assert verify_output(tmp_path / "out").ok


@pytest.mark.shared
@pytest.mark.parametrize("name,spec", [("bridge", "bridge_oxe_v0"), ("language_table", "language_table")])
def test_real_oxe_feature_layouts(shared_data, tmp_path, name, spec):
    (features_json,) = (shared_data / "oxe_feature_json" / name).glob("*/features.json")
    ds_dir = rb.build_from_features_json(features_json, tmp_path / "ds", episodes=2, steps=4)
    m = convert(ds_dir, tmp_path / "out", spec)
    assert m.accounting.input == 8 and m.accounting.written + sum(m.accounting.dropped.values()) == 8
    assert verify_output(tmp_path / "out").ok


def test_resume_refuses_when_the_spec_file_changed(rlds_dataset, tmp_path):
    from rt2data.schemas import SPEC_DIR

    ds_dir = rlds_dataset("bridge_dataset", episodes=2, steps=4, shards=1)
    spec_file = tmp_path / "my_bridge.yaml"
    spec_file.write_text((SPEC_DIR / "bridge_dataset.yaml").read_text())
    out = tmp_path / "out"
    convert(ds_dir, out, str(spec_file))
    spec_file.write_text(spec_file.read_text().replace("method: q01_q99", "method: min_max"))
    with pytest.raises(OutputError, match="another configuration"):
        convert(ds_dir, out, str(spec_file), resume=True)


@pytest.mark.parametrize("workers", [1, 2])  # forked workers inherit the failing fsync
def test_a_failed_fsync_left_to_the_next_input_shard_fails_the_run_and_resume_redoes_it(tmp_path, monkeypatch,
                                                                                       workers):
    """The embedded runner leaves an input shard's last fsyncs and its marker to the worker's syncer while the next
    input shard converts. An fsync that fails there fails the run with the part's name, the input shard gets no
    marker, and ``--resume`` converts it again: the output is byte for byte a clean run's."""
    import errno
    import os
    import threading

    ds_dir = rb.build_dataset("bridge_dataset", tmp_path / "ds", episodes=6, steps=4, shards=3)
    clean = convert(ds_dir, tmp_path / "clean", "bridge_dataset", shard_examples=3, formats=("wds", "tfrecord"))
    real_fsync = os.fsync

    def fsync(fd):
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        if threading.current_thread().name.startswith("rt2data-sync") and "in00001-" in name and "done" not in name:
            raise OSError(errno.EIO, "Input/output error")
        return real_fsync(fd)

    out = tmp_path / "out"
    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError) as info:
        convert(ds_dir, out, "bridge_dataset", shard_examples=3, formats=("wds", "tfrecord"),
                runner_options=RunnerOptions(workers=workers))
    assert info.value.errno == errno.EIO and "in00001-" in info.value.filename
    markers = sorted(p.name for p in (out / ".staging").glob("*.done.json"))
    assert not any(m.startswith("in00001-") for m in markers)  # its parts are not all durable
    # One worker's syncer runs in order: in00000's marker comes before in00001's failing fsync. With two, the run may
    # stop before the other worker's syncer reached its marker (resume then redoes that shard too).
    assert markers or workers > 1
    monkeypatch.setattr(os, "fsync", real_fsync)
    again = convert(ds_dir, out, "bridge_dataset", shard_examples=3, formats=("wds", "tfrecord"), resume=True)
    assert again.to_json_dict() == clean.to_json_dict()
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == {
        p.name: p.read_bytes() for p in (tmp_path / "clean").iterdir() if p.is_file()}
