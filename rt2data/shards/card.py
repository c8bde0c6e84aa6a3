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
from typing import Any, Iterable, Sequence

import yaml

from rt2data.example import IMAGE_FORMATS
from rt2data import io
from rt2data.errors import Rt2DataError
from rt2data.shards.files import atomic_write_bytes, inside
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
        with io.open_read(path) as f, tarfile.open(fileobj=f, mode="r:") as tar:
            for member in tar:
                ext = member.name.rsplit("/", 1)[-1].partition(".")[2]
                if ext in IMAGE_FORMATS:
                    found.add(ext)
    return sorted(found) or ["jpg"]


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


def write_dataset_card(out_dir: str | os.PathLike[str], manifest: Manifest) -> Path | str | None:
    """Write ``OUT_DIR/README.md`` for an output with WebDataset shards (already in place); returns its path.

    Nothing is written for a TFRecord-only output, or when ``README.md`` exists and is not ours (logged).
    """
    out = io.location(out_dir)
    if not manifest.shards.get("wds"):
        return None
    path = io.location(io.join(out, CARD_NAME))
    if io.exists(path) and not is_our_card(path):
        log.warning("%s exists and was not written by rt2data: left as is (no dataset card for this output)", path)
        return None
    formats = wds_image_formats(inside(out, info.name, what="shard name") for info in manifest.shards["wds"])
    atomic_write_bytes(path, dataset_card(manifest, formats).encode("utf-8"))
    return path
