"""ActionSpace / Dimension: the RT-2 default, validation, JSON round trip, schema agreement."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings

from rt2data.codec.action_space import ActionSpace, Dimension, as_action_array
from rt2data.errors import ActionSpaceError, EncodeError
from rt2data.schemas import load_schema
from rt2data.testing.strategies import action_spaces

VALIDATOR = jsonschema.Draft202012Validator(load_schema("action_space"))


def test_rt2_default_layout():
    space = ActionSpace.rt2_default()
    assert space.names == ("terminate", "dx", "dy", "dz", "droll", "dpitch", "dyaw", "gripper")
    assert len(space) == 8
    assert space.n_tokens == (2,) + (256,) * 7
    assert space[0].kind == "discrete" and space[0].classes == 2
    for dim in space.dims[1:]:
        assert (dim.kind, dim.low, dim.high, dim.bins) == ("continuous", -1.0, 1.0, 256)
    assert space["gripper"] is space[7]
    assert space.index("dz") == 3
    assert space.continuous_mask == (False,) + (True,) * 7


def test_edges_and_centers_are_true_256_bins():
    dim = ActionSpace.rt2_default()["dx"]
    edges = dim.edges()
    assert edges.shape == (257,) and edges[0] == -1.0 and edges[-1] == 1.0
    assert dim.bin_width == 2 / 256
    np.testing.assert_allclose(np.diff(edges), 2 / 256)
    centers = dim.centers()
    assert centers.shape == (256,)
    assert centers[0] == -1 + 1 / 256 and centers[-1] == 1 - 1 / 256
    np.testing.assert_array_equal(Dimension.discrete("t", 3).centers(), [0.0, 1.0, 2.0])


@settings(max_examples=60, deadline=None)
@given(action_spaces())
def test_json_round_trip_and_schema(space):
    data = space.to_json()
    VALIDATOR.validate(data)
    again = ActionSpace.from_json(json.loads(json.dumps(data)))
    assert again == space
    assert again.to_json() == data


def test_load_from_file(tmp_path):
    path = tmp_path / "space.json"
    path.write_text(json.dumps(ActionSpace.rt2_default().to_json()))
    assert ActionSpace.load(path) == ActionSpace.rt2_default()
    with pytest.raises(ActionSpaceError, match="cannot read action space .*missing.json"):
        ActionSpace.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ActionSpaceError, match="bad.json"):
        ActionSpace.load(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"dimensions": [{"name": "x", "low": 1, "high": 0}]}))
    with pytest.raises(ActionSpaceError, match=r"wrong.json: dimension 'x': low \(1.0\) must be smaller"):
        ActionSpace.load(wrong)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(name="x", low=1.0, high=1.0), r"low \(1.0\) must be smaller than high"),
        (dict(name="x", low=2.0, high=1.0), "must be smaller"),
        (dict(name="x", low=-1.0, high=1.0, bins=1), "bins must be an integer >= 2"),
        (dict(name="x", low=-1.0, high=1.0, bins=True), "bins must be an integer"),
        (dict(name="x", low=-1.0, high=1.0, bins=2.5), "bins must be an integer"),
        (dict(name="x", low=float("nan"), high=1.0), "finite 'low'"),
        (dict(name="x", low=-1.0, high=float("inf")), "finite 'high'"),
        (dict(name="x", high=1.0), "finite 'low'"),
        (dict(name="x", low="0", high=1.0), "finite 'low'"),
        (dict(name="x", kind="discrete", classes=1), "classes' >= 2"),
        (dict(name="x", kind="discrete", classes=2.0), "classes' >= 2"),
        (dict(name="x", kind="discrete", classes=2, low=0.0), "continuous dimensions only"),
        (dict(name="x", kind="discrete", classes=2, bins=10), "'bins' applies to continuous"),
        (dict(name="x", low=0.0, high=1.0, classes=3), "discrete dimensions only"),
        (dict(name="x", kind="categorical", classes=2), "kind 'categorical'"),
        (dict(name="", low=0.0, high=1.0), "name '' is invalid"),
        (dict(name="has space", low=0.0, high=1.0), "name 'has space' is invalid"),
        (dict(name="x", low=1e15, high=1e15 + 1, bins=256), "not representable in float64"),
    ],
)
def test_dimension_validation(kwargs, message):
    with pytest.raises(ActionSpaceError, match=message):
        Dimension(**kwargs)


def test_space_validation():
    with pytest.raises(ActionSpaceError, match="at least one dimension"):
        ActionSpace(())
    with pytest.raises(ActionSpaceError, match=r"repeated: \['a'\]"):
        ActionSpace((Dimension.continuous("a"), Dimension.continuous("a")))
    with pytest.raises(ActionSpaceError, match="dims\\[1\\] is a dict"):
        ActionSpace((Dimension.continuous("a"), {"name": "b"}))
    with pytest.raises(ActionSpaceError, match="no dimension named 'z'"):
        ActionSpace.rt2_default().index("z")
    assert ActionSpace([Dimension.continuous("a")]).dims == (Dimension.continuous("a"),)


BAD_JSON = [
    ({"dimensions": []}, "at least one dimension"),
    ({"dimensions": [{"name": "a", "low": 0, "high": 1, "colour": "red"}]}, "unknown keys \\['colour'\\]"),
    ({"dimensions": [{"name": "a", "low": 0}]}, "need \\['high'\\]"),
    ({"dimensions": [{"name": "a", "kind": "discrete"}]}, "need 'classes'"),
    ({"dimensions": [{"name": "a", "kind": "discrete", "classes": 2, "bins": 4}]}, "unknown keys \\['bins'\\]"),
    ({"dimensions": [{"low": 0, "high": 1}]}, "has no 'name'"),
    ({"dimensions": [{"name": "a", "low": 0, "high": 1, "bins": 1}]}, "bins must be"),
    ({"dimensions": [{"name": "a", "kind": "discrete", "classes": 1}]}, "classes' >= 2"),
    ({"version": 2, "dimensions": [{"name": "a", "low": 0, "high": 1}]}, "version 2"),
    ({"dims": []}, "unknown keys"),
    ({"dimensions": "dx dy"}, "must be a list"),
]


@pytest.mark.parametrize("data, message", BAD_JSON)
def test_from_json_rejects_and_schema_agrees(data, message):
    with pytest.raises(ActionSpaceError, match=message):
        ActionSpace.from_json(data)
    assert not VALIDATOR.is_valid(data), "the JSON Schema must reject what the code rejects"


def test_schema_accepts_what_code_accepts_minimal():
    data = {"dimensions": [{"name": "a", "low": 0, "high": 1}, {"name": "t", "kind": "discrete", "classes": 3}]}
    VALIDATOR.validate(data)
    space = ActionSpace.from_json(data)
    assert space[0].bins == 256 and space[1].n_tokens == 3


def test_as_action_array_errors_name_row_dimension_value():
    names = ActionSpace.rt2_default().names
    x = np.zeros((3, 8))
    x[2, 4] = np.inf
    with pytest.raises(EncodeError, match=r"row 2, dimension 'droll' \(index 4\): value inf is not finite"):
        as_action_array(x, 8, names=names)
    with pytest.raises(EncodeError, match=r"shape \(3, 7\) but the action space has 8"):
        as_action_array(np.zeros((3, 7)), 8, names=names)
    with pytest.raises(EncodeError, match=r"shape \(7,\)"):
        as_action_array(np.zeros(7), 8)
    with pytest.raises(EncodeError, match="must be numbers"):
        as_action_array([["a"] * 8], 8)
    with pytest.raises(EncodeError, match="must be numbers.*got <U1 values"):
        as_action_array([["1"] * 8], 8)
    with pytest.raises(EncodeError, match="must be numbers"):
        as_action_array([[0.0] * 8, [0.0] * 7], 8)  # ragged
    arr, single = as_action_array([0.0] * 8, 8)
    assert single and arr.shape == (1, 8)
