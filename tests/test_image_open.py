"""``rt2data.image_open`` (issue 14): the header check vouches only where ``PIL.Image.open`` certainly opens the bytes
and reports the same format, size and mode; a lazily opened image behaves as the one PIL opens; anything else is
opened (and fails) exactly as before."""

from __future__ import annotations

import copy
import io
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, JpegImagePlugin, PngImagePlugin

from rt2data.image_open import certain_header, check_jpeg_decodes, open_image


def _save(mode: str, size: tuple[int, int], fmt: str, **options) -> bytes:
    rng = np.random.default_rng(sum(size))
    base = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")
    image = base.convert(mode) if mode not in ("I;16",) else base.convert("L").convert("I;16")
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


def _icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

# Images PIL writes, each with the header check's expected verdict (True: vouched for).
PRODUCED = {
    "jpeg rgb": (_save("RGB", (256, 256), "JPEG"), True),
    "jpeg odd size": (_save("RGB", (17, 33), "JPEG", quality=30), True),
    "jpeg 1x1": (_save("RGB", (1, 1), "JPEG"), True),
    "jpeg grey": (_save("L", (31, 7), "JPEG"), True),
    "jpeg cmyk": (_save("CMYK", (20, 10), "JPEG"), True),
    "jpeg progressive": (_save("RGB", (64, 48), "JPEG", progressive=True), True),
    "jpeg optimized": (_save("RGB", (64, 48), "JPEG", optimize=True), True),
    "jpeg 4:4:4": (_save("RGB", (40, 40), "JPEG", subsampling=0, quality=95), True),
    "jpeg dpi": (_save("RGB", (40, 40), "JPEG", dpi=(300, 300)), True),
    "jpeg comment": (_save("RGB", (40, 40), "JPEG", comment=b"hello"), True),
    "jpeg restart": (_save("RGB", (40, 40), "JPEG", restart_marker_blocks=1), True),
    "jpeg icc": (_save("RGB", (40, 40), "JPEG", icc_profile=_icc()), True),
    "jpeg exif": (_save("RGB", (40, 40), "JPEG", exif=Image.Exif()), None),  # Exif: PIL parses it; not vouched
    "png rgb": (_save("RGB", (33, 17), "PNG"), True),
    "png rgba": (_save("RGBA", (5, 300), "PNG"), True),
    "png grey": (_save("L", (9, 9), "PNG"), True),
    "png la": (_save("LA", (9, 9), "PNG"), True),
    "png palette": (_save("P", (12, 11), "PNG"), True),
    "png 1-bit": (_save("1", (12, 11), "PNG"), True),
    "png 16-bit": (_save("I;16", (12, 11), "PNG"), True),
    "png dpi": (_save("RGB", (8, 8), "PNG", dpi=(72, 72)), None),  # pHYs before IDAT: PIL decides
    "webp": (_save("RGB", (8, 8), "WEBP"), None),
    "gif": (_save("P", (8, 8), "GIF"), None),
    "bmp": (_save("RGB", (8, 8), "BMP"), None),
}


