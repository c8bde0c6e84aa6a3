"""Absolute values -> per-step deltas: out[t] = x[t+1] - x[t] (the move that step t's action makes).

Used for datasets whose actions are absolute target poses (utokyo_*, dlr_*, tokyo_u_lsmo) and for actions
relabelled from consecutive states (Octo's ``relabel_actions``: the source is ``observation/state``).

The last step has no next value: its delta is 0 (the robot holds still). Octo instead drops the last step; rt2data
keeps every step so images, instructions and terminate stay aligned. With ``wrap_angles`` the deltas are wrapped to
[-pi, pi) (for Euler angles that cross +-pi).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

NAME = "abs_to_delta"
ARGS = {"wrap_angles": bool}


def width(k: int, args: Mapping[str, Any]) -> int:
    return k


def apply(values: np.ndarray, *, wrap_angles: bool = False) -> np.ndarray:
    """float64[N, k] absolute -> float64[N, k] deltas, last row 0."""
    x = np.asarray(values, dtype=np.float64)
    out = np.zeros_like(x)
    out[:-1] = x[1:] - x[:-1]
    if wrap_angles:
        out[:-1] = (out[:-1] + np.pi) % (2 * np.pi) - np.pi
    return out
