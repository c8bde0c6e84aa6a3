"""Text helpers of web readers: markup cleaning, JSON field lookup, the VQA answer vote.

Answer vote (VQAv2 has ten human answers per question): answers are compared after ``normalize_answer``
(whitespace collapsed, lower-cased); the target is the most frequent one, spelled as its first occurrence
(whitespace collapsed, case kept). Ties are broken by the earliest first occurrence in the given order (for VQAv2,
``answer_id`` order), so the choice never depends on hashing or on the Python version.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

__all__ = [
    "MARKUPS",
    "clean_text",
    "strip_flickr30k_markup",
    "normalize_answer",
    "majority_answer",
    "lookup_field",
    "answers_of",
]

MARKUPS = ("none", "flickr30k")

# [/EN#221796/people A girl] -> "A girl"; the type part may have several segments (/EN#18/other/clothing).
_FLICKR_ENTITY = re.compile(r"\[/EN#\d+(?:/[^\s\]/]+)+\s+([^\]]*)\]")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,!?;:])")


def strip_flickr30k_markup(text: str) -> str:
    """Remove Flickr30k-Entities markup: ``[/EN#id/type phrase]`` becomes ``phrase``.

    Also collapses whitespace and drops the space the corpus puts before punctuation (``water .`` -> ``water.``).
    """
    text = _FLICKR_ENTITY.sub(r"\1", text)
    text = " ".join(text.split())
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def clean_text(text: str, *, markup: str = "none") -> str:
    """Whitespace-collapsed text, with markup removed when ``markup`` names one (``MARKUPS``)."""
    if markup == "flickr30k":
        return strip_flickr30k_markup(text)
    if markup != "none":
        raise ValueError(f"markup {markup!r} is not one of {list(MARKUPS)}")
    return " ".join(text.split())


def normalize_answer(answer: str) -> str:
    """Answer as compared in the vote: whitespace collapsed, lower-cased."""
    return " ".join(answer.split()).lower()


def majority_answer(answers: Sequence[str]) -> str | None:
    """Most frequent answer (compared normalized), spelled as its first occurrence; ties -> earliest first
    occurrence; ``None`` when there is no non-empty answer.

    >>> majority_answer(["net", "Net", "mesh", "pitcher", "pitcher"])
    'net'
    """
    counts: dict[str, int] = {}
    first: dict[str, tuple[int, str]] = {}
    for i, raw in enumerate(answers):
        a = normalize_answer(raw)
        if not a:
            continue
        counts[a] = counts.get(a, 0) + 1
        first.setdefault(a, (i, " ".join(raw.split())))
    if not counts:
        return None
    best = min(counts, key=lambda a: (-counts[a], first[a][0]))
    return first[best][1]


def lookup_field(record: Mapping[str, Any], path: str) -> Any:
    """``record[path]``, where a dotted path descends into nested objects; ``None`` when absent."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def answers_of(value: Any) -> list[str] | None:
    """Answers from a field value: a string, a list of strings, or a list of ``{"answer": ...}`` objects
    (VQAv2 / HF exports). ``None`` when the value has another shape."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        out = []
        for v in value:
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, Mapping) and isinstance(v.get("answer"), str):
                out.append(v["answer"])
            else:
                return None
        return out
    return None
