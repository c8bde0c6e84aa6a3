"""The Example record and its JSON Schema stay in agreement; bad records are rejected with clear errors."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.codec.action_codec import ActionCodec
from rt2data.errors import SchemaError
from rt2data.example import Example, example_schema, make_key, sniff_image_format, validate_example_dict
from rt2data.prompt import DEFAULT_ACTION_TEMPLATE, action_prompt, action_target
from rt2data.testing.strategies import examples

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def action_example(**changes) -> Example:
    codec = ActionCodec.rt2_default()
    raw = np.array([1, 0.1, -0.2, 0.0, 0.05, 0.0, -0.5, 1.0])
    enc = codec.encode(raw)
    fields = dict(
        key=make_key("bridge", 12, 3), image=JPEG, image_format="jpg",
        prompt=action_prompt("Put the spoon in the pot."), target=action_target(enc.texts[0]),
        kind="action", source="bridge", template_id=DEFAULT_ACTION_TEMPLATE.id, instruction="put the spoon in the pot",
        episode_id="bridge-12", step=3, action_raw=tuple(raw), action_tokens=tuple(enc.tokens[0]),
    )
    fields.update(changes)
    return Example(**fields)


def test_dataclass_fields_match_schema_properties():
    schema = example_schema()
    fields = {f.name: f for f in dataclasses.fields(Example)}
    assert set(schema["properties"]) == set(fields) - {"image"}
    required_in_code = {n for n, f in fields.items() if f.default is dataclasses.MISSING} - {"image"}
    assert set(schema["required"]) == required_in_code
    action_required = schema["allOf"][0]["then"]["required"]
    assert set(action_required) == {"episode_id", "step", "action_raw", "action_tokens"}
    assert schema["properties"]["kind"]["enum"] == ["action", "caption", "vqa"]


def test_action_example_from_the_codec_validates_and_round_trips():
    ex = action_example()
    assert ex.target == "1 140 102 128 134 128 64 255"
    data = ex.to_json_dict()
    validate_example_dict(data)
    again = Example.from_json_dict(json.loads(ex.to_json_bytes()), ex.image)
    assert again == ex and again.to_json_bytes() == ex.to_json_bytes()
    assert ActionCodec.rt2_default().decode_texts([ex.target]).shape == (1, 8)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["caption", "vqa"]),
    prompt=st.text(min_size=1, max_size=40),
    target=st.text(min_size=1, max_size=40),
    image=st.sampled_from([(JPEG, "jpg"), (PNG, "png")]),
)
def test_web_examples_validate(kind, prompt, target, image):
    ex = Example(key=make_key("coco", prompt[:10]), image=image[0], image_format=image[1], prompt=prompt,
                 target=target, kind=kind, source="coco", template_id="rt2-vqa-v1")
    validate_example_dict(ex.to_json_dict())
    assert sniff_image_format(ex.image) == ex.image_format
    assert json.loads(ex.to_json_bytes()) == ex.to_json_dict()


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(key="a.b"), "is not a valid key"),
        (dict(key="dir/file"), "is not a valid key"),
        (dict(kind="video"), "kind 'video' is not one of"),
        (dict(image_format="jpeg"), "image_format 'jpeg' is not one of"),
        (dict(image=b""), "image is empty or not bytes"),
        (dict(prompt=""), "field 'prompt' must be a non-empty string"),
        (dict(template_id=None), "field 'template_id' must be a non-empty string"),
        (dict(step=None), r"action examples need \['step'\]"),
        (dict(action_tokens=(1, 2)), "action_raw has 8 values but action_tokens has 2"),
    ],
)
def test_bad_examples_rejected_in_code(changes, message):
    with pytest.raises(SchemaError, match=message):
        action_example(**changes)


@pytest.mark.parametrize(
    "changes, field",
    [
        (dict(key="a.b"), "key"),
        (dict(kind="video"), "kind"),
        (dict(step=-1), "step"),
        (dict(step="3"), "step"),
        (dict(action_tokens=[1, -2]), "action_tokens/1"),
        (dict(action_raw=["x"]), "action_raw/0"),
        (dict(colour="red"), "(record)"),
        (dict(prompt=""), "prompt"),
    ],
)
def test_bad_dicts_rejected_by_schema_naming_the_field(changes, field):
    data = {**action_example().to_json_dict(), **changes}
    with pytest.raises(SchemaError, match=rf"example {re.escape(repr(data['key']))}: field {re.escape(field)}: "):
        validate_example_dict(data)


def test_schema_requires_action_fields_for_action_kind():
    data = action_example().to_json_dict()
    del data["episode_id"]
    with pytest.raises(SchemaError, match="'episode_id' is a required property"):
        validate_example_dict(data)
    with pytest.raises(SchemaError, match=r"unknown fields \['colour'\]"):
        Example.from_json_dict({**action_example().to_json_dict(), "colour": "red"}, JPEG)


def test_make_key():
    assert make_key("bridge", 12, 3) == "bridge-12-3"
    assert make_key("fractal/20220817", "ep.1") == "fractal_20220817-ep_1"
    with pytest.raises(SchemaError, match="cannot make an example key"):
        make_key("..", "/")


def test_field_names_are_the_example_dataclass_and_the_schema():
    import dataclasses

    from rt2data import fields as F
    from rt2data.example import Example, example_schema

    assert F.ALL == tuple(f.name for f in dataclasses.fields(Example))
    assert set(F.ALL) - {F.IMAGE} == set(example_schema()["properties"])
    assert set(F.TEXT) | {F.STEP, F.ACTION_RAW, F.ACTION_TOKENS} | set(F.OMITTED_WHEN_NONE) == set(F.ALL) - {F.IMAGE}


@settings(max_examples=300, deadline=None)
@given(examples(), st.lists(st.floats(width=64), min_size=1, max_size=8))
def test_json_bytes_are_json_dumps_bytes(example, floats):
    """msgspec writes the JSON member; its bytes are ``json.dumps``'s (floats spelled by repr, NaN/Infinity too)."""
    for ex in (example, dataclasses.replace(example, action_raw=tuple(floats), action_tokens=(0,) * len(floats))
               if example.kind == "action" and example.chunk_steps is None else example):
        expected = json.dumps(ex.to_json_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert ex.to_json_bytes() == expected.encode("utf-8")
