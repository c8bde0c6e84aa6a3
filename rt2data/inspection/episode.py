"""One episode step by step: the action string, the action decoded from it, the raw action, the error in bins.

An episode is chosen by its ``episode_id`` or, when no episode has that id and the ID is an integer, by its index in
the list of the output's episodes sorted by (source, episode_id). :attr:`EpisodeTable.selected_by` says which.

Error in bins, per dimension: ``(raw - decoded) / bin width in raw units``. Within the normalization range it
lies in [-0.5, 0.5]; a clipped value shows how far outside the range it was. For a discrete dimension the bin
width is one class. (The bin width in raw units is the action-space bin width times the slope of the
denormalization, so it needs only the codec's public API.)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rt2data.codec.action_codec import ActionCodec
from rt2data.errors import ConfigError, Rt2DataError
from rt2data.example import Example
from rt2data.codec.chunks import parse_chunk
from rt2data.prompt import split_target

__all__ = ["StepRow", "EpisodeTable", "episode_table", "list_episodes", "raw_bin_widths", "error_in_bins"]


@dataclass(frozen=True)
class StepRow:
    """One step of the episode.

    Attributes:
        step: step index. key: example key. instruction: the example's instruction.
        action_text: the action string of the target. tokens: parsed from it (None when it does not parse).
        raw: the raw action (dataset units). decoded: the action decoded from the tokens (raw units).
        err_bins: (raw - decoded) in bins per dimension (None where unknown).
        copies: how many examples hold this step (a mixture may repeat a step).
        problem: why tokens/decoded are missing, if they are.
    """

    step: int
    key: str
    instruction: str | None
    action_text: str
    tokens: tuple[int, ...] | None
    raw: tuple[float, ...]
    decoded: tuple[float, ...] | None
    err_bins: tuple[float | None, ...] | None
    copies: int = 1
    problem: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {"step": self.step, "key": self.key, "instruction": self.instruction, "action_text": self.action_text,
                "tokens": None if self.tokens is None else list(self.tokens), "raw": list(self.raw),
                "decoded": None if self.decoded is None else list(self.decoded),
                "err_bins": None if self.err_bins is None else list(self.err_bins), "copies": self.copies,
                "problem": self.problem}


@dataclass(frozen=True)
class EpisodeTable:
    """What ``rt2data inspect PATH --episode ID`` shows (``images`` feed the plot's frame strip)."""

    source: str
    episode_id: str
    selected_by: str
    dims: tuple[str, ...]
    rows: tuple[StepRow, ...]
    images: tuple[bytes, ...] = field(default=(), repr=False)
    image_format: str = "jpg"
    codec_known: bool = True

    def missing_steps(self) -> list[int]:
        """Steps between the first and the last one shown that the output does not hold (dropped or not drawn)."""
        present = {r.step for r in self.rows}
        return [s for s in range(min(present), max(present) + 1) if s not in present] if present else []

    def max_abs_err_bins(self) -> list[float | None]:
        """Largest |error| in bins per dimension over the steps (None where unknown)."""
        out: list[float | None] = []
        for i in range(len(self.dims)):
            values = [abs(r.err_bins[i]) for r in self.rows if r.err_bins is not None and r.err_bins[i] is not None]
            out.append(max(values) if values else None)
        return out

    def to_json_dict(self) -> dict[str, Any]:
        return {"source": self.source, "episode_id": self.episode_id, "selected_by": self.selected_by,
                "dims": list(self.dims), "codec_known": self.codec_known,
                "max_abs_err_bins": self.max_abs_err_bins(),
                "missing_steps": self.missing_steps(), "steps": [r.to_json_dict() for r in self.rows]}


def raw_bin_widths(codec: ActionCodec) -> np.ndarray:
    """float64[D]: width of one bin in raw units (1.0 per class for discrete dims; 0 for constant dims)."""
    space = codec.action_space
    d = len(space)
    width = np.asarray([dim.bin_width if dim.is_continuous else 1.0 for dim in space], dtype=np.float64)
    norm = codec.normalization
    slope = norm.denormalize(np.ones((1, d))) - norm.denormalize(np.zeros((1, d)))
    return width * np.abs(slope[0])


def error_in_bins(codec: ActionCodec, raw: np.ndarray, tokens: np.ndarray, *,
                  widths: np.ndarray | None = None) -> np.ndarray:
    """``(raw - decode(tokens)) / bin width in raw units``, float64[N, D]; NaN where a bin has no width.

    Args:
        codec: the codec that made the tokens.
        raw: float[N, D] raw actions. tokens: int[N, D].
        widths: :func:`raw_bin_widths` of the codec (computed when None).
    """
    widths = raw_bin_widths(codec) if widths is None else widths
    diff = np.asarray(raw, dtype=np.float64) - codec.decode_tokens(np.asarray(tokens, dtype=np.int64))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(widths > 0, diff / np.where(widths > 0, widths, 1.0), np.nan)


def list_episodes(examples) -> list[tuple[str, str]]:
    """The ``(source, episode_id)`` of every episode with action examples, sorted."""
    return _episodes((e.kind, e.source, e.episode_id) for e in examples)


def _episodes(triples) -> list[tuple[str, str]]:
    """:func:`list_episodes` of ``(kind, source, episode_id)`` triples."""
    return sorted({(source, episode) for kind, source, episode in triples if kind == "action" and episode is not None})


def _row(example: Example, codec: ActionCodec | None, widths: np.ndarray | None, copies: int) -> StepRow:

    raw = tuple(example.action_raw or ())
    horizon = example.chunk_steps or 1  # a chunk's row shows its first step (the step's own action)
    if horizon > 1:
        raw = raw[: len(raw) // horizon]
    tokens = decoded = err = problem = None
    try:
        _, text = split_target(example.target)
    except Rt2DataError as exc:
        text, problem = example.target, str(exc)
    if codec is None:
        problem = "no codec recorded for this source"
    elif problem is None:
        try:
            tokens = tuple(parse_chunk(text, codec.action_space, horizon)[0].tolist())
            decoded = tuple(float(v) for v in codec.decode_tokens(np.asarray(tokens, dtype=np.int64)))
            if len(raw) == len(decoded):
                errors = error_in_bins(codec, np.asarray([raw]), np.asarray([tokens]), widths=widths)[0]
                err = tuple(None if np.isnan(e) else float(e) for e in errors)
        except Rt2DataError as exc:
            problem = str(exc)
    return StepRow(step=int(example.step or 0), key=example.key, instruction=example.instruction, action_text=text,
                   tokens=tokens, raw=raw, decoded=decoded, err_bins=err, copies=copies, problem=problem)


def _select(inspectable, episode: str, source: str | None) -> tuple[str, str, str]:
    """(source, episode_id, how it was selected) or ConfigError naming the choices."""
    episodes = _episodes((f["kind"], f["source"], f["episode_id"]) for f, _ in inspectable.records())  # no Example
    if source is not None:
        episodes = [e for e in episodes if e[0] == source]
    if not episodes:
        where = f" of source {source!r}" if source else ""
        raise ConfigError(f"{inspectable.path} has no action episodes{where}; --episode needs robot examples")
    exact = [e for e in episodes if e[1] == episode]
    if exact:
        more = f" (also in sources {[s for s, _ in exact[1:]]}; pick one with --source)" if len(exact) > 1 else ""
        return exact[0][0], exact[0][1], f"episode_id {episode!r}{more}"
    try:
        index = int(episode)
    except ValueError:
        index = None
    if index is None or not -len(episodes) <= index < len(episodes):
        raise ConfigError(
            f"no episode {episode!r} in {inspectable.path}: give an episode_id (e.g. {episodes[0][1]!r}) or an index "
            f"0..{len(episodes) - 1} into the {len(episodes)} episodes sorted by source and episode_id"
        )
    chosen = episodes[index]
    return chosen[0], chosen[1], f"index {index} of {len(episodes)} episodes sorted by (source, episode_id)"


def episode_table(inspectable, episode: str, *, source: str | None = None) -> EpisodeTable:
    """The per-step table of one episode.

    Args:
        inspectable: from ``rt2data.inspection.open_inspectable``.
        episode: an ``episode_id``, or an integer index into the sorted episode list.
        source: restrict to one robot source (a mixture may hold the same episode id in two sources).

    Raises:
        ConfigError: no such episode (the message gives an example id and the index range).
    """
    src, episode_id, how = _select(inspectable, episode, source)
    by_step: dict[int, Example] = {}
    copies: Counter[int] = Counter()
    for fields, image in inspectable.records():  # an Example is built for the episode's steps only
        if fields["kind"] == "action" and fields["source"] == src and fields["episode_id"] == episode_id:
            step = int(fields["step"] or 0)
            copies[step] += 1
            if step not in by_step:
                by_step[step] = Example.from_json_dict(fields, image)
    codec = inspectable.codec_for(src)
    widths = raw_bin_widths(codec) if codec is not None else None
    steps = sorted(by_step)
    rows = tuple(_row(by_step[s], codec, widths, copies[s]) for s in steps)
    d = len(rows[0].raw) if rows else 0
    dims = codec.action_space.names if codec is not None else tuple(f"dim{i}" for i in range(d))
    first = by_step[steps[0]] if steps else None
    return EpisodeTable(
        source=src, episode_id=episode_id, selected_by=how, dims=tuple(dims), rows=rows,
        images=tuple(by_step[s].image for s in steps), image_format=first.image_format if first else "jpg",
        codec_known=codec is not None,
    )
