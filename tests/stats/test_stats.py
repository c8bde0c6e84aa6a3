"""Dataset statistics: order/split independence (byte-identical), exactness, quantile bound, the stats file."""

from __future__ import annotations

import json
import math
import pickle
from fractions import Fraction

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rt2data.stats.accumulators as stats_mod
from rt2data.errors import DataError, SchemaError
from rt2data.schemas import load_schema
from rt2data.stats.accumulators import (
    ArrayStatsAccumulator,
    DatasetStatsAccumulator,
    add_input,
    create_accumulator,
    extract_output,
    load_stats,
    merge_accumulators,
    quantile_key,
    stats_json_bytes,
    stats_match,
    write_stats,
)

ALPHA, MIN_IDX = 0.005, 1e-9
values = st.one_of(
    st.floats(-1e3, 1e3, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e-12, -3e-10, 1.0, -1.0, 1e300, -1e300, 5e-324]),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
)


def data(max_rows: int = 60, max_dim: int = 3):
    shape = st.tuples(st.integers(1, max_rows), st.integers(1, max_dim))
    return hnp.arrays(np.float64, shape, elements=values)


def canon(obj) -> bytes:
    return json.dumps(obj, sort_keys=True).encode()


def _accumulate(x: np.ndarray, cuts: list[int]) -> list[ArrayStatsAccumulator]:
    bounds = sorted({0, x.shape[0], *(c % (x.shape[0] + 1) for c in cuts)})
    return [ArrayStatsAccumulator(x.shape[1]).add(x[a:b]) for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=60, deadline=None)
@given(data(), st.lists(st.integers(0, 200), max_size=6), st.randoms(use_true_random=False))
def test_any_split_and_merge_order_gives_identical_bytes(x, cuts, rnd):
    single = ArrayStatsAccumulator(x.shape[1]).add(x)
    parts = _accumulate(x, cuts)
    # Merge in a random tree: repeatedly merge two random accumulators (both directions occur).
    while len(parts) > 1:
        i, j = rnd.sample(range(len(parts)), 2)
        merged = parts[i].merge(parts[j])
        parts = [p for k, p in enumerate(parts) if k not in (i, j)] + [merged]
    other = ArrayStatsAccumulator.from_state(json.loads(canon(parts[0].to_state())))
    assert canon(parts[0].finalize()) == canon(single.finalize()) == canon(other.finalize())
    assert canon(parts[0].to_state()) == canon(single.to_state())


@settings(max_examples=80, deadline=None)
@given(data(max_rows=200), st.lists(st.floats(0, 1), max_size=4))
def test_quantiles_within_stated_bound_of_numpy(x, extra_qs):
    qs = [0.0, 0.01, 0.5, 0.99, 1.0, *extra_qs]
    est = ArrayStatsAccumulator(x.shape[1]).add(x).quantiles(qs)
    for i, q in enumerate(qs):
        lo = np.quantile(x, q, axis=0, method="lower")
        hi = np.quantile(x, q, axis=0, method="higher")
        lin = np.quantile(x, q, axis=0)
        mag = np.maximum(np.abs(lo), np.abs(hi))
        tol = np.maximum(ALPHA * mag, MIN_IDX) * (1 + 1e-12)
        assert np.all(est[i] >= np.minimum(lo, hi) - tol), (q, est[i], lo, hi)
        assert np.all(est[i] <= np.maximum(lo, hi) + tol), (q, est[i], lo, hi)
        assert np.all(np.abs(est[i] - lin) <= tol + 4 * np.spacing(mag)), (q, est[i], lin)


