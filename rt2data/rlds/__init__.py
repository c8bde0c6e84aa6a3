"""Read RLDS / TFDS builder directories (Open X-Embodiment layout) without TensorFlow.

>>> ds = open_dataset("/data/bridge/0.1.0")                    # doctest: +SKIP
>>> for ref in ds.shards("train[:95%]"):                      # doctest: +SKIP
...     for ep in ds.read_shard(ref, corrupt="skip"):
...         ...  # RawEpisode (ep.get("steps/observation/image")) or BadRecord

``tensorflow_datasets`` and ``array_record`` are imported inside functions, never at import time.
"""

from __future__ import annotations

from rt2data.rlds.dataset import RldsDataset, find_builder_dir, load_features, open_dataset
from rt2data.rlds.decode import decode_episode, episode_decoder, image_skip_decoders
from rt2data.rlds.features import Feature, parse_features
from rt2data.rlds.reader import CORRUPT_POLICIES, BadRecord, RawEpisode, read_shard
from rt2data.rlds.splits import FILE_FORMATS, ShardRef, SplitInfo

__all__ = [
    "RldsDataset",
    "open_dataset",
    "load_features",
    "find_builder_dir",
    "ShardRef",
    "SplitInfo",
    "FILE_FORMATS",
    "RawEpisode",
    "BadRecord",
    "CORRUPT_POLICIES",
    "read_shard",
    "decode_episode",
    "episode_decoder",
    "Feature",
    "parse_features",
    "image_skip_decoders",
]
