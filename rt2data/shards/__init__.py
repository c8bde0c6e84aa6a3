"""The output layer: sharded WebDataset tars and TFRecord files of ``Example`` records, without TensorFlow.

- ``wds``: tar samples ``KEY.<image_format>`` + ``KEY.json``, deterministic headers, safe streaming reads.
- ``tfrecord`` / ``tf_example``: TFRecord framing (masked CRC-32C) and ``tf.train.Example`` protobuf bytes.
- ``writer``: atomic shard writing (temp file, fsync, rename), splitting a stream by examples and/or bytes.
- ``manifest``: ``manifest.json`` (versioned, JSON Schema ``manifest``), accounting, config fingerprint.
- ``layout``: refuse / overwrite / resume an output directory, finalize it; ``ledger``: progress of a run.
- ``reader`` / ``verify``: read examples back in manifest order; verify every byte and example.

Typical pipeline use::

    done = prepare_output_dir(out, overwrite=False, resume=True, config_fingerprint=config_fingerprint(cfg))
    infos = write_shards(out, examples, fmt="wds", prefix="bridge", shard_examples=1000)
    finalize_output(out, infos, manifest=Manifest(kind="convert", config=cfg, shards={"wds": infos}, ...))
"""

from __future__ import annotations

from rt2data.shards.hf import HF_FEATURES_DOC, hf_webdataset_features
from rt2data.shards.info import EXTENSIONS, FORMATS, ShardInfo, shard_name
from rt2data.shards.layout import finalize_output, prepare_output_dir, remove_output_files, scan_output_dir
from rt2data.shards.ledger import read_ledger, record_progress
from rt2data.shards.manifest import (
    Accounting,
    Manifest,
    config_fingerprint,
    load_manifest,
    manifest_to_bytes,
    validate_accounting,
    write_manifest,
)
from rt2data.shards.reader import iter_examples, iter_shard, resolve_shards
from rt2data.shards.formats.tf_example import (
    TFRECORD_FEATURE_SPEC_DOC,
    decode_tf_example,
    encode_tf_example,
    example_to_tf_example_bytes,
    tf_example_bytes_to_example,
)
from rt2data.shards.formats.tfrecord import iter_tfrecord, masked_crc32c, write_tfrecord_records
from rt2data.shards.verify import Problem, VerifyReport, verify_output
from rt2data.shards.writer import (
    ShardingPlan,
    ShardWriter,
    encode_example,
    write_shard,
    write_shard_at,
    write_shards,
    write_shards_multi,
)

__all__ = [
    "FORMATS",
    "EXTENSIONS",
    "ShardInfo",
    "shard_name",
    "ShardWriter",
    "ShardingPlan",
    "encode_example",
    "write_shard",
    "write_shard_at",
    "write_shards",
    "write_shards_multi",
    "Accounting",
    "Manifest",
    "config_fingerprint",
    "validate_accounting",
    "manifest_to_bytes",
    "write_manifest",
    "load_manifest",
    "prepare_output_dir",
    "finalize_output",
    "remove_output_files",
    "scan_output_dir",
    "read_ledger",
    "record_progress",
    "iter_examples",
    "iter_shard",
    "resolve_shards",
    "verify_output",
    "VerifyReport",
    "Problem",
    "write_tfrecord_records",
    "iter_tfrecord",
    "masked_crc32c",
    "encode_tf_example",
    "decode_tf_example",
    "example_to_tf_example_bytes",
    "tf_example_bytes_to_example",
    "TFRECORD_FEATURE_SPEC_DOC",
    "HF_FEATURES_DOC",
    "hf_webdataset_features",
]
