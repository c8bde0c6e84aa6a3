"""Euler angles in another order -> roll, pitch, yaw (extrinsic x-y-z), radians.

``order`` follows scipy's ``Rotation.as_euler`` naming, which the catalog descriptions quote (dlr_*:
``as_euler("zxy")``): three letters, lower case = extrinsic (rotations about the fixed axes, applied left to right),
upper case = intrinsic. The values are the three angles in that order.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

NAME = "euler_to_rpy"
ARGS = {"order": str}


def width(k: int, args: Mapping[str, Any]) -> int:
    order = args.get("order", "")
    if k != 3:
        raise ValueError(f"takes 3 angles per step, got {k}")
    if not (len(order) == 3 and (order.islower() or order.isupper()) and set(order.lower()) <= set("xyz")
            and len(set(order.lower())) == 3):
        raise ValueError(f"order must be three distinct axes, all lower (extrinsic) or all upper case, got {order!r}")
    return 3


def _axis(axis: str, angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    one, zero = np.ones_like(angle), np.zeros_like(angle)
    rows = {"x": [[one, zero, zero], [zero, c, -s], [zero, s, c]],
            "y": [[c, zero, s], [zero, one, zero], [-s, zero, c]],
            "z": [[c, -s, zero], [s, c, zero], [zero, zero, one]]}[axis]
    return np.moveaxis(np.array(rows), -1, 0)  # [N, 3, 3]


def matrix(angles: np.ndarray, order: str) -> np.ndarray:
    """float64[N, 3, 3] rotation matrices of Euler angles ``angles`` [N, 3] in ``order``."""
    out = np.broadcast_to(np.eye(3), (len(angles), 3, 3)).copy()
    for i, axis in enumerate(order):
        r = _axis(axis.lower(), angles[:, i])
        out = r @ out if order.islower() else out @ r  # extrinsic: pre-multiply; intrinsic: post-multiply
    return out


def apply(values: np.ndarray, *, order: str = "xyz") -> np.ndarray:
    m = matrix(np.asarray(values, dtype=np.float64), order)
    roll = np.arctan2(m[:, 2, 1], m[:, 2, 2])
    pitch = np.arcsin(np.clip(-m[:, 2, 0], -1.0, 1.0))
    yaw = np.arctan2(m[:, 1, 0], m[:, 0, 0])
    return np.stack([roll, pitch, yaw], axis=1)
