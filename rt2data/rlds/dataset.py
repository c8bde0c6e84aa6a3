"""Open a TFDS/RLDS builder directory without TensorFlow: name, features, splits and the shards a split reads.

The directory is what ``tfds`` writes and what Open X-Embodiment publishes: ``dataset_info.json``,
``features.json`` and the shards, on a local disk or at a URL (``gs://gresearch/robotics/bridge/0.1.0``,
``s3://...``). Both metadata files are read through ``rt2data.io`` (so Beam's filesystem options apply, and no
fsspec/etils configuration is needed): ``features.json`` becomes rt2data's features tree (``rlds.features``),
``dataset_info.json`` the split table (``rlds.info``, tfds's split grammar and shard names). Neither imports
``tensorflow_datasets``; only the records of layouts the tfds-free decoder does not cover do (``rlds.decode``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection

from rt2data import io
from rt2data.errors import DataError
from rt2data.rlds.splits import ShardRef, SplitInfo
from rt2data.rlds.features import Feature, as_features, parse_features
from rt2data.rlds.info import InfoTable, parse_info
from rt2data.rlds.reader import read_shard

__all__ = ["RldsDataset", "open_dataset", "load_features", "find_builder_dir"]

log = logging.getLogger(__name__)


def _version_key(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in name.split("."))
    except ValueError:
        return (-1,)


def find_builder_dir(path: str | os.PathLike[str]) -> Path | str:
    """The version folder holding ``features.json``: ``path`` itself, or its highest-version subfolder.

    A local ``Path`` (resolved), or the URL string for a URL.

    Raises:
        DataError: no ``features.json`` in ``path`` or its version subfolders.
    """
    if io.is_url(path):
        return _find_builder_url(io.absolute(path))
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"{root}: not a directory (expected a TFDS builder directory with features.json)")
    if (root / "features.json").is_file() or (root / "dataset_info.json").is_file():
        return root.resolve()
    versions = sorted(
        (p for p in root.iterdir() if p.is_dir() and (p / "features.json").is_file()),
        key=lambda p: _version_key(p.name),
    )
    if not versions:
        raise DataError(_no_builder_dir(root))
    if len(versions) > 1:
        log.info("%s: several versions %s, using %s", root, [p.name for p in versions], versions[-1].name)
    return versions[-1].resolve()


def _no_builder_dir(root: Any) -> str:
    return (f"{root}: no features.json or dataset_info.json here or in a version subfolder; point at the TFDS builder "
            "directory (e.g. .../bridge/0.1.0)")


def _find_builder_url(root: str) -> str:
    """:func:`find_builder_dir` for a URL: one listing of the prefix (object stores have no directories)."""
    names = io.listdir(root)
    if "features.json" in names or "dataset_info.json" in names:
        return root
    versions = sorted((io.basename(io.dirname(p)) for p in io.glob(io.join(root, "*", "features.json"))),
                      key=_version_key)
    if not versions:
        raise DataError(_no_builder_dir(root))
    if len(versions) > 1:
        log.info("%s: several versions %s, using %s", root, versions, versions[-1])
    return io.join(root, versions[-1])


def _features_from_json(builder_dir: Path | str) -> Feature:
    """The features tree of ``features.json`` (read through ``rt2data.io``; see ``rt2data.rlds.features``)."""
    path = io.join(builder_dir, "features.json")
    try:
        doc = json.loads(io.read_bytes(path))
        features = parse_features(doc)
        if features.kind != "dict":
            # Not the protobuf form tfds writes now (an older tfds's {"type": ..., "content": ...}): tfds reads it,
            # and its protobuf form is the tree.
            import tensorflow_datasets as tfds

            features = as_features(tfds.features.FeatureConnector.from_json(doc))
        return features
    except DataError:
        raise
    except Exception as exc:  # a bad features.json: JSON errors, wrong types, bad shapes
        raise DataError(f"{path}: cannot read the features: {type(exc).__name__}: {exc}") from exc


def load_features(path: str | os.PathLike[str]) -> Feature:
    """The dataset's features tree from its ``features.json`` (no shards or dataset_info.json needed); its
    ``to_tfds()`` is tfds's own ``FeaturesDict``."""
    return _features_from_json(find_builder_dir(path))


