"""A fast, conservative check of an example's JSON fields, for readers and ``validate`` (issue 14).

:func:`certainly_valid` answers "does this record certainly pass ``validate_example_dict`` and make an
:class:`~rt2data.example.Example`?" in a few microseconds, where the compiled JSON Schema validator and the
dataclass's ``__post_init__`` take tens. It is stricter than both (exact Python types from ``json.loads``, no
``bool`` for an integer, keys matched whole), so True is a guarantee and False only means "ask the full check":
callers run the schema validator and build the ``Example`` for such a record, which gives the one-line error users
see. Records written by rt2data are all True, so the full check runs only where something is wrong.

A test (``tests/shards/test_fast_check.py``) holds this against ``jsonschema`` and ``Example`` on generated records
and pins the schema's text, so a schema change cannot leave the fast check more lenient unnoticed.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from rt2data import fields as F
from rt2data.example import IMAGE_FORMATS, KINDS

__all__ = ["certainly_valid", "json_record"]

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,199}", re.ASCII)  # the schema's pattern, matched whole (no "\n")
_IMAGE_FORMATS = frozenset(IMAGE_FORMATS)
_KINDS = frozenset(KINDS)
_NONE = type(None)


def _text(v: Any) -> bool:
    return type(v) is str and v != ""


def _text_or_none(v: Any) -> bool:
    return v is None or type(v) is str


def _ints(v: Any, low: int) -> bool:
    return type(v) is list and all(type(x) is int for x in v) and (not v or min(v) >= low)


def _numbers(v: Any) -> bool:
    return type(v) is list and all(type(x) is float or type(x) is int for x in v)


_CHECKS: dict[str, Callable[[Any], bool]] = {
    F.KEY: lambda v: type(v) is str and _KEY.fullmatch(v) is not None,
    F.IMAGE_FORMAT: lambda v: type(v) is str and v in _IMAGE_FORMATS,
    F.PROMPT: _text,
    F.TARGET: _text,
    F.KIND: lambda v: type(v) is str and v in _KINDS,
    F.SOURCE: _text,
    F.TEMPLATE_ID: _text,
    F.INSTRUCTION: _text_or_none,
    F.EPISODE_ID: _text_or_none,
    F.STEP: lambda v: v is None or (type(v) is int and v >= 0),
    F.ACTION_RAW: lambda v: v is None or _numbers(v),
    F.ACTION_TOKENS: lambda v: v is None or _ints(v, 0),
    F.PLAN: _text_or_none,
    F.CHUNK_STEPS: lambda v: type(v) is int and v >= 2,
    F.CHUNK_REAL: lambda v: type(v) is int and v >= 1,
    F.INPUT_IDS: lambda v: _ints(v, 0),
    F.LABELS: lambda v: _ints(v, -100),
}
_REQUIRED = frozenset(F.REQUIRED_TEXT)
_KNOWN = frozenset(_CHECKS)
# The checks of each key set seen, in key order (a shard's records share one or two key sets); None: refused.
_PLANS: dict[tuple[str, ...], tuple[tuple[str, Callable[[Any], bool]], ...] | None] = {}


def _plan(names: tuple[str, ...]) -> tuple[tuple[str, Callable[[Any], bool]], ...] | None:
    have = frozenset(names)
    if len(have) != len(names) or not _REQUIRED <= have or not have <= _KNOWN:
        return None
    if (F.CHUNK_STEPS in have) != (F.CHUNK_REAL in have) or (F.INPUT_IDS in have) != (F.LABELS in have):
        return None
    return tuple((name, _CHECKS[name]) for name in names)


def certainly_valid(fields: Mapping[str, Any]) -> bool:
    """True only when ``fields`` (a ``KEY.json`` member as ``json.loads`` gives it) certainly passes the example
    schema and makes an ``Example``; False when the full checks must decide (see the module docstring)."""
    if type(fields) is not dict:
        return False
    names = tuple(fields)
    try:
        plan = _PLANS[names]
    except KeyError:
        plan = _plan(names)
        if len(_PLANS) < 1024:  # bounded: key sets are few in real outputs
            _PLANS[names] = plan
    if plan is None:
        return False
    for name, check in plan:
        if not check(fields[name]):
            return False
    raw, tokens = fields.get(F.ACTION_RAW), fields.get(F.ACTION_TOKENS)
    if fields[F.KIND] == "action":
        # the schema's if/then and Example's action invariants
        if fields.get(F.EPISODE_ID) is None or fields.get(F.STEP) is None or raw is None or tokens is None:
            return False
    if raw is not None and tokens is not None and len(raw) != len(tokens):
        return False
    if F.CHUNK_STEPS in fields and fields[F.CHUNK_REAL] > fields[F.CHUNK_STEPS]:
        return False
    if F.INPUT_IDS in fields and len(fields[F.INPUT_IDS]) != len(fields[F.LABELS]):
        return False
    return True


_ORDER = tuple(name for name in F.ALL if name != F.IMAGE)


def json_record(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``Example.to_json_dict()`` of the example a :func:`certainly_valid` record makes, without making it."""
    out = {}
    for name in _ORDER:
        value = fields.get(name)
        if value is None and name in F.OMITTED_WHEN_NONE:
            continue
        out[name] = list(value) if type(value) is list else value
    raw = out.get(F.ACTION_RAW)
    if raw is not None:
        out[F.ACTION_RAW] = [float(v) for v in raw]
    return out
