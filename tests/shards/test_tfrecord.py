"""TFRecord framing and tf.train.Example bytes, proven against a real protobuf implementation."""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.errors import DataError
from rt2data.example import Example
from rt2data.shards.formats.tf_example import (
    TFRECORD_FEATURE_SPEC_DOC,
    Feature,
    decode_tf_example,
    encode_tf_example,
    example_to_tf_example_bytes,
    tf_example_bytes_to_example,
)
from rt2data.shards.formats.tfrecord import iter_tfrecord, masked_crc32c, write_tfrecord_records

tf_example_pb2 = pytest.importorskip("tensorflow_datasets.proto").tf_example_pb2


def _action_example(**changes) -> Example:
    fields = dict(
        key="bridge-0-3", image=b"\xff\xd8\xff\xe0fake", image_format="jpg", prompt="Q: what action? A:",
        target="1 128 91 241 5 101 127 217", kind="action", source="bridge", template_id="rt2-action-v1",
        instruction="pick up the cup", episode_id="ep-0", step=3, action_raw=(0.1, -2.5, 1e-300, 3.0e38 * 10),
        action_tokens=(1, 128, 0, 255),
    )
    fields.update(changes)
    return Example(**fields)


def test_masked_crc_known_vector():
    # CRC-32C("123456789") = 0xE3069283 (RFC 3720); masked as TFRecord does.
    crc = 0xE3069283
    assert masked_crc32c(b"123456789") == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def test_framing_round_trip_and_layout(tmp_path):
    path = tmp_path / "x.tfrecord"
    payloads = [b"", b"a", b"\x00" * 1000, "é".encode()]
    with open(path, "wb") as f:
        n = write_tfrecord_records(f, payloads)
    assert n == path.stat().st_size == sum(len(p) + 16 for p in payloads)
    assert list(iter_tfrecord(path)) == payloads
    raw = path.read_bytes()
    assert struct.unpack("<Q", raw[:8])[0] == 0 and struct.unpack("<I", raw[8:12])[0] == masked_crc32c(raw[:8])


def test_corrupt_crc_names_file_offset_and_record(tmp_path):
    path = tmp_path / "bad.tfrecord"
    with open(path, "wb") as f:
        write_tfrecord_records(f, [b"first", b"second-record", b"third"])
    raw = bytearray(path.read_bytes())
    second = 5 + 16
    raw[second + 12 + 2] ^= 0x01  # flip a bit in the data of record 1
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError) as info:
        list(iter_tfrecord(path))
    msg = str(info.value)
    assert str(path) in msg and "record 1" in msg and f"byte offset {second}" in msg and "CRC" in msg
    assert len(list(iter_tfrecord(path, verify=False))) == 3  # framing still intact without CRC checks


@pytest.mark.parametrize("cut", [5, 12 + 3, -2])
def test_truncated_file(tmp_path, cut):
    path = tmp_path / "t.tfrecord"
    with open(path, "wb") as f:
        write_tfrecord_records(f, [b"abc", b"defgh"])
    raw = path.read_bytes()
    path.write_bytes(raw[: 19 + cut] if cut > 0 else raw[:cut])
    with pytest.raises(DataError, match="record 1 at byte offset 19"):
        list(iter_tfrecord(path, verify=False))


def test_corrupt_length_does_not_allocate(tmp_path):
    path = tmp_path / "len.tfrecord"
    header = struct.pack("<Q", 1 << 60)
    path.write_bytes(header + struct.pack("<I", masked_crc32c(header)) + b"xx")
    with pytest.raises(DataError, match="runs past the end"):
        list(iter_tfrecord(path))


