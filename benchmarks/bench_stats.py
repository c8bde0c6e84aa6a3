"""Benchmark the statistics accumulators: add and merge throughput, sketch size and peak RSS vs data size.

Run: ``python benchmarks/bench_stats.py`` (default sizes 1e5 and 1e6 steps of a 7-D action). Each measurement runs
in a fresh subprocess so its peak RSS is its own; data is generated on the fly and only ``add_episode`` is timed, so
a flat RSS column means the accumulators' memory does not grow with the data. The last row holds every action in RAM and calls ``np.quantile``
(what OpenVLA/Octo do) for contrast.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

SCALES = np.array([0.01, 0.02, 0.01, 0.05, 0.05, 0.05, 1.0])


def _episodes(steps: int, episode_len: int, seed: int):
    rng = np.random.default_rng(seed)
    for start in range(0, steps, episode_len):
        n = min(episode_len, steps - start)
        x = rng.standard_t(5, size=(n, SCALES.size)) * SCALES
        x[:, -1] = np.where(x[:, -1] > 0, 1.0, -1.0)  # a binary gripper
        yield x


def _one(mode: str, steps: int, episode_len: int, parts: int) -> dict:
    from rt2data.stats.accumulators import DatasetStatsAccumulator

    dim = SCALES.size
    out: dict = {"mode": mode, "steps": steps}
    if mode == "numpy":
        t0 = time.perf_counter()
        x = np.concatenate(list(_episodes(steps, episode_len, 0)))
        np.quantile(x, [0.01, 0.99], axis=0), x.mean(0), x.std(0)
        out["add_s"] = time.perf_counter() - t0
    else:
        accs = [DatasetStatsAccumulator(dim) for _ in range(parts)]
        out["add_s"] = 0.0
        batch = episode_len if mode == "episodes" else 8192
        for i, ep in enumerate(_episodes(steps, batch, 0)):  # generated on the fly: only add() is timed
            t0 = time.perf_counter()
            accs[i % parts].add_episode(ep)
            out["add_s"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        merged = DatasetStatsAccumulator.merged(accs)
        out["merge_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        merged.finalize()
        out["finalize_s"] = time.perf_counter() - t0
        out["buckets"] = merged.action.num_buckets
        out["state_bytes"] = len(json.dumps(merged.to_state()))
    out["values_per_s"] = steps * dim / out["add_s"]
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e5, 1e6], help="steps per run")
    ap.add_argument("--episode-len", type=int, default=100, help="steps per add_episode call")
    ap.add_argument("--parts", type=int, default=16, help="accumulators (workers) merged at the end")
    ap.add_argument("--one", nargs=2, metavar=("MODE", "STEPS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one[0], int(float(args.one[1])), args.episode_len, args.parts)))
        return
    rows = []
    for mode in ("episodes", "batches", "numpy"):
        for size in args.sizes:
            cmd = [sys.executable, __file__, "--one", mode, str(int(size)), "--episode-len", str(args.episode_len),
                   "--parts", str(args.parts)]
            rows.append(json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout))
    print(f"7-D actions; 'episodes': add_episode per {args.episode_len} steps, 'batches': per 8192 steps; "
          f"{args.parts} accumulators merged at the end; 'numpy': all actions in RAM + np.quantile/mean/std")
    head = f"{'mode':9} {'steps':>9} {'add values/s':>13} {'add s':>7} {'merge ms':>9} {'final ms':>9} " \
           f"{'buckets':>8} {'state KB':>9} {'peak RSS MB':>12}"
    print(head)
    print("-" * len(head))
    for r in rows:
        merge = f"{r['merge_s'] * 1e3:9.1f}" if "merge_s" in r else f"{'-':>9}"
        fin = f"{r['finalize_s'] * 1e3:9.1f}" if "finalize_s" in r else f"{'-':>9}"
        buckets = f"{r['buckets']:8d}" if "buckets" in r else f"{'-':>8}"
        state = f"{r['state_bytes'] / 1024:9.1f}" if "state_bytes" in r else f"{'-':>9}"
        print(f"{r['mode']:9} {r['steps']:9d} {r['values_per_s']:13.3g} {r['add_s']:7.2f} {merge} {fin} "
              f"{buckets} {state} {r['peak_rss_mb']:12.1f}")


if __name__ == "__main__":
    main()
