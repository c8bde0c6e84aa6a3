"""What a dataset's statistics are computed from and how they become a codec (no Beam here).

``input_fingerprint`` names the input a statistics pass reads, ``stats_block`` is the rt2data block of the
statistics file, ``codec_from_stats`` builds a dataset's codec from its action statistics, and ``finite_rows``
is the row filter every statistics pass applies (non-finite actions are dropped, as ``convert`` drops them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rt2data.codec.action_codec import ActionCodec

__all__ = ["STATS_FILE", "input_fingerprint", "stats_block", "codec_from_stats", "finite_rows"]

STATS_FILE = "dataset_statistics.json"


def input_fingerprint(source, units) -> str:
    """``sha256:...`` of the input a statistics pass reads (``source.input_fingerprint(units)``; RLDS: the
    dataset's ``dataset_info.json`` and, per shard of the split, its file name, size and record range)."""
    return source.input_fingerprint(units)


def stats_block(spec, split: str, codec_json: dict[str, Any], *, input_fp: str | None = None) -> dict[str, Any]:
    """Our versioned block of the statistics file: what the numbers were computed from and how to decode."""
    block = {
        "spec": spec.name,
        "spec_fingerprint": spec.fingerprint(),
        "split": split,
        "action_dims": list(spec.action_space.names),
        "codec": codec_json,
    }
    if input_fp is not None:
        block["input_fingerprint"] = input_fp
    return block


def codec_from_stats(spec, action_stats, *, out_of_range: str = "clip"):
    """The codec of a dataset: the spec's action space, normalized with its statistics by the spec's method."""
    norm = spec.normalization
    return ActionCodec.from_stats(
        action_stats, spec.action_space, method=norm.method, mask=norm.mask, out_of_range=out_of_range
    )


def finite_rows(episode) -> tuple[np.ndarray, np.ndarray | None]:
    """The rows the statistics see: the steps convert keeps as it does (a step with a non-finite action is dropped
    as ``non_finite_action``, with its proprio), and of those the finite proprio rows (convert keeps a step whose
    proprio is not finite, so its action still counts). Returns float64[N', D] and float64[M', P] (M' <= N')."""
    actions = np.asarray(episode.actions, dtype=np.float64)
    keep = np.isfinite(actions).all(axis=1) if actions.ndim == 2 else np.ones(len(actions), dtype=bool)
    actions = actions[keep]
    proprio = None
    if episode.proprio is not None:
        proprio = np.asarray(episode.proprio, dtype=np.float64)
        if len(proprio) == len(keep):
            proprio = proprio[keep]
        proprio = proprio[np.isfinite(proprio).all(axis=1)]
    return actions, proprio
