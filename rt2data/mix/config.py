"""The mixture file: one YAML document describing a co-fine-tuning mixture, checked before anything runs.

```yaml
seed: 0
when_exhausted: repeat            # repeat | stop | exhaust_all; a source may override it
output: {examples: 10000, shard_examples: 1000, formats: [wds], block_size: 64, prefix: mix}
templates:                        # optional; defaults caption-v1 "Caption:" and vqa-v1 "Q: {question} A:"
  caption: {id: caption-v1, prompt: "Caption:"}
sources:
  - {name: robot,  kind: examples, path: out/bridge_dataset, weight: 0.5}
  - {name: vqav2,  kind: vqa, format: vqav2, questions: q.json, annotations: a.json, images: img/, weight: 0.25}
  - {name: flickr, kind: caption, format: wds, path: "shards/flickr-{000000..000003}.tar", weight: 0.25}
```

``output``: ``examples`` (a number) or ``one_pass`` (a source name: one pass over it) or neither (the size comes
from the stop/exhaust_all policies, see ``rt2data.mix.plan``); ``block_size`` turns on block mode; ``formats`` is
``[wds]``, ``[tfrecord]`` or both; ``rank_bucket_examples`` bounds the items a worker sorts at once;
``image_format`` (``jpg`` default, ``png`` or ``keep``) is how images are stored (``rt2data.images.transcode``).
A source entry holds ``name``, ``kind``, ``format`` (not for ``examples``), ``weight``, optional
``when_exhausted`` and ``template`` (``{id, prompt}``), plus its format's options (``rt2data.web.sources``).
Relative paths are relative to the mixture file. Every problem is a ``ConfigError`` naming the entry and the fix;
the JSON Schema ``schemas/mixture.schema.json`` describes the same document (``mixture_schema()`` builds it).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
from dataclasses import dataclass
from typing import Any, Mapping

from rt2data.yaml_loader import safe_load_unique
from rt2data.errors import ConfigError, DataError, PromptError, Rt2DataError
from rt2data.images import IMAGE_FORMAT_POLICIES
from rt2data.mix.plan import POLICIES, block_quotas, exact_weight
from rt2data.web.options import path_fields
from rt2data import io
from rt2data.web.paths import check_patterns_exist, resolve_path
from rt2data.web.sources import get_format
from rt2data.web.templates import DEFAULT_TEMPLATES, WebTemplate
from rt2data.mix.schema import NAME_RE as _NAME_RE, OUTPUT_FORMATS, build_schema
from rt2data.schemas import compiled_check, load_schema

__all__ = [
    "OUTPUT_FORMATS",
    "SourceSpec",
    "OutputSpec",
    "Mixture",
    "load_mixture",
    "mixture_from_dict",
    "mixture_schema",
]

_TOP_KEYS = ("seed", "when_exhausted", "output", "templates", "sources")
_OUTPUT_KEYS = ("examples", "one_pass", "shard_examples", "formats", "block_size", "prefix", "rank_bucket_examples",
                "image_format")
_SOURCE_KEYS = ("name", "kind", "format", "weight", "when_exhausted", "template")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _unknown_keys(found: Mapping[str, Any], allowed: tuple[str, ...] | list[str], where: str) -> None:
    for key in found:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), list(allowed), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(f"{where}: unknown key {key!r}; {hint}allowed keys: {sorted(allowed)}")


@dataclass(frozen=True)
class SourceSpec:
    """One source of the mixture.

    Attributes:
        name: unique name, ``[A-Za-z0-9_-]`` (recorded as ``Example.source``, prefixes output keys).
        kind: ``examples`` | ``caption`` | ``vqa``.
        format: reader format (``rt2data.web.sources.FORMATS``).
        weight: relative weight, >= 0 (0 disables the source).
        options: the format's options dataclass (paths resolved).
        when_exhausted: the source's policy, or None to use the mixture's.
        template: prompt template (web kinds), None for ``examples``.
        declared: the entry as written (paths unresolved), recorded in the manifest.
    """

    name: str
    kind: str
    format: str
    weight: float
    options: Any
    when_exhausted: str | None = None
    template: WebTemplate | None = None
    declared: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"source {self.name!r}"
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise ConfigError(f"source name {self.name!r} is invalid: use 1-40 characters of [A-Za-z0-9_-]")
        get_format(self.kind, self.format, where=where)
        if isinstance(self.weight, bool) or not isinstance(self.weight, (int, float)) or not math.isfinite(self.weight):
            raise ConfigError(f"{where}: weight {self.weight!r} is not a finite number; use e.g. weight: 0.5")
        if self.weight < 0:
            raise ConfigError(f"{where}: weight {self.weight!r} is negative; weights are relative and >= 0")
        if self.when_exhausted is not None and self.when_exhausted not in POLICIES:
            raise ConfigError(f"{where}: when_exhausted {self.when_exhausted!r} is not one of {list(POLICIES)}")
        if (self.template is None) != (self.kind == "examples"):
            raise ConfigError(f"{where}: a template is needed for web kinds and not allowed for kind 'examples'")
        if self.template is not None and self.template.kind != self.kind:
            raise ConfigError(f"{where}: template {self.template.id!r} is a {self.template.kind} template")

    def policy(self, default: str) -> str:
        return self.when_exhausted or default


@dataclass(frozen=True)
class OutputSpec:
    """The ``output`` section (see module docstring)."""

    examples: int | None = None
    one_pass: str | None = None
    shard_examples: int = 1000
    formats: tuple[str, ...] = ("wds",)
    block_size: int | None = None
    prefix: str = "mix"
    rank_bucket_examples: int = 1000
    image_format: str = "jpg"

    def __post_init__(self) -> None:
        if self.examples is not None and self.one_pass is not None:
            raise ConfigError("output: give either 'examples' or 'one_pass', not both")
        for name in ("examples", "block_size"):
            v = getattr(self, name)
            if v is not None and (not _is_int(v) or v < 1):
                raise ConfigError(f"output.{name} must be a positive integer, got {v!r}")
        for name in ("shard_examples", "rank_bucket_examples"):
            v = getattr(self, name)
            if not _is_int(v) or v < 1:
                raise ConfigError(f"output.{name} must be a positive integer, got {v!r}")
        if self.block_size is not None and self.block_size > 1_000_000:
            raise ConfigError(f"output.block_size {self.block_size} is too large; use at most 1000000")
        formats = (self.formats,) if isinstance(self.formats, str) else tuple(self.formats)
        bad = [f for f in formats if f not in OUTPUT_FORMATS]
        if bad or not formats or len(set(formats)) != len(formats):
            raise ConfigError(f"output.formats {list(formats)!r} is invalid; use [wds], [tfrecord] or [wds, tfrecord]")
        object.__setattr__(self, "formats", tuple(f for f in OUTPUT_FORMATS if f in formats))
        if not isinstance(self.prefix, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", self.prefix):
            raise ConfigError(f"output.prefix {self.prefix!r} is invalid: use [A-Za-z0-9_.-] starting with a letter")
        if self.image_format not in IMAGE_FORMAT_POLICIES:
            raise ConfigError(f"output.image_format {self.image_format!r} is invalid; use one of "
                              f"{list(IMAGE_FORMAT_POLICIES)}")


@dataclass(frozen=True)
class Mixture:
    """A validated mixture.

    Attributes:
        sources: the sources, in file order (the order breaks quota ties).
        output: the output section.
        seed: non-negative integer; every random choice derives from it.
        when_exhausted: default policy.
        path: the mixture file (None when built from a dict).
    """

    sources: tuple[SourceSpec, ...]
    output: OutputSpec
    seed: int = 0
    when_exhausted: str = "repeat"
    path: str | None = None

    def __post_init__(self) -> None:
        if not _is_int(self.seed) or self.seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {self.seed!r}")
        if self.when_exhausted not in POLICIES:
            raise ConfigError(f"when_exhausted {self.when_exhausted!r} is not one of {list(POLICIES)}")
        if not self.sources:
            raise ConfigError("the mixture has no sources; add at least one under 'sources'")
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(f"source names must be unique; repeated: {dupes}")
        # Example keys are "<source>-<sample key>": 'cap' + 'x-1' and 'cap-x' + '1' would both give 'cap-x-1'.
        clash = sorted((a, b) for a in names for b in names if b.startswith(a + "-"))
        if clash:
            a, b = clash[0]
            raise ConfigError(f"source names {a!r} and {b!r} clash: example keys are '<source>-<sample key>', so "
                              f"keys of {a!r} can equal keys of {b!r}; rename one (e.g. {b.replace('-', '_')!r})")
        if sum(s.weight for s in self.sources) <= 0:
            raise ConfigError(f"all source weights are zero ({names}); give at least one source a positive weight")
        if self.output.one_pass is not None:
            if self.output.one_pass not in names:
                raise ConfigError(f"output.one_pass names {self.output.one_pass!r}, not a source; sources: {names}")
            if self.source(self.output.one_pass).weight <= 0:
                raise ConfigError(f"output.one_pass source {self.output.one_pass!r} has weight 0")
        if self.output.block_size is not None:
            block_quotas(self.output.block_size, [exact_weight(s.weight) for s in self.sources], names)
        bounded = any(s.policy(self.when_exhausted) in ("stop", "exhaust_all") for s in self.sources if s.weight > 0)
        if self.output.examples is None and self.output.one_pass is None and not bounded:
            raise ConfigError("the mixture would never end: set output.examples or output.one_pass, or "
                              "when_exhausted: stop / exhaust_all")
        ids: dict[str, str] = {}
        for t in self.templates():
            if ids.setdefault(t.id, t.prompt) != t.prompt:
                raise ConfigError(f"template id {t.id!r} is used with two texts ({ids[t.id]!r}, {t.prompt!r}); "
                                  "give each text its own id")

    def source(self, name: str) -> SourceSpec:
        return next(s for s in self.sources if s.name == name)

    @property
    def active_sources(self) -> tuple[SourceSpec, ...]:
        """Sources with a positive weight (weight-0 sources are not read)."""
        return tuple(s for s in self.sources if s.weight > 0)

    def templates(self) -> list[WebTemplate]:
        return [s.template for s in self.sources if s.template is not None]

    def to_json_dict(self) -> dict[str, Any]:
        """The mixture as plain JSON data (paths as written), recorded in the manifest and fingerprinted."""
        return {
            "seed": self.seed,
            "when_exhausted": self.when_exhausted,
            "output": {f.name: (list(v) if isinstance(v := getattr(self.output, f.name), tuple) else v)
                       for f in dataclasses.fields(self.output)},
            "sources": [
                {
                    "name": s.name,
                    "kind": s.kind,
                    "format": s.format,
                    "weight": s.weight,
                    "when_exhausted": s.policy(self.when_exhausted),
                    "template": s.template.to_json_dict() if s.template else None,
                    "options": dict(s.declared),
                }
                for s in self.sources
            ],
        }


def _template(entry: Any, kind: str, where: str) -> WebTemplate:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: a template is a mapping {{id: ..., prompt: ...}}, got {entry!r}")
    _unknown_keys(entry, ("id", "prompt"), where)
    base = DEFAULT_TEMPLATES[kind]
    try:
        return WebTemplate(kind=kind, id=entry.get("id", base.id), prompt=entry.get("prompt", base.prompt))
    except PromptError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _options(fmt_cls: type, entry: Mapping[str, Any], where: str, base_dir: str | None) -> tuple[Any, dict]:
    fields = {f.name: f for f in dataclasses.fields(fmt_cls)}
    raw = {k: v for k, v in entry.items() if k not in _SOURCE_KEYS}
    missing = [n for n, f in fields.items()
               if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and n not in raw]
    if missing:
        raise ConfigError(f"{where}: missing required option(s) {missing}")
    kinds = path_fields(fmt_cls)
    resolved = dict(raw)
    for name, kind in kinds.items():
        value = raw.get(name)
        if value is None:
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise ConfigError(f"{where}: option {name!r} must be a path (or a list of paths), got {value!r}")
        values = [resolve_path(v, base_dir) for v in values]
        if kind in ("file", "dir"):
            if len(values) != 1:
                raise ConfigError(f"{where}: option {name!r} takes one path, got {value!r}")
            ok = io.is_dir(values[0]) if kind == "dir" else io.exists(values[0])
            if not ok:
                raise ConfigError(f"{where}: {name} {value!r} -> {values[0]!r} is not an existing {kind}; fix the "
                                  "path (relative paths are relative to the mixture file)")
            resolved[name] = values[0]
        else:
            check_patterns_exist(values, what=f"{where}: {name}")
            resolved[name] = tuple(values)
    try:
        options = fmt_cls(**resolved)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    declared = {n: (list(v) if isinstance(v := getattr(options, n), tuple) else v) for n in fields}
    declared.update({n: raw[n] for n in kinds if n in raw})
    return options, declared


def _source(entry: Any, index: int, doc: Mapping[str, Any], base_dir: str | None) -> SourceSpec:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"sources[{index}]: each source is a mapping with name, kind, weight, ...; got {entry!r}")
    name = entry.get("name")
    where = f"sources[{index}] ({name})" if name else f"sources[{index}]"
    for key in ("name", "kind", "weight"):
        if key not in entry:
            raise ConfigError(f"{where}: missing required key {key!r}")
    fmt_spec = get_format(entry["kind"], entry.get("format"), where=where)
    allowed = [*_SOURCE_KEYS, *(f.name for f in dataclasses.fields(fmt_spec.options_cls))]
    if fmt_spec.kind == "examples":
        allowed.remove("template")
    _unknown_keys(entry, allowed, f"{where} (kind {fmt_spec.kind}, format {fmt_spec.format})")
    template = None
    if fmt_spec.kind != "examples":
        own = entry.get("template") or {}
        if not isinstance(own, Mapping):
            raise ConfigError(f"{where}: 'template' is a mapping {{id: ..., prompt: ...}}, got {own!r}")
        template_doc = dict((doc.get("templates") or {}).get(fmt_spec.kind) or {})
        template_doc.update(own)
        template = _template(template_doc, fmt_spec.kind, f"{where}: template")
    options, declared = _options(fmt_spec.options_cls, entry, where, base_dir)
    return SourceSpec(name=name, kind=fmt_spec.kind, format=fmt_spec.format, weight=entry["weight"],
                      options=options, when_exhausted=entry.get("when_exhausted"), template=template,
                      declared=declared)


def mixture_from_dict(doc: Any, *, base_dir: str | os.PathLike[str] | None = None,
                      path: str | None = None) -> Mixture:
    """Validate a mixture document (the parsed YAML) and build the ``Mixture``.

    Raises:
        ConfigError: naming the entry (``sources[1] (vqav2)``), the problem and the fix.
    """
    if not isinstance(doc, Mapping):
        raise ConfigError(f"a mixture file is a YAML mapping with {list(_TOP_KEYS)}; got {type(doc).__name__}")
    _unknown_keys(doc, _TOP_KEYS, "mixture")
    if "sources" not in doc or not isinstance(doc["sources"], list):
        raise ConfigError("mixture: 'sources' must be a list of source entries")
    output = doc.get("output") or {}
    if not isinstance(output, Mapping):
        raise ConfigError(f"mixture: 'output' must be a mapping, got {output!r}")
    _unknown_keys(output, _OUTPUT_KEYS, "output")
    templates = doc.get("templates") or {}
    if not isinstance(templates, Mapping):
        raise ConfigError("mixture: 'templates' must be a mapping of kind -> {id, prompt}")
    _unknown_keys(templates, tuple(DEFAULT_TEMPLATES), "templates")
    for kind, t in templates.items():
        _template(t, kind, f"templates.{kind}")
    base = str(base_dir) if base_dir is not None else None
    sources = tuple(_source(e, i, doc, base) for i, e in enumerate(doc["sources"]))
    return Mixture(sources=sources, output=OutputSpec(**output), seed=doc.get("seed", 0),
                   when_exhausted=doc.get("when_exhausted", "repeat"), path=path)


def load_mixture(path: str | os.PathLike[str]) -> Mixture:
    """Read, validate (own checks, then the JSON Schema) and build a mixture file.

    Raises:
        ConfigError: unreadable YAML, or any invalid entry (the message names the file and the entry).
    """
    import yaml

    p = io.location(path)  # a local Path, or a URL (relative source paths are then relative to its folder URL)
    try:
        doc = safe_load_unique(io.read_text(p))
    except (DataError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read mixture file {p}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"mixture file {p} is not valid YAML: {exc}") from exc
    base_dir = io.dirname(p) if io.is_url(p) else p.resolve().parent
    try:
        mixture = mixture_from_dict(doc, base_dir=base_dir, path=str(p))
        _check_schema(doc)
    except Rt2DataError as exc:
        raise ConfigError(f"{p}: {exc}") from None
    return mixture


def _check_schema(doc: Any) -> None:
    if compiled_check("mixture")(doc):  # certainly valid: jsonschema (70-90 ms to import) only words errors
        return
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(load_schema("mixture")).iter_errors(doc),
                    key=lambda e: [str(x) for x in e.absolute_path])
    if errors:
        where = "/".join(str(x) for x in errors[0].absolute_path) or "(top level)"
        raise ConfigError(f"field {where}: {errors[0].message}")


def mixture_schema() -> dict[str, Any]:
    """The JSON Schema of mixture files (``schemas/mixture.schema.json``), built from the dataclasses."""

    return build_schema()
