"""Reversible uniform binning of (normalized) actions into tokens, vectorized over float[N, D].

Continuous dimension with ``bins`` bins over [low, high]: ``edges = linspace(low, high, bins + 1)``;
token ``i`` holds ``edges[i] <= x < edges[i+1]`` (the last bin also holds ``x == high``); ``dequantize``
returns the bin's center, so ``|dequantize(quantize(x)) - x| <= bin_width / 2`` and
``quantize(dequantize(t)) == t``. (OpenVLA's ``linspace(-1, 1, 256)`` gives only 255 bins, and RT-1 decodes
to a bin edge, adding half a bin of bias: both are avoided here.)

Binning ``"openvla"`` reproduces OpenVLA's action tokenizer (``prismatic/vla/action_tokenizer.py``) exactly: edges
``linspace(low, high, bins)`` (bins - 1 intervals), token ``b = digitize(clip(x, low, high), edges) - 1`` in
0..bins-1 (so ``reserved_last`` ids ``V - 1 - b`` are OpenVLA's ``V - digitize(...)``), decoded to the center of
interval ``min(b, bins - 2)`` (only ``x == high`` gives ``b = bins - 1``, decoded like ``bins - 2``). The round
trip error is at most one interval (``(high - low) / (bins - 1)``), half of one inside.

Discrete dimension with k classes: the value must be an integer class in [0, k); the token is the class.

Out-of-range values (below ``low`` / above ``high``; non-integral or outside [0, k) for discrete dims) are
clipped to the nearest bin/class and counted per dimension (policy ``"clip"``, the default) or raise
``EncodeError`` (policy ``"error"``). NaN and inf always raise ``EncodeError`` naming row, dimension and value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rt2data.codec.action_space import ActionSpace, as_action_array
from rt2data.errors import EncodeError, ParseError

__all__ = ["Discretizer", "OUT_OF_RANGE_POLICIES", "BINNINGS", "as_token_array", "raise_out_of_range"]

OUT_OF_RANGE_POLICIES = ("clip", "error")
BINNINGS = ("uniform", "openvla")


def as_token_array(tokens: Any, action_space: ActionSpace) -> tuple[np.ndarray, bool]:
    """Check tokens against the action space and convert to int64[N, D].

    Args:
        tokens: int[N, D] or int[D] (one action); integer dtype (bool and float are rejected).

    Returns:
        (int64[N, D], True if the input was one action of shape [D]).

    Raises:
        ParseError: wrong dtype, shape or D, or a token outside its dimension's range (naming row,
            dimension and token).
    """
    arr = np.asarray(tokens)
    d = len(action_space)
    if arr.size == 0 and arr.ndim == 1:
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu" and not (arr.size == 0 and arr.dtype.kind == "f"):
        raise ParseError(f"tokens must be integers, got dtype {arr.dtype} ({np.ravel(arr)[:8].tolist()}...)")
    single = arr.ndim == 1
    arr2 = arr[None, :] if single else arr
    if arr2.ndim != 2 or arr2.shape[1] != d:
        raise ParseError(
            f"tokens have shape {arr.shape} but the action space has {d} dimensions "
            f"({', '.join(action_space.names)}): expected [N, {d}] or [{d}]"
        )
    if arr2.dtype.kind == "u" and arr2.dtype.itemsize >= 8 and arr2.size and arr2.max() > np.iinfo(np.int64).max:
        raise ParseError(f"token {int(arr2.max())} does not fit in int64")
    arr2 = arr2.astype(np.int64, copy=False)
    n_tokens = np.asarray(action_space.n_tokens, dtype=np.int64)
    bad = (arr2 < 0) | (arr2 >= n_tokens)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise ParseError(
            f"token row {row}, dimension {action_space.names[col]!r} (index {col}): token {int(arr2[row, col])} "
            f"is out of range 0..{int(n_tokens[col]) - 1} ({int(bad.sum())} bad token(s) in total)"
        )
    return arr2, single


@dataclass(frozen=True)
class Discretizer:
    """Quantize values in the action space's units to tokens and back.

    Args:
        action_space: the dimensions, their ranges and bins.
        out_of_range: ``"clip"`` (clip to the end bins and count, default) or ``"error"`` (raise EncodeError).
        binning: ``"uniform"`` (true ``bins`` bins, the default) or ``"openvla"`` (OpenVLA's digitize over
            ``linspace(low, high, bins)``); see the module docstring.
    """

    action_space: ActionSpace
    out_of_range: str = "clip"
    binning: str = "uniform"
    _edges: tuple[np.ndarray | None, ...] = field(init=False, repr=False, compare=False)
    _centers: np.ndarray = field(init=False, repr=False, compare=False)

    def __init__(self, action_space: ActionSpace, *, out_of_range: str = "clip", binning: str = "uniform") -> None:
        if not isinstance(action_space, ActionSpace):
            raise TypeError(f"action_space must be an ActionSpace, got {type(action_space).__name__}")
        if out_of_range not in OUT_OF_RANGE_POLICIES:
            raise EncodeError(f"out_of_range policy {out_of_range!r} is not one of {list(OUT_OF_RANGE_POLICIES)}")
        if binning not in BINNINGS:
            raise EncodeError(f"binning {binning!r} is not one of {list(BINNINGS)}")
        object.__setattr__(self, "action_space", action_space)
        object.__setattr__(self, "out_of_range", out_of_range)
        object.__setattr__(self, "binning", binning)
        edges = tuple(_edges(d, binning) if d.is_continuous else None for d in action_space)
        object.__setattr__(self, "_edges", edges)
        # centers[d, t] = value of token t in dim d (padded with NaN up to the largest n_tokens).
        width = max(action_space.n_tokens)
        centers = np.full((len(action_space), width), np.nan)
        for i, dim in enumerate(action_space):
            centers[i, : dim.n_tokens] = _centers(dim, binning)
        centers.setflags(write=False)
        object.__setattr__(self, "_centers", centers)

    @property
    def bin_widths(self) -> np.ndarray:
        """float64[D]: bin width per dimension (1.0 for discrete dims: the class spacing)."""
        return np.asarray([d.bin_width if d.is_continuous else 1.0 for d in self.action_space])

    def quantize_masked(self, values: Any) -> tuple[np.ndarray, np.ndarray]:
        """Quantize ignoring the policy: (int64[N, D] tokens, bool[N, D] True where a value was clipped).

        Args:
            values: float[N, D] or float[D] in the action space's units; must be finite.

        Raises:
            EncodeError: NaN/inf or wrong shape.
        """
        x, _ = as_action_array(values, len(self.action_space), names=self.action_space.names)
        tokens = np.empty(x.shape, dtype=np.int64)
        clipped = np.empty(x.shape, dtype=bool)
        for i, dim in enumerate(self.action_space):  # one vectorized pass per dimension, not per value
            col = x[:, i]
            if dim.is_continuous:
                edges = self._edges[i]
                clipped[:, i] = (col < dim.low) | (col > dim.high)
                if self.binning == "openvla":  # np.digitize(x, edges) == searchsorted(edges, x, "right")
                    col = np.clip(col, dim.low, dim.high)
                tokens[:, i] = np.clip(np.searchsorted(edges, col, side="right") - 1, 0, dim.bins - 1)
            else:
                cls = np.clip(np.rint(col), 0, dim.n_tokens - 1)
                clipped[:, i] = cls != col
                tokens[:, i] = cls.astype(np.int64)
        return tokens, clipped

    def quantize(self, values: Any) -> tuple[np.ndarray, np.ndarray]:
        """Values -> (tokens int64 of the input's shape, clip_counts int64[D]).

        Args:
            values: float[N, D] or float[D] in the action space's units.

        Returns:
            tokens: int64[N, D] (or [D] for one action), each in 0..n_tokens-1 of its dimension.
            clip_counts: int64[D], how many values of each dimension were out of range and clipped.

        Raises:
            EncodeError: NaN/inf, wrong shape, or (policy ``"error"``) an out-of-range value.
        """
        tokens, clipped = self.quantize_masked(values)
        if self.out_of_range == "error" and clipped.any():
            raise_out_of_range(self.action_space, np.asarray(values, dtype=np.float64).reshape(tokens.shape), clipped)
        counts = clipped.sum(axis=0).astype(np.int64)
        return (tokens[0] if np.ndim(values) == 1 else tokens), counts

    def dequantize(self, tokens: Any) -> np.ndarray:
        """Tokens int[N, D] (or [D]) -> float64 of the same shape: bin centers, class index for discrete dims.

        Raises:
            ParseError: non-integer tokens, wrong shape, or a token out of its dimension's range.
        """
        arr, single = as_token_array(tokens, self.action_space)
        values = self._centers[np.arange(arr.shape[1])[None, :], arr]
        return values[0] if single else values


def _edges(dim: Any, binning: str) -> np.ndarray:
    """float64 edges of a continuous dimension: ``bins + 1`` (uniform) or ``bins`` (openvla)."""
    return dim.edges() if binning == "uniform" else np.linspace(dim.low, dim.high, dim.bins)


def _centers(dim: Any, binning: str) -> np.ndarray:
    """float64[n_tokens]: the value each token decodes to under ``binning``."""
    if binning == "uniform" or not dim.is_continuous:
        return dim.centers()
    edges = np.linspace(dim.low, dim.high, dim.bins)
    centers = (edges[:-1] + edges[1:]) / 2  # bins - 1 interval centers
    return np.append(centers, centers[-1])  # token bins-1 (x == high) decodes as OpenVLA: clip to bins-2


def raise_out_of_range(action_space: ActionSpace, values: np.ndarray, clipped: np.ndarray, *, raw: Any = None) -> None:
    """Raise EncodeError for the first clipped value (policy "error"); names row, dimension, value, range."""
    row, col = (int(i) for i in np.argwhere(clipped)[0])
    dim = action_space.dims[col]
    expected = f"[{dim.low!r}, {dim.high!r}]" if dim.is_continuous else f"an integer class in 0..{dim.n_tokens - 1}"
    raw_part = ""
    if raw is not None:
        raw_part = f" (raw value {float(np.asarray(raw, dtype=np.float64).reshape(values.shape)[row, col])!r})"
    raise EncodeError(
        f"action row {row}, dimension {dim.name!r} (index {col}): value {float(values[row, col])!r}{raw_part} "
        f"is out of range, expected {expected} ({int(clipped.sum())} out-of-range value(s) in total); "
        "use out_of_range='clip' to clip and count them, or fix the action space / normalization"
    )
