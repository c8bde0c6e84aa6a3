"""Property tests of the spec-language transforms (``rt2data.spec.transforms``), each against an independent
formulation: Octo's rules written as its docstrings state them, rotations through matrices built another way."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rt2data.errors import SpecError
from rt2data.spec.transforms import TRANSFORMS, output_width, parse_steps
from rt2data.spec.transforms import (
    abs_to_delta, axis_angle_to_rpy, binarize_gripper, chunk_first, euler_to_rpy, quat_to_rpy, rel2abs_gripper,
    select_arm,
)
from rt2data.spec.transforms.subsample import subsample_indices

FLOATS = st.floats(-3, 3, allow_nan=False, width=64)
COMMANDS = hnp.arrays(np.float64, st.integers(1, 30), elements=st.sampled_from([-1.0, -0.05, 0.0, 0.05, 1.0, 0.5]))


def octo_rel2abs(actions: np.ndarray) -> np.ndarray:
    """Octo's rel2abs_gripper_actions (1 open, 0 closed), written as a loop."""
    thresholded = np.where(actions < -0.1, 1, np.where(actions > 0.1, -1, 0))
    start = -thresholded[np.argmax(thresholded != 0)]
    carry = 1 if start == 0 else start
    out = []
    for t in thresholded:
        carry = carry if t == 0 else t
        out.append(carry)
    return np.array(out, dtype=np.float64) / 2 + 0.5


def octo_binarize(actions: np.ndarray) -> np.ndarray:
    """Octo's binarize_gripper_actions, the loop from its docstring."""
    open_mask, closed_mask = actions > 0.95, actions < 0.05
    in_between = ~(open_mask | closed_mask)
    new, carry = np.empty_like(actions), actions[-1]
    for i in reversed(range(actions.shape[0])):
        carry = carry if in_between[i] else float(open_mask[i])
        new[i] = carry
    return new


@settings(max_examples=80, deadline=None)
@given(COMMANDS)
def test_rel2abs_is_octos_rule_in_canonical_polarity(commands):
    out = rel2abs_gripper.apply(commands[:, None])[:, 0]
    assert set(np.unique(out)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(out, 1 - 2 * octo_rel2abs(commands))
    nonzero = np.flatnonzero(np.abs(commands) > 0.1)
    if nonzero.size:  # after a command the state is that command until the next one
        assert out[nonzero[-1]:].tolist() == [np.sign(commands[nonzero[-1]])] * (len(commands) - nonzero[-1])
        assert (out[:nonzero[0]] == -np.sign(commands[nonzero[0]])).all()
    else:
        assert (out == -1).all()


@settings(max_examples=80, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 30), elements=st.sampled_from([0.0, 0.02, 0.3, 0.5, 0.97, 1.0])))
def test_binarize_is_octos_look_ahead(values):
    out = binarize_gripper.apply(values[:, None])[:, 0]
    np.testing.assert_array_equal(out, octo_binarize(values))
    assert (out[values > 0.95] == 1).all() and (out[values < 0.05] == 0).all()


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 6)), elements=FLOATS))
def test_abs_to_delta_integrates_back(x):
    d = abs_to_delta.apply(x)
    assert d.shape == x.shape and (d[-1] == 0).all()
    np.testing.assert_allclose(x[0] + np.cumsum(d[:-1], axis=0), x[1:], atol=1e-9)
    wrapped = abs_to_delta.apply(x, wrap_angles=True)
    assert (wrapped >= -np.pi).all() and (wrapped < np.pi).all()
    np.testing.assert_allclose(np.cos(wrapped), np.cos(d), atol=1e-9)


def _axis_quat(axis: int, angle: np.ndarray) -> np.ndarray:
    q = np.zeros((len(angle), 4))
    q[:, axis], q[:, 3] = np.sin(angle / 2), np.cos(angle / 2)
    return q


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    (ax, ay, az, aw), (bx, by, bz, bw) = a.T, b.T
    return np.stack([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz], axis=1)


RPY = hnp.arrays(np.float64, st.tuples(st.integers(1, 8), st.just(3)), elements=st.floats(-1.4, 1.4, width=64))


