"""A progress bar for pipelines that works on any runner: workers drop marker files, the driver counts them.

Reading DoFns wrapped by ``StagingProgress.wrap`` create ``STAGING/read/<shard>.done`` after each shard; a driver
thread polls those and the group markers (``g*.done.json``) and updates a tqdm bar on stderr. Nothing is shown
unless ``enabled`` (the CLI enables it on a terminal, without ``--quiet``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

__all__ = ["StagingProgress"]


class _Marked:
    """Picklable one-argument callable: run ``fn(ref, *args)`` to the end, then mark the shard as read."""

    def __init__(self, fn, read_dir: str, args: tuple):
        self.fn, self.read_dir, self.args = fn, read_dir, args

    def __call__(self, ref):
        yield from self.fn(ref, *self.args)
        Path(self.read_dir).mkdir(parents=True, exist_ok=True)
        Path(self.read_dir, f"{ref.split}-{ref.index:05d}-{ref.first_record}.done").touch()


class StagingProgress:
    def __init__(self, staging: Path, *, total_shards: int, enabled: bool, interval: float = 0.5):
        self.staging, self.total, self.enabled, self.interval = Path(staging), total_shards, enabled, interval
        self.read_dir = self.staging / "read"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wrap(self, fn, *args):
        """``fn(ref, *args)`` as a one-argument callable for ``beam.FlatMap`` that marks each shard read."""
        return _Marked(fn, os.fspath(self.read_dir), args)

    def _count(self) -> tuple[int, int]:
        read = len(list(self.read_dir.glob("*.done"))) if self.read_dir.is_dir() else 0
        groups = len(list(self.staging.glob("g*.done.json")))
        return read, groups

    def _run(self) -> None:
        from tqdm import tqdm

        with tqdm(total=self.total, unit="shard", desc="convert", leave=False) as bar:
            while not self._stop.wait(self.interval):
                read, groups = self._count()
                bar.n = min(read, self.total)
                bar.set_postfix_str(f"{groups} groups written", refresh=False)
                bar.refresh()

    def __enter__(self) -> "StagingProgress":
        if self.read_dir.is_dir():
            for p in self.read_dir.glob("*.done"):
                p.unlink()
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
