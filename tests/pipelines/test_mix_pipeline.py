"""``rt2data mix`` end to end on the embedded engine (the default) and on Beam's FnApiRunner and DaskRunner: robot
examples (written with the shards writer) + a VQA tar set + a caption Parquet table -> shards whose manifest shows
the realized ratio equal to the requested one, byte-identical across runs, engines, runners and worker counts, in
exactly the order the reference layout specifies."""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import webdataset as wds
import yaml
from click.testing import CliRunner
from PIL import Image

from rt2data.cli.main import cli
from rt2data.errors import OutputError
from rt2data.example import Example
from rt2data.mix.audit import plan_for_counts
from rt2data.testing.mix_oracle import reference_layout
from rt2data.mix.config import load_mixture
from rt2data.pipelines.mix import run_mix
from rt2data.pipelines.runner import RunnerOptions
from rt2data.shards import Accounting, Manifest, iter_examples, load_manifest, verify_output, write_manifest, write_shards

pytestmark = pytest.mark.slow


def jpeg(i: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (6, 4), (i * 7 % 256, 40, 90)).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def make_robot_output(out: Path, *, episodes: int = 6, steps: int = 5) -> list[str]:
    """A convert-style output: action examples in 2 shards + manifest.json. Returns the example keys."""
    out.mkdir(parents=True)
    examples = [
        Example(key=f"bridge-{e}-{s}", image=jpeg(e * 10 + s), image_format="jpg",
                prompt=f"Q: what action should the robot take to pick block {e}? A:",
                target=f"0 {128 + s} 127 127 127 127 127 {255 if s % 2 else 0}", kind="action", source="bridge",
                template_id="rt2-action-v1", instruction=f"pick block {e}", episode_id=f"ep{e}", step=s,
                action_raw=(0.0, 0.01 * s, 0, 0, 0, 0, 0, 1.0 if s % 2 else -1.0),
                action_tokens=(0, 128 + s, 127, 127, 127, 127, 127, 255 if s % 2 else 0))
        for e in range(episodes) for s in range(steps)
    ]
    infos = write_shards(out, examples, fmt="wds", prefix="bridge", shard_examples=16, record_progress=False)
    write_manifest(out, Manifest(kind="convert", config={"spec": "test"}, shards={"wds": infos},
                                 accounting=Accounting(input=len(examples), written=len(examples)),
                                 templates={"rt2-action-v1": "Q: what action should the robot take to {instruction}? A:"}))
    return [ex.key for ex in examples]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mixin")
    make_robot_output(root / "robot")
    (root / "vqa").mkdir()
    with wds.TarWriter(str(root / "vqa" / "vqa-000000.tar")) as sink:
        for i in range(10):
            sink.write({"__key__": f"q{i:02d}", "jpg": jpeg(100 + i),
                        "json": {"question": f"how many {i}?", "answer": [str(i), str(i), "many"]}})
        sink.write({"__key__": "noimage", "json": {"question": "where?", "answer": "here"}})
    with wds.TarWriter(str(root / "vqa" / "vqa-000001.tar")) as sink:
        for i in range(10, 14):
            sink.write({"__key__": f"q{i:02d}", "jpg": jpeg(100 + i), "json": {"question": f"q {i}?", "answer": "a"}})
        sink.write({"__key__": "q03", "jpg": jpeg(1), "json": {"question": "dup", "answer": "dup"}})  # duplicate key
        sink.write({"__key__": "badjson", "jpg": jpeg(2), "json": b"{oops"})
    captions = pa.table({"image": [{"bytes": jpeg(200 + i), "path": None} for i in range(9)] + [None],
                         "caption": [f"a picture number {i}" for i in range(9)] + ["no image"]})
    pq.write_table(captions, root / "captions.parquet", row_group_size=4)
    return root


def write_mixture(root: Path, name: str, **changes) -> Path:
    doc = {
        "seed": 11,
        "when_exhausted": "repeat",
        "output": {"examples": 96, "shard_examples": 32, "block_size": 8, "formats": ["wds"], "prefix": "mix"},
        "sources": [
            {"name": "robot", "kind": "examples", "path": "robot", "weight": 0.5},
            {"name": "vqa", "kind": "vqa", "format": "wds", "path": "vqa/vqa-{000000..000001}.tar", "weight": 0.25},
            {"name": "caps", "kind": "caption", "format": "parquet", "path": "captions.parquet", "weight": 0.25,
             "template": {"id": "cap-v2", "prompt": "Describe the image:"}},
        ],
    }
    for key, value in changes.items():
        if key == "output":
            doc["output"].update(value)
        elif key == "extra_sources":
            doc["sources"] += value
        else:
            doc[key] = value
    path = root / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def read_wds(out: Path) -> list[dict]:
    names = [info.name for info in load_manifest(out).shards["wds"]]
    samples = []
    for name in names:
        for s in wds.WebDataset(str(out / name), shardshuffle=False):
            samples.append({"key": s["__key__"], **json.loads(s["json"])})
    return samples