@settings(max_examples=40, deadline=None)
@given(RPY, st.booleans())
def test_quat_to_rpy_inverts_the_axis_product(rpy, negate):
    q = _qmul(_qmul(_axis_quat(2, rpy[:, 2]), _axis_quat(1, rpy[:, 1])), _axis_quat(0, rpy[:, 0]))  # Rz Ry Rx
    q = -q if negate else q  # q and -q are the same rotation
    np.testing.assert_allclose(quat_to_rpy.apply(q * 2.5), rpy, atol=1e-9)  # scale: normalized first
    np.testing.assert_allclose(quat_to_rpy.apply(q[:, [3, 0, 1, 2]], order="wxyz"), rpy, atol=1e-9)


def _rodrigues(r: np.ndarray) -> np.ndarray:
    out = []
    for v in r:
        theta = np.linalg.norm(v)
        if theta < 1e-12:
            out.append(np.eye(3))
            continue
        k = v / theta
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        out.append(np.eye(3) + np.sin(theta) * kx + (1 - np.cos(theta)) * kx @ kx)
    return np.array(out)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 8), st.just(3)), elements=st.floats(-1.5, 1.5, width=64)))
def test_axis_angle_to_rpy_is_the_same_rotation(r):
    rpy = axis_angle_to_rpy.apply(r)
    np.testing.assert_allclose(euler_to_rpy.matrix(rpy, "xyz"), _rodrigues(r), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(RPY, st.sampled_from(["zxy", "zyx", "xzy", "ZYX", "ZXY", "YXZ"]))
def test_euler_to_rpy_keeps_the_rotation(angles, order):
    rpy = euler_to_rpy.apply(angles, order=order)
    np.testing.assert_allclose(euler_to_rpy.matrix(rpy, "xyz"), euler_to_rpy.matrix(angles, order), atol=1e-9)
    # extrinsic "xyz" are roll, pitch, yaw themselves; intrinsic "ZYX" the same angles in yaw-pitch-roll order
    np.testing.assert_allclose(euler_to_rpy.apply(angles, order="xyz"), angles, atol=1e-9)
    np.testing.assert_allclose(euler_to_rpy.apply(angles[:, ::-1], order="ZYX"), angles, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 6))
def test_chunk_first_and_select_arm_pick_blocks(chunks, width, n):
    x = np.arange(n * chunks * width, dtype=np.float64).reshape(n, chunks * width)
    np.testing.assert_array_equal(chunk_first.apply(x, width=width), x[:, :width])
    for i in range(chunks):
        np.testing.assert_array_equal(select_arm.apply(x, arms=chunks, index=i), x[:, i * width:(i + 1) * width])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 60), st.integers(1, 7))
def test_subsample_keeps_first_last_and_every_kth(n, k):
    keep = subsample_indices(n, k)
    if n == 0:
        assert keep.size == 0
        return
    assert keep[0] == 0 and keep[-1] == n - 1 and (np.diff(keep) > 0).all() and (np.diff(keep) <= k).all()
    assert set(range(0, n, k)) <= set(keep.tolist())


def test_parse_and_widths_name_what_is_wrong():
    steps = parse_steps(["rel2abs_gripper", {"name": "quat_to_rpy", "order": "wxyz"}], where="action.dict.0")
    assert [s.name for s in steps] == ["rel2abs_gripper", "quat_to_rpy"]
    assert output_width(parse_steps(["quat_to_rpy"], where="x"), 4, where="x") == 3
    with pytest.raises(SpecError, match=r"action.dict.2.transforms.0: unknown transform 'nope'"):
        parse_steps(["nope"], where="action.dict.2")
    with pytest.raises(SpecError, match=r"chunk_first has no argument 'size'"):
        parse_steps([{"name": "chunk_first", "size": 3}], where="a")
    with pytest.raises(SpecError, match=r"chunk_first.width = 'x' is not a int"):
        parse_steps([{"name": "chunk_first", "width": "x"}], where="a")
    with pytest.raises(SpecError, match=r"transform quat_to_rpy: takes 4 quaternion values per step, got 3"):
        output_width(parse_steps(["quat_to_rpy"], where="a"), 3, where="a")
    assert {t.name for t in TRANSFORMS.values() if t.gripper} == {"rel2abs_gripper", "binarize_gripper"}
