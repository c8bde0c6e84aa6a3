"""Prompt templates, instruction normalization and chain-of-thought targets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from rt2data.errors import PromptError
from rt2data.prompt import (
    DEFAULT_ACTION_TEMPLATE,
    PromptTemplate,
    action_prompt,
    action_target,
    get_template,
    normalize_instruction,
    register_template,
    split_target,
)
from rt2data.testing.strategies import instructions


def test_default_template_is_the_papers():
    assert DEFAULT_ACTION_TEMPLATE.id == "rt2-action-v1"
    assert DEFAULT_ACTION_TEMPLATE.text == "Q: what action should the robot take to {instruction}? A:"
    assert get_template("rt2-action-v1") is DEFAULT_ACTION_TEMPLATE
    assert action_prompt("Pick coke can.") == "Q: what action should the robot take to pick coke can? A:"
    assert get_template("rt2-vqa-v1").render(question="what is red?") == "Q: what is red? A:"


@pytest.mark.parametrize(
    "text, kind, message",
    [
        ("Do {task}", "action", r"exactly one placeholder \{instruction\}, found \['\{task\}'\]"),
        ("{instruction} then {instruction}", "action", "exactly one placeholder"),
        ("Q: what now? A:", "action", r"found \[\]"),
        ("{instruction} {extra}", "action", "exactly one placeholder"),
        ("Do {}", "action", r"placeholder \{\} is not allowed"),
        ("Do {0}", "vqa", r"placeholder \{0\} is not allowed"),
        ("Do {instruction!r}", "action", r"placeholder \{instruction!r\} is not allowed"),
        ("Do {instruction:>20}", "action", r"placeholder \{instruction:>20\} is not allowed"),
        ("Do {instruction.upper}", "action", "is not allowed"),
        ("Do {instruction", "action", "malformed braces"),
        ("Do }", "action", "malformed braces"),
        ("   ", "action", "non-empty"),
        ("{instruction}", "speech", "kind 'speech'"),
    ],
)
def test_template_validation(text, kind, message):
    with pytest.raises(PromptError, match=message):
        PromptTemplate("t1", text, kind)


def test_template_render_and_ids():
    t = PromptTemplate("braces-v1", "{{literal}} {instruction}")
    assert t.render(instruction="go") == "{literal} go"
    vqa = PromptTemplate("vqa-x", "Q: {question} about {topic}? A:", "vqa")
    assert vqa.fields == ("question", "topic")
    with pytest.raises(PromptError, match=r"missing \['topic'\], unexpected \['colour'\]"):
        vqa.render(question="q", colour="red")
    with pytest.raises(PromptError, match="field values must be strings"):
        t.render(instruction=3)  # type: ignore[arg-type]
    with pytest.raises(PromptError, match="template id 'has space' is invalid"):
        PromptTemplate("has space", "{instruction}")
    with pytest.raises(PromptError, match="unknown prompt template 'nope'; known: \\["):
        get_template("nope")
    with pytest.raises(PromptError, match="already registered"):
        register_template(PromptTemplate("rt2-action-v1", "Do {instruction}"))
    with pytest.raises(PromptError, match="is a vqa template"):
        action_prompt("go", template=vqa)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("pick coke can", "pick coke can"),
        ("Put the spoon in the pot.", "put the spoon in the pot"),
        ("  Move   the\tblock\n to the  left!! ", "move the block to the left"),
        ("open middle drawer?", "open middle drawer"),
        ("pick up the RXBAR chocolate.", "pick up the RXBAR chocolate"),
        ("UR5: push the button.", "UR5: push the button"),
        ("TV remote, pick it up ...", "TV remote, pick it up"),
        ("A", "a"),
        ("Ébranler la tour.", "ébranler la tour"),
        ("e\u0301pice", "\u00e9pice"),  # NFC
        ("pick\u00a0up\u2003block", "pick up block"),  # Unicode spaces collapse
        ("stack 3.5 cm blocks", "stack 3.5 cm blocks"),  # inner punctuation kept
        (b"Pick the apple.\x00\x00\x00", "pick the apple"),
        (np.bytes_(b"lift cup"), "lift cup"),
        (np.array(b"lift cup", dtype=object), "lift cup"),
        ("lift\x00garbage", "lift"),
    ],
)
def test_normalize_instruction(raw, expected):
    assert normalize_instruction(raw) == expected


def test_language_table_byte_codes():
    text = "Push the red star to the left."
    codes = np.zeros(512, dtype=np.int32)
    codes[: len(text)] = np.frombuffer(text.encode(), dtype=np.uint8)
    assert normalize_instruction(codes) == "push the red star to the left"
    with pytest.raises(PromptError, match="byte codes must be in 0..255"):
        normalize_instruction(np.array([300, 0], dtype=np.int32))


@pytest.mark.parametrize("raw", ["", "   ", " .\n", b"\x00\x00", np.zeros(8, dtype=np.int32)])
def test_empty_instruction_policies(raw):
    with pytest.raises(PromptError, match="is empty after normalization; pass empty='keep' or empty='placeholder'"):
        normalize_instruction(raw)
    assert normalize_instruction(raw, empty="keep") == ""
    assert normalize_instruction(raw, empty="placeholder") == "complete the task"
    assert normalize_instruction(raw, empty="placeholder", placeholder="do something") == "do something"
    with pytest.raises(PromptError, match="policy 'skip'"):
        normalize_instruction(raw, empty="skip")


def test_bad_instruction_inputs():
    with pytest.raises(PromptError, match="not valid UTF-8"):
        normalize_instruction(b"\xff\xfe pick")
    with pytest.raises(PromptError, match="must be text, bytes or byte codes, got int"):
        normalize_instruction(5)
    with pytest.raises(PromptError, match="byte codes or a single string"):
        normalize_instruction(np.array(["a", "b"]))


@settings(max_examples=150, deadline=None)
@given(instructions())
def test_normalization_is_idempotent_and_clean(raw):
    out = normalize_instruction(raw, empty="keep")
    assert normalize_instruction(out, empty="keep") == out
    assert out == out.strip() and "  " not in out and "\n" not in out and "\t" not in out
    assert not out or out[-1] not in ".!?,;:"
    assert out.split() == [w for w in out.split(" ")]
    if out:
        first_word = raw.split()[0]
        assert out[0] == (first_word[0].lower() if len(first_word) < 2 or not first_word[1].isupper() else first_word[0])


def test_action_target_and_plan():
    action = "1 128 124 136 121 158 111 255"
    assert action_target(action) == action
    target = action_target(action, plan="pick rxbar chocolate")
    assert target == "Plan: pick rxbar chocolate. Action: 1 128 124 136 121 158 111 255"  # the paper's example
    assert action_target(action, plan="  pick  rxbar chocolate. ") == target
    assert split_target(target) == ("pick rxbar chocolate", action)
    assert split_target(action) == (None, action)
    with pytest.raises(PromptError, match="plan ' ' is empty; pass plan=None"):
        action_target(action, plan=" ")
    with pytest.raises(PromptError, match="contains 'Action:'"):
        action_target(action, plan="go. Action: 1")
    with pytest.raises(PromptError, match="action text must be a non-empty string"):
        action_target("", plan="go")
    with pytest.raises(PromptError, match="has no '. Action: ' part"):
        split_target("Plan: go")
