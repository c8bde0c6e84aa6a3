"""VQA sources: WebDataset VQA tars, the native VQAv2 layout, GQA and Visual Genome QA.

- ``wds``: ``KEY.<image>`` + ``KEY.json`` with ``question_field`` and ``answer_field`` (a string, a list of
  strings, or a list of ``{"answer": ...}``); several answers are voted (``rt2data.web.text.majority_answer``).
- ``vqav2``: ``questions.json`` + ``annotations.json`` (official VQAv2 files) + an image folder with COCO names
  ``COCO_<subtype>_<12-digit image id>.jpg``; ``subtype`` defaults to the questions file's ``data_subtype``
  (e.g. ``train2014``). The answer is the most frequent of the ten human answers, ties broken by the earliest
  ``answer_id``. Without an annotations file (test split) every question is ``no_text``.
- ``gqa``: a questions JSON object ``{question_id: {question, answer, imageId}}`` (or a folder of such files) and
  ``<imageId>.jpg`` images.
- ``vgqa``: Visual Genome ``question_answers.json`` (``[{id, qas: [{qa_id, question, answer, image_id}]}]``) and
  ``<image_id>.jpg`` images.

The index JSON files are parsed once, where the pipeline is launched, and cut into chunks of ``chunk`` questions
(work items); the images are read by the workers. Every file may be a local path or a URL (``s3://``, ``gs://``):
all reads and listings go through ``rt2data.io``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator

from rt2data import io
from rt2data.errors import ConfigError, DataError, Rt2DataError
from rt2data.web.captions import DEFAULT_IMAGE_KEYS, text_of_member
from rt2data.dead_letters import SampleDeadLetter
from rt2data.io.spans import file_span
from rt2data.web.paths import read_image_file
from rt2data.web.options import MAX_IMAGE_PIXELS, as_str_tuple, check_bool, check_positive, path_field
from rt2data.web.samples import ItemFactory, SourceItem, WorkItem
from rt2data.web.tars import TarProblem, iter_tar_samples, tar_image
from rt2data.web.text import answers_of, lookup_field

__all__ = [
    "WdsVqaOptions",
    "Vqav2Options",
    "GqaOptions",
    "VgqaOptions",
    "QaRecord",
    "read_wds_vqa",
    "vqav2_records",
    "gqa_records",
    "vgqa_records",
    "records_work_items",
    "read_records",
]

# (raw key, image file path, question or None, answers or None)
QaRecord = tuple[str, str, "str | None", "tuple[str, ...] | None"]


@dataclass(frozen=True)
class WdsVqaOptions:
    """Options of ``kind: vqa, format: wds`` (see module docstring)."""

    path: tuple[str, ...] = path_field("patterns")
    image_keys: tuple[str, ...] = DEFAULT_IMAGE_KEYS
    json_key: str = "json"
    question_field: str = "question"
    answer_field: str = "answer"
    verify_images: bool = True
    max_image_pixels: int = MAX_IMAGE_PIXELS

    def __post_init__(self) -> None:
        as_str_tuple(self, "path")
        as_str_tuple(self, "image_keys")
        object.__setattr__(self, "image_keys", tuple(k.lower() for k in self.image_keys))
        for name in ("json_key", "question_field", "answer_field"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ConfigError(f"option {name!r} must be a non-empty string, got {getattr(self, name)!r}")
        check_bool(self.verify_images, "verify_images")
        check_positive(self.max_image_pixels, "max_image_pixels")


def read_wds_vqa(item: WorkItem, factory: ItemFactory, options: WdsVqaOptions) -> Iterator[SourceItem | SampleDeadLetter]:
    """Items and dead letters of one VQA tar."""
    for sample in iter_tar_samples(item.path):
        if isinstance(sample, TarProblem):
            yield factory.dead(sample.key, sample.reason, sample.detail, sample.where)
            continue
        where = f"{item.path}::{sample.key}"
        image, image_at = tar_image(sample, options.image_keys, item.path)
        raw = sample.members.get(options.json_key)
        if raw is None:
            if image is None:
                yield factory.dead(sample.key, "no_image", "sample has no image", where)
            else:
                yield factory.dead(sample.key, "no_text", f"sample has no .{options.json_key} member", where)
            continue
        text = text_of_member(raw)
        try:
            record = json.loads(text) if text is not None else None
        except ValueError:
            record = None
        if not isinstance(record, dict):
            yield factory.dead(sample.key, "bad_record", f".{options.json_key} is not a JSON object", where)
            continue
        question = lookup_field(record, options.question_field)
        answer_value = lookup_field(record, options.answer_field)
        answers = answers_of(answer_value) if answer_value is not None else None
        if (question is not None and not isinstance(question, str)) or (answer_value is not None and answers is None):
            yield factory.dead(
                sample.key, "bad_record",
                f"fields {options.question_field!r}/{options.answer_field!r} have unexpected types", where,
            )
            continue
        yield factory.vqa(sample.key, (item.index, sample.index), where, image=image, question=question,
                          answers=answers, image_at=image_at)


@dataclass(frozen=True)
class Vqav2Options:
    """Options of ``kind: vqa, format: vqav2``.

    Attributes:
        questions: official ``*_questions.json``.
        annotations: official ``*_annotations.json`` (null for the test split: every question is ``no_text``).
        images: folder with the COCO images.
        subtype: COCO subtype in the image names; null reads the questions file's ``data_subtype``.
        image_template: image file name, ``{subtype}`` and ``{image_id}`` placeholders.
        verify_images: decode every image fully before it is written (default; catches truncated files).
        max_image_pixels: images with more pixels are dead-lettered as ``image_too_large``.
        chunk: questions per work item.
    """

    questions: str = path_field("file")
    images: str = path_field("dir")
    annotations: str | None = path_field("file", optional=True)
    subtype: str | None = None
    image_template: str = "COCO_{subtype}_{image_id:012d}.jpg"
    verify_images: bool = True
    max_image_pixels: int = MAX_IMAGE_PIXELS
    chunk: int = 500

    def __post_init__(self) -> None:
        check_bool(self.verify_images, "verify_images")
        check_positive(self.max_image_pixels, "max_image_pixels")
        check_positive(self.chunk, "chunk")
        _check_image_template(self.image_template, subtype="train2014", image_id=1)


def _check_image_template(template: Any, **example: Any) -> None:
    """``ConfigError`` unless ``template`` formats with exactly the placeholders in ``example``."""
    try:
        if not isinstance(template, str):
            raise ValueError("it is not a string")
        template.format(**example)
    except (KeyError, ValueError, IndexError, TypeError) as exc:
        names = " and ".join("{" + n + "}" for n in example)
        raise ConfigError(f"option 'image_template' {template!r} is not usable: {exc}; placeholders are {names}") \
            from None


def _load_json(path: str, what: str) -> Any:
    try:
        return json.loads(io.read_bytes(path))
    except (Rt2DataError, ValueError) as exc:  # ValueError: bad JSON or bad UTF-8
        raise DataError(f"{what}: cannot read JSON {path!r}: {exc}") from exc


def _image_path(folder: str, name: str) -> str:
    return io.join(folder, name)


def vqav2_records(source: str, options: Vqav2Options) -> list[QaRecord]:
    """One record per question, in the questions file's order."""
    what = f"source {source!r}"
    qdoc = _load_json(options.questions, what)
    if not isinstance(qdoc, dict) or not isinstance(qdoc.get("questions"), list):
        raise DataError(f"{what}: {options.questions!r} has no 'questions' list; is it a VQAv2 questions file?")
    subtype = options.subtype or qdoc.get("data_subtype")
    if not subtype:
        raise ConfigError(f"{what}: {options.questions!r} has no 'data_subtype'; set 'subtype' (e.g. train2014)")
    answers: dict[Any, tuple[str, ...]] = {}
    if options.annotations:
        adoc = _load_json(options.annotations, what)
        if not isinstance(adoc, dict) or not isinstance(adoc.get("annotations"), list):
            raise DataError(f"{what}: {options.annotations!r} has no 'annotations' list")
        for ann in adoc["annotations"]:
            given = sorted(ann.get("answers") or [], key=lambda a: a.get("answer_id", 0))
            answers[ann.get("question_id")] = tuple(a["answer"] for a in given if isinstance(a.get("answer"), str))
    records: list[QaRecord] = []
    for q in qdoc["questions"]:
        qid, image_id = q.get("question_id"), q.get("image_id")
        if not isinstance(image_id, int):
            image_file = ""
        else:
            image_file = _image_path(options.images, options.image_template.format(subtype=subtype, image_id=image_id))
        question = q.get("question") if isinstance(q.get("question"), str) else None
        records.append((str(qid), image_file, question, answers.get(qid)))
    return records


