"""A continuous gripper -> binary by look-ahead (Octo's ``binarize_gripper_actions`` rule, bridge_dataset).

Values above ``high`` become 1.0, below ``low`` 0.0 (source units; in BridgeData 1 = open). A value in between
takes the value of the next step that is not in between (the state the gripper is moving to). A run of in-between
values at the end of the episode keeps the episode's last raw value (Octo: "we give up on binarizing").

Output: float64[N, 1] in the source's units (0.0, 1.0, or the trailing raw value); the spec's ``gripper`` block then
maps it to canonical -1 open / +1 closed.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

NAME = "binarize_gripper"
ARGS = {"low": float, "high": float}


def width(k: int, args: Mapping[str, Any]) -> int:
    if k != 1:
        raise ValueError(f"takes one gripper value per step, got {k}")
    if not args.get("low", 0.05) < args.get("high", 0.95):
        raise ValueError(f"needs low < high, got low={args.get('low', 0.05)}, high={args.get('high', 0.95)}")
    return 1


def apply(values: np.ndarray, *, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """float64[N, 1] -> float64[N, 1]."""
    x = np.asarray(values, dtype=np.float64).reshape(len(values))
    out = np.empty_like(x)
    carry = x[-1] if x.size else 0.0
    for t in range(x.size - 1, -1, -1):
        if x[t] > high:
            carry = 1.0
        elif x[t] < low:
            carry = 0.0
        out[t] = carry
    return out[:, None]
