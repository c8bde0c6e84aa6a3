"""JSON Schemas and dataset specs shipped with rt2data (package data).

``load_schema("example")`` reads ``example.schema.json`` from this folder; dataset specs live in ``specs/``.
``compiled_check("manifest")`` is that schema compiled to Python by ``fastjsonschema``: a document it passes
certainly matches the schema, so ``jsonschema`` (about 90 ms to import) runs only for a document it refuses, to
word the error. The schemas a command checks on its way (:data:`PRECOMPILED`) ship compiled, in ``_compiled/``
(``python -m rt2data.schemas._compiled`` writes them again), so no process compiles them at start; each module
records the digest of what it was compiled from and is used only while that still matches.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

__all__ = ["SCHEMA_DIR", "SPEC_DIR", "PRECOMPILED", "load_schema", "compiled_check", "compiled_source"]

SCHEMA_DIR = Path(__file__).resolve().parent
SPEC_DIR = SCHEMA_DIR / "specs"
PRECOMPILED = ("dataset_spec", "example", "manifest", "mixture", "stats")
"""The schemas shipped compiled (``_compiled/NAME.py``): every ``convert``, ``stats``, ``mix`` and ``validate``
checks some of them (spec, statistics file, mixture, manifest, records)."""


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


def _definition(name: str) -> dict[str, Any]:
    return _draft7(load_schema(name))


def schema_digest(name: str) -> str:
    """SHA-256 of what schema ``name`` is compiled from (its draft-7 spelling, canonical JSON, and the options)."""
    import hashlib

    text = json.dumps([_definition(name), _OPTIONS], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_OPTIONS = {"use_default": False, "use_formats": False}
"""fastjsonschema's options: no defaults filled into the document, no ``format`` asserted (``jsonschema`` asserts
none either)."""


def compiled_source(name: str) -> str:
    """The Python module ``_compiled/NAME.py``: schema ``name`` compiled by ``fastjsonschema``, with its
    :func:`schema_digest` and ``validate`` (raises on a document that does not match)."""
    import fastjsonschema
    from fastjsonschema.ref_resolver import RefResolver

    definition = _definition(name)
    code = fastjsonschema.compile_to_code(definition, **_OPTIONS)
    entry = RefResolver.from_schema(definition, store={}).get_scope_name()
    return (
        f'"""Schema {name!r} compiled by fastjsonschema: written by ``python -m rt2data.schemas._compiled``, not by '
        f'hand."""\n# fmt: off\n# flake8: noqa\n# ruff: noqa\n\nSCHEMA = {name!r}\nSCHEMA_DIGEST = '
        f'{schema_digest(name)!r}\n\n{code}\n\nvalidate = {entry}\n'
    )


def _precompiled(name: str) -> Callable[[Any], Any] | None:
    """``validate`` of ``_compiled/NAME.py`` when it was compiled from the schema as it is now, else None."""
    if name not in PRECOMPILED:
        return None
    import importlib

    try:
        module = importlib.import_module(f"{__name__}._compiled.{name}")
    except Exception:  # noqa: BLE001 - an older fastjsonschema lacks a name the code imports, a file is broken
        return None
    return module.validate if getattr(module, "SCHEMA_DIGEST", None) == schema_digest(name) else None


@lru_cache(maxsize=None)
def compiled_check(name: str) -> Callable[[Any], bool]:
    """``check(doc)``: True when ``doc`` certainly matches schema ``name``; False when it may not, and
    ``jsonschema`` (the validator whose errors users see) must decide.

    The schema is the shipped compiled module (:data:`PRECOMPILED`) while it matches the schema, else compiled by
    ``fastjsonschema`` once per process (tens of milliseconds), without filling defaults into ``doc`` or asserting
    ``format``s. It is held to never pass what ``jsonschema`` refuses (``tests/test_schemas_compiled.py``); a
    schema it cannot compile gives a check that passes nothing, so ``jsonschema`` decides every document.
    """
    validate = _precompiled(name)
    if validate is None:
        import fastjsonschema  # light: a pure-Python package, imported on first use

        try:
            validate = fastjsonschema.compile(_definition(name), **_OPTIONS)
        except fastjsonschema.JsonSchemaDefinitionException:
            return lambda doc: False

    def check(doc: Any) -> bool:
        try:
            validate(doc)
        except Exception:  # JsonSchemaValueException, or anything an odd document raises in the generated code
            return False
        return True

    return check
