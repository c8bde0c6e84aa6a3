"""Opening an example's image for a reader: the header checked exactly at read time, PIL opened at first use.

``PIL.Image.open`` of a 256x256 JPEG takes about 50 microseconds, mostly parsing quantization tables nobody reads
before decoding; a reader streaming 20,000 examples a second cannot spend that per image (issue 14).
:func:`open_image` gives the same object ``Image.open(io.BytesIO(data))`` gives, opened when first touched:

- :func:`certain_header` walks the header in a few microseconds and answers "does ``Image.open`` certainly
  open these bytes, without a warning?" with ``(format, (width, height), mode)``, or None when only PIL can tell.
  It accepts a strict subset of what PIL accepts: baseline, extended or progressive 8-bit JPEG with 1, 3 or 4
  components, each segment whole and in place (no fill bytes, no Exif, no MPF: PIL parses those further); PNG
  whose IHDR (checksum included) is followed by IDAT, or by PLTE and IDAT. Everything else is opened by PIL at
  once, so a bad image raises exactly the error it raised before, where it raised it.
- An image it vouches for is a ``LazyImage``, a ``PIL.Image.Image`` whose first attribute access (``size``,
  ``convert``, ``np.asarray(image)``, ``isinstance(image, JpegImageFile)``, ...) calls ``Image.open`` and turns the
  object into what that returned (its class and attributes), so it behaves as the image PIL opens; only
  ``type(image)`` shows ``LazyImage`` before that first access.

``tests/test_image_open.py`` holds the check to PIL on images PIL writes (modes, sizes, progressive, CMYK, ICC,
Exif) and on every truncation and on random damage of them.
"""

from __future__ import annotations

import io
import zlib
from functools import lru_cache
from typing import Any

__all__ = ["certain_header", "open_image", "check_jpeg_decodes"]

_JPEG_MODES = {1: "L", 3: "RGB", 4: "CMYK"}
_SOF = frozenset({0xC0, 0xC1, 0xC2})  # baseline, extended sequential, progressive DCT
_SKIPPED = frozenset({0xC4, 0xDD, 0xFE})  # DHT, DRI, COM: PIL reads them whole and parses nothing that can fail
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_IHDR_CRC = zlib.crc32(b"IHDR")
_PLTE_CRC = zlib.crc32(b"PLTE")


def _jpeg(data: bytes) -> tuple[str, tuple[int, int], str] | None:
    n = len(data)
    p = 2
    found = None
    while p + 4 <= n and data[p] == 0xFF:
        marker = data[p + 1]
        end = p + 2 + ((data[p + 2] << 8) | data[p + 3])
        if end < p + 4 or end > n:
            return None  # PIL would read a negative or truncated segment
        if marker == 0xDA:  # start of scan: PIL reads its header and stops
            return found
        if marker in _SOF:
            if found is not None or end - p - 4 < 6:
                return None
            bits, height, width, layers = data[p + 4], (data[p + 5] << 8) | data[p + 6], \
                (data[p + 7] << 8) | data[p + 8], data[p + 9]
            if bits != 8 or layers not in _JPEG_MODES or end - p - 10 != 3 * layers or not width or not height:
                return None
            found = ("JPEG", (width, height), _JPEG_MODES[layers])
        elif marker == 0xDB:  # DQT: tables of 1 + 64 or 1 + 128 bytes, as PIL requires them
            q = p + 4
            while q < end:
                q += 65 if data[q] < 16 else 129
            if q != end:
                return None
        elif marker == 0xE0:  # APP0: PIL reads JFIF's version with i16 (7 bytes needed)
            if data.startswith(b"JFIF", p + 4) and end - p - 4 < 7:
                return None
        elif marker == 0xEE:  # APP14: PIL reads Adobe's version with i16
            if data.startswith(b"Adobe", p + 4) and end - p - 4 < 7:
                return None
        elif marker == 0xE2:  # APP2: ICC profile chunks (PIL reads byte 13 of the first), not MPF (an MPO)
            if data.startswith(b"MPF\0", p + 4) or (data.startswith(b"ICC_PROFILE\0", p + 4) and end - p - 4 < 14):
                return None
        elif marker not in _SKIPPED:
            return None  # Exif, Photoshop, restart or other markers, SOF of other processes: PIL decides
        p = end
    return None


