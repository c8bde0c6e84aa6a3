"""Token-id strategies (both directions) and the constrained-decoding set."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.codec.action_space import ActionSpace, Dimension
from rt2data.codec.action_codec import ActionCodec
from rt2data.errors import ConfigError, ParseError
from rt2data.codec.normalize import Normalization
from rt2data.testing.strategies import action_spaces, token_arrays
from rt2data.codec.vocab import (
    STRATEGIES,
    IntegerText,
    ReservedLast,
    ReservedLeastFrequent,
    TokenStrategy,
    constrained_decoding_set,
    get_strategy,
    make_strategy,
    register_strategy,
    write_constrained_decoding_set,
)

RT2 = ActionSpace.rt2_default()
TOKENS = np.array([[1, 128, 91, 241, 5, 101, 127, 200], [0, 0, 255, 0, 0, 0, 0, 255]])


def _options(name: str, space: ActionSpace) -> dict:
    n = max(space.n_tokens)
    if name == "integer_text":
        return {}
    if name == "reserved_last":
        return {"vocab_size": n + 1000}
    rng = np.random.default_rng(0)
    return {"frequencies": rng.integers(0, 5, size=n + 50).tolist(), "exclude": [0, 1, 2]}


def test_registry():
    assert set(STRATEGIES) >= {"integer_text", "reserved_last", "reserved_least_frequent"}
    assert get_strategy("reserved_last") is ReservedLast
    with pytest.raises(ConfigError, match="unknown token strategy 'bpe'; known:"):
        get_strategy("bpe")
    with pytest.raises(ConfigError, match=r"strategy 'integer_text' has no option\(s\) \['vocab_size'\]"):
        make_strategy("integer_text", RT2, vocab_size=10)
    with pytest.raises(ConfigError, match="already registered"):
        register_strategy(IntegerText)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(["integer_text", "reserved_last", "reserved_least_frequent"]))
def test_ids_to_bins_inverts_bins_to_ids(data, name):
    space = data.draw(action_spaces())
    tokens = data.draw(token_arrays(space))
    strategy = make_strategy(name, space, **_options(name, space))
    ids = strategy.bins_to_ids(tokens)
    assert ids.shape == tokens.shape
    np.testing.assert_array_equal(strategy.ids_to_bins(ids), tokens)
    np.testing.assert_array_equal(strategy.ids_to_bins(ids[0]), tokens[0])


def test_integer_text_without_and_with_mapping():
    plain = IntegerText(RT2)
    assert plain.bins_to_ids(TOKENS[0]).tolist() == ["1", "128", "91", "241", "5", "101", "127", "200"]
    assert plain.ids_to_bins(["1", "128", "91", "241", "5", "101", "127", "200"]).tolist() == TOKENS[0].tolist()
    mapping = {str(i): 1000 + i for i in range(1000)}  # PaLI-X style: a token for every integer 0-999
    mapped = IntegerText(RT2, mapping=mapping)
    assert mapped.bins_to_ids(TOKENS).tolist() == (TOKENS + 1000).tolist()
    np.testing.assert_array_equal(mapped.ids_to_bins(TOKENS + 1000), TOKENS)
    with pytest.raises(ConfigError, match=r"the mapping has no id for \['255'\]"):
        IntegerText(RT2, mapping={str(i): i for i in range(255)})
    with pytest.raises(ConfigError, match="two bins map to the same id"):
        IntegerText(RT2, mapping={str(i): i // 2 for i in range(256)})
    with pytest.raises(ParseError, match="ids are strings, got dtype int64"):
        plain.ids_to_bins(TOKENS)


def test_reserved_last_openvla_order():
    strategy = ReservedLast(RT2, vocab_size=32000)
    ids = strategy.bins_to_ids(TOKENS[0])
    assert ids.tolist() == [31998, 31871, 31908, 31758, 31994, 31898, 31872, 31799]  # V - 1 - b
    asc = ReservedLast(RT2, vocab_size=32000, order="ascending")
    assert asc.bins_to_ids(np.zeros(8, dtype=int)).tolist() == [31744] * 8 and asc.legal(1)[-1] == 31999
    assert strategy.legal(0) == [31999, 31998]  # terminate: only the ids of bins 0 and 1
    with pytest.raises(ParseError, match=r"position 1 \(dimension 'terminate'\): id 31997 is the token of bin 2, out of range 0..1"):
        strategy.ids_to_bins([31997, 31999, 31999, 31999, 31999, 31999, 31999, 31999])
    with pytest.raises(ParseError, match=r"row 0, position 3 \(dimension 'dy'\): id 5 is not an action token"):
        strategy.ids_to_bins([31999, 31999, 5, 31999, 31999, 31999, 31999, 31999])
    with pytest.raises(ParseError, match="ids are integers, got dtype float64"):
        strategy.ids_to_bins(np.full(8, 31999.0))
    with pytest.raises(ConfigError, match="256 action tokens do not fit in a vocabulary of 100"):
        ReservedLast(RT2, vocab_size=100)
    with pytest.raises(ConfigError, match="vocab_size must be a positive integer"):
        ReservedLast(RT2, vocab_size=0)


def test_reserved_least_frequent_is_deterministic_with_ties_by_id():
    space = ActionSpace((Dimension.discrete("t", 2), Dimension.continuous("x", bins=3)))
    freqs = [9, 0, 5, 0, 1, 7, 1, 0]  # least frequent: ids 1, 3, 7 (count 0, by id), then 4, 6 ...
    strategy = ReservedLeastFrequent(space, frequencies=freqs)
    assert strategy.ids.tolist() == [1, 3, 7]
    assert ReservedLeastFrequent(space, frequencies=dict(enumerate(freqs))).ids.tolist() == [1, 3, 7]
    as_json_keys = {str(k): v for k, v in reversed(list(enumerate(freqs)))}
    assert ReservedLeastFrequent(space, frequencies=as_json_keys).ids.tolist() == [1, 3, 7]
    assert ReservedLeastFrequent(space, frequencies=freqs, exclude=[3]).ids.tolist() == [1, 7, 4]
    # With vocab_size, ids absent from a sparse table count 0 and come first.
    sparse = ReservedLeastFrequent(space, frequencies={"0": 3, "1": 1, "2": 2, "4": 5}, vocab_size=5)
    assert sparse.ids.tolist() == [3, 1, 2]
    assert strategy.to_json() == {"name": "reserved_least_frequent", "vocab_size": None, "exclude": [], "reserved_ids": [1, 3, 7]}
    with pytest.raises(ConfigError, match="need 3 ids but only 2 candidates remain"):
        ReservedLeastFrequent(space, frequencies=[1, 2])
    with pytest.raises(ConfigError, match="counts must be finite numbers >= 0"):
        ReservedLeastFrequent(space, frequencies=[1, -2, 3, 4])
    with pytest.raises(ConfigError, match="id 9 >= vocab_size 5"):
        ReservedLeastFrequent(space, frequencies={9: 1}, vocab_size=5)
    with pytest.raises(ConfigError, match="keys must be integer ids"):
        ReservedLeastFrequent(space, frequencies={"a": 1})


def test_constrained_decoding_set_content():
    data = constrained_decoding_set(RT2, "reserved_last", vocab_size=32000)
    json.dumps(data)  # JSON-able
    assert data["version"] == 1 and data["strategy"] == {"name": "reserved_last", "vocab_size": 32000, "order": "descending"}
    assert ActionSpace.from_json(data["action_space"]) == RT2
    assert [p["name"] for p in data["positions"]] == list(RT2.names)
    assert data["positions"][0]["legal"] == [31999, 31998]
    assert data["positions"][7]["legal"] == list(range(31999, 31743, -1))
    assert data["action_tokens"] == list(range(31744, 32000))
    assert data["separator"] == "" and data["codec"] is None
    text = constrained_decoding_set(RT2)
    assert text["positions"][1]["legal"][:3] == ["0", "1", "2"] and text["separator"] == " "
    assert len(text["action_tokens"]) == 256 and text["action_tokens"][-1] == "255"


def test_constrained_decoding_set_from_codec_and_file(tmp_path):
    norm = Normalization.from_stats("q01_q99", {"q01": [0] + [-2] * 7, "q99": [1] + [2] * 7}, (False,) + (True,) * 6 + (False,))
    codec = ActionCodec(RT2, normalization=norm)
    strategy = ReservedLast(RT2, vocab_size=1000)
    path = write_constrained_decoding_set(tmp_path / "sub" / "cds.json", codec, strategy)
    data = json.loads(path.read_text())
    assert ActionCodec.from_json(data["codec"]) == codec
    assert data == json.loads(json.dumps(constrained_decoding_set(codec, strategy)))
    assert [p.name for p in path.parent.iterdir()] == ["cds.json"]  # no temp file left
    other = ActionSpace((Dimension.continuous("x"),))
    with pytest.raises(ConfigError, match="different action space"):
        constrained_decoding_set(other, strategy)
    with pytest.raises(ConfigError, match="pass options only with a strategy name"):
        constrained_decoding_set(RT2, strategy, vocab_size=3)
    with pytest.raises(TypeError, match="ActionCodec or ActionSpace"):
        constrained_decoding_set({"dimensions": []}, "integer_text")


def test_custom_strategy_plugs_in():
    class EveryOther(TokenStrategy):
        name = "test_every_other"

        def _build_table(self, n):
            return np.arange(n, dtype=np.int64) * 2

    try:
        register_strategy(EveryOther)
        strategy = make_strategy("test_every_other", RT2)
        assert strategy.bins_to_ids(TOKENS[0]).tolist() == (TOKENS[0] * 2).tolist()
        with pytest.raises(ParseError, match="id 3 is not an action token"):
            strategy.ids_to_bins([3, 0, 0, 0, 0, 0, 0, 0])
    finally:
        STRATEGIES.pop("test_every_other", None)
