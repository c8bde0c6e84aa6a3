"""Action tokens in a real tokenizer: per-bin id sequences per strategy, checks, and the ``rt2data vocab`` report.

For a tokenizer (``rt2data.codec.tokenizers``) and a strategy (``rt2data.codec.vocab``):

- ``integer_text``: bin ``b`` at position ``p`` is the ids the text ``str(b)`` has inside a target (position 0 right
  after the prompt, later positions after a space), so integers may be several ids; refused for a lossy tokenizer
  (``decode(encode(target)) != target``, e.g. CLIP's, which drops the spaces) with a ``TokenizerError`` saying why;
- ``reserved_last`` / ``reserved_least_frequent``: bin ``b`` is one id of the tokenizer's vocabulary (V from the
  tokenizer); special, control, byte-fallback and unknown ids are never reserved (``reserved_last`` refuses when one
  falls in its range; ``reserved_least_frequent`` excludes them).

``action_trie`` gives the constrained-decoding structure; ``strategy_report`` what ``rt2data vocab --tokenizer``
prints: per bin the id sequence, tokens per action string, and whether decoding a target's ids gives it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from rt2data.codec.action_space import ActionSpace
from rt2data.codec.action_text import render
from rt2data.codec.constrained import ActionTrie
from rt2data.codec.tokenizers import JOIN_SEPARATOR, TextTokenizer
from rt2data.codec.vocab import IntegerText, TokenStrategy, make_strategy
from rt2data.errors import ConfigError, TokenizerError

__all__ = [
    "StrategyReport",
    "token_strategy",
    "bin_sequences",
    "action_trie",
    "sample_targets",
    "check_lossless",
    "strategy_report",
]


def token_strategy(name: str, space: ActionSpace, tokenizer: TextTokenizer, **options: Any) -> TokenStrategy:
    """The strategy ``name`` with V and the never-reserved ids taken from ``tokenizer``.

    Raises:
        TokenizerError: ``reserved_last`` would overwrite a special/control/byte/unknown id (naming it).
    """
    banned = tokenizer.never_reserve()
    if name == "reserved_last":
        strategy = make_strategy(name, space, vocab_size=tokenizer.vocab_size, **options)
        hit = [int(i) for i in strategy.ids if int(i) in banned]
        if hit:
            raise TokenizerError(
                f"reserved_last on {tokenizer.path.name}: id {hit[0]} ({tokenizer.piece(hit[0])!r}) is a "
                f"{banned[hit[0]]} piece ({len(hit)} such ids in the last {len(strategy.ids)}); use reserved_least_frequent"
            )
        return strategy
    if name == "reserved_least_frequent":
        exclude = sorted(set(options.pop("exclude", ())) | set(banned))
        return make_strategy(name, space, vocab_size=tokenizer.vocab_size, exclude=exclude, **options)
    if name == "integer_text":
        return make_strategy(name, space, **options)
    raise ConfigError(f"unknown token strategy {name!r}")


def bin_sequences(tokenizer: TextTokenizer, space: ActionSpace, strategy: TokenStrategy) -> list[list[list[int]]]:
    """``[p][b]``: the ids of bin ``b`` at position ``p`` inside a target.

    Raises:
        TokenizerError: (integer_text) a bin's ids depend on the one before it, so no per-position table exists.
    """
    if not isinstance(strategy, IntegerText):
        return [[[int(i)] for i in strategy.legal(p)] for p in range(len(space))]
    first = [tokenizer.target_ids(str(b)) for b in range(max(space.n_tokens))]
    head = tokenizer.target_ids("0")
    later = []
    for b in range(max(space.n_tokens)):
        ids = tokenizer.target_ids("0" + JOIN_SEPARATOR + str(b))
        if ids[: len(head)] != head:
            raise TokenizerError(f"{tokenizer.path.name}: the ids of {b!r} depend on the integer before it")
        later.append(ids[len(head):])
    return [list((first if p == 0 else later)[: n]) for p, n in enumerate(space.n_tokens)]


def action_trie(tokenizer: TextTokenizer, space: ActionSpace, strategy: TokenStrategy) -> ActionTrie:
    """The constrained-decoding trie of ``strategy`` in ``tokenizer`` (EOS allowed after the last position)."""
    return ActionTrie(bin_sequences(tokenizer, space, strategy), eos_id=tokenizer.eos_id)


def sample_targets(space: ActionSpace, n: int, *, seed: int = 0) -> list[str]:
    """``n`` action strings: every bin at every position once (as far as ``n`` allows), then seeded random ones."""
    tokens = np.asarray(space.n_tokens)
    rows = [np.arange(k, k + len(space)) % tokens for k in range(0, max(space.n_tokens))]
    rng = np.random.default_rng(seed)
    rows += [rng.integers(0, tokens) for _ in range(max(0, n - len(rows)))]
    return [render(r) for r in rows[:n]]


def check_lossless(tokenizer: TextTokenizer, targets: Sequence[str]) -> None:
    """Raise ``TokenizerError`` (one line, why) when decoding a target's ids does not give the target back."""
    for t in targets:
        ids = tokenizer.target_ids(t)
        decoded = tokenizer.decode(ids)
        if decoded in (t, JOIN_SEPARATOR + t):
            continue
        why = f"decode(encode({t!r})) gives {decoded!r}"
        squeezed = t.replace(" ", "")
        if tokenizer.target_ids(squeezed) == ids:
            why += f", and {t!r} encodes like {squeezed!r}: it drops the spaces between integers"
        raise TokenizerError(
            f"{tokenizer.path.name} ({tokenizer.kind}) is lossy for action text: {why}; integer_text needs "
            "decode(encode(target)) == target, use reserved_last or reserved_least_frequent"
        )


