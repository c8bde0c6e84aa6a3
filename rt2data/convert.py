"""One canonical episode -> RT-2 examples: the pure heart of ``rt2data convert``.

The Beam pipeline (``rt2data.pipelines.convert``) only reads, groups and writes; every decision about a step is made
here, so a step converts the same way in a unit test, in a local run and on a cluster.

Each kept step becomes an ``Example``: the primary image (bytes as given, or resized), the prompt from the template
and the normalized instruction, the target action string from the codec, and the episode id, step, raw and tokenized
action. Steps that are not kept are counted by reason and described by a ``RecordDeadLetter``:

- ``no_instruction``   the step has no (or an empty) instruction and the policy is ``drop``;
- ``non_finite_action`` an action value is NaN or inf;
- ``idle_action``      every movement dimension (continuous, not ``gripper``) is below ``idle_threshold`` in raw
                       units, and the step does not terminate the episode;
- ``short_episode``    the episode has fewer than ``min_episode_steps`` steps (all its steps are dropped);
- ``out_of_range``     an action is outside the action space and the codec's policy is ``error``;
- ``bad_image``        the image could not be decoded for resizing.

Accounting invariant, per episode and in total: input steps == written + sum(dropped by reason).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from rt2data.codec.chunks import check_horizon, chunk_indices, real_steps, render_chunk
from rt2data.dead_letters import RecordDeadLetter
from rt2data.errors import ConfigError, DataError, EncodeError, PromptError
from rt2data.example import Example, make_key
from rt2data.images import ASPECT_POLICIES, resize_square
from rt2data.prompt import DEFAULT_PLACEHOLDER
from rt2data.prompt import action_target
from rt2data.prompt import normalize_instruction

__all__ = [
    "DROP_REASONS",
    "ConvertConfig",
    "ConvertedEpisode",
    "convert_episode",
    "example_key",
]

DROP_REASONS = (
    "no_instruction",
    "non_finite_action",
    "idle_action",
    "short_episode",
    "out_of_range",
    "bad_image",
)


@dataclass(frozen=True)
class ConvertConfig:
    """Options of a conversion; recorded whole in the output manifest.

    Attributes:
        source: name written into every example's ``source`` (default: the spec name).
        template_id: id of the action prompt template (``rt2data.prompt``).
        missing_instruction: ``drop`` the step, or ``keep`` it with the template's placeholder instruction.
        idle_threshold: drop steps whose movement dims are all below this (raw units); ``None`` keeps them.
        min_episode_steps: drop episodes shorter than this.
        resize: square output side in pixels, or ``None`` to pass image bytes through untouched.
        aspect: resize aspect policy, ``pad`` | ``crop`` | ``stretch`` (``rt2data.images``).
        jpeg_quality: JPEG quality of resized images.
        action_chunk: H, the steps whose actions make one target (``rt2data.codec.chunks``); 1 is one action.
    """

    source: str
    template_id: str = "rt2-action-v1"
    missing_instruction: str = "drop"
    idle_threshold: float | None = None
    min_episode_steps: int = 1
    resize: int | None = None
    aspect: str = "pad"
    jpeg_quality: int = 95
    action_chunk: int = 1

    def __post_init__(self) -> None:
        check_horizon(self.action_chunk)
        if not self.source:
            raise ConfigError("convert config: 'source' must be a non-empty name")
        if self.missing_instruction not in ("drop", "keep"):
            raise ConfigError(
                f"convert config: missing_instruction={self.missing_instruction!r}; expected 'drop' or 'keep'"
            )
        if self.idle_threshold is not None and not self.idle_threshold >= 0:
            raise ConfigError(f"convert config: idle_threshold must be >= 0, got {self.idle_threshold}")
        if self.min_episode_steps < 1:
            raise ConfigError(f"convert config: min_episode_steps must be >= 1, got {self.min_episode_steps}")
        if self.resize is not None and not 8 <= self.resize <= 8192:
            raise ConfigError(f"convert config: resize must be in [8, 8192] pixels, got {self.resize}")
        if self.aspect not in ASPECT_POLICIES:
            raise ConfigError(f"convert config: aspect={self.aspect!r}; expected one of {list(ASPECT_POLICIES)}")
        if not 1 <= self.jpeg_quality <= 100:
            raise ConfigError(f"convert config: jpeg_quality must be in [1, 100], got {self.jpeg_quality}")

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        if self.action_chunk == 1:  # the default leaves the recorded config (and its fingerprint) as before
            del out["action_chunk"]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ConvertConfig":
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"convert config: unknown keys {sorted(unknown)}")
        return cls(**dict(data))


@dataclass(frozen=True)
class ConvertedEpisode:
    """Result of converting one episode: its examples in step order plus the accounting."""

    shard_index: int
    record_index: int
    episode_id: str
    input_steps: int
    examples: tuple[Example, ...]
    dropped: Mapping[str, int] = field(default_factory=dict)
    dead_letters: tuple[RecordDeadLetter, ...] = ()
    clip_counts: tuple[int, ...] = ()

    @property
    def order(self) -> tuple[int, int]:
        """Position of the episode in the input (shard, record): the output order."""
        return (self.shard_index, self.record_index)


def example_key(source: str, shard_index: int, record_index: int, step: int, *, split: str | None = None) -> str:
    """Stable key of a step: unique per (input shard, record, step) and valid as a tar member stem.

    ``split`` is part of the key when given: a conversion reading several splits (``train+validation``) passes
    it, since shard and record indices restart in every split.
    """
    prefix = _key_prefix(source, split, shard_index, record_index)
    if len(prefix) < 200:  # make_key cut nothing, and the prefix ends in the record's digits (nothing stripped)
        return f"{prefix}-t{step:04d}"[:200]
    parts = (split,) if split is not None else ()
    return make_key(source, *parts, f"s{shard_index:05d}", f"r{record_index:06d}", f"t{step:04d}")


@functools.lru_cache(maxsize=256)
def _key_prefix(source: str, split: str | None, shard_index: int, record_index: int) -> str:
    """The key of an episode's steps up to the step: ``make_key`` of the other parts, once per episode."""
    parts = (split,) if split is not None else ()
    return make_key(source, *parts, f"s{shard_index:05d}", f"r{record_index:06d}")


