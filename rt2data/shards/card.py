"""The dataset card (``README.md``) of an output: Hugging Face reads the whole directory with the right features.

``datasets.load_dataset("webdataset", data_files=...)`` infers column types from the first five samples, so a field
that is null in all of them (``plan`` without chain-of-thought plans, or the action fields when a mixture starts with
caption/VQA rows) comes out as ``Value("null")``. The card's YAML header gives ``datasets`` the answer instead:
``configs`` lists the WebDataset shards in manifest order and ``dataset_info.features`` the exact features
(``rt2data.shards.hf.hf_webdataset_features``), so ``datasets.load_dataset("OUT_DIR")`` and a Hub upload of the
folder need no rt2data code. The card is ours only while it carries :data:`CARD_MARKER`: a ``README.md`` a user
put in the directory is never overwritten or removed.
"""

from __future__ import annotations

import logging
import os
import tarfile
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Sequence

import yaml

from rt2data.example import IMAGE_FORMATS
from rt2data import io
from rt2data.errors import Rt2DataError
from rt2data.shards.files import atomic_write_bytes, inside
from rt2data.shards.formats.tar_read import pax_records
from rt2data.shards.hf import HF_JSON_FIELDS
from rt2data.shards.manifest import Manifest

__all__ = ["CARD_NAME", "CARD_MARKER", "wds_image_formats", "card_features_yaml", "dataset_card", "write_dataset_card",
           "is_our_card"]

log = logging.getLogger(__name__)

CARD_NAME = "README.md"
CARD_MARKER = "<!-- rt2data dataset card: rewritten with the output -->"


