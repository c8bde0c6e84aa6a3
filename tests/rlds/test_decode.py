"""The episode decoder without tensorflow_datasets (``rt2data.rlds.decode.EpisodeDecoder``) on what the catalog test
(tests/spec/test_oxe_catalog.py, every layout held to tfds) does not build: empty episodes, damaged records, the
layouts left to the tfds route, and a process that reads a dataset without importing tfds."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow_datasets as tfds

from rt2data.rlds import BadRecord, open_dataset
from rt2data.rlds.decode import EpisodeDecoder, decode_episode, episode_decoder, image_skip_decoders
from rt2data.rlds.features import as_features
from rt2data.rlds.framing import iter_records, write_records
from rt2data.shards.formats.example_proto import example_message_class
from rt2data.testing import rlds_builders as rb
from rt2data.testing.tfds_reference import assert_same_tree


def _records(ds) -> list[bytes]:
    return [item.data for ref in ds.shards("train")
            for item in iter_records(ref.path, start=ref.first_record, stop=ref.stop_record)]


def _tfds_route(features):
    tf_features = features.to_tfds()
    decoders = image_skip_decoders(tf_features)
    return lambda data: decode_episode(data, features=tf_features, decoders=decoders)


def _edit(data: bytes, change) -> bytes:
    message = example_message_class()()
    message.ParseFromString(data)
    change(message.features.feature)
    return message.SerializeToString(deterministic=True)


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    return open_dataset(rb.build_dataset("bridge_dataset", tmp_path_factory.mktemp("b"), episodes=2, steps=3,
                                         shards=1, image_size=(8, 8)))


def test_an_empty_episode_decodes_as_tfds_decodes_it(bridge):
    def no_steps(fmap):
        for key in fmap:
            if key.startswith("steps/"):
                feature = fmap[key]
                kind = feature.WhichOneof("kind")
                del getattr(feature, kind).value[:]

    data = _edit(_records(bridge)[0], no_steps)
    for features in (bridge.features, bridge.features.prune(["steps/action", "steps/observation/image_0"])):
        got = EpisodeDecoder(features)(data)
        assert_same_tree(got, _tfds_route(features)(data))
        assert got["steps"]["action"].shape == (0, 7) and got["steps"]["observation"]["image_0"].dtype == object


@pytest.mark.parametrize("damage, message", [
    (lambda f: f.__delitem__("steps/action"), "steps/action: missing from the record"),
    (lambda f: f["steps/action"].float_list.value.append(1.0), "steps/action: 22 values do not make whole steps of shape [7]"),
    (lambda f: f["steps/is_first"].int64_list.value.append(1), "has 4 steps but"),
    (lambda f: f["steps/reward"].ClearField("float_list"), "steps/reward: holds no value list"),
])
def test_a_record_that_does_not_fit_names_the_feature_and_tfds_refuses_it_too(bridge, damage, message):
    data = _edit(_records(bridge)[0], damage)
    with pytest.raises(ValueError, match=re.escape(message)):
        EpisodeDecoder(bridge.features)(data)
    with pytest.raises(Exception):  # noqa: B017  tfds's own types
        _tfds_route(bridge.features)(data)


def test_a_damaged_record_is_dead_lettered_as_a_decode_error(tmp_path, bridge):
    records = _records(bridge)
    records[0] = _edit(records[0], lambda f: f["steps/action"].float_list.value.append(1.0))
    copy = rb.build_dataset("bridge_dataset", tmp_path / "d", episodes=2, steps=3, shards=1, image_size=(8, 8))
    ds = open_dataset(copy)
    (ref,) = ds.shards("train")
    assert ref.num_records == 2
    write_records(ref.path, records)
    out = list(ds.read_shard(ref, corrupt="skip"))
    assert isinstance(out[0], BadRecord) and out[0].reason == "decode_error"
    assert "steps/action: 22 values do not make whole steps of shape [7]" in out[0].message
    assert out[1].num_steps == 3


def test_layouts_it_does_not_cover_go_to_tfds():
    F = tfds.features
    covered = as_features(F.FeaturesDict({"steps": F.Dataset({"a": F.Tensor(shape=(2,), dtype=np.float32)})}))
    assert isinstance(episode_decoder(covered), EpisodeDecoder)
    for leaf in (F.Tensor(shape=(None, 2), dtype=np.float32),
                 F.Sequence(F.Text()), F.Tensor(shape=(), dtype=np.uint64), F.ClassLabel(num_classes=3)):
        features = as_features(F.FeaturesDict({"steps": F.Dataset({"a": leaf})}))
        assert not isinstance(episode_decoder(features), EpisodeDecoder), leaf


@pytest.mark.parametrize("steps", [3, 0])
def test_zlib_and_bytes_tensors_decode_as_tfds_decodes_them(tmp_path, steps):
    """kuka's layout stores some step tensors zlib-compressed; tensors may also be stored as raw bytes, in the
    steps and at the episode level."""
    F = tfds.features
    features = F.FeaturesDict({
        "steps": F.Dataset({
            "pose": F.Tensor(shape=(7,), dtype=np.float32, encoding="zlib"),
            "grid": F.Tensor(shape=(2, 3), dtype=np.int32, encoding="bytes"),
            "image": F.Image(shape=(8, 8, 3), encoding_format="png"),
        }),
        "calib": F.Tensor(shape=(3, 3), dtype=np.float64, encoding="zlib"),
        "seed": F.Tensor(shape=(), dtype=np.int64, encoding="bytes"),
    })
    rng = np.random.default_rng(0)
    episode = {
        "steps": [{"pose": rng.normal(size=7).astype(np.float32), "grid": rng.integers(-9, 9, (2, 3), dtype=np.int32),
                   "image": rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)} for _ in range(steps)],
        "calib": rng.normal(size=(3, 3)), "seed": np.int64(7),
    }
    with rb._without_tensorflow():  # tfds's PNG encoder without TensorFlow, as the dataset builders use it
        data = features.serialize_example(episode)
    tree = as_features(features)
    decoder = episode_decoder(tree)
    assert isinstance(decoder, EpisodeDecoder)
    got = decoder(data)
    assert_same_tree(got, _tfds_route(tree)(data))
    assert got["steps"]["pose"].shape == (steps, 7) and got["calib"].dtype == np.float64
    if steps:
        np.testing.assert_array_equal(got["steps"]["grid"][1], episode["steps"][1]["grid"])
    damaged = _edit(data, lambda f: f["calib"].bytes_list.value.__setitem__(0, b"not zlib"))
    with pytest.raises(Exception):  # noqa: B017  zlib's error, as tfds's
        decoder(damaged)
    with pytest.raises(Exception):  # noqa: B017
        _tfds_route(tree)(damaged)


def test_kuka_layout_reads_as_tfds_reads_it(rlds_dataset):
    ds = open_dataset(rlds_dataset("kuka", episodes=1, steps=3, image_size=(8, 8)))
    (data,) = _records(ds)
    assert isinstance(episode_decoder(ds.features), EpisodeDecoder)
    (episode,) = [ep for ref in ds.shards("train") for ep in ds.read_shard(ref)]
    assert_same_tree(episode.data, _tfds_route(ds.features)(data))


# --- the wire scanner against protobuf's runtime ----------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rt2data.rlds import decode as decode_module  # noqa: E402

_DTYPES = [np.dtype(n) for n in ("bool", "int8", "uint8", "int32", "int64", "uint16", "float16", "float32",
                                 "float64")] + [np.dtype(object)]
_int64 = st.integers(-(1 << 63), (1 << 63) - 1)
_small = st.integers(0, 127)
_floats = st.floats(width=32, allow_nan=False)
_lists = st.one_of(
    st.tuples(st.just("int64_list"), st.lists(st.one_of(_small, _int64), max_size=12)),
    st.tuples(st.just("float_list"), st.lists(_floats, max_size=12)),
    st.tuples(st.just("bytes_list"), st.lists(st.binary(max_size=20), max_size=6)),
    st.tuples(st.just(None), st.just([])),
)
_keys = st.sampled_from(["steps/action", "steps/observation/image", "a/b", "x", "", "é/ü"])


def _example(features: dict) -> bytes:
    message = example_message_class()()
    for key, (kind, values) in features.items():
        feature = message.features.feature[key]
        if kind is not None:
            getattr(feature, kind).value.extend(values)
            getattr(feature, kind).SetInParent()
    return message.SerializeToString()


def _same_arrays(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for key in a:
        if a[key] is None or b[key] is None:
            assert a[key] is None and b[key] is None, key
            continue
        assert (a[key].dtype, a[key].shape) == (b[key].dtype, b[key].shape), key
        assert [(type(x), x) for x in a[key].tolist()] == [(type(y), y) for y in b[key].tolist()], key


def _both(data: bytes, wanted: dict):
    try:
        parsed = decode_module._parse(data, wanted)
    except Exception as exc:  # noqa: BLE001
        parsed = exc
    try:
        scanned = decode_module._scan(data, wanted)
    except Exception as exc:  # noqa: BLE001
        scanned = exc
    return scanned, parsed


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")  # float16 from big floats: inf
@settings(max_examples=300, deadline=None)
@given(features=st.dictionaries(_keys, _lists, max_size=5), dtypes=st.lists(st.sampled_from(_DTYPES), min_size=6,
                                                                             max_size=6), extra=st.sampled_from(["x", "zz"]))
def test_the_scanner_reads_what_protobuf_writes_as_protobuf_reads_it(features, dtypes, extra):
    """Every value kind, empty and missing lists, big and negative int64s, every dtype a leaf may have: the
    scanner reads protobuf's own bytes (it does not hand them back), and gives np.array(values, dtype) of what
    protobuf parses; an integer out of a dtype's range fails both."""
    data = _example(features)
    keys = sorted(set(features) | {extra})
    wanted = {k.encode(): (k, d) for k, d in zip(keys, dtypes)}
    scanned, parsed = _both(data, wanted)
    if isinstance(parsed, Exception):
        assert isinstance(scanned, Exception), (scanned, parsed)
        return
    assert scanned is not None
    _same_arrays(scanned, parsed)


