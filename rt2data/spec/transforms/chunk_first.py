"""The first step of a recorded action chunk: bc_z records the next 10 actions per step (xyz_residual float32[30]
= 10 x 3); the action taken now is the first ``width`` values."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

NAME = "chunk_first"
ARGS = {"width": int}


def width(k: int, args: Mapping[str, Any]) -> int:
    w = args.get("width", 0)
    if w < 1 or k % w:
        raise ValueError(f"width must be >= 1 and divide the {k} values per step, got width={w}")
    return w


def apply(values: np.ndarray, *, width: int) -> np.ndarray:
    """float64[N, c * width] -> float64[N, width]."""
    return np.asarray(values, dtype=np.float64)[:, :width]