def wds_image_formats(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The image formats present in WebDataset tars, from the member names (tar headers only; no data is read)."""
    found: set[str] = set()
    for path in paths:
        with io.open_read(path) as f:
            names = _member_names(f)
            if names is None:  # not the plain layout our writers give: let tarfile read it (and name any error)
                f.seek(0)
                with tarfile.open(fileobj=f, mode="r:") as tar:
                    names = [member.name for member in tar]
        for name in names:
            ext = name.rsplit("/", 1)[-1].partition(".")[2]
            if ext in IMAGE_FORMATS:
                found.add(ext)
    return sorted(found) or ["jpg"]


_BLOCK = tarfile.BLOCKSIZE
_REGULAR_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE)


def _member_names(f: BinaryIO) -> list[str] | None:
    """Member names of a tar of regular files (ustar headers, PAX ``path`` records), seeking over the data.

    ``tarfile`` builds a ``TarInfo`` per member (about 80 us each, the card's whole cost on a large output); this
    reads the 512-byte headers only. Returns None for anything else (an empty or truncated file, a bad checksum,
    GNU long names, links), so the caller falls back to ``tarfile`` (which reads it or names the error).
    """
    names: list[str] = []
    pax_path: str | None = None
    try:
        end = f.seek(0, os.SEEK_END)
        offset = f.seek(0)
        while True:
            header = f.read(_BLOCK)
            if not header or header.count(0) == _BLOCK:
                return names if offset > 0 else None
            if len(header) < _BLOCK:
                return None
            stored = int(header[148:156].split(b"\0", 1)[0].strip() or b"-1", 8)
            size = int(header[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
            if stored != 256 + sum(header[:148]) + sum(header[156:]):
                return None
            offset += _BLOCK + size + (-size % _BLOCK)
            if offset > end:
                return None
            kind = header[156:157]
            if kind == tarfile.XHDTYPE:
                pax_path = _pax_path(f.read(size))
                f.seek(offset)
                continue
            if kind not in _REGULAR_TYPES:
                return None
            name = header[:100].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            prefix = header[345:500].split(b"\0", 1)[0]
            if prefix:
                name = prefix.decode("utf-8", "surrogateescape") + "/" + name
            names.append(pax_path if pax_path is not None else name)
            pax_path = None
            f.seek(offset)
    except ValueError:  # a header field or PAX record that does not parse, or a stream that cannot seek
        return None


def _pax_path(records: bytes) -> str | None:
    """The ``path`` keyword of a PAX extended header, if any (a ``size`` record: the member's data is not where the
    header says, so the caller falls back to ``tarfile``)."""
    fields = pax_records(records)
    if "size" in fields:
        raise ValueError("a PAX size record: the member's data is not where the header says")
    return fields.get("path")


def card_features_yaml(image_formats: Sequence[str]) -> list[dict[str, Any]]:
    """``dataset_info.features`` in the card's YAML form: what ``hf_webdataset_features(image_formats)`` is."""
    fields = []
    for name, arrow in HF_JSON_FIELDS.items():
        fields.append({"name": name, "list": arrow[5:-1]} if arrow.startswith("list<") else {"name": name,
                                                                                             "dtype": arrow})
    return [{"name": "__key__", "dtype": "string"}, {"name": "__url__", "dtype": "string"},
            *({"name": fmt, "dtype": "image"} for fmt in sorted(set(image_formats))),
            {"name": "json", "struct": fields}]


def dataset_card(manifest: Manifest, image_formats: Sequence[str]) -> str:
    """The card's text: YAML header (configs in manifest order, features), then a short description."""
    shards = [info.name for info in manifest.shards["wds"]]
    header = {
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": shards}]}],
        "dataset_info": {"features": card_features_yaml(image_formats)},
        "tags": ["rt2data", "robotics", "vision-language-action"],
    }
    kinds = sorted({kind for info in manifest.shards["wds"] for kind in info.counts_by_kind})
    return (
        "---\n" + yaml.safe_dump(header, sort_keys=False, width=120) + "---\n" + CARD_MARKER + "\n\n"
        f"# rt2data {manifest.kind} output\n\n"
        f"{sum(info.count for info in manifest.shards['wds'])} examples ({', '.join(kinds) or 'none'}) in "
        f"{len(shards)} WebDataset shards: per example `KEY.{'|'.join(sorted(set(image_formats)))}` (the image) and "
        "`KEY.json` (prompt, target, kind, source, template_id; for robot steps instruction, episode_id, step, "
        "action_raw, action_tokens). `manifest.json` records how it was made.\n\n"
        "```python\nimport datasets\n\nds = datasets.load_dataset(\"path/to/this/folder\", split=\"train\")\n```\n"
    )


def is_our_card(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a card we wrote (it carries :data:`CARD_MARKER`)."""
    try:
        return io.is_file(path) and CARD_MARKER in io.read_bytes(path).decode("utf-8", errors="replace")
    except (OSError, Rt2DataError):
        return False


def write_dataset_card(out_dir: str | os.PathLike[str], manifest: Manifest, *,
                       image_formats: Sequence[str] | None = None) -> Path | str | None:
    """Write ``OUT_DIR/README.md`` for an output with WebDataset shards (already in place); returns its path.

    ``image_formats``: those of the WebDataset shards' images, as their writers saw them; None: listed from the
    tars' member names (:func:`wds_image_formats`, every header of every shard).

    Nothing is written for a TFRecord-only output, or when ``README.md`` exists and is not ours (logged).
    """
    out = io.location(out_dir)
    if not manifest.shards.get("wds"):
        return None
    path = io.location(io.join(out, CARD_NAME))
    if io.exists(path) and not is_our_card(path):
        log.warning("%s exists and was not written by rt2data: left as is (no dataset card for this output)", path)
        return None
    if image_formats is not None:
        formats = sorted(set(image_formats)) or ["jpg"]  # what wds_image_formats says of tars without images
    else:
        formats = wds_image_formats(inside(out, info.name, what="shard name") for info in manifest.shards["wds"])
    atomic_write_bytes(path, dataset_card(manifest, formats).encode("utf-8"))
    return path