def _irregular(data: bytes, how: str) -> bytes:
    """The same Example in an encoding protobuf reads but does not write."""
    if how == "unknown field":
        return data + b"\x10\x01"  # Example field 2, varint
    if how == "features twice":  # a message field repeated: protobuf merges the two
        half = example_message_class()()
        half.ParseFromString(data)
        items = list(half.features.feature.items())
        a, b = example_message_class()(), example_message_class()()
        for i, (key, value) in enumerate(items):
            (a if i % 2 else b).features.feature[key].CopyFrom(value)
        return a.SerializeToString() + b.SerializeToString()
    raise AssertionError(how)


def _varint_bytes(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(number: int, wire: int, payload: bytes) -> bytes:
    tag = _varint_bytes(number << 3 | wire)
    return tag + (_varint_bytes(len(payload)) + payload if wire == 2 else payload)


def _hand_example(entries: list[tuple[bytes, bytes]]) -> bytes:
    """An Example from (key, Feature bytes) entries, framed by hand."""
    body = b"".join(_field(1, 2, _field(1, 2, key) + _field(2, 2, feature)) for key, feature in entries)
    return _field(1, 2, body)


@pytest.mark.parametrize("feature, dtype", [
    (_field(2, 2, b"".join(_field(1, 5, np.float32(v).tobytes()) for v in (1.5, -2.0))), np.float32),  # unpacked
    (_field(2, 2, _field(1, 2, np.float32(1).tobytes()) + _field(1, 2, np.float32(2).tobytes())), np.float32),  # 2 runs
    (_field(3, 2, b"".join(_field(1, 0, _varint_bytes(v)) for v in (3, 300))), np.int64),  # unpacked ints
    (_field(3, 2, _field(1, 2, _varint_bytes(1))) + _field(2, 2, _field(1, 2, np.float32(7).tobytes())), np.float32),
    (_field(1, 2, _field(1, 2, b"a")) + _field(1, 2, _field(1, 2, b"b")), object),  # a list repeated: merged
])
def test_encodings_protobuf_reads_but_does_not_write_go_to_protobuf(feature, dtype):
    data = _hand_example([(b"k", feature), (b"other", _field(2, 2, b""))])
    wanted = {b"k": ("k", np.dtype(dtype))}
    assert decode_module._scan(data, wanted) is None
    parsed = decode_module._parse(data, wanted)
    assert parsed["k"] is not None
    decoder = EpisodeDecoder(as_features(tfds.features.FeaturesDict({"k": tfds.features.Tensor(
        shape=(len(parsed["k"]),), dtype=dtype if dtype is not object else np.object_)})))
    _same_arrays({"k": decoder(data)["k"]}, parsed)


@pytest.mark.parametrize("how", ["unknown field", "features twice"])
def test_irregular_records_of_a_real_layout_decode_as_tfds_decodes_them(bridge, how):
    data = _irregular(_records(bridge)[0], how)
    assert decode_module._scan(data, EpisodeDecoder(bridge.features)._wanted) is None
    assert_same_tree(EpisodeDecoder(bridge.features)(data), _tfds_route(bridge.features)(data))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_damaged_bytes_scan_as_protobuf_parses_them_or_go_to_it(bridge, data):
    """Bytes flipped, cut or inserted anywhere in a real record: wherever protobuf parses the result, the scanner
    gives the same arrays or hands the bytes to protobuf (it may also read a record whose damage is only in a
    feature it does not read)."""
    record = bytearray(_records(bridge)[1][:600])  # the Example's first entries (steps' images come later)
    i = data.draw(st.integers(0, len(record) - 1))
    op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
    if op == "flip":
        record[i] ^= data.draw(st.integers(1, 255))
    elif op == "cut":
        del record[i:]
    else:
        record[i:i] = data.draw(st.binary(min_size=1, max_size=4))
    wanted = EpisodeDecoder(bridge.features)._wanted
    scanned, parsed = _both(bytes(record), wanted)
    if scanned is None or isinstance(parsed, Exception):
        return
    if isinstance(scanned, Exception):
        raise AssertionError(f"the scanner raised {scanned!r} where protobuf parsed")
    _same_arrays(scanned, parsed)
def test_an_older_tfds_features_json_is_read_through_tfds(tmp_path, bridge):
    """``{"type": ..., "content": ...}``, the form an older tfds wrote (``FeatureConnector.to_json``): the same tree
    as the protobuf form, and the same episodes."""
    import json
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(bridge.path, copy)
    legacy = bridge.features.to_tfds().to_json()
    assert "type" in legacy and "featuresDict" not in legacy
    (copy / "features.json").write_text(json.dumps(legacy))
    old = open_dataset(copy)
    assert old.features.to_json() == bridge.features.to_json()
    assert isinstance(episode_decoder(old.features), EpisodeDecoder)
    for ref_old, ref in zip(old.shards("train"), bridge.shards("train"), strict=True):
        for a, b in zip(old.read_shard(ref_old), bridge.read_shard(ref), strict=True):
            assert_same_tree(a.data, b.data)


def test_reading_an_oxe_layout_imports_no_tfds(bridge):
    code = (
        "import sys\n"
        "from rt2data.rlds import open_dataset\n"
        "from rt2data.spec import DatasetSpec, require_match\n"
        f"ds = open_dataset({str(bridge.path)!r})\n"
        "spec = DatasetSpec.load('bridge_dataset')\n"
        "require_match(spec, ds.features)\n"
        "n = sum(ep.num_steps for ref in ds.shards('train[:50%]') for ep in ds.read_shard(ref, fields=spec.fields_read()))\n"
        "assert n == 3, n\n"
        "assert 'tensorflow_datasets' not in sys.modules, 'tfds imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


