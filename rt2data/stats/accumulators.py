"""Dataset statistics of actions (and proprio): mergeable, streaming, and identical for any split of the data.

Per dimension: count, min, max, mean, std (population, ddof=0, like ``np.std`` in OpenVLA/Octo) and quantiles
(q01/q99 by default) from a log-bucketed sketch (``rt2data.stats.sketch``). Everything an accumulator holds is exact:
integer bucket counts, exact min/max, and the sum and sum of squares as Python integers on a fixed binary scale
(every float64 is ``M * 2**(e - 53)`` with an integer ``M``, so sums of ``M`` grouped by ``e`` are exact in
int64 pieces and are folded into big integers). Merging is therefore commutative and associative, and the same
values give byte-identical ``finalize()`` output whatever the batching, worker count or merge order. Mean and std
are the correctly rounded mean and (to 2**-110) std of the exact values: no cancellation, no order effect. The sum
of squares is exact too (not a sum of rounded float64 squares), so a constant dimension has std exactly 0.0.
Quantile estimates follow ``np.quantile``'s default "linear" rule; each order statistic used is within
``max(alpha * |x|, min_indexable)`` of the true one and is clamped into the exact [min, max] (see ``rt2data.stats.sketch``).

Memory per accumulator is flat: a dense int64 table ``(7, dim * 2098)`` (allocated on first add), the sketch
buckets (``O(log(max/min) / alpha)``, independent of the count) and ``dim`` big integers.

``merge`` works in place and returns ``self``; ``merged(accs)`` builds a new accumulator from many in one pass.
Beam-friendly plain functions: ``create_accumulator``, ``add_input``, ``merge_accumulators``, ``extract_output``.
The statistics file (OpenVLA layout + our versioned ``rt2data`` block, JSON Schema ``schemas/stats.schema.json``)
is written by ``write_stats`` (atomically, deterministic bytes) and read by ``load_stats``; ``stats_match`` says
whether an existing file can be reused.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from rt2data.errors import DataError
from rt2data.stats.sketch import DEFAULT_MIN_INDEXABLE, DEFAULT_RELATIVE_ACCURACY, LogBuckets, QuantileSketch

__all__ = [
    "DEFAULT_QUANTILES",
    "ArrayStatsAccumulator",
    "DatasetStatsAccumulator",
    "create_accumulator",
    "add_input",
    "merge_accumulators",
    "extract_output",
    "quantile_key",
    "STATS_FORMAT_VERSION",
    "OPENVLA_KEYS",
    "StatsFile",
    "stats_json_bytes",
    "write_stats",
    "load_stats",
    "stats_match",
]

logger = logging.getLogger(__name__)

DEFAULT_QUANTILES = (0.01, 0.99)
_NEXP = 2098  # distinct np.frexp exponents of finite nonzero float64: [-1073, 1024]
_EXP_OFFSET = 1073
_SUM_SHIFT = 1126  # x = M * 2**(e + 1073 - 1126): sum scale 2**-1126, sum of squares 2**-2252
_FOLD_LIMIT = 1 << 25  # int64 pieces are < 2**37: fold to big ints before 2**26 values accumulate
_CHUNK_VALUES = 1 << 13
_LOW26, _LOW18 = (1 << 26) - 1, (1 << 18) - 1
_STATE_FORMAT = "rt2data.array_stats/1"


def quantile_key(q: float) -> str:
    """Output key of a quantile: 0.01 -> "q01", 0.5 -> "q50", 0.995 -> "q99.5"."""
    pct = round(q * 100, 10)
    return f"q{int(pct):02d}" if pct == int(pct) else f"q{pct:g}"


class _ExactSums:
    """Exact per-dimension sum and sum of squares of float64 values, as big integers (see module doc)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.sum = [0] * dim  # value = sum * 2**-1126
        self.sumsq = [0] * dim  # value = sumsq * 2**-2252
        self._table: np.ndarray | None = None  # int64[7, dim * _NEXP] pieces not yet folded
        self._since_fold = 0
        self._offsets = np.arange(dim, dtype=np.int64) * _NEXP + _EXP_OFFSET

    def add(self, mant: np.ndarray, exp: np.ndarray) -> None:
        """Add values given as ``np.frexp`` parts, shape [N, dim]."""
        if self._table is None:
            self._table = np.zeros((7, self.dim * _NEXP), np.int64)
        if self._since_fold + mant.size > _FOLD_LIMIT:
            self.fold()
        self._since_fold += mant.size
        key = (exp + self._offsets).ravel()
        m = np.ldexp(mant, 53).astype(np.int64).ravel()  # exact integer mantissa, |m| < 2**53
        t = self._table
        np.add.at(t[0], key, m >> 26)
        np.add.at(t[1], key, m & _LOW26)
        a = np.abs(m)  # a**2 = h**2 2**72 + 2hm 2**54 + (m**2 + 2hl) 2**36 + 2ml 2**18 + l**2
        h, mid, low = a >> 36, (a >> 18) & _LOW18, a & _LOW18
        np.add.at(t[2], key, h * h)
        np.add.at(t[3], key, (h * mid) << 1)
        np.add.at(t[4], key, mid * mid + ((h * low) << 1))
        np.add.at(t[5], key, (mid * low) << 1)
        np.add.at(t[6], key, low * low)

    def fold(self) -> None:
        """Move the int64 pieces into the big integers (exact; changes representation only)."""
        t = self._table
        if t is None or self._since_fold == 0:
            return
        for idx in np.flatnonzero(t.any(axis=0)).tolist():
            d, ei = divmod(idx, _NEXP)
            p = [int(v) for v in t[:, idx]]
            self.sum[d] += ((p[0] << 26) + p[1]) << ei
            self.sumsq[d] += ((p[2] << 72) + (p[3] << 54) + (p[4] << 36) + (p[5] << 18) + p[6]) << (2 * ei)
        t[...] = 0
        self._since_fold = 0

    def mean_std(self, n: int) -> tuple[list[float], list[float]]:
        """Correctly rounded mean and population std of ``n`` values per dimension."""
        self.fold()
        means, stds = [], []
        for s1, s2 in zip(self.sum, self.sumsq):
            means.append(s1 / (n << _SUM_SHIFT) + 0.0)
            v = n * s2 - s1 * s1  # = n**2 * var * 2**2252, exactly; >= 0
            shift = max(0, (230 - v.bit_length()) // 2 + 1)
            stds.append(math.isqrt(v << (2 * shift)) / (n << (_SUM_SHIFT + shift)) + 0.0)
        return means, stds


class ArrayStatsAccumulator:
    """Streaming statistics of ``float64[N, dim]`` batches.

    Args:
        dim: number of dimensions D.
        label: what the values are ("action", "proprio"), used in error messages.
        relative_accuracy: sketch alpha; every quantile order statistic is within ``alpha * |x|``.
        min_indexable: magnitudes below this count as zero in the sketch (not in min/max/mean/std).
    """

    def __init__(
        self,
        dim: int,
        *,
        label: str = "values",
        relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY,
        min_indexable: float = DEFAULT_MIN_INDEXABLE,
    ) -> None:
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or dim < 1:
            raise DataError(f"{label} statistics: dim must be a positive integer, got {dim!r}")
        self.dim = int(dim)
        self.label = label
        self.buckets = LogBuckets(relative_accuracy, min_indexable)
        self.count = 0
        self._min = np.full(self.dim, np.inf)
        self._max = np.full(self.dim, -np.inf)
        self._sums = _ExactSums(self.dim)
        self._sketch = QuantileSketch(self.dim, buckets=self.buckets)

    def _check(self, x: Any) -> np.ndarray:
        arr = np.asarray(x)
        if arr.dtype.kind not in "fiub":
            raise DataError(f"{self.label}: expected a numeric array, got dtype {arr.dtype}")
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise DataError(f"{self.label}: expected shape [N, {self.dim}], got {list(arr.shape)}")
        arr = arr.astype(np.float64, copy=False)
        bad = ~np.isfinite(arr)
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            raise DataError(
                f"{self.label}: non-finite value {float(arr[row, col])!r} at row {row}, dimension {col} "
                f"({int(bad.sum())} non-finite in this batch); filter non-finite steps before statistics"
            )
        return arr + 0.0  # -0.0 -> 0.0, so min/max never depend on order

    def add(self, x: Any) -> ArrayStatsAccumulator:
        """Add a batch ``float64[N, dim]`` (float32/int upcast exactly). Returns self.

        Raises:
            DataError: wrong shape/dtype, or a NaN/inf (names the row and dimension).
        """
        arr = self._check(x)
        if arr.shape[0] == 0:
            return self
        self.count += arr.shape[0]
        np.minimum(self._min, arr.min(axis=0), out=self._min)
        np.maximum(self._max, arr.max(axis=0), out=self._max)
        rows = max(1, _CHUNK_VALUES // self.dim)
        for start in range(0, arr.shape[0], rows):
            chunk = arr[start : start + rows]
            mant, exp = np.frexp(chunk)
            self._sums.add(mant, exp)
            self._sketch.add_keys(self.buckets.keys_from_frexp(chunk, mant, exp))
        return self

    def _check_compatible(self, other: ArrayStatsAccumulator) -> None:
        if other.dim != self.dim or other.buckets != self.buckets:
            raise DataError(
                f"cannot merge {other.label} statistics (dim {other.dim}, {other.buckets.to_json()}) into "
                f"{self.label} statistics (dim {self.dim}, {self.buckets.to_json()})"
            )

    def merge(self, other: ArrayStatsAccumulator) -> ArrayStatsAccumulator:
        """Merge ``other`` into this accumulator in place (``other``'s values are unchanged). Returns self."""
        self._check_compatible(other)
        other._sums.fold()
        self.count += other.count
        np.minimum(self._min, other._min, out=self._min)
        np.maximum(self._max, other._max, out=self._max)
        for d in range(self.dim):
            self._sums.sum[d] += other._sums.sum[d]
            self._sums.sumsq[d] += other._sums.sumsq[d]
        self._sketch.merge(other._sketch)
        return self

    @classmethod
    def merged(cls, accs: Iterable[ArrayStatsAccumulator]) -> ArrayStatsAccumulator:
        """A new accumulator holding all of ``accs`` (sketch buckets combined in one sort)."""
        accs = list(accs)
        if not accs:
            raise DataError("merged(): no accumulators given")
        first = accs[0]
        out = cls(first.dim, label=first.label, relative_accuracy=first.buckets.relative_accuracy,
                  min_indexable=first.buckets.min_indexable)
        for acc in accs:
            out.merge(acc)
        out._sketch.compact()
        return out

    @property
    def num_buckets(self) -> int:
        """Non-empty sketch buckets over all dimensions (the part of memory that depends on the data)."""
        return self._sketch.num_buckets

    def quantiles(self, qs: Sequence[float]) -> np.ndarray:
        """Estimated quantiles, float64[len(qs), dim] (see ``QuantileSketch.quantiles`` for rule and bound)."""
        for q in qs:
            if not (isinstance(q, (int, float)) and 0.0 <= q <= 1.0):
                raise DataError(f"quantile {q!r} is not a number in [0, 1]")
        return self._sketch.quantiles(qs, count=self.count, mins=self._min, maxs=self._max)

    def finalize(self, *, quantiles: Sequence[float] = DEFAULT_QUANTILES) -> dict[str, list]:
        """Statistics as plain lists of D numbers: count, min, max, mean, std, and ``quantile_key(q)`` per q.

        Raises:
            DataError: if no values were added (there is no meaningful statistic of nothing).
        """
        if self.count == 0:
            raise DataError(f"{self.label} statistics: no values were added (empty dataset or split?)")
        mean, std = self._sums.mean_std(self.count)
        out: dict[str, list] = {
            "count": [self.count] * self.dim,
            "min": [float(v) for v in self._min],
            "max": [float(v) for v in self._max],
            "mean": mean,
            "std": std,
        }
        for q, row in zip(quantiles, self.quantiles(quantiles)):
            out[quantile_key(q)] = [float(v) for v in row]
        return out

    def to_state(self) -> dict[str, Any]:
        """Canonical JSON-able state (equal values give equal states); big integers as hex strings."""
        self._sums.fold()
        empty = self.count == 0
        return {
            "format": _STATE_FORMAT,
            "label": self.label,
            "dim": self.dim,
            "sketch": self.buckets.to_json(),
            "count": self.count,
            "min": None if empty else [float(v) for v in self._min],
            "max": None if empty else [float(v) for v in self._max],
            "sum": [hex(v) for v in self._sums.sum],
            "sumsq": [hex(v) for v in self._sums.sumsq],
            "buckets": self._sketch.to_state(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ArrayStatsAccumulator:
        """Inverse of ``to_state``. Raises DataError naming the bad field."""
        if not isinstance(state, Mapping) or state.get("format") != _STATE_FORMAT:
            raise DataError(f"statistics state: expected a mapping with format {_STATE_FORMAT!r}")
        try:
            sk = state["sketch"]
            acc = cls(state["dim"], label=str(state["label"]), relative_accuracy=sk["relative_accuracy"],
                      min_indexable=sk["min_indexable"])
            if sk != acc.buckets.to_json():
                raise DataError(f"sketch parameters {sk} differ from this version's {acc.buckets.to_json()}")
            acc.count = int(state["count"])
            if acc.count:
                acc._min = np.array(state["min"], np.float64).reshape(acc.dim)
                acc._max = np.array(state["max"], np.float64).reshape(acc.dim)
            acc._sums.sum = [int(v, 16) for v in state["sum"]]
            acc._sums.sumsq = [int(v, 16) for v in state["sumsq"]]
            if len(acc._sums.sum) != acc.dim or len(acc._sums.sumsq) != acc.dim:
                raise DataError(f"'sum' and 'sumsq' must have {acc.dim} entries")
            acc._sketch = QuantileSketch.from_state(state["buckets"], dim=acc.dim, buckets=acc.buckets)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"statistics state is malformed: {type(exc).__name__}: {exc}") from exc
        return acc

    def __getstate__(self) -> dict[str, Any]:
        return self.to_state()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(ArrayStatsAccumulator.from_state(state).__dict__)


class DatasetStatsAccumulator:
    """Action statistics (+ optional proprio statistics) and transition/trajectory counts of a dataset.

    ``merge`` is in place and returns self; ``merged(accs)`` returns a new accumulator.
    """

    def __init__(
        self,
        action_dim: int,
        *,
        proprio_dim: int | None = None,
        relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY,
        min_indexable: float = DEFAULT_MIN_INDEXABLE,
    ) -> None:
        opts = {"relative_accuracy": relative_accuracy, "min_indexable": min_indexable}
        self.action = ArrayStatsAccumulator(action_dim, label="action", **opts)
        self.proprio = None if proprio_dim is None else ArrayStatsAccumulator(proprio_dim, label="proprio", **opts)
        self.num_transitions = 0
        self.num_trajectories = 0

    def add_episode(self, actions: Any, proprio: Any = None) -> DatasetStatsAccumulator:
        """Add one episode: ``actions`` float64[N, D]; ``proprio`` float64[M, P] iff built with ``proprio_dim``.

        M may be smaller than N: callers leave out non-finite rows of each array on its own, so a NaN in the proprio
        state does not hide that step's action from the action statistics (and vice versa).

        An episode with N = 0 steps counts as a trajectory with no transitions. Returns self.

        Raises:
            DataError: shape mismatch, missing/unexpected proprio, or a non-finite value (row and dimension named).
        """
        if (proprio is None) != (self.proprio is None):
            want = "no proprio" if self.proprio is None else f"proprio of shape [N, {self.proprio.dim}]"
            raise DataError(f"episode: expected {want}, got {'none' if proprio is None else 'proprio'}")
        n = np.shape(actions)[0] if np.ndim(actions) else -1
        if proprio is not None and np.ndim(proprio) and np.shape(proprio)[0] > n:
            raise DataError(f"episode: {np.shape(proprio)[0]} proprio rows but only {n} action rows")
        # Check everything before adding anything, so a bad episode leaves the accumulator untouched.
        checked_a = self.action._check(actions)
        checked_p = None if proprio is None else self.proprio._check(proprio)
        self.action.add(checked_a)
        if checked_p is not None:
            self.proprio.add(checked_p)
        self.num_transitions += checked_a.shape[0]
        self.num_trajectories += 1
        return self

    def merge(self, other: DatasetStatsAccumulator) -> DatasetStatsAccumulator:
        """Merge ``other`` into self (in place). Returns self."""
        if (other.proprio is None) != (self.proprio is None):
            raise DataError("cannot merge dataset statistics with and without proprio")
        self.action.merge(other.action)
        if self.proprio is not None:
            self.proprio.merge(other.proprio)
        self.num_transitions += other.num_transitions
        self.num_trajectories += other.num_trajectories
        return self

    @classmethod
    def merged(cls, accs: Iterable[DatasetStatsAccumulator]) -> DatasetStatsAccumulator:
        """A new accumulator holding all of ``accs``."""
        accs = list(accs)
        if not accs:
            raise DataError("merged(): no accumulators given")
        out = cls.from_state(accs[0].to_state())
        for acc in accs[1:]:
            out.merge(acc)
        out.action._sketch.compact()
        if out.proprio is not None:
            out.proprio._sketch.compact()
        return out

    def finalize(self, *, quantiles: Sequence[float] = DEFAULT_QUANTILES) -> dict[str, Any]:
        """``{"action": {...}, "proprio": {...} (if any), "num_transitions", "num_trajectories", "sketch"}``.

        Raises:
            DataError: if no transitions were added.
        """
        out: dict[str, Any] = {"action": self.action.finalize(quantiles=quantiles)}
        if self.proprio is not None:
            out["proprio"] = self.proprio.finalize(quantiles=quantiles)
        out["num_transitions"] = self.num_transitions
        out["num_trajectories"] = self.num_trajectories
        out["sketch"] = self.action.buckets.to_json()
        return out

    def to_state(self) -> dict[str, Any]:
        """Canonical JSON-able state."""
        return {
            "action": self.action.to_state(),
            "proprio": None if self.proprio is None else self.proprio.to_state(),
            "num_transitions": self.num_transitions,
            "num_trajectories": self.num_trajectories,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> DatasetStatsAccumulator:
        """Inverse of ``to_state``."""
        try:
            acc = cls.__new__(cls)
            acc.action = ArrayStatsAccumulator.from_state(state["action"])
            acc.proprio = None if state["proprio"] is None else ArrayStatsAccumulator.from_state(state["proprio"])
            acc.num_transitions = int(state["num_transitions"])
            acc.num_trajectories = int(state["num_trajectories"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"dataset statistics state is malformed: {type(exc).__name__}: {exc}") from exc
        return acc


# Beam CombineFn-shaped plain functions (the pipeline wraps them; no apache_beam import here).
def create_accumulator(
    *,
    action_dim: int,
    proprio_dim: int | None = None,
    relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY,
    min_indexable: float = DEFAULT_MIN_INDEXABLE,
) -> DatasetStatsAccumulator:
    """A new, empty accumulator."""
    return DatasetStatsAccumulator(
        action_dim, proprio_dim=proprio_dim, relative_accuracy=relative_accuracy, min_indexable=min_indexable
    )


def add_input(acc: DatasetStatsAccumulator, actions: Any, proprio: Any = None) -> DatasetStatsAccumulator:
    """Add one episode to ``acc`` (mutated) and return it."""
    return acc.add_episode(actions, proprio)


def merge_accumulators(accs: Iterable[DatasetStatsAccumulator]) -> DatasetStatsAccumulator:
    """Merge many accumulators into a new one (inputs unchanged in value)."""
    return DatasetStatsAccumulator.merged(accs)


def extract_output(
    acc: DatasetStatsAccumulator, *, quantiles: Sequence[float] = DEFAULT_QUANTILES
) -> dict[str, Any]:
    """Finalized statistics (see ``DatasetStatsAccumulator.finalize``)."""
    return acc.finalize(quantiles=quantiles)


# The statistics file lives in its own module; re-exported here for one import site.
from rt2data.stats.statistics_file import (  # noqa: E402
    OPENVLA_KEYS,
    STATS_FORMAT_VERSION,
    StatsFile,
    load_stats,
    stats_json_bytes,
    stats_match,
    write_stats,
)
