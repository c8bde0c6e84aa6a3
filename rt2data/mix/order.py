"""Deterministic orders of a mixture: stable hashes, keyed permutations, block slot layouts.

Everything here is a pure function of its arguments (no global RNG, no Python ``hash``), identical on every
machine, Python version and Beam runner, which is what makes a mixture reproducible byte for byte.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Iterable, Iterator

__all__ = ["stable_hash", "feistel_permute", "block_layout", "rank_hash", "rank_hashes"]


def stable_hash(*parts: str | int) -> int:
    """64-bit hash of a tuple of strings/ints: BLAKE2b over a length-prefixed, typed encoding (no collisions
    between ``("ab", "c")`` and ``("a", "bc")``); identical on every machine and Python version."""
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        if isinstance(p, bool) or not isinstance(p, (str, int)):
            raise TypeError(f"stable_hash parts must be str or int, got {type(p).__name__}")
        data = p.encode("utf-8") if isinstance(p, str) else str(p).encode("ascii")
        h.update((b"s" if isinstance(p, str) else b"i") + len(data).to_bytes(4, "big") + data)
    return int.from_bytes(h.digest(), "big")


def feistel_permute(x: int, n: int, key: int, *, rounds: int = 6) -> int:
    """A keyed pseudo-random permutation of ``[0, n)`` (balanced Feistel network + cycle walking)."""
    if not 0 <= x < n:
        raise ValueError(f"feistel_permute: {x} is outside [0, {n})")
    if n == 1:
        return 0
    bits = max(2, (n - 1).bit_length())
    bits += bits % 2
    half = bits // 2
    mask = (1 << half) - 1
    kb = key.to_bytes(8, "big")
    y = x
    while True:
        left, right = y >> half, y & mask
        for r in range(rounds):
            d = hashlib.blake2b(kb + bytes((r,)) + right.to_bytes(8, "big"), digest_size=8).digest()
            left, right = right, left ^ (int.from_bytes(d, "big") & mask)
        y = (left << half) | right
        if y < n:
            return y


@lru_cache(maxsize=4096)
def block_layout(seed: int, quotas: tuple[int, ...], block: int) -> tuple[tuple[int, ...], ...]:
    """In-block slot positions of each source in block ``block``: ``layout[i]`` = sorted slots of source i."""
    base = [i for i, q in enumerate(quotas) for _ in range(q)]
    hashes = list(_extended(_prefix(seed, "slot", block), range(len(base))))  # stable_hash(seed, "slot", block, u)
    order = sorted(range(len(base)), key=lambda u: (hashes[u], u))
    slots: list[list[int]] = [[] for _ in quotas]
    for k, u in enumerate(order):
        slots[base[u]].append(k)
    return tuple(tuple(s) for s in slots)


def rank_hash(seed: int, source: str, epoch: int, key: str) -> int:
    """The hash that orders a source's items in one epoch (ties, impossible in practice, go by key)."""
    return stable_hash(seed, "rank", source, epoch, key)


def _part(p: str | int) -> bytes:
    kind = type(p)
    if kind is str:  # the common cases first, without the checks below (the same bytes)
        data = p.encode("utf-8")  # type: ignore[union-attr]
        return b"s" + len(data).to_bytes(4, "big") + data
    if kind is int and 0 <= p < len(_SMALL_INTS):  # type: ignore[operator]
        return _SMALL_INTS[p]  # type: ignore[index]
    if isinstance(p, bool) or not isinstance(p, (str, int)):
        raise TypeError(f"stable_hash parts must be str or int, got {type(p).__name__}")
    data = p.encode("utf-8") if isinstance(p, str) else str(p).encode("ascii")
    return (b"s" if isinstance(p, str) else b"i") + len(data).to_bytes(4, "big") + data


_SMALL_INTS = tuple(b"i" + len(str(n)).to_bytes(4, "big") + str(n).encode("ascii") for n in range(1024))
"""``_part(n)`` of the ints block slots and epochs are made of."""


def _prefix(*parts: str | int) -> "hashlib._Hash":
    """The BLAKE2b state of ``stable_hash`` after ``parts``."""
    return hashlib.blake2b(b"".join(_part(p) for p in parts), digest_size=8)


def _extended(prefix: "hashlib._Hash", lasts: Iterable[str | int]) -> Iterator[int]:
    """``stable_hash(*parts, last)`` for each ``last``, where ``prefix = _prefix(*parts)``: the common prefix is
    hashed once and each last part only appended to a copy of it (the same values, several times faster)."""
    from_bytes, copy, part = int.from_bytes, prefix.copy, _part
    for last in lasts:
        h = copy()
        h.update(part(last))
        yield from_bytes(h.digest(), "big")


def rank_hashes(seed: int, source: str, epoch: int, keys: Iterable[str]) -> Iterator[int]:
    """``rank_hash(seed, source, epoch, key)`` of every key, in order (the prefix hashed once)."""
    return _extended(_prefix(seed, "rank", source, epoch), keys)
