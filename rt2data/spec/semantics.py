"""A spec's action-semantics block: what the dataset's recorded action means and what the spec's output is.

``semantics:`` in a spec (``schemas/dataset_spec.schema.json``) states, with the catalog's own feature descriptions
quoted as provenance:

- ``space``: the space the spec *outputs*: ``eef_delta`` (the canonical RT-2 space when the dims are the RT-2
  default: end-effector deltas + absolute gripper in [-1 open, +1 closed] + terminate), or a space of its own
  (``eef_velocity``, ``eef_absolute``, ``joint_delta``, ``joint_position``, ``joint_velocity``, ``navigation``) for
  actions that cannot honestly be brought there;
- ``recorded``: what the dataset records (``eef_delta``, ``eef_absolute``, ``eef_velocity``, ``joint_*``,
  ``navigation``, ``non_numeric``, ``multimodal``), ``frame``, ``rotation`` and ``units`` as the source states them;
- ``gripper``: ``kind`` as recorded (``position``: an absolute opening/closedness, ``relative``: commands with
  0 = no change, ``binary``: open/closed, ``none``) and ``polarity`` (``closed_high`` / ``open_high``);
- ``control_hz`` where the catalog or the dataset's paper states it; ``provenance``: where the claims come from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from rt2data.errors import SpecError

__all__ = ["Semantics", "SPACES", "GRIPPER_KINDS", "GRIPPER_MODES"]

SPACES = ("eef_delta", "eef_velocity", "eef_absolute", "joint_delta", "joint_position", "joint_velocity",
          "navigation", "non_numeric", "multimodal", "unknown")
GRIPPER_KINDS = ("position", "relative", "binary", "none")
GRIPPER_MODES = ("absolute", "as-recorded")
"""``rt2data convert --gripper``: ``absolute`` runs the spec's gripper transforms, ``as-recorded`` skips them."""


@dataclass(frozen=True)
class Semantics:
    """The validated ``semantics:`` block (see the module docstring)."""

    space: str
    recorded: str
    gripper_kind: str
    gripper_polarity: str
    frame: str = "unknown"
    rotation: str = "unknown"
    units: str = "unknown"
    control_hz: float | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value, allowed in (("space", self.space, SPACES), ("recorded", self.recorded, SPACES),
                                     ("gripper.kind", self.gripper_kind, GRIPPER_KINDS)):
            if value not in allowed:
                raise SpecError(f"semantics.{name}: {value!r} is not one of {list(allowed)}")
        if self.control_hz is not None and not self.control_hz > 0:
            raise SpecError(f"semantics.control_hz: must be > 0, got {self.control_hz}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Semantics":
        grip = data.get("gripper", {})
        return cls(space=data["space"], recorded=data["recorded"], gripper_kind=grip.get("kind", "none"),
                   gripper_polarity=grip.get("polarity", "none"), frame=data.get("frame", "unknown"),
                   rotation=data.get("rotation", "unknown"), units=data.get("units", "unknown"),
                   control_hz=data.get("control_hz"), provenance=dict(data.get("provenance", {})))

    def describe(self) -> str:
        """One line: recorded -> output space, frame, rotation, units, gripper, rate."""
        hz = f", {self.control_hz:g} Hz" if self.control_hz else ""
        grip = "no gripper" if self.gripper_kind == "none" else f"gripper {self.gripper_kind} ({self.gripper_polarity})"
        return (f"records {self.recorded} (frame {self.frame}, rotation {self.rotation}, units {self.units}), "
                f"{grip}{hz}; output space {self.space}")
