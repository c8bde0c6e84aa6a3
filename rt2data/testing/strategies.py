"""Hypothesis strategies for rt2data's action codec, reusable in users' own property tests.

>>> from hypothesis import given
>>> from rt2data.testing.strategies import action_spaces, token_arrays
>>> # @given(st.data()) ... space = data.draw(action_spaces()); tokens = data.draw(token_arrays(space))

All floats drawn are finite; ranges are kept within a few orders of magnitude of 1 so bins stay
representable in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from rt2data.codec.action_space import ActionSpace, Dimension
from rt2data.codec.action_codec import ActionCodec
from rt2data.codec.normalize import Normalization
from rt2data.example import Example

__all__ = [
    "dimension_names",
    "dimensions",
    "action_spaces",
    "actions_in",
    "actions_anywhere",
    "token_arrays",
    "action_stats",
    "normalizations",
    "codecs",
    "instructions",
    "examples",
]

_BOUND = 1e4


def dimension_names() -> st.SearchStrategy[str]:
    """Valid dimension names."""
    return st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)


@st.composite
def dimensions(draw: Any, name: str | None = None, *, max_bins: int = 512, max_classes: int = 10) -> Dimension:
    """One continuous (finite low < high, 2..max_bins bins) or discrete (2..max_classes classes) dimension."""
    name = name if name is not None else draw(dimension_names())
    if draw(st.booleans()):
        return Dimension.discrete(name, draw(st.integers(2, max_classes)))
    bins = draw(st.sampled_from([2, 3, 7, 16, 255, 256, 257]) | st.integers(2, max_bins))
    if draw(st.booleans()):
        return Dimension.continuous(name, -1.0, 1.0, bins=bins)  # the normalized range
    low = draw(st.floats(-_BOUND, _BOUND, allow_nan=False, allow_infinity=False))
    span = draw(st.floats(1e-3, _BOUND, allow_nan=False, allow_infinity=False))
    return Dimension.continuous(name, low, low + span, bins=bins)


@st.composite
def action_spaces(draw: Any, *, min_dims: int = 1, max_dims: int = 9) -> ActionSpace:
    """Action spaces with unique names; the RT-2 default is drawn often."""
    if draw(st.integers(0, 4)) == 0:
        return ActionSpace.rt2_default()
    names = draw(st.lists(dimension_names(), min_size=min_dims, max_size=max_dims, unique=True))
    return ActionSpace(tuple(draw(dimensions(n)) for n in names))


def _column_in(dim: Dimension) -> st.SearchStrategy[float]:
    if not dim.is_continuous:
        return st.integers(0, dim.n_tokens - 1).map(float)
    edges = st.sampled_from(dim.edges().tolist())
    return st.floats(dim.low, dim.high, allow_nan=False, allow_infinity=False) | edges


@st.composite
def actions_in(draw: Any, space: ActionSpace, *, min_rows: int = 1, max_rows: int = 20) -> np.ndarray:
    """float64[N, D] inside the space: continuous values in [low, high] (bin edges included), class indices."""
    n = draw(st.integers(min_rows, max_rows))
    rows = [[draw(_column_in(d)) for d in space] for _ in range(n)]
    return np.asarray(rows, dtype=np.float64).reshape(n, len(space))


@st.composite
def actions_anywhere(draw: Any, space: ActionSpace, *, min_rows: int = 1, max_rows: int = 20) -> np.ndarray:
    """float64[N, D] finite values, often outside the space (and non-integral for discrete dims)."""
    n = draw(st.integers(min_rows, max_rows))
    rows = []
    for _ in range(n):
        row = []
        for d in space:
            lo, hi = (d.low, d.high) if d.is_continuous else (0.0, float(d.n_tokens - 1))
            span = hi - lo
            outside = st.floats(lo - 3 * span - 1, hi + 3 * span + 1, allow_nan=False, allow_infinity=False)
            row.append(draw(outside | _column_in(d)))
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(n, len(space))


@st.composite
def token_arrays(draw: Any, space: ActionSpace, *, min_rows: int = 1, max_rows: int = 20) -> np.ndarray:
    """int64[N, D] legal tokens (extremes 0 and n_tokens-1 drawn often)."""
    n = draw(st.integers(min_rows, max_rows))
    cols = [st.sampled_from([0, k - 1]) | st.integers(0, k - 1) for k in space.n_tokens]
    rows = [[draw(c) for c in cols] for _ in range(n)]
    return np.asarray(rows, dtype=np.int64).reshape(n, len(space))


@st.composite
def action_stats(draw: Any, n_dims: int, *, constant_dims: bool = True) -> dict[str, list[float]]:
    """Statistics in the stats-file layout (min max mean std q01 q99), consistent (min <= q01 <= q99 <= max)."""
    out: dict[str, list[float]] = {k: [] for k in ("min", "max", "mean", "std", "q01", "q99")}
    for _ in range(n_dims):
        center = draw(st.floats(-100, 100, allow_nan=False))
        if constant_dims and draw(st.integers(0, 5)) == 0:
            scales = [0.0, 0.0, 0.0]
        else:
            scales = sorted(draw(st.lists(st.floats(1e-2, 100, allow_nan=False), min_size=3, max_size=3)))
        q, m, s = scales
        out["q01"].append(center - q)
        out["q99"].append(center + q)
        out["min"].append(center - m)
        out["max"].append(center + m)
        out["mean"].append(center)
        out["std"].append(s)
    return out


@st.composite
def normalizations(
    draw: Any,
    space: ActionSpace,
    *,
    methods: tuple[str, ...] = ("none", "min_max", "q01_q99", "mean_std"),
    constant_dims: bool = True,
) -> Normalization:
    """A normalization valid for ``space`` (see ``ActionCodec``'s checks) with drawn statistics."""
    method = draw(st.sampled_from(methods))
    if method == "none":
        return Normalization.identity(len(space))
    mask = tuple(_maskable(d, method) and draw(st.booleans()) for d in space)
    return Normalization.from_stats(method, draw(action_stats(len(space), constant_dims=constant_dims)), mask)


def _maskable(dim: Dimension, method: str) -> bool:
    """Discrete dims are never normalized; min_max / q01_q99 map to [-1, 1], so only such dims take them."""
    if not dim.is_continuous:
        return False
    return method == "mean_std" or (dim.low, dim.high) == (-1.0, 1.0)


@st.composite
def codecs(draw: Any, *, out_of_range: str = "clip") -> ActionCodec:
    """A codec over a drawn action space with a drawn normalization."""
    space = draw(action_spaces())
    return ActionCodec(space, normalization=draw(normalizations(space)), out_of_range=out_of_range)


def instructions() -> st.SearchStrategy[str]:
    """Instruction-like text: words with mixed case, runs of whitespace, trailing punctuation."""
    word = st.from_regex(r"[A-Za-z][a-z0-9]{0,8}", fullmatch=True)
    gap = st.sampled_from([" ", "  ", "\t", "\n", " \u00a0"])
    return st.builds(
        lambda ws, gs, pre, post: pre + "".join(w + g for w, g in zip(ws, gs)) + post,
        st.lists(word, min_size=1, max_size=6),
        st.lists(gap, min_size=6, max_size=6),
        st.sampled_from(["", " ", "\n"]),
        st.sampled_from(["", ".", "!", "?", " .", "..."]),
    )


@st.composite
def examples(draw: Any, *, chunks: bool = True, tokenized: bool = True) -> Example:
    """Any valid :class:`Example`: every kind, optional fields present or not (chunks, ``input_ids``/``labels``),
    any text, any finite or non-finite float64 action values, large integers."""
    text = st.text(min_size=1, max_size=30)
    opt_text = st.none() | st.text(max_size=30)
    kind = draw(st.sampled_from(["action", "caption", "vqa"]))
    action = kind == "action"
    dims = draw(st.integers(0, 9))
    chunk = draw(st.none() | st.integers(2, 4)) if chunks else None
    n_ids = draw(st.none() | st.integers(0, 8)) if tokenized else None
    return Example(
        key=draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,130}", fullmatch=True)),
        image=draw(st.binary(min_size=1, max_size=300)),
        image_format=draw(st.sampled_from(["jpg", "png", "webp", "gif", "bmp", "tiff"])),
        prompt=draw(text), target=draw(text), kind=kind, source=draw(text), template_id=draw(text),
        instruction=draw(opt_text), plan=draw(opt_text), episode_id=draw(text) if action else None,
        step=draw(st.integers(0, (1 << 63) - 1)) if action else None,
        action_raw=tuple(draw(st.lists(st.floats(width=64), min_size=dims, max_size=dims))) if action else None,
        action_tokens=tuple(draw(st.lists(st.integers(0, 1 << 40), min_size=dims, max_size=dims))) if action else None,
        chunk_steps=chunk, chunk_real=None if chunk is None else draw(st.integers(1, chunk)),
        input_ids=None if n_ids is None else draw(st.lists(st.integers(0, 1 << 20), min_size=n_ids, max_size=n_ids)),
        labels=None if n_ids is None else draw(st.lists(st.integers(-100, 1 << 20), min_size=n_ids, max_size=n_ids)),
    )
