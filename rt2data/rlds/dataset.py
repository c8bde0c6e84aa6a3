"""Open a TFDS/RLDS builder directory without TensorFlow: name, features, splits and the shards a split reads.

The directory is what ``tfds`` writes and what Open X-Embodiment publishes: ``dataset_info.json``,
``features.json`` and the shards. ``tfds.builder_from_directory`` reads the metadata (no TensorFlow needed);
``tensorflow_datasets`` is imported inside the functions here so ``import rt2data`` stays light.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rt2data.errors import DataError
from rt2data.rlds.splits import FILE_FORMATS, ShardRef, SplitInfo, resolve_split, split_infos
from rt2data.rlds.reader import read_shard

__all__ = ["RldsDataset", "open_dataset", "load_features", "find_builder_dir"]

log = logging.getLogger(__name__)


def _version_key(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in name.split("."))
    except ValueError:
        return (-1,)


def find_builder_dir(path: str | os.PathLike[str]) -> Path:
    """The version folder holding ``features.json``: ``path`` itself, or its highest-version subfolder.

    Raises:
        DataError: no ``features.json`` in ``path`` or its version subfolders.
    """
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
        raise DataError(
            f"{root}: no features.json or dataset_info.json here or in a version subfolder; point at the TFDS builder "
            "directory (e.g. .../bridge/0.1.0)"
        )
    if len(versions) > 1:
        log.info("%s: several versions %s, using %s", root, [p.name for p in versions], versions[-1].name)
    return versions[-1].resolve()


def load_features(path: str | os.PathLike[str]) -> Any:
    """The dataset's tfds ``FeaturesDict`` from its ``features.json`` (no shards or dataset_info.json needed)."""
    import tensorflow_datasets as tfds

    builder_dir = find_builder_dir(path)
    try:
        return tfds.features.FeatureConnector.from_config(os.fspath(builder_dir))
    except Exception as exc:  # tfds raises many types for a bad features.json
        raise DataError(f"{builder_dir / 'features.json'}: cannot rebuild the features: {exc}") from exc


@dataclass(frozen=True)
class RldsDataset:
    """A TFDS builder directory opened for reading.

    Attributes:
        path: the version folder (holds ``dataset_info.json`` and ``features.json``).
        name: dataset name from ``dataset_info.json``.
        version: dataset version string.
        file_format: ``"tfrecord"`` or ``"array_record"``.
        features: the tfds ``FeaturesDict`` (``builder.info.features``).
        splits: ``SplitInfo`` per split name.
    """

    path: Path
    name: str
    version: str
    file_format: str
    features: Any = field(repr=False)
    splits: dict[str, SplitInfo] = field(repr=False)
    _info: Any = field(repr=False, compare=False)

    def shards(self, split_spec: str = "train") -> list[ShardRef]:
        """The shards (with record ranges) that ``split_spec`` reads, in order; see ``rt2data.rlds.splits``."""
        return resolve_split(self._info, split_spec, dataset_dir=os.fspath(self.path), file_format=self.file_format)

    def num_episodes(self, split_spec: str = "train") -> int:
        """Episodes that ``split_spec`` selects."""
        return sum(ref.take for ref in self.shards(split_spec))

    def read_shard(self, ref: ShardRef, *, corrupt: str = "error"):
        """Stream one shard's episodes; see ``rt2data.rlds.reader.read_shard``."""
        return read_shard(ref, features=self.features, corrupt=corrupt)

    # The robot-data source interface (``rt2data.sources.RobotSource``): a work unit is a shard's record range.
    def work_units(self, split: str = "train") -> list[ShardRef]:
        """The shards ``split`` reads (see :meth:`shards`)."""
        return self.shards(split)

    def read_unit(self, unit: ShardRef, *, corrupt: str = "error"):
        """Stream one shard's episodes (see :meth:`read_shard`)."""
        return self.read_shard(unit, corrupt=corrupt)

    def input_fingerprint(self, units) -> str:
        """``sha256:...`` of the input ``units`` read: ``dataset_info.json`` and, per shard, its file name, size and
        record range. Not the directory path, so a moved copy still matches."""
        def size(path: str) -> int:
            try:
                return os.path.getsize(path)
            except OSError:
                return -1

        info = self.path / "dataset_info.json"
        doc = {
            "name": self.name,
            "version": self.version,
            "dataset_info_sha256": hashlib.sha256(info.read_bytes()).hexdigest() if info.is_file() else None,
            "shards": [[Path(r.path).name, size(r.path), r.first_record, r.stop_record] for r in units],
        }
        return "sha256:" + hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    def __reduce__(self):
        # Pickles as its location: a Beam worker reopens the directory (cached per process) instead of receiving
        # the tfds metadata objects.
        return (open_dataset, (os.fspath(self.path),))


def open_dataset(path: str | os.PathLike[str]) -> RldsDataset:
    """Open a TFDS builder directory (the version folder, or its parent with one or more versions).

    Raises:
        DataError: not a builder directory, unreadable metadata, or a file format other than tfrecord/array_record.
    """
    builder_dir = find_builder_dir(path)
    if not (builder_dir / "dataset_info.json").is_file():
        raise DataError(
            f"{builder_dir}: has features.json but no dataset_info.json, so its splits and shards are unknown "
            "(copy the dataset_info.json that came with the shards)"
        )
    stamp = tuple((builder_dir / n).stat().st_mtime_ns for n in ("dataset_info.json", "features.json")
                  if (builder_dir / n).is_file())
    return _open_cached(os.fspath(builder_dir), stamp)


@functools.lru_cache(maxsize=16)
def _open_cached(builder_dir: str, stamp: tuple[int, ...]) -> RldsDataset:
    """Open once per process and metadata version (Beam workers read many shards of one dataset)."""
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder_from_directory(builder_dir)
        info = builder.info
        features = info.features
    except Exception as exc:  # tfds raises many types for bad metadata
        raise DataError(f"{builder_dir}: cannot read the TFDS metadata (dataset_info.json / features.json): {exc}") from exc
    file_format = getattr(info.file_format, "value", None) or "tfrecord"
    if file_format not in FILE_FORMATS:
        raise DataError(f"{builder_dir}: shards are {file_format!r}; rt2data reads {list(FILE_FORMATS)}")
    return RldsDataset(
        path=Path(builder_dir),
        name=str(info.name),
        version=str(info.version),
        file_format=file_format,
        features=features,
        splits=split_infos(info),
        _info=info,
    )
