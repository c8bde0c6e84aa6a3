"""Standardize one raw RLDS episode into a ``CanonicalEpisode`` with a dataset spec.

The canonical episode is what the rest of rt2data sees, whatever the dataset's layout:

- ``images``: the primary camera's encoded bytes per step, untouched (``image_format`` sniffed from the bytes;
  an image stored as a raw uint8 tensor is PNG-encoded); ``wrist_images`` likewise when the spec names one;
- ``instructions``: the raw text per step (un-normalized), ``None`` where there is none or it is blank;
- ``actions``: float64[N, D], the action space's dimensions in order, in dataset units: ``terminate`` 0/1 first
  when the space has it, then the spec's action parts concatenated, the gripper column mapped to
  [-1 = fully open, +1 = fully closed]; non-finite values are passed on (the converter drops and counts them);
- ``proprio``: float64[N, P] of the spec's proprio fields (statistics only), or None;
- ``is_first``/``is_last``/``is_terminal``: bool[N].

A field of the wrong shape or type raises ``DataError`` naming the episode, the step (where one step is at
fault) and the field; a field the spec names that the episode lacks raises ``SpecError``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rt2data.errors import DataError, SpecError
from rt2data.example import sniff_image_format
from rt2data.spec.model import DatasetSpec, GripperSpec, Ref, TerminateSpec
from rt2data.spec.transforms import apply_steps
from rt2data.spec.transforms.subsample import subsample_indices

__all__ = ["CanonicalEpisode", "standardize", "gripper_to_canonical", "decode_utf8_codes"]


@dataclass(frozen=True, eq=False)
class CanonicalEpisode:
    """One episode in canonical form (see the module docstring for every field's convention)."""

    episode_id: str
    images: list[bytes]
    image_format: str
    wrist_images: list[bytes] | None
    instructions: list[str | None]
    actions: np.ndarray
    proprio: np.ndarray | None
    is_first: np.ndarray
    is_last: np.ndarray
    is_terminal: np.ndarray
    source_path: str
    record_index: int
    spec_name: str = ""

    def __post_init__(self) -> None:
        n = self.num_steps
        sizes = {"images": len(self.images), "instructions": len(self.instructions), "is_first": len(self.is_first),
                 "is_last": len(self.is_last), "is_terminal": len(self.is_terminal)}
        if self.wrist_images is not None:
            sizes["wrist_images"] = len(self.wrist_images)
        if self.proprio is not None:
            sizes["proprio"] = len(self.proprio)
        bad = {k: v for k, v in sizes.items() if v != n}
        if self.actions.ndim != 2 or bad:
            raise DataError(f"episode {self.episode_id!r}: actions {self.actions.shape} and {bad} disagree on N")
        for arr in (self.actions, self.proprio, self.is_first, self.is_last, self.is_terminal):
            if arr is not None:
                arr.setflags(write=False)

    @property
    def num_steps(self) -> int:
        return int(self.actions.shape[0])


def gripper_to_canonical(values: np.ndarray, grip: GripperSpec) -> np.ndarray:
    """Map source gripper values (float or bool, [N]) to canonical [-1 open, +1 closed].

    continuous: ``open_value`` -> -1, the other end of ``range`` -> +1, linear between (values outside the range
    map outside [-1, 1]; the codec clips and counts). With ``threshold``: the open side -> -1, the rest +1.
    bool: ``true_means`` says what True is.
    """
    values = np.asarray(values, dtype=np.float64)
    if grip.type == "bool":
        is_true = values > 0.5
        return np.where(is_true, -1.0, 1.0) if grip.true_means == "open" else np.where(is_true, 1.0, -1.0)
    a, b = grip.range
    open_v = float(grip.open_value)
    closed_v = b if open_v == a else a
    out = -1.0 + 2.0 * (values - open_v) / (closed_v - open_v)
    if grip.threshold is not None:
        cut = -1.0 + 2.0 * (float(grip.threshold) - open_v) / (closed_v - open_v)
        out = np.where(np.isnan(out), out, np.where(out < cut, -1.0, 1.0))
    return out


def decode_utf8_codes(codes: np.ndarray) -> str:
    """An integer vector of UTF-8 byte values, zero padded (language_table), to text (up to the first zero)."""
    codes = np.asarray(codes)
    zeros = np.flatnonzero(codes == 0)
    codes = codes[: zeros[0]] if zeros.size else codes
    if codes.size and (codes.min() < 0 or codes.max() > 255):
        raise ValueError(f"values outside 0..255 (min {codes.min()}, max {codes.max()})")
    return bytes(codes.astype(np.uint8)).decode("utf-8")


class _Episode:
    """The raw episode plus its id, for field access with errors that say where."""

    def __init__(self, spec: DatasetSpec, raw: Any):
        self.spec, self.raw = spec, raw
        self.n = raw.num_steps
        self.where = raw.describe()
        self.episode_id = _episode_id(spec, raw)

    def fail(self, field: str, what: str, step: int | None = None) -> DataError:
        at = f", step {step}" if step is not None else ""
        return DataError(f"episode {self.episode_id!r} ({self.where}{at}): field {field}: {what}")

    def get(self, ref: Ref, role: str) -> Any:
        try:
            return self.raw.get(ref.full_path)
        except KeyError as exc:
            raise SpecError(
                f"spec {self.spec.name!r}: {role} field {ref.full_path} is not in episode {self.episode_id!r}: "
                f"{exc.args[0]}; run `rt2data schemas check {self.spec.name} DATASET_DIR`"
            ) from None

    def rows(self, ref: Ref, role: str, width: int | None = None) -> np.ndarray:
        """The step field as float64[N, W] (a scalar per step becomes W=1)."""
        value = np.asarray(self.get(ref, role))
        if value.dtype == np.object_ or value.ndim == 0 or value.shape[0] != self.n:
            raise self.fail(ref.full_path, f"{role} has shape {value.shape} dtype {value.dtype}; "
                                           f"expected {self.n} numeric rows (one per step)")
        rows = value.reshape(self.n, -1).astype(np.float64)
        if width is not None and rows.shape[1] != width:
            raise self.fail(ref.full_path, f"{role} has shape {value.shape}: {rows.shape[1]} values per step, "
                                           f"the spec needs {width}")
        return rows


def _text(value: Any) -> str | None:
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
    return text if text.strip() else None


def _episode_id(spec: DatasetSpec, raw: Any) -> str:
    parts = []
    for ref in spec.episode_id_keys:
        if not raw.has(ref.full_path):
            parts = []
            break
        value = raw.get(ref.full_path)
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(()).item()
        text = _text(value) if isinstance(value, (bytes, str, np.ndarray)) else str(value)
        if not text:
            parts = []
            break
        parts.append(text)
    if parts:
        return "/".join(parts)
    if spec.episode_id_fallback == "error" and spec.episode_id_keys:
        keys = [r.full_path for r in spec.episode_id_keys]
        raise DataError(f"{raw.describe()}: episode id fields {keys} are missing or empty (episode_id.fallback: error)")
    return f"{Path(raw.path).name}#{raw.record_index}"


def _images(ep: _Episode, ref: Ref, role: str) -> tuple[list[bytes], str]:
    value = ep.get(ref, role)
    if isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.ndim == 4 and value.shape[0] == ep.n:
        value = [_png(frame) for frame in value]  # an image stored as a raw uint8 tensor
    elif not isinstance(value, np.ndarray) or value.dtype != np.object_ or value.shape != (ep.n,):
        shape = getattr(value, "shape", None)
        raise ep.fail(ref.full_path, f"{role} is {type(value).__name__} {shape}; expected {ep.n} encoded images")
    images, fmt = [], None
    for t, data in enumerate(value):
        kind = sniff_image_format(data) if isinstance(data, bytes) and data else None
        if kind is None:
            head = data[:8] if isinstance(data, bytes) else type(data).__name__
            raise ep.fail(ref.full_path, f"{role} is not an encoded image (starts with {head!r})", step=t)
        if fmt is not None and kind != fmt:
            raise ep.fail(ref.full_path, f"{role} is {kind} but earlier steps are {fmt}", step=t)
        fmt = kind
        images.append(bytes(data))
    return images, fmt or "png"


def _png(frame: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(frame[..., 0] if frame.shape[-1] == 1 else frame).save(buf, format="PNG")
    return buf.getvalue()


def _instructions(ep: _Episode) -> list[str | None]:
    spec = ep.spec
    out: list[str | None] = [None] * ep.n
    for ref in spec.instruction_sources:
        value = ep.get(ref, "instruction")
        if ref.level == "episode" and spec.instruction_encoding == "text":
            per_step = [value] * ep.n
        else:
            arr = np.asarray(value)
            if ref.level == "episode":
                arr = np.broadcast_to(arr, (ep.n, *arr.shape))
            if arr.shape[0] != ep.n:
                raise ep.fail(ref.full_path, f"instruction has {arr.shape[0]} rows for {ep.n} steps")
            per_step = list(arr)
        for t, item in enumerate(per_step):
            if out[t] is not None:
                continue
            try:
                out[t] = _text(item) if spec.instruction_encoding == "text" else (decode_utf8_codes(item) or None)
            except (UnicodeDecodeError, ValueError) as exc:
                raise ep.fail(ref.full_path, f"instruction is not valid UTF-8 text: {exc}", step=t) from None
    return out


def _terminate(ep: _Episode, term: TerminateSpec) -> np.ndarray:
    if term.type == "none":
        return np.zeros(ep.n)
    if term.type in ("is_terminal", "is_last"):
        return _flag(ep, term.type).astype(np.float64)
    if term.type == "one_hot":
        rows = ep.rows(term.ref, "terminate one-hot")
        if rows.shape[1] <= term.index:
            raise ep.fail(term.ref.full_path, f"terminate one-hot has {rows.shape[1]} entries, no index {term.index}")
        return (rows[:, term.index] > 0).astype(np.float64)
    if term.index is not None:  # one element of a vector (a flat action's terminate entry)
        rows = ep.rows(term.ref, "terminate")
        if rows.shape[1] <= term.index:
            raise ep.fail(term.ref.full_path, f"terminate field has {rows.shape[1]} values, no index {term.index}")
        values = rows[:, term.index]
    else:
        values = ep.rows(term.ref, "terminate", 1)[:, 0]
    return (values > (0.5 if term.type == "bool" else term.threshold)).astype(np.float64)


def _actions(ep: _Episode) -> np.ndarray:
    spec = ep.spec
    blocks = []
    for part in spec.action_parts:
        if part.ref is None:
            blocks.append(np.full((ep.n, part.size), part.constant))
        elif part.start is not None:
            rows = ep.rows(part.ref, "action")
            if rows.shape[1] < part.stop:
                raise ep.fail(part.ref.full_path, f"action has {rows.shape[1]} values per step; the spec slices "
                                                  f"[{part.start}, {part.stop})")
            blocks.append(apply_steps(part.transforms, rows[:, part.start:part.stop]))
        else:
            blocks.append(apply_steps(part.transforms, ep.rows(part.ref, "action", part.in_size or part.size)))
    values = np.concatenate(blocks, axis=1)
    if spec.terminate_column is not None:
        values = np.concatenate([_terminate(ep, spec.terminate)[:, None], values], axis=1)
    if spec.gripper is not None:
        values[:, spec.gripper.column] = gripper_to_canonical(values[:, spec.gripper.column], spec.gripper)
    return values


def _flag(ep: _Episode, name: str) -> np.ndarray:
    if not ep.raw.has(f"steps/{name}"):
        t = np.arange(ep.n)
        return t == 0 if name == "is_first" else (t == ep.n - 1 if name == "is_last" else np.zeros(ep.n, bool))
    value = np.asarray(ep.raw.get(f"steps/{name}"))
    if value.shape != (ep.n,):
        raise ep.fail(f"steps/{name}", f"has shape {value.shape}; expected ({ep.n},)")
    return value.astype(bool)


class _Subsampled:
    """A raw episode seen through a step selection (spec ``subsample``): step fields keep only rows ``keep``."""

    def __init__(self, raw: Any, keep: np.ndarray):
        self._raw, self._keep = raw, keep
        self.num_steps = len(keep)
        self.path, self.record_index = raw.path, raw.record_index

    def describe(self) -> str:
        return self._raw.describe()

    def has(self, path: str) -> bool:
        return self._raw.has(path)

    def get(self, path: str) -> Any:
        value = self._raw.get(path)
        if path.startswith("steps/") and path != "steps":
            return value[self._keep] if isinstance(value, np.ndarray) else [value[i] for i in self._keep]
        return value


def standardize(spec: DatasetSpec, raw: Any) -> CanonicalEpisode:
    """``RawEpisode`` -> ``CanonicalEpisode`` with ``spec``.

    Raises:
        DataError: a field with the wrong shape/type, undecodable text, non-image bytes, an empty episode
            (names episode, step and field).
        SpecError: a field the spec names is not in the episode.
    """
    if spec.subsample > 1:
        raw = _Subsampled(raw, subsample_indices(raw.num_steps, spec.subsample))
    ep = _Episode(spec, raw)
    if ep.n == 0:
        raise DataError(f"episode {ep.episode_id!r} ({ep.where}): has no steps")
    images, fmt = _images(ep, spec.primary_image, "primary image")
    wrist = _images(ep, spec.wrist_image, "wrist image")[0] if spec.wrist_image is not None else None
    proprio = np.concatenate([ep.rows(r, "proprio") for r in spec.proprio], axis=1) if spec.proprio else None
    return CanonicalEpisode(
        episode_id=ep.episode_id, images=images, image_format=fmt, wrist_images=wrist,
        instructions=_instructions(ep), actions=_actions(ep), proprio=proprio,
        is_first=_flag(ep, "is_first"), is_last=_flag(ep, "is_last"), is_terminal=_flag(ep, "is_terminal"),
        source_path=raw.path, record_index=raw.record_index, spec_name=spec.name,
    )
