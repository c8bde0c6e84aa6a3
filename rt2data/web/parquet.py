"""Parquet tables as Hugging Face ``datasets`` exports them, read with pyarrow, streamed by row group.

The image column may be a struct ``{bytes, path}`` (HF ``Image`` feature: bytes inline, or only a path), a binary
column, or a string column of paths. Relative paths are resolved against ``image_root`` (default: the Parquet
file's folder). Text columns: ``caption_column`` for captions (a string or a list of strings: the first non-empty),
``question_column`` + ``answer_column`` for VQA (a string, a list of strings, or a list of ``{answer: ...}``
structs as in HF's VQAv2 export; several answers are voted).

A work item is one row group; rows are read in batches of ``batch_rows``, so a file larger than memory is fine.
Sample keys: the ``key_column`` value when given, else ``<file stem>/<row number in the file>``.
Missing columns are found when the work is planned (a ``ConfigError`` naming the file and the columns it has).

Files may be local paths or URLs (``s3://``, ``gs://``). pyarrow reads them through a seekable file object from
``rt2data.io`` (Beam's ``FileSystems``: range reads, so only the footer and the wanted row group's column chunks are
fetched), not through pyarrow's own ``pyarrow.fs`` filesystems: those take their endpoint and credentials from a
configuration of their own (``pyarrow.fs.S3FileSystem(endpoint_override=...)``) and would not see the Beam options
(``--s3_endpoint_url``, ...) that reach every worker, so one set of options serves all inputs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from rt2data import io
from rt2data.errors import ConfigError, DataError
from rt2data.dead_letters import SampleDeadLetter
from rt2data.io.spans import FileSpan, file_span
from rt2data.web.options import MAX_IMAGE_PIXELS, as_str_tuple, check_bool, check_markup, check_positive, path_field
from rt2data.web.paths import PARQUET_SUFFIXES, expand_patterns
from rt2data.web.samples import ItemFactory, SourceItem, WorkItem
from rt2data.web.text import answers_of

__all__ = ["ParquetCaptionOptions", "ParquetVqaOptions", "parquet_work_items", "read_parquet", "image_of_cell"]


@dataclass(frozen=True)
class ParquetCaptionOptions:
    """Options of ``kind: caption, format: parquet`` (see module docstring)."""

    path: tuple[str, ...] = path_field("patterns")
    image_column: str = "image"
    caption_column: str = "caption"
    key_column: str | None = None
    image_root: str | None = path_field("dir", optional=True)
    markup: str = "none"
    verify_images: bool = True
    max_image_pixels: int = MAX_IMAGE_PIXELS
    batch_rows: int = 256

    def __post_init__(self) -> None:
        as_str_tuple(self, "path")
        check_markup(self.markup)
        check_bool(self.verify_images, "verify_images")
        check_positive(self.max_image_pixels, "max_image_pixels")
        check_positive(self.batch_rows, "batch_rows")

    def text_columns(self) -> tuple[str, ...]:
        return (self.caption_column,)


@dataclass(frozen=True)
class ParquetVqaOptions:
    """Options of ``kind: vqa, format: parquet`` (see module docstring)."""

    path: tuple[str, ...] = path_field("patterns")
    image_column: str = "image"
    question_column: str = "question"
    answer_column: str = "answer"
    key_column: str | None = None
    image_root: str | None = path_field("dir", optional=True)
    verify_images: bool = True
    max_image_pixels: int = MAX_IMAGE_PIXELS
    batch_rows: int = 256

    def __post_init__(self) -> None:
        as_str_tuple(self, "path")
        check_bool(self.verify_images, "verify_images")
        check_positive(self.max_image_pixels, "max_image_pixels")
        check_positive(self.batch_rows, "batch_rows")

    def text_columns(self) -> tuple[str, ...]:
        return (self.question_column, self.answer_column)


def _columns(options: Any) -> list[str]:
    cols = [options.image_column, *options.text_columns()]
    if options.key_column:
        cols.append(options.key_column)
    return cols


def parquet_work_items(source: str, options: Any) -> list[WorkItem]:
    """One work item per row group of every file; ``part`` = (row group, first row number in the file)."""
    import pyarrow.parquet as pq

    files = expand_patterns(options.path, suffixes=PARQUET_SUFFIXES, what=f"source {source!r}")
    items: list[WorkItem] = []
    for path in files:
        with io.open_read(path) as stream:
            try:
                pf = pq.ParquetFile(stream)
            except Exception as exc:  # pyarrow raises ArrowInvalid/OSError for non-Parquet files
                raise DataError(f"source {source!r}: cannot open Parquet file {path!r}: {exc}") from exc
        names = set(pf.schema_arrow.names)
        missing = [c for c in _columns(options) if c not in names]
        if missing:
            raise ConfigError(
                f"source {source!r}: Parquet file {path!r} has no column(s) {missing}; its columns are "
                f"{sorted(names)}: set image_column / caption_column / question_column / answer_column / key_column"
            )
        first = 0
        for g in range(pf.metadata.num_row_groups):
            items.append(WorkItem(source=source, index=len(items), path=path, part=(g, first)))
            first += pf.metadata.row_group(g).num_rows
    return items


def image_of_cell(cell: Any, *, root: str) -> tuple[bytes | None, str | None]:
    """(image bytes, problem) of an image cell: struct {bytes, path}, bytes, or a path string."""
    image, problem, _ = _image_of_cell(cell, root=root)
    return image, problem


def _image_of_cell(cell: Any, *, root: str) -> tuple[bytes | None, str | None, FileSpan | None]:
    """:func:`image_of_cell`, and where the image lies when the cell names a local file (the whole file)."""
    path = None
    if isinstance(cell, Mapping):
        if cell.get("bytes"):
            return bytes(cell["bytes"]), None, None
        path = cell.get("path")
    elif isinstance(cell, (bytes, bytearray)):
        return (bytes(cell) or None), None, None
    elif isinstance(cell, str):
        path = cell
    elif cell is not None:
        return None, f"image cell has type {type(cell).__name__}", None
    if not path:
        return None, None, None
    full = path if io.is_url(path) or os.path.isabs(path) else io.join(root, path)
    try:
        image = io.read_bytes(full)
    except DataError:
        return None, None, None
    return image, None, file_span(full, 0, len(image))


def _text_cell(cell: Any) -> str | None:
    if isinstance(cell, (list, tuple)):
        return next((c for c in cell if isinstance(c, str) and c.strip()), None)
    return cell if isinstance(cell, str) else None


def read_parquet(item: WorkItem, factory: ItemFactory, options: Any) -> Iterator[SourceItem | SampleDeadLetter]:
    """Items and dead letters of one row group."""
    group, first = item.part
    stem = io.basename(item.path).removesuffix(".parquet")
    root = options.image_root or io.dirname(item.path)
    row = first
    try:
        stream = io.open_read(item.path)
    except DataError as exc:
        yield factory.dead(f"{stem}/{row}", "unreadable_file", f"cannot open row group {group}: {exc}", item.path)
        return
    with stream:
        yield from _read_group(stream, item, factory, options, stem=stem, root=root)


def _read_group(stream: Any, item: WorkItem, factory: ItemFactory, options: Any, *, stem: str,
                root: str) -> Iterator[SourceItem | SampleDeadLetter]:
    import pyarrow.parquet as pq

    group, first = item.part
    row = first
    try:
        pf = pq.ParquetFile(stream)
        batches = iter(pf.iter_batches(batch_size=options.batch_rows, row_groups=[group], columns=_columns(options)))
    except Exception as exc:  # pyarrow raises several types for damaged files
        yield factory.dead(f"{stem}/{row}", "unreadable_file", f"cannot open row group {group}: {exc}", item.path)
        return
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as exc:  # damaged data: keep what was read, one dead letter for the rest of the group
            yield factory.dead(f"{stem}/{row}", "unreadable_file", f"cannot read row group {group}: {exc}",
                               f"{item.path}#{row}")
            return
        for record in batch.to_pylist():
            key = str(record[options.key_column]) if options.key_column else f"{stem}/{row}"
            yield from _row(record, key, (item.index, row - first), f"{item.path}#{row}", factory, options, root)
            row += 1


def _row(record: dict, key: str, location: tuple[int, int], where: str, factory: ItemFactory, options: Any,
         root: str) -> Iterator[SourceItem | SampleDeadLetter]:
    image, problem, image_at = _image_of_cell(record[options.image_column], root=root)
    if problem:
        yield factory.dead(key, "bad_record", problem, where)
        return
    if isinstance(options, ParquetCaptionOptions):
        yield factory.caption(key, location, where, image=image, text=_text_cell(record[options.caption_column]),
                              image_at=image_at)
        return
    question = record[options.question_column]
    answer_cell = record[options.answer_column]
    answers = answers_of(answer_cell) if answer_cell is not None else None
    if (question is not None and not isinstance(question, str)) or (answer_cell is not None and answers is None):
        yield factory.dead(key, "bad_record", "question/answer columns have unexpected types", where)
        return
    yield factory.vqa(key, location, where, image=image, question=question, answers=answers, image_at=image_at)
