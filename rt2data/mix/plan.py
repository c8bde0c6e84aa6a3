"""Planning a mixture: how many examples of each source, which ones, and where each goes. Pure functions.

Inputs: the sources' relative weights ``w_i`` (exact decimals, ``p_i = w_i / sum w``), their usable sizes ``N_i``
(counted by the pipeline), exhaustion policies, the output size and the seed. Outputs: a ``MixPlan``, small
enough to ship to every worker, with pure functions from (source, ordinal) to an output position.

Composition.
- Block mode (``block_size = B``): every block of B consecutive output examples holds exactly ``q_i`` examples of
  source i, ``q`` = largest-remainder apportionment of B by the weights (remainder ties: the source listed first).
  Inside block b the slots are shuffled by ``hash(seed, "slot", b, slot)``; the last block may be partial (a prefix
  of a shuffled full block). ``d_i(T)`` = examples of i among the first T positions.
- Global mode (no block size): ``d_i`` = largest-remainder apportionment of the total T, and positions are a
  keyed pseudo-random permutation (Feistel network with cycle walking) of ``[0, T)``: a global shuffle with the
  requested proportions, exact in total, random in every window.

Size and exhaustion. The requested size T0 is ``examples``, or ``one_pass: NAME`` (the smallest T giving NAME
exactly ``N_NAME`` draws), or none. A source's policy says what happens when it runs out:
- ``repeat``: it is re-used, reshuffled every epoch;
- ``stop``: the mixture ends before the source would be repeated: ``T <= T_stop``, the largest T with
  ``d_i(t) <= N_i`` for every stop source and every ``t <= T``;
- ``exhaust_all``: it is re-used, and the mixture does not end before every exhaust_all source was seen
  completely: ``T >= T_all``, the smallest T with ``d_i(t) >= N_i`` for every ``t >= T``.
("every t": in global mode ``d_i`` is a largest-remainder apportionment, which is not monotone in T (the Alabama
paradox: one more example can take a draw from a source), so the bound must hold for every size on its side.)
Final size: ``T = min(max(T0, T_all), T_stop)`` (omitted terms skipped); without T0, ``T_all`` else ``T_stop``.

Draws. Source i's draws are ordinals ``0..d_i-1``. Epoch e orders the N_i items by ``hash(seed, "rank", source, e,
key)``; item with rank r in epoch e has ordinal ``e * N_i + r`` and is used iff that is ``< d_i``. Hence every item
appears exactly ``d_i // N_i`` or ``d_i // N_i + 1`` times (the extra time for the ``d_i % N_i`` items ranked first
in the last epoch): at most once under ``stop``, at least once under ``exhaust_all``, exactly once for a
``one_pass`` source (unless a stop/exhaust_all bound changed the size).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache, partial
from math import ceil
from typing import Any, Sequence

from rt2data.errors import ConfigError, DataError
from rt2data.mix.order import block_layout, feistel_permute, rank_hash, stable_hash

__all__ = [
    "POLICIES",
    "SourceRequest",
    "SourcePlan",
    "MixPlan",
    "stable_hash",
    "exact_weight",
    "largest_remainder",
    "block_quotas",
    "feistel_permute",
    "block_layout",
    "make_plan",
    "rank_hash",
]

POLICIES = ("repeat", "stop", "exhaust_all")
_SCAN_LIMIT = 10_000_000


def exact_weight(w: float | int | str | Fraction) -> Fraction:
    """A weight as an exact fraction: ``0.1`` means one tenth (its shortest decimal), not the binary float."""
    if isinstance(w, bool):
        raise ConfigError(f"weight {w!r} is not a number")
    if isinstance(w, float):
        return Fraction(repr(w))
    return Fraction(w)


def largest_remainder(total: int, weights: Sequence[Fraction]) -> tuple[int, ...]:
    """Apportion ``total`` by ``weights`` (Hamilton): floors, then one more to the largest remainders.

    Ties between equal remainders go to the earlier index. The result sums to ``total``.
    """
    s = sum(weights)
    if total < 0 or s <= 0:
        raise ValueError(f"largest_remainder needs total >= 0 and a positive weight sum, got {total}, {s}")
    exact = [Fraction(total) * w / s for w in weights]
    quotas = [int(x) for x in exact]  # floor: all non-negative
    rest = total - sum(quotas)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - quotas[i]), i))
    for i in order[:rest]:
        quotas[i] += 1
    return tuple(quotas)


def block_quotas(block_size: int, weights: Sequence[Fraction], names: Sequence[str]) -> tuple[int, ...]:
    """Per-block quotas; a positive weight that rounds to 0 is a ``ConfigError`` naming the source."""
    quotas = largest_remainder(block_size, weights)
    for q, w, name in zip(quotas, weights, names):
        if w > 0 and q == 0:
            raise ConfigError(
                f"source {name!r}: weight {float(w):g} gives 0 examples in every block of {block_size}; "
                "raise its weight or output.block_size"
            )
    return quotas


@dataclass(frozen=True)
class SourceRequest:
    """What the planner needs to know about a source.

    Attributes:
        name: source name.
        weight: relative weight (>= 0).
        policy: ``repeat`` | ``stop`` | ``exhaust_all``.
        available: usable items (after dead letters and duplicate keys).
    """

    name: str
    weight: Fraction
    policy: str
    available: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", exact_weight(self.weight))
        if self.weight < 0:
            raise ConfigError(f"source {self.name!r}: weight {float(self.weight):g} is negative; use a weight >= 0")
        if self.policy not in POLICIES:
            raise ConfigError(f"source {self.name!r}: when_exhausted {self.policy!r} is not one of {list(POLICIES)}")
        if self.available < 0:
            raise ValueError(f"source {self.name!r}: available must be >= 0")


@dataclass(frozen=True)
class SourcePlan:
    """The plan of one source.

    Attributes:
        name, policy, weight, available: as requested.
        fraction: requested share ``w_i / sum w``.
        draws: output examples from this source (``d_i``).
        quota: examples per full block (block mode; else 0).
        offset: first pre-permutation index (global mode; else 0).
    """

    name: str
    policy: str
    weight: Fraction
    fraction: Fraction
    available: int
    draws: int
    quota: int = 0
    offset: int = 0

    @property
    def epochs(self) -> int:
        """Passes over the source that are (partly) used: ``ceil(draws / available)``."""
        return 0 if self.draws == 0 else ceil(self.draws / self.available)

    def needed(self, epoch: int) -> int:
        """How many items (the first by rank) epoch ``epoch`` contributes."""
        return max(0, min(self.available, self.draws - epoch * self.available))

    def appearances(self) -> dict[int, int]:
        """``{times an item appears: number of items}`` (exact)."""
        if self.available == 0:
            return {}
        full, extra = divmod(self.draws, self.available)
        out = {full + 1: extra, full: self.available - extra}
        return {k: v for k, v in sorted(out.items()) if v}


@dataclass(frozen=True)
class MixPlan:
    """The whole plan: total, per-source draws, and position functions.

    Attributes:
        seed: mixture seed.
        total: output examples T.
        requested_total: T0 (None when the size came from the policies).
        block_size: B, or None for the global shuffle.
        shard_examples: examples per output shard.
        sources: per-source plans, in mixture order.
        notes: human-readable reasons the size differs from the request.
    """

    seed: int
    total: int
    requested_total: int | None
    block_size: int | None
    shard_examples: int
    sources: tuple[SourcePlan, ...]
    notes: tuple[str, ...] = ()

    def index_of(self, name: str) -> int:
        for i, s in enumerate(self.sources):
            if s.name == name:
                return i
        raise ConfigError(f"mixture has no source {name!r}; its sources are {[s.name for s in self.sources]}")

    @property
    def quotas(self) -> tuple[int, ...]:
        return tuple(s.quota for s in self.sources)

    @property
    def num_shards(self) -> int:
        return ceil(self.total / self.shard_examples)

    def position(self, source_index: int, ordinal: int) -> int:
        """Output position of draw ``ordinal`` (0-based) of source ``source_index``."""
        src = self.sources[source_index]
        if not 0 <= ordinal < src.draws:
            raise ValueError(f"source {src.name!r}: ordinal {ordinal} outside its {src.draws} draws")
        if self.block_size is None:
            return feistel_permute(src.offset + ordinal, self.total, _position_key(self.seed))
        return _block_position(self.seed, self.block_size, self.quotas, source_index, ordinal)

    def draw_positions(self) -> list[array]:
        """``[array("q", [position(i, o) for o in range(draws of i)]) for every source i]``: the output position of
        every draw; in block mode in one pass over the blocks (each block's layout computed once for all sources,
        not once per draw). The positions of all sources are a permutation of ``range(total)``: ``total * 8``
        bytes."""
        if self.block_size is None:
            return [array("q", map(partial(self.position, i), range(s.draws)))
                    for i, s in enumerate(self.sources)]
        out = [array("q") for _ in self.sources]
        layout_of = block_layout.__wrapped__  # every block once: the cache would only churn
        size, quotas, total = self.block_size, self.quotas, self.total
        for block in range(ceil(total / size)):
            base = block * size
            last = total - base < size  # the partial last block: only its slots below total - base are drawn
            for positions, slots in zip(out, layout_of(self.seed, quotas, block)):
                positions.extend(base + k for k in slots if not last or base + k < total)
        return out

    def shard_of(self, position: int) -> int:
        return position // self.shard_examples

    def planned_in_range(self, start: int, stop: int) -> dict[str, float]:
        """Examples per source among positions ``[start, stop)``: exact in block mode, expected otherwise."""
        if self.block_size is None:
            n = stop - start
            return {s.name: float(round(s.fraction * n, 3)) for s in self.sources if s.weight > 0}
        counts = [0] * len(self.sources)
        b0, b1 = start // self.block_size, (stop - 1) // self.block_size
        for b in range(b0, b1 + 1):
            lo, hi = max(start, b * self.block_size), min(stop, (b + 1) * self.block_size)
            if hi - lo == self.block_size:
                counts = [c + q for c, q in zip(counts, self.quotas)]
                continue
            layout = block_layout(self.seed, self.quotas, b)
            for i, slots in enumerate(layout):
                counts[i] += sum(1 for k in slots if lo <= b * self.block_size + k < hi)
        return {s.name: float(c) for s, c in zip(self.sources, counts) if s.weight > 0}

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "total": self.total,
            "requested_total": self.requested_total,
            "mode": "block" if self.block_size else "global_shuffle",
            "block_size": self.block_size,
            "shard_examples": self.shard_examples,
            "notes": list(self.notes),
            "sources": {
                s.name: {
                    "policy": s.policy,
                    "weight": float(s.weight),
                    "requested_fraction": float(s.fraction),
                    "requested_examples": float(round(s.fraction * self.total, 3)),
                    "block_quota": s.quota if self.block_size else None,
                    "available": s.available,
                    "planned_examples": s.draws,
                    "epochs": s.epochs,
                    "appearances": {str(k): v for k, v in s.appearances().items()},
                }
                for s in self.sources
            },
        }


def _block_position(seed: int, block_size: int, quotas: tuple[int, ...], i: int, ordinal: int) -> int:
    block, j = divmod(ordinal, quotas[i])
    return block * block_size + block_layout(seed, quotas, block)[i][j]


@lru_cache(maxsize=64)
def _position_key(seed: int) -> int:
    """The Feistel key of a global shuffle (hashed once per seed, not once per position)."""
    return stable_hash(seed, "position")


def _block_draws(seed: int, block_size: int, quotas: tuple[int, ...], total: int) -> list[int]:
    full, rest = divmod(total, block_size)
    draws = [q * full for q in quotas]
    if rest:
        for i, slots in enumerate(block_layout(seed, quotas, full)):
            draws[i] += sum(1 for k in slots if k < rest)
    return draws


def _scan(start: int, stop: int, step: int, ok) -> int | None:
    if abs(stop - start) > _SCAN_LIMIT:
        raise ConfigError("mixture size search is too long: a stop/exhaust_all source has a tiny weight; "
                          "use output.block_size or a larger weight")
    for t in range(start, stop, step):
        if ok(t):
            return t
    return None


def _bounds(reqs: Sequence[SourceRequest], fractions: list[Fraction], seed: int, block_size: int | None,
            quotas: tuple[int, ...]) -> tuple[int | None, int | None]:
    """(T_stop, T_all) as defined in the module docstring (None when no such sources)."""
    stop = [i for i, r in enumerate(reqs) if r.policy == "stop" and r.weight > 0]
    cover = [i for i, r in enumerate(reqs) if r.policy == "exhaust_all" and r.weight > 0 and r.available > 0]
    t_stop = t_all = None
    if block_size is not None:
        if stop:
            t_stop = min(_block_position(seed, block_size, quotas, i, reqs[i].available) for i in stop)
        if cover:
            t_all = max(_block_position(seed, block_size, quotas, i, reqs[i].available - 1) + 1 for i in cover)
        return t_stop, t_all
    weights = [r.weight for r in reqs]
    if stop:
        # every t <= lo keeps d_i(t) <= N_i (t * p_i <= N_i); t = hi exceeds some N_i: the first excess - 1
        lo = min(int(reqs[i].available / fractions[i]) for i in stop)
        hi = min(ceil((reqs[i].available + 1) / fractions[i]) for i in stop)
        t_stop = _scan(lo + 1, hi + 1, 1, lambda t: any(
            largest_remainder(t, weights)[i] > reqs[i].available for i in stop)) - 1
    if cover:
        # every t >= hi gives d_i(t) >= N_i (t * p_i >= N_i); t = lo falls short for some source: the last short + 1
        lo = max(int((reqs[i].available - 1) / fractions[i]) for i in cover)
        hi = max(ceil(reqs[i].available / fractions[i]) for i in cover)
        t_all = _scan(hi - 1, lo - 1, -1, lambda t: any(
            largest_remainder(t, weights)[i] < reqs[i].available for i in cover)) + 1
    return t_stop, t_all


def _within_policies(reqs: Sequence[SourceRequest], draws: Sequence[int]) -> bool:
    """No stop source drawn more than its size, every exhaust_all source at least its size."""
    return all(not (r.weight > 0 and ((r.policy == "stop" and d > r.available)
                                      or (r.policy == "exhaust_all" and d < r.available)))
               for r, d in zip(reqs, draws))


def make_plan(
    requests: Sequence[SourceRequest],
    *,
    seed: int,
    examples: int | None = None,
    one_pass: str | None = None,
    block_size: int | None = None,
    shard_examples: int = 1000,
) -> MixPlan:
    """Plan a mixture (see the module docstring for every rule).

    Raises:
        ConfigError: no positive weight, an unknown ``one_pass`` source, an endless mixture, a zero block quota.
        DataError: a source with no usable example would have to provide some (policy repeat/exhaust_all).
    """
    reqs = list(requests)
    names = [r.name for r in reqs]
    weights = [r.weight for r in reqs]
    wsum = sum(weights)
    if wsum <= 0:
        raise ConfigError(f"all source weights are zero ({names}); give at least one source a positive weight")
    fractions = [w / wsum for w in weights]
    quotas = block_quotas(block_size, weights, names) if block_size else tuple(0 for _ in reqs)
    requested = examples
    fixed = None
    if one_pass is not None:
        if one_pass not in names:
            raise ConfigError(f"output.one_pass names {one_pass!r}, which is not a source; sources: {names}")
        i = names.index(one_pass)
        n = reqs[i].available
        if weights[i] <= 0:
            raise ConfigError(f"output.one_pass source {one_pass!r} has weight 0; give it a positive weight")
        if block_size:
            requested = 0 if n == 0 else _block_position(seed, block_size, quotas, i, n - 1) + 1
        else:
            requested = int(Fraction(n) / fractions[i] + Fraction(1, 2))
            fixed = (i, n)
    t_stop, t_all = _bounds(reqs, fractions, seed, block_size, quotas)
    notes: list[str] = []
    if requested is None and t_all is None and t_stop is None:
        raise ConfigError("the mixture has no size: set output.examples or output.one_pass, or give a source "
                          "when_exhausted stop or exhaust_all")
    total = requested if requested is not None else (t_all if t_all is not None else t_stop)
    if t_all is not None and total < t_all:
        notes.append(f"extended from {total} to {t_all} examples so every exhaust_all source is seen completely")
        total, fixed = t_all, None
    if t_stop is not None and total > t_stop:
        ran_out = [r.name for r in reqs if r.policy == "stop" and r.weight > 0]
        notes.append(f"stopped at {t_stop} of {total} examples: a stop source ({', '.join(ran_out)}) ran out")
        if t_all is not None and t_stop < t_all:
            notes.append("the stop bound came before every exhaust_all source was seen completely")
        total, fixed = t_stop, None
    if block_size:
        draws = _block_draws(seed, block_size, quotas, total)
    elif fixed is not None:
        i, n = fixed
        rest_w = [w if j != i else Fraction(0) for j, w in enumerate(weights)]
        draws = list(largest_remainder(total - n, rest_w)) if sum(rest_w) > 0 else [0] * len(reqs)
        draws[i] = n
        if not _within_policies(reqs, draws):  # the bounds hold for the plain apportionment of this size
            notes.append(f"one_pass source {reqs[i].name!r} not drawn exactly once: a stop/exhaust_all source "
                         "bound the draws")
            draws = list(largest_remainder(total, weights))
    else:
        draws = list(largest_remainder(total, weights))
    for r, d in zip(reqs, draws):
        if d > 0 and r.available == 0:
            raise DataError(f"source {r.name!r} has no usable examples but the plan needs {d} of them; "
                            "check its dead letters, fix its input, set its weight to 0 or use when_exhausted: stop")
    offsets = [sum(draws[:i]) for i in range(len(reqs))]
    sources = tuple(
        SourcePlan(name=r.name, policy=r.policy, weight=r.weight, fraction=f, available=r.available, draws=d,
                   quota=q, offset=o)
        for r, f, d, q, o in zip(reqs, fractions, draws, quotas, offsets)
    )
    return MixPlan(seed=seed, total=total, requested_total=requested, block_size=block_size,
                   shard_examples=shard_examples, sources=sources, notes=tuple(notes))