@functools.lru_cache(maxsize=256)
def _prompt(template, instruction: str) -> str:
    """The rendered prompt, once per (template, instruction): an episode's steps mostly share one instruction."""
    return template.render(instruction=instruction)


def _movement_mask(codec) -> np.ndarray:
    dims = codec.action_space.dims
    return np.array([d.kind == "continuous" and d.name != "gripper" for d in dims], dtype=bool)


def _terminate_index(codec) -> int | None:
    for i, d in enumerate(codec.action_space.dims):
        if d.name == "terminate":
            return i
    return None


def convert_episode(
    episode, *, shard_index: int, codec, config: ConvertConfig, template, split: str | None = None
) -> ConvertedEpisode:
    """Turn one ``CanonicalEpisode`` into examples.

    Args:
        episode: ``rt2data.spec.model.CanonicalEpisode`` (actions float64[N, D] in dataset units, images, instructions).
        shard_index: index of the input shard the episode came from (for keys and ordering).
        codec: ``rt2data.codec.action_codec.ActionCodec`` whose normalization was built from the dataset statistics.
        config: conversion options.
        template: ``rt2data.prompt.PromptTemplate`` for the action prompt.
        split: put in every example key (``example_key``) when several splits are converted together.

    Returns:
        ``ConvertedEpisode`` with examples for the kept steps and dead letters for the rest.
    """

    actions = np.asarray(episode.actions, dtype=np.float64)
    n = int(actions.shape[0])
    where = dict(source_path=episode.source_path, record_index=episode.record_index, episode_id=episode.episode_id)
    reasons: list[str | None] = [None] * n
    dead: list[RecordDeadLetter] = []

    def drop(step: int, reason: str, detail: str, fld: str | None = None) -> None:
        reasons[step] = reason
        dead.append(RecordDeadLetter(reason=reason, detail=detail, steps=1, step=step, field=fld, records=0, **where))

    if n < config.min_episode_steps:
        for t in range(n):
            drop(t, "short_episode", f"episode has {n} steps, fewer than min_episode_steps={config.min_episode_steps}")
        return _result(episode, shard_index, n, [], reasons, dead, np.zeros(len(codec.action_space), np.int64))

    finite = np.isfinite(actions).all(axis=1)
    for t in np.flatnonzero(~finite):
        bad = int(np.flatnonzero(~np.isfinite(actions[t]))[0])
        name = codec.action_space.dims[bad].name
        drop(int(t), "non_finite_action", f"action[{name}] = {actions[t, bad]!r}", fld=f"action/{name}")

    instructions: list[str | None] = []
    for t, raw in enumerate(episode.instructions):
        try:
            instructions.append(normalize_instruction(raw, empty="error"))
        except PromptError:
            instructions.append(None)
            if reasons[t] is None and config.missing_instruction == "drop":
                drop(t, "no_instruction", f"instruction is empty: {raw!r}", fld="instruction")

    if config.idle_threshold is not None:
        move = _movement_mask(codec)
        term = _terminate_index(codec)
        idle = finite & (np.abs(np.where(finite[:, None], actions, 0.0))[:, move] < config.idle_threshold).all(axis=1)
        if term is not None:
            idle &= actions[:, term] < 0.5
        for t in np.flatnonzero(idle):
            if reasons[t] is None:
                drop(int(t), "idle_action", f"all movement dims below {config.idle_threshold}", fld="action")

    keep = np.array([r is None for r in reasons], dtype=bool)
    if config.action_chunk > 1:
        return _convert_chunked(episode, shard_index, codec, config, template, instructions, reasons, dead, split)
    clip_counts = np.zeros(len(codec.action_space), np.int64)
    tokens = texts = None
    if keep.any():
        try:
            encoded = codec.encode(actions[keep])
        except EncodeError:
            # Policy 'error': find the offending rows one by one so only they are dropped.
            return _convert_rowwise(episode, shard_index, codec, config, template, instructions, reasons, dead,
                                    split)
        tokens, texts, clip_counts = encoded.tokens, encoded.texts, np.asarray(encoded.clip_counts, np.int64)

    examples: list[Example] = []
    kept_rows = np.flatnonzero(keep)
    for j, t in enumerate(kept_rows):
        t = int(t)
        ex = _make_example(episode, shard_index, t, actions[t], tokens[j], texts[j], instructions[t], config, template,
                           split)
        if isinstance(ex, RecordDeadLetter):
            reasons[t] = ex.reason
            dead.append(ex)
        else:
            examples.append(ex)
    return _result(episode, shard_index, n, examples, reasons, dead, clip_counts)