@dataclass(frozen=True)
class _QaFileOptions:
    """Options shared by the question-file formats: a questions file, an image folder and the image file names."""

    questions: str = path_field("file")
    images: str = path_field("dir")
    image_template: str = "{image_id}.jpg"
    verify_images: bool = True
    max_image_pixels: int = MAX_IMAGE_PIXELS
    chunk: int = 500
    _SAMPLE_IMAGE_ID: ClassVar[object] = 12345  # what image ids look like, to check image_template early

    def __post_init__(self) -> None:
        check_bool(self.verify_images, "verify_images")
        check_positive(self.max_image_pixels, "max_image_pixels")
        check_positive(self.chunk, "chunk")
        _check_image_template(self.image_template, image_id=self._SAMPLE_IMAGE_ID)


@dataclass(frozen=True)
class GqaOptions(_QaFileOptions):
    """Options of ``kind: vqa, format: gqa``: ``questions`` is a JSON file or a folder of them."""

    _SAMPLE_IMAGE_ID: ClassVar[object] = "n12345"


def gqa_records(source: str, options: GqaOptions) -> list[QaRecord]:
    """One record per question; files in name order, questions in file order."""
    if io.is_dir(options.questions):
        files = [io.join(options.questions, n) for n in io.listdir(options.questions) if n.endswith(".json")]
    else:
        files = [options.questions]
    records: list[QaRecord] = []
    for path in files:
        doc = _load_json(path, f"source {source!r}")
        if not isinstance(doc, dict):
            raise DataError(f"source {source!r}: {path!r} is not a GQA questions object {{id: question}}")
        for qid, q in doc.items():
            image_id = q.get("imageId") if isinstance(q, dict) else None
            image_file = _image_path(options.images, options.image_template.format(image_id=image_id)) if image_id else ""
            question = q.get("question") if isinstance(q, dict) and isinstance(q.get("question"), str) else None
            answer = q.get("answer") if isinstance(q, dict) and isinstance(q.get("answer"), str) else None
            records.append((str(qid), image_file, question, (answer,) if answer is not None else None))
    return records


