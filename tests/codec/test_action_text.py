"""Action text: RT-2 rendering and strict parsing with errors naming position and token."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.codec.action_space import ActionSpace
from rt2data.codec.action_text import parse, parse_many, render, render_many
from rt2data.errors import ParseError
from rt2data.testing.strategies import action_spaces, token_arrays

RT2 = ActionSpace.rt2_default()


def test_render_and_parse_the_paper_example():
    text = "1 128 91 241 5 101 127 200"
    assert parse(text, RT2) == (1, 128, 91, 241, 5, 101, 127, 200)
    assert render([1, 128, 91, 241, 5, 101, 127, 200]) == text
    assert render(np.array([1, 128, 91, 241, 5, 101, 127, 200], dtype=np.uint8), RT2) == text
    assert render_many(np.array([[0, 0, 0, 0, 0, 0, 0, 0], [1, 255, 255, 255, 255, 255, 255, 255]])) == [
        "0 0 0 0 0 0 0 0",
        "1 255 255 255 255 255 255 255",
    ]


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_parse_inverts_render(data):
    space = data.draw(action_spaces())
    tokens = data.draw(token_arrays(space))
    texts = render_many(tokens, space)
    for row, text in zip(tokens, texts):
        assert parse(text, space) == tuple(row.tolist())
        assert render(row, space) == text
    np.testing.assert_array_equal(parse_many(texts, space), tokens)


@pytest.mark.parametrize(
    "text, message",
    [
        ("1 128  128 128 128 128 128 255", r"position 3 \(dimension 'dy'\): empty token \(double space\)"),
        (" 1 128 128 128 128 128 128 255", r"position 1 \(dimension 'terminate'\): empty token \(leading space\)"),
        ("1 128 128 128 128 128 128 255 ", r"position 9: empty token \(trailing space\)"),
        ("1 128 128 128 128 128 128 255\n", r"position 8 \(dimension 'gripper'\): bad token '255\\n': tokens are separated by single ASCII spaces"),
        ("1\t128 128 128 128 128 128 255", r"position 1 .*bad token '1\\t128'"),
        ("1 128 a 128 128 128 128 255", r"position 3 \(dimension 'dy'\): bad token 'a': not a non-negative decimal integer"),
        ("1 128 128 -5 128 128 128 255", r"position 4 \(dimension 'dz'\): bad token '-5': signs are not allowed"),
        ("1 +128 128 128 128 128 128 255", r"position 2 \(dimension 'dx'\): bad token '\+128': signs are not allowed"),
        ("1 128 128 128 007 128 128 255", r"position 5 \(dimension 'droll'\): bad token '007': leading zeros"),
        ("1 128 128 128 128 1.5 128 255", r"position 6 \(dimension 'dpitch'\): bad token '1.5'"),
        ("1 128 128 128 128 128 \u0661\u0662 255", r"position 7 \(dimension 'dyaw'\): bad token"),
        ("1 128 128 128 128 128 128 255 7", r"expected 8 tokens, got 9: extra token '7' at position 9"),
        ("1 128 128 128 128 128 128", r"expected 8 tokens, got 7: missing position 8 \(dimension 'gripper'\)"),
        ("1 128 128 128 256 128 128 255", r"position 5 \(dimension 'droll'\): token '256' is out of range 0..255"),
        ("2 128 128 128 128 128 128 255", r"position 1 \(dimension 'terminate'\): token '2' is out of range 0..1"),
        ("1 128 128 128 128 128 128 99999999999999999999999", r"position 8 .*out of range 0..255"),
        ("", r"empty action string; expected 8 tokens \(terminate dx dy dz droll dpitch dyaw gripper\)"),
    ],
)
def test_parse_rejects_malformed_strings(text, message):
    with pytest.raises(ParseError, match=message):
        parse(text, RT2)


def test_parse_type_errors_and_parse_many_note():
    with pytest.raises(ParseError, match="must be str, got bytes"):
        parse(b"1 2 3 4 5 6 7 8", RT2)  # type: ignore[arg-type]
    with pytest.raises(ParseError) as info:
        parse_many(["1 2 3 4 5 6 7 8", "1 2 3"], RT2)
    assert "in action string 1 (0-based)" in info.value.__notes__


@pytest.mark.parametrize(
    "tokens, message",
    [
        ([1, -2, 3], "non-negative"),
        ([1.0, 2.0], "integers"),
        ([[1, 2]], "rank 1"),
    ],
)
def test_render_rejects_bad_tokens(tokens, message):
    with pytest.raises(ParseError, match=message):
        render(tokens)


def test_render_checks_range_with_a_space():
    with pytest.raises(ParseError, match=r"dimension 'terminate' \(index 0\): token 5 is out of range 0..1"):
        render([5, 0, 0, 0, 0, 0, 0, 0], RT2)
    with pytest.raises(ParseError, match="rank 2"):
        render_many([0, 0, 0, 0, 0, 0, 0, 0], RT2)
