"""Action chunks: the actions of steps t..t+H-1 as one target (``convert --action-chunk H``).

The target is H action strings one after another, separated by single spaces (H x D integers); ``action_raw`` and
``action_tokens`` hold the H x D values step-major. Past the episode end the final action repeats, and the example
records how many of the H steps are real (``chunk_real``). H = 1 is a plain action string.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rt2data.codec import action_text
from rt2data.codec.action_space import ActionSpace
from rt2data.errors import ConfigError, ParseError

__all__ = ["MAX_CHUNK", "check_horizon", "chunk_indices", "real_steps", "render_chunk", "parse_chunk", "chunk_of"]

MAX_CHUNK = 1024


def check_horizon(horizon: Any) -> int:
    """H as an int in 1..MAX_CHUNK, or ConfigError naming the value."""
    if not isinstance(horizon, (int, np.integer)) or isinstance(horizon, bool) or not 1 <= horizon <= MAX_CHUNK:
        raise ConfigError(f"--action-chunk must be an integer in 1..{MAX_CHUNK}, got {horizon!r}")
    return int(horizon)


def chunk_indices(n_steps: int, horizon: int) -> np.ndarray:
    """int64[N, H]: the step whose action is the k-th of step t's chunk, ``min(t + k, N - 1)``."""
    t = np.arange(n_steps, dtype=np.int64)[:, None] + np.arange(horizon, dtype=np.int64)[None, :]
    return np.minimum(t, n_steps - 1)


def real_steps(n_steps: int, horizon: int) -> np.ndarray:
    """int64[N]: how many of step t's H chunk steps exist in the episode, ``min(H, N - t)``."""
    return np.minimum(horizon, n_steps - np.arange(n_steps, dtype=np.int64))


def render_chunk(tokens: Any) -> str:
    """int[H, D] -> the H action strings joined by single spaces."""
    return action_text.SEPARATOR.join(action_text.render_many(np.asarray(tokens)))


def chunk_of(text: str, action_space: ActionSpace) -> int:
    """How many actions an action string holds (its integer count / D); ParseError when not a whole number."""
    n = len(text.split(action_text.SEPARATOR)) if text else 0
    d = len(action_space)
    if n == 0 or n % d:
        raise ParseError(f"action string {text[:60]!r} has {n} tokens, not a multiple of the {d} dimensions")
    return n // d


def parse_chunk(text: str, action_space: ActionSpace, horizon: int) -> np.ndarray:
    """Strictly parse a chunk of ``horizon`` actions into int64[H, D].

    Raises:
        ParseError: wrong token count (naming the expected H x D) or a bad token (naming the chunk step, position
            and dimension).
    """
    d = len(action_space)
    if horizon == 1:
        return np.asarray([action_text.parse(text, action_space)], dtype=np.int64)
    parts = text.split(action_text.SEPARATOR) if isinstance(text, str) else None
    if parts is None or len(parts) != horizon * d:
        got = "not a string" if parts is None else f"{len(parts)} tokens"
        raise ParseError(f"action chunk {str(text)[:60]!r}: expected {horizon} x {d} = {horizon * d} tokens, got {got}")
    rows = []
    for k in range(horizon):
        try:
            rows.append(action_text.parse(action_text.SEPARATOR.join(parts[k * d:(k + 1) * d]), action_space))
        except ParseError as exc:
            raise ParseError(f"action chunk step {k} (tokens {k * d + 1}..{(k + 1) * d}): {exc}") from None
    return np.asarray(rows, dtype=np.int64)