@settings(max_examples=60, deadline=None)
@given(data(max_rows=100))
def test_mean_exact_and_std_close_to_numpy(x):
    out = ArrayStatsAccumulator(x.shape[1]).add(x).finalize()
    for d in range(x.shape[1]):
        col = [Fraction(v) for v in x[:, d]]
        mean = sum(col) / len(col)
        assert out["mean"][d] == float(mean)  # correctly rounded exact mean
        var = sum((v - mean) ** 2 for v in col) / len(col)
        # std is the correctly rounded sqrt of the exact variance (checked without float over/underflow)
        std, eps, tiny = Fraction(out["std"][d]), Fraction(1, 10**15), Fraction(5e-324)  # subnormal spacing
        assert max(0, std * (1 - eps) - tiny) ** 2 <= var <= (std * (1 + eps) + tiny) ** 2
    assert out["min"] == x.min(0).tolist() and out["max"] == x.max(0).tolist()
    mag = np.abs(x)
    if np.all((mag < 1e100) & ((mag > 1e-100) | (mag == 0))):  # numpy's squares over/underflow outside
        np.testing.assert_allclose(out["mean"], x.mean(0), rtol=1e-12, atol=1e-12 * np.abs(x).max())
        np.testing.assert_allclose(out["std"], x.std(0), rtol=1e-12, atol=1e-12 * np.abs(x).max())


def test_typical_actions_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 7)) * [0.01, 0.02, 0.01, 0.1, 0.1, 0.1, 1.0] + [0, 0, 0.3, 0, 0, 0, 0]
    acc = ArrayStatsAccumulator(7)
    for a in range(0, len(x), 97):
        acc.add(x[a : a + 97])
    out = acc.finalize(quantiles=(0.01, 0.5, 0.99))
    np.testing.assert_allclose(out["mean"], x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(out["std"], x.std(0), rtol=1e-12)
    for key, q in (("q01", 0.01), ("q50", 0.5), ("q99", 0.99)):
        ref = np.quantile(x, q, axis=0)
        assert np.all(np.abs(np.array(out[key]) - ref) <= ALPHA * np.abs(ref) + 1e-12), key


def test_constant_dimension_is_exact():
    x = np.full((1000, 2), 0.1)
    x[:, 1] = -7.25
    out = ArrayStatsAccumulator(2).add(x).finalize()
    assert out["std"] == [0.0, 0.0]
    assert out["mean"] == [0.1, -7.25] == out["min"] == out["max"] == out["q01"] == out["q99"]


def test_signed_zero_does_not_depend_on_order():
    a = ArrayStatsAccumulator(1).add([[-0.0]]).merge(ArrayStatsAccumulator(1).add([[0.0]]))
    b = ArrayStatsAccumulator(1).add([[0.0]]).merge(ArrayStatsAccumulator(1).add([[-0.0]]))
    assert canon(a.finalize()) == canon(b.finalize())
    assert "-0.0" not in json.dumps(a.finalize())


def test_mixed_signs_zeros_and_extremes():
    x = np.array([[-1e300], [1e300], [0.0], [-0.0], [1e-300], [-2.5], [2.5]])
    out = ArrayStatsAccumulator(1).add(x).finalize()
    assert out["mean"] == [float(Fraction(1e-300) / 7)]  # +-1e300 and +-2.5 cancel exactly; naive sums give 0
    assert out["min"] == [-1e300] and out["max"] == [1e300]
    assert out["std"][0] == pytest.approx(math.sqrt(2 / 7) * 1e300, rel=1e-15)


def test_folding_path_gives_identical_results(monkeypatch):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5000, 3)) * 1e3
    ref = ArrayStatsAccumulator(3).add(x).to_state()
    monkeypatch.setattr(stats_mod, "_FOLD_LIMIT", 1000)
    monkeypatch.setattr(stats_mod, "_CHUNK_VALUES", 300)
    assert ArrayStatsAccumulator(3).add(x).to_state() == ref


def test_empty_accumulator():
    acc = ArrayStatsAccumulator(3, label="action")
    with pytest.raises(DataError, match="action statistics: no values"):
        acc.finalize()
    state = acc.to_state()
    assert state["count"] == 0 and state["min"] is None
    full = ArrayStatsAccumulator(3).add(np.ones((2, 3)))
    assert canon(ArrayStatsAccumulator.from_state(state).merge(full).finalize()) == canon(full.finalize())
    assert canon(acc.add(np.zeros((0, 3))).to_state()) == canon(state)


