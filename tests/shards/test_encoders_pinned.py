"""The fast shard encoders give the bytes the straightforward ones gave (issue 14): tar headers as ``tarfile``
writes them, ``tf.train.Example`` bytes as the nested-length encoder below (the one shipped before) writes them.

The reference encoder is kept here, verbatim, so the fast one is pinned against it on generated examples. The
``tf.train.Example`` tests run twice (the ``encoder`` fixture): with the compiled encoder (``_tf_encode.c``, built at
install where a C compiler is) and with the Python encoder it falls back to.
"""

from __future__ import annotations

import hashlib
import shutil
import sysconfig
import tarfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rt2data.example import Example
from rt2data.shards.formats import wds
from rt2data.shards.formats.tf_example import Feature, encode_tf_example, example_to_features
from rt2data.shards.formats.tf_example import example_to_tf_example_bytes

_U64 = (1 << 64) - 1


# ------------------------------------------------------------------------- the reference (pre-issue-14) encoder
def _ref_varint(n: int) -> bytes:
    n &= _U64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _ref_len_field(field: int, payload: bytes) -> bytes:
    return _ref_varint((field << 3) | 2) + _ref_varint(len(payload)) + payload


def _ref_feature(feature: Feature) -> bytes:
    if feature.kind == "bytes":
        return _ref_len_field(1, b"".join(_ref_len_field(1, bytes(v)) for v in feature.values))
    if feature.kind == "float":
        with np.errstate(over="ignore"):
            packed = np.asarray(feature.values, dtype="<f4").tobytes()
        return _ref_len_field(2, _ref_len_field(1, packed) if packed else b"")
    packed = b"".join(_ref_varint(int(v)) for v in feature.values)
    return _ref_len_field(3, _ref_len_field(1, packed) if packed else b"")


def _ref_encode(features) -> bytes:
    entries = b"".join(
        _ref_len_field(1, _ref_len_field(1, name.encode("utf-8")) + _ref_len_field(2, _ref_feature(features[name])))
        for name in sorted(features)
    )
    return _ref_len_field(1, entries)


def _ref_member(name: str, payload: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode, info.uid, info.gid = len(payload), 0, 0o644, 0, 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape") + payload + b"\0" * (-len(payload) % 512)


texts = st.text(min_size=1, max_size=30)
opt_texts = st.none() | st.text(max_size=30)


@st.composite
def examples(draw) -> Example:
    """Any valid example: every kind, optional fields present or not, large and negative-free integers."""
    kind = draw(st.sampled_from(["action", "caption", "vqa"]))
    dims = draw(st.integers(0, 9))
    action = kind == "action"
    return Example(
        key=draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,130}", fullmatch=True)),
        image=draw(st.binary(min_size=1, max_size=1500)),
        image_format=draw(st.sampled_from(["jpg", "png", "webp"])),
        prompt=draw(texts), target=draw(texts), kind=kind, source=draw(texts), template_id=draw(texts),
        instruction=draw(opt_texts), plan=draw(opt_texts), episode_id=draw(texts) if action else None,
        step=draw(st.integers(0, (1 << 63) - 1)) if action else None,
        action_raw=tuple(draw(st.lists(st.floats(width=64), min_size=dims, max_size=dims))) if action else None,
        action_tokens=tuple(draw(st.lists(st.integers(0, 1 << 40), min_size=dims, max_size=dims))) if action else None,
    )


# ------------------------------------------------------------------------------------------------------ tests
@pytest.fixture(params=["compiled", "python"])
def encoder(request):
    """The ``tf.train.Example`` encoder under test: the compiled one, or the Python one (the compiled one hidden for
    the test; every example hypothesis draws in it sees the same encoder)."""
    from rt2data.shards.formats import tf_example

    saved = tf_example._compiled
    if request.param == "python":
        tf_example._compiled = None
    elif saved is None:
        pytest.skip("the compiled encoder is not built in this install (no C compiler at install time)")
    try:
        yield request.param
    finally:
        tf_example._compiled = saved


_ONE_ENCODER = [HealthCheck.function_scoped_fixture]  # the fixture holds for all of a test's examples


_PINNED = Example(
    key="bridge-s00003-r000012-t0007", image=bytes(range(256)) * 40, image_format="jpg",
    prompt="Q: what action should the robot take to pick up the spoon? A:", target="0 12 128 255 3 77 200 1",
    kind="action", source="bridge", template_id="rt2-action-v1", instruction="pick up the spoon",
    episode_id="ep-12", step=7, action_raw=(0.0, -0.25, 1e-9, 3.5, -1.0, 0.5, 1e30, 1.0),
    action_tokens=(0, 12, 128, 255, 3, 77, 200, 1),
)


