"""``validate``'s per-example checks for many examples at once (issue 14: ``validate`` at 20,000 examples/s).

:func:`batch_checker` returns the ``check_batch`` that ``verify_output`` hands a batch of examples' JSON fields
(each one ``rt2data.shards.fast_check.certainly_valid``). It answers True for an example only when
``validate.example_checker`` would certainly find no problem with it, checking the same things:

- the prompt is its template rendered (action: exactly, from a cache per template and instruction; caption / VQA:
  the template's regex, compiled once);
- a caption / VQA example carries no action fields;
- an action target is ``[Plan: <plan field>. Action: ]`` followed by the canonical action text of
  ``action_tokens`` (``str(int)`` joined by single spaces, which ``parse_chunk`` reads back as exactly those tokens),
  H x D of them, each token inside its dimension's range (one array comparison per batch);
- ``action_raw`` has H x D finite values and encodes, with the source's codec, to ``action_tokens``: all the raw
  actions of a batch with one codec and chunk size are encoded in one ``codec.encode`` call and compared at once.

Anything else (no template, a target that is not canonical, an encode error, a pre-tokenized example checked
with a tokenizer) is False: ``verify_output`` then runs ``example_checker`` on that example alone, which words the
problem exactly as before. So False costs time, never a message, and True is only given where the one-example
check passes.
"""

from __future__ import annotations

import re
import string
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from rt2data.codec.action_codec import ActionCodec
from rt2data.errors import Rt2DataError
from rt2data.prompt import DEFAULT_PLACEHOLDER, PromptTemplate, split_target

__all__ = ["batch_checker", "template_regex"]

_ACTION_FIELDS = ("episode_id", "step", "action_raw", "action_tokens")
_PLAN_PREFIX = "Plan: "


def template_regex(text: str) -> re.Pattern[str]:
    """A regex matching every rendering of a ``str.format`` template (each field: any non-empty text)."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(text):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(r"(.+)")
    return re.compile("".join(parts), re.DOTALL)


def batch_checker(
    templates: Mapping[str, str], codec_for: Callable[[str], ActionCodec | None], tokenizer: Any = None
) -> Callable[[Sequence[dict[str, Any]]], list[bool]]:
    """The ``check_batch`` matching ``example_checker(templates, codec_for, tokenizer)`` (module docstring)."""
    rendered: dict[tuple[str, str], str | None] = {}
    regexes: dict[str, Any] = {}
    codecs: dict[str, ActionCodec | None] = {}

    def action_prompt(template_id: str, instruction: str) -> str | None:
        key = (template_id, instruction)
        if key not in rendered:
            try:
                rendered[key] = PromptTemplate(template_id, templates[template_id], "action").render(
                    instruction=instruction)
            except (Rt2DataError, ValueError, KeyError):
                rendered[key] = None
        return rendered[key]

    def web_regex(template_id: str) -> Any:
        if template_id not in regexes:
            try:
                regexes[template_id] = template_regex(templates[template_id])
            except (ValueError, KeyError):
                regexes[template_id] = None
        return regexes[template_id]

    def codec_of(source: str) -> ActionCodec | None:
        if source not in codecs:
            codecs[source] = codec_for(source)
        return codecs[source]

    def check(batch: Sequence[dict[str, Any]]) -> list[bool]:
        ok = [False] * len(batch)
        groups: dict[tuple[int, int], tuple[ActionCodec, list[int]]] = {}
        for i, fields in enumerate(batch):
            template_id = fields["template_id"]
            if template_id not in templates:
                continue
            if tokenizer is not None and fields.get("input_ids") is not None:
                continue  # label checks are made one example at a time
            if fields["kind"] != "action":
                if any(fields.get(n) is not None for n in _ACTION_FIELDS):
                    continue
                regex = web_regex(template_id)
                ok[i] = regex is not None and regex.fullmatch(fields["prompt"]) is not None
                continue
            instruction = fields.get("instruction")
            expected = action_prompt(template_id, instruction if instruction is not None else DEFAULT_PLACEHOLDER)
            if expected is None or fields["prompt"] != expected:
                continue
            codec = codec_of(fields["source"])
            if codec is None:
                ok[i] = True  # example_checker checks only the prompt of a robot source without a codec
                continue
            target = fields["target"]
            if target.startswith(_PLAN_PREFIX):
                try:
                    plan, text = split_target(target)
                except Rt2DataError:
                    continue
            else:
                plan, text = None, target
            if plan != fields.get("plan"):
                continue
            horizon = fields.get("chunk_steps") or 1
            tokens = fields["action_tokens"]
            if len(tokens) != codec.n_dims * horizon or len(fields["action_raw"]) != len(tokens):
                continue
            if text != " ".join(map(str, tokens)):
                continue
            groups.setdefault((id(codec), horizon), (codec, []))[1].append(i)
        for codec, rows in groups.values():
            for i, good in zip(rows, _actions_encode(codec, [batch[i] for i in rows])):
                ok[i] = good
        return ok

    return check


def _actions_encode(codec: ActionCodec, records: list[dict[str, Any]]) -> list[bool]:
    """Per record: its tokens lie in the action space and its finite ``action_raw`` encodes to them."""
    try:
        tokens = np.array([r["action_tokens"] for r in records], dtype=np.int64)
        raw = np.array([r["action_raw"] for r in records], dtype=np.float64)
    except (OverflowError, ValueError, TypeError):
        return [False] * len(records)
    n, d = len(records), codec.n_dims
    steps = tokens.reshape(-1, d)
    good = (steps < np.asarray(codec.action_space.n_tokens, dtype=np.int64)).all(axis=1).reshape(n, -1).all(axis=1)
    good &= np.isfinite(raw).all(axis=1)
    if good.any():
        try:
            encoded = codec.encode(raw[good].reshape(-1, d)).tokens.reshape(int(good.sum()), -1)
        except (Rt2DataError, ValueError):
            return [False] * len(records)
        good[good] = (encoded == tokens[good]).all(axis=1)
    return good.tolist()
