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
"""

from __future__ import annotations

import logging
import multiprocessing
from typing import Callable, Sequence, TypeVar

from rt2data.errors import ConfigError

__all__ = ["LOCAL_RUNNER", "is_local", "map_items"]

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
        for item in items:
            results.append(fn(item))
            if on_result is not None:
                on_result(results[-1])
        return results
    out: list = [None] * len(items)
    with _context().Pool(min(workers, len(items)), initializer=initializer) as pool:
        for index, result in pool.imap_unordered(_Indexed(fn), list(enumerate(items)), chunksize=1):
            out[index] = result
            if on_result is not None:
                on_result(result)
    return out


class _Indexed:
    """``fn`` applied to ``(index, item)``, returning ``(index, result)`` (results arrive out of order)."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __call__(self, pair: tuple[int, object]) -> tuple[int, object]:
        index, item = pair
        return index, self.fn(item)
