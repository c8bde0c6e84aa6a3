"""The protobuf-runtime decoder of tf.train.Example (issue 14) reads what the hand-written decoder reads."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.errors import DataError
from rt2data.shards import iter_examples, write_shards
from rt2data.shards.formats import get_format
from rt2data.shards.formats.example_proto import ProtoTFRecordFormat, decode_features, example_message_class
from rt2data.shards.formats.tf_example import (
    decode_tf_example,
    example_to_tf_example_bytes,
    features_to_example,
    tf_example_bytes_to_example,
)
from rt2data.testing.strategies import examples


def _same_values(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(type(x) is type(y) and (x == y or (x != x and y != y)) for x, y in zip(a, b))


@settings(max_examples=60, deadline=None)
@given(examples())
def test_same_features_and_example_as_the_hand_decoder(example):
    data = example_to_tf_example_bytes(example)
    fast, hand = decode_features(data), decode_tf_example(data)
    assert fast.keys() == hand.keys()
    assert all(fast[k].kind == hand[k].kind and _same_values(fast[k].values, hand[k].values) for k in fast)
    assert repr(features_to_example(fast)) == repr(tf_example_bytes_to_example(data)) == repr(example)


@settings(max_examples=60, deadline=None)
@given(examples(), st.data())
def test_damaged_bytes_give_the_hand_decoders_answer(example, data):
    whole = example_to_tf_example_bytes(example)
    cut = data.draw(st.integers(0, len(whole) - 1))
    flip = data.draw(st.integers(0, len(whole) - 1))
    for damaged in (whole[:cut], whole[:flip] + bytes([whole[flip] ^ 0x41]) + whole[flip + 1:]):
        try:
            hand = repr(features_to_example(decode_tf_example(damaged)))
        except DataError as exc:
            hand = f"DataError: {exc}"
        try:
            fast = repr(features_to_example(decode_features(damaged)))
        except DataError as exc:
            fast = f"DataError: {exc}"
        if hand.startswith("DataError") or fast.startswith("DataError"):
            assert fast == hand, (damaged, fast, hand)


@settings(max_examples=10, deadline=None)
@given(st.lists(examples(), min_size=1, max_size=5))
def test_the_registered_tfrecord_format_reads_with_protobuf(tmp_path_factory, exs):
    assert isinstance(get_format("tfrecord"), ProtoTFRecordFormat)
    tmp_path = tmp_path_factory.mktemp("o")
    exs = [e.replace(key=f"k{i}") for i, e in enumerate(exs)]
    write_shards(tmp_path, exs, fmt="tfrecord", prefix="t", shard_examples=10, record_progress=False)
    assert [repr(e) for e in iter_examples(sorted(tmp_path.glob("*.tfrecord")))] == [repr(e) for e in exs]


def test_a_private_message_class_with_the_tf_wire_format():
    cls = example_message_class()
    assert cls.DESCRIPTOR.full_name.startswith("rt2data_private.")
    message = cls()
    message.features.feature["x"].int64_list.value.extend([1, -2])
    assert decode_tf_example(message.SerializeToString())["x"].values == (1, -2)
    with pytest.raises(DataError, match="not a valid tf.train.Example"):
        decode_features(b"\x0a\x05\x0a\x03")
