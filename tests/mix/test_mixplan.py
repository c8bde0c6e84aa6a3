"""The mixture planner: exact block composition, policies, repetition counts, determinism (hypothesis)."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rt2data.errors import ConfigError, DataError
from rt2data.testing.mix_oracle import reference_layout
from rt2data.mix.plan import (
    SourceRequest,
    block_layout,
    exact_weight,
    feistel_permute,
    largest_remainder,
    make_plan,
    stable_hash,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
weights_st = st.lists(st.sampled_from([0.05, 0.1, 0.125, 0.2, 0.25, 0.3, 0.5, 0.66, 1, 2, 3]), min_size=1, max_size=4)


def requests(weights, sizes, policies):
    return [SourceRequest(name=f"s{i}", weight=w, policy=p, available=n)
            for i, (w, n, p) in enumerate(zip(weights, sizes, policies))]


def sources_at(plan) -> list[str]:
    out = [None] * plan.total
    for i, s in enumerate(plan.sources):
        for j in range(s.draws):
            p = plan.position(i, j)
            assert out[p] is None, "two draws at one position"
            out[p] = s.name
    assert None not in out
    return out


def test_largest_remainder_examples():
    assert largest_remainder(10, [Fraction(1, 3)] * 3) == (4, 3, 3)  # ties -> the source listed first
    assert largest_remainder(8, [exact_weight(0.5), exact_weight(0.25), exact_weight(0.25)]) == (4, 2, 2)
    assert largest_remainder(7, [exact_weight(0.66), exact_weight(0.34)]) == (5, 2)
    assert exact_weight(0.1) == Fraction(1, 10)


@SETTINGS
@given(total=st.integers(0, 500), weights=weights_st)
def test_largest_remainder_properties(total, weights):
    ws = [exact_weight(w) for w in weights]
    q = largest_remainder(total, ws)
    assert sum(q) == total
    for qi, w in zip(q, ws):
        assert abs(qi - total * w / sum(ws)) < 1


@SETTINGS
@given(n=st.integers(1, 3000), key=st.integers(0, 2**63))
def test_feistel_is_a_permutation(n, key):
    image = {feistel_permute(x, n, key) for x in range(min(n, 300))}
    assert len(image) == min(n, 300) and all(0 <= y < n for y in image)
    if n <= 300:
        assert image == set(range(n))


def test_stable_hash_is_unambiguous_and_fixed():
    assert stable_hash("ab", "c") != stable_hash("a", "bc")
    assert stable_hash("1") != stable_hash(1)
    assert stable_hash(0, "rank", "s", 0, "k") == stable_hash(0, "rank", "s", 0, "k")
    with pytest.raises(TypeError):
        stable_hash(1.5)
    with pytest.raises(TypeError):
        stable_hash(True)


def test_hash_values_are_pinned():
    """Every mixture's order rests on these values: the same on every machine, version and code path (the
    values of the first, plain implementation)."""
    from rt2data.mix.order import block_layout, rank_hashes

    assert stable_hash(0, "rank", "s", 0, "k") == 3284391059417231120
    assert stable_hash(7, "slot", 12, 3) == 9114542930162541125
    assert stable_hash(2**40, "\u00fc", 1023, 1024, -5) == 84550686953668108
    assert list(rank_hashes(3, "robot", 2, ["a", "b-1", "\u00e9"])) == [2160451985841431063, 4189658223736547030,
                                                                         17206971393137771682]
    assert block_layout.__wrapped__(5, (3, 5), 9) == ((0, 4, 6), (1, 2, 3, 5, 7))


@SETTINGS
@given(weights=weights_st, sizes=st.lists(st.integers(1, 60), min_size=4, max_size=4),
       block=st.integers(4, 40), total=st.integers(1, 400), seed=st.integers(0, 2**32))
def test_block_mode_every_block_exact(weights, sizes, block, total, seed):
    reqs = requests(weights, sizes, ["repeat"] * len(weights))
    try:
        plan = make_plan(reqs, seed=seed, examples=total, block_size=block, shard_examples=17)
    except ConfigError as exc:
        assert "gives 0 examples in every block" in str(exc)
        return
    assert plan.total == total and sum(s.draws for s in plan.sources) == total
    layout = sources_at(plan)
    quotas = {s.name: s.quota for s in plan.sources}
    for b in range(total // block):
        assert Counter(layout[b * block:(b + 1) * block]) == Counter({k: v for k, v in quotas.items() if v})
    # per-shard planned counts are exact in block mode
    for start in range(0, total, 17):
        planned = plan.planned_in_range(start, min(total, start + 17))
        assert {k: int(v) for k, v in planned.items() if v} == dict(Counter(layout[start:start + 17]))


@SETTINGS
@given(weights=weights_st, sizes=st.lists(st.integers(1, 60), min_size=4, max_size=4), total=st.integers(1, 400),
       seed=st.integers(0, 2**32))
def test_global_mode_exact_totals_and_bijection(weights, sizes, total, seed):
    reqs = requests(weights, sizes, ["repeat"] * len(weights))
    plan = make_plan(reqs, seed=seed, examples=total)
    expected = largest_remainder(total, [exact_weight(w) for w in weights])
    assert tuple(s.draws for s in plan.sources) == expected
    assert Counter(sources_at(plan)) == Counter({s.name: s.draws for s in plan.sources if s.draws})


@SETTINGS
@given(weights=weights_st, sizes=st.lists(st.integers(0, 40), min_size=4, max_size=4),
       policies=st.lists(st.sampled_from(["repeat", "stop", "exhaust_all"]), min_size=4, max_size=4),
       block=st.one_of(st.none(), st.integers(4, 24)), total=st.one_of(st.none(), st.integers(1, 300)),
       seed=st.integers(0, 1000))
def test_policies_and_repetition_counts(weights, sizes, policies, block, total, seed):
    n = len(weights)
    reqs = requests(weights, sizes[:n], policies[:n])
    try:
        plan = make_plan(reqs, seed=seed, examples=total, block_size=block, shard_examples=10)
    except ConfigError as exc:
        assert "gives 0 examples" in str(exc) or "has no size" in str(exc)
        return
    except DataError as exc:
        assert "has no usable examples" in str(exc)
        return
    by_name = {r.name: r for r in reqs}
    exhaust = [r for r in reqs if r.policy == "exhaust_all" and r.available > 0]
    stop = [r for r in reqs if r.policy == "stop"]
    stop_bound_hit = total is not None and plan.total < total
    for s in plan.sources:
        r = by_name[s.name]
        if r.policy == "stop":
            assert s.draws <= r.available
        if r.policy == "exhaust_all" and r.available > 0 and not (stop and plan.notes and "stop" in plan.notes[-1]):
            assert s.draws >= r.available
        # every item appears floor or ceil(draws / available) times; the histogram accounts for every item
        counts = s.appearances()
        assert sum(counts.values()) == s.available and sum(k * v for k, v in counts.items()) == s.draws
        assert max(counts, default=0) - min(counts, default=0) <= 1
    if stop_bound_hit:
        # maximal: one more position would need an extra draw of some stop source
        bigger = make_plan([SourceRequest(r.name, r.weight, "repeat", max(r.available, 1)) for r in reqs],
                           seed=seed, examples=plan.total + 1, block_size=block, shard_examples=10)
        assert any(b.draws > by_name[b.name].available for b in bigger.sources if by_name[b.name].policy == "stop")
    if total is None and exhaust and not stop:
        # minimal: one fewer position would leave an exhaust_all source not fully seen
        if plan.total > 0:
            smaller = make_plan([SourceRequest(r.name, r.weight, "repeat", max(r.available, 1)) for r in reqs],
                                seed=seed, examples=plan.total - 1, block_size=block, shard_examples=10) \
                if plan.total > 1 else None
            if smaller is not None:
                assert any(b.draws < by_name[b.name].available for b in smaller.sources
                           if by_name[b.name].policy == "exhaust_all" and by_name[b.name].available > 0)


@SETTINGS
@given(sizes=st.lists(st.integers(1, 25), min_size=3, max_size=3), block=st.one_of(st.none(), st.just(8)),
       policy=st.sampled_from(["repeat", "stop", "exhaust_all"]), seed=st.integers(0, 50))
def test_reference_layout_repetition(sizes, block, policy, seed):
    """Each item of a source appears exactly as the plan states: at most once (stop), at least once
    (exhaust_all), floor/ceil(draws/available) (repeat); one_pass gives exactly one appearance each."""
    reqs = requests([0.5, 0.25, 0.25], sizes, [policy, "repeat", "repeat"])
    plan = make_plan(reqs, seed=seed, examples=None if policy != "repeat" else 50, block_size=block,
                     shard_examples=7)
    keys = {r.name: [f"k{j}" for j in range(r.available)] for r in reqs}
    layout = reference_layout(plan, keys)
    assert len(set(layout)) == len(layout)  # (source, key, epoch) unique: output keys are unique
    for s in plan.sources:
        per_item = Counter(k for name, k, _ in layout if name == s.name)
        hist = Counter(per_item.get(k, 0) for k in keys[s.name])
        assert dict(hist) == s.appearances()
    first = plan.sources[0]
    if policy == "stop":
        assert set(first.appearances()) <= {0, 1} and first.draws == first.available  # the bound is this source
    if policy == "exhaust_all":
        assert min(first.appearances()) >= 1
    repeat = [SourceRequest(r.name, r.weight, "repeat", r.available) for r in reqs]
    one = make_plan(repeat, seed=seed, one_pass="s1", block_size=block)
    assert one.sources[1].draws == sizes[1] and one.sources[1].appearances() == {1: sizes[1]}


def test_same_seed_same_plan_other_seed_other_order():
    reqs = requests([0.5, 0.3, 0.2], [40, 30, 20], ["repeat"] * 3)
    a = make_plan(reqs, seed=1, examples=200, block_size=10)
    b = make_plan(reqs, seed=1, examples=200, block_size=10)
    c = make_plan(reqs, seed=2, examples=200, block_size=10)
    keys = {r.name: [f"x{j}" for j in range(r.available)] for r in reqs}
    assert a == b and reference_layout(a, keys) == reference_layout(b, keys)
    assert reference_layout(a, keys) != reference_layout(c, keys)
    assert block_layout(1, (5, 3, 2), 0) != block_layout(1, (5, 3, 2), 1)


def test_plan_errors_and_notes():
    with pytest.raises(DataError, match="source 's1' has no usable examples"):
        make_plan(requests([1, 1], [5, 0], ["repeat", "repeat"]), seed=0, examples=10)
    empty = make_plan(requests([1, 1], [5, 0], ["repeat", "stop"]), seed=0, examples=10)
    # largest T with no draw of the empty stop source: 1 (the remainder tie goes to s0)
    assert empty.total == 1 and empty.sources[1].draws == 0 and "stopped at 1 of 10" in empty.notes[0]
    grown = make_plan(requests([1, 1], [5, 30], ["repeat", "exhaust_all"]), seed=0, examples=10, block_size=2)
    assert grown.total == 60 and grown.sources[1].draws == 30 and "extended from 10 to 60" in grown.notes[0]
    with pytest.raises(ConfigError, match="no size"):
        make_plan(requests([1], [5], ["repeat"]), seed=0)
    with pytest.raises(ConfigError, match="all source weights are zero"):
        make_plan(requests([0, 0], [5, 5], ["repeat"] * 2), seed=0, examples=3)


def test_bounds_survive_the_alabama_paradox():
    """Largest-remainder draws are not monotone in the size: 0.7/1/1 gives the stop source 38 draws at T=144
    but 37 at T=145. The stop bound must hold for every smaller size (and exhaust_all for every larger one)."""
    reqs = requests([0.7, 1, 1], [37, 39, 13], ["stop", "repeat", "repeat"])
    assert [largest_remainder(t, [exact_weight(w) for w in (0.7, 1, 1)])[0] for t in (143, 144, 145)] == [37, 38, 37]
    plan = make_plan(reqs, seed=0, examples=144)
    assert plan.total == 143 and plan.sources[0].draws == 37
    assert make_plan(reqs, seed=0).total == 143
    reqs = requests([0.66, 0.05, 3, 0.66], [9, 4, 18, 26], ["repeat", "exhaust_all", "repeat", "exhaust_all"])
    plan = make_plan(reqs, seed=0, examples=295)
    assert plan.sources[1].draws >= 4 and plan.sources[3].draws >= 26 and plan.total > 295


@SETTINGS
@given(weights=st.lists(st.sampled_from([0.05, 0.1, 0.15, 0.2, 0.3, 0.66, 0.7, 1, 2, 3]), min_size=3, max_size=5),
       sizes=st.lists(st.integers(1, 40), min_size=5, max_size=5), policy=st.sampled_from(["stop", "exhaust_all"]),
       one_pass=st.booleans())
def test_global_mode_policy_bounds_hold_for_every_requested_size(weights, sizes, policy, one_pass):
    reqs = requests(weights, sizes, [policy] + ["repeat"] * (len(weights) - 1))
    n = reqs[0].available
    top = int(n * sum(exact_weight(w) for w in weights) / exact_weight(weights[0])) + 5
    sizes_to_try = [None] if one_pass else range(1, top)
    for total in sizes_to_try:
        plan = make_plan(reqs, seed=0, examples=total, one_pass="s1" if one_pass else None)
        d = plan.sources[0].draws
        assert d <= n if policy == "stop" else d >= n, (total, plan.total, d, n)


@given(weights=weights_st, sizes=st.lists(st.integers(1, 60), min_size=4, max_size=4),
       block=st.one_of(st.none(), st.integers(4, 40)), total=st.integers(1, 300), seed=st.integers(0, 2**32))
def test_draw_positions_are_the_positions_of_every_draw(weights, sizes, block, total, seed):
    """``plan.draw_positions`` (one pass over the blocks for all sources) gives ``plan.position`` of every draw."""
    reqs = requests(weights, sizes, ["repeat"] * len(weights))
    try:
        plan = make_plan(reqs, seed=seed, examples=total, block_size=block, shard_examples=17)
    except ConfigError:
        return
    every = plan.draw_positions()
    assert [list(p) for p in every] == [[plan.position(i, o) for o in range(s.draws)] for i, s in enumerate(plan.sources)]
    assert sorted(p for positions in every for p in positions) == list(range(plan.total))


@given(n=st.integers(0, 300), count=st.integers(1, 40))
def test_pass_two_runs_are_consecutive_and_of_equal_lengths(n, count):
    """The embedded engine's runs of output shards: every shard once, in order, lengths differing by at most one."""
    from rt2data.pipelines.mix_local import _runs

    runs = _runs(list(range(n)), count)
    assert [t for run in runs for t in run] == list(range(n))
    assert len(runs) == min(n, count) and all(runs)
    assert not runs or max(map(len, runs)) - min(map(len, runs)) <= 1