@dataclass(frozen=True)
class RldsDataset:
    """A TFDS builder directory opened for reading.

    Attributes:
        path: the version folder (holds ``dataset_info.json`` and ``features.json``): a local ``Path`` or a URL.
        name: dataset name from ``dataset_info.json``.
        version: dataset version string.
        file_format: ``"tfrecord"`` or ``"array_record"``.
        features: the features tree (``rt2data.rlds.features.Feature``, from ``features.json``; ``to_tfds()`` gives
            tfds's ``FeaturesDict``).
        splits: ``SplitInfo`` per split name.
    """

    path: Path | str
    name: str
    version: str
    file_format: str
    features: Feature = field(repr=False)
    splits: dict[str, SplitInfo] = field(repr=False)
    _info: InfoTable = field(repr=False, compare=False)
    _pruned: dict = field(default_factory=dict, repr=False, compare=False)  # fields -> pruned features

    def shards(self, split_spec: str = "train") -> list[ShardRef]:
        """The shards (with record ranges) that ``split_spec`` reads, in order; see ``rt2data.rlds.splits``."""
        return self._info.shards(split_spec, dataset_dir=os.fspath(self.path))

    def num_episodes(self, split_spec: str = "train") -> int:
        """Episodes that ``split_spec`` selects."""
        return sum(ref.take for ref in self.shards(split_spec))

    def read_shard(self, ref: ShardRef, *, corrupt: str = "error", fields: Collection[str] | None = None):
        """Stream one shard's episodes; see ``rt2data.rlds.reader.read_shard``. ``fields``: the paths the caller
        reads (``DatasetSpec.fields_read``); only those are decoded. None: every field."""
        return read_shard(ref, features=self.features_for(fields), corrupt=corrupt)

    def features_for(self, fields: Collection[str] | None) -> Feature:
        """``features`` pruned to ``fields`` (``Feature.prune``), built once per set."""
        if fields is None:
            return self.features
        key = frozenset(fields)
        pruned = self._pruned.get(key)
        if pruned is None:
            pruned = self._pruned[key] = self.features.prune(key)
        return pruned

    # The robot-data source interface (``rt2data.sources.RobotSource``): a work unit is a shard's record range.
    def work_units(self, split: str = "train") -> list[ShardRef]:
        """The shards ``split`` reads (see :meth:`shards`)."""
        return self.shards(split)

    def read_unit(self, unit: ShardRef, *, corrupt: str = "error", fields: Collection[str] | None = None):
        """Stream one shard's episodes (see :meth:`read_shard`)."""
        return self.read_shard(unit, corrupt=corrupt, fields=fields)

    def input_fingerprint(self, units) -> str:
        """``sha256:...`` of the input ``units`` read: ``dataset_info.json`` and, per shard, its file name, size and
        record range. Not the directory path, so a moved copy still matches."""
        listed = io.list_sizes(self.path) if io.is_url(self.path) else None  # one listing, not a request a shard

        def size(path: str) -> int:
            if listed is not None:
                return listed.get(io.basename(path), -1)
            try:
                return io.size(path)
            except DataError:
                return -1

        info = io.join(self.path, "dataset_info.json")
        doc = {
            "name": self.name,
            "version": self.version,
            "dataset_info_sha256": hashlib.sha256(io.read_bytes(info)).hexdigest() if io.is_file(info) else None,
            "shards": [[io.basename(r.path), size(r.path), r.first_record, r.stop_record] for r in units],
        }
        return "sha256:" + hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    def __reduce__(self):
        # Pickles as its location: a Beam worker reopens the directory (cached per process) instead of receiving
        # the tfds metadata objects.
        return (open_dataset, (os.fspath(self.path),))


def open_dataset(path: str | os.PathLike[str]) -> RldsDataset:
    """Open a TFDS builder directory (the version folder, or its parent with one or more versions), local or a URL.

    Raises:
        DataError: not a builder directory, unreadable metadata, or a file format other than tfrecord/array_record.
    """
    builder_dir = find_builder_dir(path)
    info_path = io.join(builder_dir, "dataset_info.json")
    if not io.is_file(info_path):
        raise DataError(
            f"{builder_dir}: has features.json but no dataset_info.json, so its splits and shards are unknown "
            "(copy the dataset_info.json that came with the shards)"
        )
    if io.is_url(builder_dir):  # metadata is read once per process; an object store has no cheap mtime to check
        stamp: tuple[int, ...] = ()
    else:
        stamp = tuple((builder_dir / n).stat().st_mtime_ns for n in ("dataset_info.json", "features.json")
                      if (builder_dir / n).is_file())
    return _open_cached(os.fspath(builder_dir), stamp)


@functools.lru_cache(maxsize=16)
def _open_cached(builder_dir: str, stamp: tuple[int, ...]) -> RldsDataset:
    """Open once per process and metadata version (Beam workers read many shards of one dataset)."""
    info = parse_info(io.read_bytes(io.join(builder_dir, "dataset_info.json")), builder_dir)
    features = _features_from_json(builder_dir)
    return RldsDataset(
        path=builder_dir if io.is_url(builder_dir) else Path(builder_dir),
        name=info.name,
        version=info.version,
        file_format=info.file_format,
        features=features,
        splits=dict(info.splits),
        _info=info,
    )
