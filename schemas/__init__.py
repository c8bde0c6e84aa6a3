"""JSON Schemas and dataset specs shipped with rt2data (package data).

``load_schema("example")`` reads ``example.schema.json`` from this folder; dataset specs live in ``specs/``.
``compiled_check("manifest")`` is that schema compiled to Python by ``fastjsonschema``: a document it passes
certainly matches the schema, so ``jsonschema`` (about 90 ms to import) runs only for a document it refuses, to
word the error.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

__all__ = ["SCHEMA_DIR", "SPEC_DIR", "load_schema", "compiled_check"]

SCHEMA_DIR = Path(__file__).resolve().parent
SPEC_DIR = SCHEMA_DIR / "specs"


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """Load ``<name>.schema.json`` from the shipped schemas."""
    path = SCHEMA_DIR / f"{name}.schema.json"
    if not path.is_file():
        known = sorted(p.name.removesuffix(".schema.json") for p in SCHEMA_DIR.glob("*.schema.json"))
        raise KeyError(f"no schema named {name!r}; shipped schemas: {known}")
    with path.open(encoding="utf-8") as f:
        return json.load(f)


# Keywords that only annotate: a "$ref" beside them needs no rewrite for fastjsonschema (see _draft7).
_ANNOTATIONS = frozenset({"description", "title", "default", "examples", "$comment"})


def _draft7(node: Any) -> Any:
    """``node`` with what draft 2020-12 means and fastjsonschema (draft 7) would read otherwise spelled out: a
    ``$ref`` with sibling keywords becomes ``allOf: [{$ref}, {siblings}]`` (draft 7 ignores a ``$ref``'s siblings,
    2020-12 applies both). The top level's ``$schema`` (a draft fastjsonschema does not know) is left out."""
    if isinstance(node, list):
        return [_draft7(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _draft7(v) for k, v in node.items() if k != "$schema"}
    if "$ref" in out and set(out) - _ANNOTATIONS - {"$ref"}:
        rest = {k: v for k, v in out.items() if k != "$ref" and k not in _ANNOTATIONS}
        out = {k: v for k, v in out.items() if k in _ANNOTATIONS}
        out["allOf"] = [{"$ref": node["$ref"]}, rest]
    return out


@lru_cache(maxsize=None)
def compiled_check(name: str) -> Callable[[Any], bool]:
    """``check(doc)``: True when ``doc`` certainly matches schema ``name``; False when it may not, and
    ``jsonschema`` (the validator whose errors users see) must decide.

    The schema is compiled by ``fastjsonschema`` once per process (tens of milliseconds) without filling defaults
    into ``doc`` or asserting ``format``s (``jsonschema`` asserts none either). It is held to never pass what
    ``jsonschema`` refuses (``tests/test_schemas_compiled.py``); a schema it cannot compile gives a check that
    passes nothing, so ``jsonschema`` decides every document.
    """
    import fastjsonschema  # light: a pure-Python package, imported on first use

    try:
        validate = fastjsonschema.compile(_draft7(load_schema(name)), use_default=False, use_formats=False)
    except fastjsonschema.JsonSchemaDefinitionException:
        return lambda doc: False

    def check(doc: Any) -> bool:
        try:
            validate(doc)
        except Exception:  # JsonSchemaValueException, or anything an odd document raises in the generated code
            return False
        return True

    return check
