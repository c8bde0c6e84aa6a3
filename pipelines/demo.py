"""``rt2data demo``: the whole flow on data it makes itself, offline, in well under a minute.

1. an RLDS dataset in a real Open X-Embodiment layout, written by tfds's own builder
   (``rt2data.testing.rlds_builders``; BridgeData V2 layout by default);
2. ``convert`` it (``rt2data.pipelines.convert.run_convert``, Beam's embedded runner) to WebDataset + TFRecord;
3. a small web set: caption tars written with ``webdataset.TarWriter`` and a VQAv2-style folder
   (``questions.json``, ``annotations.json``, COCO-named JPEGs), pictures of coloured shapes drawn with Pillow;
4. ``mix`` them (robot 50%, VQA 25%, captions 25%, block size 8: every 8 consecutive examples hold 4/2/2);
5. ``validate`` both outputs; summarize (``rt2data.inspection``) and, with matplotlib, draw an episode and the
   bin usage.

Layout of OUT_DIR (the file ``.rt2data-demo`` marks it, so ``overwrite`` only ever removes a demo's own files)::

    rlds/<dataset>/<version>/   the RLDS dataset          robot/   the convert output
    web/captions/*.tar          caption tars              web/vqav2/  questions, annotations, images/
    mixture.yaml                the mixture file          mix/     the mix output
    plots/                      episode.png, bins.png (when matplotlib is installed)
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rt2data.errors import DataError, OutputError
from rt2data.inspection import MissingDependencyError, episode_table
from rt2data.inspection import format_summary
from rt2data.inspection import open_output, summarize
from rt2data.inspection.plot import plot_bin_usage, plot_episode
from rt2data.inspection.validate import validate_output
from rt2data.mix.config import load_mixture
from rt2data.pipelines.convert import ConvertJob, run_convert
from rt2data.pipelines.mix import run_mix
from rt2data.testing.rlds_builders import build_dataset

__all__ = ["DemoResult", "run_demo", "make_caption_tars", "make_vqav2_folder", "write_mixture", "format_demo",
           "MARKER", "DEMO_ENTRIES"]

log = logging.getLogger(__name__)

MARKER = ".rt2data-demo"
DEMO_ENTRIES = ("rlds", "robot", "web", "mixture.yaml", "mix", "plots", MARKER)
LAYOUTS = {"bridge_dataset": "bridge_dataset", "fractal20220817_data": "fractal20220817_data"}
_COLORS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (230, 200, 30)}
_BACKGROUNDS = {"white": (250, 250, 250), "gray": (120, 120, 120), "black": (15, 15, 15)}
_SHAPES = ("circle", "square", "triangle")


@dataclass(frozen=True)
class DemoResult:
    """Where everything is and what was checked."""

    root: Path
    rlds: Path
    robot: Path
    captions: tuple[Path, ...]
    vqa: Path
    mixture: Path
    mix: Path
    convert_manifest: Any
    mix_manifest: Any
    reports: dict[str, Any]
    robot_summary: Any
    plots: tuple[Path, ...] = ()
    notes: tuple[str, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)


def _picture(i: int) -> tuple[bytes, str, str, str]:
    """A 64x64 JPEG of a coloured shape, and its (colour, shape, background)."""
    from PIL import Image, ImageDraw

    color = list(_COLORS)[i % len(_COLORS)]
    shape = _SHAPES[(i // len(_COLORS)) % len(_SHAPES)]
    background = list(_BACKGROUNDS)[i % len(_BACKGROUNDS)]
    im = Image.new("RGB", (64, 64), _BACKGROUNDS[background])
    draw = ImageDraw.Draw(im)
    box = (14 + i % 5, 14 + i % 3, 50 - i % 4, 50)
    if shape == "circle":
        draw.ellipse(box, fill=_COLORS[color])
    elif shape == "square":
        draw.rectangle(box, fill=_COLORS[color])
    else:
        draw.polygon([(box[0], box[3]), (box[2], box[3]), ((box[0] + box[2]) // 2, box[1])], fill=_COLORS[color])
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=90)
    return buf.getvalue(), color, shape, background


def make_caption_tars(folder: Path, *, count: int = 12, per_shard: int = 6) -> list[Path]:
    """WebDataset caption tars (``KEY.jpg`` + ``KEY.txt``) as img2dataset writes them, with ``webdataset.TarWriter``."""
    import webdataset as wds

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for shard in range((count + per_shard - 1) // per_shard):
        path = folder / f"captions-{shard:06d}.tar"
        with open(path, "wb") as f, wds.TarWriter(f, mtime=0) as sink:
            for i in range(shard * per_shard, min(count, (shard + 1) * per_shard)):
                image, color, shape, background = _picture(i)
                sink.write({"__key__": f"{i:06d}", "jpg": image, "txt": f"a {color} {shape} on a {background} background"})
        paths.append(path)
    return paths


def make_vqav2_folder(folder: Path, *, count: int = 12, subtype: str = "train2014") -> tuple[Path, Path, Path]:
    """A VQAv2-style folder: ``questions.json``, ``annotations.json`` (ten human answers each) and COCO-named images."""
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    questions, annotations = [], []
    for i in range(count):
        image, color, shape, _ = _picture(100 + i)
        image_id = 1000 + i
        (images / f"COCO_{subtype}_{image_id:012d}.jpg").write_bytes(image)
        question, answer = (f"what color is the {shape}?", color) if i % 2 == 0 else ("what shape is this?", shape)
        other = "orange" if i % 2 == 0 else "rectangle"
        given = [answer] * 8 + [other] * 2
        questions.append({"question_id": 5000 + i, "image_id": image_id, "question": question})
        annotations.append({"question_id": 5000 + i, "image_id": image_id, "multiple_choice_answer": answer,
                            "answers": [{"answer": a, "answer_confidence": "yes", "answer_id": k + 1}
                                        for k, a in enumerate(given)]})
    q_path, a_path = folder / "questions.json", folder / "annotations.json"
    q_path.write_text(json.dumps({"data_subtype": subtype, "questions": questions}, indent=1))
    a_path.write_text(json.dumps({"data_subtype": subtype, "annotations": annotations}, indent=1))
    return q_path, a_path, images


def write_mixture(path: Path, *, examples: int, shard_examples: int) -> Path:
    """The demo's mixture file (paths relative to it, as a user would write them)."""
    text = f"""\
# rt2data demo mixture: robot examples up-weighted as in RT-2's co-fine-tuning.
seed: 0
when_exhausted: repeat
output: {{examples: {examples}, shard_examples: {shard_examples}, formats: [wds, tfrecord], block_size: 8, prefix: demo}}
sources:
  - {{name: robot, kind: examples, path: robot, weight: 0.5}}
  - {{name: vqa, kind: vqa, format: vqav2, questions: web/vqav2/questions.json,
     annotations: web/vqav2/annotations.json, images: web/vqav2/images, weight: 0.25}}
  - {{name: captions, kind: caption, format: wds, path: "web/captions/captions-{{000000..000001}}.tar", weight: 0.25}}
"""
    path.write_text(text)
    return path