def test_pinned_bytes_of_one_example(encoder):
    """sha256 of the bytes the pre-issue-14 encoders wrote for this example (a change here breaks byte-identity
    with every output written before)."""
    assert hashlib.sha256(example_to_tf_example_bytes(_PINNED)).hexdigest() == hashlib.sha256(
        _ref_encode(example_to_features(_PINNED))).hexdigest()
    assert hashlib.sha256(example_to_tf_example_bytes(_PINNED)).hexdigest() == (
        "706b0448ee1e3fa27c980ec38ee76d2646ae7bb12b3ac8525b93a121d1dfebf0")
    tar = wds.encode_sample(_PINNED).data
    assert tar == b"".join(_ref_member(n, p) for n, p in sorted(
        [(f"{_PINNED.key}.jpg", _PINNED.image), (f"{_PINNED.key}.json", _PINNED.to_json_bytes())]))


@settings(max_examples=100, deadline=None, suppress_health_check=_ONE_ENCODER)
@given(examples())
def test_tf_example_bytes_equal_reference_encoder(encoder, ex):
    assert example_to_tf_example_bytes(ex) == _ref_encode(example_to_features(ex))


_features = st.dictionaries(
    st.text(max_size=12),
    st.one_of(
        st.builds(Feature, st.just("bytes"), st.lists(st.binary(max_size=600), max_size=3).map(tuple)),
        st.builds(Feature, st.just("int64"), st.lists(st.integers(-(1 << 63), (1 << 63) - 1), max_size=5).map(tuple)),
        st.builds(Feature, st.just("float"), st.lists(st.floats(width=32), max_size=5).map(tuple)),
    ),
    max_size=6,
)


@settings(max_examples=100, deadline=None)
@given(_features)
def test_feature_maps_equal_reference_encoder(features):
    assert encode_tf_example(features) == _ref_encode(features)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=130), st.integers(0, 8**11 + 5))
def test_tar_header_template_equals_tarfile(name, size):
    assert wds._header(name, size) == wds._tarfile_header(name, size)


@settings(max_examples=80, deadline=None)
@given(examples())
def test_tar_sample_equals_tarfile_members(ex):
    members = sorted([(f"{ex.key}.{ex.image_format}", ex.image), (f"{ex.key}.json", ex.to_json_bytes())])
    assert wds.encode_sample(ex).data == b"".join(_ref_member(n, p) for n, p in members)


# ----------------------------------------------------------------------------- the tar reader against tarfile
def _tarfile_members(data: bytes) -> list[tuple[str, bytes, int, int]]:
    """What ``tarfile`` reads from the bytes (the reader before issue 14 was built on it)."""
    import io

    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
        return [(info.name, tar.extractfile(info).read(), info.offset, info.offset_data) for info in tar]


@settings(max_examples=30, deadline=None)
@given(st.lists(examples(), min_size=1, max_size=4, unique_by=lambda e: e.key), st.data())
def test_tar_reader_reads_what_tarfile_reads(exs, data):
    import io

    from rt2data.errors import DataError

    body = b"".join(wds.encode_sample(e).data for e in exs)
    whole = body + b"\0" * wds.tar_end_size(len(body))
    got = [(f"{k}.{x}", d, o, do) for k, x, d, o, do in wds.iter_tar_members(io.BytesIO(whole), shard="s")]
    assert got == _tarfile_members(whole)
    # damaged: cut anywhere or one byte changed -> the same members as tarfile, or a DataError naming the shard
    cut = data.draw(st.integers(0, len(whole)))
    flip = data.draw(st.integers(0, len(whole) - 1))
    for damaged in (whole[:cut], whole[:flip] + bytes([whole[flip] ^ 0x5A]) + whole[flip + 1:]):
        try:
            ours = [(f"{k}.{x}", d, o, do)
                    for k, x, d, o, do in wds.iter_tar_members(io.BytesIO(damaged), shard="s")]
        except DataError as exc:
            assert str(exc).startswith("s: ")
            continue
        try:
            assert ours == _tarfile_members(damaged)
        except tarfile.TarError:
            raise AssertionError("tarfile refuses what our reader accepted") from None


@st.composite
def examples_with_every_field(draw) -> Example:
    """Action chunks, tokenizer ids with -100 labels, long texts (over the entry caches' 256 characters)."""
    base = draw(examples())
    horizon = draw(st.integers(2, 4))
    ids = draw(st.lists(st.integers(0, 1 << 20), max_size=12))
    labels = [draw(st.sampled_from([-100, v])) for v in ids]
    return base.replace(
        chunk_steps=horizon, chunk_real=draw(st.integers(1, horizon)), input_ids=tuple(ids), labels=tuple(labels),
        prompt=draw(st.sampled_from([base.prompt, base.prompt * 40])),
        instruction=draw(st.sampled_from([base.instruction, "é" * 300, None])),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=_ONE_ENCODER)