def _convert_rowwise(episode, shard_index, codec, config, template, instructions, reasons, dead,
                     split) -> ConvertedEpisode:
    actions = np.asarray(episode.actions, dtype=np.float64)
    examples: list[Example] = []
    clip_counts = np.zeros(len(codec.action_space), np.int64)
    for t in range(actions.shape[0]):
        if reasons[t] is not None:
            continue
        try:
            enc = codec.encode(actions[t : t + 1])
        except EncodeError as exc:
            reasons[t] = "out_of_range"
            dead.append(
                RecordDeadLetter(
                    reason="out_of_range", detail=str(exc), steps=1, step=t, field="action",
                    source_path=episode.source_path, record_index=episode.record_index, episode_id=episode.episode_id,
                )
            )
            continue
        clip_counts += np.asarray(enc.clip_counts, np.int64)
        ex = _make_example(episode, shard_index, t, actions[t], enc.tokens[0], enc.texts[0], instructions[t], config,
                           template, split)
        if isinstance(ex, RecordDeadLetter):
            reasons[t] = ex.reason
            dead.append(ex)
        else:
            examples.append(ex)
    return _result(episode, shard_index, actions.shape[0], examples, reasons, dead, clip_counts)


def _convert_chunked(episode, shard_index, codec, config, template, instructions, reasons, dead,
                     split) -> ConvertedEpisode:
    """``action_chunk`` H > 1: step t's target is the actions of steps t..t+H-1 (the final action repeated past the
    end). A step whose chunk holds a non-finite or (policy ``error``) out-of-range action is dropped for that reason."""
    actions = np.asarray(episode.actions, dtype=np.float64)
    n, d, horizon = actions.shape[0], actions.shape[1], config.action_chunk
    finite = np.isfinite(actions).all(axis=1)
    tokens = np.zeros((n, d), np.int64)
    clipped = np.zeros((n, d), bool)
    problem: dict[int, tuple[str, str]] = {
        int(j): ("non_finite_action", "action is not finite") for j in np.flatnonzero(~finite)
    }
    rows = np.flatnonzero(finite)
    try:
        encoded = codec.encode(actions[rows])
        tokens[rows], clipped[rows] = encoded.tokens, encoded.clipped
    except EncodeError:  # policy 'error': find the offending rows one by one
        for j in rows:
            try:
                one = codec.encode(actions[j : j + 1])
                tokens[j], clipped[j] = one.tokens[0], one.clipped[0]
            except EncodeError as exc:
                problem[int(j)] = ("out_of_range", str(exc))
    where = dict(source_path=episode.source_path, record_index=episode.record_index, episode_id=episode.episode_id)
    index, real = chunk_indices(n, horizon), real_steps(n, horizon)
    examples: list[Example] = []
    clip_counts = np.zeros(d, np.int64)
    for t in range(n):
        if reasons[t] is not None:
            continue
        bad = [int(j) for j in index[t] if int(j) in problem]
        if bad:
            reason, detail = problem[bad[0]]
            reasons[t] = reason
            dead.append(RecordDeadLetter(reason=reason, detail=f"chunk step {bad[0]}: {detail}", steps=1, step=t,
                                   field="action", **where))
            continue
        chunk = index[t]
        ex = _make_example(episode, shard_index, t, actions[chunk].ravel(), tokens[chunk].ravel(),
                           render_chunk(tokens[chunk]), instructions[t], config, template, split,
                           extra={"chunk_steps": horizon, "chunk_real": int(real[t])})
        if isinstance(ex, RecordDeadLetter):
            reasons[t] = ex.reason
            dead.append(ex)
        else:
            examples.append(ex)
            clip_counts += clipped[t]
    return _result(episode, shard_index, n, examples, reasons, dead, clip_counts)


