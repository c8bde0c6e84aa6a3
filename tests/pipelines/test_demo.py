"""``rt2data demo``: the whole flow from a fresh interpreter, offline, on data it generates; its outputs validate and
the mixture has the requested ratio; OUT_DIR handling refuses to clobber anything that is not an earlier demo."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from rt2data.pipelines.demo import DEMO_ENTRIES, MARKER, _prepare, make_caption_tars, make_vqav2_folder
from rt2data.errors import OutputError


def exe() -> str:
    return shutil.which("rt2data") or str(Path(sys.executable).parent / "rt2data")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo-out"
    start = time.perf_counter()
    proc = subprocess.run([exe(), "demo", str(out)], capture_output=True, text=True, timeout=600)
    return out, proc, time.perf_counter() - start


@pytest.mark.slow
def test_demo_runs_and_reports(demo_run):
    out, proc, seconds = demo_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert seconds < 300  # "well under a minute" on a developer machine; generous for a loaded CI box
    assert "Traceback" not in proc.stderr
    for stage in range(1, 7):
        assert f"[{stage}/6]" in proc.stderr
    text = proc.stdout
    for heading in ("== robot examples", "== mixture", "== checks", "== where everything is", "== try next"):
        assert heading in text
    assert "robot  ok:" in text and "mix    ok:" in text
    assert "\x1b[" not in text  # no colour when not a TTY


@pytest.mark.slow
def test_demo_outputs_are_real_and_valid(demo_run):
    from rt2data.rlds import open_dataset
    from rt2data.shards import iter_examples, load_manifest
    from rt2data.inspection.validate import validate_output

    out, proc, _ = demo_run
    assert proc.returncode == 0
    dataset = open_dataset(out / "rlds" / "bridge_dataset")
    assert dataset.num_episodes("train") == 6
    robot, mix = load_manifest(out / "robot"), load_manifest(out / "mix")
    assert robot.kind == "convert" and robot.accounting.written == 60 and robot.formats == ("wds", "tfrecord")
    assert mix.kind == "mix"
    for name, entry in mix.sources.items():
        assert entry["realized_fraction"] == pytest.approx(entry["requested_fraction"]), name
    assert {e.kind for e in iter_examples(out / "mix")} == {"action", "caption", "vqa"}
    assert validate_output(out / "robot").ok and validate_output(out / "mix").ok
    assert (out / "mixture.yaml").is_file() and (out / MARKER).is_file()
    for picture in ("episode.png", "bins.png"):
        with Image.open(out / "plots" / picture) as im:
            assert im.format == "PNG" and im.size[0] > 600


@pytest.mark.slow
def test_demo_refuses_a_non_empty_dir_without_overwrite(demo_run):
    out, proc, _ = demo_run
    assert proc.returncode == 0
    again = subprocess.run([exe(), "demo", str(out)], capture_output=True, text=True, timeout=120)
    assert again.returncode == 1
    assert again.stderr.strip().count("\n") == 0 and "--overwrite" in again.stderr


def test_prepare_refuses_a_foreign_directory(tmp_path):
    (tmp_path / "thesis.tex").write_text("precious")
    with pytest.raises(OutputError, match="not empty"):
        _prepare(tmp_path, overwrite=False)
    with pytest.raises(OutputError, match="was not written by rt2data demo"):
        _prepare(tmp_path, overwrite=True)
    assert (tmp_path / "thesis.tex").read_text() == "precious"


def test_prepare_overwrite_removes_only_demo_entries(tmp_path):
    for name in DEMO_ENTRIES:
        if name.endswith((".yaml", MARKER)):
            (tmp_path / name).write_text("x")
        else:
            (tmp_path / name / "sub").mkdir(parents=True)
    (tmp_path / "my_notes.txt").write_text("keep me")
    _prepare(tmp_path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_notes.txt"]


def test_prepare_accepts_new_or_empty_dirs(tmp_path):
    _prepare(tmp_path / "new", overwrite=False)
    _prepare(tmp_path, overwrite=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        _prepare(tmp_path / "file", overwrite=True)


def test_generated_web_data_reads_with_the_mix_readers(tmp_path):
    from rt2data.web.captions import WdsCaptionOptions, read_wds_captions, wds_work_items
    from rt2data.web.samples import ItemFactory, SourceItem
    from rt2data.web.templates import default_template
    from rt2data.web.vqa import Vqav2Options, read_records, records_work_items, vqav2_records

    tars = make_caption_tars(tmp_path / "captions", count=7, per_shard=4)
    assert [t.name for t in tars] == ["captions-000000.tar", "captions-000001.tar"]
    options = WdsCaptionOptions(path=tuple(str(t) for t in tars))
    factory = ItemFactory(source="captions", template=default_template("caption"))
    items = [x for w in wds_work_items("captions", options) for x in read_wds_captions(w, factory, options)]
    assert len(items) == 7 and all(isinstance(x, SourceItem) for x in items)
    assert items[0].example.target.startswith("a ") and items[0].example.target.endswith(" background")

    q, a, images = make_vqav2_folder(tmp_path / "vqa", count=4)
    vopts = Vqav2Options(questions=str(q), annotations=str(a), images=str(images))
    vfactory = ItemFactory(source="vqa", template=default_template("vqa"))
    records = vqav2_records("vqa", vopts)
    work = records_work_items("vqa", records, path=str(q), chunk=10)
    got = [x for w in work for x in read_records(w, vfactory, vopts)]
    assert len(got) == 4 and all(isinstance(x, SourceItem) for x in got)
    assert got[0].example.prompt.startswith("Q: what color is the") and got[0].example.target in {
        "red", "green", "blue", "yellow"}
    assert json.loads(q.read_text())["data_subtype"] == "train2014"