def _png(data: bytes) -> tuple[str, tuple[int, int], str] | None:
    from PIL.PngImagePlugin import _MODES  # light: PIL is already imported by whoever reads images

    n = len(data)
    if n < 41 or data[8:16] != b"\0\0\0\x0dIHDR":
        return None
    ihdr = data[16:29]
    if zlib.crc32(ihdr, _IHDR_CRC) != int.from_bytes(data[29:33], "big") or ihdr[11]:
        return None
    width, height = int.from_bytes(ihdr[0:4], "big"), int.from_bytes(ihdr[4:8], "big")
    mode = _MODES.get((ihdr[8], ihdr[9]))
    if mode is None or not width or not height:
        return None
    p = 33
    if data.startswith(b"PLTE", p + 4):
        length = int.from_bytes(data[p:p + 4], "big")
        end = p + 8 + length
        if end + 4 > n or zlib.crc32(data[p + 8:end], _PLTE_CRC) != int.from_bytes(data[end:end + 4], "big"):
            return None
        p = end + 4
    if p + 8 > n or not data.startswith(b"IDAT", p + 4):
        return None
    return "PNG", (width, height), mode[0]


_HEADERS: dict[bytes, tuple[str, tuple[int, int], str] | None] = {}
"""JPEG headers walked (SOI up to the end of the SOS segment) -> :func:`_jpeg`'s answer. Frames of one camera and
encoder share their header byte for byte (quantization and Huffman tables, size), so most lookups hit."""


_LAST: tuple[bytes, tuple[str, tuple[int, int], str] | None] = (b"\0", None)


def _jpeg_cached(data: bytes) -> tuple[str, tuple[int, int], str] | None:
    """:func:`_jpeg`, remembered by header bytes. The key is the bytes up to the end of the first FF DA segment
    found by a search; an answer is stored only when the walk itself ended at that segment, so the same key
    always means the same walk over the same bytes (a walk never looks past the SOS segment's end)."""
    global _LAST
    if data.startswith(_LAST[0]):  # the header of the previous image: a walk over the same bytes
        return _LAST[1]
    cut = data.find(b"\xff\xda", 2)
    if 0 < cut and cut + 4 <= len(data):
        key = data[: cut + 2 + ((data[cut + 2] << 8) | data[cut + 3])]
        try:
            found = _HEADERS[key]
        except KeyError:
            found = _jpeg(data)
            if found is None or len(key) > len(data) or _sos_end(data) != len(key):
                return found
            if len(_HEADERS) < 256:
                _HEADERS[key] = found
        _LAST = (key, found)
        return found
    return _jpeg(data)


def _sos_end(data: bytes) -> int:
    """Where the walk of :func:`_jpeg` (which returned an answer) ended: the end of its SOS segment."""
    p = 2
    while data[p + 1] != 0xDA:
        p += 2 + ((data[p + 2] << 8) | data[p + 3])
    return p + 2 + ((data[p + 2] << 8) | data[p + 3])


_PIL: Any = None


def _pil() -> Any:
    global _PIL
    if _PIL is None:
        from PIL import Image  # light: only readers that hand out images get here

        _PIL = Image
    return _PIL


def certain_header(data: bytes) -> tuple[str, tuple[int, int], str] | None:
    """``(format, (width, height), mode)`` as ``Image.open(io.BytesIO(data))`` would report them, when it certainly
    opens ``data`` without a warning (decompression-bomb limit included); None when only PIL can tell."""
    if data.startswith(b"\xff\xd8\xff"):
        found = _jpeg_cached(data)
    elif data.startswith(_PNG_MAGIC):
        found = _png(data)
    else:
        return None
    if found is not None:
        limit = _pil().MAX_IMAGE_PIXELS
        if limit is not None and found[1][0] * found[1][1] > limit:
            return None
    return found


