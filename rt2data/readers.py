"""Readers for trainers: an output's shards as plain records, a PyTorch dataset, a ``tf.data`` pipeline, or a
Hugging Face ``datasets.Dataset``.

Nothing heavy is imported at ``import rt2data.readers``: torch, tensorflow and datasets are imported by the function
that needs them, and a missing one raises ``MissingDependencyError`` (an ``ImportError``) with the install command.

- :func:`iter_records`: dicts with numpy action arrays and a PIL image (opened lazily: pixels decode on first use);
  optionally through a seeded sample-level shuffle buffer.
- :func:`torch_dataset` / ``TorchWebDataset``: a ``torch.utils.data.IterableDataset`` over the WebDataset shards;
  the shards are split across DataLoader workers (and, with ``rank``/``world_size``, across processes), so every
  example is read exactly once per epoch. For training (the default) shard order and a sample-level shuffle buffer
  are seeded per epoch, rank and worker, so a batch mixes episodes; ``train=False`` reads in manifest order.
- :func:`shuffle_buffer`: the buffer itself (webdataset's ``.shuffle(n)``, but seeded and reproducible).
- :func:`tf_parse_fn` / :func:`tf_dataset`: ``tf.io.parse_single_example`` with the feature spec of our TFRecord
  shards (``rt2data.shards.TFRECORD_FEATURE_SPEC_DOC``); ``tf_dataset`` gives fixed-length action fields plus an
  ``action_mask`` so a mixture (caption/VQA rows have no action) batches with plain ``.batch(B)``.
- :func:`hf_load`: ``datasets.load_dataset("webdataset", data_files=..., features=...)`` with the features our
  tars need (``rt2data.shards.hf_webdataset_features``); a convert output also loads without ``features``.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

import numpy as np

from rt2data import io as rio
from rt2data.errors import ConfigError, DataError
from rt2data.example import Example
from rt2data.image_open import open_image
from rt2data.inspection.deps import MissingDependencyError, require
from rt2data.shards import hf_webdataset_features
from rt2data.shards.reader import iter_records as shard_records
from rt2data.shards import iter_shard
from rt2data.shards import load_manifest
from rt2data.shards import resolve_shards
from rt2data.shards.card import wds_image_formats
from rt2data.shards.formats.tf_example import TFRECORD_FEATURES

__all__ = [
    "shard_paths",
    "example_to_record",
    "iter_records",
    "shuffle_buffer",
    "DEFAULT_SHUFFLE_BUFFER",
    "torch_dataset",
    "torch_sample",
    "TorchWebDataset",
    "output_action_dims",
    "tf_features",
    "tf_parse_fn",
    "tf_dataset",
    "hf_load",
    "wds_image_formats",
    "MissingDependencyError",
]

log = logging.getLogger(__name__)

TORCH_INSTALL = "pip install torch  (or: pip install 'rt2data[torch]')"
TF_INSTALL = "pip install 'rt2data[tensorflow]'  (tensorflow-cpu)"
HF_INSTALL = "pip install datasets"
Paths = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
T = TypeVar("T")

DEFAULT_SHUFFLE_BUFFER = 1000
"""Samples a training reader holds to shuffle (per DataLoader worker): about 1000 encoded examples, tens of MB."""


def shard_paths(out_dir_or_shards: Paths, *, fmt: str = "wds") -> list[str]:
    """The shard files of an output in manifest order (or the given shard files), as strings."""

    return [os.fspath(path) for path, _, _ in resolve_shards(out_dir_or_shards, fmt=fmt)]


def example_to_record(example: Example, *, decode_images: bool = True) -> dict[str, Any]:
    """One example as a plain dict: the JSON fields, ``image_bytes``, ``image`` (a lazily decoded ``PIL.Image``, or
    None with ``decode_images=False``), ``action_raw`` float64[D] and ``action_tokens`` int64[D] (None for web kinds).
    """
    return _filled(example.to_json_dict(), example.image, decode_images)


def _filled(record: dict[str, Any], image: bytes, decode_images: bool) -> dict[str, Any]:
    """:func:`example_to_record` from the example's ``to_json_dict()`` (a fresh dict, filled in place)."""
    record["image_bytes"] = image
    record["image"] = open_image(image) if decode_images else None
    raw = record["action_raw"]
    if raw is not None:
        record["action_raw"] = np.asarray(raw, dtype=np.float64)
    tokens = record["action_tokens"]
    if tokens is not None:
        record["action_tokens"] = np.asarray(tokens, dtype=np.int64)
    return record


