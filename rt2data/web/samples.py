"""From a raw web sample (image bytes + text) to a usable ``SourceItem`` or a ``SampleDeadLetter``.

Every reader (tars, Parquet, VQAv2/GQA/VG folders, Flickr30k) finds the pieces of a sample its own way and hands
them to ``ItemFactory``, so the checks, the key and the example fields are the same for every format.

Keys: ``derive_key(source, raw_key)`` = ``make_key(source, raw_key)`` (characters outside ``[A-Za-z0-9_-]``
become ``_``), shortened with a hash of the raw key past 160 characters so the mixture's epoch suffix still fits.
Two raw keys can map to one derived key (``a.b`` and ``a/b``); the mixture dead-letters the later one as
``duplicate_key``, so output keys stay unique.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

from rt2data.example import Example, make_key, sniff_image_format
from rt2data.io.spans import FileSpan
from rt2data.image_open import certain_header, check_jpeg_decodes
from rt2data.dead_letters import SampleDeadLetter
from rt2data.web.options import MAX_IMAGE_PIXELS
from rt2data.web.templates import WebTemplate
from rt2data.web.text import clean_text, majority_answer

__all__ = ["WorkItem", "SourceItem", "ImageProblem", "derive_key", "prepare_image", "ItemFactory", "MAX_BASE_KEY"]

MAX_BASE_KEY = 160


@dataclass(frozen=True)
class WorkItem:
    """One unit of reading work: a file, a Parquet row group, or a chunk of index records.

    Attributes:
        source: mixture source name.
        index: position in the source's list of work items (orders samples for the duplicate-key rule).
        path: the file read (or the index file the records came from).
        part: format-specific: row-group number, a tuple of records, or ``None`` for a whole file.
    """

    source: str
    index: int
    path: str
    part: Any = None


@dataclass(frozen=True)
class SourceItem:
    """A usable sample: the example (with its base key) and where it came from.

    Attributes:
        source: mixture source name.
        raw_key: the sample's own key in its input.
        location: (work item index, sample index within it): first wins among duplicate keys.
        example: the example; ``example.key`` is the base key (the mixture appends the epoch).
        where: file path, plus ``::member`` / ``#row`` / ``:line`` when known (named in duplicate-key dead letters).
        image_at: where in a local file ``example.image`` was read, byte for byte (``rt2data.io.spans``), or
            None (an image converted, decompressed, read from a URL or held in a Parquet cell).
    """

    source: str
    raw_key: str
    location: tuple[int, int]
    example: Example
    where: str = ""
    image_at: FileSpan | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return self.example.key


class ImageProblem(Exception):
    """Raised by ``prepare_image``: ``reason`` is a dead-letter reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def derive_key(source: str, raw_key: str) -> str:
    """The example key of a sample: ``make_key(source, raw_key)``, at most ``MAX_BASE_KEY`` characters."""
    key = make_key(source, raw_key)
    untruncated = len(source) + 1 + len(raw_key)
    if len(key) > MAX_BASE_KEY or untruncated > 200:
        digest = hashlib.blake2b(raw_key.encode("utf-8"), digest_size=8).hexdigest()
        key = key[: MAX_BASE_KEY - 18].rstrip("-_") + "-h" + digest
    return key


def _check_pixels(width: int, height: int, max_pixels: int | None) -> None:
    if max_pixels is not None and width * height > max_pixels:
        raise ImageProblem("image_too_large", f"image is {width}x{height} = {width * height} pixels, "
                                              f"more than max_image_pixels {max_pixels}")


def prepare_image(data: bytes, *, verify: bool = True, max_pixels: int | None = None) -> tuple[bytes, str]:
    """Image bytes as stored in the example, and their format.

    Bytes with a known magic number are stored untouched. ``verify=True`` (the default of every web source)
    decodes every image first, so a truncated or corrupt file is dead-lettered here instead of failing a trainer
    later; a JPEG is decoded at 1/8 scale (every entropy-coded byte read, the inverse DCT and colour conversion
    mostly skipped: about half the cost of a full decode, ~150 us for 256x256). Unknown bytes are decoded with
    Pillow and re-encoded as PNG (lossless). The header's size is checked against ``max_pixels`` before any
    decoding, so a decompression bomb is refused without allocating its pixels.

    Raises:
        ImageProblem: ``no_image`` for empty bytes, ``image_too_large`` past ``max_pixels``,
            ``undecodable_image`` when the bytes do not decode (fully, with ``verify``).
    """
    if not data:
        raise ImageProblem("no_image", "image member is empty")
    fmt = sniff_image_format(data)
    if fmt is not None and not verify and max_pixels is None:
        return data, fmt
    header = certain_header(data) if fmt in ("jpg", "png") else None
    if header is not None:  # Image.open certainly gives this header: size checked and JPEG decoded without it
        _check_pixels(*header[1], max_pixels)
        if not verify:
            return data, fmt
        if fmt == "jpg":
            try:
                if check_jpeg_decodes(data, header):
                    return data, fmt
            except Exception as exc:  # Pillow's decoder raises OSError or ValueError for bad bytes
                raise ImageProblem("undecodable_image", f"{len(data)} bytes do not decode as an image: {exc}") from None
    from PIL import Image

    try:
        with warnings.catch_warnings():
            # Our own limit decides; Pillow's warning (or error past twice its limit) would be a second, global one.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                _check_pixels(*im.size, max_pixels)
                if fmt is not None and not verify:
                    return data, fmt
                if fmt == "jpg" and im.format == "JPEG":
                    # Decoded at 1/8 scale (libjpeg's DCT scaling): every entropy-coded byte is still read, so a
                    # truncated or corrupt file fails as in a full decode, at about half the cost.
                    im.draft(im.mode, (1, 1))
                im.load()
                if fmt is not None:
                    return data, fmt
                buf = io.BytesIO()
                im.save(buf, format="PNG")
    except ImageProblem:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageProblem("image_too_large", str(exc)) from None
    except Exception as exc:  # Pillow raises many types for bad bytes
        raise ImageProblem("undecodable_image", f"{len(data)} bytes do not decode as an image: {exc}") from None
    return buf.getvalue(), "png"