def check_jpeg_decodes(data: bytes, header: tuple[str, tuple[int, int], str]) -> bool:
    """Decode a JPEG :func:`certain_header` vouched for (``header`` is its answer) at 1/8 scale, as
    ``im = Image.open(io.BytesIO(data)); im.draft(im.mode, (1, 1)); im.load()`` does, with the same libjpeg
    decoder and arguments, but without PIL's Python header parse and load loop (about half the cost of a 256x256
    check). Returns False when this cannot be done here (Pillow set to load truncated images, or a Pillow without
    these internals): the caller then asks PIL itself.

    Raises:
        OSError: with the message ``load`` raises: ``image file is truncated (N bytes not processed)`` when the
            data ends before the image does, or the decoder's error.
    """
    Image = _pil()
    from PIL import ImageFile  # light: PIL is already imported by whoever checks images

    if ImageFile.LOAD_TRUNCATED_IMAGES:
        return False
    (width, height), mode = header[1], header[2]
    # JpegImageFile.draft(mode, (1, 1)): the largest of libjpeg's scales 8, 4, 2, 1 that fits the smaller side
    scale = next(s for s in (8, 4, 2, 1) if min(width, height) >= s)
    size = ((width + scale - 1) // scale, (height + scale - 1) // scale)
    rawmode = "CMYK;I" if mode == "CMYK" else mode  # what JpegImageFile._open gives its tile
    try:
        image = Image.core.new(mode, size)
        decoder = Image._getdecoder(mode, "jpeg", (rawmode, ""), (scale, 0))
    except AttributeError:  # a Pillow without these internals
        return False
    try:
        decoder.setimage(image, (0, 0) + size)
        consumed, status = decoder.decode(data)
    finally:
        decoder.cleanup()
    if consumed >= 0:  # the decoder wants more bytes: ImageFile.load reads none and raises
        raise OSError(f"image file is truncated ({len(data) - consumed} bytes not processed)")
    if status < 0:
        raise ImageFile._get_oserror(status, encoder=False)
    return True


def _materialize(image: Any) -> None:
    """Turn a ``LazyImage`` into the image ``Image.open`` gives for its bytes (class and attributes)."""
    from PIL import Image  # light: imported when the lazy class was made

    data = object.__getattribute__(image, "__dict__").get("_rt2data_bytes")
    if data is None:
        return  # already the image PIL opened (``with`` looks ``__exit__`` up before the first access)
    real = Image.open(io.BytesIO(data))
    object.__setattr__(image, "__dict__", real.__dict__)
    object.__setattr__(image, "__class__", type(real))


def _plugin_class(fmt: str) -> type:
    if fmt == "JPEG":
        from PIL.JpegImagePlugin import JpegImageFile  # light: PIL is imported by whoever reads images

        return JpegImageFile
    from PIL.PngImagePlugin import PngImageFile  # light: as above

    return PngImageFile


@lru_cache(maxsize=1)
def _lazy_class() -> type:
    from PIL import Image  # light: only readers that hand out images make this class

    class LazyImage(Image.Image):
        """An image ``Image.open`` opens at first touch (see the module docstring)."""

        def __getattribute__(self, name: str) -> Any:
            if name == "__class__":
                # ``isinstance(image, JpegImageFile)`` asks for ``__class__`` when ``type(image)`` does not match; it
                # would answer False if the object turned into that class while being asked, so it gets the class
                # PIL makes for the format without opening (the object opens at its next use)
                fmt = object.__getattribute__(self, "__dict__").get("_rt2data_format")
                if fmt is not None:
                    return _plugin_class(fmt)
            _materialize(self)
            return getattr(self, name)

        def __setattr__(self, name: str, value: Any) -> None:
            _materialize(self)
            setattr(self, name, value)

        def __delattr__(self, name: str) -> None:
            _materialize(self)
            delattr(self, name)

        def __repr__(self) -> str:
            _materialize(self)
            return repr(self)

        def __eq__(self, other: object) -> bool:
            _materialize(self)
            return self == other

        def __enter__(self) -> Any:
            _materialize(self)
            return self.__enter__()

        def __exit__(self, *args: object) -> None:
            _materialize(self)
            self.__exit__(*args)

        def __copy__(self) -> Any:
            _materialize(self)
            return self.copy()

    LazyImage.__module__ = __name__
    return LazyImage


def open_image(data: bytes) -> Any:
    """``Image.open(io.BytesIO(data))``, deferred to first use where :func:`certain_header` vouches for ``data``;
    opened now otherwise (raising what ``Image.open`` raises)."""
    found = certain_header(data)
    if found is None:
        return _pil().open(io.BytesIO(data))
    image = object.__new__(_lazy_class())
    object.__setattr__(image, "_rt2data_bytes", data)
    object.__setattr__(image, "_rt2data_format", found[0])
    return image
