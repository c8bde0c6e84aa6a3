"""The action space: an ordered list of named dimensions, each continuous (binned) or discrete (classes).

The action space is the contract between a robot action and the text a model reads and writes: it travels
as JSON in every output manifest so any consumer can decode action strings back to actions.

Canonical action vector = the dimensions in order. The RT-2 default (``ActionSpace.rt2_default()``) is
``terminate`` (discrete, 2 classes) first, then ``dx dy dz droll dpitch dyaw gripper``, each continuous in
[-1, 1] (normalized units) with 256 bins. Gripper: -1 = fully open, +1 = fully closed.

A continuous dimension with ``bins`` bins over [low, high] has the ``bins + 1`` equal-width edges
``numpy.linspace(low, high, bins + 1)``; token ``i`` is the bin ``[edges[i], edges[i+1])`` (the last bin also
holds ``high``) and decodes to the bin's center. A discrete dimension with ``classes`` k has tokens 0..k-1,
the class index itself.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from rt2data import io
from rt2data.errors import ActionSpaceError, DataError, EncodeError

__all__ = [
    "Dimension",
    "ActionSpace",
    "KINDS",
    "DEFAULT_BINS",
    "SCHEMA_VERSION",
    "as_action_array",
]

KINDS = ("continuous", "discrete")
DEFAULT_BINS = 256
SCHEMA_VERSION = 1
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_DIM_KEYS = {"continuous": {"name", "kind", "low", "high", "bins", "description"},
             "discrete": {"name", "kind", "classes", "description"}}


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class Dimension:
    """One named action dimension.

    Attributes:
        name: identifier (``[A-Za-z_][A-Za-z0-9_.-]*``, at most 64 characters), unique in its space.
        kind: ``"continuous"`` (binned into ``bins`` equal-width bins over [low, high]) or ``"discrete"``
            (``classes`` classes, tokens 0..classes-1).
        low: lower bound of a continuous dimension (in the units the discretizer sees, usually normalized).
        high: upper bound of a continuous dimension; ``low < high``.
        bins: number of bins of a continuous dimension (>= 2); left at the default for discrete ones.
        classes: number of classes k >= 2 of a discrete dimension; None for continuous ones.
        description: free text (units, sign convention); carried in the JSON, ignored by the codec.
    """

    name: str
    kind: str = "continuous"
    low: float | None = None
    high: float | None = None
    bins: int = DEFAULT_BINS
    classes: int | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise ActionSpaceError(
                f"dimension name {self.name!r} is invalid: use 1-64 characters of [A-Za-z0-9_.-] "
                "starting with a letter or underscore"
            )
        where = f"dimension {self.name!r}"
        if self.kind not in KINDS:
            raise ActionSpaceError(f"{where}: kind {self.kind!r} is not one of {list(KINDS)}")
        if not isinstance(self.description, str):
            raise ActionSpaceError(f"{where}: description must be a string, got {self.description!r}")
        if self.kind == "continuous":
            self._validate_continuous(where)
        else:
            self._validate_discrete(where)

    def _validate_continuous(self, where: str) -> None:
        if self.classes is not None:
            raise ActionSpaceError(f"{where}: 'classes' applies to discrete dimensions only (got {self.classes!r})")
        for field in ("low", "high"):
            value = getattr(self, field)
            if not _is_number(value) or not math.isfinite(float(value)):
                raise ActionSpaceError(f"{where}: continuous dimensions need a finite '{field}', got {value!r}")
            object.__setattr__(self, field, float(value))
        if not self.low < self.high:
            raise ActionSpaceError(f"{where}: low ({self.low!r}) must be smaller than high ({self.high!r})")
        if not _is_int(self.bins) or self.bins < 2:
            raise ActionSpaceError(f"{where}: bins must be an integer >= 2, got {self.bins!r}")
        object.__setattr__(self, "bins", int(self.bins))
        edges = np.linspace(self.low, self.high, self.bins + 1)
        centers = (edges[:-1] + edges[1:]) / 2
        if not (np.all(np.isfinite(edges)) and np.all(edges[:-1] < centers) and np.all(centers < edges[1:])):
            raise ActionSpaceError(
                f"{where}: [{self.low!r}, {self.high!r}] with {self.bins} bins is not representable in float64 "
                "(bins too narrow or range too wide); use fewer bins or a normalized range such as [-1, 1]"
            )

    def _validate_discrete(self, where: str) -> None:
        if self.low is not None or self.high is not None:
            raise ActionSpaceError(f"{where}: 'low'/'high' apply to continuous dimensions only; use 'classes'")
        if self.bins != DEFAULT_BINS:
            raise ActionSpaceError(f"{where}: 'bins' applies to continuous dimensions only; use 'classes'")
        if not _is_int(self.classes) or self.classes < 2:
            raise ActionSpaceError(f"{where}: discrete dimensions need an integer 'classes' >= 2, got {self.classes!r}")
        object.__setattr__(self, "classes", int(self.classes))

    @classmethod
    def continuous(
        cls, name: str, low: float = -1.0, high: float = 1.0, *, bins: int = DEFAULT_BINS, description: str = ""
    ) -> "Dimension":
        """A continuous dimension over [low, high] with ``bins`` equal-width bins."""
        return cls(name, "continuous", low=low, high=high, bins=bins, description=description)

    @classmethod
    def discrete(cls, name: str, classes: int, *, description: str = "") -> "Dimension":
        """A discrete dimension with ``classes`` classes (tokens 0..classes-1)."""
        return cls(name, "discrete", classes=classes, description=description)

    @property
    def is_continuous(self) -> bool:
        return self.kind == "continuous"

    @property
    def n_tokens(self) -> int:
        """Number of distinct tokens: ``bins`` (continuous) or ``classes`` (discrete)."""
        return self.bins if self.kind == "continuous" else int(self.classes)  # type: ignore[arg-type]

    @property
    def bin_width(self) -> float | None:
        """Width of one bin, ``(high - low) / bins``; None for discrete dimensions."""
        return (self.high - self.low) / self.bins if self.kind == "continuous" else None  # type: ignore[operator]

    def edges(self) -> np.ndarray:
        """float64[bins + 1]: the bin edges ``linspace(low, high, bins + 1)`` (continuous only)."""
        if self.kind != "continuous":
            raise ActionSpaceError(f"dimension {self.name!r} is discrete and has no bin edges")
        return np.linspace(self.low, self.high, self.bins + 1)

    def centers(self) -> np.ndarray:
        """float64[n_tokens]: the value each token decodes to (bin centers, or class indices)."""
        if self.kind != "continuous":
            return np.arange(self.n_tokens, dtype=np.float64)
        edges = self.edges()
        return (edges[:-1] + edges[1:]) / 2

    def to_json(self) -> dict[str, Any]:
        """JSON-able dict; only the fields that apply to the kind."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "continuous":
            out.update(low=self.low, high=self.high, bins=self.bins)
        else:
            out["classes"] = self.classes
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Dimension":
        """Inverse of ``to_json``; unknown or misplaced keys are errors, not ignored."""
        if not isinstance(data, Mapping):
            raise ActionSpaceError(f"a dimension must be a JSON object, got {type(data).__name__}: {data!r}")
        name = data.get("name", "<unnamed>")
        kind = data.get("kind", "continuous")
        if kind not in KINDS:
            raise ActionSpaceError(f"dimension {name!r}: kind {kind!r} is not one of {list(KINDS)}")
        unknown = set(data) - _DIM_KEYS[kind]
        if unknown:
            raise ActionSpaceError(
                f"dimension {name!r} ({kind}): unknown keys {sorted(unknown)}; allowed: {sorted(_DIM_KEYS[kind])}"
            )
        if "name" not in data:
            raise ActionSpaceError(f"dimension {dict(data)!r} has no 'name'")
        if kind == "continuous":
            missing = [k for k in ("low", "high") if k not in data]
            if missing:
                raise ActionSpaceError(f"dimension {name!r}: continuous dimensions need {missing}")
            return cls(name, kind, low=data["low"], high=data["high"], bins=data.get("bins", DEFAULT_BINS),
                       description=data.get("description", ""))
        if "classes" not in data:
            raise ActionSpaceError(f"dimension {name!r}: discrete dimensions need 'classes'")
        return cls(name, kind, classes=data["classes"], description=data.get("description", ""))


