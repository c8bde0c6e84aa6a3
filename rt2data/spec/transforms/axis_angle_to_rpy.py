"""Rotation vector (axis * angle, radians) -> roll, pitch, yaw (extrinsic x-y-z), via the unit quaternion
(cos(a/2), sin(a/2) * axis). Used for axis-angle rotation deltas (maniskill, bc_z, kaist_nonprehensile).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from rt2data.spec.transforms.quat_to_rpy import rpy_from_xyzw

NAME = "axis_angle_to_rpy"
ARGS: dict[str, type] = {}


def width(k: int, args: Mapping[str, Any]) -> int:
    if k != 3:
        raise ValueError(f"takes 3 rotation-vector values per step, got {k}")
    return 3


def apply(values: np.ndarray) -> np.ndarray:
    """float64[N, 3] rotation vectors -> float64[N, 3] roll, pitch, yaw."""
    r = np.asarray(values, dtype=np.float64)
    angle = np.linalg.norm(r, axis=1, keepdims=True)
    scale = 0.5 * np.sinc(angle / (2 * np.pi))  # sin(a/2) / a, finite at a = 0
    return rpy_from_xyzw(np.concatenate([r * scale, np.cos(angle / 2)], axis=1))