def shuffle_buffer(items: Iterable[T], *, size: int, rng: np.random.Generator) -> Iterator[T]:
    """Shuffle a stream with a buffer of ``size`` items: each output is drawn uniformly from the buffer and replaced
    by the next input (webdataset's ``.shuffle(size)``, with an explicit generator instead of a global one).

    Every input is yielded exactly once; an item moves at most about ``size`` places from where a sequential reader
    would see it, so ``size`` should span many episodes (a convert output stores an episode's steps together).
    Memory: ``size`` items. ``size`` 0 or 1 passes the stream through unchanged.

    Raises:
        ConfigError: ``size`` is negative.
    """
    if size < 0:
        raise ConfigError(f"shuffle buffer size must be >= 0 (0: no shuffle), got {size}")
    if size <= 1:
        yield from items
        return
    buffer: list[T] = []
    for item in items:
        if len(buffer) < size:
            buffer.append(item)
            continue
        j = int(rng.integers(size))
        yield buffer[j]
        buffer[j] = item
    for j in rng.permutation(len(buffer)):
        yield buffer[int(j)]


def iter_records(
    out_dir_or_shards: Paths, *, fmt: str | None = None, decode_images: bool = True, verify: bool = False,
    shuffle: int = 0, seed: int = 0,
) -> Iterator[dict[str, Any]]:
    """Stream an output (directory, one shard or a list of shards) as plain records, in manifest order.

    Args:
        out_dir_or_shards: a ``convert`` / ``mix`` output directory, or shard files.
        fmt: ``wds`` | ``tfrecord`` (default: the manifest's first format / the file extension).
        decode_images: give ``record["image"]`` as a PIL image (pixels decoded on first access).
        verify: check each shard's sha256, size and count against the manifest (and TFRecord CRCs).
        shuffle: size of a sample-level shuffle buffer (0: manifest order; see :func:`shuffle_buffer`).
        seed: seed of the shuffle buffer; the same seed gives the same order.
    """

    records = shard_records(out_dir_or_shards, fmt=fmt, verify=verify)  # (to_json_dict(), image) per example
    if shuffle > 1:
        records = shuffle_buffer(records, size=shuffle, rng=np.random.default_rng(seed))
    elif shuffle < 0:
        raise ConfigError(f"shuffle buffer size must be >= 0 (0: no shuffle), got {shuffle}")
    for record, image in records:
        yield _filled(record, image, decode_images)


# ------------------------------------------------------------------------------------------------------- torch
def torch_sample(record: dict[str, Any]) -> dict[str, Any]:
    """The default ``TorchWebDataset`` transform: fields every kind has, the image as uint8[3, H, W].

    ``{"key", "image", "prompt", "target", "kind", "source"}``; the action tokens are in ``target`` as text (the
    way RT-2 trains). Batching with the default collate needs images of one size (a convert output; resize a
    mixture's images in your own ``transform``).
    """
    torch = require("torch", what="rt2data.readers.torch_sample", install=TORCH_INSTALL)
    pixels = np.array(record["image"].convert("RGB"), dtype=np.uint8)
    return {
        "key": record["key"], "image": torch.from_numpy(pixels).permute(2, 0, 1).contiguous(),
        "prompt": record["prompt"], "target": record["target"], "kind": record["kind"], "source": record["source"],
    }


def _split(shards: list[str], *, rank: int, world_size: int, worker: int, num_workers: int) -> list[str]:
    """Shards of one (process, worker): every shard to exactly one reader; deterministic."""
    return shards[rank * num_workers + worker :: world_size * num_workers]


_TORCH_CLASS: type | None = None