def _prepare(root: Path, overwrite: bool) -> None:
    """Refuse a non-empty OUT_DIR unless it is a demo output and ``overwrite``; then remove the demo's entries."""
    if root.exists() and not root.is_dir():
        raise OutputError(f"{root} exists and is not a directory; choose another OUT_DIR")
    entries = sorted(p.name for p in root.iterdir()) if root.is_dir() else []
    if not entries:
        return
    if not overwrite:
        raise OutputError(f"{root} is not empty ({len(entries)} entries); pass --overwrite to replace an earlier "
                          "demo there, or choose a new OUT_DIR")
    if MARKER not in entries:
        raise OutputError(f"{root} is not empty and was not written by rt2data demo (no {MARKER} file); "
                          "--overwrite only replaces an earlier demo: choose a new or empty OUT_DIR")
    for name in DEMO_ENTRIES:
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _plots(root: Path, inspectable: Any, summary: Any) -> tuple[tuple[Path, ...], list[str]]:

    try:

        episode = plot_episode(episode_table(inspectable, "0"), root / "plots" / "episode.png")
        bins = plot_bin_usage(summary, root / "plots" / "bins.png")
        return (episode, bins), []
    except MissingDependencyError:
        return (), ["pictures skipped: matplotlib is not installed (pip install 'rt2data[plot]')"]


