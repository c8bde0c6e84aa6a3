"""A mergeable, log-bucketed quantile sketch (DDSketch-style) with platform-independent buckets.

Each value ``x`` goes to a bucket whose width is a fixed fraction of ``|x|``; a bucket remembers only an
integer count. Merging two sketches adds counts, so it is commutative and associative: any split of the data
and any merge order give the same counts, hence byte-identical quantiles.

Bucketing uses no transcendental function (``np.log`` differs in the last ulp between CPUs and SIMD paths,
and one ulp at a bucket boundary would change a quantile). Instead ``|x| = mant * 2**E`` with
``mant in [1, 2)`` comes exactly from ``np.frexp``, and ``mant`` is located by exact comparisons
(``np.searchsorted``) in a table of ``K + 1`` boundaries ``t_j = floor(2**(52 + j/K)) / 2**52`` computed with
Python integers. So bucket ``(E, j)`` is ``[2**E * t_j, 2**E * t_{j+1})``, consecutive boundaries have ratio
``g <= 2**(1/K)`` (plus 2**-52), and ``K`` is the smallest integer for which ``(g - 1) / (g + 1)`` is below the
requested relative accuracy ``alpha`` (``alpha = 0.005`` gives ``K = 70`` buckets per octave).

Error bound (per estimated order statistic): a bucket's representative is ``2 * lo * hi / (lo + hi)``, so for
every value in it ``|rep - x| <= alpha * |x|``; values with ``|x| < min_indexable`` share one zero bucket
(representative 0, error ``< min_indexable``). Memory: at most ``K * (log2(max/min) + 1)`` buckets per sign and
dimension for values in ``[min, max]``, independent of how many values were added.
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np

from rt2data.errors import DataError

__all__ = [
    "DEFAULT_RELATIVE_ACCURACY",
    "DEFAULT_MIN_INDEXABLE",
    "LogBuckets",
    "QuantileSketch",
]

DEFAULT_RELATIVE_ACCURACY = 0.005
DEFAULT_MIN_INDEXABLE = 1e-9
_EXP_OFFSET = 1073  # np.frexp exponents of finite nonzero float64 lie in [-1073, 1024]
_NUM_EXPONENTS = 2098
_COMPACT_MIN = 1 << 16  # pending (key, count) entries tolerated before folding them into the sorted arrays


@lru_cache(maxsize=32)
def _octave_table(k: int) -> tuple[int, ...]:
    """``t_j = floor(2**(52 + j/k))`` for ``j = 0..k``, exactly; ``t_0 = 2**52, t_k = 2**53``.

    80-digit ``decimal`` arithmetic (software, deterministic; ``v_j = 2**52 * r**j`` with ``r = 2**(1/k)``,
    relative error below 1e-70) decides the floor; when a value is within 1e-30 of an integer the floor is
    settled exactly with integer k-th powers. Either way the result is the mathematical floor on every platform.
    """
    table = []
    with decimal.localcontext() as ctx:
        ctx.prec = 80
        ratio = decimal.Decimal(2) ** (decimal.Decimal(1) / k)
        v = decimal.Decimal(2**52)
        for j in range(k + 1):
            t = int(v)
            if min(v - t, t + 1 - v) < decimal.Decimal("1e-30"):
                target = 1 << (52 * k + j)
                while t**k > target:
                    t -= 1
                while (t + 1) ** k <= target:
                    t += 1
            table.append(t)
            v *= ratio
    return tuple(table)


def _achieved_accuracy(k: int) -> tuple[float, np.ndarray, np.ndarray]:
    bounds = np.array(_octave_table(k), dtype=np.float64) / 2.0**52  # exact: every t_j < 2**53 or == 2**53
    lo, hi = bounds[:-1], bounds[1:]
    reps = 2.0 * lo * hi / (lo + hi)
    return float(np.max((hi - lo) / (hi + lo))), bounds, reps


@lru_cache(maxsize=32)
def _choose_sub_buckets(alpha: float) -> int:
    """Smallest K whose table meets ``alpha`` (checked with exact tables, so the same K on every platform)."""
    gamma = (1.0 + alpha) / (1.0 - alpha)
    k = max(1, math.floor(math.log(2.0) / math.log(gamma)) - 2)  # strictly below the answer
    while _achieved_accuracy(k)[0] * (1.0 + 1e-9) > alpha:
        k += 1
    return k


@dataclass(frozen=True)
class LogBuckets:
    """The value -> bucket mapping: signed integer keys, monotone non-decreasing in the value.

    Key 0 is the zero bucket (``|x| < min_indexable`` or ``x == 0``); positive values get ``b + 1`` and negative
    values ``-(b + 1)`` where ``b = (E + 1074) * K + j`` indexes bucket ``j`` of octave ``E`` of ``|x|``.

    Attributes:
        relative_accuracy: alpha, the guaranteed relative error of a bucket representative, in [1e-4, 0.2].
        min_indexable: magnitudes below this count as zero (>= 0; 0 keeps every nonzero float).
        sub_buckets: K, buckets per octave (derived).
    """

    relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY
    min_indexable: float = DEFAULT_MIN_INDEXABLE
    sub_buckets: int = field(init=False)
    _bounds: np.ndarray = field(init=False, repr=False, compare=False)
    _reps: np.ndarray = field(init=False, repr=False, compare=False)
    _cells: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        alpha, mi = self.relative_accuracy, self.min_indexable
        if not isinstance(alpha, (int, float)) or not 1e-4 <= float(alpha) <= 0.2:
            raise DataError(f"sketch relative_accuracy {alpha!r} is out of range: expected a float in [1e-4, 0.2]")
        if not isinstance(mi, (int, float)) or not (math.isfinite(mi) and 0.0 <= float(mi) < 1.0):
            raise DataError(f"sketch min_indexable {mi!r} is out of range: expected a float in [0, 1)")
        object.__setattr__(self, "relative_accuracy", float(alpha))
        object.__setattr__(self, "min_indexable", float(mi))
        k = _choose_sub_buckets(float(alpha))
        _, bounds, reps = _achieved_accuracy(k)
        # Lookup: the mantissa cell [1 + c/C, 1 + (c+1)/C) holds at most one boundary (C >= 2K and buckets are
        # wider than 1/(2K)), so bucket = cells[c] + (mantissa >= next boundary): exact, without a binary search.
        n_cells = 1 << (2 * k - 1).bit_length()
        cells = np.searchsorted(bounds, 1.0 + np.arange(n_cells) / n_cells, side="right") - 1
        for arr in (bounds, reps, cells):
            arr.setflags(write=False)
        object.__setattr__(self, "_cells", cells)
        object.__setattr__(self, "sub_buckets", k)
        object.__setattr__(self, "_bounds", bounds)
        object.__setattr__(self, "_reps", reps)

    @property
    def half_range(self) -> int:
        """Largest ``|key|`` any float64 can get."""
        return _NUM_EXPONENTS * self.sub_buckets

    def to_json(self) -> dict[str, Any]:
        """Parameters that define the buckets (two sketches merge only if these are equal)."""
        return {
            "kind": "ddsketch",
            "mapping": "frexp-geometric",
            "relative_accuracy": self.relative_accuracy,
            "min_indexable": self.min_indexable,
            "sub_buckets_per_octave": self.sub_buckets,
            "quantile_method": "linear",
        }

    def keys_from_frexp(self, x: np.ndarray, mant: np.ndarray, exp: np.ndarray) -> np.ndarray:
        """Signed bucket keys (int64, shape of ``x``) given ``mant, exp = np.frexp(x)``; ``x`` must be finite."""
        m2 = np.abs(mant) * 2.0  # exact, in [1, 2) for nonzero x
        n_cells = self._cells.size
        j = self._cells[((m2 - 1.0) * n_cells).astype(np.int64) & (n_cells - 1)]  # m2 - 1 and * 2**c are exact
        j += m2 >= self._bounds[j + 1]
        b = (exp.astype(np.int64) + _EXP_OFFSET) * self.sub_buckets + j + 1
        keys = np.where(mant < 0, -b, b)
        keys[(np.abs(x) < self.min_indexable) | (x == 0)] = 0
        return keys

    def keys(self, x: np.ndarray) -> np.ndarray:
        """Signed bucket keys of finite float64 values (any shape)."""
        x = np.asarray(x, dtype=np.float64)
        mant, exp = np.frexp(x)
        return self.keys_from_frexp(x, mant, exp)

    def values(self, keys: np.ndarray) -> np.ndarray:
        """Representative value of each signed key (0.0 for the zero bucket)."""
        keys = np.asarray(keys, dtype=np.int64)
        b = np.abs(keys) - 1
        octave, j = np.divmod(np.maximum(b, 0), self.sub_buckets)
        rep = np.ldexp(self._reps[j], (octave - _EXP_OFFSET - 1).astype(np.int32))
        return np.where(keys == 0, 0.0, np.where(keys < 0, -rep, rep))


class QuantileSketch:
    """``dim`` independent sketches kept as one sorted array of (dim, key) -> count.

    Adding is buffered: per-batch (key, count) pairs wait in a pending list that is folded into the sorted
    arrays once it outgrows ``max(65536, 2 * buckets)``, so memory stays bounded by the bucket count.
    """

    def __init__(self, dim: int, *, buckets: LogBuckets) -> None:
        self.dim = int(dim)
        self.buckets = buckets
        self._half = buckets.half_range
        self._stride = 2 * self._half + 1
        self._keys = np.zeros(0, np.int64)  # (d * stride + key + half), sorted, unique
        self._counts = np.zeros(0, np.int64)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_size = 0

    def add_keys(self, keys: np.ndarray) -> None:
        """Count signed keys ``int64[N, dim]`` (one per value)."""
        if keys.size == 0:
            return
        flat = (keys + (self._half + np.arange(self.dim, dtype=np.int64) * self._stride)).ravel()
        uniq, counts = np.unique(flat, return_counts=True)
        self._push(uniq, counts.astype(np.int64))

    def _push(self, keys: np.ndarray, counts: np.ndarray) -> None:
        self._pending.append((keys, counts))
        self._pending_size += keys.size
        if self._pending_size > max(_COMPACT_MIN, 2 * self._keys.size):
            self.compact()

    def compact(self) -> None:
        """Fold pending counts into the sorted arrays (the canonical form: depends only on the counts)."""
        if not self._pending:
            return
        keys = np.concatenate([self._keys] + [k for k, _ in self._pending])
        counts = np.concatenate([self._counts] + [c for _, c in self._pending])
        uniq, inverse = np.unique(keys, return_inverse=True)
        total = np.zeros(uniq.size, np.int64)
        np.add.at(total, inverse, counts)
        self._keys, self._counts = uniq, total
        self._pending, self._pending_size = [], 0

    def merge(self, other: QuantileSketch) -> QuantileSketch:
        """Add ``other``'s counts into this sketch (in place; ``other`` keeps its counts). Returns self."""
        if other.dim != self.dim or other.buckets != self.buckets:
            raise DataError(
                f"cannot merge sketches: dim {other.dim} with {other.buckets.to_json()} into "
                f"dim {self.dim} with {self.buckets.to_json()}"
            )
        other.compact()
        if other._keys.size:
            self._push(other._keys, other._counts)
        return self

    @property
    def num_buckets(self) -> int:
        """Non-empty buckets over all dimensions (after folding pending counts)."""
        self.compact()
        return int(self._keys.size)

    def _dim_slice(self, d: int) -> slice:
        lo = np.searchsorted(self._keys, d * self._stride)
        hi = np.searchsorted(self._keys, (d + 1) * self._stride)
        return slice(int(lo), int(hi))

    def quantiles(
        self, qs: Sequence[float], *, count: int, mins: np.ndarray, maxs: np.ndarray
    ) -> np.ndarray:
        """Estimate quantiles like ``np.quantile(x, q, axis=0)`` (method "linear"): float64[len(qs), dim].

        With ``h = q * (count - 1)`` (exact rational), ``k = floor(h)``, ``f = h - k``, the estimate is
        ``v_k + f * (v_{k+1} - v_k)`` where ``v_i`` estimates the i-th smallest value: the representative of its
        bucket clamped into ``[min, max]``, and exactly ``min`` / ``max`` for ``i = 0`` / ``i = count - 1``.
        Each ``v_i`` is within ``max(alpha * |x_(i)|, min_indexable)`` of the true ``x_(i)``.
        """
        self.compact()
        if count <= 0:
            raise DataError("cannot estimate quantiles of an empty sketch: no values were added")
        out = np.empty((len(qs), self.dim), np.float64)
        for d in range(self.dim):
            sl = self._dim_slice(d)
            cum = np.cumsum(self._counts[sl])
            if cum.size == 0 or int(cum[-1]) != count:
                raise DataError(f"sketch dimension {d} holds {int(cum[-1]) if cum.size else 0} values, expected {count}")
            keys = self._keys[sl] - (d * self._stride + self._half)
            reps = self.buckets.values(keys)

            def order_stat(i: int) -> float:
                if i <= 0:
                    return float(mins[d])
                if i >= count - 1:
                    return float(maxs[d])
                v = float(reps[int(np.searchsorted(cum, i, side="right"))])
                return min(max(v, float(mins[d])), float(maxs[d]))

            for row, q in enumerate(qs):
                h = Fraction(q) * (count - 1)
                k = math.floor(h)
                f = float(h - k)
                lo = order_stat(k)
                out[row, d] = lo if f == 0.0 else lo + f * (order_stat(k + 1) - lo)
        return out + 0.0  # no -0.0 in outputs

    def to_state(self) -> dict[str, list[list[int]]]:
        """Canonical JSON-able counts: per dimension, ascending signed keys and their counts."""
        self.compact()
        keys, counts = [], []
        for d in range(self.dim):
            sl = self._dim_slice(d)
            keys.append((self._keys[sl] - (d * self._stride + self._half)).tolist())
            counts.append(self._counts[sl].tolist())
        return {"keys": keys, "counts": counts}

    @classmethod
    def from_state(cls, state: Mapping[str, Any], *, dim: int, buckets: LogBuckets) -> QuantileSketch:
        """Inverse of ``to_state``; validates lengths, order, key range and positive counts."""
        sketch = cls(dim, buckets=buckets)
        keys, counts = state.get("keys"), state.get("counts")
        if not isinstance(keys, list) or not isinstance(counts, list) or len(keys) != dim or len(counts) != dim:
            raise DataError(f"sketch state: 'keys' and 'counts' must be lists of {dim} lists")
        flat_k, flat_c = [], []
        for d, (k, c) in enumerate(zip(keys, counts)):
            k_arr, c_arr = np.asarray(k, dtype=np.int64), np.asarray(c, dtype=np.int64)
            if k_arr.ndim != 1 or k_arr.shape != c_arr.shape:
                raise DataError(f"sketch state dimension {d}: keys and counts differ in length")
            if k_arr.size and (np.any(np.diff(k_arr) <= 0) or np.abs(k_arr).max() > sketch._half or c_arr.min() <= 0):
                raise DataError(f"sketch state dimension {d}: keys must ascend within range, counts be positive")
            flat_k.append(k_arr + (d * sketch._stride + sketch._half))
            flat_c.append(c_arr)
        sketch._keys = np.concatenate(flat_k) if flat_k else sketch._keys
        sketch._counts = np.concatenate(flat_c) if flat_c else sketch._counts
        return sketch
