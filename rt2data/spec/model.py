"""Declarative dataset specs: where a dataset keeps its image, instruction and action, and how to standardize them.

A spec is a YAML (or JSON) file checked by ``schemas/dataset_spec.schema.json``; the shipped ones live in
``schemas/specs/NAME.yaml`` (``list_specs()``). A user adds a dataset by writing a spec, not Python.

``DatasetSpec.load(name_or_path)`` validates the file (errors name the file and field), then:

- ``check_features(spec, features) -> list[str]``: every mismatch against a dataset's features (missing key,
  shape, dtype), before anything runs (``rt2data.spec.check``);
- ``standardize(spec, raw_episode) -> CanonicalEpisode``: images, per-step instructions and the canonical action
  vector (``rt2data.spec.standardize``);
- ``spec.fingerprint()``: sha256 of the spec's canonical JSON (description excluded), for the statistics cache.

Canonical action vector = the action space's dimensions in order: ``terminate`` (discrete, 0/1) first when the
space has it, then the dataset's action parts concatenated (``flat`` slices or ``dict`` entries, in dataset
units), with the gripper column mapped to [-1 = fully open, +1 = fully closed].
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from rt2data.errors import SpecError
from rt2data.codec.action_space import ActionSpace
from rt2data.errors import ActionSpaceError
from rt2data.schemas import SPEC_DIR
from rt2data.schemas import compiled_check, load_schema
from rt2data.spec.semantics import GRIPPER_MODES, Semantics
from rt2data.spec.transforms import TransformStep, output_width, parse_steps
from rt2data.yaml_loader import safe_load_unique

__all__ = [
    "DatasetSpec", "Ref", "ActionPart", "GripperSpec", "TerminateSpec", "NormalizationSpec",
    "list_specs", "spec_path", "parse_ref",
]


@dataclass(frozen=True)
class Ref:
    """A field reference: ``level`` is ``step`` (path inside a step) or ``episode`` (path from the episode root)."""

    level: str
    path: str

    @property
    def full_path(self) -> str:
        """Path in the decoded episode (``steps/observation/image``, ``episode_metadata/file_path``)."""
        return f"steps/{self.path}" if self.level == "step" else self.path

    def __str__(self) -> str:
        return f"{self.level}:{self.path}"


def parse_ref(text: str, *, default: str = "step") -> Ref:
    """``step:a/b`` | ``episode:a/b`` | ``a/b`` (``default`` level)."""
    level, _, path = text.rpartition(":")
    return Ref(level or default, path.strip("/"))


@dataclass(frozen=True)
class ActionPart:
    """One piece of the canonical action: values from ``ref`` (all of them, or the ``start``/``stop`` slice of the
    field's values), run through ``transforms``, giving ``size`` values; or ``size`` copies of ``constant`` when
    ``ref`` is None. ``in_size`` is the number of values read before the transforms (``size`` without any)."""

    ref: Ref | None
    size: int
    start: int | None = None
    stop: int | None = None
    constant: float = 0.0
    transforms: tuple[TransformStep, ...] = ()
    in_size: int | None = None


@dataclass(frozen=True)
class GripperSpec:
    """Gripper convention: ``column`` is the dim's index in the canonical vector."""

    dim: str
    column: int
    type: str
    range: tuple[float, float] | None = None
    open_value: float | None = None
    true_means: str | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class TerminateSpec:
    """Where terminate comes from; ``index`` picks the one-hot position, or (float/bool) one element of a vector."""

    type: str
    ref: Ref | None = None
    index: int | None = None
    threshold: float = 0.5


@dataclass(frozen=True)
class NormalizationSpec:
    """How the codec normalizes: ``method`` (``rt2data.codec.normalize.METHODS``) and a per-dimension ``mask``."""

    method: str
    mask: tuple[bool, ...]


_RT2_DIMS = ("terminate", "dx", "dy", "dz", "droll", "dpitch", "dyaw", "gripper")


def spec_dir() -> Path:

    return SPEC_DIR


def list_specs() -> list[str]:
    """Names of the shipped specs (``schemas/specs/*.yaml``), sorted."""
    return sorted(p.stem for p in spec_dir().glob("*.yaml"))


def spec_path(name_or_path: str | os.PathLike[str]) -> Path:
    """A shipped spec's file by name, or the given file path.

    Raises:
        SpecError: neither a shipped spec name nor an existing file; lists the shipped names.
    """
    text = os.fspath(name_or_path)
    candidate = Path(text).expanduser()
    if candidate.suffix in (".yaml", ".yml", ".json") or os.sep in text:
        if candidate.is_file():
            return candidate
        raise SpecError(f"spec file {candidate} does not exist")
    shipped = spec_dir() / f"{text}.yaml"
    if shipped.is_file():
        return shipped
    raise SpecError(f"no dataset spec named {text!r}; shipped specs: {list_specs()} (or pass a path to a .yaml file)")


def _read(path: Path) -> Any:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix == ".json" else safe_load_unique(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read the spec: {exc}") from exc


def _schema_errors(data: Any) -> list[str]:
    if compiled_check("dataset_spec")(data):  # certainly valid: jsonschema (70-90 ms to import) only words errors
        return []
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema("dataset_spec"))
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for err in errors:
        if err.validator in ("oneOf", "anyOf") and err.context:  # none matched: say what the closest one wanted
            err = jsonschema.exceptions.best_match(err.context)
        where = ".".join(str(p) for p in err.absolute_path) or "<top level>"
        if err.validator == "oneOf" and not err.context:
            forms = "; ".join(json.dumps(alt, sort_keys=True)[:80] for alt in err.validator_value)
            detail = f"matches more than one of the allowed forms, exactly one is allowed: {forms}"
        else:
            detail = err.message if len(err.message) < 300 else err.message[:300] + "..."
        out.append(f"{where}: {detail}")
    return out


@dataclass(frozen=True, eq=False)
class DatasetSpec:
    """A validated dataset spec (build with ``DatasetSpec.load`` or ``DatasetSpec.from_dict``)."""

    name: str
    description: str
    source: str
    data: Mapping[str, Any] = field(repr=False)
    primary_image: Ref = field(repr=False)
    wrist_image: Ref | None = field(repr=False)
    instruction_sources: tuple[Ref, ...] = field(repr=False)
    instruction_encoding: str = field(repr=False)
    missing_instruction: str = field(repr=False)
    action_parts: tuple[ActionPart, ...] = field(repr=False)
    action_is_flat: bool = field(repr=False)
    ignored_action_keys: tuple[Ref, ...] = field(repr=False)
    gripper: GripperSpec | None = field(repr=False)
    terminate: TerminateSpec = field(repr=False)
    terminate_column: int | None = field(repr=False)
    action_space: Any = field(repr=False)
    dim_names: tuple[str, ...] = field(repr=False)
    normalization: NormalizationSpec = field(repr=False)
    proprio: tuple[Ref, ...] = field(repr=False)
    episode_id_keys: tuple[Ref, ...] = field(repr=False)
    episode_id_fallback: str = field(repr=False)
    semantics: Semantics | None = field(default=None, repr=False)
    subsample: int = field(default=1, repr=False)
    gripper_mode: str = field(default="absolute", repr=False)

    # --- loading ---------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, name_or_path: str | os.PathLike[str]) -> "DatasetSpec":
        """Load a shipped spec by name (``bridge_dataset``) or a spec file by path; validate it.

        Raises:
            SpecError: unreadable file, schema violations (every one, naming the field), or inconsistent fields.
        """
        path = spec_path(name_or_path)
        return cls.from_dict(_read(path), source=str(path))

    @staticmethod
    def refusal(name_or_path: str | os.PathLike[str]) -> str | None:
        """The one-line reason a spec refuses its dataset (``refuse:``), or None; reads the file only."""
        data = _read(spec_path(name_or_path))
        return data.get("refuse") if isinstance(data, Mapping) else None

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<dict>") -> "DatasetSpec":
        """Validate a spec mapping (as read from YAML) against the JSON Schema and itself."""
        bad = next(_non_finite(data), None)
        if bad is not None:
            raise SpecError(f"{source}: {bad[0]} is {bad[1]!r}; every number in a spec must be finite")
        errors = _schema_errors(data)
        if not errors and isinstance(data, Mapping) and "refuse" in data:
            raise SpecError(f"spec {data['name']!r} refuses this dataset: {data['refuse']}")
        if errors:
            raise SpecError(
                f"{source}: {errors[0]}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
                + "".join(f"\n  {e}" for e in errors)
            )
        try:
            return _build(copy.deepcopy(dict(data)), source)
        except SpecError as exc:
            raise SpecError(f"{source}: {exc}") from None

    # --- use -------------------------------------------------------------------------------------------------

    @property
    def action_space_json(self) -> dict[str, Any]:
        """``action_space.to_json()``."""
        return self.action_space.to_json()

    def to_dict(self) -> dict[str, Any]:
        """The spec as loaded (a deep copy)."""
        return copy.deepcopy(dict(self.data))

    def fields_read(self) -> frozenset[str]:
        """Every path of a raw episode that standardizing may read (``steps/...``, ``episode_metadata/...``):
        each field the spec names, anywhere in it, and the step flags (``is_first``, ``is_last``,
        ``is_terminal``, or the one ``terminate.type`` names). A reader need decode nothing else
        (``rt2data.rlds.features.Feature.prune``)."""
        found: set[str] = {"steps/is_first", "steps/is_last", "steps/is_terminal"}
        if self.terminate.type not in ("none", "one_hot", "float", "bool"):  # a step flag, read by name
            found.add(f"steps/{self.terminate.type}")

        def walk(value: Any) -> None:
            if isinstance(value, Ref):
                found.add(value.full_path)
            elif dataclasses.is_dataclass(value) and not isinstance(value, type):
                for f in dataclasses.fields(value):
                    if f.name != "data":  # the spec as written (its refs are parsed into the fields)
                        walk(getattr(value, f.name))
            elif isinstance(value, (tuple, list)):
                for item in value:
                    walk(item)

        walk(self)
        return frozenset(found)

    def with_gripper(self, mode: str) -> "DatasetSpec":
        """This spec under ``--gripper MODE``: ``absolute`` (as written) or ``as-recorded`` (the transforms that
        change the gripper's meaning, ``rel2abs_gripper`` and ``binarize_gripper``, are left out).

        Raises:
            SpecError: an unknown mode.
        """
        if mode not in GRIPPER_MODES:
            raise SpecError(f"gripper mode {mode!r} is not one of {list(GRIPPER_MODES)}")
        if mode == self.gripper_mode:
            return self
        data = self.to_dict()
        if mode == "as-recorded":
            for entry in data["action"].get("dict", []):
                kept = [t for t in entry.get("transforms", [])
                        if (t if isinstance(t, str) else t.get("name")) not in ("rel2abs_gripper", "binarize_gripper")]
                if "transforms" in entry:
                    entry["transforms"] = kept
        spec = _build(data, self.source)
        return dataclasses.replace(spec, gripper_mode=mode)

    @property
    def gripper_transformed(self) -> bool:
        """True when a gripper-meaning transform (rel2abs / binarize) runs on this spec's actions."""
        return any(t.transform.gripper for p in self.action_parts for t in p.transforms)

    @property
    def canonical(self) -> bool:
        """Whether the output is the canonical RT-2 space: end-effector deltas (dx dy dz droll dpitch dyaw) and an
        absolute gripper, with terminate; per the semantics block (False without one)."""
        if self.semantics is None or self.dim_names != _RT2_DIMS or self.semantics.space != "eef_delta":
            return False
        kind = self.semantics.gripper_kind
        return kind in ("position", "binary", "none") or (kind == "relative" and self.gripper_transformed)

    def fingerprint(self) -> str:
        """sha256 hex of the spec's canonical JSON without ``description`` (same semantics -> same hash)."""
        body = {k: v for k, v in self.to_dict().items() if k != "description"}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _action_space(value: Any) -> Any:

    try:
        return ActionSpace.rt2_default() if value == "rt2_default" else ActionSpace.from_json(value)
    except ActionSpaceError as exc:
        raise SpecError(f"action_space: {exc}") from None


def _parts(action: Mapping[str, Any]) -> tuple[tuple[ActionPart, ...], bool]:
    if "flat" in action:
        ref = parse_ref(action["flat"]["key"])
        parts = []
        for i, (start, stop) in enumerate(action["flat"]["slices"]):
            if not start < stop:
                raise SpecError(f"action.flat.slices.{i}: [{start}, {stop}] is empty; need start < end")
            parts.append(ActionPart(ref, stop - start, start, stop))
        return tuple(parts), True
    parts = []
    for i, e in enumerate(action["dict"]):
        where = f"action.dict.{i}"
        if "zeros" in e:
            parts.append(ActionPart(None, e["zeros"]))
            continue
        if "constant" in e:
            parts.append(ActionPart(None, e["size"], constant=float(e["constant"])))
            continue
        start = stop = None
        if "slice" in e:
            start, stop = e["slice"]
            if not start < stop:
                raise SpecError(f"{where}.slice: [{start}, {stop}] is empty; need start < end")
            if "size" in e and e["size"] < stop:
                raise SpecError(f"{where}: slice [{start}, {stop}] goes past the field's size {e['size']}")
        in_size = stop - start if start is not None else e["size"]
        steps = parse_steps(e.get("transforms"), where=where)
        size = output_width(steps, in_size, where=where)
        parts.append(ActionPart(parse_ref(e["key"]), size, start, stop, transforms=steps, in_size=in_size))
    return tuple(parts), False


def _non_finite(node: Any, where: str = "") -> Iterator[tuple[str, float]]:
    """``(field path, value)`` of every NaN or infinite number in a spec mapping."""
    if isinstance(node, float) and not math.isfinite(node):
        yield where or "(top level)", node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _non_finite(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _non_finite(value, f"{where}[{i}]")


def _build(data: dict[str, Any], source: str) -> DatasetSpec:
    space = _action_space(data["action_space"])
    names = tuple(d.name for d in space.dims)
    kinds = tuple(d.kind for d in space.dims)
    action = data["action"]
    parts, is_flat = _parts(action)
    term_col = names.index("terminate") if "terminate" in names else None
    if term_col not in (None, 0) or (term_col == 0 and kinds[0] != "discrete"):
        raise SpecError("action_space: 'terminate' must be the first dimension and discrete")
    width = sum(p.size for p in parts) + (1 if term_col is not None else 0)
    if width != len(names):
        raise SpecError(
            f"action: the parts give {width} values{' (with terminate)' if term_col is not None else ''} but the "
            f"action space has {len(names)} dimensions {list(names)}"
        )
    term = action["terminate"]
    if term["type"] != "none" and term_col is None:
        raise SpecError(f"action.terminate.type is {term['type']!r} but the action space has no 'terminate' dimension")
    if "index" in term and term["type"] not in ("one_hot", "float", "bool"):
        raise SpecError("action.terminate.index: only one_hot, float and bool terminates take an index")
    terminate = TerminateSpec(term["type"], parse_ref(term["key"]) if "key" in term else None, term.get("index"),
                              float(term.get("threshold", 0.5)))
    gripper = None
    if "gripper" in action:
        g = action["gripper"]
        dim = g.get("dim", "gripper")
        if dim not in names or kinds[names.index(dim)] != "continuous":
            raise SpecError(f"action.gripper.dim: {dim!r} is not a continuous dimension of the action space {list(names)}")
        if "range" in g and (len(g["range"]) != 2 or g["range"][0] == g["range"][1]):
            raise SpecError(f"action.gripper.range: {list(g['range'])} must be two different numbers (the fully open "
                            "and fully closed values), e.g. [0, 1]")
        if g["type"] == "continuous" and g["open_value"] not in g["range"]:
            raise SpecError(f"action.gripper.open_value: {g['open_value']} must be one end of range {g['range']}")
        gripper = GripperSpec(dim, names.index(dim), g["type"], tuple(g["range"]) if "range" in g else None,
                              g.get("open_value"), g.get("true_means"), g.get("threshold"))
    norm = data.get("normalization", {})
    method = norm.get("method", "q01_q99")
    default = (method != "none" and k == "continuous" and n != (gripper.dim if gripper else "gripper")
               for n, k in zip(names, kinds))
    mask = tuple(norm["mask"]) if "mask" in norm else tuple(default)
    if len(mask) != len(names):
        raise SpecError(f"normalization.mask has {len(mask)} entries but the action space has {len(names)} dimensions")
    if method == "none" and any(mask):
        raise SpecError("normalization.mask: method 'none' normalizes nothing, so every mask entry must be false")
    if any(m and k != "continuous" for m, k in zip(mask, kinds)):
        raise SpecError(f"normalization.mask: only continuous dimensions can be normalized; dims: {list(names)}")
    instr = data["instruction"]
    sources = instr["source"]
    sources = [] if sources == "none" else [sources] if isinstance(sources, str) else sources
    ep = data.get("episode_id", {})
    return DatasetSpec(
        name=data["name"], description=data["description"].strip(), source=source, data=data,
        primary_image=parse_ref(data["images"]["primary"]),
        wrist_image=parse_ref(data["images"]["wrist"]) if "wrist" in data["images"] else None,
        instruction_sources=tuple(parse_ref(s) for s in sources),
        instruction_encoding=instr.get("encoding", "text"), missing_instruction=instr.get("missing", "drop"),
        action_parts=parts, action_is_flat=is_flat,
        ignored_action_keys=tuple(parse_ref(k) for k in action.get("ignored", [])),
        gripper=gripper, terminate=terminate, terminate_column=term_col, action_space=space,
        dim_names=names, normalization=NormalizationSpec(method, mask),
        proprio=tuple(parse_ref(k) for k in data.get("proprio", [])),
        episode_id_keys=tuple(parse_ref(k, default="episode") for k in ep.get("keys", [])),
        episode_id_fallback=ep.get("fallback", "derived"),
        semantics=Semantics.from_dict(data["semantics"]) if "semantics" in data else None,
        subsample=int(data.get("subsample", 1)),
    )
