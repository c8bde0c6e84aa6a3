"""The log-bucket mapping and the quantile sketch: exact buckets, stated error bound, bounded size, merges."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.errors import DataError
from rt2data.stats.sketch import LogBuckets, QuantileSketch, _octave_table

B = LogBuckets()  # alpha 0.005, min_indexable 1e-9

finite = st.floats(allow_nan=False, allow_infinity=False)


def _bucket_bounds(buckets: LogBuckets, key: int) -> tuple[Fraction, Fraction]:
    """Exact [lo, hi) of |x| for a nonzero key, from the integer table (independent of the float code)."""
    b = abs(key) - 1
    octave, j = divmod(b, buckets.sub_buckets)
    table = _octave_table(buckets.sub_buckets)
    scale = Fraction(2) ** (octave - 1074 - 52)
    return table[j] * scale, table[j + 1] * scale


@pytest.mark.parametrize("alpha", [0.2, 0.005, 0.001])
def test_octave_table_is_exact_floor_of_roots(alpha):
    k = LogBuckets(alpha).sub_buckets
    table = _octave_table(k)
    assert table[0] == 2**52 and table[-1] == 2**53 and len(table) == k + 1
    for j, t in enumerate(table):
        assert t**k <= 2 ** (52 * k + j) < (t + 1) ** k


@pytest.mark.parametrize("alpha", [0.001, 0.005, 0.01, 0.05])
def test_sub_buckets_is_smallest_meeting_alpha(alpha):
    k = LogBuckets(alpha).sub_buckets
    table = _octave_table(k)
    worst = max(Fraction(hi - lo, hi + lo) for lo, hi in zip(table, table[1:]))
    assert worst < alpha
    smaller = _octave_table(k - 1)
    assert max(Fraction(hi - lo, hi + lo) for lo, hi in zip(smaller, smaller[1:])) > alpha * (1 - 1e-8)


def test_default_is_70_buckets_per_octave():
    assert B.sub_buckets == 70
    assert B.to_json()["relative_accuracy"] == 0.005


@settings(max_examples=300)
@given(finite)
def test_value_lies_in_its_bucket_and_representative_within_alpha(x):
    key = int(B.keys(np.array([x]))[0])
    if abs(x) < B.min_indexable:
        assert key == 0 and B.values(np.array([key]))[0] == 0.0
        return
    assert (key > 0) == (x > 0)
    lo, hi = _bucket_bounds(B, key)
    assert lo <= Fraction(abs(x)) < hi
    rep = float(B.values(np.array([key]))[0])
    assert abs(Fraction(rep) - Fraction(x)) <= Fraction(B.relative_accuracy) * abs(Fraction(x))


@given(st.lists(finite, min_size=2, max_size=50))
def test_keys_are_monotone_in_value(xs):
    xs = np.sort(np.array(xs))
    assert np.all(np.diff(B.keys(xs)) >= 0)


def test_boundaries_split_exactly():
    table = _octave_table(B.sub_buckets)
    for e in (-20, 0, 3):
        for j in (1, 17, 69):
            edge = math.ldexp(table[j], e - 52)
            below = np.nextafter(edge, 0.0)
            keys = B.keys(np.array([edge, below, -edge]))
            assert keys[0] == keys[1] + 1  # adjacent buckets
            assert keys[2] == -keys[0]
            assert _bucket_bounds(B, int(keys[0]))[0] == Fraction(edge)


def test_zero_bucket_and_min_indexable():
    keys = B.keys(np.array([0.0, -0.0, 5e-10, -5e-10, 1e-9, -2e-9]))
    assert keys[:4].tolist() == [0, 0, 0, 0]
    assert keys[4] > 0 and keys[5] < 0
    exact = LogBuckets(min_indexable=0.0)
    sub = np.array([5e-324, 1e-310, 1e-300])
    k = exact.keys(sub)
    assert np.all(k > 0) and np.all(np.diff(k) > 0)


def test_bad_parameters():
    with pytest.raises(DataError, match="relative_accuracy"):
        LogBuckets(0.0)
    with pytest.raises(DataError, match="min_indexable"):
        LogBuckets(min_indexable=-1.0)


def _sketch_of(x: np.ndarray) -> QuantileSketch:
    s = QuantileSketch(x.shape[1], buckets=B)
    s.add_keys(B.keys(x))
    return s


def test_merge_is_order_independent_and_equals_single_pass():
    rng = np.random.default_rng(1)
    x = rng.standard_cauchy(size=(3000, 3))
    parts = np.array_split(x, 7)
    forward = _sketch_of(parts[0])
    for p in parts[1:]:
        forward.merge(_sketch_of(p))
    backward = _sketch_of(parts[-1])
    for p in reversed(parts[:-1]):
        backward.merge(_sketch_of(p))
    assert forward.to_state() == backward.to_state() == _sketch_of(x).to_state()


def test_quantiles_match_numpy_within_bound():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(size=(5000, 2)), -rng.lognormal(size=(5000, 2))])
    s = _sketch_of(x)
    qs = [0.0, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0]
    est = s.quantiles(qs, count=x.shape[0], mins=x.min(0), maxs=x.max(0))
    for i, q in enumerate(qs):
        lo = np.quantile(x, q, axis=0, method="lower")
        hi = np.quantile(x, q, axis=0, method="higher")
        tol = B.relative_accuracy * np.maximum(np.abs(lo), np.abs(hi)) + B.min_indexable
        assert np.all(est[i] >= np.minimum(lo, hi) - tol) and np.all(est[i] <= np.maximum(lo, hi) + tol)
    assert np.array_equal(est[0], x.min(0)) and np.array_equal(est[-1], x.max(0))


def test_bucket_count_is_independent_of_count():
    rng = np.random.default_rng(3)
    lo_mag, hi_mag = 1e-3, 1e2
    sizes = []
    s = QuantileSketch(1, buckets=B)
    for _ in range(20):
        x = rng.uniform(-1, 1, size=(50_000, 1))
        x = np.sign(x) * np.exp(np.abs(x) * math.log(hi_mag / lo_mag)) * lo_mag
        s.add_keys(B.keys(x))
        sizes.append(s.num_buckets)
    octaves = math.log2(hi_mag / lo_mag) + 1
    bound = 2 * B.sub_buckets * math.ceil(octaves)
    assert sizes[-1] <= bound
    assert sizes[-1] - sizes[1] <= 0.01 * bound  # 1e5 -> 1e6 values: no growth beyond filling rare buckets


def test_from_state_round_trip_and_validation():
    s = _sketch_of(np.array([[1.0, -2.0], [0.0, 3.0]]))
    state = s.to_state()
    assert QuantileSketch.from_state(state, dim=2, buckets=B).to_state() == state
    bad = {"keys": [[3, 1], [1]], "counts": [[1, 1], [1]]}
    with pytest.raises(DataError, match="ascend"):
        QuantileSketch.from_state(bad, dim=2, buckets=B)
    with pytest.raises(DataError, match="lists of 2"):
        QuantileSketch.from_state({"keys": [[1]], "counts": [[1]]}, dim=2, buckets=B)
    with pytest.raises(DataError, match="cannot merge"):
        s.merge(QuantileSketch(2, buckets=LogBuckets(0.01)))


@pytest.mark.parametrize("alpha", [1e-4, 0.005, 0.2])
def test_cell_lookup_equals_binary_search(alpha):
    b = LogBuckets(alpha)
    rng = np.random.default_rng(4)
    edges = np.ldexp(b._bounds[:-1], 3)
    x = np.concatenate([rng.standard_cauchy(20_000), edges, np.nextafter(edges, 0.0), -edges])
    mant, _ = np.frexp(x)
    expected = np.searchsorted(b._bounds, np.abs(mant) * 2.0, side="right") - 1
    assert np.array_equal((np.abs(b.keys(x)) - 1) % b.sub_buckets, expected)
