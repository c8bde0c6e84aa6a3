"""Quaternion -> roll, pitch, yaw (extrinsic x-y-z: R = Rz(yaw) Ry(pitch) Rx(roll)), as ``tft.euler.from_quaternion``.

``order``: ``xyzw`` (scalar last, tensorflow_graphics / scipy) or ``wxyz`` (scalar first). The quaternion is
normalized first; a zero quaternion gives NaN (the converter drops the step as ``non_finite_action``).
Output angles in radians: roll, yaw in (-pi, pi], pitch in [-pi/2, pi/2].
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

NAME = "quat_to_rpy"
ARGS = {"order": str}


def width(k: int, args: Mapping[str, Any]) -> int:
    if k != 4:
        raise ValueError(f"takes 4 quaternion values per step, got {k}")
    if args.get("order", "xyzw") not in ("xyzw", "wxyz"):
        raise ValueError(f"order must be 'xyzw' or 'wxyz', got {args.get('order')!r}")
    return 3


def rpy_from_xyzw(q: np.ndarray) -> np.ndarray:
    """float64[N, 4] (x, y, z, w) -> float64[N, 3] (roll, pitch, yaw)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
    x, y, z, w = q.T
    roll = np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = np.arcsin(np.clip(2 * (w * y - z * x), -1.0, 1.0))
    yaw = np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return np.stack([roll, pitch, yaw], axis=1)


def apply(values: np.ndarray, *, order: str = "xyzw") -> np.ndarray:
    q = np.asarray(values, dtype=np.float64)
    return rpy_from_xyzw(q if order == "xyzw" else q[:, [1, 2, 3, 0]])