def test_real_protobuf_parses_our_bytes():
    ex = _action_example(plan="first grasp", instruction="")
    data = example_to_tf_example_bytes(ex)
    proto = tf_example_pb2.Example.FromString(data)
    feat = proto.features.feature
    assert feat["image"].bytes_list.value == [ex.image]
    assert feat["prompt"].bytes_list.value == [ex.prompt.encode()]
    assert feat["instruction"].bytes_list.value == [b""]
    assert feat["step"].int64_list.value == [3]
    assert list(feat["action_tokens"].int64_list.value) == list(ex.action_tokens)
    assert len(feat["action_raw"].float_list.value) == 4
    assert feat["action_raw"].float_list.value[0] == pytest.approx(0.1, rel=1e-7)
    assert struct.unpack("<4d", feat["action_raw_f64"].bytes_list.value[0]) == ex.action_raw
    # A message built through the protobuf API equals ours field by field, and re-serializes to bytes we read.
    built = tf_example_pb2.Example()
    for name, value in decode_tf_example(data).items():
        target = built.features.feature[name]
        getattr(target, {"bytes": "bytes_list", "float": "float_list", "int64": "int64_list"}[value.kind]).value.extend(
            value.values
        )
    assert built == proto
    assert tf_example_bytes_to_example(built.SerializeToString()) == ex


def test_absent_optionals_are_omitted_and_negative_ints():
    web = Example(key="w1", image=b"\x89PNG\r\n\x1a\nxx", image_format="png", prompt="Caption:", target="a dog",
                  kind="caption", source="coco", template_id="caption-v1")
    proto = tf_example_pb2.Example.FromString(example_to_tf_example_bytes(web))
    assert set(proto.features.feature) == {"key", "image", "image_format", "prompt", "target", "kind", "source",
                                            "template_id"}
    assert tf_example_bytes_to_example(example_to_tf_example_bytes(web)) == web
    data = encode_tf_example({"n": Feature("int64", (-1, -(1 << 63), (1 << 63) - 1)), "e": Feature("float", ())})
    proto = tf_example_pb2.Example.FromString(data)
    assert list(proto.features.feature["n"].int64_list.value) == [-1, -(1 << 63), (1 << 63) - 1]
    assert proto.features.feature["e"].WhichOneof("kind") == "float_list"
    assert decode_tf_example(data) == {"n": Feature("int64", (-1, -(1 << 63), (1 << 63) - 1)),
                                       "e": Feature("float", ())}


def test_decoder_reads_unpacked_repeated_fields():
    # An encoder may write repeated scalars unpacked (wire types 5 and 0): every protobuf parser must accept it.
    float_list = b"\x0d" + struct.pack("<f", 1.5) + b"\x0d" + struct.pack("<f", -2.0)
    int_list = b"\x08\x07\x08" + b"\xff" * 9 + b"\x01"
    def entry(name: bytes, feature: bytes) -> bytes:
        body = b"\x0a" + bytes([len(name)]) + name + b"\x12" + bytes([len(feature)]) + feature
        return b"\x0a" + bytes([len(body)]) + body
    features = entry(b"f", b"\x12" + bytes([len(float_list)]) + float_list) + entry(
        b"i", b"\x1a" + bytes([len(int_list)]) + int_list)
    data = b"\x0a" + bytes([len(features)]) + features
    expected = {"f": Feature("float", (1.5, -2.0)), "i": Feature("int64", (7, -1))}
    assert decode_tf_example(data) == expected
    proto = tf_example_pb2.Example.FromString(data)
    assert list(proto.features.feature["i"].int64_list.value) == [7, -1]


def test_garbage_bytes_raise_data_error():
    with pytest.raises(DataError):
        decode_tf_example(b"\x0a\x10\x0a")
    with pytest.raises(DataError, match="no feature 'key'"):
        tf_example_bytes_to_example(encode_tf_example({"image": Feature("bytes", (b"x",))}))


