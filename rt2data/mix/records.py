"""Spill records: a usable example held as the parts of its output bytes, for ``rt2data mix``'s embedded engine.

Pass 1 of the embedded engine (``rt2data.pipelines.mix_local``) turns each usable example into a record once;
pass 2 only gives it its epoch key and writes (in between, the spill may hold the span of a local file in place of
the image: :func:`read_records` says where an image was read byte for byte). A record is a plain tuple (cheap to
pickle)::

    (key, source, kind, template_id, image_format, image, json_head, json_tail, exact_action)

where ``key`` is the base key and ``json_head + b"-e<epoch>" + json_tail`` is exactly
``example.replace(key=epoch_key(key, epoch)).to_json_bytes()``: canonical JSON (sorted keys) holds the key once,
as ``"key":"<key>"``, and keys are ``[A-Za-z0-9_-]`` (no escaping), so the epoch suffix goes right before the
closing quote; ``exact_action`` is None, or the example's ``action_raw`` when it holds a non-finite value (JSON
spells every NaN alike; a TFRecord keeps its bits). A WebDataset shard is then the record's image and that JSON behind two prebuilt tar headers
(``rt2data.shards.formats.wds.encode_members``): the bytes ``encode_sample`` gives for the example, without
re-validating, replacing or re-encoding it. Any other format (or an image still to be stored in the output's image
format) rebuilds the ``Example`` from the record (:func:`record_example`) and encodes it as the Beam engine does,
so both engines write the same bytes (tests/mix/test_records.py, tests/pipelines/test_mix_pipeline.py).
"""

from __future__ import annotations

import json
import math
from typing import Any, Iterator, Mapping

from rt2data import fields as F
from rt2data.dead_letters import SampleDeadLetter
from rt2data.errors import DataError
from rt2data.example import Example
from rt2data.images import transcode
from rt2data.io.spans import FileSpan
from rt2data.mix.elements import epoch_key, read_samples, stored
from rt2data.shards.formats import get_format
from rt2data.shards.formats.wds import encode_members
from rt2data.web.converted import read_converted_fields
from rt2data.web.samples import SourceItem, WorkItem

__all__ = ["Record", "read_records", "make_record", "record_of_example", "epoch_json", "record_example", "encode_record"]

Record = tuple
"""``(key, source, kind, template_id, image_format, image, json_head, json_tail, exact_action)`` (see the module
docstring)."""

_KEY, _SOURCE, _KIND, _TEMPLATE, _FORMAT, _IMAGE, _HEAD, _TAIL, _EXACT = range(9)
IMAGE = _IMAGE
"""The index of the image bytes in a record."""


class _Fields:
    """Fields already in ``Example.to_json_dict()`` form, for ``Example.to_json_bytes``: the one canonical JSON
    encoder, used without building (and re-validating) an ``Example``."""

    __slots__ = ("fields",)

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = fields

    def to_json_dict(self) -> dict[str, Any]:
        return dict(self.fields)


def make_record(fields: Mapping[str, Any], image: bytes) -> Record:
    """The record of an example given as ``Example.to_json_dict()`` (base key) and its image bytes.

    The caller vouches that ``fields`` make a valid ``Example`` (they come from one, or from a record the shard
    reader checked).
    """
    data = Example.to_json_bytes(_Fields(fields))  # type: ignore[arg-type]
    return _record(fields[F.KEY], fields[F.SOURCE], fields[F.KIND], fields[F.TEMPLATE_ID], fields[F.IMAGE_FORMAT],
                   image, data, fields.get(F.ACTION_RAW))


def record_of_example(example: Example) -> Record:
    """The record of an ``Example`` (with its base key)."""
    return _record(example.key, example.source, example.kind, example.template_id, example.image_format, example.image,
                   example.to_json_bytes(), example.action_raw)


def _record(key: str, source: str, kind: str, template_id: str, image_format: str, image: bytes, data: bytes,
            action_raw: Any) -> Record:
    marker = b'"key":"' + key.encode("ascii") + b'"'
    at = data.find(marker)
    if at < 0 or data.find(marker, at + 1) >= 0:  # impossible for a valid key: quotes in values are escaped
        raise ValueError(f"example {key!r}: its key is not found once in its JSON (internal error)")
    split = at + len(marker) - 1
    exact = None if action_raw is None or all(map(math.isfinite, action_raw)) else tuple(action_raw)
    return key, source, kind, template_id, image_format, image, data[:split], data[split:], exact


def epoch_json(record: Record, epoch: int) -> bytes:
    """``KEY.json`` of the record drawn in ``epoch`` (its key ``epoch_key(key, epoch)``)."""
    return b"%s-e%d%s" % (record[_HEAD], epoch, record[_TAIL])


def record_example(record: Record, epoch: int) -> Example:
    """The ``Example`` the record is, drawn in ``epoch`` (validated, as every ``Example``)."""
    fields = json.loads(epoch_json(record, epoch))
    if record[_EXACT] is not None:
        fields[F.ACTION_RAW] = record[_EXACT]
    return Example.from_json_dict(fields, record[_IMAGE])


def encode_record(record: Record, epoch: int, fmt: str, image_format: str = "keep") -> tuple[str, bytes]:
    """``(output key, bytes)`` the record drawn in ``epoch`` adds to a shard of format ``fmt``.

    ``image_format``: the output's image format; an image not yet in it (its conversion failed when spilled) is
    converted here, which raises ``DataError`` as the Beam engine's writer does.
    """
    key = epoch_key(record[_KEY], epoch)
    if fmt == "wds" and (image_format == "keep" or record[_FORMAT] == image_format):
        return key, encode_members(key, record[_FORMAT], record[_IMAGE], epoch_json(record, epoch))
    return key, get_format(fmt).encode(stored(record_example(record, epoch), image_format))


def read_records(item: WorkItem, readers: Mapping[str, tuple], *, image_format: str, tokenizer: str | None = None
                 ) -> Iterator[tuple[str, tuple[int, int], str, Record, FileSpan | None] | SampleDeadLetter]:
    """What ``rt2data.mix.elements.read_samples`` yields, each usable item as ``(raw key, location, where,
    record, image_at)``, its image already in the output's ``image_format`` where it converts (else as read: the
    writer converts it again, and fails the run, only if it is drawn); ``image_at``: where the record's image lies
    in a local file byte for byte (``SourceItem.image_at``), None for an image converted here or not read from
    one. A converted robot shard without ``--tokenizer`` is read record by record, without an ``Example`` per
    sample (``read_converted_fields``)."""
    if readers[item.source][0] == "examples" and tokenizer is None:
        for x in read_converted_fields(item):
            if isinstance(x, SampleDeadLetter):
                yield x
                continue
            raw_key, location, where, fields, image, image_at = x
            if image_format != "keep" and fields[F.IMAGE_FORMAT] != image_format:
                try:
                    image, fields[F.IMAGE_FORMAT] = transcode(image, fields[F.IMAGE_FORMAT], to=image_format)
                    image_at = None
                except DataError:
                    pass
            yield raw_key, location, where, make_record(fields, image), image_at
        return
    for x in read_samples(item, readers, tokenizer):
        if not isinstance(x, SourceItem):
            yield x
            continue
        example = x.example
        if image_format != "keep" and example.image_format != image_format:
            try:
                example = stored(example, image_format)
            except DataError:
                pass
        image_at = x.image_at if example.image is x.example.image else None
        yield x.raw_key, tuple(x.location), x.where, record_of_example(example), image_at
