"""The action codec: raw actions (dataset units) <-> tokens <-> action text, and back to raw units.

``encode``: raw float[N, D] -> normalize (optional, per-dimension mask) -> 256 equal-width bins per continuous
dimension -> tokens int64[N, D] -> action strings ``"1 128 91 ..."``. ``decode_tokens`` / ``decode_texts``
invert it to bin centers, denormalized to raw units. The codec's JSON (``to_json``) travels in every output
manifest and stats file, so any consumer can decode with ``ActionCodec.from_file(...)``.

Clipping is counted per dimension: values the normalization clipped (q01_q99) or lost (constant dimension),
and values outside the action space's range. ``out_of_range="error"`` turns the latter into ``EncodeError``;
q01_q99 clipping is part of that normalization method and is only counted.
"""

from __future__ import annotations

import json
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from rt2data import io
from rt2data.codec import action_text
from rt2data.codec.action_space import ActionSpace, as_action_array
from rt2data.codec.bins import BINNINGS, OUT_OF_RANGE_POLICIES, Discretizer, raise_out_of_range
from rt2data.errors import ActionSpaceError, ConfigError, DataError, EncodeError, ParseError, SchemaError
from rt2data.codec.normalize import Normalization, default_mask
from rt2data.schemas import load_schema

__all__ = ["ActionCodec", "EncodedActions", "CODEC_VERSION", "validate_codec_json"]

CODEC_VERSION = 1


@dataclass(frozen=True)
class EncodedActions:
    """The result of ``ActionCodec.encode``.

    Attributes:
        tokens: int64[N, D], one token per dimension.
        texts: N action strings, ``action_text.render`` of each row.
        clip_counts: int64[D], values clipped per dimension (normalization or action-space range).
        clipped: bool[N, D], True where a value was clipped.
    """

    tokens: np.ndarray
    texts: list[str]
    clip_counts: np.ndarray
    clipped: np.ndarray

    def clip_summary(self, names: Sequence[str]) -> dict[str, int]:
        """``{dimension name: count}`` for the dimensions with clipped values."""
        return {n: int(c) for n, c in zip(names, self.clip_counts) if c}


