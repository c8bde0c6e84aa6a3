"""Web samples that could not become examples: what, where and why.

Every sample a web reader meets ends as exactly one of: a usable item, or one ``DeadLetter``. Reasons:

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
- ``unreadable_file``   a file that cannot be opened or is truncated; samples read before the damage are kept.

Accounting, per source: samples read == usable + dead letters.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["REASONS", "DeadLetter", "count_by_reason"]

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
    """One dropped sample.

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
            raise ValueError(f"dead-letter reason {self.reason!r} is not one of {list(REASONS)}")

    def to_json_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def count_by_reason(letters: Iterable[DeadLetter]) -> dict[str, dict[str, int]]:
    """``{source: {reason: count}}`` with sorted keys (deterministic JSON)."""
    counts: Counter[tuple[str, str]] = Counter((d.source, d.reason) for d in letters)
    out: dict[str, dict[str, int]] = {}
    for (source, reason), n in sorted(counts.items()):
        out.setdefault(source, {})[reason] = n
    return out
