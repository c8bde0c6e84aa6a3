"""Example keys of converted steps: the per-episode prefix cache gives exactly ``make_key`` of all the parts."""

from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.convert import example_key
from rt2data.example import make_key

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=230)


@settings(max_examples=300, deadline=None)
@given(source=_TEXT, split=st.none() | _TEXT, shard=st.integers(0, 10**6), record=st.integers(0, 10**7),
       step=st.integers(0, 10**5))
def test_example_key_is_make_key_of_its_parts(source, split, shard, record, step):
    parts = (split,) if split is not None else ()
    expected = make_key(source, *parts, f"s{shard:05d}", f"r{record:06d}", f"t{step:04d}")
    assert example_key(source, shard, record, step, split=split) == expected
    assert example_key(source, shard, record, step, split=split) == expected  # and again, from the cache


def test_long_source_names_are_cut_like_make_key():
    source = "x" * 195
    assert example_key(source, 1, 2, 3) == make_key(source, "s00001", "r000002", "t0003")
    assert len(example_key(source, 1, 2, 3)) == 200
    assert example_key("__" + "-" * 3, 0, 0, 7) == "s00000-r000000-t0007"
