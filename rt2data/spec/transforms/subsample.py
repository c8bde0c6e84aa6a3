"""Temporal subsampling of whole episodes (spec key ``subsample: k``; the berkeley_gnm_* navigation datasets).

Keeps steps 0, k, 2k, ... and always the last step (so the episode still ends, and terminate from is_last still
fires); the interval before the last step may be shorter than k. Transforms such as ``abs_to_delta`` then see the
kept steps only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["subsample_indices"]


def subsample_indices(n: int, every: int) -> np.ndarray:
    """int64[M] indices of the kept steps of an n-step episode."""
    if every < 1:
        raise ValueError(f"subsample step must be >= 1, got {every}")
    if n == 0:
        return np.zeros(0, np.int64)
    keep = np.arange(0, n, every)
    return keep if keep[-1] == n - 1 else np.append(keep, n - 1)
