"""A progress bar for pipelines that works on any runner: workers leave files behind, the driver counts them.

``convert`` counts the marker each finished input shard leaves (``STAGING/<part>.done.json``); ``mix`` counts the
shards written. A driver thread polls ``count()`` and updates a tqdm bar on stderr. Nothing is shown unless
``enabled`` (the CLI enables it on a terminal, without ``--quiet``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from rt2data import io

__all__ = ["FileProgress", "count_files"]


def count_files(folder: Path, pattern: str) -> Callable[[], int]:
    """A counter of the files matching ``pattern`` in ``folder``."""
    return lambda: len(io.glob(io.join(folder, pattern)))


class FileProgress:
    """``with FileProgress(count, total=n, desc="convert", unit="shard", enabled=True): run()``."""

    def __init__(self, count: Callable[[], int], *, total: int, desc: str, unit: str, enabled: bool,
                 interval: float = 0.5):
        self.count, self.total, self.desc, self.unit = count, total, desc, unit
        self.enabled, self.interval = enabled, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        from tqdm import tqdm

        with tqdm(total=self.total, unit=self.unit, desc=self.desc, leave=False) as bar:
            while not self._stop.wait(self.interval):
                bar.n = min(self.count(), self.total)
                bar.refresh()

    def __enter__(self) -> "FileProgress":
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
