"""Robot sources: the output of ``rt2data convert`` (shards + ``manifest.json``) read back as examples.

A work item is one shard, in manifest order (``rt2data.shards.resolve_shards``; the manifest's first format
unless ``shard_format`` says otherwise). Examples keep their prompt, target, action fields and template; in the
mixture their ``source`` becomes the mixture source name and their key ``make_key(source, original key)``.
A shard that fails to read is dead-lettered ``unreadable_file`` from the failing example on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from rt2data import io
from rt2data.errors import ConfigError, Rt2DataError
from rt2data.dead_letters import SampleDeadLetter
from rt2data.example import Example
from rt2data.web.options import path_field
from rt2data.web.samples import SourceItem, WorkItem, derive_key
from rt2data.io.spans import FileSpan, file_span
from rt2data.shards.reader import iter_shard_located_records
from rt2data.shards import load_manifest
from rt2data.shards import resolve_shards
from rt2data.shards.files import MANIFEST_NAME

__all__ = ["ConvertedOptions", "converted_work_items", "read_converted", "read_converted_fields", "converted_templates",
           "converted_codec"]


@dataclass(frozen=True)
class ConvertedOptions:
    """Options of ``kind: examples`` (format ``rt2data``).

    Attributes:
        path: a ``rt2data convert`` output directory (or any directory of our shards).
        shard_format: ``wds`` | ``tfrecord`` | null (the manifest's first format).
    """

    path: str = path_field("dir")
    shard_format: str | None = None

    def __post_init__(self) -> None:
        if self.shard_format not in (None, "wds", "tfrecord"):
            raise ConfigError(f"option 'shard_format' is {self.shard_format!r}; use wds, tfrecord or null")


def converted_work_items(source: str, options: ConvertedOptions) -> list[WorkItem]:
    """One work item per shard; ``part`` = the shard's format."""

    try:
        shards = resolve_shards(options.path, fmt=options.shard_format)
    except Rt2DataError as exc:
        exc.add_note(f"while listing the shards of source {source!r}")
        raise
    if not shards:
        raise ConfigError(f"source {source!r}: {options.path!r} holds no shards; point 'path' at a convert output")
    return [WorkItem(source=source, index=i, path=str(p), part=fmt) for i, (p, fmt, _) in enumerate(shards)]


def converted_templates(options: ConvertedOptions) -> dict[str, str]:
    """Template id -> text recorded in the convert output's manifest ({} without a manifest)."""

    if not io.is_file(io.join(options.path, MANIFEST_NAME)):
        return {}
    return dict(load_manifest(options.path).templates)


def converted_codec(options: ConvertedOptions) -> dict[str, Any] | None:
    """The codec JSON recorded in the convert output's manifest (None without a manifest or codec)."""

    if not io.is_file(io.join(options.path, MANIFEST_NAME)):
        return None
    codec = load_manifest(options.path).codec
    return dict(codec) if codec else None


def converted_semantics(options: ConvertedOptions) -> dict[str, Any] | None:
    """The action semantics (output space, gripper kind and mode, canonical or not) the convert output recorded for
    its robot source, or None (no manifest, or an output from before semantics were recorded)."""

    if not io.is_file(io.join(options.path, MANIFEST_NAME)):
        return None
    for source in load_manifest(options.path).sources.values():
        if source.get("kind") == "action" and "action_semantics" in source:
            return {**source["action_semantics"], "gripper_mode": source.get("gripper")}
    return None


def read_converted(item: WorkItem, factory: Any, options: ConvertedOptions) -> Iterator[SourceItem | SampleDeadLetter]:
    """Items of one shard (``factory`` is unused: examples are already built): :func:`read_converted_fields`, each
    record made an ``Example``."""
    for x in read_converted_fields(item):
        if isinstance(x, SampleDeadLetter):
            yield x
            continue
        raw_key, location, where, fields, image, image_at = x
        yield SourceItem(source=item.source, raw_key=raw_key, location=location,
                         example=Example.from_json_dict(fields, image), where=where, image_at=image_at)


ConvertedRecord = tuple[str, tuple[int, int], str, dict, bytes, FileSpan | None]
"""``(raw key, location, where, fields, image, image_at)`` of one usable record (:func:`read_converted_fields`)."""


def read_converted_fields(item: WorkItem) -> Iterator[ConvertedRecord | SampleDeadLetter]:
    """What :func:`read_converted` yields, as ``(raw key, location, where, fields, image, image_at)`` with
    ``fields`` the renamed example's ``to_json_dict()`` and ``image_at`` where the image lies in a local shard
    (None in a TFRecord shard or an object): the same examples, keys, order and dead letters, without building an
    ``Example`` per record (``rt2data.shards.iter_shard_located_records`` checks each record as ``iter_shard`` does)."""

    index = 0
    source, path = item.source, item.path
    local = not io.is_url(path)
    try:
        for fields, image, offset in iter_shard_located_records(path, fmt=item.part):
            raw_key = fields["key"]
            fields["key"], fields["source"] = derive_key(source, raw_key), source
            image_at = file_span(path, offset, len(image)) if local and offset is not None else None
            yield raw_key, (item.index, index), f"{path}::{raw_key}", fields, image, image_at
            index += 1
    except Rt2DataError as exc:
        yield SampleDeadLetter(source=source, key="", reason="unreadable_file",
                               detail=f"shard unreadable after {index} examples: {exc}", where=item.path)
