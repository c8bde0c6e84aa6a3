"""Stream RLDS episodes out of one shard, without TensorFlow.

Each record is one ``tf.train.Example`` holding a whole episode (step fields concatenated under ``steps/...``).
``read_shard`` frames the records itself (CRC-checked, see ``framing``) or reads them with ``array_record``, then
decodes each with tfds's own numpy path, ``features.deserialize_example_np(bytes, decoders=...)``, where every
``Image`` feature is given ``tfds.decode.SkipDecoding()`` so the encoded JPEG/PNG bytes pass through untouched.

Bad input never disappears silently:

- a framing problem (CRC mismatch, truncated file, unreadable array_record) raises ``DataError`` naming the file,
  byte offset and record index under ``corrupt="error"``, or yields a ``BadRecord`` under ``corrupt="skip"``;
- a record that frames fine but does not decode against the features (wrong shape, missing key, garbage
  payload) raises ``DataError`` under ``corrupt="error"``, or yields a ``BadRecord`` with reason ``decode_error``
  under ``corrupt="skip"`` (the shard goes on);
- every record ``dataset_info.json`` declares is accounted for: after a corrupt header or a truncation the records
  that cannot be found come out as one ``BadRecord`` ``unreadable_after_corruption`` with their count; a shard
  holding more records than declared is a ``DataError`` under any policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import numpy as np

from rt2data import io
from rt2data.errors import ConfigError, DataError
from rt2data.rlds.file_types import get_file_type
from rt2data.rlds.framing import FramingError
from rt2data.rlds.splits import ShardRef

__all__ = ["RawEpisode", "BadRecord", "CORRUPT_POLICIES", "read_shard", "image_skip_decoders", "decode_episode"]

log = logging.getLogger(__name__)

CORRUPT_POLICIES = ("error", "skip")


@dataclass(frozen=True, eq=False)
class RawEpisode:
    """One decoded RLDS episode as nested numpy.

    Attributes:
        path: the shard file it came from.
        record_index: its record number within the shard (0-based, whole-shard numbering).
        data: nested dict. ``data["steps"]`` is a dict of arrays with a leading step axis N
            (``data["steps"]["action"]``: float32[N, 7]; images and strings: object arrays of ``bytes``);
            episode-level fields (``episode_metadata/...``, ``episode_id``) are numpy scalars/arrays or ``bytes``.
        offset: byte offset of the record in a TFRecord shard (None for array_record).
    """

    path: str
    record_index: int
    data: dict[str, Any] = field(repr=False)
    offset: int | None = None

    @property
    def num_steps(self) -> int:
        """N, the number of steps (0 for an empty episode)."""
        steps = self.data.get("steps", {})
        for leaf in _leaves(steps):
            return int(len(leaf))
        return 0

    def has(self, path: str) -> bool:
        """Whether ``path`` (``steps/observation/image``, ``episode_metadata/file_path``) exists."""
        try:
            self.get(path)
        except KeyError:
            return False
        return True

    def get(self, path: str) -> Any:
        """The value at a ``/``-separated path.

        Raises:
            KeyError: the path does not exist; the message names the episode and the keys that do.
        """
        node: Any = self.data
        parts = path.strip("/").split("/")
        i = 0
        while i < len(parts):
            # Longest key first: some datasets (kuka) have keys with a literal "/" in them.
            key = next((k for j in range(len(parts), i, -1) if isinstance(node, dict)
                        and (k := "/".join(parts[i:j])) in node), None)
            if key is None:
                where = "/".join(parts[:i]) or "<episode>"
                keys = sorted(node) if isinstance(node, dict) else []
                raise KeyError(f"{self.path} record {self.record_index}: no {parts[i]!r} under {where}; keys: {keys}")
            node = node[key]
            i += key.count("/") + 1
        return node

    def describe(self) -> str:
        """Where the episode is, for error messages."""
        return f"{self.path} record {self.record_index}"


@dataclass(frozen=True)
class BadRecord:
    """A record that could not be turned into a ``RawEpisode`` (dead-letter it, count it by ``reason``).

    Attributes:
        path: the shard file.
        index: the record's index in the shard.
        offset: byte offset of the record in a TFRecord shard (None where unknown).
        reason: ``crc_mismatch`` | ``corrupt_header`` | ``truncated`` | ``unreadable`` | ``decode_error`` |
            ``unreadable_after_corruption`` (the records after a corrupt header or a truncation: they cannot be
            found, but ``dataset_info.json`` says they exist).
        message: the details (what was wrong, the decoder's error).
        records: how many records (episodes) it stands for: 1, or the count of ``unreadable_after_corruption``.
    """

    path: str
    index: int
    offset: int | None
    reason: str
    message: str = ""
    records: int = 1


def image_skip_decoders(features: Any) -> dict[str, Any] | None:
    """A ``decoders`` tree giving ``tfds.decode.SkipDecoding()`` to every ``Image`` feature, at any depth.

    With it, ``deserialize_example_np`` returns each image as its stored encoded bytes (JPEG or PNG; images
    declared without ``encodingFormat`` are stored as PNG by tfds) instead of decoding pixels.
    """
    import tensorflow_datasets as tfds

    def walk(feature: Any) -> Any:
        if isinstance(feature, tfds.features.Image):
            return tfds.decode.SkipDecoding()
        inner = getattr(feature, "feature", None)
        if isinstance(feature, (tfds.features.Dataset, tfds.features.Sequence)) and inner is not None:
            return walk(inner)
        if isinstance(feature, tfds.features.FeaturesDict):
            sub = {key: walk(child) for key, child in feature.items()}
            sub = {k: v for k, v in sub.items() if v is not None}
            return sub or None
        return None

    return walk(features)


def prune_features(features: Any, paths: Iterable[str]) -> Any:
    """``features`` with only the leaves some path of ``paths`` reaches (``steps/observation/image``,
    ``episode_metadata/file_path``; a path ending at a dict keeps all of it), the rest left out.

    tfds's numpy parser then decodes nothing else: an Open X-Embodiment step often carries a 512-float language
    embedding and cameras the spec does not read, and turning those into arrays costs more than the rest of the
    record (in the ``bridge_dataset`` layout, 8.7 ms of an episode's 10.8 ms). Keys holding a ``/`` (kuka) match
    as a whole. Returns ``features`` itself when nothing is left out, or when no step field would be left (the
    full decode then reports what is missing, as before).
    """
    import tensorflow_datasets as tfds

    def keep(feature: Any, wanted: list[list[str]]) -> Any:
        if any(not parts for parts in wanted):
            return feature  # a path ends here: the whole subtree
        if isinstance(feature, tfds.features.Dataset):
            inner = keep(feature.feature, wanted)
            if inner is None:
                return None
            if inner is feature.feature:
                return feature
            return tfds.features.Dataset(inner, length=_static_length(feature))
        if isinstance(feature, tfds.features.FeaturesDict):
            kept = {}
            for key, child in feature.items():
                name = key.split("/")
                below = [parts[len(name):] for parts in wanted if parts[:len(name)] == name]
                if below and (sub := keep(child, below)) is not None:
                    kept[key] = sub
            if len(kept) == len(feature) and all(kept[k] is feature[k] for k in kept):
                return feature
            return tfds.features.FeaturesDict(kept) if kept else None
        return feature  # a path below a leaf: kept, so reading it fails as before

    pruned = keep(features, [p.strip("/").split("/") for p in paths])
    if pruned is None or ("steps" in features and "steps" not in pruned):
        return features
    return pruned


def _static_length(feature: Any) -> int | None:
    """The static length of a tfds ``Sequence``/``Dataset`` feature (None: variable), read through its public
    serialized form (``length`` -1 there means variable)."""
    length = feature.to_json_content().length
    return None if length == -1 else int(length)


def _leaves(tree: Any) -> Iterator[Any]:
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _leaves(value)
    else:
        yield tree


def _stack(values: list[Any]) -> np.ndarray:
    if values and isinstance(values[0], (bytes, str)):
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.stack([np.asarray(v) for v in values])


def _empty_like(feature: Any) -> Any:
    """Zero-step arrays with the feature's shapes and dtypes (an episode with no steps)."""
    import tensorflow_datasets as tfds

    if isinstance(feature, tfds.features.FeaturesDict):
        return {key: _empty_like(child) for key, child in feature.items()}
    if isinstance(feature, (tfds.features.Image, tfds.features.Text)) or feature.np_dtype == np.object_:
        return np.empty(0, dtype=object)
    shape = tuple(0 if d is None else d for d in feature.shape)
    return np.empty((0, *shape), dtype=feature.np_dtype)


def _to_numpy(value: Any, feature: Any, decoders: Any = None) -> Any:
    """Turn tfds's decoded tree into plain nested dicts; steps (a ``PythonDataSource``) into stacked arrays."""
    import tensorflow_datasets as tfds

    if isinstance(feature, tfds.features.Dataset):
        stacked = _stacked_columns(value, feature, decoders)
        if stacked is not None:
            return stacked
        steps = list(value)
        if not steps:
            return _empty_like(feature.feature)
        return _stack_tree(steps)
    if isinstance(feature, tfds.features.FeaturesDict):
        sub = decoders if isinstance(decoders, dict) else {}
        return {key: _to_numpy(value[key], child, sub.get(key)) for key, child in feature.items()}
    return value


def _stacked_columns(value: Any, feature: Any, decoders: Any) -> dict[str, Any] | None:
    """The steps of a ``Dataset`` feature stacked column by column: what ``_stack_tree(list(value))`` gives.

    tfds's numpy path hands the steps over as a data source that, per step, slices every column, nests the slices
    into a dict and decodes each leaf; stacking those dicts again costs more than parsing the record. Here each
    leaf's column (all steps, as the record was parsed) is decoded once: a plain ``Tensor`` column is reshaped as
    tfds reshapes each of its rows, a column of encoded images (``SkipDecoding``) or text is taken as it is, any
    other leaf is decoded row by row with its own decoder, as tfds does. Returns None (the caller takes the
    step-by-step path, and its errors) for an empty episode, a nested dataset, or anything that does not decode.
    """
    getitem = getattr(value, "getitem", None)
    columns = getattr(getitem, "flat_example", None)
    inner = getattr(feature, "feature", None)
    n = len(value)
    if columns is None or n == 0 or not hasattr(inner, "flat_features"):
        return None
    try:
        flat_decoders = inner._flatten(decoders)  # pylint: disable=protected-access  (tfds pinned, see the test)
        stacked = []
        for leaf, column, decoder, rank in zip(inner.flat_features, columns, flat_decoders,
                                               inner.flat_sequence_ranks, strict=True):
            if rank != 0:
                return None  # a sequence inside the steps
            stacked.append(_stacked_column(leaf, column, decoder, n))
        return inner._nest(stacked)  # pylint: disable=protected-access
    except Exception:  # noqa: BLE001  any surprise: the step-by-step path decodes it (or names the error)
        return None


def _stacked_column(leaf: Any, column: Any, decoder: Any, n: int) -> Any:
    """One leaf's rows decoded and stacked (``_stack`` of the per-step values tfds's numpy path gives)."""
    import tensorflow_datasets as tfds

    if len(column) != n or isinstance(decoder, dict):
        raise ValueError("not a plain column")
    if isinstance(decoder, tfds.decode.SkipDecoding) or (decoder is None and type(leaf) is tfds.features.Text):
        return _stack(list(column))  # the per-step value is the stored bytes
    if decoder is None and _plain_tensor(leaf) and isinstance(column, np.ndarray) and column.dtype != np.object_:
        shape = tuple(leaf.shape)
        if column.ndim >= 2 and shape:  # each row is an array that tfds reshapes to the feature's shape
            return column.reshape((n, *shape)).copy()
        return column.copy()  # rows are numpy scalars (or shapeless arrays), passed as they are
    if decoder is not None:
        decoder.setup(feature=leaf)
    decode = (decoder if decoder is not None else leaf).decode_example_np
    return _stack([decode(column[i]) for i in range(n)])


def _plain_tensor(leaf: Any) -> bool:
    """A ``Tensor`` whose numpy decoding is a reshape to its static shape (no bytes encoding, no uint64 view)."""
    import tensorflow_datasets as tfds

    cls = tfds.features.Tensor
    return (isinstance(leaf, cls) and type(leaf).decode_example_np is cls.decode_example_np
            and type(leaf)._get_value_and_shape is cls._get_value_and_shape  # pylint: disable=protected-access
            and not leaf._encoded_to_bytes and not leaf._dynamic_shape  # pylint: disable=protected-access
            and leaf.np_dtype != np.uint64 and all(isinstance(d, int) and d >= 0 for d in leaf.shape))


def _stack_tree(items: list[Any]) -> Any:
    first = items[0]
    if isinstance(first, dict):
        return {key: _stack_tree([item[key] for item in items]) for key in first}
    return _stack(items)


def decode_episode(data: bytes, *, features: Any, decoders: Any = None) -> dict[str, Any]:
    """Decode one serialized episode with tfds's numpy path; images stay encoded when ``decoders`` skips them."""
    value = features.deserialize_example_np(data, decoders=decoders)
    return _to_numpy(value, features, decoders)


def read_shard(ref: ShardRef, *, features: Any, corrupt: str = "error") -> Iterator[RawEpisode | BadRecord]:
    """Stream the episodes ``[ref.first_record, ref.stop_record)`` of one shard, one record at a time.

    Args:
        ref: the shard and record range (from ``RldsDataset.shards``).
        features: the dataset's tfds ``FeaturesDict`` (``RldsDataset.features``).
        corrupt: ``"error"`` raises ``DataError`` on a framing/CRC problem; ``"skip"`` yields a ``BadRecord`` instead.

    Yields:
        ``RawEpisode`` per good record; under ``corrupt="skip"``, ``BadRecord`` per record that is corrupt or does
        not decode, and one for the records that cannot be found after a corrupt header or truncation.

    Raises:
        DataError: the shard file is missing or holds more records than ``dataset_info.json`` says (any policy);
            under ``corrupt="error"``: a corrupt or truncated record (file, byte offset, record index), or a shard
            with fewer records than ``dataset_info.json`` says.
    """
    if corrupt not in CORRUPT_POLICIES:
        raise ConfigError(f"--corrupt {corrupt!r} is not one of {list(CORRUPT_POLICIES)}")
    if not io.is_file(ref.path):
        raise DataError(
            f"{ref.path}: shard {ref.index} of split {ref.split!r} is missing ({ref.num_records} episodes); "
            "dataset_info.json lists it, so the download or copy is incomplete"
        )
    decoders = image_skip_decoders(features)
    file_type = get_file_type(ref.file_format)
    records = file_type.iter_records(ref)
    for item in records:
        if isinstance(item, FramingError):
            if corrupt == "error":
                raise item.to_error(ref.path)
            log.warning("%s: record %d: %s (skipped)", ref.path, item.index, item.message)
            yield BadRecord(ref.path, item.index, item.offset, item.reason, item.message)
            rest = ref.stop_record - item.index - 1
            if not item.resumable and rest > 0:
                # Nothing after a corrupt header or a truncation can be found, but dataset_info.json says these
                # records exist: account for every one of them.
                yield BadRecord(
                    ref.path, item.index + 1, None, "unreadable_after_corruption",
                    f"records {item.index + 1}..{ref.stop_record - 1} ({rest}) cannot be read after the "
                    f"{item.reason} at record {item.index}", records=rest,
                )
            continue
        offset = item.offset if file_type.has_offsets else None
        try:
            data = decode_episode(item.data, features=features, decoders=decoders)
        except Exception as exc:  # tfds/numpy raise many types for a record that does not fit the features
            detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
            if corrupt == "error":
                at = f" at byte offset {offset}" if offset is not None else ""
                raise DataError(
                    f"{ref.path}: record {item.index}{at}: does not decode against the dataset's features "
                    f"(wrong shape, dtype or missing key: {detail}); pass --corrupt skip (corrupt='skip' in Python) "
                    "to dead-letter such records"
                ) from exc
            yield BadRecord(ref.path, item.index, offset, "decode_error", detail)
            continue
        yield RawEpisode(path=ref.path, record_index=item.index, data=data, offset=offset)
