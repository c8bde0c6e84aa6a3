"""Benchmark the trainer readers' shuffling: how many episodes a batch mixes on a ``convert`` output.

Run: ``python benchmarks/bench_shuffle.py [--episodes 60] [--steps 25] [--batch 8] [--buffer 1000]``.

A dataset in the ``bridge_dataset`` layout is built with tfds and converted (WebDataset shards of 1000 examples, an
episode's steps stored together, as ``convert`` always writes them). Then the output is read in batches of
``--batch`` by ``rt2data.readers.torch_dataset`` through a ``DataLoader`` (or, without torch, by ``iter_records``)
and the mean number of distinct episodes per batch is printed for: manifest order (``train=False``), shard order
shuffled only (``shuffle=0``), and the training default (shuffled shards plus a ``--buffer`` sample buffer). With
episodes of ``S`` steps and no sample shuffle a batch of ``B`` holds about ``1 + B/S`` episodes: consecutive steps
of one episode, the correlated batches a shuffle buffer avoids.
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

import numpy as np


def _episodes_per_batch(episode_ids: list[str], batch: int) -> tuple[float, int, int]:
    """(mean distinct episodes per full batch, batches holding a single episode, full batches)."""
    batches = [episode_ids[i:i + batch] for i in range(0, len(episode_ids) - batch + 1, batch)]
    distinct = [len(set(b)) for b in batches]
    return float(np.mean(distinct)), sum(d == 1 for d in distinct), len(batches)


def _read(out: Path, batch: int, workers: int, **options) -> list[str]:
    from rt2data import readers

    if importlib.util.find_spec("torch") is None:
        shuffle = options.get("shuffle") or 0
        return [r["episode_id"] for r in readers.iter_records(out, decode_images=False, shuffle=shuffle, seed=0)]
    from torch.utils.data import DataLoader

    dataset = readers.torch_dataset(out, transform=lambda r: r["episode_id"], seed=0, **options)
    return [e for b in DataLoader(dataset, batch_size=batch, num_workers=workers) for e in b]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=60)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--buffer", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers")
    args = parser.parse_args()

    from rt2data.pipelines.convert import ConvertJob, run_convert
    from rt2data.testing.rlds_builders import build_dataset

    with tempfile.TemporaryDirectory() as root:
        ds = build_dataset("bridge_dataset", Path(root) / "ds", episodes=args.episodes, steps=args.steps,
                           shards=max(1, args.episodes // 20), image_size=(32, 32))
        out = Path(root) / "out"
        run_convert(ConvertJob(dataset_dir=str(ds), spec="bridge_dataset", shard_examples=1000), out)
        reader = "torch DataLoader" if importlib.util.find_spec("torch") else "iter_records"
        print(f"{args.episodes} episodes x {args.steps} steps, batches of {args.batch}, {reader}, "
              f"{args.workers} workers")
        print(f"{'reading':<38} {'episodes/batch':>14} {'single-episode batches':>24} {'s':>6}")
        for name, options in [("manifest order (train=False)", {"train": False}),
                              ("shard order shuffled (shuffle=0)", {"shuffle": 0}),
                              (f"training default (buffer {args.buffer})", {"shuffle": args.buffer})]:
            t0 = time.perf_counter()
            mean, single, total = _episodes_per_batch(_read(out, args.batch, args.workers, **options), args.batch)
            print(f"{name:<38} {mean:>14.2f} {f'{single} of {total}':>24} {time.perf_counter() - t0:>6.1f}")


if __name__ == "__main__":
    main()
