"""Benchmark ``convert``: throughput and peak memory as the dataset grows.

Run: ``python benchmarks/bench_convert.py [--episodes 20 80 320] [--steps 30] [--workers 1]``.

For each size, a dataset in the ``bridge_dataset`` layout (128x128 JPEG frames) is built with tfds, then converted
(statistics pass + conversion, WebDataset shards of 1000 examples) in a fresh subprocess whose peak RSS is its own
(``ru_maxrss`` of the process and, with ``--workers > 1``, of its worker processes). A flat "peak RSS" column as the
step count grows means memory does not grow with the data: the pipeline streams shards and writes groups of
``shard_examples`` examples.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _build(episodes: int, steps: int, root: str) -> tuple[str, float]:
    from rt2data.testing.rlds_builders import build_dataset

    t0 = time.perf_counter()
    ds = build_dataset("bridge_dataset", Path(root) / "ds", episodes=episodes, steps=steps,
                       shards=max(1, episodes // 20), image_size=(128, 128))
    return str(ds), time.perf_counter() - t0


def _one(dataset: str, workers: int, root: str) -> dict:
    from rt2data.pipelines.convert import ConvertJob, run_convert
    from rt2data.pipelines.runner import RunnerOptions

    t0 = time.perf_counter()
    m = run_convert(ConvertJob(dataset_dir=dataset, spec="bridge_dataset", shard_examples=1000),
                    Path(root) / "out", runner_options=RunnerOptions(workers=workers))
    seconds = time.perf_counter() - t0
    out_bytes = sum(i.bytes for i in m.shards["wds"])
    return {"steps": m.accounting.input, "convert_s": seconds, "steps_per_s": m.accounting.input / seconds,
            "out_mb": out_bytes / 2**20}


def _peak_rss_kb() -> int:
    """This process's peak RSS. ``VmHWM`` where Linux has it: ``ru_maxrss`` survives exec, so a child forked from a
    large parent would report the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, nargs="+", default=[20, 80, 320])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:  # the measured child: converts only (the dataset was built by the parent)
        with tempfile.TemporaryDirectory() as root:
            row = _one(args.one, args.workers, root)
        row["peak_rss_mb"] = max(_peak_rss_kb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        print(json.dumps(row))
        return
    print(f"{'episodes':>8} {'steps':>7} {'build s':>8} {'convert s':>9} {'steps/s':>8} {'out MB':>7} {'peak RSS MB':>11}")
    for n in args.episodes:
        with tempfile.TemporaryDirectory() as root:
            dataset, built = _build(n, args.steps, root)
            proc = subprocess.run([sys.executable, __file__, "--one", dataset, "--workers", str(args.workers)],
                                  capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{n:>8} {r['steps']:>7} {built:>8.1f} {r['convert_s']:>9.1f} "
              f"{r['steps_per_s']:>8.0f} {r['out_mb']:>7.1f} {r['peak_rss_mb']:>11.0f}", flush=True)


if __name__ == "__main__":
    main()
