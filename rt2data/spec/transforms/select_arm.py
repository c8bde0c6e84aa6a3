"""One arm of a multi-arm action: the values are ``arms`` equal blocks, one per arm, in order; keep block ``index``
(utokyo_xarm_bimanual: [left 7, right 7]; Octo keeps the right arm, index 1)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

NAME = "select_arm"
ARGS = {"arms": int, "index": int}


def width(k: int, args: Mapping[str, Any]) -> int:
    arms, index = args.get("arms", 2), args.get("index", 0)
    if arms < 1 or k % arms or not 0 <= index < arms:
        raise ValueError(f"needs the {k} values to split into arms={arms} equal blocks and 0 <= index < arms, "
                         f"got index={index}")
    return k // arms


def apply(values: np.ndarray, *, arms: int = 2, index: int = 0) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    w = x.shape[1] // arms
    return x[:, index * w:(index + 1) * w]
