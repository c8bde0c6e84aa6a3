"""The statistics file: OpenVLA-style entries plus a versioned ``rt2data`` block, written and read deterministically.

Layout: ``{"<dataset>": {"action": {"mean","std","min","max","q01","q99"}, "proprio": {...}?, "num_transitions",
"num_trajectories"}, "rt2data": {"format_version", "dataset", "spec_fingerprint", "split", "action_dims", "codec",
"sketch", "count", ...}}`` (JSON Schema ``schemas/stats.schema.json``).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from rt2data import io
from rt2data.errors import DataError, SchemaError
from rt2data.schemas import compiled_check, load_schema
from rt2data.shards.files import atomic_write_bytes

__all__ = ["STATS_FORMAT_VERSION", "OPENVLA_KEYS", "StatsFile", "stats_json_bytes", "write_stats", "load_stats",
           "stats_match"]

logger = logging.getLogger(__name__)

STATS_FORMAT_VERSION = 1
OPENVLA_KEYS = ("mean", "std", "min", "max", "q01", "q99")
_BLOCK = "rt2data"
_CALLER_KEYS = ("spec_fingerprint", "split", "action_dims", "codec")  # rt2data_block must provide these
_OWN_KEYS = ("format_version", "dataset", "sketch", "count")  # we set these


@dataclass(frozen=True)
class StatsFile:
    """A loaded, validated statistics file: ``stats`` is the dataset's entry, ``rt2data`` our block."""

    path: Path
    dataset: str
    stats: dict[str, Any]
    rt2data: dict[str, Any]

    def array(self, key: str, *, section: str = "action") -> np.ndarray:
        """One statistic as float64[D], e.g. ``array("q01")`` or ``array("mean", section="proprio")``."""
        return np.asarray(self.stats[section][key], dtype=np.float64)


def stats_json_bytes(dataset_name: str, stats: Mapping[str, Any], *, rt2data_block: Mapping[str, Any]) -> bytes:
    """The statistics file's bytes: sorted keys, floats by ``repr``, 1-space indent, trailing newline.

    Args:
        dataset_name: top-level key (OpenVLA's ``unnorm_key``); must not be "rt2data".
        stats: ``DatasetStatsAccumulator.finalize()`` output.
        rt2data_block: must hold ``spec_fingerprint`` (str), ``split`` (str), ``action_dims`` (D names) and
            ``codec`` (``ActionCodec.to_json()``); may hold more; must not hold format_version/dataset/sketch/count.

    Raises:
        SchemaError: a missing/conflicting key, or the document fails ``stats.schema.json``.
    """
    if not isinstance(dataset_name, str) or not dataset_name or dataset_name == _BLOCK:
        raise SchemaError(f"statistics: dataset name {dataset_name!r} must be a non-empty string other than 'rt2data'")
    missing = [k for k in _CALLER_KEYS if k not in rt2data_block]
    clashing = [k for k in _OWN_KEYS if k in rt2data_block]
    if missing or clashing:
        raise SchemaError(f"statistics rt2data_block: missing keys {missing}, keys set by write_stats {clashing}")
    entry: dict[str, Any] = {}
    for section in ("action", "proprio"):
        if section in stats:
            entry[section] = {k: [float(v) for v in stats[section][k]] for k in OPENVLA_KEYS}
    entry["num_transitions"] = int(stats["num_transitions"])
    entry["num_trajectories"] = int(stats["num_trajectories"])
    block = dict(rt2data_block)
    block.update(format_version=STATS_FORMAT_VERSION, dataset=dataset_name, sketch=dict(stats["sketch"]),
                 count=[int(c) for c in stats["action"]["count"]])
    doc = {dataset_name: entry, _BLOCK: block}
    _validate_doc(doc, "<statistics being written>", dataset_name)
    return (json.dumps(doc, sort_keys=True, indent=1, allow_nan=False, ensure_ascii=False) + "\n").encode("utf-8")


def write_stats(
    path: str | os.PathLike, dataset_name: str, stats: Mapping[str, Any], *, rt2data_block: Mapping[str, Any]
) -> Path:
    """Write the statistics file atomically (temp file in the same folder, fsync, rename). Returns the path."""

    path = io.location(path)
    data = stats_json_bytes(dataset_name, stats, rt2data_block=rt2data_block)
    io.makedirs(io.dirname(path))
    atomic_write_bytes(path, data)
    return path


