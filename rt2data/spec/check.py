"""Hold a dataset spec against a dataset's features before anything runs: every mismatch, one line each.

``feature_table(features)`` flattens a features tree into ``{path: Leaf}`` (step fields under ``steps/``);
``check_features(spec, features)`` names each referenced field that is missing, or has the wrong kind
(image / text / tensor), shape or dtype for what the spec does with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rt2data.errors import SpecError
from rt2data.rlds.features import Feature, as_features
from rt2data.spec.model import DatasetSpec, Ref

__all__ = ["Leaf", "feature_table", "check_features", "require_match", "proprio_dim"]


@dataclass(frozen=True)
class Leaf:
    """One feature: ``kind`` is ``image`` | ``text`` | ``tensor`` | ``dict``; shape excludes the step axis."""

    kind: str
    shape: tuple[int | None, ...]
    dtype: str

    def describe(self) -> str:
        return f"{self.kind} {self.dtype}{list(self.shape)}" if self.kind != "dict" else "a dict of features"


def feature_table(features: Any) -> dict[str, Leaf]:
    """``{path: Leaf}`` for every feature and sub-dict (``steps/...`` for step fields) of a features tree
    (``RldsDataset.features``; a ``features.json`` document or a tfds ``FeaturesDict`` is taken too)."""
    table: dict[str, Leaf] = {}

    def walk(feature: Feature, prefix: str) -> None:
        while feature.kind in ("dataset", "sequence") and feature.inner is not None:
            feature = feature.inner
        if feature.kind == "dict":
            if prefix:
                table[prefix] = Leaf("dict", (), "")
            for key, child in feature.children.items():
                walk(child, f"{prefix}/{key}" if prefix else key)
            return
        shape, dtype = feature.shape, feature.dtype
        if feature.kind == "other":  # a connector rt2data does not know: tfds describes it
            leaf = feature.to_tfds()
            shape, dtype = tuple(leaf.shape), np.dtype(leaf.np_dtype).name
        if feature.kind == "image":
            kind = "image"
        elif feature.kind == "text" or dtype in ("string", "object") or np.dtype(dtype).kind in "SU":
            kind, dtype = "text", "string"
        else:
            kind = "tensor"
        table[prefix] = Leaf(kind, tuple(shape), dtype)

    walk(as_features(features), "")
    return table


def _size(leaf: Leaf) -> int | None:
    if any(d is None for d in leaf.shape):
        return None
    return int(np.prod(leaf.shape)) if leaf.shape else 1


class _Checker:
    def __init__(self, spec: DatasetSpec, table: dict[str, Leaf]):
        self.spec, self.table, self.problems = spec, table, []

    def leaf(self, ref: Ref, role: str) -> Leaf | None:
        path = ref.full_path
        if path in self.table:
            return self.table[path]
        parent = path
        while parent and parent not in self.table:  # the deepest part of the path that exists
            parent = parent.rsplit("/", 1)[0] if "/" in parent else ""
        if parent and self.table[parent].kind != "dict":  # e.g. a flat action where the spec expects a dict
            self.problems.append(f"{path} ({role}): missing; {parent} is {self.table[parent].describe()}, not a dict "
                                 f"of features (no {path[len(parent) + 1:]!r} inside it)")
            return None
        prefix = f"{parent}/" if parent else ""
        children = sorted({p[len(prefix):].split("/")[0] for p in self.table if p.startswith(prefix) and p != parent})
        self.problems.append(f"{path} ({role}): missing; {parent or 'the episode'} has {children}")
        return None

    def expect(self, ref: Ref, role: str, leaf: Leaf, ok: bool, need: str) -> bool:
        if not ok:
            self.problems.append(f"{ref.full_path} ({role}): is {leaf.describe()} but the spec needs {need}")
        return ok

    def numeric(self, ref: Ref, role: str, *, size: int | None = None, kinds: str = "fiub") -> Leaf | None:
        leaf = self.leaf(ref, role)
        if leaf is None:
            return None
        wanted = {"f": "float", "i": "integer", "u": "integer", "b": "bool"}
        need = "a " + "/".join(dict.fromkeys(wanted[k] for k in kinds)) + " tensor"
        if not self.expect(ref, role, leaf, leaf.kind == "tensor" and np.dtype(leaf.dtype).kind in kinds, need):
            return None
        if size is not None and _size(leaf) != size:
            self.problems.append(
                f"{ref.full_path} ({role}): shape {list(leaf.shape)} has {_size(leaf)} values but the spec needs {size}"
            )
            return None
        return leaf


def check_features(spec: DatasetSpec, features: Any) -> list[str]:
    """Every mismatch between ``spec`` and ``features`` (a tfds ``FeaturesDict``), as readable lines."""
    table = feature_table(features)
    c = _Checker(spec, table)
    if "steps" not in table:
        return [f"steps: missing; the episode has {sorted(p for p in table if '/' not in p)} (not an RLDS dataset?)"]
    for ref, role in ((spec.primary_image, "primary image"), (spec.wrist_image, "wrist image")):
        if ref is not None and (leaf := c.leaf(ref, role)) is not None:
            c.expect(ref, role, leaf, leaf.kind == "image" or (leaf.kind == "tensor" and leaf.dtype == "uint8"
                                                               and len(leaf.shape) == 3), "an Image feature")
    for ref in spec.instruction_sources:
        leaf = c.leaf(ref, "instruction")
        if leaf is None:
            continue
        if spec.instruction_encoding == "text":
            c.expect(ref, "instruction", leaf, leaf.kind == "text" and leaf.shape == (), "a string scalar")
        else:
            c.expect(ref, "instruction", leaf, leaf.kind == "tensor" and np.dtype(leaf.dtype).kind in "iu"
                     and len(leaf.shape) == 1, "an integer vector of UTF-8 codes (encoding: utf8_codes)")
    _check_action(spec, c)
    for ref in spec.proprio:
        c.numeric(ref, "proprio", kinds="fiu")
    for ref in spec.episode_id_keys:  # absent keys are fine when the id falls back to a derived one
        leaf = c.table.get(ref.full_path)
        if leaf is None and spec.episode_id_fallback == "error":
            c.leaf(ref, "episode id")
        elif leaf is not None:
            c.expect(ref, "episode id", leaf, leaf.kind == "text" or (leaf.kind == "tensor" and _size(leaf) == 1
                     and np.dtype(leaf.dtype).kind in "iu"), "a string or integer scalar")
    return c.problems


def _check_action(spec: DatasetSpec, c: _Checker) -> None:
    grip = spec.gripper
    column = 1 if spec.terminate_column is not None else 0
    if spec.action_is_flat:
        ref = spec.action_parts[0].ref
        leaf = c.numeric(ref, "action", kinds="fiu")
        end = max(p.stop for p in spec.action_parts)
        if leaf is not None and (len(leaf.shape) != 1 or (leaf.shape[0] is not None and leaf.shape[0] < end)):
            c.problems.append(f"{ref.full_path} (action): shape {list(leaf.shape)} but the spec slices it up to {end}")
    else:
        for part in spec.action_parts:
            holds_gripper = grip is not None and column <= grip.column < column + part.size
            column += part.size
            if part.ref is None:
                continue
            bool_gripper = holds_gripper and grip.type == "bool" and not part.transforms
            role = "action gripper" if holds_gripper else "action"
            kinds = "b" if bool_gripper else "fiub" if holds_gripper else "fiu"
            if part.start is None:
                c.numeric(part.ref, role, size=part.in_size or part.size, kinds=kinds)
            elif (leaf := c.numeric(part.ref, role, kinds=kinds)) is not None and (_size(leaf) or 0) < part.stop:
                c.problems.append(f"{part.ref.full_path} ({role}): shape {list(leaf.shape)} has {_size(leaf)} values "
                                  f"but the spec slices it up to {part.stop}")
    for ref in spec.ignored_action_keys:
        c.leaf(ref, "ignored action field")
    term = spec.terminate
    if term.type in ("is_terminal", "is_last"):
        c.numeric(Ref("step", term.type), "terminate", size=1, kinds="b")
    elif term.type == "one_hot":
        leaf = c.numeric(term.ref, "terminate one-hot", kinds="iuf")
        if leaf is not None and (len(leaf.shape) != 1 or (leaf.shape[0] or 0) <= term.index):
            c.problems.append(f"{term.ref.full_path} (terminate one-hot): shape {list(leaf.shape)} is not a one-hot "
                              f"vector with an index {term.index}")
    elif term.type in ("float", "bool") and term.index is not None:
        leaf = c.numeric(term.ref, "terminate", kinds="b" if term.type == "bool" else "fiu")
        if leaf is not None and (_size(leaf) or 0) <= term.index:
            c.problems.append(f"{term.ref.full_path} (terminate): shape {list(leaf.shape)} has no element {term.index}")
    elif term.type in ("float", "bool"):
        c.numeric(term.ref, "terminate", size=1, kinds="b" if term.type == "bool" else "fiu")


def require_match(spec: DatasetSpec, features: Any, *, where: str = "the dataset") -> None:
    """Raise ``SpecError`` listing every mismatch with ``features`` (first line: the count and the first one)."""
    problems = check_features(spec, features)
    if problems:
        raise SpecError(
            f"spec {spec.name!r} does not match {where}: {len(problems)} mismatch(es), first: {problems[0]}"
            + "".join(f"\n  - {p}" for p in problems)
            + f"\n(run `rt2data schemas check {spec.name} DATASET_DIR`, or fix the spec {spec.source})"
        )


def proprio_dim(spec: DatasetSpec, features: Any) -> int:
    """P, the width of ``CanonicalEpisode.proprio`` for a dataset with these features (0 without proprio)."""
    table = feature_table(features)
    total = 0
    for ref in spec.proprio:
        leaf = table.get(ref.full_path)
        if leaf is None or any(d is None for d in leaf.shape):
            raise SpecError(f"spec {spec.name!r}: proprio field {ref.full_path} is missing or has no fixed shape")
        total += int(math.prod(leaf.shape))
    return total
