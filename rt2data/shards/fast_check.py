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

import operator
import re
from typing import Any, Callable, Mapping

from rt2data import fields as F
from rt2data.example import IMAGE_FORMATS, KINDS

__all__ = ["certainly_valid", "json_record", "valid_record", "decode_json"]


_INT = frozenset({int})
_NUMBER = frozenset({int, float})
# One Python expression per field, over the value ``v``: each is stricter than the schema and ``Example``.
_CHECKS: dict[str, str] = {
    F.KEY: "type(v) is str and _KEY(v) is not None",
    F.IMAGE_FORMAT: "type(v) is str and v in _IMAGE_FORMATS",
    F.PROMPT: "type(v) is str and v != ''",
    F.TARGET: "type(v) is str and v != ''",
    F.KIND: "type(v) is str and v in _KINDS",
    F.SOURCE: "type(v) is str and v != ''",
    F.TEMPLATE_ID: "type(v) is str and v != ''",
    F.INSTRUCTION: "v is None or type(v) is str",
    F.EPISODE_ID: "v is None or type(v) is str",
    F.STEP: "v is None or (type(v) is int and v >= 0)",
    F.ACTION_RAW: "v is None or (type(v) is list and set(map(type, v)) <= _NUMBER)",
    F.ACTION_TOKENS: "v is None or (type(v) is list and set(map(type, v)) <= _INT and (not v or min(v) >= 0))",
    F.PLAN: "v is None or type(v) is str",
    F.CHUNK_STEPS: "type(v) is int and v >= 2",
    F.CHUNK_REAL: "type(v) is int and v >= 1 and type(d['chunk_steps']) is int and v <= d['chunk_steps']",
    F.INPUT_IDS: "type(v) is list and set(map(type, v)) <= _INT and (not v or min(v) >= 0)",
    F.LABELS: "type(v) is list and set(map(type, v)) <= _INT and (not v or min(v) >= -100) "
              "and type(d['input_ids']) is list and len(v) == len(d['input_ids'])",
}
_GLOBALS = {"_KEY": re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,199}", re.ASCII).fullmatch,  # whole: no "\n"
            "_IMAGE_FORMATS": frozenset(IMAGE_FORMATS), "_KINDS": frozenset(KINDS), "_INT": _INT,
            "_NUMBER": _NUMBER}
_VALUE = re.compile(r"\bv\b")  # the value in a _CHECKS expression
_REQUIRED = frozenset(F.REQUIRED_TEXT)
_KNOWN = frozenset(_CHECKS)
# A checker compiled for each key set seen (a shard's records share one or two); None: a key set refused.
_PLANS: dict[tuple[str, ...], Any] = {}


def _compile(names: tuple[str, ...]) -> tuple[Callable[[dict], bool], Callable[[dict], dict | None]] | None:
    """The check of records with exactly these keys, as one function (no per-field calls), and ``record``: the
    check followed by :func:`json_record`'s dict, built as one dict display."""
    have = frozenset(names)
    if len(have) != len(names) or not _REQUIRED <= have or not have <= _KNOWN:
        return None
    if (F.CHUNK_STEPS in have) != (F.CHUNK_REAL in have) or (F.INPUT_IDS in have) != (F.LABELS in have):
        return None
    local = {name: f"v{i}" for i, name in enumerate(names)}  # every value fetched once, by one itemgetter call

    def body(fail: str) -> list[str]:
        out = [f"    {', '.join(local[n] for n in names)}, = _get(d)"]
        for name in names:
            expression = _VALUE.sub(local[name], _CHECKS[name])
            out += [f"    if not ({expression}):", f"        return {fail}"]
        got = {n: local.get(n, "None") for n in (F.ACTION_RAW, F.ACTION_TOKENS, F.EPISODE_ID, F.STEP)}
        # the schema's if/then and Example's action invariants; Example's equal lengths, asked of every kind
        out += [f"    raw, tokens = {got[F.ACTION_RAW]}, {got[F.ACTION_TOKENS]}",
                f"    if {local[F.KIND]} == 'action' and ({got[F.EPISODE_ID]} is None or {got[F.STEP]} is None",
                "                                  or raw is None or tokens is None):",
                f"        return {fail}",
                "    if not (raw is None or tokens is None or len(raw) == len(tokens)):",
                f"        return {fail}"]
        return out

    lines = ["def check(d):", *body("False"), "    return True"]
    # record(d): json_record(d) when check(d), else None; d is the caller's to consume (its lists are reused)
    items, late = [], []
    for name in _ORDER:
        value = local.get(name, "None")
        if name == F.ACTION_RAW and name in have:
            value = "(None if raw is None else [float(x) for x in raw])"
        if name in F.OMITTED_WHEN_NONE:
            if name in have:
                late.append(f"    if {value} is not None:\n        out[{name!r}] = {value}")
        else:
            items.append(f"{name!r}: {value}")
    lines += ["def record(d):", *body("None"), f"    out = {{{', '.join(items)}}}", *late, "    return out"]
    scope: dict[str, Any] = dict(_GLOBALS, _get=operator.itemgetter(*names))
    exec("\n".join(lines), scope)  # noqa: S102  (code built from the constant expressions above)
    return scope["check"], scope["record"]


def certainly_valid(fields: Mapping[str, Any]) -> bool:
    """True only when ``fields`` (a ``KEY.json`` member as ``json.loads`` gives it) certainly passes the example
    schema and makes an ``Example``; False when the full checks must decide (see the module docstring)."""
    if type(fields) is not dict:
        return False
    plan = _plan(tuple(fields))
    return plan is not None and plan[0](fields)


def _plan(names: tuple[str, ...]) -> Any:
    try:
        return _PLANS[names]
    except KeyError:
        plan = _compile(names)
        if len(_PLANS) < 1024:  # bounded: real outputs have a few key sets
            _PLANS[names] = plan
        return plan


def valid_record(fields: Any) -> dict[str, Any] | None:
    """``json_record(fields)`` when ``certainly_valid(fields)``, else None; one call instead of two (readers).
    ``fields`` (a fresh ``json.loads`` dict) is consumed: the record shares its lists."""
    if type(fields) is not dict:
        return None
    plan = _plan(tuple(fields))
    return None if plan is None else plan[1](fields)


def decode_json(data: bytes) -> Any:
    """``json.loads(data.decode("utf-8"))`` by ``msgspec`` (several times faster), or None where it refuses
    (``NaN``, lone surrogates, numbers out of range, ...) or is not installed: the caller then uses ``json``.
    Its values equal ``json``'s wherever it accepts (a test holds it to that)."""
    if _MSGSPEC is None:
        return None
    try:
        return _MSGSPEC(data)
    except Exception:  # msgspec.DecodeError and anything else: json decides
        return None


def _msgspec_decoder() -> Callable[[bytes], Any] | None:
    try:
        import msgspec  # light: a C extension of a few hundred kB
    except ImportError:
        return None
    return msgspec.json.Decoder().decode


_MSGSPEC = _msgspec_decoder()


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
