"""The field names of an example, in one place (as rlds's ``rlds_types.py`` keeps its step fields).

Every module that spells a field of an :class:`~rt2data.example.Example` (the JSON member of a WebDataset sample,
the ``tf.train.Example`` features, the Hugging Face features, the trainer readers) takes the name from here; a test
holds this list against the ``Example`` dataclass and ``schemas/example.schema.json``.
"""

from __future__ import annotations

__all__ = [
    "KEY", "IMAGE", "IMAGE_FORMAT", "PROMPT", "TARGET", "KIND", "SOURCE", "TEMPLATE_ID", "INSTRUCTION",
    "EPISODE_ID", "STEP", "ACTION_RAW", "ACTION_TOKENS", "PLAN", "CHUNK_STEPS", "CHUNK_REAL", "INPUT_IDS", "LABELS",
    "ALL", "REQUIRED_TEXT", "OPTIONAL_TEXT", "TEXT", "ACTION_REQUIRED", "OMITTED_WHEN_NONE",
]

KEY = "key"
IMAGE = "image"
IMAGE_FORMAT = "image_format"
PROMPT = "prompt"
TARGET = "target"
KIND = "kind"
SOURCE = "source"
TEMPLATE_ID = "template_id"
INSTRUCTION = "instruction"
EPISODE_ID = "episode_id"
STEP = "step"
ACTION_RAW = "action_raw"
ACTION_TOKENS = "action_tokens"
PLAN = "plan"
CHUNK_STEPS = "chunk_steps"
CHUNK_REAL = "chunk_real"
INPUT_IDS = "input_ids"
LABELS = "labels"

ALL = (KEY, IMAGE, IMAGE_FORMAT, PROMPT, TARGET, KIND, SOURCE, TEMPLATE_ID, INSTRUCTION, EPISODE_ID, STEP,
       ACTION_RAW, ACTION_TOKENS, PLAN, CHUNK_STEPS, CHUNK_REAL, INPUT_IDS, LABELS)
"""Every field, in the ``Example`` dataclass's order."""

REQUIRED_TEXT = (KEY, IMAGE_FORMAT, PROMPT, TARGET, KIND, SOURCE, TEMPLATE_ID)
"""Non-empty strings on every example."""

OPTIONAL_TEXT = (INSTRUCTION, EPISODE_ID, PLAN)
"""Strings that may be absent (None)."""

TEXT = REQUIRED_TEXT + OPTIONAL_TEXT

ACTION_REQUIRED = (EPISODE_ID, STEP, ACTION_RAW, ACTION_TOKENS)
"""Fields every ``kind == "action"`` example has."""

OMITTED_WHEN_NONE = (CHUNK_STEPS, CHUNK_REAL, INPUT_IDS, LABELS)
"""Optional fields left out of an example's JSON (and TFRecord) when None: added after the first release, so
outputs without them keep their bytes."""
