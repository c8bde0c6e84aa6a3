"""The JSON Schema of mixture files, generated from the option dataclasses so the two never drift.

``schemas/mixture.schema.json`` is ``build_schema()`` written with ``json.dumps(..., indent=2)``; a test keeps
them equal. The schema is a second, machine-readable description of what ``rt2data.mix.config`` checks (that module's
own checks run first and give the friendlier messages).
"""

from __future__ import annotations

import re

import dataclasses
from typing import Any

from rt2data.images import IMAGE_FORMAT_POLICIES
from rt2data.mix.plan import POLICIES
from rt2data.shards.formats import FORMATS
from rt2data.web.sources import FORMATS as WEB_FORMATS
from rt2data.web.templates import DEFAULT_TEMPLATES

__all__ = ["build_schema", "NAME_RE", "OUTPUT_FORMATS"]

OUTPUT_FORMATS = FORMATS
"""Output formats a mixture may ask for: every registered shard format."""
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
"""Source names: used in example keys and shard prefixes."""


def _field_schema(f: dataclasses.Field) -> dict[str, Any]:
    t = str(f.type).replace(" ", "")
    nullable = t.endswith("|None")
    t = t.removesuffix("|None")
    if "path" in f.metadata and f.metadata["path"] == "patterns":
        s: dict[str, Any] = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}
    elif t == "tuple[str,...]":
        s = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}
    elif t == "bool":
        s = {"type": "boolean"}
    elif t == "int":
        s = {"type": "integer", "minimum": 1}
    else:
        s = {"type": "string"}
    if nullable:
        s = {"anyOf": [s, {"type": "null"}]}
    return s


def build_schema() -> dict[str, Any]:
    """The JSON Schema of mixture files (see module docstring)."""
    template = {"type": "object", "additionalProperties": False,
                "properties": {"id": {"type": "string"}, "prompt": {"type": "string"}}}
    variants = []
    for (kind, fmt), spec in sorted(WEB_FORMATS.items()):
        props: dict[str, Any] = {
            "name": {"type": "string", "pattern": NAME_RE.pattern},
            "kind": {"const": kind},
            "format": {"const": fmt},
            "weight": {"type": "number", "minimum": 0},
            "when_exhausted": {"enum": list(POLICIES)},
        }
        if kind != "examples":
            props["template"] = template
        required = ["name", "kind", "weight"] + ([] if kind == "examples" else ["format"])
        for f in dataclasses.fields(spec.options_cls):
            props[f.name] = _field_schema(f)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
        variants.append({"type": "object", "additionalProperties": False, "required": required, "properties": props})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rt2data.dev/schemas/mixture.schema.json",
        "title": "rt2data mixture file",
        "description": "A co-fine-tuning mixture of robot examples (rt2data convert outputs) and web caption/VQA "
                       "data. Generated from rt2data.mix.config.mixture_schema(); a test keeps them equal.",
        "type": "object",
        "additionalProperties": False,
        "required": ["sources"],
        "properties": {
            "seed": {"type": "integer", "minimum": 0},
            "when_exhausted": {"enum": list(POLICIES)},
            "output": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "examples": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
                    "one_pass": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "shard_examples": {"type": "integer", "minimum": 1},
                    "formats": {"oneOf": [{"enum": list(OUTPUT_FORMATS)},
                                          {"type": "array", "items": {"enum": list(OUTPUT_FORMATS)}, "minItems": 1,
                                           "uniqueItems": True}]},
                    "block_size": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 1_000_000},
                                             {"type": "null"}]},
                    "prefix": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
                    "rank_bucket_examples": {"type": "integer", "minimum": 1},
                    "image_format": {"enum": list(IMAGE_FORMAT_POLICIES)},
                },
                "not": {"required": ["examples", "one_pass"],
                        "properties": {"examples": {"type": "integer"}, "one_pass": {"type": "string"}}},
            },
            "templates": {"type": "object", "additionalProperties": False,
                          "properties": {k: template for k in DEFAULT_TEMPLATES}},
            "sources": {"type": "array", "minItems": 1, "items": {"oneOf": variants}},
        },
    }