_PREPARED_KEPT = 16
"""Image outcomes an ItemFactory keeps (its reader hands the same bytes object to the samples of one image)."""


@dataclass(frozen=True)
class ItemFactory:
    """Builds items of one source.

    Attributes:
        source: mixture source name (also every example's ``source``).
        template: the prompt template; its kind is the examples' kind.
        markup: text markup to strip (``rt2data.web.text.MARKUPS``).
        verify_images: decode every image fully before it is written.
        max_image_pixels: the largest image (width x height) accepted; None: no limit.
    """

    source: str
    template: WebTemplate
    markup: str = "none"
    verify_images: bool = True
    max_image_pixels: int | None = MAX_IMAGE_PIXELS
    # the outcome of preparing each of the last few image objects: questions that share an image file get the same
    # bytes object from their reader (rt2data.web.vqa), so the image is checked once, not once per question
    _prepared: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def dead(self, raw_key: str, reason: str, detail: str, where: str) -> SampleDeadLetter:
        return SampleDeadLetter(source=self.source, key=raw_key, reason=reason, detail=detail, where=where)

    def _image(self, raw_key: str, image: bytes | None, where: str) -> tuple[bytes, str] | SampleDeadLetter:
        if image is None:
            return self.dead(raw_key, "no_image", "sample has no image", where)
        memo = self._prepared.get(id(image))
        if memo is None or memo[0] is not image:  # by identity: the entry holds its object, so the id stays its own
            try:
                outcome: Any = prepare_image(image, verify=self.verify_images, max_pixels=self.max_image_pixels)
            except ImageProblem as exc:
                outcome = exc
            if len(self._prepared) >= _PREPARED_KEPT:
                del self._prepared[next(iter(self._prepared))]
            memo = self._prepared[id(image)] = (image, outcome)
        outcome = memo[1]
        if isinstance(outcome, ImageProblem):
            return self.dead(raw_key, outcome.reason, outcome.detail, where)
        return outcome

    def _example(self, raw_key: str, location: tuple[int, int], where: str, img: tuple[bytes, str], prompt: str,
                 target: str, image: bytes, image_at: FileSpan | None) -> SourceItem:
        example = Example(
            key=derive_key(self.source, raw_key),
            image=img[0],
            image_format=img[1],
            prompt=prompt,
            target=target,
            kind=self.template.kind,
            source=self.source,
            template_id=self.template.id,
        )
        return SourceItem(source=self.source, raw_key=raw_key, location=location, example=example, where=where,
                          image_at=image_at if img[0] is image else None)

    def caption(
        self, raw_key: str, location: tuple[int, int], where: str, *, image: bytes | None, text: str | None,
        image_at: FileSpan | None = None,
    ) -> SourceItem | SampleDeadLetter:
        """A caption item: prompt = the template text, target = the cleaned caption. ``image_at``: where ``image``
        lies in a local file (kept on the item when the image is stored as read)."""
        if image is None:
            return self.dead(raw_key, "no_image", "sample has no image", where)
        if text is None:
            return self.dead(raw_key, "no_text", "sample has no caption", where)
        caption = clean_text(text, markup=self.markup)
        if not caption:
            return self.dead(raw_key, "empty_text", f"caption is empty after cleaning: {text[:80]!r}", where)
        img = self._image(raw_key, image, where)
        if isinstance(img, SampleDeadLetter):
            return img
        return self._example(raw_key, location, where, img, self.template.render(), caption, image, image_at)

    def vqa(
        self,
        raw_key: str,
        location: tuple[int, int],
        where: str,
        *,
        image: bytes | None,
        question: str | None,
        answers: Sequence[str] | None,
        image_at: FileSpan | None = None,
    ) -> SourceItem | SampleDeadLetter:
        """A VQA item: prompt = the template with the question, target = the majority answer (``image_at``: as
        for :meth:`caption`)."""
        if image is None:
            return self.dead(raw_key, "no_image", "sample has no image", where)
        if question is None:
            return self.dead(raw_key, "no_text", "sample has no question", where)
        if answers is None:
            return self.dead(raw_key, "no_text", "sample has no answer", where)
        q = clean_text(question, markup=self.markup)
        if not q:
            return self.dead(raw_key, "empty_text", "question is empty", where)
        answer = majority_answer(answers)
        if answer is None:
            return self.dead(raw_key, "empty_text", f"no non-empty answer among {list(answers)[:10]!r}", where)
        img = self._image(raw_key, image, where)
        if isinstance(img, SampleDeadLetter):
            return img
        return self._example(raw_key, location, where, img, self.template.render(question=q), answer, image,
                             image_at)
