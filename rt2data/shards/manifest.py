"""``manifest.json``: what an output holds and how it was made (versioned, JSON Schema ``manifest``).

Written beside the shards with sorted keys, two-space indent and a trailing newline. It holds no timestamps or
host names: the same inputs and config give a byte-identical manifest (file mtimes tell when it was written).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from rt2data.errors import DataError, OutputError, SchemaError
from rt2data import io
from rt2data.shards.files import MANIFEST_NAME, atomic_write_bytes
from rt2data.shards.formats import FORMATS
from rt2data.shards.info import ShardInfo
from rt2data.schemas import compiled_check, load_schema
import rt2data

__all__ = [
    "MANIFEST_FORMAT_VERSION",
    "MANIFEST_KINDS",
    "Accounting",
    "Manifest",
    "validate_accounting",
    "config_fingerprint",
    "manifest_to_bytes",
    "write_manifest",
    "load_manifest",
]

MANIFEST_FORMAT_VERSION = 1
MANIFEST_KINDS = ("convert", "mix")


def _canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def config_fingerprint(config: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a config: equal configs, equal fingerprints."""
    try:
        return hashlib.sha256(_canonical_json(dict(config))).hexdigest()
    except (TypeError, ValueError) as exc:
        raise OutputError(f"config is not plain JSON data and cannot be fingerprinted: {exc}") from exc


@dataclass(frozen=True)
class Accounting:
    """Where every input went: ``input == written + sum(dropped.values())`` (checked by :func:`validate_accounting`).

    Attributes:
        input: input units (steps for ``convert``; drawn examples for ``mix``).
        written: examples written (once, whatever the number of formats).
        dropped: dead-lettered inputs by reason.
    """

    input: int
    written: int
    dropped: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dropped", dict(sorted(self.dropped.items())))

    def to_json_dict(self) -> dict[str, Any]:
        return {"input": self.input, "written": self.written, "dropped": dict(self.dropped)}

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> "Accounting":
        return cls(input=d["input"], written=d["written"], dropped=d.get("dropped", {}))


def validate_accounting(accounting: Accounting | Mapping[str, Any]) -> None:
    """Raise ``DataError`` unless ``input == written + sum(dropped)`` exactly and all counts are >= 0."""
    acc = accounting if isinstance(accounting, Accounting) else Accounting.from_json_dict(accounting)
    negative = {k: v for k, v in {"input": acc.input, "written": acc.written, **acc.dropped}.items() if v < 0}
    if negative:
        raise DataError(f"accounting has negative counts {negative}")
    dropped = sum(acc.dropped.values())
    if acc.input != acc.written + dropped:
        raise DataError(
            f"accounting does not balance: input {acc.input} != written {acc.written} + dropped {dropped} "
            f"{dict(acc.dropped)} (difference {acc.input - acc.written - dropped}); some inputs were lost or counted twice"
        )