def test_bytes_equal_protobuf_deterministic_serialization(tmp_path):
    """Our map order (sorted names) is protobuf's deterministic order in the pure-Python and C++ runtimes."""
    data = example_to_tf_example_bytes(_action_example(plan="p"))
    blob = tmp_path / "ex.bin"
    blob.write_bytes(data)
    code = (
        "import sys; from google.protobuf.internal import api_implementation as a; assert a.Type() == 'python';"
        "from tensorflow_datasets.proto import tf_example_pb2 as pb;"
        "d = open(sys.argv[1], 'rb').read(); m = pb.Example.FromString(d);"
        "sys.exit(0 if m.SerializeToString(deterministic=True) == d else 3)"
    )
    env = dict(os.environ, PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION="python")
    result = subprocess.run([sys.executable, "-c", code, str(blob)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


texts = st.text(min_size=1, max_size=30)
opt_texts = st.none() | st.text(max_size=30)


@st.composite
def examples(draw) -> Example:
    kind = draw(st.sampled_from(["action", "caption", "vqa"]))
    dims = draw(st.integers(0, 9))
    action = kind == "action" or draw(st.booleans())
    floats = st.floats(allow_nan=False, width=64)
    return Example(
        key=draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,40}", fullmatch=True)),
        image=draw(st.binary(min_size=1, max_size=200)),
        image_format=draw(st.sampled_from(["jpg", "png", "webp"])),
        prompt=draw(texts), target=draw(texts), kind=kind, source=draw(texts), template_id=draw(texts),
        instruction=draw(opt_texts), plan=draw(opt_texts),
        episode_id=draw(texts) if action else draw(opt_texts),
        step=draw(st.integers(0, (1 << 63) - 1)) if action else draw(st.none() | st.integers(0, 10**6)),
        action_raw=tuple(draw(st.lists(floats, min_size=dims, max_size=dims))) if action else None,
        action_tokens=tuple(draw(st.lists(st.integers(0, 1 << 40), min_size=dims, max_size=dims))) if action else None,
    )


@settings(max_examples=150, deadline=None)
@given(examples())
def test_example_round_trip_property(ex):
    data = example_to_tf_example_bytes(ex)
    assert tf_example_bytes_to_example(data) == ex
    proto = tf_example_pb2.Example.FromString(data)
    assert proto.features.feature["key"].bytes_list.value == [ex.key.encode()]
    if ex.action_raw is not None:
        assert len(proto.features.feature["action_raw"].float_list.value) == len(ex.action_raw)


def test_feature_spec_doc_names_every_feature():
    data = example_to_tf_example_bytes(_action_example(plan="p"))
    for name in decode_tf_example(data):
        assert f'"{name}":' in TFRECORD_FEATURE_SPEC_DOC
    compile(TFRECORD_FEATURE_SPEC_DOC, "<doc>", "exec")


def test_tf_data_reads_shards_when_tensorflow_installed(tmp_path):
    tf = pytest.importorskip("tensorflow")
    ex = _action_example(action_raw=(0.25, -1.0, 0.5, 2.0))
    path = tmp_path / "x.tfrecord"
    with open(path, "wb") as f:
        write_tfrecord_records(f, [example_to_tf_example_bytes(ex)])
    namespace: dict = {}
    exec(TFRECORD_FEATURE_SPEC_DOC.replace('tf.io.gfile.glob("OUT_DIR/*.tfrecord")', repr([str(path)])), namespace)
    (parsed,) = list(namespace["ds"])
    assert parsed["key"].numpy() == ex.key.encode() and parsed["step"].numpy() == 3
    assert tuple(parsed["action_raw_f64"].numpy()) == ex.action_raw
    del tf


def test_the_small_varint_table_is_protobufs_varints():
    """Every entry of the encoder's table of 1- and 2-byte varints, against the loop and protobuf's own encoder."""
    from google.protobuf.internal.encoder import _VarintBytes

    from rt2data.shards.formats import tf_example

    table = tf_example._SMALL_VARINTS
    assert len(table) == 1 << 14
    assert all(table[n] == tf_example._varint_loop(n) == _VarintBytes(n) for n in range(1 << 14))
    assert tf_example._varint(1 << 14) == _VarintBytes(1 << 14)  # the first one past the table
