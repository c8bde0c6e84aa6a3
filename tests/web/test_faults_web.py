"""Web inputs that must never reach a mixture: decompression bombs, truncated images, truncated tars."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
import webdataset as wds
from PIL import Image

from rt2data.errors import ConfigError
from rt2data.web import SampleDeadLetter, SourceItem, default_template, plan_work, read_work_item
from rt2data.web.captions import WdsCaptionOptions


def _image(fmt: str, size=(16, 12)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims ``width`` x ``height`` pixels (what a decompression bomb looks like
    before it is decoded)."""
    data = bytearray(_image("PNG"))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    body = bytes(data[ihdr - 4:ihdr + 13])  # type + 13 bytes of IHDR data
    data[ihdr + 13:ihdr + 17] = struct.pack(">I", zlib.crc32(body))
    return bytes(data)


def _read(path: Path, **options) -> tuple[list[SourceItem], list[SampleDeadLetter]]:
    opts = WdsCaptionOptions(path=str(path), **options)
    out = [x for item in plan_work("caps", "caption", "wds", opts)
           for x in read_work_item(item, kind="caption", fmt="wds", options=opts, template=default_template("caption"))]
    return [x for x in out if isinstance(x, SourceItem)], [x for x in out if isinstance(x, SampleDeadLetter)]


def test_bombs_and_truncated_images_are_dead_lettered_by_default(tmp_path):
    jpg = _image("JPEG")
    path = tmp_path / "caps-000000.tar"
    with wds.TarWriter(str(path)) as sink:
        sink.write({"__key__": "ok", "jpg": jpg, "txt": "fine"})
        sink.write({"__key__": "bomb", "png": _bomb_png(20000, 20000), "txt": "400 megapixels"})
        sink.write({"__key__": "cut", "jpg": jpg[: len(jpg) // 2], "txt": "truncated jpeg"})
        sink.write({"__key__": "big", "png": _image("PNG", (64, 64)), "txt": "over a small limit"})
    items, dead = _read(path, max_image_pixels=1000)
    assert [i.raw_key for i in items] == ["ok"]
    assert {d.key: d.reason for d in dead} == {"bomb": "image_too_large", "cut": "undecodable_image",
                                               "big": "image_too_large"}
    assert "4096 pixels, more than max_image_pixels 1000" in next(d.detail for d in dead if d.key == "big")
    items, dead = _read(path)  # the default limit (8192 x 8192) lets a 64x64 image through
    assert sorted(i.raw_key for i in items) == ["big", "ok"]
    with pytest.raises(ConfigError, match="max_image_pixels"):
        WdsCaptionOptions(path=str(path), max_image_pixels=0)


def test_tar_cut_at_a_member_header_is_dead_lettered(tmp_path):
    import tarfile

    path = tmp_path / "caps-000000.tar"
    jpg = _image("JPEG")
    with wds.TarWriter(str(path)) as sink:
        for key in ("a", "b", "c"):
            sink.write({"__key__": key, "jpg": jpg, "txt": f"sample {key}"})
    with tarfile.open(path) as tar:
        cut = next(m.offset for m in tar.getmembers() if m.name.startswith("b."))
    whole = path.read_bytes()
    for end in (cut, cut + 100):  # exactly at a header, and inside one
        path.write_bytes(whole[:end])
        items, dead = _read(path)
        assert [i.raw_key for i in items] == ["a"]
        assert [d.reason for d in dead] == ["unreadable_file"]
        assert f"at byte {cut}" in dead[0].detail and "later samples are lost" in dead[0].detail
    path.write_bytes(whole[:cut] + b"\0" * 1024)  # a complete tar of one sample: nothing lost
    assert [i.raw_key for i in _read(path)[0]] == ["a"] and _read(path)[1] == []



def _jpegs() -> dict[str, bytes]:
    import numpy as np

    pixels = np.random.default_rng(0).integers(0, 255, (96, 128, 3), dtype=np.uint8)
    out = {}
    for name, mode, options in [("base", "RGB", {}), ("prog", "RGB", {"progressive": True}), ("gray", "L", {}),
                                ("cmyk", "CMYK", {})]:
        buf = io.BytesIO()
        Image.fromarray(pixels).convert(mode).save(buf, format="JPEG", quality=90, **options)
        out[name] = buf.getvalue()
    return out


def test_jpegs_cut_near_their_end_are_dead_lettered(tmp_path):
    """Verification decodes JPEGs at 1/8 scale; that still reads every entropy-coded byte, so a file that lost only
    its end-of-image marker, or a few bytes more, is refused (baseline, progressive, grayscale and CMYK)."""
    path = tmp_path / "caps-000000.tar"
    jpegs = _jpegs()
    with wds.TarWriter(str(path)) as sink:
        for name, jpg in jpegs.items():
            for cut, data in (("ok", jpg), ("eoi", jpg[:-2]), ("tail", jpg[:-40])):
                sink.write({"__key__": f"{name}-{cut}", "jpg": data, "txt": f"{name} {cut}"})
    items, dead = _read(path)
    assert sorted(i.raw_key for i in items) == sorted(f"{n}-ok" for n in jpegs)
    assert {d.key: d.reason for d in dead} == {f"{n}-{c}": "undecodable_image" for n in jpegs for c in ("eoi", "tail")}


def test_jpeg_verification_refuses_exactly_what_a_full_decode_refuses():
    """Cut and damaged JPEGs: ``prepare_image`` (1/8-scale decode) accepts a file iff Pillow's full decode does."""
    import numpy as np

    from rt2data.web.samples import ImageProblem, prepare_image

    def full_decode_ok(data: bytes) -> bool:
        try:
            with Image.open(io.BytesIO(data)) as im:
                im.load()
            return True
        except Exception:
            return False

    def verified(data: bytes) -> bool:
        try:
            return prepare_image(data) == (data, "jpg")
        except ImageProblem as exc:
            assert exc.reason == "undecodable_image"
            return False

    rng = np.random.default_rng(1)
    seen = set()
    for jpg in _jpegs().values():
        cases = [jpg[:n] for n in range(len(jpg) - 60, len(jpg) + 1, 3)]
        for _ in range(40):
            damaged = bytearray(jpg)
            at, n = int(rng.integers(300, len(jpg) - 40)), int(rng.integers(1, 32))
            damaged[at:at + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
            cases.append(bytes(damaged))
        for data in cases:
            ok = full_decode_ok(data)
            assert verified(data) == ok
            seen.add(ok)
    assert seen == {True, False}  # both verdicts were exercised
