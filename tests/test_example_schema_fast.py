"""The compiled example validator (``fastjsonschema``, issue 14) accepts and refuses what ``jsonschema`` does."""

from __future__ import annotations

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.errors import SchemaError
from rt2data.example import example_schema, validate_example_dict
from rt2data.schemas import compiled_check

_VALID = {
    "key": "bridge-s00000-r000001-t0002", "image_format": "jpg", "prompt": "Q: pick? A:", "target": "1 2 3",
    "kind": "action", "source": "bridge", "template_id": "rt2-action-v1", "instruction": "pick", "episode_id": "e",
    "step": 2, "action_raw": [0.5, -1.0, 2.0], "action_tokens": [1, 2, 3], "plan": None,
}
_values = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False), st.text(max_size=5),
                    st.sampled_from(["jpg", "action", "caption", "a.b", "", "x\n"]),
                    st.lists(st.one_of(st.integers(-2, 300), st.floats(allow_nan=False), st.text(max_size=2)),
                             max_size=3))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*_VALID, "extra"]), _values, max_size=4), st.sets(st.sampled_from(list(_VALID))))
def test_compiled_validator_agrees_with_jsonschema(changes, removed):
    record = {k: v for k, v in {**_VALID, **changes}.items() if k not in removed}
    slow_ok = not list(jsonschema.Draft202012Validator(example_schema()).iter_errors(record))
    fast_ok = compiled_check("example")(record)
    assert fast_ok == slow_ok, record
    if not slow_ok:
        try:
            validate_example_dict(record)
        except SchemaError as exc:
            assert "example" in str(exc) and "field" in str(exc)
        else:
            raise AssertionError("an invalid record passed")


def test_valid_record_passes():
    validate_example_dict(_VALID)
