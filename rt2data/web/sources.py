"""The registry of source kinds and formats a mixture can read.

| kind     | format    | options class            | work item            |
|----------|-----------|--------------------------|----------------------|
| examples | rt2data   | ConvertedOptions         | one shard            |
| caption  | wds       | WdsCaptionOptions        | one tar              |
| caption  | parquet   | ParquetCaptionOptions    | one row group        |
| caption  | flickr30k | Flickr30kOptions         | a chunk of image ids |
| vqa      | wds       | WdsVqaOptions            | one tar              |
| vqa      | parquet   | ParquetVqaOptions        | one row group        |
| vqa      | vqav2     | Vqav2Options             | a chunk of questions |
| vqa      | gqa       | GqaOptions               | a chunk of questions |
| vqa      | vgqa      | VgqaOptions              | a chunk of QA pairs  |

``plan_work`` runs where the pipeline is launched (lists files, parses index JSON); ``read_work_item`` runs on the
workers and yields ``SourceItem`` / ``SampleDeadLetter`` elements; neither raises for bad samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from rt2data.errors import ConfigError
from rt2data.web import captions, converted, parquet, vqa
from rt2data.dead_letters import SampleDeadLetter
from rt2data.web.options import MAX_IMAGE_PIXELS
from rt2data.web.samples import ItemFactory, SourceItem, WorkItem
from rt2data.web.templates import WebTemplate

__all__ = ["SourceFormat", "FORMATS", "KINDS", "DEFAULT_FORMAT", "get_format", "plan_work", "read_work_item"]


@dataclass(frozen=True)
class SourceFormat:
    kind: str
    format: str
    options_cls: type
    work_items: Callable[[str, Any], list[WorkItem]]
    read: Callable[[WorkItem, Any, Any], Iterator[SourceItem | SampleDeadLetter]]


def _records(fn: Callable[[str, Any], list]) -> Callable[[str, Any], list[WorkItem]]:
    def work_items(source: str, options: Any) -> list[WorkItem]:
        return vqa.records_work_items(source, fn(source, options), path=options.questions, chunk=options.chunk)

    return work_items


FORMATS: dict[tuple[str, str], SourceFormat] = {
    (f.kind, f.format): f
    for f in [
        SourceFormat("examples", "rt2data", converted.ConvertedOptions, converted.converted_work_items,
                     converted.read_converted),
        SourceFormat("caption", "wds", captions.WdsCaptionOptions, captions.wds_work_items, captions.read_wds_captions),
        SourceFormat("caption", "parquet", parquet.ParquetCaptionOptions, parquet.parquet_work_items,
                     parquet.read_parquet),
        SourceFormat("caption", "flickr30k", captions.Flickr30kOptions, captions.flickr30k_work_items,
                     captions.read_flickr30k),
        SourceFormat("vqa", "wds", vqa.WdsVqaOptions, captions.wds_work_items, vqa.read_wds_vqa),
        SourceFormat("vqa", "parquet", parquet.ParquetVqaOptions, parquet.parquet_work_items, parquet.read_parquet),
        SourceFormat("vqa", "vqav2", vqa.Vqav2Options, _records(vqa.vqav2_records), vqa.read_records),
        SourceFormat("vqa", "gqa", vqa.GqaOptions, _records(vqa.gqa_records), vqa.read_records),
        SourceFormat("vqa", "vgqa", vqa.VgqaOptions, _records(vqa.vgqa_records), vqa.read_records),
    ]
}
KINDS = ("examples", "caption", "vqa")
DEFAULT_FORMAT = {"examples": "rt2data"}


def get_format(kind: str, fmt: str | None, *, where: str) -> SourceFormat:
    """The registered format, or a ``ConfigError`` naming ``where`` and the valid choices."""
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind {kind!r} is unknown; use one of {list(KINDS)}")
    fmt = fmt if fmt is not None else DEFAULT_FORMAT.get(kind)
    known = sorted(f for k, f in FORMATS if k == kind)
    if fmt is None:
        raise ConfigError(f"{where}: kind {kind!r} needs a 'format': one of {known}")
    if (kind, fmt) not in FORMATS:
        raise ConfigError(f"{where}: format {fmt!r} is unknown for kind {kind!r}; use one of {known}")
    return FORMATS[(kind, fmt)]


def plan_work(name: str, kind: str, fmt: str, options: Any) -> list[WorkItem]:
    """The work items of one source (launch side)."""
    return get_format(kind, fmt, where=f"source {name!r}").work_items(name, options)


def read_work_item(
    item: WorkItem, *, kind: str, fmt: str, options: Any, template: WebTemplate | None
) -> Iterator[SourceItem | SampleDeadLetter]:
    """Items and dead letters of one work item (worker side)."""
    spec = get_format(kind, fmt, where=f"source {item.source!r}")
    factory = None
    if template is not None:
        factory = ItemFactory(
            source=item.source,
            template=template,
            markup=getattr(options, "markup", "none"),
            verify_images=getattr(options, "verify_images", True),
            max_image_pixels=getattr(options, "max_image_pixels", MAX_IMAGE_PIXELS),
        )
    yield from spec.read(item, factory, options)