@dataclass(frozen=True)
class StrategyReport:
    """What one strategy looks like in one tokenizer.

    Attributes:
        strategy: the strategy name.
        refused: why it cannot be used with this tokenizer (None when usable).
        sequences: ``[p][b]`` id sequence of bin b at position p (None when refused).
        tokens_per_action: (fewest, most) ids an action string takes.
        exact: every checked target decodes back exactly and its ids are the concatenation of its bins' ids.
        checked: how many targets were checked.
    """

    strategy: str
    refused: str | None = None
    sequences: list[list[list[int]]] | None = None
    tokens_per_action: tuple[int, int] | None = None
    exact: bool | None = None
    checked: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "refused": self.refused, "sequences": self.sequences,
                "tokens_per_action": None if self.tokens_per_action is None else list(self.tokens_per_action),
                "exact": self.exact, "checked": self.checked, "params": dict(self.params)}

    def summary(self, tokenizer: TextTokenizer) -> str:
        """A few lines for a terminal."""
        if self.refused:
            return f"{self.strategy}: refused: {self.refused}"
        lo, hi = self.tokens_per_action  # type: ignore[misc]
        lines = [f"{self.strategy}: {lo}-{hi} tokens per action string; decode(encode(target)) exact on "
                 f"{self.checked} targets: {'yes' if self.exact else 'NO'}"]
        pos = self.sequences[-1]  # type: ignore[index]
        for b in sorted({0, 1, 9, 10, 99, 100, 128, len(pos) - 1} & set(range(len(pos)))):
            lines.append(f"  bin {b:>3} (position {len(self.sequences) - 1}): {pos[b]} "  # type: ignore[arg-type]
                         f"{[tokenizer.piece(i) for i in pos[b]]}")
        return "\n".join(lines)


def strategy_report(tokenizer: TextTokenizer, space: ActionSpace, name: str, *, samples: int = 300,
                    **options: Any) -> StrategyReport:
    """Build ``name`` for ``tokenizer`` and check it on ``samples`` targets; a refusal is reported, not raised."""
    try:
        strategy = token_strategy(name, space, tokenizer, **options)
        targets = sample_targets(space, samples)
        if isinstance(strategy, IntegerText):
            check_lossless(tokenizer, targets)
        seqs = bin_sequences(tokenizer, space, strategy)
        trie = ActionTrie(seqs, eos_id=tokenizer.eos_id)
    except (TokenizerError, ConfigError) as exc:
        return StrategyReport(name, refused=str(exc))
    exact = True
    for t in targets:
        bins = [int(v) for v in t.split(" ")]
        ids = [i for p, b in enumerate(bins) for i in seqs[p][b]]
        if isinstance(strategy, IntegerText):
            exact &= ids == tokenizer.target_ids(t) and tokenizer.decode(ids) in (t, JOIN_SEPARATOR + t)
        exact &= trie.parse(ids) == tuple(bins)
    lengths = [[len(s) for s in pos] for pos in seqs]
    per_action = (sum(min(x) for x in lengths), sum(max(x) for x in lengths))
    return StrategyReport(name, sequences=seqs, tokens_per_action=per_action, exact=bool(exact),
                          checked=len(targets), params=strategy.to_json())
