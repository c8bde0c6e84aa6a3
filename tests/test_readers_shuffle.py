"""Sample-level shuffling for trainers (issue 13): ``shuffle_buffer`` and its use in ``iter_records`` and the torch
reader. On a real convert output (tfds-built dataset, FnApiRunner convert), batches of 8 read in manifest order hold
one episode each; through the shuffle buffer they mix episodes, and the test asserts the figure.

torch tests skip with a reason where torch is not installed (it is the optional extra ``rt2data[torch]``)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from rt2data import readers
from rt2data.errors import ConfigError
from rt2data.example import Example
from rt2data.shards import Accounting, Manifest, write_manifest, write_shards

TORCH_MISSING = "torch is not installed (pip install 'rt2data[torch]')"
BATCH = 8


def test_shuffle_buffer_yields_each_item_once_reproducibly():
    items = list(range(200))
    out = list(readers.shuffle_buffer(items, size=16, rng=np.random.default_rng(0)))
    assert sorted(out) == items and out != items
    assert out == list(readers.shuffle_buffer(items, size=16, rng=np.random.default_rng(0)))
    assert out != list(readers.shuffle_buffer(items, size=16, rng=np.random.default_rng(1)))
    # an item cannot come out before the buffer has seen it: input i is at output position >= i - size + 1
    position = {item: k for k, item in enumerate(out)}
    assert all(position[i] >= i - 16 + 1 for i in items)
    assert list(readers.shuffle_buffer(items, size=0, rng=np.random.default_rng(0))) == items
    assert list(readers.shuffle_buffer(items[:5], size=100, rng=np.random.default_rng(0))) != items[:5]
    with pytest.raises(ConfigError, match="-1"):
        list(readers.shuffle_buffer(items, size=-1, rng=np.random.default_rng(0)))


@pytest.fixture(scope="module")
def converted(rlds_dataset, tmp_path_factory):
    """A convert output of 16 episodes x 8 steps (128 examples, 2 shards), stored as convert stores it: an
    episode's steps together, in input order."""
    from rt2data.pipelines.convert import ConvertJob, run_convert

    ds = rlds_dataset("bridge_dataset", episodes=16, steps=8, image_size=(16, 16))
    out = tmp_path_factory.mktemp("shuffle") / "bridge"
    run_convert(ConvertJob(dataset_dir=str(ds), spec="bridge_dataset"), out)
    return out


def episodes_per_batch(episode_ids: list[str]) -> float:
    """Mean number of distinct episodes in consecutive batches of ``BATCH`` (full batches only)."""
    batches = [episode_ids[i:i + BATCH] for i in range(0, len(episode_ids) - BATCH + 1, BATCH)]
    return float(np.mean([len(set(b)) for b in batches]))


@pytest.mark.slow
def test_iter_records_shuffle_mixes_episodes(converted):
    plain = [r["episode_id"] for r in readers.iter_records(converted, decode_images=False)]
    shuffled = [r["episode_id"] for r in readers.iter_records(converted, decode_images=False, shuffle=1000, seed=0)]
    assert sorted(shuffled) == sorted(plain) and len(plain) == 128
    assert episodes_per_batch(plain) == 1.0  # 8 steps per episode, stored together
    assert episodes_per_batch(shuffled) >= 5.0  # 16 episodes: a uniform shuffle gives 6.45 on average
    window = [r["episode_id"] for r in readers.iter_records(converted, decode_images=False, shuffle=64, seed=0)]
    assert episodes_per_batch(window) >= 3.5  # a buffer of 8 episodes


@pytest.mark.slow
def test_torch_batches_mix_episodes_for_training_not_for_evaluation(converted):
    pytest.importorskip("torch", reason=TORCH_MISSING)
    from torch.utils.data import DataLoader

    def episode_ids(**options) -> list[str]:
        dataset = readers.torch_dataset(converted, transform=lambda r: r["episode_id"], seed=0, **options)
        return [e for batch in DataLoader(dataset, batch_size=BATCH) for e in batch]

    train, evaluation = episode_ids(), episode_ids(train=False)
    assert sorted(train) == sorted(evaluation)
    assert evaluation == [r["episode_id"] for r in readers.iter_records(converted, decode_images=False)]
    assert episodes_per_batch(evaluation) == 1.0
    assert episodes_per_batch(train) >= 5.0
    assert episodes_per_batch(episode_ids(shuffle=0)) <= 2.0  # shard order alone does not mix a batch


def captions(n: int) -> list[Example]:
    """``n`` caption examples with 4x4 PNG images (the torch reader's default transform needs only images)."""
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(buf, format="PNG")
    return [Example(key=f"c{i:03d}", image=buf.getvalue(), image_format="png", prompt="Caption:", target=f"text {i}",
                    kind="caption", source="web", template_id="caption-v1") for i in range(n)]


def test_torch_order_is_a_function_of_seed_epoch_rank_and_worker(tmp_path):
    pytest.importorskip("torch", reason=TORCH_MISSING)
    from torch.utils.data import DataLoader

    exs = captions(24)
    infos = write_shards(tmp_path, exs, fmt="wds", prefix="c", shard_examples=4, record_progress=False)
    write_manifest(tmp_path, Manifest(kind="mix", config={}, shards={"wds": infos}, accounting=Accounting(24, 24),
                                      templates={"caption-v1": "Caption:"}))
    out, keys = tmp_path, [e.key for e in exs]

    def read(epoch=0, **options):
        dataset = readers.torch_dataset(out, transform=lambda r: r["key"], **options)
        dataset.set_epoch(epoch)
        return [k for batch in DataLoader(dataset, batch_size=4, num_workers=2) for k in batch]

    first = read(seed=1)
    assert sorted(first) == sorted(keys) and first != keys
    assert read(seed=1) == first  # worker processes: same seed, same batches
    assert read(seed=1, epoch=1) != first and sorted(read(seed=1, epoch=1)) == sorted(keys)
    assert read(seed=2) != first
    ranks = [read(seed=1, rank=r, world_size=2) for r in (0, 1)]
    assert not set(ranks[0]) & set(ranks[1]) and sorted(ranks[0] + ranks[1]) == sorted(keys)
    assert read(train=False) == keys  # evaluation: manifest order, shards split round-robin over workers
    with pytest.raises(ConfigError, match="shuffle"):
        readers.torch_dataset(out, shuffle=-5)
