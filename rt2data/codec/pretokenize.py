"""Pre-tokenized examples: ``input_ids`` and ``labels`` in a real tokenizer, exactly as a trainer tokenizes them.

**Join rule**: the trainer's text is ``prompt + " " + target`` (one space), tokenized once, with the tokenizer's BOS
first and EOS last::

    input_ids = [BOS] + encode(prompt + " " + target) + [EOS]
    labels    = [-100] * (1 + len(encode(prompt))) + input_ids[1 + len(encode(prompt)):]

so the loss covers the target's ids and EOS, never the prompt. Counting the target's own ids
(``len(encode(target))``) instead gets the mask wrong by a token for tekken-style tokenizers (the space becomes its
own id); slicing at ``len(encode(prompt))`` is right for every family (``TextTokenizer.split_joined`` checks the
prompt's ids are a prefix of the joined ids). A tokenizer without BOS or EOS simply has none there.

``decode(label ids without EOS)`` gives the target back (with the joining space for byte-level families);
``label_problem`` is what ``rt2data validate`` checks.
"""

from __future__ import annotations

from typing import Any

from rt2data.codec.tokenizers import JOIN_SEPARATOR, TextTokenizer
from rt2data.errors import TokenizerError
from rt2data.example import Example

__all__ = ["IGNORE_INDEX", "joined_ids", "tokenize_example", "label_problem", "tokenizer_record"]

IGNORE_INDEX = -100


def joined_ids(tokenizer: TextTokenizer, prompt: str, target: str) -> tuple[list[int], list[int]]:
    """(input_ids, labels) of one prompt/target pair by the join rule (module docstring).

    Raises:
        TokenizerError: the prompt's ids are not a prefix of the joined ids, or decoding the target's ids does not
            give the target back (a lossy tokenizer), naming both texts.
    """
    head, tail = tokenizer.split_joined(prompt, target)
    decoded = tokenizer.decode(tail)
    if decoded not in (target, JOIN_SEPARATOR + target):
        raise TokenizerError(
            f"{tokenizer.path.name} ({tokenizer.kind}) does not give the target back: decode(encode({target[:60]!r})) "
            f"is {decoded[:60]!r}; pre-tokenized labels need a lossless tokenizer"
        )
    bos = [] if tokenizer.bos_id is None else [tokenizer.bos_id]
    eos = [] if tokenizer.eos_id is None else [tokenizer.eos_id]
    input_ids = bos + head + tail + eos
    labels = [IGNORE_INDEX] * (len(bos) + len(head)) + tail + eos
    return input_ids, labels


def tokenize_example(example: Example, tokenizer: TextTokenizer) -> Example:
    """The example with ``input_ids`` and ``labels`` (raises TokenizerError naming the example's key)."""
    try:
        input_ids, labels = joined_ids(tokenizer, example.prompt, example.target)
    except TokenizerError as exc:
        raise TokenizerError(f"example {example.key}: {exc}") from None
    return example.replace(input_ids=tuple(input_ids), labels=tuple(labels))


def label_problem(example: Example, tokenizer: TextTokenizer) -> str | None:
    """Why the example's ``input_ids``/``labels`` are not the join rule's in ``tokenizer`` (None when they are)."""
    if example.input_ids is None:
        return None
    target_ids = [i for i in example.labels or () if i != IGNORE_INDEX]
    if tokenizer.eos_id is not None and target_ids[-1:] == [tokenizer.eos_id]:
        target_ids = target_ids[:-1]
    decoded = tokenizer.decode(target_ids)
    if decoded not in (example.target, JOIN_SEPARATOR + example.target):
        return f"decoding the label ids gives {decoded[:60]!r}, not the target {example.target[:60]!r}"
    try:
        expected = joined_ids(tokenizer, example.prompt, example.target)
    except TokenizerError as exc:
        return str(exc)
    if (list(example.input_ids), list(example.labels or ())) != expected:
        return "input_ids/labels differ from tokenizing prompt + ' ' + target with the recorded tokenizer"
    return None


def tokenizer_record(tokenizer: TextTokenizer) -> dict[str, Any]:
    """What a manifest records of the tokenizer: kind, file, sha256, V, the path and the join rule."""
    return {**tokenizer.to_json(), "path": str(tokenizer.path.resolve()),
            "join": "[BOS] + encode(prompt + ' ' + target) + [EOS]; labels -100 on BOS and encode(prompt)"}
