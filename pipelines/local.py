"""The embedded runner (the default): a pipeline's work items mapped over local worker processes, without Beam.

``convert`` and ``stats`` are "one function per input shard, then a small combine in the driver": the per-shard
function does all the work (read, standardize, convert, write parts / accumulate) and returns a small JSON-able
result. On one machine that needs no Beam: ``map_items`` calls the function in this process (``workers=1``), or
in a pool of ``workers`` processes that takes one input shard at a time (so shards of different sizes balance).
On Linux the pool forks: workers inherit the modules already imported, start in milliseconds and need no pickled
main session. Beam's embedded ``FnApiRunner`` stays available by name (``--runner FnApiRunner``) and the cluster
runners (Dataflow, Flink, Spark, Dask) run the same per-shard function through Beam. ``mix`` maps two passes this
way (one task per input work item, then one per run of output shards; ``rt2data.pipelines.mix_local``).

Results come back in item order, and every per-shard result is a function of its input shard alone, so the output
bytes do not depend on the runner or the number of workers (the tests compare them).

A function may leave file work behind when its item returns: :func:`worker_syncer` is its process's
``rt2data.shards.files.Syncer``, which outlives the item, so one input shard's last fsyncs overlap the next one's
work instead of holding the worker idle while the disk catches up. ``map_items`` drains every process's syncer
before it returns (each worker takes one drain task, held at a barrier until every worker has one) and raises the
first error one met; a failure is also raised by the process's next item. So whatever a function queued there is
durable, or the run failed, once ``map_items`` returned.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from typing import Any, Callable, Sequence, TypeVar

from rt2data.errors import ConfigError

__all__ = ["LOCAL_RUNNER", "is_local", "map_items", "worker_syncer"]

log = logging.getLogger(__name__)

LOCAL_RUNNER = "local"
"""Runner name of the embedded runner; ``runner=None`` means it too."""

T = TypeVar("T")
R = TypeVar("R")


def is_local(runner: str | None) -> bool:
    """Whether ``runner`` selects the embedded runner of this module (``None`` or ``"local"``)."""
    return runner is None or runner == LOCAL_RUNNER


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def map_items(fn: Callable[[T], R], items: Sequence[T], *, workers: int = 1,
              on_result: Callable[[R], None] | None = None,
              initializer: Callable[[], None] | None = None) -> list[R]:
    """``[fn(item) for item in items]``, run by ``workers`` processes; results in item order.

    Args:
        fn: a picklable callable (a module-level function or an instance of a module-level class).
        items: the work items (picklable), e.g. ``(position, ShardRef)`` pairs.
        workers: processes; ``1`` runs everything in this process.
        on_result: called in this process as each result arrives (in completion order), e.g. for progress.
        initializer: called once in each worker process before its first item (not when ``workers=1``), e.g.
            ``RunnerOptions.configure_io`` so a worker's URL reads and writes see the filesystem options
            (``--s3_endpoint_url``, ...) also where the pool spawns instead of forking.

    Raises:
        Whatever ``fn`` raised for the first failing item (the pool is stopped).
    """
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    if workers == 1 or len(items) <= 1:
        results = []
        try:
            for item in items:
                results.append(fn(item))
                if on_result is not None:
                    on_result(results[-1])
        except BaseException:
            _drain(raise_error=False)  # no thread outlives the call; the item's own error is raised
            raise
        _drain(raise_error=True)
        return results
    out: list = [None] * len(items)
    processes = min(workers, len(items))
    context = _context()
    barrier = context.Barrier(processes)
    with context.Pool(processes, initializer=_start_worker, initargs=(barrier, initializer)) as pool:
        for index, result in pool.imap_unordered(_Indexed(fn), list(enumerate(items)), chunksize=1):
            out[index] = result
            if on_result is not None:
                on_result(result)
        pool.map(_drain_worker, range(processes), chunksize=1)
        pool.close()
        pool.join()
    return out


_SYNCER: tuple[int, Any] | None = None
"""This process's ``(pid, Syncer)`` (a forked worker makes its own: threads do not survive a fork)."""
_BARRIER: Any = None


def worker_syncer() -> Any:
    """This process's :class:`~rt2data.shards.files.Syncer` for work that may finish after the item that queued it
    returned; ``map_items`` drains it before it returns. First raises the error of any task of an earlier item that
    failed since (so a failed fsync stops the run at the worker's next item)."""
    global _SYNCER
    if _SYNCER is None or _SYNCER[0] != os.getpid():
        from rt2data.shards.files import Syncer  # light: the file work of a pipeline's worker

        _SYNCER = (os.getpid(), Syncer())
    syncer = _SYNCER[1]
    syncer.reap()
    return syncer


def _drain(*, raise_error: bool) -> None:
    """Wait for this process's syncer (if it has one) and end its threads; raise the first error it met."""
    global _SYNCER
    if _SYNCER is None or _SYNCER[0] != os.getpid():
        return
    syncer, _SYNCER = _SYNCER[1], None
    try:
        syncer.close()
    except BaseException:
        if raise_error:
            raise


def _start_worker(barrier: Any, initializer: Callable[[], None] | None) -> None:
    global _BARRIER
    _BARRIER = barrier
    if initializer is not None:
        initializer()


def _drain_worker(_: int) -> None:
    """One of the drain tasks ``map_items`` gives its pool, one per worker: held at the barrier until every worker
    holds one (every item is done, so each takes one at once; none takes a second), then this worker's syncer
    drained."""
    _BARRIER.wait(timeout=600)
    _drain(raise_error=True)


class _Indexed:
    """``fn`` applied to ``(index, item)``, returning ``(index, result)`` (results arrive out of order)."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __call__(self, pair: tuple[int, object]) -> tuple[int, object]:
        index, item = pair
        return index, self.fn(item)
