"""Spill records (rt2data.mix.records): an example kept as its output parts gives, drawn in any epoch, exactly the
bytes the example with its epoch key gives in every shard format; rank hashes computed in bulk equal one by one."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from rt2data.errors import DataError
from rt2data.example import Example
from rt2data.mix.elements import epoch_key, stored
from rt2data.mix.order import rank_hash, rank_hashes
from rt2data.mix.records import encode_record, epoch_json, make_record, record_example, record_of_example
from rt2data.shards.writer import encode_example
from rt2data.testing.strategies import examples


@settings(max_examples=100, deadline=None)
@given(example=examples(), epoch=st.integers(0, 10**6))
def test_a_record_drawn_in_an_epoch_is_the_bytes_of_the_example_with_its_epoch_key(example, epoch):
    record = record_of_example(example)
    expected = example.replace(key=epoch_key(example.key, epoch))
    rebuilt = record_example(record, epoch)  # compared by bytes: NaN actions are not equal to themselves
    assert (rebuilt.to_json_bytes(), rebuilt.image) == (expected.to_json_bytes(), expected.image)
    assert epoch_json(record, epoch) == expected.to_json_bytes()
    for fmt in ("wds", "tfrecord"):
        assert encode_record(record, epoch, fmt) == (expected.key, encode_example(expected, fmt)), fmt


def test_the_key_is_found_even_when_texts_spell_out_a_key_field():
    example = Example(key="k1", image=b"\xff\xd8\xff", image_format="jpg", prompt='say "key":"k1" and {"key":"k1"}',
                      target='"key":"k1"', kind="caption", source="key", template_id='"key"')
    record = make_record(example.to_json_dict(), example.image)
    assert epoch_json(record, 3) == example.replace(key="k1-e3").to_json_bytes()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 200, 30)).save(buf, format="PNG")
    return buf.getvalue()


def test_an_image_not_in_the_output_format_is_converted_when_written_or_fails_as_the_beam_writer_does():
    example = Example(key="a", image=_png(), image_format="png", prompt="p", target="t", kind="caption", source="s",
                      template_id="c")
    record = record_of_example(example)
    want = stored(example.replace(key="a-e0"), "jpg")
    assert want.image_format == "jpg"
    assert encode_record(record, 0, "wds", "jpg") == ("a-e0", encode_example(want, "wds"))
    assert encode_record(record, 0, "wds", "png") == ("a-e0", encode_example(example.replace(key="a-e0"), "wds"))
    broken = record_of_example(example.replace(image=b"\x89PNG\r\n\x1a\nnot a png"))
    with pytest.raises(DataError):
        encode_record(broken, 0, "wds", "jpg")


@given(seed=st.integers(0, 2**40), source=st.text(max_size=8), epoch=st.integers(0, 50),
       keys=st.lists(st.text(max_size=20), max_size=20))
def test_rank_hashes_equal_rank_hash(seed, source, epoch, keys):
    assert list(rank_hashes(seed, source, epoch, keys)) == [rank_hash(seed, source, epoch, k) for k in keys]


def test_non_finite_actions_keep_their_bytes():
    """JSON spells every NaN alike; a TFRecord keeps a NaN's payload bits, so a record keeps them too."""
    import struct

    payload_nan = struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000001))[0]
    example = Example(key="r-1", image=b"\xff\xd8\xff", image_format="jpg", prompt="p", target="1 2", kind="action",
                      source="robot", template_id="t", episode_id="e", step=3,
                      action_raw=(payload_nan, float("inf"), -0.0), action_tokens=(1, 2, 3))
    expected = example.replace(key="r-1-e2")
    for fmt in ("wds", "tfrecord"):
        assert encode_record(record_of_example(example), 2, fmt) == ("r-1-e2", encode_example(expected, fmt)), fmt
