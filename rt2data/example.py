"""The one record every training example is: robot action, caption or VQA.

Described once as a JSON Schema (``schemas/example.schema.json``) and mirrored here; a test keeps
the two in agreement. The image travels as encoded bytes exactly as given (JPEG/PNG/...), never decoded
unless a resize was asked for.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

import msgspec

from rt2data import fields as F
from rt2data.errors import SchemaError
from rt2data.schemas import compiled_check, load_schema

__all__ = [
    "Example",
    "KINDS",
    "IMAGE_FORMATS",
    "example_schema",
    "validate_example_dict",
    "sniff_image_format",
    "make_key",
    "OMITTED_WHEN_NONE",
]

OMITTED_WHEN_NONE = F.OMITTED_WHEN_NONE
_JSON_ENCODER = msgspec.json.Encoder(order="sorted")

KINDS = ("action", "caption", "vqa")
IMAGE_FORMATS = ("jpg", "png", "webp", "gif", "bmp", "tiff")
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$")
_KEY_BAD_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Example:
    """One training example.

    Attributes:
        key: unique within an output; a tar member stem (``[A-Za-z0-9_-]``, no dots or slashes).
        image: encoded image bytes as given.
        image_format: ``jpg`` | ``png`` | ``webp`` | ``gif`` | ``bmp`` | ``tiff``; also the tar member extension.
        prompt: text the model reads.
        target: text the model writes (an action string for ``kind == "action"``).
        kind: ``action`` | ``caption`` | ``vqa``.
        source: dataset or mixture source name.
        template_id: id of the prompt template used.
        instruction: normalized instruction (action examples).
        episode_id: stable episode id (action examples).
        step: step index in the episode (action examples).
        action_raw: canonical action in the dataset's units, float[D] (action examples).
        action_tokens: bin index per dimension, int[D] (action examples).
        plan: chain-of-thought plan, if the target carries one.
        chunk_steps: H for an action chunk (``convert --action-chunk H``, H >= 2): the target is the actions of steps
            t..t+H-1, ``action_raw``/``action_tokens`` hold H x D values (step-major). None for one action.
        chunk_real: how many of the chunk's H steps are real (1..H); past the episode end the final action repeats.
        input_ids: token ids of ``[BOS] + prompt + " " + target + [EOS]`` in a real tokenizer (``--tokenizer``).
        labels: ``input_ids`` with the BOS and prompt positions set to -100 (the loss mask).

    The fields from ``chunk_steps`` on are optional and left out of the JSON (and the TFRecord) when None, so outputs
    without them keep their bytes.
    """

    key: str
    image: bytes
    image_format: str
    prompt: str
    target: str
    kind: str
    source: str
    template_id: str
    instruction: str | None = None
    episode_id: str | None = None
    step: int | None = None
    action_raw: tuple[float, ...] | None = None
    action_tokens: tuple[int, ...] | None = None
    plan: str | None = None
    chunk_steps: int | None = None
    chunk_real: int | None = None
    input_ids: tuple[int, ...] | None = None
    labels: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not _KEY_RE.match(self.key):
            raise SchemaError(
                f"example key {self.key!r} is not a valid key: expected 1-200 characters of [A-Za-z0-9_-] "
                "starting with a letter or digit (no dots or slashes: WebDataset splits member names at dots)"
            )
        if self.kind not in KINDS:
            raise SchemaError(f"example {self.key}: kind {self.kind!r} is not one of {list(KINDS)}")
        if self.image_format not in IMAGE_FORMATS:
            raise SchemaError(
                f"example {self.key}: image_format {self.image_format!r} is not one of {list(IMAGE_FORMATS)}"
            )
        if not isinstance(self.image, (bytes, bytearray)) or not self.image:
            raise SchemaError(f"example {self.key}: image is empty or not bytes")
        for name in (F.PROMPT, F.TARGET, F.SOURCE, F.TEMPLATE_ID):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise SchemaError(f"example {self.key}: field {name!r} must be a non-empty string, got {value!r}")
        if self.kind == "action":
            missing = [n for n in F.ACTION_REQUIRED if getattr(self, n) is None]
            if missing:
                raise SchemaError(f"example {self.key}: action examples need {missing}")
            if len(self.action_raw) != len(self.action_tokens):
                raise SchemaError(
                    f"example {self.key}: action_raw has {len(self.action_raw)} values but action_tokens "
                    f"has {len(self.action_tokens)}"
                )
        if (self.chunk_steps is None) != (self.chunk_real is None):
            raise SchemaError(f"example {self.key}: chunk_steps and chunk_real go together")
        if self.chunk_steps is not None and not (
            self.chunk_steps >= 2 and 1 <= self.chunk_real <= self.chunk_steps  # type: ignore[operator]
        ):
            raise SchemaError(
                f"example {self.key}: chunk_steps {self.chunk_steps!r} must be >= 2 and chunk_real {self.chunk_real!r} "
                "in 1..chunk_steps"
            )
        if (self.input_ids is None) != (self.labels is None) or (
            self.input_ids is not None and len(self.input_ids) != len(self.labels)  # type: ignore[arg-type]
        ):
            raise SchemaError(f"example {self.key}: input_ids and labels go together, with the same length")
        if self.input_ids is not None:
            object.__setattr__(self, "input_ids", tuple(int(v) for v in self.input_ids))
            object.__setattr__(self, "labels", tuple(int(v) for v in self.labels))  # type: ignore[union-attr]
        # Normalize sequences to tuples of plain Python numbers so equality and hashing are stable.
        if self.action_raw is not None:
            object.__setattr__(self, "action_raw", tuple(map(float, self.action_raw)))
        if self.action_tokens is not None:
            object.__setattr__(self, "action_tokens", tuple(map(int, self.action_tokens)))
        if isinstance(self.image, bytearray):
            object.__setattr__(self, "image", bytes(self.image))

    def to_json_dict(self) -> dict[str, Any]:
        """The example's fields without the image bytes, as stored in ``KEY.json``."""
        out: dict[str, Any] = {}
        for name in _JSON_FIELD_ORDER:
            value = getattr(self, name)
            if value is None and name in OMITTED_WHEN_NONE:
                continue
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    def to_json_bytes(self) -> bytes:
        """Canonical JSON (sorted keys, no whitespace variance): the same example gives the same bytes.

        The bytes of ``json.dumps(to_json_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))``,
        built by msgspec (4x faster): its strings, integers and key order are the same bytes; floats are written
        with Python's ``repr`` as ``json`` writes them (msgspec spells exponents differently: ``1e30``, not
        ``1e+30``). Non-finite actions, which ``json`` writes as ``NaN``/``Infinity``, go through ``json``.
        """
        fields = self.to_json_dict()
        raw = fields.get("action_raw")
        if raw is not None:
            if not all(map(math.isfinite, raw)):
                return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            fields["action_raw"] = msgspec.Raw(("[" + ",".join(map(float.__repr__, raw)) + "]").encode("ascii"))
        return _JSON_ENCODER.encode(fields)

    @classmethod
    def from_json_dict(cls, fields: Mapping[str, Any], image: bytes) -> "Example":
        """Rebuild an example from its JSON member and its image bytes."""
        unknown = set(fields) - _JSON_FIELDS
        if unknown:
            raise SchemaError(f"example {fields.get('key')!r}: unknown fields {sorted(unknown)}")
        return cls(image=image, **dict(fields))

    def replace(self, **changes: Any) -> "Example":
        """A copy with some fields changed (e.g. a new key in a mixture)."""
        return dataclasses.replace(self, **changes)