def _torch_class() -> type:
    global _TORCH_CLASS
    if _TORCH_CLASS is not None:
        return _TORCH_CLASS
    torch = require("torch", what="rt2data.readers.TorchWebDataset", install=TORCH_INSTALL)

    class TorchWebDataset(torch.utils.data.IterableDataset):
        """An ``IterableDataset`` over an output's WebDataset shards (see :func:`torch_dataset`)."""

        def __init__(self, out_dir_or_shards: Paths, *, transform: Callable[[dict], Any] | None = torch_sample,
                     train: bool = True, shuffle_shards: bool | None = None, shuffle: int | None = None,
                     seed: int = 0, rank: int = 0, world_size: int = 1) -> None:
            super().__init__()
            if not 0 <= rank < world_size:
                raise ConfigError(f"rank={rank} is not in [0, world_size={world_size}); pass 0 <= rank < world_size")
            if shuffle is not None and shuffle < 0:
                raise ConfigError(f"shuffle (the shuffle buffer size) must be >= 0, got {shuffle}")
            self.shards = shard_paths(out_dir_or_shards, fmt="wds")
            self.transform, self.seed, self.train = transform, seed, train
            self.shuffle_shards = train if shuffle_shards is None else shuffle_shards
            self.shuffle = (DEFAULT_SHUFFLE_BUFFER if train else 0) if shuffle is None else shuffle
            self.rank, self.world_size, self.epoch = rank, world_size, 0

        def set_epoch(self, epoch: int) -> None:
            """Reshuffle shard order and samples for ``epoch``; call it before each epoch (as DistributedSampler)."""
            self.epoch = epoch

        def shard_order(self) -> list[str]:
            if not self.shuffle_shards:
                return list(self.shards)
            order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.shards))
            return [self.shards[i] for i in order]

        def __iter__(self) -> Iterator[Any]:

            info = torch.utils.data.get_worker_info()
            worker, num_workers = (info.id, info.num_workers) if info is not None else (0, 1)
            mine = _split(self.shard_order(), rank=self.rank, world_size=self.world_size, worker=worker,
                          num_workers=num_workers)
            if not mine and worker == 0:
                log.warning("%d shards for %d readers: some readers get none", len(self.shards),
                            num_workers * self.world_size)
            examples = (example for path in mine for example in iter_shard(path, fmt="wds"))
            # One generator per (seed, epoch, rank, worker): reproducible, and no two readers draw alike.
            rng = np.random.default_rng([self.seed, self.epoch, self.rank, worker, num_workers])
            for example in shuffle_buffer(examples, size=self.shuffle, rng=rng):
                record = example_to_record(example)
                yield self.transform(record) if self.transform is not None else record

    # Picklable by reference (DataLoader workers started with "spawn"): pickle finds it via the module __getattr__.
    TorchWebDataset.__module__, TorchWebDataset.__qualname__ = __name__, "TorchWebDataset"
    _TORCH_CLASS = TorchWebDataset
    return TorchWebDataset


def torch_dataset(out_dir_or_shards: Paths, **options: Any) -> Any:
    """A ``torch.utils.data.IterableDataset`` over the WebDataset shards of an output.

    Args:
        out_dir_or_shards: a ``convert`` / ``mix`` output directory (its ``wds`` shards) or tar files.
        **options: ``transform`` (record dict -> sample; default :func:`torch_sample`, None for the raw record);
            ``train`` (default True: shuffled shard order and a shuffle buffer; False: manifest order, for
            evaluation); ``shuffle`` (shuffle buffer size in samples per worker; default
            ``DEFAULT_SHUFFLE_BUFFER`` when training, 0 otherwise); ``shuffle_shards`` (default: ``train``);
            ``seed`` (with ``set_epoch``, seeds both shuffles); ``rank`` and ``world_size`` (distributed training:
            each process reads its own shards).

    Shards are split across DataLoader workers and processes; each example is read once per epoch. The order is a
    function of (seed, epoch, rank, worker, number of workers) only: the same settings give the same batches.
    """
    return _torch_class()(out_dir_or_shards, **options)


def __getattr__(name: str) -> Any:
    if name == "TorchWebDataset":
        return _torch_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -------------------------------------------------------------------------------------------------- tensorflow
def _tf() -> Any:
    return require("tensorflow", what="the tf.data reader", install=TF_INSTALL)


def tf_features() -> dict[str, Any]:
    """The ``tf.io.parse_single_example`` feature dict of our TFRecord shards (as in the README's spec)."""

    tf = _tf()
    return {spec.name: eval(spec.tf_parse, {"__builtins__": {}, "tf": tf}) for spec in TFRECORD_FEATURES}  # noqa: S307


def output_action_dims(out_dir_or_shards: Paths) -> int:
    """How wide an output's action fields are: the most dimensions of any codec in its manifest (the output's and
    each robot source's) times the action chunk H of a ``convert --action-chunk H`` output, 0 for an output without
    robot examples. Shard files are looked up in the manifest beside the first of them. (A mixture does not record
    its sources' chunks: pass ``action_dims=H*D`` to the reader for a mixture of chunked outputs.)

    Raises:
        ConfigError: no manifest.json beside the shards (pass ``action_dims=`` to the reader instead).
    """
    single = isinstance(out_dir_or_shards, (str, os.PathLike))
    if single and rio.is_dir(out_dir_or_shards):  # a local folder or a URL prefix (rt2data.io)
        where = rio.location(out_dir_or_shards)
    else:
        resolved = resolve_shards(out_dir_or_shards)
        if not resolved:
            raise ConfigError("no shard files given; pass action_dims=")
        where = rio.location(rio.dirname(resolved[0][0]))
    if not rio.is_file(rio.join(where, "manifest.json")):
        raise ConfigError(f"{where} has no manifest.json to take the action dimensions from; pass action_dims=")
    manifest = load_manifest(where)
    codecs = [manifest.codec, *(source.get("codec") for source in manifest.sources.values())]
    convert = (manifest.config or {}).get("convert")
    chunk = int(convert.get("action_chunk", 1)) if isinstance(convert, dict) else 1  # convert --action-chunk H
    return chunk * max((len(c["action_space"]["dimensions"]) for c in codecs if c), default=0)


