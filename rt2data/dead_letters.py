"""Dead letters: every input that did not become an example, with where and why, counted by reason.

One base record (:class:`DeadLetter`: ``reason`` and ``detail``, written as JSON) and its two kinds:

- :class:`RecordDeadLetter`: a robot input record or step ``convert`` dropped (``dead_letters.jsonl``, one per
  line; input steps = written + dropped, exactly);
- :class:`SampleDeadLetter`: a web caption/VQA sample ``mix`` dropped (counted per source and reason in the
  manifest, with samples). Its reasons:
  - ``no_image``          the sample has no image member / column / file;
  - ``undecodable_image`` the image bytes are not a known format and Pillow cannot decode them (or, with
                          ``verify_images``, the default, fail to decode fully: truncated or corrupt);
  - ``image_too_large``   the image header says more than ``max_image_pixels`` pixels (a decompression bomb);
  - ``no_text``           no caption / question / answer member or field (e.g. an image-only tar);
  - ``empty_text``        the text is present but empty after cleaning;
  - ``duplicate_key``     a second sample with the same (derived) key in one source; the first one (in file order,
                          then member order) is kept;
  - ``unsafe_path``       a tar member whose path is absolute, has ``..`` components, or is a link/device;
  - ``bad_record``        a malformed member or row (bad JSON, a field of the wrong type, bad gzip, bad UTF-8);
  - ``unreadable_file``   a file that cannot be opened or is truncated; samples read before the damage are kept;
  - ``untokenizable``     ``mix --tokenizer`` cannot tokenize the sample's target losslessly.

  Accounting, per source: samples read == usable + dead letters.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from rt2data.errors import ConfigError

__all__ = ["DeadLetter", "RecordDeadLetter", "SampleDeadLetter", "REASONS", "count_by_reason"]

REASONS = (
    "no_image",
    "undecodable_image",
    "image_too_large",
    "no_text",
    "empty_text",
    "duplicate_key",
    "unsafe_path",
    "bad_record",
    "unreadable_file",
    "untokenizable",
)


@dataclass(frozen=True)
class DeadLetter:
    """What every dead letter has: ``reason`` (a short name, counted) and ``detail`` (for a human), declared by each
    kind in its own field order (the order of its JSON)."""

    def to_json_dict(self) -> dict[str, Any]:
        """The record as JSON (field order as declared: stable bytes)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RecordDeadLetter(DeadLetter):
    """A robot input record or step that did not become an example (``convert``; ``dead_letters.jsonl``).

    ``steps`` is how many input steps it accounts for (0 for a record that could not be read at all); ``records``
    how many whole input records (episodes) it stands for: 0 for a step, 1 for a record, more only for
    ``unreadable_after_corruption`` (the records after a corrupt header or truncation).
    """

    reason: str
    source_path: str
    record_index: int
    detail: str
    steps: int = 0
    episode_id: str | None = None
    step: int | None = None
    field: str | None = None
    records: int = 1


@dataclass(frozen=True)
class SampleDeadLetter(DeadLetter):
    """A web caption/VQA sample that did not become an example (``mix``; counted per source in the manifest).

    Attributes:
        source: mixture source name.
        key: the sample's key as found in the input ('' when there is none, e.g. an unreadable file).
        reason: one of ``REASONS``.
        detail: what exactly was wrong, for a human.
        where: file path, plus ``::member`` or ``#row`` when known.
    """

    source: str
    key: str
    reason: str
    detail: str
    where: str

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ConfigError(f"dead-letter reason {self.reason!r} is not one of {list(REASONS)}")



def count_by_reason(letters: Iterable[SampleDeadLetter]) -> dict[str, dict[str, int]]:
    """``{source: {reason: count}}`` with sorted keys (deterministic JSON)."""
    counts: Counter[tuple[str, str]] = Counter((d.source, d.reason) for d in letters)
    out: dict[str, dict[str, int]] = {}
    for (source, reason), n in sorted(counts.items()):
        out.setdefault(source, {})[reason] = n
    return out
