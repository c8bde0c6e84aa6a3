"""The embedded runner (``rt2data.pipelines.local``): the same bytes as Beam's FnApiRunner, with 1 or 2 worker
processes; errors cross the process pool as themselves; ``import`` of the convert pipeline does not import Beam."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from rt2data.errors import DataError
from rt2data.pipelines.convert import ConvertJob, run_convert
from rt2data.pipelines.local import map_items
from rt2data.pipelines.runner import RunnerOptions

pytestmark = pytest.mark.slow


def _digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir()) if p.is_file()}


def test_local_runner_workers_and_fnapi_runner_give_the_same_bytes(rlds_dataset, tmp_path):
    ds_dir = rlds_dataset("bridge_dataset", episodes=5, steps=4, shards=3)
    job = ConvertJob(dataset_dir=str(ds_dir), spec="bridge_dataset", formats=("wds", "tfrecord"), shard_examples=6)
    one = run_convert(job, tmp_path / "one")
    run_convert(job, tmp_path / "two", runner_options=RunnerOptions(workers=2))
    run_convert(job, tmp_path / "beam", runner_options=RunnerOptions(runner="FnApiRunner"))
    assert one.accounting.written == 20 and len(one.shards["wds"]) >= 4
    # statistics (computed in each run), shards, manifest and dead letters: byte for byte
    assert _digests(tmp_path / "one") == _digests(tmp_path / "two") == _digests(tmp_path / "beam")


class _FailOn:
    def __init__(self, bad: int) -> None:
        self.bad = bad

    def __call__(self, item: int) -> int:
        if item == self.bad:
            raise DataError(f"item {item} is bad")
        return item * item


def test_map_items_keeps_order_and_raises_the_workers_error():
    seen: list[int] = []
    assert map_items(_FailOn(-1), list(range(7)), workers=2, on_result=seen.append) == [i * i for i in range(7)]
    assert sorted(seen) == [i * i for i in range(7)]
    with pytest.raises(DataError, match="item 3 is bad"):
        map_items(_FailOn(3), list(range(7)), workers=2)


def test_embedded_convert_does_not_import_beam():
    code = (
        "import sys; import rt2data.pipelines.convert, rt2data.pipelines.stats, rt2data.cli.convert_cmds;"
        "sys.exit(3 if 'apache_beam' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


_TWO_STARTED = None
"""A barrier the first two items wait at (inherited by forked workers), so that two workers take items."""


class _LeaveBehind:
    """An item that leaves file work on its process's syncer: a slow write of ITEM.txt (or a failure for ``bad``)."""

    def __init__(self, out: str, bad: int = -1) -> None:
        self.out, self.bad = out, bad

    def __call__(self, item: int) -> int:
        import os
        import time

        from rt2data.pipelines.local import worker_syncer

        if item < 2 and _TWO_STARTED is not None:
            _TWO_STARTED.wait(timeout=60)

        def work() -> None:
            time.sleep(0.05)
            if item == self.bad:
                raise DataError(f"fsync of item {item} failed")
            Path(self.out, f"{item}.txt").write_text(str(os.getpid()))

        worker_syncer().submit("commit", work)
        return item


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_map_items_returns_once_the_work_items_left_behind_is_done(tmp_path, monkeypatch, workers):
    """Work an item leaves on its process's syncer finishes before map_items returns, in every worker."""
    import multiprocessing

    if workers > 1:  # the first two items are taken by two workers (one worker could otherwise take every item)
        monkeypatch.setattr(sys.modules[__name__], "_TWO_STARTED", multiprocessing.get_context("fork").Barrier(2))
    assert map_items(_LeaveBehind(str(tmp_path)), list(range(9)), workers=workers) == list(range(9))
    assert sorted(int(p.stem) for p in tmp_path.glob("*.txt")) == list(range(9))
    if workers > 1:  # the items were spread over the workers, and each worker's syncer was drained
        assert len({p.read_text() for p in tmp_path.glob("*.txt")}) > 1


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("bad", [0, 8])  # a failure met by a later item of its process, or by the drain
def test_map_items_raises_a_failure_of_work_left_behind(tmp_path, workers, bad):
    with pytest.raises(DataError, match=f"fsync of item {bad} failed"):
        map_items(_LeaveBehind(str(tmp_path), bad=bad), list(range(9)), workers=workers)


def test_a_marker_follows_only_the_tasks_that_succeeded(tmp_path):
    """``Syncer.submit_after``: the marker is written after the tasks queued before it, and not at all when one
    of them failed (its future holds that error)."""
    from rt2data.shards.files import Syncer

    order: list[str] = []

    def fail() -> None:
        raise OSError("fsync failed")

    with Syncer() as syncer:
        syncer.submit("write", order.append, "write")
        syncer.submit("commit", order.append, "commit")
        marker = syncer.submit_after(order.append, "marker")
        syncer.wait()
    assert order == ["write", "commit", "marker"] and marker.exception() is None
    with pytest.raises(OSError, match="fsync failed"), Syncer() as syncer:
        syncer.submit("commit", fail)
        marker = syncer.submit_after(order.append, "second marker")
    assert "second marker" not in order and isinstance(marker.exception(), OSError)
