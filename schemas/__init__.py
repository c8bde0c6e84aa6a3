"""JSON Schemas and dataset specs shipped with rt2data (package data).

``load_schema("example")`` reads ``example.schema.json`` from this folder; dataset specs live in ``specs/``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_DIR", "SPEC_DIR", "load_schema"]

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
