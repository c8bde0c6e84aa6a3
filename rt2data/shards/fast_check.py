"""A fast, conservative check of an example's JSON fields, for readers and ``validate`` (issue 14).

:func:`certainly_valid` answers "does this record certainly pass ``validate_example_dict`` and make an
:class:`~rt2data.example.Example`?" in a few microseconds, where the compiled JSON Schema validator and the
dataclass's ``__post_init__`` take tens. It is stricter than both (exact Python types from ``json.loads``, no
``bool`` for an integer, keys matched whole), so True is a guarantee and False only means "ask the full check":
callers run the schema validator and build the ``Example`` for such a record, which gives the one-line error users
see. Records written by rt2data are all True, so the full check runs only where something is wrong.
:func:`typed_record` gives a reader the same verdict and :func:`json_record`'s dict straight from the member's
bytes, in one ``msgspec`` decode into a typed struct.

A test (``tests/shards/test_fast_check.py``) holds this against ``jsonschema`` and ``Example`` on generated records
and pins the schema's text, so a schema change cannot leave the fast check more lenient unnoticed.
"""

from __future__ import annotations

import operator
import re
from typing import Annotated, Any, Callable, Literal, Mapping, Optional, Union

import msgspec
from msgspec import UNSET, UnsetType

from rt2data import fields as F
from rt2data.example import IMAGE_FORMATS, KINDS

__all__ = ["certainly_valid", "json_record", "typed_record"]


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


def _compile(names: tuple[str, ...]) -> Callable[[dict], bool] | None:
    """The check of records with exactly these keys, as one function (no per-field calls)."""
    have = frozenset(names)
    if len(have) != len(names) or not _REQUIRED <= have or not have <= _KNOWN:
        return None
    if (F.CHUNK_STEPS in have) != (F.CHUNK_REAL in have) or (F.INPUT_IDS in have) != (F.LABELS in have):
        return None
    local = {name: f"v{i}" for i, name in enumerate(names)}  # every value fetched once, by one itemgetter call
    lines = ["def check(d):", f"    {', '.join(local[n] for n in names)}, = _get(d)"]
    for name in names:
        lines += [f"    if not ({_VALUE.sub(local[name], _CHECKS[name])}):", "        return False"]
    got = {n: local.get(n, "None") for n in (F.ACTION_RAW, F.ACTION_TOKENS, F.EPISODE_ID, F.STEP)}
    # the schema's if/then and Example's action invariants; Example's equal lengths, asked of every kind
    lines += [f"    raw, tokens = {got[F.ACTION_RAW]}, {got[F.ACTION_TOKENS]}",
              f"    if {local[F.KIND]} == 'action' and ({got[F.EPISODE_ID]} is None or {got[F.STEP]} is None",
              "                                  or raw is None or tokens is None):",
              "        return False",
              "    if not (raw is None or tokens is None or len(raw) == len(tokens)):",
              "        return False",
              "    return True"]
    scope: dict[str, Any] = dict(_GLOBALS, _get=operator.itemgetter(*names))
    exec("\n".join(lines), scope)  # noqa: S102  (code built from the constant expressions above)
    return scope["check"]


def certainly_valid(fields: Mapping[str, Any]) -> bool:
    """True only when ``fields`` (a ``KEY.json`` member as ``json.loads`` gives it) certainly passes the example
    schema and makes an ``Example``; False when the full checks must decide (see the module docstring)."""
    if type(fields) is not dict:
        return False
    plan = _plan(tuple(fields))
    return plan is not None and plan(fields)


def _plan(names: tuple[str, ...]) -> Any:
    try:
        return _PLANS[names]
    except KeyError:
        plan = _compile(names)
        if len(_PLANS) < 1024:  # bounded: real outputs have a few key sets
            _PLANS[names] = plan
        return plan


def typed_record(data: bytes) -> dict[str, Any] | None:
    """``json_record(json.loads(data))`` of a ``KEY.json`` member that :func:`certainly_valid` vouches for, decoded
    and checked in one ``msgspec`` pass into a typed struct (half the time of a dict decode and the checks in
    Python); None wherever that cannot vouch (the caller then runs the full checks, which word the error).

    The struct's types and constraints are :data:`_CHECKS`' (ints are never bools, floats take JSON integers as
    ``float()`` does); the checks between fields follow it in Python. A test holds it to :func:`certainly_valid`
    and :func:`json_record` on generated members (``tests/shards/test_fast_check.py``).
    """
    try:
        r = _TYPED(data)
    except (msgspec.DecodeError, UnicodeDecodeError):  # msgspec.ValidationError is a DecodeError
        return None
    raw, tokens = r.action_raw, r.action_tokens
    if r.kind == "action" and (r.episode_id is None or r.step is None or raw is None or tokens is None):
        return None
    if raw is not None and tokens is not None and len(raw) != len(tokens):
        return None
    steps, real, ids, labels = r.chunk_steps, r.chunk_real, r.input_ids, r.labels
    if (steps is UNSET) != (real is UNSET) or (ids is UNSET) != (labels is UNSET):
        return None
    if real is not UNSET and real > steps:
        return None
    if ids is not UNSET and len(ids) != len(labels):
        return None
    return msgspec.to_builtins(r)  # in _ORDER; the UNSET fields left out, as json_record leaves out their None


_Key = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,199}\Z")]  # whole: no "\n" ($ takes one)
_Text = Annotated[str, msgspec.Meta(min_length=1)]
_Count = Annotated[int, msgspec.Meta(ge=0)]


class _Typed(msgspec.Struct, forbid_unknown_fields=True):
    """A ``KEY.json`` member as :data:`_CHECKS` accepts it, its fields in :data:`_ORDER` (held by a test)."""

    key: _Key
    image_format: Literal[IMAGE_FORMATS]  # type: ignore[valid-type]
    prompt: _Text
    target: _Text
    kind: Literal[KINDS]  # type: ignore[valid-type]
    source: _Text
    template_id: _Text
    instruction: Optional[str] = None
    episode_id: Optional[str] = None
    step: Optional[_Count] = None
    action_raw: Optional[list[float]] = None
    action_tokens: Optional[list[_Count]] = None
    plan: Optional[str] = None
    chunk_steps: Union[Annotated[int, msgspec.Meta(ge=2)], UnsetType] = UNSET
    chunk_real: Union[Annotated[int, msgspec.Meta(ge=1)], UnsetType] = UNSET
    input_ids: Union[list[_Count], UnsetType] = UNSET
    labels: Union[list[Annotated[int, msgspec.Meta(ge=-100)]], UnsetType] = UNSET


_TYPED = msgspec.json.Decoder(_Typed).decode


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
