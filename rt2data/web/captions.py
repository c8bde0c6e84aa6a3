"""Caption sources: WebDataset caption tars and the Flickr30k(-Entities) folder layout.

WebDataset tars (img2dataset / LAION / COCO-style dumps): a sample is ``KEY.<image>`` plus ``KEY.txt`` (the
caption) and/or ``KEY.json`` with a caption field. The first of ``image_keys`` present is the image; the first of
``text_keys`` present is the caption, else ``caption_field`` of the JSON member (a dotted path; a list value gives
its first non-empty string), else ``default_text`` if set, else the sample is dead-lettered ``no_text``.

Flickr30k: ``sentences/<id>.txt`` (one caption per line, Entities markup) and ``images/<id>.jpg``; an optional
split file lists the ids to use. Each caption line is one sample with key ``<id>/<line>`` (or only the first line
with ``captions_per_image: first``). Markup defaults to ``flickr30k`` (stripped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

from rt2data import io
from rt2data.errors import ConfigError, DataError
from rt2data.io.spans import file_span
from rt2data.dead_letters import SampleDeadLetter
from rt2data.web.options import MAX_IMAGE_PIXELS, as_str_tuple, check_bool, check_markup, check_positive, path_field
from rt2data.web.paths import TAR_SUFFIXES, expand_patterns, read_image_file
from rt2data.web.samples import ItemFactory, SourceItem, WorkItem
from rt2data.web.tars import TarProblem, iter_tar_samples, tar_image
from rt2data.web.text import lookup_field

__all__ = [
    "WdsCaptionOptions",
    "Flickr30kOptions",
    "wds_work_items",
    "read_wds_captions",
    "flickr30k_work_items",
    "read_flickr30k",
    "text_of_member",
]

DEFAULT_IMAGE_KEYS = ("jpg", "jpeg", "png", "webp")


@dataclass(frozen=True)
class WdsCaptionOptions:
    """Options of ``kind: caption, format: wds``.

    Attributes:
        path: tar files, globs, brace patterns or directories.
        image_keys: member suffixes tried in order for the image.
        text_keys: member suffixes tried in order for the caption (``txt``; ``cls`` for class-label tars).
        json_key: suffix of the JSON member.
        caption_field: caption field of the JSON member (dotted path), or null to ignore JSON.
        default_text: caption for samples without one (image-only tars); null dead-letters them as ``no_text``.
        markup: ``none`` | ``flickr30k``.
        verify_images: decode every image fully before it is written (default; catches truncated files).
        max_image_pixels: images with more pixels are dead-lettered as ``image_too_large``.
    """

    path: tuple[str, ...] = path_field("patterns")
    image_keys: tuple[str, ...] = DEFAULT_IMAGE_KEYS
    text_keys: tuple[str, ...] = ("txt",)
    json_key: str = "json"
    caption_field: str | None = "caption"
    default_text: str | None = None
    markup: str = "none"
    verify_images: bool = True
    max_image_pixels: int = MAX_IMAGE_PIXELS

    def __post_init__(self) -> None:
        for name in ("path", "image_keys", "text_keys"):
            as_str_tuple(self, name)
        object.__setattr__(self, "image_keys", tuple(k.lower() for k in self.image_keys))
        object.__setattr__(self, "text_keys", tuple(k.lower() for k in self.text_keys))
        check_markup(self.markup)
        check_bool(self.verify_images, "verify_images")
        check_positive(self.max_image_pixels, "max_image_pixels")
        for name in ("caption_field", "default_text"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(f"option {name!r} must be a non-empty string or null, got {value!r}")


def text_of_member(data: bytes) -> str | None:
    """UTF-8 text of a member (BOM stripped), or ``None`` when it is not valid UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def wds_work_items(source: str, options: Any) -> list[WorkItem]:
    """One work item per tar file (sorted)."""
    files = expand_patterns(options.path, suffixes=TAR_SUFFIXES, what=f"source {source!r}")
    return [WorkItem(source=source, index=i, path=f) for i, f in enumerate(files)]


def _caption_of(members: dict[str, bytes], options: WdsCaptionOptions, where: str) -> tuple[str | None, str | None]:
    """(caption, problem) of a tar sample."""
    for k in options.text_keys:
        if k in members:
            text = text_of_member(members[k])
            if text is None:
                return None, f"member .{k} is not UTF-8 text"
            return text, None
    if options.caption_field and options.json_key in members:
        try:
            record = json.loads(members[options.json_key])
        except (ValueError, UnicodeDecodeError) as exc:
            return None, f"member .{options.json_key} is not valid JSON: {exc}"
        value = lookup_field(record, options.caption_field) if isinstance(record, dict) else None
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str) and v.strip()), None)
        if value is not None and not isinstance(value, str):
            return None, f"JSON field {options.caption_field!r} is {type(value).__name__}, not text"
        if value is not None:
            return value, None
    return options.default_text, None