def _make_example(episode, shard_index, t, action, tokens, text, instruction, config, template, split=None,
                  extra=None):

    image = episode.images[t]
    image_format = episode.image_format
    if config.resize is not None:
        try:
            image = resize_square(image, config.resize, aspect=config.aspect, quality=config.jpeg_quality)
        except DataError as exc:
            return RecordDeadLetter(
                reason="bad_image", detail=str(exc), steps=1, step=t, field="image",
                source_path=episode.source_path, record_index=episode.record_index, episode_id=episode.episode_id,
            )
        image_format = "jpg"
    shown = instruction if instruction is not None else template_placeholder()
    return Example(
        key=example_key(config.source, shard_index, episode.record_index, t, split=split),
        image=image,
        image_format=image_format,
        prompt=_prompt(template, shown),
        target=action_target(text),
        kind="action",
        source=config.source,
        template_id=template.id,
        instruction=instruction,
        episode_id=episode.episode_id,
        step=t,
        action_raw=np.asarray(action, dtype=np.float64).tolist(),  # Example makes tuples of Python numbers
        action_tokens=np.asarray(tokens).tolist(),
        **(extra or {}),
    )


def template_placeholder() -> str:
    """Instruction shown for steps kept without one (policy ``keep``): ``prompt.DEFAULT_PLACEHOLDER``."""

    return DEFAULT_PLACEHOLDER


def _result(episode, shard_index, n, examples, reasons, dead, clip_counts) -> ConvertedEpisode:
    dropped: dict[str, int] = {}
    for r in reasons:
        if r is not None:
            dropped[r] = dropped.get(r, 0) + 1
    if len(examples) + sum(dropped.values()) != n:  # an invariant of this module, not of the input
        raise RuntimeError(f"accounting broke for episode {episode.episode_id}: {len(examples)} + {dropped} != {n}")
    dead.sort(key=lambda d: (d.step if d.step is not None else -1, d.reason))
    return ConvertedEpisode(
        shard_index=shard_index,
        record_index=episode.record_index,
        episode_id=episode.episode_id,
        input_steps=n,
        examples=tuple(examples),
        dropped=dict(sorted(dropped.items())),
        dead_letters=tuple(dead),
        clip_counts=tuple(int(c) for c in clip_counts),
    )
