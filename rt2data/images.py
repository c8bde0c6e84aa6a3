"""Image handling for examples: bytes pass through untouched unless a resize is asked for.

Resize policy (``aspect``):
- ``pad`` (default): scale the longer side to ``size``, keep the aspect ratio, centre on a black square.
  Nothing of the scene is lost; RT-2 and PaLI-style backbones see the whole frame.
- ``crop``: scale the shorter side to ``size`` and cut the centre square. Fills the frame, loses the borders.
- ``stretch``: scale both sides to ``size``; distorts geometry.
The result is JPEG at ``quality`` (default 95), 4:2:0 chroma subsampling; the same input and Pillow version give
the same bytes.
"""

from __future__ import annotations

import io

from rt2data.errors import ConfigError, DataError

__all__ = ["ASPECT_POLICIES", "IMAGE_FORMAT_POLICIES", "resize_square", "image_size", "transcode"]

ASPECT_POLICIES = ("pad", "crop", "stretch")
IMAGE_FORMAT_POLICIES = ("keep", "jpg", "png")
"""How a mixture stores its images: each in its own format (``keep``), or all as JPEG or as PNG (one member name
and format per output, which ``datasets.load_dataset("webdataset", ...)`` needs)."""


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of encoded image bytes, reading only the header."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except Exception as exc:  # PIL raises many types for bad bytes
        raise DataError(f"cannot read image header ({len(data)} bytes): {exc}") from exc


def resize_square(data: bytes, size: int, *, aspect: str = "pad", quality: int = 95) -> bytes:
    """Decode ``data``, resize to ``size`` x ``size`` under the ``aspect`` policy and return JPEG bytes.

    Args:
        data: encoded image (JPEG, PNG, WebP, ...).
        size: output side in pixels, >= 8.
        aspect: ``pad`` | ``crop`` | ``stretch`` (see module docstring).
        quality: JPEG quality 1..100.

    Raises:
        DataError: the bytes do not decode as an image.
        ConfigError: bad size, aspect or quality.
    """
    from PIL import Image

    if aspect not in ASPECT_POLICIES:
        raise ConfigError(f"--aspect {aspect!r} is not one of {list(ASPECT_POLICIES)}")
    if not 8 <= size <= 8192:
        raise ConfigError(f"--resize must be in [8, 8192] pixels, got {size}")
    if not 1 <= quality <= 100:
        raise ConfigError(f"--jpeg-quality must be in [1, 100], got {quality}")
    try:
        with Image.open(io.BytesIO(data)) as im:
            im = im.convert("RGB")
    except Exception as exc:
        raise DataError(f"cannot decode image ({len(data)} bytes) for resizing: {exc}") from exc
    w, h = im.size
    if aspect == "stretch":
        out = im.resize((size, size), Image.Resampling.BICUBIC)
    elif aspect == "crop":
        scale = size / min(w, h)
        nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
        scaled = im.resize((nw, nh), Image.Resampling.BICUBIC)
        left, top = (nw - size) // 2, (nh - size) // 2
        out = scaled.crop((left, top, left + size, top + size))
    else:
        scale = size / max(w, h)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        scaled = im.resize((nw, nh), Image.Resampling.BICUBIC)
        out = Image.new("RGB", (size, size))
        out.paste(scaled, ((size - nw) // 2, (size - nh) // 2))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=quality, subsampling=2, optimize=False)
    return buf.getvalue()


def transcode(data: bytes, image_format: str, *, to: str, quality: int = 95) -> tuple[bytes, str]:
    """Store an image in the format ``to`` (an ``IMAGE_FORMAT_POLICIES`` value): ``(bytes, format)``.

    ``keep``, or an image already in that format, passes through untouched (no re-encoding, so a JPEG is never
    compressed twice). ``jpg``: decoded and saved as baseline JPEG at ``quality`` (4:2:0), transparency flattened
    onto black, lossy once. ``png``: decoded and saved as PNG (lossless; JPEG artifacts are kept exactly, files
    are several times larger). The same input and Pillow version give the same bytes.

    Args:
        data: encoded image bytes.
        image_format: the format ``data`` is in (``rt2data.example.IMAGE_FORMATS``).
        to: ``keep`` | ``jpg`` | ``png``.
        quality: JPEG quality 1..100 (``to="jpg"``).

    Raises:
        DataError: the bytes do not decode as an image.
        ValueError: unknown ``to`` or bad quality.
    """
    from PIL import Image

    if to not in IMAGE_FORMAT_POLICIES:
        raise ValueError(f"image format policy {to!r} is not one of {list(IMAGE_FORMAT_POLICIES)}")
    if to == "keep" or image_format == to:
        return data, image_format
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be in [1, 100], got {quality}")
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if to == "jpg":
                im = im.convert("RGBA").convert("RGB") if im.mode in ("P", "LA", "RGBA", "PA") else im.convert(
                    "L" if im.mode in ("1", "L", "I;16") else "RGB")
            elif im.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
                im = im.convert("RGB")  # CMYK, YCbCr (JPEG), ...: PNG stores RGB
            buf = io.BytesIO()
            if to == "jpg":
                im.save(buf, format="JPEG", quality=quality, subsampling=2, optimize=False)
            else:
                im.save(buf, format="PNG", optimize=False, compress_level=6)
    except (ValueError, TypeError):
        raise
    except Exception as exc:  # PIL raises many types for bad bytes
        raise DataError(f"cannot decode {image_format} image ({len(data)} bytes) to store it as {to}: {exc}") from exc
    return buf.getvalue(), to
