"""Reading tfds-built RLDS datasets without TensorFlow: metadata, splits, decoding, corrupt and truncated shards."""

from __future__ import annotations

import os
import time
from pathlib import Path

import google_crc32c
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.errors import ConfigError, DataError
from rt2data.rlds import BadRecord, RawEpisode, ShardRef, image_skip_decoders, open_dataset
from rt2data.rlds.framing import frame_record, iter_records, masked_crc32c, write_records
from rt2data.testing.tfds_reference import assert_same_tree, read_info
from rt2data.testing import rlds_builders as rb


def read_all(ds, split: str = "train", **kwargs) -> list:
    return [item for ref in ds.shards(split) for item in ds.read_shard(ref, **kwargs)]


def episode_index(ep: RawEpisode) -> int:
    return int(ep.get("episode_metadata/episode_id"))


# --- framing ---------------------------------------------------------------------------------------------------

def test_crc32c_known_vector_and_mask():
    assert google_crc32c.value(b"123456789") == 0xE3069283  # the CRC-32C check value
    crc = 0xE3069283
    assert masked_crc32c(b"123456789") == ((((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


@settings(max_examples=40, deadline=None)
@given(payloads=st.lists(st.binary(max_size=300), max_size=8), start=st.integers(0, 9), extra=st.integers(0, 9))
def test_framing_round_trip_and_slices(tmp_path_factory, payloads, start, extra):
    path = tmp_path_factory.mktemp("frames") / "x.tfrecord"
    write_records(path, payloads)
    stop = start + extra
    got = list(iter_records(path, start=start, stop=stop))
    assert [r.data for r in got] == payloads[start:stop]
    assert [r.index for r in got] == list(range(start, min(stop, len(payloads))))
    offsets = np.cumsum([0] + [len(p) + 16 for p in payloads])
    assert [r.offset for r in got] == [int(offsets[r.index]) for r in got]


def test_framing_is_what_the_shards_reader_reads(tmp_path):
    shards_tfrecord = pytest.importorskip("rt2data.shards.formats.tfrecord")  # an independent implementation in this repo
    write_records(tmp_path / "x.tfrecord", [b"a", b"", b"xyz" * 100])
    assert list(shards_tfrecord.iter_tfrecord(tmp_path / "x.tfrecord")) == [b"a", b"", b"xyz" * 100]
    assert frame_record(b"abc") == shards_tfrecord.frame_record(b"abc")


# --- metadata and splits ---------------------------------------------------------------------------------------

def test_open_dataset_reads_metadata(rlds_dataset):
    path = rlds_dataset("bridge_dataset", episodes=5, shards=2)
    ds = open_dataset(path.parent)  # the parent folder: the version folder is found
    assert ds.path == path and ds.name == "bridge_dataset" and ds.version == "1.0.0"
    assert ds.file_format == "tfrecord"
    assert ds.splits["train"].num_episodes == 5 and sum(ds.splits["train"].shard_lengths) == 5
    assert ds.splits["train"].filepath_template == "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}"
    refs = ds.shards("train")
    assert [r.index for r in refs] == [0, 1] and all(r.is_whole and Path(r.path).is_file() for r in refs)
    assert all(r.path.endswith(f"-0000{r.index}-of-00002") for r in refs)


def test_open_dataset_rejects_non_builder_dir(tmp_path):
    with pytest.raises(DataError, match="features.json"):
        open_dataset(tmp_path)


def test_shard_template_without_of(rlds_dataset):
    ds = open_dataset(rlds_dataset("language_table", episodes=4, shards=2))
    assert ds.splits["train"].filepath_template == "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_INDEX}"
    refs = ds.shards("train")
    assert [Path(r.path).name for r in refs] == ["language_table-train.tfrecord-00000", "language_table-train.tfrecord-00001"]
    assert len(read_all(ds)) == 4


@pytest.fixture(scope="module")
def twenty(tmp_path_factory) -> Path:
    return rb.build_dataset("bridge_dataset", tmp_path_factory.mktemp("twenty"), episodes=20, steps=2, shards=3,
                            image_size=(16, 16))


def _positions(ds, split):
    return [(Path(r.path).name, i) for r in ds.shards(split) for i in range(r.first_record, r.stop_record)]


@pytest.mark.parametrize(
    "spec,expected",
    [("train", 20), ("train[:95%]", 19), ("train[95%:]", 1), ("train[10:20]", 10), ("train[:50%]", 10),
     ("train[-3:]", 3), ("train[5:7]", 2)],
)
def test_split_slices_are_episode_ranges_in_split_order(twenty, spec, expected):
    ds = open_dataset(twenty)
    whole = _positions(ds, "train")
    assert len(whole) == 20
    got = _positions(ds, spec)
    assert len(got) == expected == ds.num_episodes(spec) == read_info(str(ds.path)).splits[spec].num_examples  # tfds
    start = {"train[95%:]": 19, "train[10:20]": 10, "train[-3:]": 17, "train[5:7]": 5}.get(spec, 0)
    assert got == whole[start:start + expected]


def test_split_slice_reads_exactly_its_episodes(twenty):
    ds = open_dataset(twenty)
    head = {episode_index(e) for e in read_all(ds, "train[:95%]")}
    tail = {episode_index(e) for e in read_all(ds, "train[95%:]")}
    assert len(head) == 19 and len(tail) == 1 and head | tail == set(range(20)) and not head & tail


def test_unknown_split_or_bad_slice_names_available_splits(twenty):
    ds = open_dataset(twenty)
    for bad in ("validation", "train[abc]", "train[:200%]"):
        with pytest.raises(ConfigError, match=r"available splits: \['train'\]"):
            ds.shards(bad)


def test_shard_ref_rejects_bad_ranges():
    with pytest.raises(ConfigError, match="record range"):
        ShardRef("d", "train", 0, "p", num_records=3, file_format="tfrecord", first_record=2, stop_record=4)
    with pytest.raises(ConfigError, match="file format"):
        ShardRef("d", "train", 0, "p", num_records=3, file_format="riegeli", first_record=0, stop_record=3)


# --- decoding --------------------------------------------------------------------------------------------------

def test_episodes_decode_with_image_bytes_passed_through(rlds_dataset):
    path = rlds_dataset("bridge_dataset", episodes=3, steps=5)
    ds = open_dataset(path)
    episodes = read_all(ds)
    assert sorted(episode_index(e) for e in episodes) == [0, 1, 2]
    layout = rb.LAYOUTS["bridge_dataset"]
    for ep in episodes:
        i = episode_index(ep)
        want = rb.generate_episode(ds.features, name="bridge_dataset", index=i, steps=5, roles=layout.roles)
        assert ep.num_steps == 5
        action = ep.get("steps/action")
        assert action.dtype == np.float32 and action.shape == (5, 7)
        np.testing.assert_array_equal(action, np.stack([s["action"] for s in want["steps"]]))
        images = ep.get("steps/observation/image_0")
        assert images.dtype == object and [bytes(b) for b in images] == [s["observation"]["image_0"] for s in want["steps"]]
        assert images[0][:3] == b"\xff\xd8\xff"  # JPEG, untouched
        assert list(ep.get("steps/language_instruction")) == [rb.instruction_for(0, i).encode()] * 5
        assert ep.get("steps/is_last").tolist() == [False] * 4 + [True]


def test_png_default_and_float_images_stay_encoded(rlds_dataset):
    ds = open_dataset(rlds_dataset("berkeley_autolab_ur5"))
    decoders = image_skip_decoders(ds.features.to_tfds())
    assert set(decoders["steps"]["observation"]) == {"image", "hand_image", "image_with_depth"}
    ep = read_all(ds)[0]
    for key in ("image", "hand_image", "image_with_depth"):  # no encodingFormat -> tfds stored PNG; float32 too
        assert all(b[:8] == b"\x89PNG\r\n\x1a\n" for b in ep.get(f"steps/observation/{key}"))


def test_zlib_tensors_and_keys_with_slashes(rlds_dataset):
    ds = open_dataset(rlds_dataset("kuka"))
    ep = read_all(ds)[0]
    pose = ep.get("steps/observation/clip_function_input/base_pose_tool_reached")
    assert pose.shape == (5, 7) and pose.dtype == np.float32
    assert ep.get("steps/observation/gripper_closed").shape == (5, 1)
    assert bool(ep.get("success")) is True
    with pytest.raises(KeyError, match=r"no 'nope' under steps/observation; keys: \["):
        ep.get("steps/observation/nope")
    assert ep.has("steps/action/terminate_episode") and not ep.has("steps/action/nope")


@pytest.mark.parametrize("layout", ["bridge_dataset", "kuka", "language_table", "berkeley_autolab_ur5", "droid",
                                    "taco_play", "jaco_play"])
def test_column_stacking_gives_what_tfds_step_by_step_gives(rlds_dataset, layout, monkeypatch):
    """Steps are decoded column by column (issue 14); tfds's own path slices, decodes and restacks every step. Both
    give the same arrays (dtype, shape, values) for every layout: zlib tensors, int-coded text, float images,
    scalars, bools, several cameras."""
    from rt2data.rlds import decode

    ds = open_dataset(rlds_dataset(layout, episodes=2, steps=4, shards=1, image_size=(8, 8)))
    features = ds.features.to_tfds()
    decoders = image_skip_decoders(features)
    records = [item.data for ref in ds.shards("train")
               for item in iter_records(ref.path, start=ref.first_record, stop=ref.stop_record)]
    for data in records:
        value = features.deserialize_example_np(data, decoders=decoders)
        assert decode._stacked_columns(value["steps"], features["steps"], decoders["steps"]) is not None
    fast = [decode.decode_episode(data, features=features, decoders=decoders) for data in records]
    monkeypatch.setattr(decode, "_stacked_columns", lambda *args: None)
    slow = [decode.decode_episode(data, features=features, decoders=decoders) for data in records]
    for a, b in zip(fast, slow, strict=True):
        assert_same_tree(a, b)


def test_array_record_shards_read_like_tfrecord(tmp_path):
    a = open_dataset(rb.build_dataset("bridge_dataset", tmp_path / "a", file_format="array_record", episodes=4))
    t = open_dataset(rb.build_dataset("bridge_dataset", tmp_path / "t", file_format="tfrecord", episodes=4))
    assert a.file_format == "array_record" and all(r.path.count(".array_record-") for r in a.shards("train"))
    got_a = {episode_index(e): e for e in read_all(a)}
    got_t = {episode_index(e): e for e in read_all(t)}
    assert sorted(got_a) == sorted(got_t) == [0, 1, 2, 3]
    for i, ep in got_a.items():
        np.testing.assert_array_equal(ep.get("steps/action"), got_t[i].get("steps/action"))
        assert list(ep.get("steps/observation/image_0")) == list(got_t[i].get("steps/observation/image_0"))
    assert len(read_all(a, "train[1:3]")) == 2


def test_empty_episode_has_typed_empty_steps(tmp_path):
    ds = open_dataset(rb.build_dataset("fractal20220817_data", tmp_path, episodes=1, steps=0, shards=1))
    (ep,) = read_all(ds)
    assert ep.num_steps == 0
    assert ep.get("steps/action/world_vector").shape == (0, 3)
    assert ep.get("steps/observation/image").shape == (0,)


def test_build_is_fast(tmp_path):
    rb.build_dataset("generic_flat_eef", tmp_path / "warm", episodes=1, steps=1)  # imports, tfds registries
    start = time.perf_counter()
    rb.build_dataset("fractal20220817_data", tmp_path / "timed", episodes=3, steps=5)
    assert time.perf_counter() - start < 4.0  # typically ~0.1 s; the brief asks < 2 s, with slack for a busy box


# --- bad input -------------------------------------------------------------------------------------------------

@pytest.fixture()
def damaged(tmp_path) -> Path:
    """6 episodes in one shard, built fresh for each test (tests damage it)."""
    return rb.build_dataset("bridge_dataset", tmp_path, episodes=6, steps=3, shards=1, image_size=(16, 16))


def _only_shard(path: Path) -> ShardRef:
    (ref,) = open_dataset(path).shards("train")
    return ref


def test_data_crc_mismatch_raises_with_file_offset_and_record(damaged):
    ref = _only_shard(damaged)
    offset = rb.corrupt_record(ref.path, record=2)
    stream = open_dataset(ref.dataset_dir).read_shard(ref)
    assert [e.record_index for e in (next(stream), next(stream))] == [0, 1]  # streamed: good records come first
    with pytest.raises(DataError) as info:
        next(stream)
    msg = str(info.value)
    assert ref.path in msg and "record 2" in msg and f"byte offset {offset}" in msg and "CRC" in msg


def test_data_crc_mismatch_skip_policy_yields_bad_record_and_continues(damaged):
    ref = _only_shard(damaged)
    offset = rb.corrupt_record(ref.path, record=2)
    items = list(open_dataset(ref.dataset_dir).read_shard(ref, corrupt="skip"))
    assert [type(x).__name__ for x in items] == ["RawEpisode"] * 2 + ["BadRecord"] + ["RawEpisode"] * 3
    assert items[2] == BadRecord(ref.path, 2, offset, "crc_mismatch", items[2].message)
    assert [x.record_index for x in items if isinstance(x, RawEpisode)] == [0, 1, 3, 4, 5]


def test_corrupt_header_ends_the_shard_under_skip(damaged):
    ref = _only_shard(damaged)
    offset = rb.corrupt_record(ref.path, record=4, where="header")
    items = list(open_dataset(ref.dataset_dir).read_shard(ref, corrupt="skip"))
    assert len(items) == 6 and isinstance(items[-2], BadRecord)
    assert (items[-2].index, items[-2].offset, items[-2].reason) == (4, offset, "corrupt_header")
    # the record after it cannot be found, but dataset_info.json declares it: accounted, not lost
    assert (items[-1].index, items[-1].reason, items[-1].records) == (5, "unreadable_after_corruption", 1)


def test_every_declared_record_is_accounted_after_a_corrupt_header(damaged):
    ref = _only_shard(damaged)
    rb.corrupt_record(ref.path, record=1, where="header")
    items = list(open_dataset(ref.dataset_dir).read_shard(ref, corrupt="skip"))
    assert [(type(x).__name__, getattr(x, "reason", None)) for x in items] == [
        ("RawEpisode", None), ("BadRecord", "corrupt_header"), ("BadRecord", "unreadable_after_corruption")]
    assert items[2].records == 4 and "records 2..5 (4)" in items[2].message
    assert sum(1 if isinstance(x, RawEpisode) else x.records for x in items) == ref.num_records == 6


def test_shard_longer_than_dataset_info_says_is_an_error(damaged):
    ref = _only_shard(damaged)
    last = [r.offset for r in iter_records(ref.path)][-1]
    data = Path(ref.path).read_bytes()
    Path(ref.path).write_bytes(data + data[last:])  # a 7th record that shardLengths does not declare
    for policy in ("error", "skip"):
        with pytest.raises(DataError, match=rf"{ref.path}: the shard holds more than the 6 records"):
            list(open_dataset(ref.dataset_dir).read_shard(ref, corrupt=policy))


def test_truncated_shard(damaged):
    ref = _only_shard(damaged)
    offset = rb.truncate_shard(ref.path, drop_bytes=7)
    with pytest.raises(DataError, match=rf"record 5 at byte offset {offset}: .*truncated"):
        list(open_dataset(ref.dataset_dir).read_shard(ref))
    items = list(open_dataset(ref.dataset_dir).read_shard(ref, corrupt="skip"))
    assert len(items) == 6 and items[-1].reason == "truncated" and items[-1].index == 5


def test_shard_shorter_than_dataset_info_says(damaged):
    ref = _only_shard(damaged)
    data = Path(ref.path).read_bytes()
    last = [r.offset for r in iter_records(ref.path)][-1]
    Path(ref.path).write_bytes(data[:last])  # cut exactly at a record boundary: framing is fine, a record is gone
    with pytest.raises(DataError, match="ends after 5 records but dataset_info.json says it has 6"):
        list(open_dataset(ref.dataset_dir).read_shard(ref))


def test_wrong_shape_episode_stops_under_error_and_is_a_bad_record_under_skip(damaged):
    shard, index = rb.append_record(damaged, rb.serialize_wrong_shape(damaged, key="steps/action", size=6, steps=3))
    ref = _only_shard(damaged)
    assert ref.num_records == 7 and index == 6
    with pytest.raises(DataError, match=rf"{shard}: record 6 at byte offset \d+: does not decode .*--corrupt skip"):
        list(open_dataset(ref.dataset_dir).read_shard(ref, corrupt="error"))
    items = list(open_dataset(ref.dataset_dir).read_shard(ref, corrupt="skip"))
    assert [isinstance(x, RawEpisode) for x in items] == [True] * 6 + [False]
    bad = items[-1]
    assert bad.reason == "decode_error" and bad.index == 6 and bad.path == str(shard) and bad.message


def test_corrupt_array_record(tmp_path):
    path = rb.build_dataset("bridge_oxe_v0", tmp_path, file_format="array_record", shards=1)
    (ref,) = open_dataset(path).shards("train")
    damaged = bytearray(Path(ref.path).read_bytes())
    damaged[500] ^= 0xFF  # inside the first record's chunk (file header 64 B, chunk header 40 B, ~10 kB of data)
    Path(ref.path).write_bytes(bytes(damaged))
    with pytest.raises(DataError, match=rf"{ref.path}: record 0: cannot read array_record record: .*hash mismatch"):
        list(open_dataset(ref.dataset_dir).read_shard(ref))
    items = list(open_dataset(ref.dataset_dir).read_shard(ref, corrupt="skip"))  # one chunk per record: the others still read
    assert [type(x).__name__ for x in items] == ["BadRecord", "RawEpisode", "RawEpisode"]
    assert items[0].reason == "unreadable" and items[0].offset is None
    Path(ref.path).write_bytes(b"\0" * 64)
    with pytest.raises(DataError, match=rf"{ref.path}: record 0: the array_record shard has 0 records"):
        list(open_dataset(ref.dataset_dir).read_shard(ref))


def test_missing_shard_file(damaged):
    ref = _only_shard(damaged)
    os.remove(ref.path)
    for policy in ("error", "skip"):
        with pytest.raises(DataError, match=r"shard 0 of split 'train' is missing \(6 episodes\)"):
            list(open_dataset(ref.dataset_dir).read_shard(ref, corrupt=policy))


def test_bad_policy_name(damaged):
    with pytest.raises(ConfigError, match="--corrupt"):
        list(open_dataset(damaged).read_shard(_only_shard(damaged), corrupt="ignore"))


def test_no_tensorflow_imported_and_rt2data_import_is_light():
    import subprocess
    import sys

    code = ("import sys, rt2data, rt2data.rlds, rt2data.spec.model; "
            "print(any(m in sys.modules for m in ('tensorflow', 'tensorflow_datasets', 'apache_beam')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert out.stdout.strip() == "False"