@dataclass(frozen=True)
class VgqaOptions(_QaFileOptions):
    """Options of ``kind: vqa, format: vgqa`` (Visual Genome ``question_answers.json``)."""


def vgqa_records(source: str, options: VgqaOptions) -> list[QaRecord]:
    """One record per QA pair, in file order."""
    doc = _load_json(options.questions, f"source {source!r}")
    if not isinstance(doc, list):
        raise DataError(f"source {source!r}: {options.questions!r} is not a Visual Genome QA list")
    records: list[QaRecord] = []
    for entry in doc:
        for n, qa in enumerate((entry.get("qas") or []) if isinstance(entry, dict) else []):
            if not isinstance(qa, dict):  # kept as a record without question or image: dead-lettered, counted
                records.append((f"{entry.get('id')}-{n}", "", None, None))
                continue
            image_id = qa.get("image_id", entry.get("id"))
            image_file = _image_path(options.images, options.image_template.format(image_id=image_id))
            question = qa.get("question") if isinstance(qa.get("question"), str) else None
            answer = qa.get("answer") if isinstance(qa.get("answer"), str) else None
            records.append((str(qa.get("qa_id")), image_file, question, (answer,) if answer is not None else None))
    return records


def records_work_items(source: str, records: list[QaRecord], *, path: str, chunk: int) -> list[WorkItem]:
    """Chunks of ``chunk`` records as work items."""
    return [
        WorkItem(source=source, index=i, path=path, part=tuple(records[s : s + chunk]))
        for i, s in enumerate(range(0, len(records), chunk))
    ]


_FILES_KEPT = 16
"""Image files a chunk of index records keeps read. VQAv2 asks about 5 questions per image and GQA's balanced set
about 13: questions of one image among the last few files share one read (one request on an object store) and one
check of the image."""


def read_records(item: WorkItem, factory: ItemFactory, options: Any) -> Iterator[SourceItem | SampleDeadLetter]:
    """Items and dead letters of a chunk of index records (images read through ``rt2data.io``, each file of the
    last few once: the questions that share it get the same bytes object, which the factory checks once)."""
    files: dict[str, tuple] = {}
    for n, (key, image_file, question, answers) in enumerate(item.part):
        where = f"{item.path}#{key}"
        read = files.get(image_file)
        if read is None:
            if len(files) >= _FILES_KEPT:
                del files[next(iter(files))]
            image, problem = read_image_file(image_file)
            read = files[image_file] = (image, problem, None if image is None else file_span(image_file, 0, len(image)))
        image, problem, image_at = read
        if problem is not None:
            yield factory.dead(key, problem[0], problem[1], where)
            continue
        yield factory.vqa(key, (item.index, n), where, image=image, question=question, answers=answers,
                          image_at=image_at)
