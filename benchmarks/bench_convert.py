"""Benchmark the whole tool against the parse limit: one run, one table of ratios.

Run: ``python benchmarks/bench_convert.py`` (builds 200 episodes x 50 steps of 256x256 JPEG frames in the
``bridge_dataset`` layout with tfds, about 2 minutes here, then measures for about 3 minutes), or
``--dataset DIR`` to measure an existing TFDS builder directory of that layout, ``--episodes/--steps/--image-size``
for another size, ``--repeat N`` to keep the best of N runs of every row (do it on a busy machine; the rows a goal
compares run in turn, round after round, so they see the machine in the same state).

Every row except the parse limit, ``tf.data`` and ``iter_records`` is a whole process (an ``rt2data`` command, or
one of the plain copies ``mix`` is compared with: interpreter start-up, imports, writing, fsync), timed from outside,
so the start-up cost (the 60-step row) is inside every number. Rows, in order:

- parse limit: tfds ``features.deserialize_example_np`` of every record with images skipped (what every reader of
  this format must do at least, one core), timed inside the process;
- ``tf.data``: tfds ``as_dataset`` with image decoding (only when TensorFlow is installed);
- ``rt2data stats`` (1 worker); ``rt2data convert`` WebDataset with ``--stats`` given, 1 and 2 workers; both formats with
  ``--stats``; WebDataset and both formats computing the statistics in the same command;
- ``rt2data validate`` of the WebDataset output, ``rt2data.readers.iter_records`` of it (timed inside);
- ``rt2data mix`` (robot output + half as many caption examples from ``webdataset.TarWriter`` tars, shuffled, written)
  against the plain copy issue 14 names ("sources read, shuffled and written"): one process reading every source
  tar, shuffling its samples (their bytes as they lie: headers, data, padding) and writing as many bytes as ``mix``
  wrote, 1,000 samples per fsynced tar; and, for scale, the same bytes copied file by file without a shuffle, and
  ``mix`` with ``verify_images: false`` on the caption source (what the default's image verification costs);
- start-up: ``rt2data convert`` of a 60-step dataset, end to end;
- peak RSS (``VmHWM`` of the process and its worker processes) of ``convert`` on 10% and on all of the data.

Each measured process is a fresh child (this script imports nothing heavy), so its peak RSS is its own; rt2data's
bytecode is written before the first (``compileall``), so no child compiles the project's modules at start-up.
Two ratios are printed: by wall time (what a user waits) and by CPU time (user + system seconds of the process and
its workers, the parse limit's process included whole): on a machine shared with other work, wall times swing with
the load and the CPU-time ratios do not; ``--workers 2`` can only be judged by wall time, on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Callable
from pathlib import Path

SPEC = "bridge_dataset"
_ME = os.path.abspath(__file__)


# ------------------------------------------------------------------------------------------- child processes
def _peak_rss_mb() -> float:
    """Peak RSS of this process (``VmHWM``: reset by exec, unlike ``ru_maxrss``) or of its largest waited child."""
    own = 0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                own = int(line.split()[1])
    except OSError:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def _child_build(args: argparse.Namespace) -> dict:
    from tensorflow_datasets.core import shuffle

    from rt2data.testing.rlds_builders import build_dataset

    # tfds's writer spills records past 1 GB to temporary files through tf.io.gfile (TensorFlow); keep them in memory
    # instead, so datasets of the issue's size (50,000 steps of 256 px frames, ~7 GB) build without TensorFlow.
    shuffle.MAX_MEM_BUFFER_SIZE = max(shuffle.MAX_MEM_BUFFER_SIZE, 1 << 35)
    ds = build_dataset(SPEC, args.root, episodes=args.episodes, steps=args.steps, shards=args.shards,
                       image_size=(args.image_size, args.image_size))
    return {"dataset": str(ds)}


def _child_parse(args: argparse.Namespace) -> dict:
    from rt2data.rlds import open_dataset
    from rt2data.rlds.framing import iter_records
    from rt2data.rlds.decode import image_skip_decoders

    dataset = open_dataset(args.root)
    features = dataset.features.to_tfds()
    decoders = image_skip_decoders(features)
    steps = 0
    t0 = time.perf_counter()
    for ref in dataset.shards("train"):
        for item in iter_records(ref.path, start=ref.first_record, stop=ref.stop_record):
            value = features.deserialize_example_np(item.data, decoders=decoders)
            steps += sum(1 for _ in value["steps"])
    return {"seconds": time.perf_counter() - t0, "n": steps}


def _child_tfdata(args: argparse.Namespace) -> dict:
    import tensorflow_datasets as tfds

    builder = tfds.builder_from_directory(args.root)
    ds = builder.as_dataset(split="train")
    steps = 0
    t0 = time.perf_counter()
    for episode in ds:
        for _ in episode["steps"]:
            steps += 1
    return {"seconds": time.perf_counter() - t0, "n": steps}


def _child_iter(args: argparse.Namespace) -> dict:
    from rt2data.readers import iter_records

    t0 = time.perf_counter()
    n = sum(1 for _ in iter_records(args.root))
    return {"seconds": time.perf_counter() - t0, "n": n}


def _child_copy(args: argparse.Namespace) -> dict:
    """A plain copy without a shuffle: every source file read and written whole (fsynced) until ``args.steps``
    bytes (what ``mix`` wrote) are written."""
    sources = json.loads(args.sources)
    out = Path(args.root)
    out.mkdir()
    left, index = args.steps, 0
    while left > 0:
        for path in sources:
            data = Path(path).read_bytes()[:left]
            with open(out / f"copy-{index:06d}", "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            left -= len(data)
            index += 1
            if left <= 0:
                break
    return {}  # timed from outside, as a whole process, like ``mix``


def _tar_samples(data: memoryview) -> list[memoryview]:
    """The samples of a tar as they lie in it: each run of consecutive members of one key (webdataset's key: the
    name up to the first dot of its last component), headers (PAX ones included) and padding with them."""
    samples, start, key, p, member_start = [], 0, None, 0, None
    while p + 512 <= len(data) and data[p]:  # a zero block (name starts with NUL) ends the archive
        header = bytes(data[p:p + 512])
        size = int(header[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
        end = p + 512 + size + (-size % 512)
        if member_start is None:
            member_start = p
        if header[156:157] not in (b"x", b"g"):  # a PAX header belongs to the member after it
            name = header[:100].split(b"\0", 1)[0].decode()
            member_key = name.rpartition("/")[0] + "/" + name.rpartition("/")[2].split(".", 1)[0]
            if member_key != key:
                if key is not None:
                    samples.append(data[start:member_start])
                start, key = member_start, member_key
            member_start = None
        p = end
    if key is not None:
        samples.append(data[start:p])
    return samples


def _child_shuffled(args: argparse.Namespace) -> dict:
    """The plain copy issue 14 compares ``mix`` with: every source read, its samples shuffled (across all sources,
    seeded) and written, 1,000 samples and the end-of-archive blocks per fsynced file, until as many bytes as ``mix``
    wrote (``args.steps``). Bytes are moved as they lie, never re-encoded, verified or re-keyed."""
    import random

    out = Path(args.root)
    out.mkdir()
    samples = [s for path in json.loads(args.sources) for s in _tar_samples(memoryview(Path(path).read_bytes()))]
    random.Random(0).shuffle(samples)
    left, index = args.steps, 0
    for first in range(0, len(samples), 1000):
        if left <= 0:
            break
        with open(out / f"shuffled-{index:06d}.tar", "wb") as f:
            for sample in samples[first:first + 1000]:
                f.write(sample)
                left -= len(sample)
            f.write(bytes(1024))
            f.flush()
            os.fsync(f.fileno())
        left -= 1024
        index += 1
    return {"samples": len(samples)}  # timed from outside, as a whole process, like ``mix``


def _child_cli(args: argparse.Namespace) -> dict:
    from rt2data.cli.main import main as cli_main

    try:
        cli_main(args.cli)
    except SystemExit as exc:  # main() always exits
        if exc.code not in (0, None):
            raise
    return {}


CHILDREN = {"build": _child_build, "parse": _child_parse, "tfdata": _child_tfdata, "iter": _child_iter,
            "copy": _child_copy, "shuffled": _child_shuffled, "cli": _child_cli}


# ------------------------------------------------------------------------------------------------ the parent
def _command(child: str, *, root: str = "", cli: list[str] | None = None, **extra) -> list[str]:
    cmd = [sys.executable, _ME, "--child", child, "--root", root]
    for k, v in extra.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    return cmd + ["--", *cli] if cli else cmd


def _run(child: str, *, copies: int = 1, **kwargs) -> dict:
    """Run one child process (``copies`` of it at once); returns its JSON result plus ``wall`` (seconds, whole
    processes), ``cpu`` (their user + system seconds) and ``rss_mb``. With copies, ``seconds`` is the slowest
    copy's and ``n`` the sum of theirs: what the machine does when that many processes run side by side."""
    return _side_by_side([_command(child, **kwargs)] * copies)


