"""Normalization of raw actions (dataset units) to the action space's range before binning, and its inverse.

Methods (per dimension d with ``mask[d]`` True; other dimensions pass through unchanged):

- ``"none"``: identity.
- ``"min_max"``: ``y = 2 (x - min) / (max - min) - 1``. Not clipped: values beyond [min, max] leave [-1, 1]
  and the discretizer clips (and counts) them. Exact inverse everywhere.
- ``"q01_q99"``: ``y = clip(2 (x - q01) / (q99 - q01) - 1, -1, 1)``, OpenVLA's BOUNDS_Q99. The inverse is
  exact only for x inside [q01, q99]; values outside are clipped (and counted) and decode to q01 or q99.
- ``"mean_std"``: ``y = (x - mean) / std``. Not clipped; exact inverse everywhere.

A constant dimension (max == min, q99 == q01 or std == 0) maps to 0 without dividing by zero and decodes to
its constant; any other value in it is lost and counted as clipped. Unlike OpenVLA (``+1e-8`` in the
denominator) no epsilon is added, so the inverse is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from rt2data.codec.action_space import as_action_array
from rt2data.errors import ActionSpaceError

if TYPE_CHECKING:
    from rt2data.codec.action_space import ActionSpace

__all__ = ["Normalization", "METHODS", "default_mask"]

METHODS = ("none", "min_max", "q01_q99", "mean_std")
# JSON / stats keys of the two parameter vectors of each method (stored as `low`/`high` or `mean`/`std`).
_PARAM_KEYS = {"min_max": ("min", "max"), "q01_q99": ("q01", "q99"), "mean_std": ("mean", "std")}
_STATS_ALIASES = {"q01": "p01", "q99": "p99"}  # Octo's stats files say p01/p99


def default_mask(action_space: "ActionSpace") -> tuple[bool, ...]:
    """Normalize continuous dimensions except the gripper (by name); never discrete ones."""
    return tuple(d.is_continuous and "gripper" not in d.name.lower() for d in action_space.dims)


def _vector(values: Any, field: str, n: int | None) -> tuple[float, ...]:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ActionSpaceError(f"normalization: '{field}' must be a list of numbers, got {values!r}") from exc
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        raise ActionSpaceError(f"normalization: '{field}' has shape {arr.shape}, expected ({n},)")
    if not np.all(np.isfinite(arr)):
        raise ActionSpaceError(f"normalization: '{field}' has non-finite values {arr.tolist()}")
    return tuple(float(v) for v in arr)


@dataclass(frozen=True)
class Normalization:
    """Per-dimension affine map from raw dataset units to the discretizer's range, with its inverse.

    Attributes:
        method: one of ``METHODS``.
        mask: one bool per dimension, True = normalize this dimension (False for gripper and discrete dims).
        low: min (``min_max``) or q01 (``q01_q99``) per dimension, else None.
        high: max or q99 per dimension, else None.
        mean: per-dimension mean (``mean_std``), else None.
        std: per-dimension standard deviation (``mean_std``, >= 0), else None.
    """

    method: str
    mask: tuple[bool, ...]
    low: tuple[float, ...] | None = None
    high: tuple[float, ...] | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ActionSpaceError(f"normalization method {self.method!r} is not one of {list(METHODS)}")
        mask = tuple(self.mask) if isinstance(self.mask, (list, tuple, np.ndarray)) else None
        if not mask or not all(isinstance(m, (bool, np.bool_)) for m in mask):
            raise ActionSpaceError(f"normalization: mask must be a non-empty list of booleans, got {self.mask!r}")
        object.__setattr__(self, "mask", tuple(bool(m) for m in mask))
        n = len(mask)
        used = {"none": (), "min_max": ("low", "high"), "q01_q99": ("low", "high"), "mean_std": ("mean", "std")}
        for field in ("low", "high", "mean", "std"):
            value = getattr(self, field)
            if field in used[self.method]:
                if value is None:
                    raise ActionSpaceError(f"normalization {self.method!r} needs '{field}' ({n} values)")
                object.__setattr__(self, field, _vector(value, field, n))
            elif value is not None:
                raise ActionSpaceError(f"normalization {self.method!r} does not use '{field}'")
        if self.method == "none" and any(self.mask):
            raise ActionSpaceError("normalization 'none' normalizes nothing: its mask must be all False")
        if self.low is not None and any(h < lo for lo, h in zip(self.low, self.high)):  # type: ignore[arg-type]
            bad = [i for i, (lo, h) in enumerate(zip(self.low, self.high)) if h < lo]  # type: ignore[arg-type]
            raise ActionSpaceError(f"normalization {self.method!r}: upper bound below lower bound in dims {bad}")
        if self.std is not None and any(s < 0 for s in self.std):
            raise ActionSpaceError(f"normalization 'mean_std': negative std {self.std}")

    # ----------------------------------------------------------------- constructors
    @classmethod
    def identity(cls, n_dims: int) -> "Normalization":
        """No normalization for ``n_dims`` dimensions."""
        return cls("none", (False,) * n_dims)

    @classmethod
    def from_stats(
        cls, method: str, action_stats: Mapping[str, Sequence[float]], mask: Sequence[bool] | None = None
    ) -> "Normalization":
        """Build from action statistics (keys ``min max mean std q01 q99``, lists of D numbers).

        Args:
            method: one of ``METHODS``.
            action_stats: e.g. the ``"action"`` block of an OpenVLA/rt2data stats file; only the keys the
                method needs are read (``p01``/``p99``, Octo's names, are accepted for q01/q99).
            mask: one bool per dimension; default all True (use ``default_mask(space)`` for the usual one).
        """
        if method not in METHODS:
            raise ActionSpaceError(f"normalization method {method!r} is not one of {list(METHODS)}")
        if not isinstance(action_stats, Mapping):
            raise ActionSpaceError(f"action statistics must be a mapping, got {type(action_stats).__name__}")
        any_key = next((k for k in ("min", "max", "mean", "std", "q01", "q99") if k in action_stats), None)
        if method == "none":
            n = len(mask) if mask is not None else len(action_stats[any_key]) if any_key else 0
            return cls.identity(n)
        vectors = []
        for key in _PARAM_KEYS[method]:
            if key not in action_stats and _STATS_ALIASES.get(key) in action_stats:
                key = _STATS_ALIASES[key]
            if key not in action_stats:
                raise ActionSpaceError(
                    f"normalization {method!r} needs statistics key {key!r}; got keys {sorted(action_stats)}"
                )
            vectors.append(_vector(action_stats[key], key, None))
        n = len(vectors[0])
        mask_t = tuple(mask) if mask is not None else (True,) * n
        if method == "mean_std":
            return cls(method, mask_t, mean=vectors[0], std=vectors[1])
        return cls(method, mask_t, low=vectors[0], high=vectors[1])

    # ----------------------------------------------------------------- properties
    @property
    def n_dims(self) -> int:
        return len(self.mask)

    @property
    def is_identity(self) -> bool:
        return not any(self.mask)

    def _affine(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(offset, scale, constant) per dim with y = (x - offset) / scale - shift; scale 1 where constant."""
        if self.method == "mean_std":
            offset = np.asarray(self.mean)
            scale = np.asarray(self.std)
        else:
            offset = np.asarray(self.low)
            scale = (np.asarray(self.high) - offset) / 2.0
        constant = scale == 0
        return offset, np.where(constant, 1.0, scale), constant

    # ----------------------------------------------------------------- transforms
    def normalize_masked(self, actions: Any) -> tuple[np.ndarray, np.ndarray]:
        """Normalize and report which values lost information.

        Args:
            actions: float[N, D] or float[D], raw units; must be finite.

        Returns:
            (float64[N, D] normalized, bool[N, D] True where the value was clipped (q01_q99) or fell in a
            constant dimension without equalling its constant).
        """
        x, _ = as_action_array(actions, self.n_dims, what="action")
        clipped = np.zeros(x.shape, dtype=bool)
        if self.is_identity:
            return x.copy(), clipped
        mask = np.asarray(self.mask)
        offset, scale, constant = self._affine()
        shift = 0.0 if self.method == "mean_std" else 1.0
        y = (x - offset) / scale - shift
        const = mask & constant
        y = np.where(const, 0.0, y)
        clipped |= const & (x != offset)
        if self.method == "q01_q99":
            outside = (y < -1.0) | (y > 1.0)
            clipped |= mask & outside
            y = np.clip(y, -1.0, 1.0)
        return np.where(mask, y, x), clipped

    def normalize(self, actions: Any) -> np.ndarray:
        """Raw float[N, D] (or [D]) -> normalized float64 of the same shape. Raises EncodeError on NaN/inf."""
        y, _ = self.normalize_masked(actions)
        return y[0] if np.ndim(actions) == 1 else y

    def denormalize(self, values: Any) -> np.ndarray:
        """Normalized float[N, D] (or [D]) -> raw units float64, the exact inverse of ``normalize``.

        Exact up to float rounding for every value ``normalize`` produced from an unclipped input;
        clipped q01_q99 values decode to q01/q99 and constant dimensions to their constant.
        """
        y, single = as_action_array(values, self.n_dims, what="normalized action")
        if self.is_identity:
            return y[0].copy() if single else y.copy()
        mask = np.asarray(self.mask)
        offset, scale, constant = self._affine()
        shift = 0.0 if self.method == "mean_std" else 1.0
        x = (y + shift) * scale + offset
        x = np.where(constant, offset, x)
        out = np.where(mask, x, y)
        return out[0] if single else out

    # ----------------------------------------------------------------- JSON
    def to_json(self) -> dict[str, Any]:
        """``{"method", "mask", <param keys>}``; param keys are min/max, q01/q99 or mean/std."""
        out: dict[str, Any] = {"method": self.method, "mask": list(self.mask)}
        if self.method in ("min_max", "q01_q99"):
            k_low, k_high = _PARAM_KEYS[self.method]
            out[k_low], out[k_high] = list(self.low), list(self.high)  # type: ignore[arg-type]
        elif self.method == "mean_std":
            out["mean"], out["std"] = list(self.mean), list(self.std)  # type: ignore[arg-type]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Normalization":
        """Inverse of ``to_json``; unknown keys are errors."""
        if not isinstance(data, Mapping):
            raise ActionSpaceError(f"normalization must be a JSON object, got {type(data).__name__}")
        method = data.get("method")
        if method not in METHODS:
            raise ActionSpaceError(f"normalization method {method!r} is not one of {list(METHODS)}")
        keys = _PARAM_KEYS.get(method, ())
        unknown = set(data) - {"method", "mask", *keys}
        if unknown:
            raise ActionSpaceError(f"normalization {method!r}: unknown keys {sorted(unknown)}")
        if "mask" not in data:
            raise ActionSpaceError(f"normalization {method!r}: missing 'mask'")
        if method == "none":
            return cls("none", data["mask"])
        missing = [k for k in keys if k not in data]
        if missing:
            raise ActionSpaceError(f"normalization {method!r}: missing {missing}")
        return cls.from_stats(method, {k: data[k] for k in keys}, data["mask"])