def read_wds_captions(item: WorkItem, factory: ItemFactory, options: WdsCaptionOptions) -> Iterator[SourceItem | SampleDeadLetter]:
    """Items and dead letters of one caption tar."""
    for sample in iter_tar_samples(item.path):
        if isinstance(sample, TarProblem):
            yield factory.dead(sample.key, sample.reason, sample.detail, sample.where)
            continue
        where = f"{item.path}::{sample.key}"
        image, image_at = tar_image(sample, options.image_keys, item.path)
        text, problem = _caption_of(sample.members, options, where)
        if problem is not None:
            yield factory.dead(sample.key, "bad_record", problem, where)
            continue
        yield factory.caption(sample.key, (item.index, sample.index), where, image=image, text=text,
                              image_at=image_at)


@dataclass(frozen=True)
class Flickr30kOptions:
    """Options of ``kind: caption, format: flickr30k``.

    Attributes:
        sentences: folder of ``<id>.txt`` caption files.
        images: folder of ``<id>.jpg`` images.
        split: optional file listing the image ids to use, one per line.
        captions_per_image: ``all`` (one sample per caption line) or ``first``.
        markup: ``flickr30k`` (strip Entities markup) or ``none``.
        verify_images: decode every image fully before it is written (default; catches truncated files).
        max_image_pixels: images with more pixels are dead-lettered as ``image_too_large``.
        chunk: ids per work item.
    """

    sentences: str = path_field("dir")
    images: str = path_field("dir")
    split: str | None = path_field("file", optional=True)
    captions_per_image: str = "all"
    markup: str = "flickr30k"
    verify_images: bool = True
    max_image_pixels: int = MAX_IMAGE_PIXELS
    chunk: int = 256

    def __post_init__(self) -> None:
        if self.captions_per_image not in ("all", "first"):
            raise ConfigError(f"option 'captions_per_image' is {self.captions_per_image!r}; use 'all' or 'first'")
        check_markup(self.markup)
        check_bool(self.verify_images, "verify_images")
        check_positive(self.max_image_pixels, "max_image_pixels")
        check_positive(self.chunk, "chunk")


def flickr30k_work_items(source: str, options: Flickr30kOptions) -> list[WorkItem]:
    """Chunks of image ids: from the split file in its order, else all caption files sorted by name."""
    if options.split:
        try:
            lines = io.read_text(options.split).splitlines()
        except UnicodeDecodeError as exc:
            raise DataError(f"split file {options.split!r} is not UTF-8 text: {exc}") from None
        ids = [line.strip() for line in lines if line.strip()]
    else:
        ids = sorted(n[: -len(".txt")] for n in io.listdir(options.sentences) if n.endswith(".txt"))
    where = options.split or options.sentences
    return [
        WorkItem(source=source, index=i, path=where, part=tuple(ids[s : s + options.chunk]))
        for i, s in enumerate(range(0, len(ids), options.chunk))
    ]


def _read_file(path: str) -> bytes | None:
    """The bytes of a file or object, None when it does not exist (another failure is raised, as before)."""
    data, problem = read_image_file(path)
    if problem is not None and problem[0] != "no_image":
        raise DataError(problem[1])
    return data


def read_flickr30k(item: WorkItem, factory: ItemFactory, options: Flickr30kOptions) -> Iterator[SourceItem | SampleDeadLetter]:
    """Items and dead letters of a chunk of Flickr30k image ids."""
    n = 0
    for image_id in item.part:
        text_path = io.join(options.sentences, f"{image_id}.txt")
        raw = _read_file(text_path)
        if raw is None:
            yield factory.dead(image_id, "no_text", f"no caption file {text_path}", text_path)
            n += 1
            continue
        text = text_of_member(raw)
        if text is None:
            yield factory.dead(image_id, "bad_record", "caption file is not UTF-8", text_path)
            n += 1
            continue
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            yield factory.dead(image_id, "empty_text", "caption file has no captions", text_path)
            n += 1
            continue
        if options.captions_per_image == "first":
            lines = lines[:1]
        image_path = io.join(options.images, f"{image_id}.jpg")
        image = _read_file(image_path)
        image_at = file_span(image_path, 0, len(image)) if image is not None else None
        for i, line in enumerate(lines):
            if image is None:
                yield factory.dead(f"{image_id}/{i}", "no_image", f"image file {image_path!r} not found", text_path)
                n += 1
                continue
            yield factory.caption(f"{image_id}/{i}", (item.index, n), f"{text_path}:{i + 1}", image=image, text=line,
                                  image_at=image_at)
            n += 1
