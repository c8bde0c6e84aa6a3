"""Discretizer: true 256 equal-width bins, bin-center decoding, exact clip counts, errors."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.codec.action_space import ActionSpace, Dimension
from rt2data.codec.bins import Discretizer
from rt2data.errors import EncodeError, ParseError
from rt2data.testing.strategies import action_spaces, actions_anywhere, actions_in, token_arrays

RT2 = ActionSpace.rt2_default()
SETTINGS = settings(max_examples=80, deadline=None)


def reference_tokens(space: ActionSpace, x: np.ndarray) -> np.ndarray:
    """Independent reference: np.digitize over the interior edges (bin i = [edges[i], edges[i+1]))."""
    out = np.empty(x.shape, dtype=np.int64)
    for i, dim in enumerate(space):
        if dim.is_continuous:
            out[:, i] = np.digitize(np.clip(x[:, i], dim.low, dim.high), dim.edges()[1:-1])
        else:
            out[:, i] = np.clip(np.rint(x[:, i]), 0, dim.n_tokens - 1)
    return out


def reference_clipped(space: ActionSpace, x: np.ndarray) -> np.ndarray:
    out = np.zeros(x.shape, dtype=bool)
    for i, dim in enumerate(space):
        col = x[:, i]
        if dim.is_continuous:
            out[:, i] = (col < dim.low) | (col > dim.high)
        else:
            out[:, i] = ~np.isin(col, np.arange(dim.n_tokens, dtype=np.float64))
    return out


def test_rt2_arithmetic():
    disc = Discretizer(RT2)
    tokens, counts = disc.quantize(np.array([[1, 0, 0, 0, 0, 0, 0, 1]], dtype=float))
    # 257 edges over [-1, 1]: 0.0 is edges[128] -> bin 128; 1.0 is the top edge -> last bin 255.
    assert tokens.tolist() == [[1, 128, 128, 128, 128, 128, 128, 255]]
    assert counts.tolist() == [0] * 8
    tokens, _ = disc.quantize([0, -1.0, -1 + 2 / 256 - 1e-12, -1 + 2 / 256, 0.999, -1e-9, 1e-9, 0.5])
    assert tokens.tolist() == [0, 0, 0, 1, 255, 127, 128, 192]
    decoded = disc.dequantize(np.array([1, 128, 0, 255, 127, 128, 128, 255]))
    np.testing.assert_array_equal(decoded, [1.0, 1 / 256, -1 + 1 / 256, 1 - 1 / 256, -1 / 256, 1 / 256, 1 / 256, 1 - 1 / 256])


def test_all_256_bins_reachable_unlike_a_256_point_linspace():
    disc = Discretizer(RT2)
    x = np.zeros((20001, 8))
    x[:, 1] = np.linspace(-1, 1, 20001)
    tokens, _ = disc.quantize(x)
    assert np.unique(tokens[:, 1]).tolist() == list(range(256))
    counts = np.bincount(tokens[:, 1], minlength=256)
    assert counts.min() >= 78 and counts.max() <= 80  # equal-width bins get (nearly) equal counts


@SETTINGS
@given(st.data())
def test_dequantize_then_quantize_is_identity(data):
    space = data.draw(action_spaces())
    tokens = data.draw(token_arrays(space))
    disc = Discretizer(space)
    again, counts = disc.quantize(disc.dequantize(tokens))
    np.testing.assert_array_equal(again, tokens)
    assert not counts.any()


@SETTINGS
@given(st.data())
def test_quantize_error_is_at_most_half_a_bin(data):
    space = data.draw(action_spaces())
    x = data.draw(actions_in(space))
    disc = Discretizer(space)
    tokens, counts = disc.quantize(x)
    assert not counts.any()
    decoded = disc.dequantize(tokens)
    for i, dim in enumerate(space):
        if dim.is_continuous:
            tol = dim.bin_width / 2 + 8 * np.spacing(max(abs(dim.low), abs(dim.high)))
            assert np.all(np.abs(decoded[:, i] - x[:, i]) <= tol)
        else:
            np.testing.assert_array_equal(decoded[:, i], x[:, i])


@SETTINGS
@given(st.data())
def test_tokens_in_range_match_reference_and_clip_counts_exact(data):
    space = data.draw(action_spaces())
    x = data.draw(actions_anywhere(space))
    tokens, counts = Discretizer(space).quantize(x)
    assert tokens.dtype == np.int64 and counts.dtype == np.int64
    assert np.all(tokens >= 0) and np.all(tokens < np.asarray(space.n_tokens))
    np.testing.assert_array_equal(tokens, reference_tokens(space, x))
    np.testing.assert_array_equal(counts, reference_clipped(space, x).sum(axis=0))


@SETTINGS
@given(st.data())
def test_quantize_is_monotone(data):
    space = data.draw(action_spaces())
    x = np.sort(data.draw(actions_anywhere(space, min_rows=2, max_rows=40)), axis=0)
    tokens, _ = Discretizer(space).quantize(x)
    assert np.all(np.diff(tokens, axis=0) >= 0)


def test_discrete_dimension_clips_to_nearest_class_and_counts():
    space = ActionSpace((Dimension.discrete("t", 3),))
    x = np.array([[0.0], [1.0], [2.0], [0.4], [1.6], [-1.0], [7.0], [-0.0]])
    tokens, counts = Discretizer(space).quantize(x)
    assert tokens[:, 0].tolist() == [0, 1, 2, 0, 2, 0, 2, 0]
    assert counts.tolist() == [4]
    with pytest.raises(EncodeError, match=r"row 3, dimension 't' \(index 0\): value 0.4 is out of range, expected an integer class in 0..2"):
        Discretizer(space, out_of_range="error").quantize(x)


def test_out_of_range_policy():
    x = np.array([[0, 0.5, -1.5, 0, 0, 0, 0, 1.0], [1, 2.0, 0, 0, 0, 0, 0, 1.0]])
    tokens, counts = Discretizer(RT2).quantize(x)
    assert tokens[:, 1].tolist() == [192, 255] and tokens[0, 2] == 0
    assert counts.tolist() == [0, 1, 1, 0, 0, 0, 0, 0]
    strict = Discretizer(RT2, out_of_range="error")
    with pytest.raises(EncodeError) as info:
        strict.quantize(x)
    msg = str(info.value)
    assert "row 0, dimension 'dy' (index 2): value -1.5 is out of range, expected [-1.0, 1.0]" in msg
    assert "2 out-of-range value(s)" in msg and "out_of_range='clip'" in msg
    ok, counts = strict.quantize(np.clip(x, -1, 1))
    assert not counts.any()
    with pytest.raises(EncodeError, match="policy 'wrap'"):
        Discretizer(RT2, out_of_range="wrap")


@pytest.mark.parametrize("bad, name, row", [(np.nan, "dx", 0), (np.inf, "gripper", 1), (-np.inf, "terminate", 1)])
def test_nan_and_inf_name_dimension_row_value(bad, name, row):
    x = np.zeros((2, 8))
    col = RT2.index(name)
    x[row, col] = bad
    with pytest.raises(EncodeError) as info:
        Discretizer(RT2).quantize(x)
    assert f"row {row}, dimension '{name}' (index {col}): value {bad!r} is not finite" in str(info.value)


def test_shape_errors():
    disc = Discretizer(RT2)
    with pytest.raises(EncodeError, match=r"shape \(2, 7\) but the action space has 8 dimensions"):
        disc.quantize(np.zeros((2, 7)))
    with pytest.raises(EncodeError, match="shape"):
        disc.quantize(np.zeros((2, 2, 8)))
    with pytest.raises(ParseError, match=r"shape \(9,\)"):
        disc.dequantize(np.zeros(9, dtype=int))


def test_one_action_keeps_rank():
    disc = Discretizer(RT2)
    tokens, counts = disc.quantize([1, 0, 0, 0, 0, 0, 0, 1])
    assert tokens.shape == (8,) and counts.shape == (8,)
    assert disc.dequantize(tokens).shape == (8,)


@pytest.mark.parametrize(
    "tokens, message",
    [
        ([[2, 0, 0, 0, 0, 0, 0, 0]], r"dimension 'terminate' \(index 0\): token 2 is out of range 0..1"),
        ([[0, 0, 0, 256, 0, 0, 0, 0]], r"dimension 'dz' \(index 3\): token 256 is out of range 0..255"),
        ([[0, -1, 0, 0, 0, 0, 0, 0]], r"token -1 is out of range"),
        (np.zeros((1, 8)), "tokens must be integers, got dtype float64"),
        (np.zeros((1, 8), dtype=bool), "tokens must be integers, got dtype bool"),
    ],
)
def test_dequantize_rejects_bad_tokens(tokens, message):
    with pytest.raises(ParseError, match=message):
        Discretizer(RT2).dequantize(tokens)


def test_vectorized_speed():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.2, 1.2, size=(200_000, 8))
    x[:, 0] = rng.integers(0, 2, size=200_000)
    disc = Discretizer(RT2)
    start = time.perf_counter()
    tokens, counts = disc.quantize(x)
    decoded = disc.dequantize(tokens)
    assert time.perf_counter() - start < 2.0
    assert decoded.shape == x.shape
    np.testing.assert_array_equal(counts, reference_clipped(RT2, x).sum(axis=0))