def test_non_finite_and_bad_shapes_raise_naming_row_and_dimension():
    acc = DatasetStatsAccumulator(3)
    x = np.zeros((5, 3))
    x[3, 2] = np.nan
    with pytest.raises(DataError, match=r"action: non-finite value nan at row 3, dimension 2"):
        acc.add_episode(x)
    with pytest.raises(DataError, match=r"shape \[N, 3\], got \[5, 2\]"):
        acc.add_episode(np.zeros((5, 2)))
    with pytest.raises(DataError, match="numeric"):
        acc.add_episode(np.array([["a", "b", "c"]]))
    with pytest.raises(DataError, match="expected no proprio"):
        acc.add_episode(np.zeros((5, 3)), np.zeros((5, 2)))
    p = DatasetStatsAccumulator(3, proprio_dim=2)
    bad = np.zeros((5, 2))
    bad[1, 0] = np.inf
    with pytest.raises(DataError, match="proprio: non-finite value inf at row 1, dimension 0"):
        p.add_episode(np.zeros((5, 3)), bad)
    assert p.num_transitions == 0 and p.action.count == 0  # a bad episode leaves nothing behind


def test_dataset_accumulator_and_beam_style_functions():
    rng = np.random.default_rng(7)
    episodes = [(rng.normal(size=(n, 4)), rng.normal(size=(n, 2))) for n in (5, 1, 30, 12)]
    accs = []
    for chunk in (episodes[:1], episodes[1:3], episodes[3:]):
        acc = create_accumulator(action_dim=4, proprio_dim=2)
        for a, p in chunk:
            acc = add_input(acc, a, p)
        accs.append(pickle.loads(pickle.dumps(acc)))  # as Beam ships accumulators between workers
    out = extract_output(merge_accumulators(accs[::-1]))
    one = DatasetStatsAccumulator(4, proprio_dim=2)
    for a, p in episodes:
        one.add_episode(a, p)
    assert canon(out) == canon(one.finalize())
    assert out["num_transitions"] == 48 and out["num_trajectories"] == 4
    assert out["proprio"]["count"] == [48, 48]
    np.testing.assert_allclose(out["proprio"]["mean"], np.concatenate([p for _, p in episodes]).mean(0), rtol=1e-12)
    assert out["sketch"]["relative_accuracy"] == ALPHA
    assert [quantile_key(q) for q in (0.01, 0.5, 0.99, 0.995)] == ["q01", "q50", "q99", "q99.5"]


# --- the statistics file --------------------------------------------------------------------------------------
def _block(**over):
    block = {
        "spec_fingerprint": "sha256:abc",
        "split": "train",
        "action_dims": ["dx", "dy", "gripper"],
        "codec": {"bins": 256},
    }
    block.update(over)
    return block


def _finalized(seed: int = 0, proprio: bool = False):
    rng = np.random.default_rng(seed)
    acc = DatasetStatsAccumulator(3, proprio_dim=2 if proprio else None)
    for _ in range(4):
        acc.add_episode(rng.normal(size=(10, 3)), rng.normal(size=(10, 2)) if proprio else None)
    return acc.finalize()


def test_schema_is_valid():
    jsonschema.Draft202012Validator.check_schema(load_schema("stats"))


def test_write_load_round_trip_is_deterministic(tmp_path):
    st_ = _finalized(proprio=True)
    path = write_stats(tmp_path / "sub" / "dataset_statistics.json", "bridge_dataset", st_, rt2data_block=_block())
    raw = path.read_bytes()
    assert raw == stats_json_bytes("bridge_dataset", st_, rt2data_block=_block())
    assert list(path.parent.iterdir()) == [path]  # no temp files left behind
    doc = json.loads(raw)
    assert set(doc) == {"bridge_dataset", "rt2data"}
    assert set(doc["bridge_dataset"]["action"]) == {"mean", "std", "min", "max", "q01", "q99"}
    assert doc["rt2data"]["count"] == [40, 40, 40] and doc["rt2data"]["format_version"] == 1
    loaded = load_stats(path)
    assert loaded.dataset == "bridge_dataset" and loaded.rt2data["codec"] == {"bins": 256}
    assert loaded.array("q01").tolist() == st_["action"]["q01"]
    assert loaded.array("std", section="proprio").tolist() == st_["proprio"]["std"]
    assert load_stats(path, "bridge_dataset") == loaded