@dataclass(frozen=True)
class ActionSpace:
    """An ordered, non-empty tuple of uniquely named dimensions: the canonical action vector's layout.

    Attributes:
        dims: the dimensions in canonical order (a list is converted to a tuple).
    """

    dims: tuple[Dimension, ...]

    def __post_init__(self) -> None:
        if isinstance(self.dims, (str, bytes)) or not isinstance(self.dims, Sequence):
            raise ActionSpaceError(f"dims must be a sequence of Dimension, got {type(self.dims).__name__}")
        dims = tuple(self.dims)
        if not dims:
            raise ActionSpaceError("an action space needs at least one dimension")
        for i, dim in enumerate(dims):
            if not isinstance(dim, Dimension):
                raise ActionSpaceError(f"dims[{i}] is a {type(dim).__name__}, expected Dimension")
        names = [d.name for d in dims]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ActionSpaceError(f"dimension names must be unique; repeated: {duplicates}")
        object.__setattr__(self, "dims", dims)

    @classmethod
    def rt2_default(cls) -> "ActionSpace":
        """RT-2's 8-dimensional space: terminate {0, 1}, then 6 deltas and the gripper in [-1, 1], 256 bins."""
        dims = [Dimension.discrete("terminate", 2, description="1 on the step that ends the episode")]
        for name, what in (
            ("dx", "position delta x"), ("dy", "position delta y"), ("dz", "position delta z"),
            ("droll", "rotation delta roll"), ("dpitch", "rotation delta pitch"), ("dyaw", "rotation delta yaw"),
        ):
            dims.append(Dimension.continuous(name, -1.0, 1.0, description=f"{what}, normalized units"))
        dims.append(Dimension.continuous("gripper", -1.0, 1.0, description="-1 fully open, +1 fully closed"))
        return cls(tuple(dims))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dims)

    @property
    def n_tokens(self) -> tuple[int, ...]:
        """Number of tokens per dimension."""
        return tuple(d.n_tokens for d in self.dims)

    @property
    def continuous_mask(self) -> tuple[bool, ...]:
        return tuple(d.is_continuous for d in self.dims)

    def __len__(self) -> int:
        return len(self.dims)

    def __iter__(self) -> Iterator[Dimension]:
        return iter(self.dims)

    def __getitem__(self, key: int | str) -> Dimension:
        if isinstance(key, str):
            return self.dims[self.index(key)]
        return self.dims[key]

    def index(self, name: str) -> int:
        """Position of the dimension called ``name``."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ActionSpaceError(f"no dimension named {name!r}; dimensions: {list(self.names)}") from None

    def to_json(self) -> dict[str, Any]:
        """``{"version": 1, "dimensions": [...]}``; described by ``schemas/action_space.schema.json``."""
        return {"version": SCHEMA_VERSION, "dimensions": [d.to_json() for d in self.dims]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ActionSpace":
        """Inverse of ``to_json``; raises ``ActionSpaceError`` naming the dimension and field."""
        if not isinstance(data, Mapping):
            raise ActionSpaceError(f"an action space must be a JSON object, got {type(data).__name__}")
        unknown = set(data) - {"version", "dimensions"}
        if unknown:
            raise ActionSpaceError(f"action space: unknown keys {sorted(unknown)}; expected 'version', 'dimensions'")
        version = data.get("version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ActionSpaceError(f"action space version {version!r} is not supported (this rt2data reads 1)")
        dims = data.get("dimensions")
        if not isinstance(dims, list):
            raise ActionSpaceError(f"action space: 'dimensions' must be a list of objects, got {dims!r}")
        return cls(tuple(Dimension.from_json(d) for d in dims))

    @classmethod
    def load(cls, path: str | Path) -> "ActionSpace":
        """Read an action-space JSON file (a local path or a URL, through ``rt2data.io``); errors name the file."""
        try:
            data = json.loads(io.read_text(path))
        except (DataError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ActionSpaceError(f"cannot read action space {path}: {exc}") from exc
        try:
            return cls.from_json(data)
        except ActionSpaceError as exc:
            raise ActionSpaceError(f"{path}: {exc}") from exc

    def describe(self) -> str:
        """One line per dimension, for logs and ``--help`` output."""
        lines = []
        for i, d in enumerate(self.dims):
            rng = f"[{d.low:g}, {d.high:g}] {d.bins} bins" if d.is_continuous else f"{d.classes} classes"
            lines.append(f"{i}: {d.name} ({d.kind}, {rng})")
        return "\n".join(lines)


def as_action_array(
    values: Any, n_dims: int, *, names: Sequence[str] | None = None, what: str = "action"
) -> tuple[np.ndarray, bool]:
    """Check and convert actions to float64[N, D].

    Args:
        values: float[N, D] or float[D] (one action), anything ``numpy.asarray`` takes.
        n_dims: expected D.
        names: dimension names, for error messages.
        what: noun for error messages ("action", "normalized action").

    Returns:
        (float64[N, D] array, True if the input was one action of shape [D]).

    Raises:
        EncodeError: not numeric, wrong shape or D, NaN or inf (naming row, dimension and value).
    """
    try:
        arr = np.asarray(values)
        if arr.dtype.kind in "USV":
            raise TypeError(f"got {arr.dtype} values")  # numpy would silently parse "1.5" as a number
        arr = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise EncodeError(f"{what}s must be numbers in an array of shape [N, {n_dims}] or [{n_dims}]: {exc}") from exc
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n_dims:
        shape = tuple(np.shape(values)) if single else arr.shape
        raise EncodeError(
            f"{what}s have shape {shape} but the action space has {n_dims} dimensions "
            f"({', '.join(names) if names else ''}): expected [N, {n_dims}] or [{n_dims}]"
        )
    finite = np.isfinite(arr)
    if not finite.all():
        row, col = (int(i) for i in np.argwhere(~finite)[0])
        name = names[col] if names else str(col)
        raise EncodeError(
            f"{what} row {row}, dimension {name!r} (index {col}): value {float(arr[row, col])!r} is not finite "
            f"({int((~finite).sum())} non-finite value(s) in total); NaN and inf cannot be encoded"
        )
    return arr, single