def tf_parse_fn(*, decode_image: bool = False, action_dims: int | None = None) -> Callable[[Any], dict[str, Any]]:
    """A function ``serialized tf.train.Example -> dict of tensors`` for ``tf.data.Dataset.map``.

    With ``action_dims=D`` the action fields have a fixed shape, so any output batches with plain ``.batch(B)``:
    ``action_tokens`` int64[D], ``action_raw`` float32[D] and ``action_raw_f64`` float64[D] (the exact action), zero
    where absent, and ``action_mask`` bool[D], True where the example has that dimension (all False for caption/VQA
    examples). Without it they are as stored, [D] or [0] per example (batch a mixture with ``.ragged_batch``). With
    ``decode_image`` the image is uint8[H, W, 3] (a mixture's images differ in size: resize them before batching).
    """
    tf = _tf()
    features = tf_features()
    if action_dims is not None and action_dims < 0:
        raise ConfigError(f"action_dims must be >= 0, got {action_dims}")

    def fixed(values: Any) -> Any:
        width = tf.shape(values)[0]
        check = tf.debugging.assert_less_equal(width, action_dims,
                                               message=f"an action is wider than action_dims={action_dims}; pass "
                                                       "action_dims= (H*D for action chunks of H steps)")
        with tf.control_dependencies([check]):
            return tf.ensure_shape(tf.pad(values, [[0, action_dims - width]]), [action_dims])

    def parse(record: Any) -> dict[str, Any]:
        ex = tf.io.parse_single_example(record, features)
        ex["action_raw"] = tf.sparse.to_dense(ex["action_raw"])
        ex["action_tokens"] = tf.sparse.to_dense(ex["action_tokens"])
        ex["action_raw_f64"] = tf.io.decode_raw(ex["action_raw_f64"], tf.float64)
        if action_dims is not None:
            ex["action_mask"] = tf.range(action_dims) < tf.shape(ex["action_tokens"])[0]
            for name in ("action_raw", "action_tokens", "action_raw_f64"):
                ex[name] = fixed(ex[name])
        if decode_image:
            ex["image"] = tf.io.decode_image(ex["image"], channels=3, expand_animations=False)
        return ex

    return parse


def tf_dataset(out_dir_or_shards: Paths, *, decode_image: bool = False, num_parallel_calls: Any = None,
               action_dims: int | None = None) -> Any:
    """``tf.data.TFRecordDataset`` over an output's TFRecord shards (manifest order), mapped with :func:`tf_parse_fn`.

    The action fields are fixed-length with an ``action_mask`` (width ``action_dims``, default: from the manifest,
    :func:`output_action_dims`), so ``.batch(B)`` works on convert and mix outputs alike.
    """
    tf = _tf()
    files = shard_paths(out_dir_or_shards, fmt="tfrecord")
    width = action_dims if action_dims is not None else output_action_dims(out_dir_or_shards)
    calls = tf.data.AUTOTUNE if num_parallel_calls is None else num_parallel_calls
    return tf.data.TFRecordDataset(files).map(tf_parse_fn(decode_image=decode_image, action_dims=width),
                                              num_parallel_calls=calls, deterministic=True)


# ---------------------------------------------------------------------------------------------- Hugging Face
def hf_load(out_dir_or_shards: Paths, *, split: str = "train", streaming: bool = False, **load_options: Any) -> Any:
    """A Hugging Face dataset over the WebDataset shards of an output.

    Columns: ``__key__``, ``__url__``, one ``Image()`` column per image format present (``jpg``, ``png``, ...; None
    where a sample has another format) and ``json`` (the example's fields). ``load_options`` go to
    ``datasets.load_dataset`` (e.g. ``cache_dir``, ``num_proc``).
    """
    datasets = require("datasets", what="rt2data.readers.hf_load", install=HF_INSTALL)

    paths = shard_paths(out_dir_or_shards, fmt="wds")
    if not paths:
        raise DataError(f"{out_dir_or_shards} holds no WebDataset (.tar) shards; was it written with --format tfrecord?")
    features = hf_webdataset_features(wds_image_formats(paths))
    return datasets.load_dataset("webdataset", data_files={split: paths}, split=split, features=features,
                                 streaming=streaming, **load_options)
