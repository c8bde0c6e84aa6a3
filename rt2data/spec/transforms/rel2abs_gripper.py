"""Relative gripper commands -> absolute gripper state (Octo's ``rel2abs_gripper_actions`` rule).

RT-1-style datasets record a gripper *command*: +1 close, -1 open, 0 no change (fractal, kuka, jaco_play,
berkeley_autolab_ur5, nyu_door_opening). Read as a position, a 0 would mean "half closed". The rule:

1. threshold: a value > ``threshold`` is a close command (+1), < -``threshold`` an open command (-1), else 0;
2. carry the last non-zero command forward: state[t] = command[t] if it is non-zero, else state[t-1];
3. before the first non-zero command the gripper is in the opposite state of that command (a first "close" means
   it was open); with no command at all the gripper is open for the whole episode.

Output: float64[N, 1], +1 closed / -1 open (the canonical polarity). Octo writes the same state as 1 open / 0
closed; ``canonical = 1 - 2 * octo``.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

NAME = "rel2abs_gripper"
ARGS = {"threshold": float}


def width(k: int, args: Mapping[str, Any]) -> int:
    if k != 1:
        raise ValueError(f"takes one gripper value per step, got {k}")
    return 1


def apply(values: np.ndarray, *, threshold: float = 0.1) -> np.ndarray:
    """float64[N, 1] commands -> float64[N, 1] states (+1 closed, -1 open)."""
    commands = np.asarray(values, dtype=np.float64).reshape(len(values))
    step = np.where(commands > threshold, 1.0, np.where(commands < -threshold, -1.0, 0.0))
    nonzero = np.flatnonzero(step)
    state = -step[nonzero[0]] if nonzero.size else -1.0
    out = np.empty_like(step)
    for t, s in enumerate(step):
        state = s if s != 0 else state
        out[t] = state
    return out[:, None]
