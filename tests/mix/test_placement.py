"""``rt2data.mix.placement.place`` (the embedded mix engine's layout) against the mixture oracle, position by
position: block and global modes, several epochs, stop and exhaust_all, sources without draws."""

from __future__ import annotations

import pytest

from rt2data.mix.placement import place
from rt2data.mix.plan import SourceRequest, make_plan
from rt2data.testing.mix_oracle import reference_layout

PLANS = {
    "block, repeats": dict(requests=[("robot", 2, "repeat", 23), ("vqa", 1, "repeat", 5), ("cap", 1, "repeat", 7)],
                           examples=120, block_size=8),
    "global, repeats": dict(requests=[("robot", 0.5, "repeat", 40), ("vqa", 0.3, "repeat", 3),
                                      ("cap", 0.2, "repeat", 11)], examples=77, block_size=None),
    "global, stop": dict(requests=[("robot", 1, "stop", 50), ("cap", 1, "stop", 9)], examples=None, block_size=None),
    "block, exhaust_all, a weightless source": dict(
        requests=[("robot", 1, "exhaust_all", 30), ("cap", 1, "exhaust_all", 4), ("off", 0, "repeat", 6)],
        examples=10, block_size=4),
}


@pytest.mark.parametrize("name", sorted(PLANS))
@pytest.mark.parametrize("seed", [0, 7])
def test_place_matches_the_oracle(name, seed):
    spec = PLANS[name]
    plan = make_plan([SourceRequest(name=n, weight=w, policy=p, available=a) for n, w, p, a in spec["requests"]],
                     seed=seed, examples=spec["examples"], block_size=spec["block_size"], shard_examples=16)
    keys = {n: [f"{n}-item{i:03d}" for i in range(a)][::-1] for n, _, _, a in spec["requests"]}  # any fixed order
    placement = place(plan, keys)
    got = [(plan.sources[s].name, keys[plan.sources[s].name][i], int(e))
           for s, i, e in zip(placement.source, placement.item, placement.epoch)]
    assert len(placement) == plan.total
    assert got == reference_layout(plan, keys)


def test_place_refuses_a_key_count_that_is_not_the_plan():
    plan = make_plan([SourceRequest(name="a", weight=1, policy="repeat", available=3)], seed=0, examples=5)
    with pytest.raises(ValueError, match="source 'a': 2 keys given, the plan has 3"):
        place(plan, {"a": ["x", "y"]})
