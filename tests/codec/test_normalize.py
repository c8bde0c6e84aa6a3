"""Normalization: OpenVLA-compatible formulas, exact inverse, masks, constant dimensions, validation."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from referencing import Registry, Resource

from rt2data.codec.action_space import ActionSpace
from rt2data.errors import ActionSpaceError, EncodeError
from rt2data.codec.normalize import Normalization, default_mask
from rt2data.schemas import load_schema
from rt2data.testing.strategies import action_stats

SETTINGS = settings(max_examples=80, deadline=None)
_SCHEMA = load_schema("action_space")
NORM_VALIDATOR = jsonschema.Draft202012Validator(
    {"$ref": _SCHEMA["$id"] + "#/$defs/normalization"},
    registry=Registry().with_resource(_SCHEMA["$id"], Resource.from_contents(_SCHEMA)),
)

STATS = {
    "min": [-2.0, 0.0, 5.0],
    "max": [2.0, 1.0, 5.0],
    "q01": [-1.0, 0.1, 5.0],
    "q99": [1.0, 0.9, 5.0],
    "mean": [0.0, 0.5, 5.0],
    "std": [0.5, 0.25, 0.0],
}


@st.composite
def stats_and_inside(draw, method):
    """Statistics, a mask and actions inside the range where the inverse is exact."""
    n = draw(st.integers(1, 6))
    stats = draw(action_stats(n))
    mask = tuple(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    lo_key, hi_key = {"min_max": ("min", "max"), "q01_q99": ("q01", "q99"), "mean_std": ("min", "max")}[method]
    rows = []
    for _ in range(draw(st.integers(1, 10))):
        row = []
        for d in range(n):
            lo, hi = stats[lo_key][d], stats[hi_key][d]
            if lo == hi or (method == "mean_std" and stats["std"][d] == 0):
                row.append(stats["mean"][d] if method == "mean_std" else lo)
            else:
                row.append(draw(st.floats(lo, hi, allow_nan=False)))
        rows.append(row)
    return stats, mask, np.asarray(rows)


@SETTINGS
@given(st.sampled_from(["min_max", "q01_q99", "mean_std"]).flatmap(lambda m: st.tuples(st.just(m), stats_and_inside(m))))
def test_denormalize_inverts_normalize(case):
    method, (stats, mask, x) = case
    norm = Normalization.from_stats(method, stats, mask)
    with np.errstate(divide="raise", invalid="raise"):  # constant dims must not divide by zero
        y, clipped = norm.normalize_masked(x)
        back = norm.denormalize(y)
    assert not clipped.any()
    scale = np.maximum(1.0, np.abs(x)) * 1e-12
    assert np.all(np.abs(back - x) <= scale)
    unmasked = ~np.asarray(mask)
    np.testing.assert_array_equal(y[:, unmasked], x[:, unmasked])  # pass-through is exact
    if method != "mean_std":
        assert np.all(np.abs(y[:, np.asarray(mask)]) <= 1.0 + 1e-12)


def test_q01_q99_matches_openvla_bounds_q99_and_clips():
    norm = Normalization.from_stats("q01_q99", STATS, (True, True, True))
    x = np.array([[0.5, 0.5, 5.0], [-3.0, 0.95, 7.0], [1.0, 0.1, 5.0]])
    y, clipped = norm.normalize_masked(x)
    q01, q99 = np.asarray(STATS["q01"][:2]), np.asarray(STATS["q99"][:2])
    openvla = np.clip(2 * (x[:, :2] - q01) / (q99 - q01 + 1e-8) - 1, -1, 1)
    np.testing.assert_allclose(y[:, :2], openvla, atol=1e-7)
    assert y[:, 2].tolist() == [0.0, 0.0, 0.0]  # constant dimension -> 0
    assert clipped.tolist() == [[False, False, False], [True, True, True], [False, False, False]]
    back = norm.denormalize(y)
    np.testing.assert_allclose(back[1], [-1.0, 0.9, 5.0])  # clipped values decode to q01/q99/constant
    np.testing.assert_allclose(back[[0, 2]], x[[0, 2]], atol=1e-12)


def test_min_max_and_mean_std_are_not_clipped():
    mm = Normalization.from_stats("min_max", STATS, (True, True, False))
    y = mm.normalize(np.array([4.0, 0.5, 9.0]))
    np.testing.assert_allclose(y, [2.0, 0.0, 9.0])  # 2 (4 + 2) / 4 - 1 = 2: beyond [-1, 1], kept
    np.testing.assert_allclose(mm.denormalize(y), [4.0, 0.5, 9.0])
    ms = Normalization.from_stats("mean_std", STATS, (True, True, True))
    y, clipped = ms.normalize_masked(np.array([[1.0, 1.5, 5.0], [0.0, 0.5, 6.0]]))
    np.testing.assert_allclose(y, [[2.0, 4.0, 0.0], [0.0, 0.0, 0.0]])
    assert clipped.tolist() == [[False, False, False], [False, False, True]]  # 6.0 in a std=0 dim is lost
    np.testing.assert_allclose(ms.denormalize(y), [[1.0, 1.5, 5.0], [0.0, 0.5, 5.0]])


def test_identity_and_none():
    ident = Normalization.identity(3)
    x = np.array([[1e9, -3.0, 0.25]])
    np.testing.assert_array_equal(ident.normalize(x), x)
    np.testing.assert_array_equal(ident.denormalize(x), x)
    assert ident.is_identity and ident.to_json() == {"method": "none", "mask": [False] * 3}
    assert Normalization.from_stats("none", STATS) == ident


def test_default_mask_skips_gripper_and_discrete():
    assert default_mask(ActionSpace.rt2_default()) == (False, True, True, True, True, True, True, False)


def test_octo_p01_p99_aliases():
    octo = {"p01": [0.0], "p99": [2.0]}
    norm = Normalization.from_stats("q01_q99", octo)
    assert norm.low == (0.0,) and norm.high == (2.0,)
    assert norm.normalize([1.5]).tolist() == [0.5]


@SETTINGS
@given(st.sampled_from(["none", "min_max", "q01_q99", "mean_std"]), st.data())
def test_json_round_trip_and_schema(method, data):
    stats = data.draw(action_stats(data.draw(st.integers(1, 8))))
    n = len(stats["min"])
    mask = tuple(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    norm = Normalization.from_stats(method, stats, mask)
    doc = json.loads(json.dumps(norm.to_json()))
    NORM_VALIDATOR.validate(doc)
    assert Normalization.from_json(doc) == norm


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: Normalization.from_stats("zscore", STATS), "method 'zscore' is not one of"),
        (lambda: Normalization.from_stats("q01_q99", {"min": [0], "max": [1]}), "needs statistics key 'q01'"),
        (lambda: Normalization.from_stats("min_max", {"min": [0, 1], "max": [1]}), r"'high' has shape \(1,\), expected \(2,\)"),
        (lambda: Normalization.from_stats("min_max", {"min": [0, 0], "max": [1, 1]}, (True,)), r"shape \(2,\), expected \(1,\)"),
        (lambda: Normalization.from_stats("min_max", {"min": [1.0], "max": [0.0]}), "upper bound below lower bound in dims \\[0\\]"),
        (lambda: Normalization.from_stats("mean_std", {"mean": [0.0], "std": [-1.0]}), "negative std"),
        (lambda: Normalization.from_stats("min_max", {"min": [float("nan")], "max": [1.0]}), "non-finite"),
        (lambda: Normalization.from_stats("min_max", {"min": ["a"], "max": [1.0]}), "list of numbers"),
        (lambda: Normalization("none", (True,)), "mask must be all False"),
        (lambda: Normalization("min_max", (1,), low=(0.0,), high=(1.0,)), "mask must be a non-empty list of booleans"),
        (lambda: Normalization("min_max", (True,), low=(0.0,)), "needs 'high'"),
        (lambda: Normalization("min_max", (True,), low=(0.0,), high=(1.0,), std=(1.0,)), "does not use 'std'"),
        (lambda: Normalization.from_json({"method": "min_max", "mask": [True], "min": [0]}), r"missing \['max'\]"),
        (lambda: Normalization.from_json({"method": "min_max", "mask": [True], "min": [0], "max": [1], "q01": [0]}), "unknown keys"),
        (lambda: Normalization.from_json({"mask": [True]}), "method None"),
    ],
)
def test_validation_errors(call, message):
    with pytest.raises(ActionSpaceError, match=message):
        call()


def test_non_finite_and_shape_input_errors():
    norm = Normalization.from_stats("q01_q99", STATS)
    with pytest.raises(EncodeError, match=r"row 0, dimension '1' \(index 1\): value inf is not finite"):
        norm.normalize([0.0, np.inf, 5.0])  # inf would otherwise be silently clipped to 1
    with pytest.raises(EncodeError, match="3 dimensions"):
        norm.normalize(np.zeros((2, 4)))
    with pytest.raises(EncodeError, match="not finite"):
        norm.denormalize([np.nan, 0.0, 0.0])