@dataclass(frozen=True)
class ActionCodec:
    """Encode raw actions to action tokens and text, and decode them back.

    Attributes:
        action_space: dimensions, ranges and bins (default: RT-2's 8-dimensional space).
        normalization: raw units -> the action space's range (default: identity). Discrete dimensions must
            not be normalized.
        out_of_range: ``"clip"`` (default; clip to the end bins and count) or ``"error"``.
        binning: ``"uniform"`` (default: true 256 bins, as the RT-2 paper) or ``"openvla"`` (OpenVLA's
            ``digitize`` over ``linspace(-1, 1, 256)``, bit for bit; see ``rt2data.codec.bins``).
    """

    action_space: ActionSpace = field(default_factory=ActionSpace.rt2_default)
    _: KW_ONLY
    normalization: Normalization | None = None
    out_of_range: str = "clip"
    binning: str = "uniform"
    _discretizer: Discretizer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.action_space, ActionSpace):
            raise ActionSpaceError(f"action_space must be an ActionSpace, got {type(self.action_space).__name__}")
        d = len(self.action_space)
        if self.normalization is None:
            object.__setattr__(self, "normalization", Normalization.identity(d))
        norm = self.normalization
        if not isinstance(norm, Normalization):
            raise ActionSpaceError(f"normalization must be a Normalization, got {type(norm).__name__}")
        if norm.n_dims != d:
            raise ActionSpaceError(
                f"normalization has {norm.n_dims} dimensions but the action space has {d} "
                f"({', '.join(self.action_space.names)})"
            )
        discrete_masked = [dim.name for dim, m in zip(self.action_space, norm.mask) if m and not dim.is_continuous]
        if discrete_masked:
            raise ActionSpaceError(f"discrete dimensions {discrete_masked} cannot be normalized; set their mask False")
        if norm.method in ("min_max", "q01_q99"):
            off = [d.name for d, m in zip(self.action_space, norm.mask) if m and (d.low, d.high) != (-1.0, 1.0)]
            if off:
                raise ActionSpaceError(
                    f"normalization {norm.method!r} maps to [-1, 1] but dimensions {off} have another range; "
                    "give them low=-1, high=1 or leave them out of the mask"
                )
        if self.out_of_range not in OUT_OF_RANGE_POLICIES:
            raise EncodeError(f"out_of_range policy {self.out_of_range!r} is not one of {list(OUT_OF_RANGE_POLICIES)}")
        if self.binning not in BINNINGS:
            raise ActionSpaceError(f"binning {self.binning!r} is not one of {list(BINNINGS)}")
        object.__setattr__(
            self, "_discretizer", Discretizer(self.action_space, out_of_range="clip", binning=self.binning)
        )

    # ----------------------------------------------------------------- constructors
    @classmethod
    def rt2_default(cls, *, out_of_range: str = "clip", binning: str = "uniform") -> "ActionCodec":
        """RT-2's action space, no normalization (actions already in [-1, 1])."""
        return cls(ActionSpace.rt2_default(), out_of_range=out_of_range, binning=binning)

    @classmethod
    def from_stats(
        cls,
        action_stats: Mapping[str, Sequence[float]],
        action_space: ActionSpace | None = None,
        *,
        method: str = "q01_q99",
        mask: Sequence[bool] | None = None,
        out_of_range: str = "clip",
        binning: str = "uniform",
    ) -> "ActionCodec":
        """A codec normalizing with dataset statistics (keys min/max/mean/std/q01/q99, D numbers each).

        The mask defaults to ``normalize.default_mask`` (continuous dims except the gripper).
        """
        space = action_space or ActionSpace.rt2_default()
        norm = Normalization.from_stats(method, action_stats, default_mask(space) if mask is None else mask)
        return cls(space, normalization=norm, out_of_range=out_of_range, binning=binning)

    # ----------------------------------------------------------------- encode / decode
    @property
    def n_dims(self) -> int:
        return len(self.action_space)

    def encode(self, actions: Any) -> EncodedActions:
        """Raw actions -> tokens, action strings and clip counts.

        Args:
            actions: float[N, D] (or float[D], treated as N = 1) in the dataset's raw units.

        Returns:
            ``EncodedActions`` with tokens int64[N, D], N strings, clip_counts int64[D], clipped bool[N, D].

        Raises:
            EncodeError: NaN/inf or wrong D (naming row, dimension, value); an out-of-range value under
                ``out_of_range="error"``.
        """
        x, _ = as_action_array(actions, self.n_dims, names=self.action_space.names)
        y, lost = self.normalization.normalize_masked(x)  # type: ignore[union-attr]
        tokens, outside = self._discretizer.quantize_masked(y)
        if self.out_of_range == "error" and outside.any():
            raise_out_of_range(self.action_space, y, outside, raw=None if self.normalization.is_identity else x)
        clipped = lost | outside
        texts = action_text.render_many(tokens)
        return EncodedActions(tokens, texts, clipped.sum(axis=0).astype(np.int64), clipped)

    def decode_tokens(self, tokens: Any) -> np.ndarray:
        """Tokens int[N, D] (or [D]) -> raw actions float64 of the same shape (bin centers, denormalized).

        With ``binning="openvla"`` token ``bins - 1`` decodes like ``bins - 2`` (OpenVLA's clip).

        Raises:
            ParseError: non-integer tokens, wrong shape, or a token outside its dimension's range.
        """
        values = self._discretizer.dequantize(tokens)
        return self.normalization.denormalize(values)  # type: ignore[union-attr]

    def decode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """N action strings -> raw actions float64[N, D].

        Raises:
            ParseError: a malformed string; the message names the 0-based string index and the token position.
        """
        if isinstance(texts, str):
            raise ParseError("decode_texts takes a list of action strings; use decode_text for one string")
        rows = []
        for i, text in enumerate(texts):
            try:
                rows.append(action_text.parse(text, self.action_space))
            except ParseError as exc:
                raise ParseError(f"action string {i} (0-based): {exc}") from exc
        tokens = np.asarray(rows, dtype=np.int64).reshape(len(rows), self.n_dims)
        return self.decode_tokens(tokens)

    def decode_text(self, text: str) -> np.ndarray:
        """One action string -> raw action float64[D]."""
        return self.decode_tokens(np.asarray(action_text.parse(text, self.action_space), dtype=np.int64))

    # ----------------------------------------------------------------- JSON
    def to_json(self) -> dict[str, Any]:
        """``{"version": 1, "action_space": ..., "normalization": ..., "out_of_range": ...}``, plus ``"binning"``
        when it is not the default ``"uniform"`` (so default codecs keep their bytes)."""
        out = {
            "version": CODEC_VERSION,
            "action_space": self.action_space.to_json(),
            "normalization": self.normalization.to_json(),  # type: ignore[union-attr]
            "out_of_range": self.out_of_range,
        }
        if self.binning != "uniform":
            out["binning"] = self.binning
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ActionCodec":
        """Inverse of ``to_json``; ``normalization`` and ``out_of_range`` may be omitted (identity, clip)."""
        if not isinstance(data, Mapping):
            raise ActionSpaceError(f"a codec must be a JSON object, got {type(data).__name__}")
        unknown = set(data) - {"version", "action_space", "normalization", "out_of_range", "binning"}
        if unknown:
            raise ActionSpaceError(f"codec: unknown keys {sorted(unknown)}")
        if data.get("version", CODEC_VERSION) != CODEC_VERSION:
            raise ActionSpaceError(f"codec version {data.get('version')!r} is not supported (this rt2data reads 1)")
        if "action_space" not in data:
            raise ActionSpaceError("codec: missing 'action_space'")
        space = ActionSpace.from_json(data["action_space"])
        norm = data.get("normalization")
        return cls(
            space,
            normalization=None if norm is None else Normalization.from_json(norm),
            out_of_range=data.get("out_of_range", "clip"),
            binning=data.get("binning", "uniform"),
        )

    @classmethod
    def from_file(cls, path: str | Path) -> "ActionCodec":
        """Load a codec from an action-space JSON, a codec JSON, an rt2data stats JSON or an output manifest.

        Args:
            path: a JSON file, or an output directory containing ``manifest.json``; a local path or a URL
                (``s3://``, ``gs://``, read through ``rt2data.io``). Recognized by content:
                ``{"dimensions": ...}`` (action space; identity normalization), ``{"version", "action_space", ...}``
                (codec), ``{"rt2data": {"codec": ...}, ...}`` (stats), ``{"codec": ..., ...}`` (manifest).

        Raises:
            ConfigError: unreadable file or unrecognized content; ActionSpaceError: invalid codec content.
        """
        path = io.location(path)
        if io.is_dir(path):
            if not io.is_file(io.join(path, "manifest.json")):
                raise ConfigError(f"{path} is a directory without manifest.json; pass a JSON file or an output dir")
            path = io.location(io.join(path, "manifest.json"))
        try:
            data = json.loads(io.read_text(path))
        except (DataError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read codec file {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a JSON object, got {type(data).__name__}")
        try:
            if isinstance(data.get("rt2data"), dict) and "codec" in data["rt2data"]:
                return cls.from_json(data["rt2data"]["codec"])
            if "codec" in data:
                return cls.from_json(data["codec"])
            if "action_space" in data:
                return cls.from_json(data)
            if "dimensions" in data:
                return cls(ActionSpace.from_json(data))
        except ActionSpaceError as exc:
            raise ActionSpaceError(f"{path}: {exc}") from exc
        raise ConfigError(
            f"{path}: not an action space, codec, rt2data stats file or manifest (top-level keys: {sorted(data)[:10]}); "
            "expected a 'dimensions', 'action_space', 'codec' or 'rt2data.codec.action_codec' key"
        )


def validate_codec_json(data: Mapping[str, Any]) -> None:
    """Check a codec's JSON against ``schemas/action_space.schema.json#/$defs/codec`` (structure only).

    ``ActionCodec.from_json`` does the semantic checks (bounds, unique names, masks); this lets a manifest
    validator report the first structural problem with its JSON path. Raises ``SchemaError``.
    """
    import jsonschema
    from referencing import Registry, Resource


    schema = load_schema("action_space")
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    validator = jsonschema.Draft202012Validator({"$ref": schema["$id"] + "#/$defs/codec"}, registry=registry)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(codec)"
        raise SchemaError(f"codec JSON: field {where}: {error.message}")
