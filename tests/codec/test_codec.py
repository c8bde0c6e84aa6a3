"""ActionCodec: raw units <-> tokens <-> text, clip counts, JSON and the files it loads from."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.codec.action_space import ActionSpace, Dimension
from rt2data.codec.action_codec import ActionCodec, validate_codec_json
from rt2data.errors import ActionSpaceError, ConfigError, EncodeError, ParseError, SchemaError
from rt2data.codec.normalize import Normalization
from rt2data.testing.strategies import action_spaces, actions_anywhere, codecs, normalizations, token_arrays

RT2 = ActionSpace.rt2_default()
SETTINGS = settings(max_examples=60, deadline=None)
STATS = {"q01": [0, -0.05, -0.05, -0.05, -0.2, -0.2, -0.2, 0], "q99": [1, 0.05, 0.05, 0.05, 0.2, 0.2, 0.2, 1]}


def test_rt2_default_encode_decode():
    codec = ActionCodec.rt2_default()
    enc = codec.encode(np.array([[1, 0, 0, 0, 0, 0, 0, 1]], dtype=float))
    assert enc.texts == ["1 128 128 128 128 128 128 255"]
    assert enc.tokens.dtype == np.int64 and enc.tokens.shape == (1, 8)
    assert enc.clip_counts.tolist() == [0] * 8
    decoded = codec.decode_texts(enc.texts)
    np.testing.assert_array_equal(decoded, [[1, 1 / 256, 1 / 256, 1 / 256, 1 / 256, 1 / 256, 1 / 256, 1 - 1 / 256]])
    np.testing.assert_array_equal(codec.decode_text("1 128 128 128 128 128 128 255"), decoded[0])
    np.testing.assert_array_equal(codec.decode_tokens(enc.tokens), decoded)


def test_from_stats_normalizes_with_default_mask():
    codec = ActionCodec.from_stats(STATS)
    assert codec.normalization.mask == (False, True, True, True, True, True, True, False)
    raw = np.array([[1, 0.05, -0.05, 0.0, 0.1, -0.3, 0.2, -1.0]])
    enc = codec.encode(raw)
    assert enc.tokens.tolist() == [[1, 255, 0, 128, 192, 0, 255, 0]]
    assert enc.clip_counts.tolist() == [0, 0, 0, 0, 0, 1, 0, 0]  # droll -0.3 < q01 -0.2: clipped by q01_q99
    assert enc.clipped.tolist() == [[False] * 5 + [True] + [False] * 2]
    decoded = codec.decode_tokens(enc.tokens)
    # half a bin in raw units: (q99 - q01) / 256 / 2
    half = (np.asarray(STATS["q99"]) - np.asarray(STATS["q01"])) / 512
    half[[0, 7]] = [0, 1 / 256]
    inside = ~enc.clipped[0]
    assert np.all(np.abs(decoded[0, inside] - raw[0, inside]) <= half[inside] + 1e-12)
    assert decoded[0, 5] == pytest.approx(-0.2 + 0.4 / 512)  # clipped value decodes to the lowest bin


@st.composite
def codec_without_constant_dims(draw):
    space = draw(action_spaces())
    return ActionCodec(space, normalization=draw(normalizations(space, constant_dims=False)))


@SETTINGS
@given(codec_without_constant_dims(), st.data())
def test_encode_inverts_decode_tokens(codec, data):
    tokens = data.draw(token_arrays(codec.action_space))
    enc = codec.encode(codec.decode_tokens(tokens))
    np.testing.assert_array_equal(enc.tokens, tokens)
    assert not enc.clip_counts.any()
    np.testing.assert_array_equal(codec.decode_texts(enc.texts), codec.decode_tokens(tokens))


@SETTINGS
@given(codecs(), st.data())
def test_decode_encode_error_within_half_a_bin_and_clip_counts_exact(codec, data):
    space, norm = codec.action_space, codec.normalization
    raw = data.draw(actions_anywhere(space))
    enc = codec.encode(raw)
    # Independent clip accounting: normalized value outside the action space, q01/q99 clipping, constants.
    y_unclipped = np.where(
        np.asarray(norm.mask),
        _affine(norm, raw),
        raw,
    )
    expected = np.zeros(raw.shape, dtype=bool)
    for i, dim in enumerate(space):
        col = y_unclipped[:, i]
        if norm.mask[i] and _is_constant(norm, i):
            expected[:, i] = raw[:, i] != (norm.mean[i] if norm.method == "mean_std" else norm.low[i])
        elif dim.is_continuous:
            lo, hi = (max(dim.low, -1.0), min(dim.high, 1.0)) if norm.method == "q01_q99" and norm.mask[i] else (dim.low, dim.high)
            expected[:, i] = (col < lo) | (col > hi)
        else:
            expected[:, i] = ~np.isin(col, np.arange(dim.n_tokens, dtype=float))
    np.testing.assert_array_equal(enc.clipped, expected)
    np.testing.assert_array_equal(enc.clip_counts, expected.sum(axis=0))
    decoded = codec.decode_tokens(enc.tokens)
    for i, dim in enumerate(space):
        ok = ~expected[:, i]
        if not dim.is_continuous:
            np.testing.assert_array_equal(decoded[ok, i], raw[ok, i])
            continue
        scale = 1.0 if not norm.mask[i] or _is_constant(norm, i) else _scale(norm, i)
        tol = (dim.bin_width / 2) * scale * (1 + 1e-9) + 1e-9 * max(1.0, np.abs(raw[:, i]).max())
        assert np.all(np.abs(decoded[ok, i] - raw[ok, i]) <= tol)


def _is_constant(norm: Normalization, i: int) -> bool:
    return norm.std[i] == 0 if norm.method == "mean_std" else norm.low[i] == norm.high[i]


def _scale(norm: Normalization, i: int) -> float:
    return norm.std[i] if norm.method == "mean_std" else (norm.high[i] - norm.low[i]) / 2


def _affine(norm: Normalization, raw: np.ndarray) -> np.ndarray:
    if norm.method == "none":
        return raw
    out = raw.copy()
    for i in range(raw.shape[1]):
        if norm.mask[i] and not _is_constant(norm, i):
            if norm.method == "mean_std":
                out[:, i] = (raw[:, i] - norm.mean[i]) / norm.std[i]
            else:
                out[:, i] = 2 * (raw[:, i] - norm.low[i]) / (norm.high[i] - norm.low[i]) - 1
    return out


@SETTINGS
@given(codecs())
def test_json_round_trip_and_schema(codec):
    data = json.loads(json.dumps(codec.to_json()))
    validate_codec_json(data)
    assert ActionCodec.from_json(data) == codec
    assert set(data) == {"version", "action_space", "normalization", "out_of_range"}


def test_out_of_range_error_names_raw_value():
    codec = ActionCodec.from_stats(STATS, out_of_range="error")
    assert codec.encode([[1, 0.1, 0, 0, 0, 0, 0, 0.5]]).clip_counts[1] == 1  # q01_q99 clipping is only counted
    with pytest.raises(EncodeError, match=r"row 0, dimension 'gripper' \(index 7\): value 1.5 \(raw value 1.5\) is out of range"):
        codec.encode([[1, 0, 0, 0, 0, 0, 0, 1.5]])
    mm = ActionCodec(RT2, normalization=Normalization.from_stats("min_max", {"min": [0] + [-2] * 7, "max": [1] + [2] * 7}, (False,) + (True,) * 7), out_of_range="error")
    with pytest.raises(EncodeError, match=r"dimension 'dx' \(index 1\): value 1.5 \(raw value 3.0\) is out of range"):
        mm.encode([0, 3.0, 0, 0, 0, 0, 0, 0])


def test_encode_errors():
    codec = ActionCodec.rt2_default()
    with pytest.raises(EncodeError, match=r"row 1, dimension 'dyaw' \(index 6\): value nan is not finite"):
        codec.encode([[0] * 8, [0, 0, 0, 0, 0, 0, float("nan"), 0]])
    with pytest.raises(EncodeError, match="action space has 8 dimensions"):
        codec.encode([[0] * 7])
    with pytest.raises(ParseError, match=r"action string 1 \(0-based\): action string '1 2': expected 8 tokens, got 2"):
        codec.decode_texts(["1 2 3 4 5 6 7 8", "1 2"])
    with pytest.raises(ParseError, match="list of action strings"):
        codec.decode_texts("1 2 3 4 5 6 7 8")


def test_codec_validation():
    with pytest.raises(ActionSpaceError, match="normalization has 3 dimensions but the action space has 8"):
        ActionCodec(RT2, normalization=Normalization.identity(3))
    with pytest.raises(ActionSpaceError, match=r"discrete dimensions \['terminate'\] cannot be normalized"):
        ActionCodec(RT2, normalization=Normalization.from_stats("min_max", {"min": [0] * 8, "max": [1] * 8}))
    wide = ActionSpace((Dimension.continuous("x", 0.0, 2.0), Dimension.continuous("y")))
    with pytest.raises(ActionSpaceError, match=r"'q01_q99' maps to \[-1, 1\] but dimensions \['x'\] have another range"):
        ActionCodec(wide, normalization=Normalization.from_stats("q01_q99", {"q01": [0, 0], "q99": [1, 1]}))
    ActionCodec(wide, normalization=Normalization.from_stats("mean_std", {"mean": [0, 0], "std": [1, 1]}))
    with pytest.raises(EncodeError, match="out_of_range policy 'ignore'"):
        ActionCodec(RT2, out_of_range="ignore")
    with pytest.raises(ActionSpaceError, match="must be an ActionSpace"):
        ActionCodec(RT2.to_json())  # type: ignore[arg-type]
    assert ActionCodec() == ActionCodec.rt2_default()
    assert dataclasses.replace(ActionCodec(), out_of_range="error").out_of_range == "error"


def test_from_file_accepts_every_carrier(tmp_path):
    codec = ActionCodec.from_stats(STATS)
    small = ActionSpace((Dimension.continuous("x", 0, 10, bins=10), Dimension.discrete("t", 3)))
    files = {
        "space.json": (small.to_json(), ActionCodec(small)),
        "codec.json": (codec.to_json(), codec),
        "stats.json": ({"bridge": {"action": STATS}, "rt2data": {"version": 1, "codec": codec.to_json()}}, codec),
        "manifest.json": ({"format": "webdataset", "codec": codec.to_json(), "shards": []}, codec),
    }
    for name, (content, expected) in files.items():
        (tmp_path / name).write_text(json.dumps(content))
        assert ActionCodec.from_file(tmp_path / name) == expected, name
    assert ActionCodec.from_file(tmp_path) == codec  # an output dir holding manifest.json


def test_from_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="without manifest.json"):
        ActionCodec.from_file(tmp_path)
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(ConfigError, match="x.json: expected a JSON object, got list"):
        ActionCodec.from_file(tmp_path / "x.json")
    (tmp_path / "y.json").write_text(json.dumps({"shards": []}))
    with pytest.raises(ConfigError, match=r"y.json: not an action space, codec, rt2data stats file or manifest \(top-level keys: \['shards'\]\)"):
        ActionCodec.from_file(tmp_path / "y.json")
    (tmp_path / "z.json").write_text("{")
    with pytest.raises(ConfigError, match="cannot read codec file .*z.json"):
        ActionCodec.from_file(tmp_path / "z.json")
    (tmp_path / "w.json").write_text(json.dumps({"codec": {"action_space": {"dimensions": [{"name": "a", "low": 1, "high": 0}]}}}))
    with pytest.raises(ActionSpaceError, match="w.json: dimension 'a': low"):
        ActionCodec.from_file(tmp_path / "w.json")
    with pytest.raises(ActionSpaceError, match="unknown keys"):
        ActionCodec.from_json({"action_space": RT2.to_json(), "bins": 256})
    with pytest.raises(ActionSpaceError, match="version 2"):
        ActionCodec.from_json({"version": 2, "action_space": RT2.to_json()})


def test_schema_rejects_bad_codec_json():
    with pytest.raises(SchemaError, match="codec JSON: field normalization"):
        validate_codec_json({"action_space": RT2.to_json(), "normalization": {"method": "none", "mask": [True]}})
    with pytest.raises(SchemaError, match="out_of_range"):
        validate_codec_json({"action_space": RT2.to_json(), "out_of_range": "wrap"})


def test_encoding_is_deterministic():
    rng = np.random.default_rng(7)
    raw = rng.normal(0, 0.1, size=(500, 8))
    raw[:, 0] = rng.integers(0, 2, 500)
    codec = ActionCodec.from_stats(STATS)
    a, b = codec.encode(raw), codec.encode(raw.copy())
    assert a.texts == b.texts and np.array_equal(a.tokens, b.tokens)
    assert a.clip_summary(RT2.names) == {n: int(c) for n, c in zip(RT2.names, a.clip_counts) if c}
