"""The mixture oracle: the whole output order of a plan computed in memory, the specification the scalable
``mix`` pipeline implements (it ranks by the same hash in buckets). For tests and small audits only."""

from __future__ import annotations

from typing import Mapping, Sequence

from rt2data.mix.order import rank_hash
from rt2data.mix.plan import MixPlan

__all__ = ["reference_layout"]


def reference_layout(plan: MixPlan, keys: Mapping[str, Sequence[str]]) -> list[tuple[str, str, int]]:
    """The whole output in memory: position -> (source, item key, epoch). The specification the scalable
    pipeline implements (it ranks by the same hash in buckets); for tests and small audits only.

    Args:
        plan: the plan.
        keys: the usable item keys of every source with draws (``len == available``).
    """
    out: list[tuple[str, str, int] | None] = [None] * plan.total
    for i, src in enumerate(plan.sources):
        ks = list(keys.get(src.name, ()))
        if len(ks) != src.available:
            raise ValueError(f"source {src.name!r}: {len(ks)} keys given, the plan has {src.available}")
        for epoch in range(src.epochs):
            ranked = sorted(ks, key=lambda k: (rank_hash(plan.seed, src.name, epoch, k), k))
            for rank, key in enumerate(ranked[: src.needed(epoch)]):
                out[plan.position(i, epoch * src.available + rank)] = (src.name, key, epoch)
    if any(x is None for x in out):
        raise AssertionError("the plan left output positions empty")  # the oracle itself is wrong
    return out  # type: ignore[return-value]