@dataclass(frozen=True)
class Manifest:
    """The manifest of one output directory.

    Attributes:
        kind: ``convert`` | ``mix``.
        config: the full configuration (plain JSON data).
        shards: ``{format: [ShardInfo, ...]}`` in read order, formats from :data:`FORMATS`.
        accounting: see :class:`Accounting`.
        codec: action space + normalization JSON (None for pure web mixes).
        statistics: dataset statistics JSON (or None).
        templates: prompt template id -> template text.
        sources: free-form per-source audit (mixtures: requested vs realized, repeats, dead letters).
        files: ``{file name: {"sha256": hex, "bytes": n}}`` of the output's other files (``convert``:
            ``dataset_statistics.json``, ``dead_letters.jsonl``); ``validate`` checks them.
        config_fingerprint: :func:`config_fingerprint` of the config that decides the output bytes; defaults to
            the fingerprint of ``config``; resume compares it.
        created_by: ``rt2data <version>``.
        format_version: manifest format version (1).
    """

    kind: str
    config: Mapping[str, Any]
    shards: Mapping[str, Sequence[ShardInfo]]
    accounting: Accounting
    codec: Mapping[str, Any] | None = None
    statistics: Mapping[str, Any] | None = None
    templates: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    config_fingerprint: str = ""
    created_by: str = ""
    format_version: int = MANIFEST_FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.kind not in MANIFEST_KINDS:
            raise SchemaError(f"manifest kind {self.kind!r} is not one of {list(MANIFEST_KINDS)}")
        unknown = sorted(set(self.shards) - set(FORMATS))
        if unknown:
            raise SchemaError(f"manifest shards: unknown formats {unknown}; expected some of {list(FORMATS)}")
        for fmt, infos in self.shards.items():
            bad = [i.name for i in infos if i.format != fmt]
            if bad:
                raise SchemaError(f"manifest shards[{fmt!r}]: shards of another format listed: {bad[:3]}")
        object.__setattr__(self, "shards", {f: tuple(self.shards[f]) for f in FORMATS if f in self.shards})
        if not self.config_fingerprint:
            object.__setattr__(self, "config_fingerprint", config_fingerprint(self.config))
        if not self.created_by:

            object.__setattr__(self, "created_by", f"rt2data {rt2data.__version__}")

    @property
    def formats(self) -> tuple[str, ...]:
        """The formats present, in canonical order."""
        return tuple(self.shards)

    def all_shards(self) -> list[ShardInfo]:
        """Every shard of every format, formats in canonical order."""
        return [info for infos in self.shards.values() for info in infos]

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "kind": self.kind,
            "created_by": self.created_by,
            "config": self.config,
            "config_fingerprint": self.config_fingerprint,
            "formats": list(self.formats),
            "shards": {fmt: [i.to_json_dict() for i in infos] for fmt, infos in self.shards.items()},
            "codec": self.codec,
            "statistics": self.statistics,
            "templates": dict(self.templates),
            "accounting": self.accounting.to_json_dict(),
            "sources": self.sources,
            "files": {name: dict(record) for name, record in sorted(self.files.items())},
        }

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> "Manifest":
        """Build from a dict that passed the schema (see :func:`load_manifest`)."""
        if sorted(d["formats"]) != sorted(d["shards"]):
            raise SchemaError(f"manifest: formats {d['formats']} do not match the shard lists {list(d['shards'])}")
        return cls(
            kind=d["kind"],
            config=d["config"],
            shards={fmt: [ShardInfo.from_json_dict(i) for i in infos] for fmt, infos in d["shards"].items()},
            accounting=Accounting.from_json_dict(d["accounting"]),
            codec=d.get("codec"),
            statistics=d.get("statistics"),
            templates=d.get("templates", {}),
            sources=d.get("sources", {}),
            files=d.get("files", {}),
            config_fingerprint=d["config_fingerprint"],
            created_by=d["created_by"],
            format_version=d["format_version"],
        )


def manifest_to_bytes(manifest: Manifest) -> bytes:
    """The exact bytes of ``manifest.json``: sorted keys, indent 2, UTF-8, trailing newline, no NaN."""
    try:
        text = json.dumps(manifest.to_json_dict(), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise OutputError(f"manifest is not plain JSON data (NaN/inf or objects in config/statistics?): {exc}") from exc
    return (text + "\n").encode("utf-8")


def write_manifest(out_dir: str | os.PathLike[str], manifest: Manifest) -> Path:
    """Validate ``manifest`` against the schema and write ``out_dir/manifest.json`` atomically; returns the path."""
    data = manifest_to_bytes(manifest)
    _check_schema(json.loads(data), "manifest to write")
    path = io.location(io.join(out_dir, MANIFEST_NAME))
    atomic_write_bytes(path, data)
    return path


def _check_schema(doc: Any, where: str) -> None:
    if compiled_check("manifest")(doc):  # certainly valid: jsonschema (90 ms to import) only words errors
        return
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema("manifest"))
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        first = errors[0]
        field_path = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise SchemaError(f"{where}: field {field_path}: {first.message}{more}")


def load_manifest(out_dir_or_path: str | os.PathLike[str]) -> Manifest:
    """Read and validate ``manifest.json`` (pass the output directory or the file itself).

    Raises:
        OutputError: there is no manifest there.
        DataError: it is not valid JSON.
        SchemaError: it does not match ``schemas/manifest.schema.json``; names the field.
    """
    path = io.location(out_dir_or_path)
    if io.basename(path) != MANIFEST_NAME and (io.is_url(path) or path.is_dir()):
        path = io.location(io.join(path, MANIFEST_NAME))
    if not io.is_file(path):
        raise OutputError(f"no manifest at {path}: is this an rt2data output directory (convert/mix OUT_DIR)?")
    try:
        doc = json.loads(io.read_text(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from exc
    _check_schema(doc, str(path))
    if doc["format_version"] != MANIFEST_FORMAT_VERSION:
        raise SchemaError(f"{path}: format_version {doc['format_version']} is not supported (this rt2data reads 1)")
    try:
        return Manifest.from_json_dict(doc)
    except SchemaError as exc:
        raise SchemaError(f"{path}: {exc}") from exc
