"""Spec-language transforms: small pure numpy functions on action columns, a registry keyed by name.

A spec's action entry may list transforms (``transforms: [rel2abs_gripper]`` or
``transforms: [{name: quat_to_rpy, order: wxyz}]``); they run in order on that entry's values, float64[N, k]
(N steps, k values per step), and each returns float64[N, m]. Every transform is one module here:

==================  ==========  ===============================================================================
name                width        what
==================  ==========  ===============================================================================
rel2abs_gripper     1 -> 1      relative gripper commands (+1 close, -1 open, 0 no change) -> absolute state
                                (+1 closed, -1 open), Octo's ``rel2abs_gripper_actions`` rule
binarize_gripper    1 -> 1      a continuous gripper -> {0, 1} by look-ahead (Octo's ``binarize_gripper_actions``)
abs_to_delta        k -> k      absolute values (poses, states) -> per-step deltas x[t+1] - x[t]; last step 0
quat_to_rpy         4 -> 3      quaternion -> roll, pitch, yaw (extrinsic x-y-z)
axis_angle_to_rpy   3 -> 3      rotation vector (axis * angle) -> roll, pitch, yaw
euler_to_rpy        3 -> 3      Euler angles in another order (scipy-style ``zxy``, ``ZYX``) -> roll, pitch, yaw
chunk_first         c*w -> w    the first step of a recorded chunk of c future actions
select_arm          a*w -> w    one arm's block of a multi-arm action
==================  ==========  ===============================================================================

Transforms marked ``gripper`` change what the gripper value means (a command stream becomes a state); they are
skipped under ``rt2data convert --gripper as-recorded``. Step selection (``subsample``) acts on whole episodes and
lives in ``rt2data.spec.transforms.subsample``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from rt2data.errors import SpecError
from rt2data.spec.transforms import (
    abs_to_delta, axis_angle_to_rpy, binarize_gripper, chunk_first, euler_to_rpy, quat_to_rpy, rel2abs_gripper,
    select_arm,
)

__all__ = ["Transform", "TransformStep", "TRANSFORMS", "parse_steps", "apply_steps", "output_width"]


@dataclass(frozen=True)
class Transform:
    """A registered transform: ``fn(values float64[N, k], **args) -> float64[N, m]``.

    ``width(k, args)`` gives m, or raises ``ValueError`` saying which input widths it takes.
    """

    name: str
    fn: Callable[..., np.ndarray]
    width: Callable[[int, Mapping[str, Any]], int]
    args: Mapping[str, type] = field(default_factory=dict)
    gripper: bool = False


def _module(mod: Any, *, gripper: bool = False) -> Transform:
    return Transform(mod.NAME, mod.apply, mod.width, dict(mod.ARGS), gripper)


TRANSFORMS: dict[str, Transform] = {t.name: t for t in (
    _module(rel2abs_gripper, gripper=True), _module(binarize_gripper, gripper=True), _module(abs_to_delta),
    _module(quat_to_rpy), _module(axis_angle_to_rpy), _module(euler_to_rpy), _module(chunk_first),
    _module(select_arm),
)}
"""Transform name -> ``Transform``."""


@dataclass(frozen=True)
class TransformStep:
    """One use of a transform in a spec: its name and its arguments."""

    name: str
    args: tuple[tuple[str, Any], ...] = ()

    @property
    def transform(self) -> Transform:
        return TRANSFORMS[self.name]

    def __call__(self, values: np.ndarray) -> np.ndarray:
        return self.transform.fn(np.asarray(values, dtype=np.float64), **dict(self.args))


def parse_steps(items: Any, *, where: str) -> tuple[TransformStep, ...]:
    """``transforms:`` list of a spec entry -> steps; names and argument names/types are checked.

    Raises:
        SpecError: unknown transform or argument, or an argument of the wrong type (names ``where``).
    """
    steps = []
    for i, item in enumerate(items or ()):
        spec = {"name": item} if isinstance(item, str) else dict(item)
        name = spec.pop("name", None)
        if name not in TRANSFORMS:
            raise SpecError(f"{where}.transforms.{i}: unknown transform {name!r}; known: {sorted(TRANSFORMS)}")
        allowed = TRANSFORMS[name].args
        for key, value in spec.items():
            if key not in allowed:
                raise SpecError(f"{where}.transforms.{i}: {name} has no argument {key!r}; arguments: {sorted(allowed)}")
            kind = allowed[key]
            ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                ok, value = True, float(value)
            if not ok:
                raise SpecError(f"{where}.transforms.{i}: {name}.{key} = {value!r} is not a {kind.__name__}")
            spec[key] = value
        steps.append(TransformStep(name, tuple(sorted(spec.items()))))
    return tuple(steps)


def output_width(steps: tuple[TransformStep, ...], width: int, *, where: str) -> int:
    """The width after ``steps`` for ``width`` input values; raises ``SpecError`` when a transform refuses it."""
    for step in steps:
        try:
            width = step.transform.width(width, dict(step.args))
        except ValueError as exc:
            raise SpecError(f"{where}: transform {step.name}: {exc}") from None
    return width


def apply_steps(steps: tuple[TransformStep, ...], values: np.ndarray, *, gripper: str = "absolute") -> np.ndarray:
    """Run ``steps`` on float64[N, k] in order; ``gripper='as-recorded'`` skips the gripper-meaning transforms."""
    out = np.asarray(values, dtype=np.float64)
    for step in steps:
        if gripper == "as-recorded" and step.transform.gripper:
            continue
        out = step(out)
    return out