_JSON_FIELD_ORDER = tuple(f.name for f in dataclasses.fields(Example) if f.name != F.IMAGE)
_JSON_FIELDS = frozenset(_JSON_FIELD_ORDER)


def make_key(*parts: object) -> str:
    """Join parts into a valid example key: characters outside ``[A-Za-z0-9_-]`` become ``_``.

    >>> make_key("bridge", 12, 3)
    'bridge-12-3'
    """
    text = "-".join(_KEY_BAD_CHARS.sub("_", str(p)) for p in parts).strip("-_")
    if not text:
        raise SchemaError(f"cannot make an example key from {parts!r}")
    return text[:200]


def sniff_image_format(data: bytes) -> str | None:
    """The image format from the first bytes (magic numbers), or None when unknown."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:2] == b"BM":
        return "bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


@lru_cache(maxsize=None)
def example_schema() -> dict[str, Any]:
    """The JSON Schema of the example record (``schemas/example.schema.json``)."""

    return load_schema("example")


def validate_example_dict(fields: Mapping[str, Any]) -> None:
    """Check one example's JSON member against the schema; raises ``SchemaError`` naming key and field.

    Every record is checked by the compiled validator (``rt2data.schemas.compiled_check``); only a record it
    refuses is checked again by ``jsonschema``, which decides, and whose error names the field the way users have
    seen it.
    """
    record = dict(fields)
    if compiled_check("example")(record):
        return
    import jsonschema  # light: only an invalid record gets here

    validator = jsonschema.Draft202012Validator(example_schema())
    errors = sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(record)"
        raise SchemaError(f"example {fields.get('key')!r}: field {where}: {first.message}")