def _side_by_side(cmds: list[list[str]]) -> dict:
    """Run the child commands at once; :func:`_run`'s result (of the first, or summed as there)."""
    # Every row measures its command alone: the gigabytes an earlier row wrote (or a removed output's) are on disk
    # before this one starts, so its fsyncs do not queue behind their writeback.
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for cmd in cmds]
    outs = [proc.communicate() for proc in procs]
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    results = []
    for cmd, proc, (stdout, stderr) in zip(cmds, procs, outs):
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-3000:]}")
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    result = results[0]
    if len(results) > 1:
        result = {"rss_mb": max(r["rss_mb"] for r in results)}
        if all("seconds" in r for r in results):  # children that time their own work (not the CLI's)
            result.update(seconds=max(r["seconds"] for r in results), n=sum(r["n"] for r in results))
    result["wall"] = wall
    result["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    result["user"] = after.ru_utime - before.ru_utime
    result["sys"] = after.ru_stime - before.ru_stime  # the kernel's part: reads, writes, page faults, fsync
    return result


def _best(n: int, fn) -> dict:
    """``n`` runs, each time kept at its smallest (the least disturbed by other load), peak RSS at its largest."""
    return _best_of([fn() for _ in range(n)])


def _interleaved(n: int, jobs: list[tuple[str, Callable[[], dict]]], log: Callable[[str], None]) -> list[dict]:
    """:func:`_best` of every job, the jobs run in turn, ``n`` rounds: rows that a goal compares (1 and 2 workers,
    wds and both, with and without statistics, the parse limit) see the machine in the same state, where its speed
    drifts over minutes; each row keeps its best run."""
    runs: list[list[dict]] = [[] for _ in jobs]
    for round_ in range(n):
        for (name, fn), got in zip(jobs, runs):
            log(f"  {name}{f' (round {round_ + 1} of {n})' if n > 1 else ''} ...")
            got.append(fn())
    return [_best_of(r) for r in runs]


def _best_of(runs: list[dict]) -> dict:
    best = dict(min(runs, key=lambda r: r.get("seconds", r["wall"])))
    best.update(wall=min(r["wall"] for r in runs), cpu=min(r["cpu"] for r in runs),
                user=min(r["user"] for r in runs), sys=min(r["sys"] for r in runs),
                rss_mb=max(r["rss_mb"] for r in runs))
    return best


def _cores() -> int:
    """What ``--workers`` defaults to (``rt2data.cores``, light)."""
    from rt2data.cores import default_workers

    return default_workers()


def _mix_file(path: Path, robot: Path, captions: list[Path], examples: int, *, verify: bool = True) -> Path:
    """The benchmark's mixture; ``verify=False`` sets ``verify_images: false`` on the caption source (what the
    default's image verification costs, measured beside it)."""
    sources = ", ".join(f'"{p}"' for p in captions)
    unverified = "" if verify else ", verify_images: false"
    path.write_text(
        "seed: 0\nwhen_exhausted: repeat\n"
        f"output: {{examples: {examples}, shard_examples: 1000, formats: [wds], block_size: 8, prefix: mix}}\n"
        "sources:\n"
        f"  - {{name: robot, kind: examples, path: \"{robot}\", weight: 0.5}}\n"
        f"  - {{name: captions, kind: caption, format: wds, path: [{sources}], weight: 0.5{unverified}}}\n"
    )
    return path


def _captions(folder: Path, count: int, image: bytes) -> list[Path]:
    import webdataset as wds

    folder.mkdir(parents=True)
    paths = []
    for shard in range(0, count, 1000):
        path = folder / f"captions-{shard // 1000:06d}.tar"
        with open(path, "wb") as f, wds.TarWriter(f, mtime=0) as sink:
            for i in range(shard, min(count, shard + 1000)):
                sink.write({"__key__": f"{i:06d}", "jpg": image, "txt": f"a picture number {i}"})
        paths.append(path)
    return paths


def _first_image(out: Path) -> bytes:
    import tarfile

    tar_path = sorted(out.glob("*.tar"))[0]
    with tarfile.open(tar_path) as tar:
        for member in tar:
            if member.name.endswith(".jpg"):
                return tar.extractfile(member).read()
    raise RuntimeError(f"{tar_path} holds no jpg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", help="an existing TFDS builder dir in the bridge_dataset layout")
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--shards", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=1, help="keep the best of N runs of every row")
    parser.add_argument("--keep", help="build into (and reuse) this folder instead of a temporary one")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--sources", help=argparse.SUPPRESS)
    parser.add_argument("cli", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = CHILDREN[args.child](args)
        result["rss_mb"] = _peak_rss_mb()
        print(json.dumps(result))
        return
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        _measure(args, Path(args.keep))
    else:
        with tempfile.TemporaryDirectory(prefix="rt2bench-") as root:
            _measure(args, Path(root))


def _compile_bytecode() -> list[str]:
    """Write the bytecode of rt2data's packages (``__pycache__``), as an installed package has it: a process of a
    checkout installed in editable mode otherwise compiles about 80 modules at start-up (0.2 s here) whenever
    ``PYTHONDONTWRITEBYTECODE`` is set, which would be measured as start-up. Returns the folders compiled."""
    import compileall
    import importlib.util

    folders = []
    for name in ("rt2data", "rt2data.pipelines", "rt2data.cli", "rt2data.schemas"):
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            if folder not in folders:
                compileall.compile_dir(folder, quiet=1)
                folders.append(folder)
    return folders


def _measure(args: argparse.Namespace, root: Path) -> None:
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    _compile_bytecode()
    if args.dataset:
        dataset = args.dataset
    elif (root / "built.json").is_file():
        dataset = json.loads((root / "built.json").read_text())["dataset"]
    else:
        log(f"building {args.episodes} episodes x {args.steps} steps, {args.image_size}px ...")
        t0 = time.perf_counter()
        dataset = _run("build", root=str(root / "rlds"), episodes=args.episodes, steps=args.steps,
                       image_size=args.image_size, shards=args.shards)["dataset"]
        (root / "built.json").write_text(json.dumps({"dataset": dataset}))
        log(f"built in {time.perf_counter() - t0:.0f} s")
    tiny = root / "tiny"
    if not (tiny / "built.json").is_file():
        tiny_ds = _run("build", root=str(tiny / "rlds"), episodes=2, steps=30, image_size=64, shards=1)["dataset"]
        (tiny / "built.json").write_text(json.dumps({"dataset": tiny_ds}))
    tiny_ds = json.loads((tiny / "built.json").read_text())["dataset"]
    runs = root / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir()
    stats_file = runs / "stats.json"
    rows: list[tuple[str, float, str, dict]] = []  # (what, rate, unit, raw)

    def fresh(argv: list[str], out_dir: Path | None = None) -> Callable[[], dict]:
        """One run of ``rt2data ARGV`` (``out_dir`` removed first)."""
        def once() -> dict:
            if out_dir is not None:
                shutil.rmtree(out_dir, ignore_errors=True)
            return _run("cli", root="", cli=["-q", *argv])
        return once

    def fresh_pair(argv: list[str], out_dirs: tuple[Path, Path]) -> Callable[[], dict]:
        """Two runs of ``rt2data ARGV OUT`` at once, one per output directory (each removed first)."""
        def once() -> dict:
            for out_dir in out_dirs:
                shutil.rmtree(out_dir, ignore_errors=True)
            return _side_by_side([_command("cli", root="", cli=["-q", argv[0], argv[1], str(d), *argv[2:]])
                                  for d in out_dirs])
        return once

    def cli(name: str, argv: list[str], out_dir: Path | None = None) -> dict:
        log(f"  {name} ...")
        return _best(args.repeat, fresh(argv, out_dir))

    try:
        import importlib.util

        has_tf = importlib.util.find_spec("tensorflow") is not None
    except ValueError:
        has_tf = False
    out = {k: runs / k for k in ("wds1", "wds2", "both", "wdsc", "bothc", "mix", "mixu", "p10", "p100", "tiny", "pa",
                                 "pb")}
    conv = ["convert", dataset, "--spec", SPEC]
    one = ["--workers", "1"]  # without --workers a command uses the cores

    # stats first in every round: it writes the statistics file the converts with --stats read (the same bytes)
    jobs = [("parse limit", lambda: _run("parse", root=dataset)),
            ("parse limit, two processes at once", lambda: _run("parse", root=dataset, copies=2)),
            ("stats", fresh(["stats", dataset, "--spec", SPEC, "-o", str(stats_file), "--workers", "1"])),
            ("convert wds", fresh([*conv, str(out["wds1"]), "--stats", str(stats_file), *one], out["wds1"])),
            ("convert wds 2 workers", fresh([*conv, str(out["wds2"]), "--stats", str(stats_file), "--workers", "2"],
                                            out["wds2"])),
            ("convert wds, two at once", fresh_pair(["convert", dataset, "--spec", SPEC, "--stats", str(stats_file),
                                                     *one], (out["pa"], out["pb"]))),
            ("convert both", fresh([*conv, str(out["both"]), "--stats", str(stats_file), "--format", "both", *one],
                                   out["both"])),
            ("convert wds, stats computed", fresh([*conv, str(out["wdsc"]), *one], out["wdsc"])),
            ("convert both, stats computed", fresh([*conv, str(out["bothc"]), "--format", "both", *one], out["bothc"]))]
    if has_tf:
        jobs.insert(1, ("tf.data", lambda: _run("tfdata", root=dataset)))
    measured = dict(zip((name for name, _ in jobs), _interleaved(args.repeat, jobs, log)))
    parse = measured["parse limit"]
    steps = parse["n"]
    limit = steps / parse["seconds"]
    rows.append(("parse limit: tfds deserialize_example_np, images skipped (in-process)", limit, "steps/s", parse))
    pair = measured["parse limit, two processes at once"]
    rows.append(("  two such processes at once (both cores; steps of the two / the slower one's time)",
                 pair["n"] / pair["seconds"], "steps/s", pair))
    if has_tf:
        tfd = measured["tf.data"]
        rows.append(("tf.data as_dataset with image decoding (in-process)", tfd["n"] / tfd["seconds"], "steps/s", tfd))
    rs = measured["stats"]
    rows.append(("rt2data stats, 1 worker", steps / rs["wall"], "steps/s", rs))
    r1 = measured["convert wds"]
    rows.append(("rt2data convert --format wds --stats FILE, 1 worker", steps / r1["wall"], "steps/s", r1))
    r2 = measured["convert wds 2 workers"]
    rows.append(("  the same, --workers 2", steps / r2["wall"], "steps/s", r2))
    rp2 = measured["convert wds, two at once"]
    rows.append(("  two 1-worker converts at once (both cores; steps of the two / their time)",
                 2 * steps / rp2["wall"], "steps/s", rp2))
    rb = measured["convert both"]
    rows.append(("rt2data convert --format both --stats FILE", steps / rb["wall"], "steps/s", rb))
    rc = measured["convert wds, stats computed"]
    rows.append(("rt2data convert --format wds (statistics computed)", steps / rc["wall"], "steps/s", rc))
    rbc = measured["convert both, stats computed"]
    rows.append(("rt2data convert --format both (statistics computed)", steps / rbc["wall"], "steps/s", rbc))

    written = json.loads((out["wds1"] / "manifest.json").read_text())["accounting"]["written"]
    rv = cli("validate", ["validate", str(out["wds1"])])
    rows.append((f"rt2data validate (WebDataset output; default workers: {_cores()})", written / rv["wall"],
                 "examples/s", rv))
    log("  iter_records ...")
    ri = _best(args.repeat, lambda: _run("iter", root=str(out["wds1"])))
    rows.append(("rt2data.readers.iter_records (in-process)", ri["n"] / ri["seconds"], "examples/s", ri))

    caption_dir = runs / "captions"
    captions = _captions(caption_dir, max(1, written // 2), _first_image(out["wds1"]))
    mixture = _mix_file(runs / "mixture.yaml", out["wds1"], captions, written)
    mix_once = fresh(["mix", str(mixture), str(out["mix"])], out["mix"])
    log("  mix (sizing the copy) ...")
    mix_once()
    mixed = json.loads((out["mix"] / "manifest.json").read_text())
    mix_bytes = sum(i["bytes"] for infos in mixed["shards"].values() for i in infos)
    sources = [str(p) for p in sorted(out["wds1"].glob("*.tar"))] + [str(p) for p in captions]

    def copy_once(child: str) -> Callable[[], dict]:
        def once() -> dict:
            shutil.rmtree(runs / "copy", ignore_errors=True)
            return _run(child, root=str(runs / "copy"), sources=json.dumps(sources), steps=mix_bytes)
        return once

    unverified = _mix_file(runs / "mixture-unverified.yaml", out["wds1"], captions, written, verify=False)
    mix_unverified = fresh(["mix", str(unverified), str(out["mixu"])], out["mixu"])
    rm, rmu, rp, rr = _interleaved(args.repeat, [("mix", mix_once), ("mix, images not verified", mix_unverified),
                                                 ("plain copy, shuffled", copy_once("shuffled")),
                                                 ("plain copy, not shuffled", copy_once("copy"))], log)
    rows.append((f"rt2data mix (robot + captions, shuffled, written; default workers: {_cores()})",
                 mix_bytes / 2**20 / rm["wall"], "MB/s", rm))
    rows.append(("  the same with `verify_images: false` on the captions (no image decoded)",
                 mix_bytes / 2**20 / rmu["wall"], "MB/s", rmu))
    rows.append(("plain copy of the same bytes: sources read, samples shuffled, written (one process)",
                 mix_bytes / 2**20 / rp["wall"], "MB/s", rp))
    rows.append(("  the same without the shuffle: source files copied whole (the I/O floor)",
                 mix_bytes / 2**20 / rr["wall"], "MB/s", rr))

    rt = cli("60-step convert", ["convert", tiny_ds, str(out["tiny"]), "--spec", SPEC, *one], out["tiny"])
    r10 = cli("convert 10%", [*conv, str(out["p10"]), "--stats", str(stats_file), "--split", "train[:10%]", *one],
              out["p10"])
    r100 = r1
    _print(args, dataset, steps, written, rows, limit, pair, rs, r1, r2, rp2, rb, rc, rbc, rv, ri, rm, rmu, rp, rt,
           r10, r100)


def _print(args, dataset, steps, written, rows, limit, pair, rs, r1, r2, rp2, rb, rc, rbc, rv, ri, rm, rmu, rp, rt,
           r10, r100):
    """The table of rates and ratios, then each goal of issue 14 with the value measured in this run."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\n{steps:,} steps from {dataset} ({written:,} examples written); {machine}; best of {args.repeat}")
    parse_cpu = rows[0][3]["cpu"]
    print("\n| what | rate (wall) | ratio to the parse limit (wall) | ratio (CPU) | wall s | CPU s | of which system s "
          "| peak RSS MB |\n|---|---|---|---|---|---|---|---|")
    for what, rate, unit, raw in rows:
        ratio = f"{rate / limit:.2f}" if unit == "steps/s" else ""
        work = raw.get("n", steps) / steps  # two processes at once did the work twice
        cpu_ratio = f"{parse_cpu * work / raw['cpu']:.2f}" if unit == "steps/s" else ""
        wall = raw.get("seconds", raw["wall"])
        print(f"| {what} | {rate:,.0f} {unit} | {ratio} | {cpu_ratio} | {wall:.2f} | {raw['cpu']:.2f} "
              f"| {raw['sys']:.2f} | {raw['rss_mb']:.0f} |")
    print(f"| start-up: `rt2data convert` of 60 steps, end to end | | | | {rt['wall']:.2f} | {rt['cpu']:.2f} "
          f"| {rt['sys']:.2f} | {rt['rss_mb']:.0f} |")
    print(f"| peak RSS of convert, 10% of the data -> all of it | | | | | | | {r10['rss_mb']:.0f} -> "
          f"{r100['rss_mb']:.0f} |")
    cpu = lambda r: r["cpu"]  # noqa: E731  (CPU seconds of the whole process and its workers)
    checks = [
        ("convert wds, 1 worker >= 0.5x parse limit", steps / r1["wall"] / limit, parse_cpu / cpu(r1), 0.5, ">="),
        ("--workers 2 >= 1.7x 1 worker (wall only)", r1["wall"] / r2["wall"], None, 1.7, ">="),
        ("both <= 1.25x wds", rb["wall"] / r1["wall"], cpu(rb) / cpu(r1), 1.25, "<="),
        ("wds, statistics computed <= 1.6x --stats given", rc["wall"] / r1["wall"], cpu(rc) / cpu(r1), 1.6, "<="),
        ("both, statistics computed <= 1.6x --stats given", rbc["wall"] / rb["wall"], cpu(rbc) / cpu(rb), 1.6, "<="),
        ("stats >= 0.8x parse limit", steps / rs["wall"] / limit, parse_cpu / cpu(rs), 0.8, ">="),
        # validate reads with the default workers (the cores): examples per second of wall time is the goal
        ("validate >= 20,000 examples/s (wall only)", written / rv["wall"], None, 20000, ">="),
        ("iter_records >= 20,000 examples/s", ri["n"] / ri["seconds"], None, 20000, ">="),
        ("mix >= 0.5x plain copy (read, shuffled, written)", rp["wall"] / rm["wall"], cpu(rp) / cpu(rm), 0.5, ">="),
        ("60-step convert <= 2 s", rt["wall"], cpu(rt), 2.0, "<="),
        ("peak RSS 10x data <= 1.1x", r100["rss_mb"] / r10["rss_mb"], None, 1.1, "<="),
    ]
    print("\n| goal | measured (wall) | met | measured (CPU time) | met |\n|---|---|---|---|---|")
    for what, value, by_cpu, bound, op in checks:
        met = lambda v: "" if v is None else ("yes" if (v >= bound if op == ">=" else v <= bound) else "NO")  # noqa
        shown = "" if by_cpu is None else f"{by_cpu:,.2f}"
        print(f"| {what} | {value:,.2f} | {met(value)} | {shown} | {met(by_cpu)} |")
    ceiling = pair["n"] / pair["seconds"] / limit
    converts = 2 * r1["wall"] / rp2["wall"]
    print(f"\nTwo processes at once do {ceiling:.2f}x the work of one on this machine (the parse limit run twice side "
          f"by side), two 1-worker converts at once {converts:.2f}x: the most --workers 2 can give, before its serial "
          f"part (start-up, opening the dataset, the manifest). --workers 2 reached {r1['wall'] / r2['wall']:.2f}x.")
    print(f"`mix` with its caption images not verified ran at {rp['wall'] / rmu['wall']:.2f}x the plain copy (the "
          f"default, every image decoded at 1/8 scale: {rp['wall'] / rm['wall']:.2f}x); the verification took "
          f"{rm['wall'] - rmu['wall']:.2f} s of wall time and {cpu(rm) - cpu(rmu):.2f} s of CPU time.")
    print(f"`both` took {rb['user'] - r1['user']:.2f} s more user time than `wds` and "
          f"{rb['sys'] - r1['sys']:.2f} s more system time (the kernel's part of writing its TFRecord "
          f"shards).")


if __name__ == "__main__":
    main()
