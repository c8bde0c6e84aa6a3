"""Dataset specs: loading and validation, fingerprints, gripper/instruction conversions, feature checks."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from rt2data.errors import SpecError
from rt2data.rlds import open_dataset
from rt2data.spec.model import DatasetSpec, GripperSpec, list_specs, spec_path
from rt2data.spec.standardize import decode_utf8_codes, gripper_to_canonical
from rt2data.spec import check_features, proprio_dim, require_match

SHIPPED = {
    "bridge_dataset", "bridge_oxe_v0", "bridge", "fractal20220817_data", "kuka", "taco_play", "jaco_play", "berkeley_autolab_ur5",
    "language_table", "toto", "roboturk", "viola", "droid", "generic_flat_eef",
}


def spec_dict(name: str) -> dict:
    return yaml.safe_load(spec_path(name).read_text())


def test_every_shipped_spec_loads_and_names_its_file():
    assert SHIPPED <= set(list_specs())
    for name in list_specs():
        if DatasetSpec.refusal(name):  # tidybot, vima: refuse with a reason
            continue
        spec = DatasetSpec.load(name)
        assert spec.semantics is not None  # every shipped spec states its action semantics
        assert spec.name == name and spec.source.endswith(f"specs/{name}.yaml") and spec.description
        assert len(spec.dim_names) == len(spec.normalization.mask)
        assert spec.action_space.names == spec.dim_names


def test_rt2_default_space_and_layout_of_the_canonical_vector():
    spec = DatasetSpec.load("fractal20220817_data")
    assert spec.dim_names == ("terminate", "dx", "dy", "dz", "droll", "dpitch", "dyaw", "gripper")
    assert spec.terminate_column == 0 and spec.gripper.column == 7
    assert spec.normalization.mask == (False, True, True, True, True, True, True, False)
    jaco = DatasetSpec.load("jaco_play")
    assert [p.ref is None for p in jaco.action_parts] == [False, True, False]  # rotation filled with zeros
    assert jaco.normalization.mask[4:7] == (False, False, False)
    lt = DatasetSpec.load("language_table")
    assert lt.dim_names == ("terminate", "dx", "dy") and lt.gripper is None and lt.instruction_encoding == "utf8_codes"


def test_load_by_path_and_unknown_name(tmp_path):
    path = tmp_path / "mine.yaml"
    data = spec_dict("generic_flat_eef")
    data["name"] = "mine"
    path.write_text(yaml.safe_dump(data))
    assert DatasetSpec.load(path).name == "mine" and DatasetSpec.load(str(path)).source == str(path)
    with pytest.raises(SpecError, match=r"no dataset spec named 'nope'; shipped specs: \[.*'bridge'"):
        DatasetSpec.load("nope")
    with pytest.raises(SpecError, match="does not exist"):
        DatasetSpec.load(tmp_path / "missing.yaml")


def test_schema_errors_name_the_file_and_every_field(tmp_path):
    data = spec_dict("bridge_oxe_v0")
    data["colour"] = "red"
    data["action"]["gripper"]["true_means"] = "sideways"
    data["images"]["primary"] = "episode:observation/image"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError) as info:
        DatasetSpec.load(path)
    msg = str(info.value)
    first = msg.splitlines()[0]
    assert first.startswith(f"{path}: ") and "(and 2 more)" in first
    assert "action.gripper.true_means: 'sideways' is not one of ['open', 'closed']" in msg
    assert "images.primary: 'episode:observation/image' does not match" in msg
    assert "<top level>: Additional properties are not allowed ('colour' was unexpected)" in msg


@pytest.mark.parametrize(
    "edit,match",
    [
        (lambda d: d["action"]["dict"].pop(), r"parts give 7 values \(with terminate\) but the action space has 8"),
        (lambda d: d["action"]["gripper"].update(dim="wrist"), "action.gripper.dim: 'wrist' is not a continuous"),
        (lambda d: d.update(normalization={"mask": [True, False]}), "normalization.mask has 2 entries"),
        (lambda d: d["action"].update(terminate={"type": "one_hot", "key": "action/t"}), "terminate.*index"),
        (lambda d: d["action"].update(flat={"key": "action", "slices": [[0, 7]]}), r"action: matches more than one of the allowed forms.*\{\"required\": \[\"flat\"\]\}"),
        (lambda d: d.update(action_space={"dimensions": [{"name": "x", "kind": "continuous"}]}),
         "action_space: dimension 'x': continuous dimensions need"),
    ],
)
def test_semantic_errors_name_the_field(edit, match):
    data = spec_dict("bridge_oxe_v0")
    edit(data)
    with pytest.raises(SpecError, match=match):
        DatasetSpec.from_dict(data, source="bridge-edited.yaml")


def test_terminate_needs_a_terminate_dimension():
    data = spec_dict("language_table")
    data["action_space"]["dimensions"] = data["action_space"]["dimensions"][1:]
    data["normalization"]["mask"] = [True, True]
    with pytest.raises(SpecError, match="terminate.type is 'is_terminal' but the action space has no 'terminate'"):
        DatasetSpec.from_dict(data)
    data["action"]["terminate"] = {"type": "none"}
    assert DatasetSpec.from_dict(data).terminate_column is None


def test_continuous_gripper_needs_range_open_value_at_an_end():
    data = spec_dict("droid")
    data["action"]["gripper"]["open_value"] = 0.5
    with pytest.raises(SpecError, match=r"open_value: 0.5 must be one end of range \[0, 1\]"):
        DatasetSpec.from_dict(data)
    del data["action"]["gripper"]["range"]
    with pytest.raises(SpecError, match="'range' is a required property"):
        DatasetSpec.from_dict(data)


def test_fingerprint_is_stable_and_ignores_description():
    a, b = DatasetSpec.load("bridge_oxe_v0"), DatasetSpec.load("bridge_oxe_v0")
    assert a.fingerprint() == b.fingerprint() and len(a.fingerprint()) == 64
    data = spec_dict("bridge_oxe_v0")
    data["description"] = "something else entirely"
    assert DatasetSpec.from_dict(data).fingerprint() == a.fingerprint()
    data["action"]["terminate"]["threshold"] = 0.25
    assert DatasetSpec.from_dict(data).fingerprint() != a.fingerprint()
    usable = [n for n in list_specs() if not DatasetSpec.refusal(n)]
    assert len({DatasetSpec.load(n).fingerprint() for n in usable}) == len(usable)


# --- conversions -----------------------------------------------------------------------------------------------

def test_gripper_conventions():
    rt1 = GripperSpec("gripper", 7, "continuous", (-1.0, 1.0), -1.0)
    np.testing.assert_allclose(gripper_to_canonical(np.array([-1, 0, 1, 0.5]), rt1), [-1, 0, 1, 0.5])
    bridge_v2 = GripperSpec("gripper", 7, "continuous", (0.0, 1.0), 1.0)  # 1 = open
    np.testing.assert_allclose(gripper_to_canonical(np.array([1, 0, 0.25]), bridge_v2), [-1, 1, 0.5])
    taco = GripperSpec("gripper", 7, "continuous", (-1.0, 1.0), 1.0)  # +1 = open
    np.testing.assert_allclose(gripper_to_canonical(np.array([1, -1]), taco), [-1, 1])
    binarized = GripperSpec("gripper", 7, "continuous", (0.0, 1.0), 1.0, threshold=0.5)
    np.testing.assert_array_equal(gripper_to_canonical(np.array([0.9, 0.6, 0.4, 0.0, np.nan]), binarized),
                                  [-1, -1, 1, 1, np.nan])
    open_true = GripperSpec("gripper", 7, "bool", true_means="open")
    closed_true = GripperSpec("gripper", 7, "bool", true_means="closed")
    np.testing.assert_array_equal(gripper_to_canonical(np.array([True, False]), open_true), [-1, 1])
    np.testing.assert_array_equal(gripper_to_canonical(np.array([True, False]), closed_true), [1, -1])


@given(a=st.floats(-100, 100), width=st.floats(0.01, 100), open_low=st.booleans(),
       x=st.floats(0, 1), y=st.floats(0, 1))
def test_continuous_gripper_map_is_affine_and_orientation_preserving(a, width, open_low, x, y):
    b = a + width
    grip = GripperSpec("gripper", 0, "continuous", (a, b), a if open_low else b)
    values = np.array([a, b, a + x * width, a + y * width])
    out = gripper_to_canonical(values, grip)
    ends = out[:2] if open_low else out[1::-1]
    np.testing.assert_allclose(ends, [-1, 1], atol=1e-9)
    # moving towards the closed end never decreases the canonical value
    towards_closed = (x - y) if open_low else (y - x)
    assert (out[2] - out[3]) * towards_closed >= -1e-9


def test_utf8_codes():
    text = "push the blüe block ⟶ left"
    codes = np.zeros(512, np.int32)
    raw = np.frombuffer(text.encode(), np.uint8)
    codes[: raw.size] = raw
    assert decode_utf8_codes(codes) == text
    assert decode_utf8_codes(np.zeros(4, np.int32)) == ""
    with pytest.raises(ValueError, match="outside 0..255"):
        decode_utf8_codes(np.array([300, 0]))


# --- checks against features --------------------------------------------------------------------------------------

def test_check_names_missing_key_shape_and_dtype(rlds_dataset):
    features = open_dataset(rlds_dataset("bridge_oxe_v0")).features
    assert check_features(DatasetSpec.load("bridge_oxe_v0"), features) == []
    data = spec_dict("bridge_oxe_v0")
    data["images"]["primary"] = "observation/image_0"                          # missing key
    data["action"]["dict"][0]["size"] = 2                                       # shape
    data["action"]["dict"][1] = {"key": "action/rotation_delta", "size": 4}
    data["action"]["gripper"] = {"type": "continuous", "range": [0, 1], "open_value": 1}  # bool read as 0/1: fine
    data["instruction"]["encoding"] = "utf8_codes"                              # a string is not codes
    problems = check_features(DatasetSpec.from_dict(data), features)
    assert len(problems) == 4, problems
    text = "\n".join(problems)
    assert "steps/observation/image_0 (primary image): missing; steps/observation has ['image', " in text
    assert "steps/action/world_vector (action): shape [3] has 3 values but the spec needs 2" in text
    assert "steps/action/rotation_delta (action): shape [3] has 3 values but the spec needs 4" in text
    assert "open_gripper" not in text  # a continuous gripper may be recorded as bool (0/1)
    assert "steps/observation/natural_language_instruction (instruction): is text string[] but the spec needs an integer" in text


def test_check_one_hot_flat_and_episode_id(rlds_dataset):
    fractal = open_dataset(rlds_dataset("fractal20220817_data")).features
    data = spec_dict("fractal20220817_data")
    data["action"]["terminate"]["index"] = 3
    data["episode_id"] = {"keys": ["episode:episode_metadata/file_path"], "fallback": "error"}
    problems = check_features(DatasetSpec.from_dict(data), fractal)
    assert problems == [
        "steps/action/terminate_episode (terminate one-hot): shape [3] is not a one-hot vector with an index 3",
        "episode_metadata/file_path (episode id): missing; the episode has ['episode_id', 'steps']",
    ]
    droid = open_dataset(rlds_dataset("droid")).features
    data = spec_dict("droid")
    data["action"]["flat"]["slices"] = [[0, 6], [6, 8]]
    data["action_space"] = {"dimensions": [{"name": "terminate", "kind": "discrete", "classes": 2}]
                            + [{"name": f"d{i}", "kind": "continuous", "low": -1, "high": 1} for i in range(7)]
                            + [{"name": "gripper", "kind": "continuous", "low": -1, "high": 1}]}
    data["normalization"]["mask"] = [False] + [True] * 7 + [False]
    assert check_features(DatasetSpec.from_dict(data), droid) == ["steps/action (action): shape [7] but the spec slices it up to 8"]


def test_check_an_unrelated_layout_lists_everything(rlds_dataset):
    features = open_dataset(rlds_dataset("language_table")).features
    problems = check_features(DatasetSpec.load("fractal20220817_data"), features)
    assert any(p.startswith("steps/observation/image (primary image): missing") for p in problems)
    assert any(p.startswith("steps/action/world_vector (action): missing") for p in problems)
    assert any("steps/action (action)" not in p for p in problems)
    assert len(problems) >= 7


def test_spec_is_data_not_python():
    spec = DatasetSpec.load("taco_play")
    copy_ = spec.to_dict()
    copy_["name"] = "changed"
    assert spec.to_dict()["name"] == "taco_play"  # to_dict is a copy
    assert DatasetSpec.from_dict(copy.deepcopy(copy_)).name == "changed"


def test_require_match_and_proprio_dim(rlds_dataset):
    features = open_dataset(rlds_dataset("viola")).features
    viola = DatasetSpec.load("viola")
    require_match(viola, features)  # no error
    assert proprio_dim(viola, features) == 7 + 2
    assert proprio_dim(DatasetSpec.load("roboturk"), features) == 0
    with pytest.raises(SpecError) as info:
        require_match(DatasetSpec.load("toto"), features, where="viola/0.1.0")
    first = str(info.value).splitlines()[0]
    assert first.startswith("spec 'toto' does not match viola/0.1.0: 3 mismatch(es), first: steps/observation/image ")
    assert "steps/action/open_gripper (action gripper): missing" in str(info.value)


def test_normalization_defaults_and_constraints():
    data = spec_dict("bridge_oxe_v0")
    del data["normalization"]
    spec = DatasetSpec.from_dict(data)
    assert spec.normalization.method == "q01_q99" and spec.normalization.mask == (False,) + (True,) * 6 + (False,)
    data["normalization"] = {"method": "none"}
    assert DatasetSpec.from_dict(data).normalization.mask == (False,) * 8
    data["normalization"] = {"method": "none", "mask": [False, True] + [False] * 6}
    with pytest.raises(SpecError, match="method 'none' normalizes nothing"):
        DatasetSpec.from_dict(data)
    data["normalization"] = {"mask": [True] * 8}
    with pytest.raises(SpecError, match="only continuous dimensions can be normalized"):
        DatasetSpec.from_dict(data)