def tree_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


USABLE = {
    "vqa": [f"vqa-q{i:02d}" for i in range(14)],
    "caps": [f"caps-captions_{i}" for i in range(9)],
}


def test_mix_end_to_end_block_mode(inputs, tmp_path):
    mixture = load_mixture(write_mixture(inputs, "mix.yaml"))
    out = tmp_path / "out"
    manifest = run_mix(mixture, out)
    assert manifest.kind == "mix" and verify_output(out).ok

    # Realized ratio == requested ratio, overall and per shard; accounting balances.
    for name, fraction in (("robot", 0.5), ("vqa", 0.25), ("caps", 0.25)):
        entry = manifest.sources[name]
        assert entry["requested_fraction"] == entry["realized_fraction"] == fraction
        assert entry["planned_examples"] == entry["realized_examples"] == 96 * fraction
        assert all(v["planned"] == v["realized"] == 32 * fraction for v in entry["per_shard"].values())
    acc = manifest.accounting
    assert acc.written == 96 and acc.input == acc.written + sum(acc.dropped.values())
    assert manifest.sources["vqa"]["dead_letters"] == {"bad_record": 1, "duplicate_key": 1, "no_image": 1}
    assert manifest.sources["caps"]["dead_letters"] == {"no_image": 1}
    dup = next(s for s in manifest.sources["vqa"]["dead_letter_samples"] if s["reason"] == "duplicate_key")
    assert dup["key"] == "q03"
    # both samples are named by file and member, not by internal work-item numbers
    assert dup["where"].endswith("vqa-000001.tar::q03") and "vqa-000000.tar::q03" in dup["detail"]
    assert manifest.sources["vqa"]["epochs"] == 2 and manifest.sources["vqa"]["appearances"] == {"1": 4, "2": 10}
    assert manifest.templates == {"cap-v2": "Describe the image:", "vqa-v1": "Q: {question} A:",
                                  "rt2-action-v1": "Q: what action should the robot take to {instruction}? A:"}

    # Every block of 8 holds exactly 4 robot, 2 vqa, 2 caption examples; keys unique; fields right.
    samples = read_wds(out)
    assert len(samples) == 96 and len({s["key"] for s in samples}) == 96
    for b in range(12):
        assert Counter(s["source"] for s in samples[8 * b:8 * b + 8]) == {"robot": 4, "vqa": 2, "caps": 2}
    kinds = {s["source"]: s["kind"] for s in samples}
    assert kinds == {"robot": "action", "vqa": "vqa", "caps": "caption"}
    cap = next(s for s in samples if s["source"] == "caps")
    assert cap["prompt"] == "Describe the image:" and cap["template_id"] == "cap-v2"
    robot = next(s for s in samples if s["source"] == "robot")
    assert robot["action_tokens"] and robot["episode_id"].startswith("ep")

    # The exact order is the reference layout of the plan (hash ranks per epoch, block slots).
    usable = {**USABLE, "robot": [f"robot-bridge-{e}-{s}" for e in range(6) for s in range(5)]}
    plan = plan_for_counts(mixture, {k: len(v) for k, v in usable.items()})
    expected = [f"{key}-e{epoch}" for _, key, epoch in reference_layout(plan, usable)]
    assert [s["key"] for s in samples] == expected

    # A second run through the console script in another directory: byte-identical output.
    again = tmp_path / "again"
    exe = shutil.which("rt2data") or str(Path(sys.executable).with_name("rt2data"))
    proc = subprocess.run([exe, "mix", str(inputs / "mix.yaml"), str(again)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "robot" in proc.stdout and "0.5000" in proc.stdout
    assert tree_bytes(again) == tree_bytes(out)

    # Refused without --overwrite.
    result = CliRunner().invoke(cli, ["mix", str(inputs / "mix.yaml"), str(out)])
    assert isinstance(result.exception, OutputError) and "pass --overwrite" in str(result.exception)

    # --resume after losing a shard: the verified shards are kept, the lost one is rewritten identically.
    (again / "mix-000001.tar").unlink()
    result = CliRunner().invoke(cli, ["mix", str(inputs / "mix.yaml"), str(again), "--resume"])
    assert result.exit_code == 0, result.output
    assert tree_bytes(again) == tree_bytes(out)


def test_mix_two_workers_and_both_formats_same_bytes(inputs, tmp_path):
    path = write_mixture(inputs, "mix2.yaml", output={"block_size": None, "examples": 50, "shard_examples": 20})
    one, two = tmp_path / "one", tmp_path / "two"
    runner = CliRunner()
    result = runner.invoke(cli, ["mix", str(path), str(one), "--format", "both"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["mix", str(path), str(two), "--format", "both", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert tree_bytes(one) == tree_bytes(two)
    manifest = load_manifest(one)
    assert manifest.formats == ("wds", "tfrecord") and verify_output(one).ok
    assert [e.key for e in iter_examples(one, fmt="wds")] == [e.key for e in iter_examples(one, fmt="tfrecord")]
    # Global shuffle: exact totals (largest remainder of 50 = 25/12.5/12.5 -> 25/13/12), expected per shard.
    assert {n: s["realized_examples"] for n, s in manifest.sources.items()} == {"robot": 25, "vqa": 13, "caps": 12}
    assert manifest.sources["robot"]["per_shard"]["mix-000000.tar"]["planned"] == 10.0


@pytest.mark.parametrize("chunk", [1, 3000])
def test_spill_written_in_pieces_gives_the_same_bytes(inputs, tmp_path, monkeypatch, chunk):
    """The spill is written a megabyte at a time; flushed after every record, or every few, the output is the same."""
    import rt2data.pipelines.mix_local as mix_local

    path = write_mixture(inputs, "mix3.yaml", output={"block_size": None, "examples": 40, "shard_examples": 16})
    runner = CliRunner()
    result = runner.invoke(cli, ["mix", str(path), str(tmp_path / "default"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    monkeypatch.setattr(mix_local, "_SPILL_CHUNK", chunk)
    result = runner.invoke(cli, ["mix", str(path), str(tmp_path / "pieces"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert tree_bytes(tmp_path / "pieces") == tree_bytes(tmp_path / "default")


def _spilled_images(monkeypatch) -> dict[str, list]:
    """Wraps the embedded engine's pass 2 to read every spilled record first: per source, each image as spilled
    (bytes, or the tuple of the span it was left in and its file's signature)."""
    import pickle

    import rt2data.pipelines.mix_local as mix_local
    from rt2data.mix.records import IMAGE

    seen: dict[str, list] = {}
    original = mix_local.LocalMix.mix

    def mix(self, *args, **kwargs):
        for name in sorted(p for p in Path(self.spill).iterdir() if p.suffix == ".spill"):
            data = name.read_bytes()
            for _, _, offset, length in pickle.loads((name.with_suffix(".index")).read_bytes()):
                record = pickle.loads(data[offset:offset + length])[3]
                seen.setdefault(record[1], []).append(record[IMAGE])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(mix_local.LocalMix, "mix", mix)
    return seen


def test_images_read_whole_from_local_files_are_not_spilled(inputs, tmp_path, monkeypatch):
    """Pass 1 spills where an image lies in a local tar (a convert output's shard, a VQA tar), not its bytes; an
    image from a Parquet cell or converted to the output's image format is spilled. The shards are the same."""
    spilled = _spilled_images(monkeypatch)
    path = write_mixture(inputs, "spans.yaml", output={"block_size": None, "examples": 40, "shard_examples": 16})
    run_mix(load_mixture(path), tmp_path / "jpg", runner_options=RunnerOptions(workers=1))
    assert set(spilled) == {"robot", "vqa", "caps"}
    for source in ("robot", "vqa"):
        for at in spilled[source]:
            assert type(at) is tuple and len(at) == 6 and Path(at[0]).suffix == ".tar"
            with open(at[0], "rb") as f:
                f.seek(at[1])
                assert f.read(at[2])[:2] == b"\xff\xd8"  # the JPEG, where the span says
    assert all(type(image) is bytes for image in spilled["caps"])
    spilled.clear()
    run_mix(load_mixture(path), tmp_path / "png", image_format="png", runner_options=RunnerOptions(workers=1))
    assert {type(image) for images in spilled.values() for image in images} == {bytes}
    beam = tmp_path / "beam"
    run_mix(load_mixture(path), beam, runner_options=RunnerOptions(runner="FnApiRunner"))
    assert tree_bytes(tmp_path / "jpg") == tree_bytes(beam)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_source_tar_changed_between_the_passes_stops_the_run_naming_it(inputs, tmp_path, monkeypatch, workers):
    import rt2data.pipelines.mix_local as mix_local
    from rt2data.errors import DataError

    root = tmp_path / "in"
    shutil.copytree(inputs, root)
    tar = root / "vqa" / "vqa-000000.tar"
    original = mix_local.LocalMix.mix

    def mix(self, *args, **kwargs):
        with open(tar, "ab") as f:  # after pass 1 read it
            f.write(b"\0" * 512)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(mix_local.LocalMix, "mix", mix)
    path = write_mixture(root, "changed.yaml", output={"block_size": None, "examples": 40, "shard_examples": 16})
    with pytest.raises(DataError) as err:
        run_mix(load_mixture(path), tmp_path / "out", runner_options=RunnerOptions(workers=workers))
    assert str(err.value).startswith(f"{tar}: changed while it was in use (size ")
    assert not list((tmp_path / "out").rglob("*.spill")) and not (tmp_path / "out" / "manifest.json").exists()


def test_stop_and_exhaust_all_repetition_counts(inputs, tmp_path):
    # stop without a size: the mixture ends when the caption source would repeat; each caption exactly once.
    path = write_mixture(inputs, "stop.yaml", when_exhausted="stop", output={"examples": None, "block_size": 4})
    manifest = run_mix(load_mixture(path), tmp_path / "stop")
    samples = read_wds(tmp_path / "stop")
    per_item = Counter(s["key"].rsplit("-e", 1)[0] for s in samples)
    caps = [k for k in per_item if k.startswith("caps-")]
    assert sorted(caps) == sorted(USABLE["caps"]) and all(per_item[k] == 1 for k in caps)
    assert all(v == 1 for v in per_item.values())  # stop: nothing repeats
    assert manifest.sources["caps"]["appearances"] == {"1": 9}

    # exhaust_all: robot (30 items, weight 0.5) must be seen completely; small sources repeat.
    path = write_mixture(inputs, "all.yaml", when_exhausted="exhaust_all", output={"examples": 10, "block_size": 4})
    manifest = run_mix(load_mixture(path), tmp_path / "all")
    samples = read_wds(tmp_path / "all")
    per_item = Counter(s["key"].rsplit("-e", 1)[0] for s in samples)
    for name, keys in {**USABLE, "robot": [f"robot-bridge-{e}-{s}" for e in range(6) for s in range(5)]}.items():
        counts = Counter(per_item[k] for k in keys)
        assert min(counts) >= 1
        assert {str(k): v for k, v in sorted(counts.items())} == manifest.sources[name]["appearances"]
    assert "extended from 10" in " ".join(manifest.sources["robot"]["notes"])


def test_source_without_usable_samples_is_a_clear_error(inputs, tmp_path):
    (tmp_path / "photos").mkdir()
    with wds.TarWriter(str(tmp_path / "photos" / "p.tar")) as sink:
        sink.write({"__key__": "only", "jpg": jpeg(3)})
    doc = {"output": {"examples": 4}, "sources": [
        {"name": "robot", "kind": "examples", "path": str(inputs / "robot"), "weight": 1},
        {"name": "photos", "kind": "caption", "format": "wds", "path": "photos/p.tar", "weight": 1}]}
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(doc))
    proc = subprocess.run([sys.executable, "-m", "rt2data.cli.main", "mix", str(tmp_path / "m.yaml"),
                           str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and "source 'photos' has no usable examples" in proc.stderr
    # the dead letters are in the error: the run stops before any manifest could show them
    assert f"source 'photos': 1 dead letter(s) 'no_text', e.g. {tmp_path / 'photos' / 'p.tar'}::only" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_dask_runner_gives_the_same_bytes(inputs, tmp_path, dask_cluster):
    """DaskRunner (a real distributed engine on a LocalCluster) writes the same bytes as the embedded engine."""
    mixture = load_mixture(write_mixture(inputs, "dask.yaml", output={"examples": 24, "shard_examples": 12}))
    run_mix(mixture, tmp_path / "local")
    run_mix(mixture, tmp_path / "dask", runner_options=RunnerOptions(
        runner="apache_beam.runners.dask.dask_runner.DaskRunner",
        beam_args=(f"--dask_client_address={dask_cluster.scheduler_address}",)))
    assert tree_bytes(tmp_path / "dask") == tree_bytes(tmp_path / "local")


@pytest.mark.shared
def test_issue_scenario_convert_output_vqav2_folder_caption_shards(rlds_dataset, shared_data, tmp_path):
    """The issue's 'done when': a real `rt2data convert` output + the VQAv2 folder + a caption shard set
    (Flickr30k captions with Entities markup, written as WebDataset tars) -> the requested ratio, exactly."""
    from rt2data.pipelines.convert import ConvertJob, run_convert

    converted = tmp_path / "bridge"
    run_convert(ConvertJob(dataset_dir=str(rlds_dataset("bridge_dataset", episodes=4, steps=5)),
                           spec="bridge_dataset"), converted)
    d = shared_data / "vision_qa_captions"
    (tmp_path / "shards").mkdir()
    ids = sorted(p.stem for p in (d / "flickr30k/sentences").glob("*.txt"))
    for shard, chunk in enumerate((ids[:3], ids[3:])):
        with wds.TarWriter(str(tmp_path / "shards" / f"flickr-{shard:06d}.tar")) as sink:
            for image_id in chunk:
                sink.write({"__key__": image_id, "jpg": (d / "images/flickr30k" / f"{image_id}.jpg").read_bytes(),
                            "txt": (d / "flickr30k/sentences" / f"{image_id}.txt").read_text().splitlines()[0]})
    doc = {
        "seed": 0, "when_exhausted": "repeat",
        "output": {"examples": 40, "shard_examples": 20, "block_size": 4, "formats": ["wds"]},
        "sources": [
            {"name": "robot", "kind": "examples", "path": "bridge", "weight": 0.5},
            {"name": "vqav2", "kind": "vqa", "format": "vqav2", "questions": str(d / "vqav2/questions.json"),
             "annotations": str(d / "vqav2/annotations.json"), "images": str(d / "images/vqav2"), "weight": 0.25},
            {"name": "flickr", "kind": "caption", "format": "wds", "path": "shards/flickr-{000000..000001}.tar",
             "markup": "flickr30k", "weight": 0.25},
        ],
    }
    (tmp_path / "mixture.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    result = CliRunner().invoke(cli, ["mix", str(tmp_path / "mixture.yaml"), str(tmp_path / "mix")])
    assert result.exit_code == 0, result.output
    manifest = load_manifest(tmp_path / "mix")
    for name, fraction in (("robot", 0.5), ("vqav2", 0.25), ("flickr", 0.25)):
        assert manifest.sources[name]["realized_fraction"] == manifest.sources[name]["requested_fraction"] == fraction
    assert manifest.sources["robot"]["usable"] == 20 and manifest.sources["vqav2"]["epochs"] == 4
    samples = read_wds(tmp_path / "mix")
    assert all("[/EN#" not in s["target"] for s in samples if s["source"] == "flickr")
    assert {s["kind"] for s in samples} == {"action", "vqa", "caption"}
    assert "rt2-action-v1" in manifest.templates and verify_output(tmp_path / "mix").ok
    # the robot source's codec travels with the mixture, so it decodes without the convert output
    robot_codec = load_manifest(converted).codec
    assert manifest.sources["robot"]["codec"] == robot_codec and manifest.codec == robot_codec
    assert "codec" not in manifest.sources["vqav2"]


def test_a_mixture_that_fails_planning_leaves_no_trace(tmp_path):
    """A failed first pass writes nothing into OUT_DIR, so the corrected mixture runs without --overwrite."""
    import webdataset as wds_lib

    from rt2data.mix.config import mixture_from_dict
    from rt2data.pipelines.mix import run_mix

    with wds_lib.TarWriter(str(tmp_path / "imgs.tar")) as sink:  # images without captions: no usable item
        sink.write({"__key__": "a", "jpg": b"\xff\xd8\xff\xe0not-really-a-jpeg"})
    doc = {"seed": 0, "output": {"examples": 4, "shard_examples": 4},
           "sources": [{"name": "cap", "kind": "caption", "format": "wds", "path": str(tmp_path / "imgs.tar"),
                        "weight": 1.0}]}
    out = tmp_path / "out"
    from rt2data.errors import Rt2DataError

    with pytest.raises(Rt2DataError, match="no usable"):
        run_mix(mixture_from_dict(doc, base_dir=tmp_path), out)
    assert not out.exists() or not any(out.iterdir())


ENGINE_CASES = {
    # block mode, both formats, images transcoded to PNG, 1 and 2 worker processes; VQA drawn in 2 epochs (repeats)
    "block-both-png": dict(formats=("wds", "tfrecord"), image_format="png", workers=(1, 2), changes={}),
    # global shuffle, stop (the mixture ends before a source repeats: usable items left undrawn), TFRecord,
    # pre-tokenized with a real tokenizer
    "global-stop-tokenized": dict(formats=("tfrecord",), image_format=None, tokenizer="sp_v1", workers=(1,), changes={
        "when_exhausted": "stop", "output": {"examples": None, "block_size": None, "shard_examples": 10}}),
}


def noisy_captions(root: Path) -> list[dict]:
    """A caption tar set with several dead letters of each reason (so their samples' order counts)."""
    folder = root / "noisy"
    if not folder.is_dir():
        folder.mkdir()
        with wds.TarWriter(str(folder / "noisy-000000.tar")) as sink:
            for i in range(6):
                sink.write({"__key__": f"n{i}", "jpg": jpeg(50 + i), "txt": f"noisy caption {i}"})
            for i in range(6, 9):
                sink.write({"__key__": f"n{i}", "jpg": jpeg(50 + i)})  # no_text
            for k in ("d1", "d2"):
                sink.write({"__key__": k, "jpg": jpeg(60), "txt": f"first {k}"})
        with wds.TarWriter(str(folder / "noisy-000001.tar")) as sink:
            for k in ("d2", "d1"):
                sink.write({"__key__": k, "jpg": jpeg(61), "txt": f"again {k}"})  # duplicate_key
            for k in ("e1", "e2"):
                sink.write({"__key__": k, "jpg": jpeg(62), "txt": "   "})  # empty_text
            sink.write({"__key__": "n9", "jpg": jpeg(63), "txt": "noisy caption 9"})
    return [{"name": "noisy", "kind": "caption", "format": "wds", "path": "noisy/noisy-{000000..000001}.tar",
             "weight": 0.25}]


@pytest.mark.parametrize("case", sorted(ENGINE_CASES))
def test_embedded_engine_writes_the_beam_pipelines_bytes(inputs, tmp_path, case):
    """The embedded engine (1 and 2 worker processes) and Beam's FnApiRunner: the same shards, manifest (dead
    letters by reason and samples, duplicates, repeats, accounting) and dataset card, byte for byte; no spill left."""
    spec = ENGINE_CASES[case]
    tokenizer = None
    if spec.get("tokenizer"):  # tests/codec/tokenizer_files.py finds the real file (or skips, saying why)
        helper = importlib.util.spec_from_file_location("tokenizer_files",
                                                        Path(__file__).parents[1] / "codec" / "tokenizer_files.py")
        tokenizer_files = importlib.util.module_from_spec(helper)
        helper.loader.exec_module(tokenizer_files)
        tokenizer = tokenizer_files.tokenizer_file(spec["tokenizer"])
    changes = {**spec["changes"], "extra_sources": noisy_captions(inputs)}
    mixture = load_mixture(write_mixture(inputs, f"engine-{case}.yaml", **changes))
    runs = [("beam", RunnerOptions(runner="FnApiRunner"))] + [(f"local{w}", RunnerOptions(workers=w))
                                                              for w in spec["workers"]]
    trees = {}
    for name, options in runs:
        run_mix(mixture, tmp_path / name, formats=spec["formats"], image_format=spec["image_format"],
                runner_options=options, tokenizer=tokenizer)
        trees[name] = tree_bytes(tmp_path / name)
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == sorted(trees[name])  # no staging, no spill
    for name, _ in runs[1:]:
        assert trees[name] == trees["beam"], f"{case}: {name} differs from Beam"
    manifest = load_manifest(tmp_path / "local1")
    assert manifest.sources["vqa"]["dead_letters"] == {"bad_record": 1, "duplicate_key": 1, "no_image": 1}
    assert manifest.sources["caps"]["dead_letters"] == {"no_image": 1}
    assert manifest.sources["noisy"]["dead_letters"] == {"duplicate_key": 2, "empty_text": 2, "no_text": 3}
    acc = manifest.accounting
    assert acc.input == acc.written + sum(acc.dropped.values()) and verify_output(tmp_path / "local1").ok
    examples = list(iter_examples(tmp_path / "local1", fmt=manifest.formats[0]))
    if case == "block-both-png":
        assert {e.image_format for e in examples} == {"png"} and manifest.sources["vqa"]["repeats"] > 0
    else:
        assert all(e.input_ids for e in examples) and all(e.key.endswith("-e0") for e in examples)
        assert acc.dropped["not_drawn"] > 0
