"""rt2data.shards.fast_check (issue 14): True only where the full checks pass; readers give the same records."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.errors import SchemaError
from rt2data.example import Example, example_schema
from rt2data.readers import example_to_record, iter_records
from rt2data.schemas import load_schema
from rt2data.shards import iter_examples, write_shards
from rt2data.shards.fast_check import _ORDER, _Typed, certainly_valid, json_record, typed_record
from rt2data.testing.strategies import examples

_VALID = {
    "key": "bridge-s00000-r000001-t0002", "image_format": "jpg", "prompt": "Q: pick? A:", "target": "1 2 3",
    "kind": "action", "source": "bridge", "template_id": "rt2-action-v1", "instruction": "pick", "episode_id": "e",
    "step": 2, "action_raw": [0.5, -1.0, 2.0], "action_tokens": [1, 2, 3], "plan": None,
}
_values = st.one_of(st.none(), st.booleans(), st.integers(-300, 300), st.floats(), st.text(max_size=5),
                    st.sampled_from(["jpg", "action", "caption", "a.b", "", "x\n", "k\n", 1.0, 2.0, -100]),
                    st.lists(st.one_of(st.integers(-200, 300), st.floats(), st.booleans(), st.text(max_size=2)),
                             max_size=4))
_fields = st.sampled_from([*_VALID, "chunk_steps", "chunk_real", "input_ids", "labels", "extra"])


def _full_checks_pass(record: dict) -> bool:
    if list(jsonschema.Draft202012Validator(example_schema()).iter_errors(record)):
        return False
    try:
        Example.from_json_dict(record, b"\xff")
    except (SchemaError, TypeError):
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_fields, _values, max_size=5), st.sets(st.sampled_from(list(_VALID))))
def test_certainly_valid_only_where_schema_and_example_agree(changes, removed):
    record = {k: v for k, v in {**_VALID, **changes}.items() if k not in removed}
    if certainly_valid(record):
        assert _full_checks_pass(record), record
    # typed_record, from the member's bytes: the same verdict and json_record's dict, in one decode
    for data in (json.dumps(record).encode(), json.dumps(record, ensure_ascii=False, sort_keys=True).encode()):
        built = typed_record(data)
        assert (built is not None) == certainly_valid(record), (record, built)
        if built is not None:
            assert _same(built, json_record(record)) and list(built) == list(json_record(record))


@settings(max_examples=60, deadline=None)
@given(examples())
def test_every_written_example_is_vouched_for_and_read_back_as_written(example):
    data = example.to_json_bytes()
    fields = json.loads(data)
    assert certainly_valid(fields)
    assert _same(json_record(fields), example.to_json_dict())  # NaN included; key order too
    built = typed_record(data)
    if built is None:  # msgspec refuses NaN and inf (json reads them): the readers' full check reads those
        assert any(not math.isfinite(v) for v in example.action_raw or ())
    else:
        assert _same(built, example.to_json_dict()) and list(built) == list(example.to_json_dict())


def test_the_typed_struct_holds_every_json_field_in_order():
    assert _Typed.__struct_fields__ == _ORDER


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(list(_VALID)), st.sampled_from([b"null", b"true", b"1", b"1.0", b"-1", b"1e400", b'""', b'"x"',
                                                       b'"k\\n"', b"[]", b"[1,2,3]", b"[true]", b"{}"]),
       st.booleans())
def test_typed_record_on_edited_bytes(field, value, twice):
    """Hand-edited members (a value swapped in as bytes, a key given twice): typed_record vouches only for what
    json.loads reads as a record certainly_valid accepts, and gives json_record's dict."""
    name = b'"' + field.encode() + b'"'
    if twice:  # the field given again, last (json.loads keeps the last)
        edited = json.dumps(_VALID, separators=(",", ":")).encode()[:-1] + b"," + name + b":" + value + b"}"
    else:
        edited = json.dumps({**_VALID, field: None}).encode().replace(name + b": null", name + b": " + value)
    built = typed_record(edited)
    fields = json.loads(edited)
    assert (built is not None) == certainly_valid(fields), edited
    if built is not None:
        assert _same(built, json_record(fields)), edited


