"""How ``convert`` scales on Dask: the same conversion on Beam's DaskRunner over 1, 2, ... local Dask workers.

Run: ``python benchmarks/bench_dask.py --dataset DIR`` (a TFDS builder directory in the ``bridge_dataset`` layout,
e.g. the one ``bench_convert.py --keep /tmp/bench`` built: ``/tmp/bench/rlds/bridge_dataset/1.0.0``), optionally
``--split 'train[:20%]'`` and ``--workers 1 2 4``. Needs ``rt2data[dask]``.

Each row is a whole ``rt2data convert --runner DaskRunner`` process against a ``distributed.LocalCluster`` of N
single-threaded worker processes started beforehand (the cluster's start-up is not in the row; Beam's is), with
statistics given (``--stats``, computed once first), so the rows differ only in the number of workers. The embedded
runner with one worker is printed for reference. Outputs are checked byte-identical to the embedded run's.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = "bridge_dataset"


def _rt2data(*argv: str) -> tuple[float, float]:
    """Run ``rt2data -q ARGV`` in a child process; returns (wall s, CPU s of it and its children)."""
    os.sync()  # an earlier run's writes are on disk first: this run's fsyncs do not queue behind them
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "rt2data.cli.main", "-q", *argv], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"rt2data {' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def _digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())
            if p.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="a TFDS builder dir in the bridge_dataset layout")
    parser.add_argument("--split", default="train")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    import distributed  # the parent holds the clusters; children only connect

    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="rt2dask-") as root:
        root = Path(root)
        stats = root / "stats.json"
        log("statistics ...")
        _rt2data("stats", args.dataset, "--spec", SPEC, "--split", args.split, "-o", str(stats))
        conv = ["convert", args.dataset, "--spec", SPEC, "--split", args.split, "--stats", str(stats)]
        log("embedded, 1 worker ...")
        rows = [("embedded runner, 1 worker", *_rt2data(*conv, str(root / "local"), "--workers", "1"))]
        expected = _digests(root / "local")
        for n in args.workers:
            log(f"DaskRunner, {n} worker(s) ...")
            with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                          dashboard_address=None) as cluster:
                out = root / f"dask{n}"
                wall, cpu = _rt2data(*conv, str(out), "--runner", "DaskRunner",
                                     f"--beam-arg=--dask_client_address={cluster.scheduler_address}")
            if _digests(out) != expected:
                raise RuntimeError(f"DaskRunner with {n} workers wrote other bytes than the embedded runner")
            rows.append((f"DaskRunner, {n} worker{'s' * (n > 1)}", wall, cpu))

    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\nconvert {args.dataset} --split {args.split!r}; {machine}; outputs byte-identical to the embedded run")
    print("\n| runner | wall s | CPU s of the rt2data process | speed-up over 1 Dask worker |\n|---|---|---|---|")
    one = next((wall for what, wall, _ in rows if what == "DaskRunner, 1 worker"), None)
    for what, wall, cpu in rows:
        speedup = f"{one / wall:.2f}" if one and what.startswith("Dask") else ""
        print(f"| {what} | {wall:.2f} | {cpu:.2f} | {speedup} |")


if __name__ == "__main__":
    main()