def test_block_and_schema_errors_name_file_and_field(tmp_path):
    st_ = _finalized()
    with pytest.raises(SchemaError, match=r"missing keys \['split'\]"):
        stats_json_bytes("d", st_, rt2data_block={k: v for k, v in _block().items() if k != "split"})
    with pytest.raises(SchemaError, match=r"set by write_stats \['count'\]"):
        stats_json_bytes("d", st_, rt2data_block=_block(count=[1]))
    with pytest.raises(SchemaError, match="action/mean: 3 values, expected 2"):
        stats_json_bytes("d", st_, rt2data_block=_block(action_dims=["a", "b"]))
    path = write_stats(tmp_path / "s.json", "d", st_, rt2data_block=_block())
    doc = json.loads(path.read_text())
    doc["d"]["action"]["std"][1] = -1.0
    path.write_text(json.dumps(doc))
    with pytest.raises(SchemaError, match=r"s\.json: field d/action/std/1: .*minimum"):
        load_stats(path)
    doc["d"]["action"]["std"][1] = 1.0
    doc["e"] = doc["d"]
    path.write_text(json.dumps(doc))
    with pytest.raises(SchemaError, match="several datasets"):
        load_stats(path)
    with pytest.raises(SchemaError, match="no statistics for dataset 'x'"):
        load_stats(path, "x")
    with pytest.raises(SchemaError, match="rt2data/dataset"):
        load_stats(path, "e")
    path.write_text("{not json")
    with pytest.raises(SchemaError, match=r"s\.json: cannot read"):
        load_stats(path)


def test_stats_match(tmp_path):
    path = tmp_path / "stats.json"
    assert not stats_match(path, spec_fingerprint="sha256:abc", split="train")
    write_stats(path, "d", _finalized(), rt2data_block=_block())
    assert stats_match(path, spec_fingerprint="sha256:abc", split="train")
    assert not stats_match(path, spec_fingerprint="sha256:other", split="train")
    assert not stats_match(path, spec_fingerprint="sha256:abc", split="train[:95%]")
    path.write_text("[]")
    assert not stats_match(path, spec_fingerprint="sha256:abc", split="train")


def test_stats_match_checks_the_input_fingerprint(tmp_path):
    path = tmp_path / "stats.json"
    write_stats(path, "d", _finalized(), rt2data_block=_block(input_fingerprint="sha256:data-a"))
    assert stats_match(path, spec_fingerprint="sha256:abc", split="train", input_fingerprint="sha256:data-a")
    assert not stats_match(path, spec_fingerprint="sha256:abc", split="train", input_fingerprint="sha256:data-b")
    write_stats(path, "d", _finalized(), rt2data_block=_block())  # a file without one never matches a given one
    assert not stats_match(path, spec_fingerprint="sha256:abc", split="train", input_fingerprint="sha256:data-a")


def test_non_finite_proprio_does_not_hide_the_action_from_statistics():
    from types import SimpleNamespace

    from rt2data.stats.dataset_stats import finite_rows as _finite_rows
    from rt2data.stats.accumulators import DatasetStatsAccumulator

    actions = np.array([[0.1, 0.2], [0.3, np.nan], [0.5, 0.6]])
    proprio = np.array([[1.0], [np.nan], [3.0]])
    proprio_with_nan_on_kept_step = np.array([[np.nan], [2.0], [3.0]])
    acc = DatasetStatsAccumulator(2, proprio_dim=1)
    acc.add_episode(*_finite_rows(SimpleNamespace(actions=actions, proprio=proprio)))
    acc.add_episode(*_finite_rows(SimpleNamespace(actions=actions[[0, 2]], proprio=proprio_with_nan_on_kept_step[[0, 2]])))
    out = acc.finalize()
    assert out["num_transitions"] == 4  # 2 finite action rows per episode, whatever the proprio
    assert out["action"]["count"] == [4, 4] and out["proprio"]["count"] == [3]