@pytest.mark.parametrize("extra", [
    {"chunk_steps": 4, "chunk_real": 4}, {"chunk_steps": 4, "chunk_real": 5}, {"chunk_steps": 4},
    {"chunk_real": 1}, {"chunk_steps": 1, "chunk_real": 1}, {"chunk_steps": 2, "chunk_real": 0},
    {"input_ids": [1, 2], "labels": [-100, 2]}, {"input_ids": [1, 2], "labels": [2]}, {"input_ids": [1]},
    {"labels": [1]}, {"input_ids": [1], "labels": [-101]}, {"input_ids": [-1], "labels": [1]},
    {"action_raw": [1, 2.5, -3], "action_tokens": [0, 1, 2]}, {"action_raw": [1.0], "action_tokens": [0, 1]},
    {"kind": "caption", "episode_id": None, "step": None, "action_raw": None, "action_tokens": None},
    {"kind": "action", "step": None}, {"plan": "p"}, {"plan": None}, {"instruction": None},
])
def test_typed_record_between_fields(extra):
    """The rules between fields (both chunk fields or neither, real <= steps, labels as long as input_ids,
    actions as long as their tokens, what an action needs): typed_record's verdict is certainly_valid's."""
    record = {**_VALID, **extra}
    built = typed_record(json.dumps(record).encode())
    assert (built is not None) == certainly_valid(record), record
    if built is not None:
        assert _same(built, json_record(record)) and list(built) == list(json_record(record))


def _same(a, b) -> bool:
    """Equal values of equal types; floats bit for bit."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):  # NaN's sign is not stored in JSON
        return (a != a and b != b) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(1 << 70), 1 << 70), max_size=8))
def test_typed_record_numbers_are_json_numbers(values):
    record = {**_VALID, "action_raw": values, "action_tokens": list(range(len(values)))}
    data = json.dumps(record).encode()
    built = typed_record(data)
    assert built is None or _same(built, json_record(json.loads(data)))


def test_the_fast_check_was_written_for_this_schema():
    """A change of the example schema must be reflected in fast_check's expressions (stricter than the schema):
    update them, then this digest."""
    text = json.dumps(load_schema("example"), sort_keys=True)
    assert hashlib.sha256(text.encode()).hexdigest()[:16] == "abcf3a6695c98794", "revisit rt2data/shards/fast_check.py"


def _records_equal(a: dict, b: dict) -> bool:
    if list(a) != list(b):
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, np.ndarray):
            if not (isinstance(y, np.ndarray) and x.dtype == y.dtype and x.tobytes() == y.tobytes()):
                return False
        elif not _same(x, y):
            return False
    return True


@settings(max_examples=10, deadline=None)
@given(st.lists(examples(), min_size=1, max_size=6, unique_by=lambda e: e.key))
def test_iter_records_gives_what_example_to_record_gives(tmp_path_factory, exs):
    out = tmp_path_factory.mktemp("o")
    write_shards(out, exs, fmt="wds", prefix="t", shard_examples=4, record_progress=False)
    shards = sorted(out.glob("t-*.tar"))
    fast = list(iter_records(shards, decode_images=False))
    slow = [example_to_record(e, decode_images=False) for e in iter_examples(shards)]
    assert len(fast) == len(slow) == len(exs)
    assert all(_records_equal(a, b) for a, b in zip(fast, slow))


def test_iter_records_images_and_bad_records(tmp_path):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (1, 2, 3)).save(buf, format="PNG")
    good = Example(key="a", image=buf.getvalue(), image_format="png", prompt="p", target="t", kind="caption",
                   source="s", template_id="c")
    write_shards(tmp_path, [good], fmt="wds", prefix="t", shard_examples=4, record_progress=False)
    [record] = iter_records(sorted(tmp_path.glob("t-*.tar")))
    assert record["image"].size == (4, 3) and record["image_bytes"] == good.image


@settings(max_examples=100, deadline=None)
@given(examples(), st.data())
def test_typed_record_accepts_only_what_json_reads_the_same(example, data):
    """Damaged JSON members: whatever typed_record accepts, json reads to a record certainly_valid vouches for, and
    to the same values (else the full check's error is used)."""
    whole = example.to_json_bytes()
    at = data.draw(st.integers(0, len(whole) - 1))
    byte = data.draw(st.sampled_from([0, 9, 10, 32, 34, 44, 45, 46, 48, 69, 92, 93, 125, 0xC3, 0xEF, 0xFF]))
    for damaged in (whole[:at], whole[:at] + bytes([byte]) + whole[at + 1:], b"\xef\xbb\xbf" + whole):
        built = typed_record(damaged)
        if built is not None:
            fields = json.loads(damaged.decode("utf-8"))
            assert certainly_valid(fields) and _same(built, json_record(fields)), damaged
