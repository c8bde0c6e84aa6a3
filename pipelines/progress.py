"""A progress bar for pipelines that works on any runner: workers leave marker files, the driver counts them.

Each input shard a worker finishes leaves ``STAGING/<part>.done.json``; a driver thread polls them and updates a
tqdm bar on stderr. Nothing is shown unless ``enabled`` (the CLI enables it on a terminal, without ``--quiet``).
"""

from __future__ import annotations

import threading
from pathlib import Path

__all__ = ["StagingProgress"]


class StagingProgress:
    def __init__(self, staging: Path, *, total_shards: int, enabled: bool, interval: float = 0.5):
        self.staging, self.total, self.enabled, self.interval = Path(staging), total_shards, enabled, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _count(self) -> int:
        return len(list(self.staging.glob("*.done.json")))

    def _run(self) -> None:
        from tqdm import tqdm

        with tqdm(total=self.total, unit="shard", desc="convert", leave=False) as bar:
            while not self._stop.wait(self.interval):
                bar.n = min(self._count(), self.total)
                bar.refresh()

    def __enter__(self) -> "StagingProgress":
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
