"""``binning="openvla"`` reproduces OpenVLA's action tokenizer bit for bit (ids included, Llama vocabulary), and
the default binning stays the RT-2 paper's true 256 bins.

OpenVLA (``prismatic/vla/action_tokenizer.py``), for a vocabulary of V ids::

    bins = np.linspace(-1, 1, 256)
    discretized = np.digitize(np.clip(action, -1, 1), bins)          # 1..256
    token_id = V - discretized
    bin_centers = (bins[:-1] + bins[1:]) / 2
    decoded = bin_centers[np.clip(V - token_id - 1, 0, 254)]
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.cli.main import cli
from rt2data.codec.action_codec import ActionCodec
from rt2data.codec.action_space import ActionSpace, Dimension
from rt2data.codec.vocab import ReservedLast
from rt2data.errors import ActionSpaceError, ConfigError

V = 32000  # Llama-2's vocabulary, as OpenVLA
OPENVLA_SPACE = ActionSpace([Dimension(n, low=-1.0, high=1.0) for n in ("x", "y", "z", "roll", "pitch", "yaw", "grip")])


def _openvla_ids(actions: np.ndarray) -> np.ndarray:
    bins = np.linspace(-1, 1, 256)
    return V - np.digitize(np.clip(actions, -1.0, 1.0), bins)


def _openvla_decode(ids: np.ndarray) -> np.ndarray:
    bins = np.linspace(-1, 1, 256)
    centers = (bins[:-1] + bins[1:]) / 2
    return centers[np.clip(V - ids - 1, 0, centers.shape[0] - 1)]


def _ours(actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    codec = ActionCodec(OPENVLA_SPACE, binning="openvla")
    strategy = ReservedLast(OPENVLA_SPACE, vocab_size=V)
    encoded = codec.encode(actions)
    ids = strategy.bins_to_ids(encoded.tokens)
    return encoded.tokens, ids, codec.decode_tokens(strategy.ids_to_bins(ids))


def test_openvla_ids_and_decoding_match_on_100000_random_values():
    rng = np.random.default_rng(12)
    values = rng.uniform(-1.2, 1.2, size=(100_000 // 7 + 1, 7))
    # The hard cases among them: every bin edge exactly, its float neighbours, the ends, values outside.
    edges = np.linspace(-1, 1, 256)
    special = np.concatenate([edges, np.nextafter(edges, -2), np.nextafter(edges, 2), [-1.0, 1.0, -5.0, 5.0, 0.0]])
    values.ravel()[: special.size] = special
    _, ids, decoded = _ours(values)
    np.testing.assert_array_equal(ids, _openvla_ids(values))
    np.testing.assert_array_equal(decoded, _openvla_decode(_openvla_ids(values)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1.5, 1.5, allow_nan=False), min_size=7, max_size=7))
def test_openvla_property(row):
    values = np.asarray([row])
    tokens, ids, decoded = _ours(values)
    np.testing.assert_array_equal(ids, _openvla_ids(values))
    np.testing.assert_array_equal(decoded, _openvla_decode(ids))
    inside = np.abs(values) <= 1
    step = 2 / 255
    assert (np.abs(decoded - np.clip(values, -1, 1))[inside] <= step / 2 + 1e-12).all() or (tokens == 255).any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1.0, 1.0, allow_nan=False), min_size=7, max_size=7))
def test_default_binning_is_true_256_bins(row):
    """The default: edges linspace(-1, 1, 257), token = the bin holding x, decoded to its center within half a bin."""
    values = np.asarray([row])
    codec = ActionCodec(OPENVLA_SPACE)
    tokens = codec.encode(values).tokens[0]
    edges = np.linspace(-1, 1, 257)
    for x, t in zip(row, tokens):
        assert edges[t] <= x and (x < edges[t + 1] or (t == 255 and x == 1.0))
    assert np.all(np.abs(codec.decode_tokens(tokens) - values[0]) <= 1 / 256 + 1e-12)


def test_where_default_and_openvla_differ():
    """The README table's numbers: their ids differ by one for about half of all values."""
    values = np.random.default_rng(0).uniform(-1, 1, size=(20_000, 7))
    uniform = ActionCodec(OPENVLA_SPACE).encode(values).tokens
    openvla = ActionCodec(OPENVLA_SPACE, binning="openvla").encode(values).tokens
    diff = uniform - openvla
    assert set(np.unique(diff)) <= {0, 1}
    assert 0.45 < (diff != 0).mean() < 0.55


def test_codec_json_records_binning_and_default_json_is_unchanged():
    codec = ActionCodec.rt2_default(binning="openvla")
    data = codec.to_json()
    assert data["binning"] == "openvla"
    assert ActionCodec.from_json(data) == codec
    assert "binning" not in ActionCodec.rt2_default().to_json()
    with pytest.raises(ActionSpaceError, match="binning 'bogus'"):
        ActionCodec.rt2_default(binning="bogus")


def test_cli_tokenize_detokenize_binning(tmp_path):
    runner = CliRunner()
    out = runner.invoke(cli, ["tokenize", "--binning", "openvla", "[[0, 1, 0.5, -1, 0, 0.3, 0, 1]]"])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == "0 255 191 0 127 165 127 255"
    out = runner.invoke(cli, ["detokenize", "--binning", "openvla", "0 255 191 0 127 165 127 255"])
    decoded = json.loads(out.output)
    centers = (np.linspace(-1, 1, 256)[:-1] + np.linspace(-1, 1, 256)[1:]) / 2
    assert decoded[1:] == [centers[254], centers[191], centers[0], centers[127], centers[165], centers[127],
                           centers[254]]
    # A manifest's codec decides; a contradicting --binning is refused with one line.
    path = tmp_path / "codec.json"
    path.write_text(json.dumps(ActionCodec.rt2_default(binning="openvla").to_json()))
    same = runner.invoke(cli, ["detokenize", "--manifest", str(path), "0 255 191 0 127 165 127 255"])
    assert same.output == out.output
    bad = runner.invoke(cli, ["detokenize", "--manifest", str(path), "--binning", "uniform", "0 1 2 3 4 5 6 7"])
    assert bad.exit_code != 0 and isinstance(bad.exception, ConfigError)
    assert "made with binning 'openvla'" in str(bad.exception)
