"""tfds's own routes, the references rt2data's tfds-free readers are held to in tests.

``assert_same_tree`` compares two decoded episodes (``rt2data.rlds.decode``'s routes) type for type.

``read_info`` parses ``dataset_info.json`` into tfds's ``DatasetInfo`` proto and ``SplitDict``
(``get_split_dict_from_proto``); ``resolve_split`` turns a split spec into ``ShardRef``s through tfds's
``file_instructions``; ``split_infos`` gives the ``SplitInfo`` table. This is how rt2data read the metadata before
``rlds.info``; it imports ``tensorflow_datasets``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from rt2data import io
from rt2data.errors import ConfigError, DataError
from rt2data.rlds.splits import FILE_FORMATS, ShardRef, SplitInfo

__all__ = ["read_info", "resolve_split", "split_infos", "assert_same_tree"]


def assert_same_tree(a: Any, b: Any, path: str = "") -> None:
    """Two decoded episodes are the same: keys (in any order: tfds's follow a protobuf map), types, dtypes, shapes
    and values (object arrays element by element, each element's type included)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), f"{path}: keys {sorted(a)} vs {sorted(b)}"
        for key in a:
            assert_same_tree(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, np.ndarray):
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f"{path}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        if a.dtype == object:
            assert [(type(x), x) for x in a.ravel()] == [(type(y), y) for y in b.ravel()], path
        else:
            np.testing.assert_array_equal(a, b, err_msg=path)
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"


@dataclass(frozen=True)
class _Info:
    """What rt2data uses of a tfds ``DatasetInfo``: name, version, file format and the ``SplitDict``."""

    name: str
    version: str
    file_format: str
    splits: Any


def read_info(builder_dir: str) -> _Info:
    """``dataset_info.json`` (read through ``rt2data.io``) as name, version, file format and tfds's ``SplitDict``."""
    from google.protobuf import json_format
    from tensorflow_datasets.core import dataset_info
    from tensorflow_datasets.core.proto import dataset_info_pb2

    proto = json_format.Parse(io.read_bytes(io.join(builder_dir, "dataset_info.json")),
                              dataset_info_pb2.DatasetInfo(), ignore_unknown_fields=True)
    file_format = proto.file_format or "tfrecord"
    if file_format not in FILE_FORMATS:
        raise DataError(f"{builder_dir}: shards are {file_format!r}; rt2data reads {list(FILE_FORMATS)}")
    splits = dataset_info.get_split_dict_from_proto(proto, builder_dir, file_format=file_format)
    return _Info(name=proto.name, version=proto.version, file_format=file_format, splits=splits)


def split_infos(info: Any) -> dict[str, SplitInfo]:
    """``SplitInfo`` per split of a tfds ``DatasetInfo``."""
    out: dict[str, SplitInfo] = {}
    for name, split in info.splits.items():
        template = split.filename_template
        out[name] = SplitInfo(
            name=name,
            num_episodes=int(split.num_examples),
            shard_lengths=tuple(int(n) for n in split.shard_lengths),
            filepath_template=str(getattr(template, "template", "")),
        )
    return out


def resolve_split(info: Any, split_spec: str, *, dataset_dir: str, file_format: str) -> list[ShardRef]:
    """The ``ShardRef``s a split spec reads, in split order (shards with nothing to read are left out).

    Args:
        info: the dataset's tfds ``DatasetInfo`` (from ``tfds.builder_from_directory``).
        split_spec: ``train``, ``train[:95%]``, ``train[95%:]``, ``train[10:20]``, ``train+val`` ...
        dataset_dir: the builder directory, recorded in each ref.
        file_format: ``tfrecord`` or ``array_record``.

    Raises:
        ConfigError: unknown split name or malformed slice; names the available splits.
    """
    by_file: dict[str, tuple[str, int, int]] = {}
    for name, split in info.splits.items():
        for i, (path, length) in enumerate(zip(split.filepaths, split.shard_lengths)):
            by_file[os.fspath(path)] = (name, i, int(length))
    try:
        instructions = info.splits[split_spec].file_instructions
    except (KeyError, ValueError, AssertionError, TypeError) as exc:
        available = sorted(info.splits.keys())
        raise ConfigError(
            f"{dataset_dir}: cannot read split {split_spec!r}: {exc}; available splits: {available} "
            "(slices look like train[:95%], train[95%:], train[10:20])"
        ) from None
    refs = []
    for fi in instructions:
        path = os.fspath(fi.filename)
        split, index, length = by_file[path]
        take = int(fi.take) if fi.take != -1 else length - int(fi.skip)
        if take <= 0:
            continue
        refs.append(
            ShardRef(
                dataset_dir=dataset_dir, split=split, index=index, path=path, num_records=length,
                file_format=file_format, first_record=int(fi.skip), stop_record=int(fi.skip) + take,
            )
        )
    return refs
