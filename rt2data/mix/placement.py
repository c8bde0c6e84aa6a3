"""Where every draw of a plan goes, computed in one place from the usable keys: the embedded engine's layout.

For each source i and epoch e the usable items are ranked by ``(rank_hash(seed, source, e, key), key)``; the item of
rank r is drawn iff ``r < needed(e)`` and goes to output position ``plan.position(i, e * available + r)``: the
rule the Beam pipeline applies bucket by bucket and ``rt2data.testing.mix_oracle`` states in plain Python.

Here the result is three integer arrays indexed by output position (source index, item index, epoch), so a
mixture of T examples costs ``T * 14`` bytes, plus while placing ``T * 8`` for the position of every draw
(``MixPlan.draw_positions``: each block's layout computed once) and 8 bytes per usable item of the largest source
while ranking; keys are hashed once per (item, epoch) that is drawn from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from rt2data.errors import DataError
from rt2data.mix.order import rank_hashes
from rt2data.mix.plan import MixPlan

__all__ = ["Placement", "place"]


@dataclass(frozen=True)
class Placement:
    """The item at every output position.

    Attributes:
        source: int16[T], index of the source in ``plan.sources``.
        item: int64[T], index of the item in that source's key list (as given to :func:`place`).
        epoch: int32[T], the epoch it is drawn in (the ``-eN`` suffix of its output key).
    """

    source: np.ndarray
    item: np.ndarray
    epoch: np.ndarray

    def __len__(self) -> int:
        return len(self.item)


def _ranked(plan: MixPlan, name: str, epoch: int, keys: Sequence[str]) -> np.ndarray:
    """Item indices of ``keys`` in rank order for ``epoch``: by hash, equal hashes by key."""
    hashes = np.fromiter(rank_hashes(plan.seed, name, epoch, keys), dtype=np.uint64, count=len(keys))
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    if len(keys) > 1 and bool(np.any(ordered[1:] == ordered[:-1])):  # 2**-64 per pair: order the tie by key
        order = np.array(sorted(range(len(keys)), key=lambda j: (int(hashes[j]), keys[j])), dtype=np.int64)
    return order


def place(plan: MixPlan, keys: Mapping[str, Sequence[str]]) -> Placement:
    """The placement of every draw of ``plan``.

    Args:
        plan: the plan.
        keys: the usable item keys of every source with draws (``len == available``), in any fixed order; the
            returned item indices point into these lists.

    Raises:
        ValueError: a source's key count differs from the plan's ``available``.
        DataError: a position left empty (an internal error).
    """
    total = plan.total
    source = np.full(total, -1, dtype=np.int16)
    item = np.full(total, -1, dtype=np.int64)
    epoch = np.zeros(total, dtype=np.int32)
    draws = [np.frombuffer(d, dtype=np.int64) for d in plan.draw_positions()]  # per source, by ordinal
    for i, src in enumerate(plan.sources):
        if src.draws == 0:
            continue
        ks = keys.get(src.name, ())
        if len(ks) != src.available:
            raise ValueError(f"source {src.name!r}: {len(ks)} keys given, the plan has {src.available}")
        for e in range(src.epochs):
            need = src.needed(e)
            chosen = _ranked(plan, src.name, e, ks)[:need]
            base = e * src.available
            positions = draws[i][base:base + need]
            source[positions] = i
            item[positions] = chosen
            epoch[positions] = e
    if total and bool(np.any(item < 0)):
        raise DataError("mix: the plan left output positions empty (internal error)")
    return Placement(source=source, item=item, epoch=epoch)