def _pil(data: bytes):
    """What ``Image.open`` reports, or the exception it raises; and whether it warned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            image = Image.open(io.BytesIO(data))
            return (image.format, image.size, image.mode), bool(caught)
        except Exception as exc:  # noqa: BLE001  (whatever PIL raises is the answer)
            return exc, bool(caught)


@pytest.mark.parametrize("name", sorted(PRODUCED))
def test_header_check_on_images_pil_writes(name):
    data, vouched = PRODUCED[name]
    got = certain_header(data)
    assert (got is not None) == bool(vouched), got
    if got is not None:
        assert _pil(data) == (got, False)


def _assert_sound(data: bytes) -> None:
    got = certain_header(data)
    if got is not None:
        assert _pil(data) == (got, False), data[:64]


@pytest.mark.parametrize("name", [n for n, (_, v) in PRODUCED.items() if v])
def test_every_truncation_is_refused_or_opens(name):
    data = PRODUCED[name][0]
    header_end = min(len(data), 1200)
    for cut in range(header_end):
        _assert_sound(data[:cut])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([n for n, (_, v) in PRODUCED.items() if v]), st.data())
def test_damaged_headers_are_refused_or_open_as_reported(name, data):
    original = bytearray(PRODUCED[name][0])
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, min(len(original), 700) - 1))
        original[at] = data.draw(st.sampled_from([0, 1, 2, 0x7F, 0xC0, 0xC2, 0xDA, 0xDB, 0xFF, original[at] ^ 1]))
    _assert_sound(bytes(original))


def test_pixel_limit_is_respected(monkeypatch):
    data = PRODUCED["jpeg rgb"][0]
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 256 * 255)
    assert certain_header(data) is None
    with pytest.warns(Image.DecompressionBombWarning):
        open_image(data)  # opened now, warning as Image.open does


def test_lazy_image_is_the_image_pil_opens():
    data = PRODUCED["jpeg rgb"][0]
    reference = Image.open(io.BytesIO(data))
    lazy = open_image(data)
    assert type(lazy).__name__ == "LazyImage"  # nothing parsed yet
    assert isinstance(lazy, Image.Image) and isinstance(lazy, JpegImagePlugin.JpegImageFile)
    assert (lazy.format, lazy.size, lazy.mode) == (reference.format, reference.size, reference.mode)
    assert type(lazy) is JpegImagePlugin.JpegImageFile and lazy.info == reference.info
    assert np.array_equal(np.asarray(lazy), np.asarray(reference))
    for make in (lambda im: np.asarray(im), lambda im: im.convert("L").tobytes(), lambda im: im.resize((8, 8)).tobytes(),
                 lambda im: pickle.loads(pickle.dumps(im)).tobytes(), lambda im: copy.copy(im).tobytes(),
                 lambda im: repr(im).split(" at ")[0], lambda im: im.getpixel((3, 4))):
        got, want = make(open_image(data)), make(Image.open(io.BytesIO(data)))
        assert np.array_equal(got, want) if isinstance(got, np.ndarray) else got == want
    with open_image(data) as opened:
        assert opened.size == (256, 256)
    assert open_image(data) == reference
    png = open_image(PRODUCED["png palette"][0])
    assert isinstance(png, PngImagePlugin.PngImageFile) and png.mode == "P" and png.getpalette()


@pytest.mark.parametrize("data", [b"", b"not an image", PRODUCED["jpeg rgb"][0][:300], b"\x89PNG\r\n\x1a\n" + b"\0" * 30,
                                  PRODUCED["jpeg rgb"][0][:2] + b"\xff\xff\xff" + PRODUCED["jpeg rgb"][0][2:]])
def test_what_is_not_vouched_for_opens_or_fails_as_before(data):
    want = _pil(data)[0]
    try:
        got = open_image(data)
    except Exception as exc:  # noqa: BLE001
        assert isinstance(want, Exception) and type(exc) is type(want)
        assert str(exc).split(" at 0x")[0] == str(want).split(" at 0x")[0]  # (PIL names the BytesIO object)
    else:
        assert type(got).__name__ != "LazyImage"
        assert (got.format, got.size, got.mode) == want


def _draft_load(data: bytes) -> str | None:
    """What PIL's own 1/8-scale decode says: None when it loads, else its error message."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.draft(im.mode, (1, 1))
            im.load()
        return None
    except Exception as exc:  # noqa: BLE001
        return str(exc)


def _checked(data: bytes) -> str | None:
    try:
        assert check_jpeg_decodes(data, certain_header(data))
        return None
    except OSError as exc:
        return str(exc)


@pytest.mark.parametrize("name", [n for n, (_, v) in PRODUCED.items() if v and n.startswith("jpeg")])
def test_jpeg_check_decodes_as_pil_draft_load(name):
    """``check_jpeg_decodes`` is PIL's draft decode without PIL's Python: the same verdict and message on every cut
    after the header and on damaged scans (truncated, broken, and damaged-but-decodable files all occur)."""
    jpg = PRODUCED[name][0]
    rng = np.random.default_rng(len(jpg))
    cases = [jpg[:n] for n in range(len(jpg) // 2, len(jpg) + 1, max(1, len(jpg) // 200))]
    for _ in range(60):
        damaged = bytearray(jpg)
        at, n = int(rng.integers(len(jpg) // 2, len(jpg))), int(rng.integers(1, 16))
        damaged[at:at + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        cases.append(bytes(damaged))
    verdicts = set()
    for data in cases:
        if certain_header(data) is None:
            continue
        want = _draft_load(data)
        assert _checked(data) == want, (name, len(data))
        verdicts.add(want is None)
    assert True in verdicts and (False in verdicts or name == "jpeg 1x1")


def test_jpeg_check_declines_when_pil_loads_truncated_images(monkeypatch):
    from PIL import ImageFile

    data = PRODUCED["jpeg rgb"][0]
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert check_jpeg_decodes(data[:-100], certain_header(data)) is False