def run_demo(
    out_dir: str | os.PathLike[str], *, overwrite: bool = False, layout: str = "bridge_dataset", episodes: int = 6,
    steps: int = 10, plots: bool = True, say: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run the demo into ``out_dir`` (see the module docstring) and return where everything is.

    Args:
        out_dir: an empty or new directory (or an earlier demo's, with ``overwrite``).
        layout: RLDS layout and spec: ``bridge_dataset`` or ``fractal20220817_data``.
        episodes, steps: size of the RLDS dataset.
        plots: draw pictures when matplotlib is installed.
        say: called with a line per stage (progress for people); None for silence.

    Raises:
        OutputError: OUT_DIR is not empty (see ``overwrite``); DataError: an output failed validation.
    """

    if layout not in LAYOUTS:
        raise OutputError(f"demo layout {layout!r} is not one of {sorted(LAYOUTS)}")
    tell = say or (lambda line: None)
    root = Path(out_dir)
    _prepare(root, overwrite)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("written by rt2data demo; rt2data demo --overwrite replaces this directory's demo files\n")
    seconds: dict[str, float] = {}

    def stage(name: str, text: str, fn: Callable[[], Any]) -> Any:
        tell(f"[{len(seconds) + 1}/6] {text}")
        start = time.perf_counter()
        value = fn()
        seconds[name] = round(time.perf_counter() - start, 2)
        return value

    rlds = stage("rlds", f"building an RLDS dataset with tfds ({layout} layout, {episodes} episodes x {steps} steps)",
                 lambda: build_dataset(layout, root / "rlds", episodes=episodes, steps=steps, image_size=(64, 64)))
    robot = root / "robot"
    job = ConvertJob(dataset_dir=os.fspath(rlds), spec=LAYOUTS[layout], formats=("wds", "tfrecord"), shard_examples=32)
    convert_manifest = stage("convert", "converting it to RT-2 examples (WebDataset + TFRecord)",
                             lambda: run_convert(job, robot))

    def web() -> tuple[list[Path], Path]:
        tars = make_caption_tars(root / "web" / "captions")
        make_vqav2_folder(root / "web" / "vqav2")
        return tars, root / "web" / "vqav2"

    captions, vqa = stage("web", "generating a caption set (WebDataset tars) and a VQAv2-style folder", web)
    mixture_path = write_mixture(root / "mixture.yaml", examples=convert_manifest.accounting.written * 8 // 5,
                                 shard_examples=48)
    mix = root / "mix"
    mix_manifest = stage("mix", "mixing robot 50% / VQA 25% / captions 25% (block size 8)",
                         lambda: run_mix(load_mixture(mixture_path), mix))
    reports = stage("validate", "validating both outputs (checksums, schema, action targets, prompts)",
                    lambda: {"robot": validate_output(robot), "mix": validate_output(mix)})
    for name, report in reports.items():
        if not report.ok:
            raise DataError(f"demo: the {name} output {root / name} failed validation: {report.problems[0]} "
                            f"({len(report.problems)} problems; run rt2data validate {root / name})")

    def inspect() -> tuple[Any, tuple[Path, ...], list[str]]:
        inspectable = open_output(robot)
        summary = summarize(inspectable)
        drawn, notes = _plots(root, inspectable, summary) if plots else ((), [])
        return summary, drawn, notes

    summary, drawn, notes = stage("inspect", "inspecting the robot examples", inspect)
    return DemoResult(root=root, rlds=rlds, robot=robot, captions=tuple(captions), vqa=vqa, mixture=mixture_path,
                      mix=mix, convert_manifest=convert_manifest, mix_manifest=mix_manifest, reports=reports,
                      robot_summary=summary, plots=drawn, notes=tuple(notes), seconds=seconds)


def _mix_table(manifest: Any) -> list[str]:
    rows = [f"  {'source':<10} {'kind':<9} {'requested':>9} {'realized':>9} {'examples':>9} {'repeats':>8}"]
    for name, s in manifest.sources.items():
        rows.append(f"  {name:<10} {s['kind']:<9} {s['requested_fraction']:>9.3f} {s['realized_fraction']:>9.3f} "
                    f"{s['realized_examples']:>9} {s['repeats']:>8}")
    return rows


def format_demo(result: DemoResult, *, width: int = 100) -> str:
    """The demo's closing report: summary, mixture ratios, checks, and where everything is."""

    conv, mix = result.convert_manifest, result.mix_manifest
    lines = ["", "== robot examples (rt2data inspect " + str(result.robot) + ")", format_summary(result.robot_summary,
             width=width), "", f"== mixture ({mix.accounting.written} examples, {len(mix.shards['wds'])} shards "
             "per format)", *_mix_table(mix), "", "== checks"]
    for name, report in result.reports.items():
        lines.append(f"  {name:<6} ok: {report.shards_checked} shard files, {report.examples_checked} examples over "
                     "all formats (sha256, counts, schema, action targets, prompts)")
    r = result.root
    lines += ["", "== where everything is",
              f"  RLDS dataset (tfds)  {result.rlds}",
              f"  convert output       {result.robot}  ({conv.accounting.written} examples; manifest.json, "
              "dataset_statistics.json)",
              f"  web data             {r / 'web'}  (caption tars, VQAv2 folder)",
              f"  mixture file         {result.mixture}",
              f"  mix output           {result.mix}"]
    lines += [f"  picture              {p}" for p in result.plots]
    lines += [f"  note: {n}" for n in result.notes]
    lines += ["", "== try next",
              f"  rt2data inspect {result.robot} --episode 0",
              f"  rt2data inspect {result.robot} --episode 0 --plot episode.png",
              f"  rt2data validate {result.mix}",
              f"  python -c \"from rt2data.readers import iter_records; print(next(iter_records('{result.mix}'))['target'])\""]
    total = sum(result.seconds.values())
    lines += ["", f"demo finished in {total:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())]
    return "\n".join(lines)