def _jsonschema_errors(doc: Any) -> list:
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema("stats"))
    return sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])


def _validate_doc(doc: Any, where: str, name: str | None) -> None:
    """JSON Schema, then consistency of entry ``name`` (None: the only entry) with the rt2data block."""
    errors = [] if compiled_check("stats")(doc) else _jsonschema_errors(doc)  # jsonschema only words errors
    if errors:
        err = errors[0]
        field = "/".join(str(p) for p in err.absolute_path) or "<top level>"
        raise SchemaError(f"{where}: field {field}: {err.message} ({len(errors)} schema error(s))")
    name = name or next(k for k in doc if k != _BLOCK)
    entry, block = doc[name], doc[_BLOCK]
    dims = len(block["action_dims"])
    if block["dataset"] != name:
        raise SchemaError(f"{where}: field rt2data/dataset: {block['dataset']!r} differs from the entry {name!r}")
    for section in ("action", "proprio"):
        sec = entry.get(section)
        if sec is None:
            continue
        size = dims if section == "action" else len(sec["mean"])
        for key, values in sec.items():
            if len(values) != size:
                raise SchemaError(f"{where}: field {name}/{section}/{key}: {len(values)} values, expected {size}")
        for lo, hi in (("min", "max"), ("q01", "q99"), ("min", "q01"), ("q99", "max")):
            if any(a > b for a, b in zip(sec[lo], sec[hi])):
                raise SchemaError(f"{where}: field {name}/{section}: some {lo} > {hi}")
    if len(block["count"]) != dims:
        raise SchemaError(f"{where}: field rt2data/count: {len(block['count'])} values, expected {dims}")


def load_stats(path: str | os.PathLike, dataset_name: str | None = None) -> StatsFile:
    """Read and validate a statistics file.

    Args:
        path: the JSON file.
        dataset_name: the entry to pick; None picks the only entry (error if there are several).

    Raises:
        SchemaError: unreadable JSON or a schema/consistency failure (names the file and field).
    """
    path = io.location(path)
    try:
        doc = json.loads(io.read_text(path))
    except (OSError, DataError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"{path}: cannot read statistics JSON: {exc}") from exc
    if isinstance(doc, dict):
        names = sorted(k for k in doc if k != _BLOCK)
        if dataset_name is not None and dataset_name not in names:
            raise SchemaError(f"{path}: no statistics for dataset {dataset_name!r}; the file has {names}")
        if dataset_name is None and len(names) > 1:
            raise SchemaError(f"{path}: statistics of several datasets {names}; pass dataset_name")
    _validate_doc(doc, str(path), dataset_name)
    name = dataset_name or next(k for k in doc if k != _BLOCK)
    return StatsFile(path=path, dataset=name, stats=doc[name], rt2data=doc[_BLOCK])


def stats_match(
    path: str | os.PathLike, *, spec_fingerprint: str, split: str, input_fingerprint: str | None = None
) -> bool:
    """True if ``path`` holds valid statistics of this format version for this spec fingerprint and split.

    With ``input_fingerprint`` (what the numbers were computed from, see ``rt2data.pipelines.stats``), the file's
    ``rt2data.input_fingerprint`` must equal it too: statistics of another dataset with the same spec do not match.
    """
    path = io.location(path)
    if not io.is_file(path):
        return False
    try:
        block = load_stats(path).rt2data
    except SchemaError as exc:
        logger.warning("statistics %s are not reusable: %s", path, exc)
        return False
    ok = block["spec_fingerprint"] == spec_fingerprint and block["split"] == split
    if not ok:
        logger.info("statistics %s were computed for spec %s split %r, not %s split %r; recomputing",
                    path, block["spec_fingerprint"], block["split"], spec_fingerprint, split)
    elif input_fingerprint is not None and block.get("input_fingerprint") != input_fingerprint:
        logger.info("statistics %s were computed from other input data (%s, not %s); recomputing",
                    path, block.get("input_fingerprint"), input_fingerprint)
        ok = False
    return ok