@given(examples_with_every_field())
def test_direct_tf_example_encoder_equals_the_feature_map_encoders(encoder, ex):
    """``example_to_tf_example_bytes`` writes straight from the fields: the bytes of the feature-map encoder and of
    the reference encoder, for every optional field."""
    direct = example_to_tf_example_bytes(ex)
    assert direct == encode_tf_example(example_to_features(ex)) == _ref_encode(example_to_features(ex))
    assert example_to_tf_example_bytes(ex) == direct  # and again, from the caches


_SHARED = ("episode_id", "image_format", "instruction", "kind", "plan", "prompt", "source", "template_id")


@settings(max_examples=40, deadline=None, suppress_health_check=_ONE_ENCODER)
@given(examples(), st.data())
def test_shared_runs_follow_every_field_they_hold(encoder, ex, data):
    """The runs of entries an episode's steps share are cached by those fields: an example that differs from the one
    before in any one of them (a new episode, instruction, template, ...) gets its own entries."""
    assert example_to_tf_example_bytes(ex) == _ref_encode(example_to_features(ex))
    for name in _SHARED:
        value = getattr(ex, name)
        if name == "image_format":
            new = data.draw(st.sampled_from([f for f in ("jpg", "png", "webp") if f != value]))
        elif name == "kind":
            continue  # the kind decides which fields an example has: every kind is drawn by examples()
        elif name in ("instruction", "plan"):  # optional: present, changed, or gone
            new = data.draw(st.sampled_from([(value or "") + "y", None]))
        else:
            new = (value or "") + "x"
        other = ex.replace(**{name: new})
        assert example_to_tf_example_bytes(other) == _ref_encode(example_to_features(other)), name


def test_actions_beyond_float32_and_not_finite_as_the_reference_writes_them(encoder):
    base = Example(key="k", image=b"\xff\xd8\xff", image_format="jpg", prompt="p", target="1 2 3 4", kind="action",
                   source="s", template_id="t", episode_id="e", step=0, action_raw=(0.5, 0.5, 0.5, 0.5),
                   action_tokens=(1, 2, 3, 4))
    for raw in [(1e300, -1e300, 3.4e38, 3.5e38), (float("nan"), float("inf"), -float("inf"), -0.0), (0.0,) * 4]:
        ex = base.replace(action_raw=raw)
        assert example_to_tf_example_bytes(ex) == _ref_encode(example_to_features(ex)), raw


@settings(max_examples=80, deadline=None, suppress_health_check=_ONE_ENCODER)
@given(st.one_of(examples(), examples_with_every_field()))
def test_a_tfrecord_record_frames_the_reference_bytes(encoder, ex):
    """The TFRecord format's record (framed around the image, its CRC taken piece by piece; field by field for
    chunks and token ids) is the reference encoder's bytes framed whole."""
    from rt2data.shards.formats.tf_example import TFRecordFormat
    from rt2data.shards.formats.tfrecord import frame_record

    assert TFRecordFormat().encode(ex) == frame_record(_ref_encode(example_to_features(ex)))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=3000), st.binary(max_size=300))
def test_framing_pieces_is_framing_their_join(head, middle, tail):
    from rt2data.shards.formats.tfrecord import frame_pieces, frame_record, iter_tfrecord_stream

    framed = frame_pieces(head, middle, tail)
    assert framed == frame_record(head + middle + tail)
    import io

    assert list(iter_tfrecord_stream(io.BytesIO(framed), name="x", verify=True)) == [head + middle + tail]


def _compiler_found() -> bool:
    """Whether this interpreter's C compiler and headers are here (what building the extension needs)."""
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc) is not None and (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file()


def test_the_compiled_encoder_is_built_where_a_compiler_is():
    from rt2data.shards.formats import tf_example

    if not _compiler_found():
        pytest.skip("no C compiler or Python headers here: the install goes on without the compiled encoder")
    assert tf_example._compiled is not None, "pip install did not build rt2data/shards/formats/_tf_encode.c"


def test_what_the_compiled_encoder_does_not_take_the_python_encoder_writes():
    """Integers beyond int64 (the reference writes them modulo 2**64) and fields of other types go to the Python
    encoder: the same bytes as the reference, never an error of the compiled one."""
    from rt2data.shards.formats import tf_example
    from rt2data.shards.formats.tfrecord import frame_record

    if tf_example._compiled is None:
        pytest.skip("the compiled encoder is not built in this install")
    big = _PINNED.replace(action_tokens=(1 << 70, 2, 3, 4, 5, 6, 7, (1 << 64) - 1))
    ids = _PINNED.replace(input_ids=(1, -(1 << 65)), labels=(-100, 5), chunk_steps=None, chunk_real=None)
    for ex in (big, ids):
        assert tf_example._compiled_encode(ex, False) is None
        assert example_to_tf_example_bytes(ex) == _ref_encode(example_to_features(ex))
        assert tf_example.TFRecordFormat().encode(ex) == frame_record(_ref_encode(example_to_features(ex)))
    with pytest.raises(TypeError):
        tf_example._compiled.encode(False, *([None] * 18))  # an image that is not bytes
