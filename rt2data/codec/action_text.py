"""Action text as RT-2 writes it: token integers separated by single ASCII spaces, e.g. ``1 128 91 241 5 101 127 200``.

Rendering is canonical (``str(int)`` joined by one space), so parsing is strict and ``parse(render(t)) == t``:
exactly one token per dimension, each ``0`` or a decimal integer without sign or leading zeros, within its
dimension's range, separated by single ASCII spaces, with nothing before, after or between. Errors are
``ParseError`` naming the 1-based position, the dimension and the bad token.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

import numpy as np

from rt2data.codec.action_space import ActionSpace
from rt2data.codec.bins import as_token_array
from rt2data.errors import ParseError

__all__ = ["SEPARATOR", "render", "render_many", "parse", "parse_many"]

SEPARATOR = " "
_TOKEN_RE = re.compile(r"0|[1-9][0-9]*", re.ASCII)


def _check_tokens(tokens: Any, action_space: ActionSpace | None, *, ndim: int) -> np.ndarray:
    if action_space is not None:
        arr, single = as_token_array(tokens, action_space)
        if single != (ndim == 1):
            raise ParseError(f"expected tokens of rank {ndim}, got shape {np.shape(tokens)}")
        return arr[0] if single else arr
    arr = np.asarray(tokens)
    if arr.ndim != ndim or arr.dtype.kind not in "iu":
        if not (arr.size == 0 and arr.ndim == ndim):
            raise ParseError(f"tokens must be integers of rank {ndim}, got dtype {arr.dtype} shape {arr.shape}")
        arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        raise ParseError(f"tokens must be non-negative, got {int(arr.min())} in {arr.tolist()}")
    return arr


def render(tokens: Sequence[int] | np.ndarray, action_space: ActionSpace | None = None) -> str:
    """int[D] -> ``"t0 t1 ... tD-1"``.

    Args:
        tokens: one action's tokens, integers >= 0.
        action_space: if given, each token is checked against its dimension's range.

    Raises:
        ParseError: non-integer, negative or (with ``action_space``) out-of-range tokens.
    """
    arr = _check_tokens(tokens, action_space, ndim=1)
    return SEPARATOR.join(map(str, arr.tolist()))


def render_many(tokens: Any, action_space: ActionSpace | None = None) -> list[str]:
    """int[N, D] -> N action strings (see ``render``)."""
    arr = _check_tokens(tokens, action_space, ndim=2)
    return [SEPARATOR.join(map(str, row)) for row in arr.tolist()]


def _describe_bad(token: str) -> str:
    if token[:1] in "+-" and token[1:].isdigit():
        return "signs are not allowed (tokens are non-negative bin indices)"
    if _TOKEN_RE.fullmatch(token.lstrip("0") or "0") and token.startswith("0"):
        return "leading zeros are not allowed"
    if any(c.isspace() for c in token):
        return "tokens are separated by single ASCII spaces only (no tabs, newlines or other whitespace)"
    return "not a non-negative decimal integer"


def parse(text: str, action_space: ActionSpace) -> tuple[int, ...]:
    """Strictly parse one action string into one token per dimension.

    Args:
        text: e.g. ``"1 128 91 241 5 101 127 200"``; no leading/trailing whitespace, no newline.
        action_space: gives the expected count and each position's range.

    Returns:
        The tokens, one int per dimension.

    Raises:
        ParseError: naming the 1-based position, the dimension and the bad token, for: empty tokens
            (double, leading or trailing spaces), signs, leading zeros, letters or other characters,
            too many or too few tokens, integers outside the dimension's range.
    """
    if not isinstance(text, str):
        raise ParseError(f"an action string must be str, got {type(text).__name__}: {text!r}")
    shown = text if len(text) <= 80 else text[:77] + "..."
    names = action_space.names
    d = len(names)
    if not text:
        raise ParseError(f"empty action string; expected {d} tokens ({' '.join(names)})")
    parts = text.split(SEPARATOR)

    def fail(pos: int, why: str) -> ParseError:
        dim = f" (dimension {names[pos - 1]!r})" if pos <= d else ""
        return ParseError(f"action string {shown!r}: position {pos}{dim}: {why}")

    for pos, part in enumerate(parts, start=1):
        if part == "":
            where = "leading space" if pos == 1 else "trailing space" if pos == len(parts) else "double space"
            raise fail(pos, f"empty token ({where}); tokens are separated by exactly one space")
        if not _TOKEN_RE.fullmatch(part):
            raise fail(pos, f"bad token {part!r}: {_describe_bad(part)}")
    if len(parts) != d:
        if len(parts) > d:
            extra = f"extra token {parts[d]!r} at position {d + 1}"
        else:
            extra = f"missing position {len(parts) + 1} (dimension {names[len(parts)]!r})"
        raise ParseError(f"action string {shown!r}: expected {d} tokens, got {len(parts)}: {extra}")
    values = tuple(int(p) for p in parts)
    for pos, (value, n) in enumerate(zip(values, action_space.n_tokens), start=1):
        if value >= n:
            raise fail(pos, f"token {parts[pos - 1]!r} is out of range 0..{n - 1}")
    return values


def parse_many(texts: Iterable[str], action_space: ActionSpace) -> np.ndarray:
    """Parse N action strings into int64[N, D]; an error gets a note with the string's 0-based index."""
    rows = []
    for i, text in enumerate(texts):
        try:
            rows.append(parse(text, action_space))
        except ParseError as exc:
            exc.add_note(f"in action string {i} (0-based)")
            raise
    return np.asarray(rows, dtype=np.int64).reshape(len(rows), len(action_space))
