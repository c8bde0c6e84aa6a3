"""Constrained decoding of action strings in a real tokenizer's ids: a per-position trie, and a plain id mask.

An action string is D integers; in a Llama-style tokenizer each integer is 2-4 ids (``▁`` then digits), so a
per-position set of legal ids cannot express it. ``ActionTrie`` holds, per output position, the id sequence of every
bin (as it appears inside a target, ``rt2data.codec.token_report.bin_sequences``) as a trie. An inference loop asks it
for the ids legal after what was generated so far (``allowed``; ``prefix_allowed_tokens_fn`` is the callable Hugging
Face ``generate`` takes) and turns a finished id sequence back into bins (``parse``). Where every bin is one id
(``reserved_last``, ``reserved_least_frequent``), ``masks`` gives the plain per-position mask bool[D, V].

Built only when unambiguous: two bins of a position with the same ids, or a bin that ends where another continues
with an id that could also start the next position, raise ``TokenizerError``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from rt2data.errors import ParseError, TokenizerError

__all__ = ["ActionTrie"]


class _Node:
    __slots__ = ("children", "bin")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.bin: int | None = None


class ActionTrie:
    """Per-position tries of token-id sequences -> bins.

    Args:
        sequences: ``sequences[p][b]`` = the ids of bin ``b`` at output position ``p`` (D positions).
        eos_id: the id allowed once the last position is complete (None: nothing is allowed then).
    """

    def __init__(self, sequences: Sequence[Sequence[Sequence[int]]], *, eos_id: int | None = None) -> None:
        self.sequences = tuple(tuple(tuple(int(i) for i in seq) for seq in pos) for pos in sequences)
        self.eos_id = None if eos_id is None else int(eos_id)
        if not self.sequences:
            raise TokenizerError("an action trie needs at least one position")
        self._roots = [self._build(p, seqs) for p, seqs in enumerate(self.sequences)]
        for p in range(len(self._roots) - 1):
            starts = set(self._roots[p + 1].children)
            for node in self._terminals_with_children(self._roots[p]):
                both = starts & set(node.children)
                if both:
                    raise TokenizerError(
                        f"position {p}: bin {node.bin} ends where another bin continues with id {min(both)}, which "
                        f"also starts position {p + 1}: the action string cannot be parsed unambiguously"
                    )

    @staticmethod
    def _build(position: int, seqs: Sequence[tuple[int, ...]]) -> _Node:
        root = _Node()
        for b, seq in enumerate(seqs):
            if not seq:
                raise TokenizerError(f"position {position}: bin {b} has no token ids")
            node = root
            for i in seq:
                node = node.children.setdefault(i, _Node())
            if node.bin is not None:
                raise TokenizerError(
                    f"position {position}: bins {node.bin} and {b} have the same token ids {list(seq)}; the tokenizer "
                    "cannot tell them apart"
                )
            node.bin = b
        return root

    @staticmethod
    def _terminals_with_children(root: _Node):
        stack = [root]
        while stack:
            node = stack.pop()
            if node.bin is not None and node.children:
                yield node
            stack.extend(node.children.values())

    @property
    def n_positions(self) -> int:
        return len(self.sequences)

    @property
    def single_token(self) -> bool:
        """True when every bin at every position is exactly one id (a plain mask suffices)."""
        return all(len(seq) == 1 for pos in self.sequences for seq in pos)

    def _walk(self, generated: Sequence[int]) -> tuple[int, _Node, list[int]]:
        """(position, node, bins completed so far) after ``generated``; ParseError at the first illegal id."""
        p, node, bins = 0, self._roots[0], []
        for k, i in enumerate(generated):
            i = int(i)
            if p < self.n_positions and i in node.children:
                node = node.children[i]
                continue
            if node.bin is not None and p + 1 < self.n_positions and i in self._roots[p + 1].children:
                bins.append(node.bin)
                p, node = p + 1, self._roots[p + 1].children[i]
                continue
            if node.bin is not None and p + 1 == self.n_positions and i == self.eos_id:
                bins.append(node.bin)
                return self.n_positions, _Node(), bins
            raise ParseError(
                f"token id {i} at offset {k} is not legal at action position {p} (ids {list(generated)[:k]} before it)"
            )
        return p, node, bins

    def allowed(self, generated: Sequence[int]) -> list[int]:
        """The sorted ids legal after ``generated`` (the ids produced after the prompt so far).

        Raises:
            ParseError: ``generated`` already holds an illegal id.
        """
        p, node, _ = self._walk(generated)
        if p == self.n_positions:
            return []
        out = set(node.children)
        if node.bin is not None:
            if p + 1 < self.n_positions:
                out |= set(self._roots[p + 1].children)
            elif self.eos_id is not None:
                out.add(self.eos_id)
        return sorted(out)

    def parse(self, ids: Sequence[int]) -> tuple[int, ...]:
        """A complete action's ids (optionally ending with EOS) -> its D bins.

        Raises:
            ParseError: an illegal id, or the ids stop before the last position is complete.
        """
        ids = [int(i) for i in ids]
        p, node, bins = self._walk(ids)
        if p == self.n_positions:
            return tuple(bins)
        if p == self.n_positions - 1 and node.bin is not None:
            return tuple(bins + [node.bin])
        raise ParseError(f"token ids {ids[:12]}{'...' if len(ids) > 12 else ''} end inside action position {p}")

    def prefix_allowed_tokens_fn(self, prompt_length: int) -> Callable[[int, Any], list[int]]:
        """``fn(batch_id, input_ids) -> allowed ids`` for ``transformers`` ``generate(prefix_allowed_tokens_fn=...)``;
        ``input_ids`` holds the prompt's ``prompt_length`` ids, then what was generated."""

        def fn(batch_id: int, input_ids: Any) -> list[int]:
            ids = input_ids.tolist() if hasattr(input_ids, "tolist") else list(input_ids)
            return self.allowed(ids[prompt_length:])

        return fn

    def masks(self, vocab_size: int) -> np.ndarray:
        """bool[D, V]: True where an id is legal at a position; only when every bin is one id.

        Raises:
            TokenizerError: some bin is several ids (use ``allowed`` instead).
        """
        if not self.single_token:
            raise TokenizerError("bins are several token ids here; a per-position id mask cannot express them, "
                                 "use the trie (allowed / prefix_allowed_tokens_fn)")
        out = np.zeros((self.n_positions, int(vocab_size)), dtype=bool)
        for p, pos in enumerate(self.sequences):
            out[p, [seq[0] for seq in pos]] = True
        return out

    def to_json(self) -> dict[str, Any]:
        """``{"eos_id", "positions": [[ids of bin 0], [ids of bin 1], ...] per position}``."""
        return {"eos_id": self.eos_id, "positions": [[list(s) for s in pos] for pos in self.sequences]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ActionTrie":
        try:
            return cls(data["positions"], eos_id=data.get("eos_id"))
        except (KeyError, TypeError) as exc:
            raise TokenizerError(f"an action trie JSON needs 'positions' (lists of id lists): {exc}") from None
