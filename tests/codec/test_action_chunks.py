"""Action chunks (``convert --action-chunk H``): targets of H actions, the final action repeated past the end,
decoded back to the next H raw actions within half a bin; H = 1 is today's output byte for byte."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from rt2data.cli.main import cli
from rt2data.codec.action_codec import ActionCodec
from rt2data.codec.chunks import chunk_indices, chunk_of, parse_chunk, real_steps, render_chunk
from rt2data.convert import ConvertConfig, convert_episode
from rt2data.errors import ConfigError, ParseError, SchemaError
from rt2data.example import Example
from rt2data.inspection.validate import example_checker
from rt2data.prompt import get_template
from rt2data.shards.formats.tf_example import example_to_tf_example_bytes
from rt2data.spec.standardize import CanonicalEpisode

CODEC = ActionCodec.rt2_default()
TEMPLATE = get_template("rt2-action-v1")


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _episode(actions: np.ndarray) -> CanonicalEpisode:
    n = actions.shape[0]
    last = np.zeros(n, bool)
    last[-1] = True
    return CanonicalEpisode("ep0", [_png()] * n, "png", None, ["Pick up the can."] * n, actions, None,
                            np.arange(n) == 0, last, last, "in.tfrecord", 0)


def _actions(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    actions = rng.uniform(-1, 1, size=(n, 8))
    actions[:, 0] = 0
    actions[-1, 0] = 1
    return actions


def test_indices_and_real_steps():
    assert chunk_indices(4, 3).tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 3], [3, 3, 3]]
    assert real_steps(4, 3).tolist() == [3, 3, 2, 1]
    with pytest.raises(ConfigError, match="--action-chunk"):
        ConvertConfig(source="x", action_chunk=0)


@pytest.mark.parametrize("horizon", [2, 3, 7])
def test_chunks_decode_to_the_next_h_raw_actions_within_half_a_bin(horizon):
    actions = _actions(5, seed=horizon)
    out = convert_episode(_episode(actions), shard_index=0, codec=CODEC, template=TEMPLATE,
                          config=ConvertConfig(source="x", action_chunk=horizon))
    assert len(out.examples) == 5 and out.input_steps == 5 and not out.dropped
    for t, ex in enumerate(out.examples):
        assert ex.chunk_steps == horizon and ex.chunk_real == min(horizon, 5 - t)
        assert chunk_of(ex.target, CODEC.action_space) == horizon
        decoded = CODEC.decode_tokens(parse_chunk(ex.target, CODEC.action_space, horizon))
        expected = actions[np.minimum(np.arange(t, t + horizon), 4)]  # the final action repeats past the end
        assert np.all(np.abs(decoded - expected)[:, 1:] <= 1 / 256 + 1e-12)
        assert np.array_equal(decoded[:, 0], expected[:, 0])
        assert ex.action_raw == tuple(expected.ravel()) and len(ex.action_tokens) == 8 * horizon
        assert ex.target == render_chunk(np.asarray(ex.action_tokens).reshape(horizon, 8))
    check = example_checker({TEMPLATE.id: TEMPLATE.text}, lambda source: CODEC)
    assert all(check(ex) == [] for ex in out.examples)
    bad = out.examples[0].replace(action_tokens=out.examples[1].action_tokens)
    assert any("differ from action_tokens" in p for p in check(bad))


def test_h1_is_todays_output_byte_for_byte():
    actions = _actions(4)
    today = convert_episode(_episode(actions), shard_index=0, codec=CODEC, template=TEMPLATE,
                            config=ConvertConfig(source="x"))
    h1 = convert_episode(_episode(actions), shard_index=0, codec=CODEC, template=TEMPLATE,
                         config=ConvertConfig(source="x", action_chunk=1))
    assert [e.to_json_bytes() for e in today.examples] == [e.to_json_bytes() for e in h1.examples]
    assert [example_to_tf_example_bytes(e) for e in today.examples] == [
        example_to_tf_example_bytes(e) for e in h1.examples]
    assert b"chunk" not in today.examples[0].to_json_bytes()
    assert ConvertConfig(source="x", action_chunk=1).to_json() == ConvertConfig(source="x").to_json()
    assert "action_chunk" not in ConvertConfig(source="x").to_json()


def test_a_non_finite_action_in_the_chunk_drops_the_step_counted():
    actions = _actions(5)
    actions[3, 2] = np.nan
    out = convert_episode(_episode(actions), shard_index=0, codec=CODEC, template=TEMPLATE,
                          config=ConvertConfig(source="x", action_chunk=2))
    assert [e.step for e in out.examples] == [0, 1, 4]
    assert out.dropped == {"non_finite_action": 2}
    details = {d.step: d.detail for d in out.dead_letters}
    assert "chunk step 3" in details[2] and "action[dy]" in details[3]
    strict = ActionCodec.rt2_default(out_of_range="error")
    actions = _actions(4)
    actions[2, 3] = 1.5
    out = convert_episode(_episode(actions), shard_index=0, codec=strict, template=TEMPLATE,
                          config=ConvertConfig(source="x", action_chunk=2))
    assert [e.step for e in out.examples] == [0, 3] and out.dropped == {"out_of_range": 2}


def test_example_chunk_fields_are_checked_and_round_trip():
    ex = Example(key="k", image=b"x", image_format="png", prompt="p", target="t", kind="caption", source="s",
                 template_id="c", chunk_steps=2, chunk_real=1)
    assert json.loads(ex.to_json_bytes())["chunk_real"] == 1
    with pytest.raises(SchemaError, match="chunk_steps and chunk_real"):
        ex.replace(chunk_real=None)
    with pytest.raises(SchemaError, match="in 1..chunk_steps"):
        ex.replace(chunk_real=3)


def test_parse_chunk_errors_name_the_step():
    with pytest.raises(ParseError, match=r"expected 2 x 8 = 16 tokens, got 8"):
        parse_chunk("1 2 3 4 5 6 7 8", CODEC.action_space, 2)
    with pytest.raises(ParseError, match="chunk step 1"):
        parse_chunk("1 2 3 4 5 6 7 8 9 2 3 4 5 6 7 8", CODEC.action_space, 2)


def test_detokenize_chunks():
    runner = CliRunner()
    out = runner.invoke(cli, ["detokenize", "--action-chunk", "2", "1 128 128 128 128 128 128 255 0 0 0 0 0 0 0 0"])
    assert out.exit_code == 0, out.output
    (rows,) = [json.loads(line) for line in out.output.splitlines()]
    assert len(rows) == 2 and rows[0][0] == 1.0 and rows[1][1] == -1 + 1 / 256
