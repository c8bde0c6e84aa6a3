"""``validate``'s batched checks (issue 14): a bad record in the middle of a shard is reported with the same message as
the one-example checks give, and a batch verdict of "no problem" is only given where the one-example check agrees."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.example import Example
from rt2data.inspection import validate as validate_module
from rt2data.inspection.validate import example_checker, validate_output
from rt2data.inspection.validate_batch import batch_checker
from rt2data.prompt import DEFAULT_ACTION_TEMPLATE, action_target
from rt2data.readers import iter_records
from rt2data.shards import iter_examples
from rt2data.shards.formats import wds
from rt2data.testing.strategies import actions_anywhere, codecs

from test_validate import action, web, write_output  # the helpers of tests/inspection/test_validate.py


def _slow(monkeypatch, out):
    """The report of the one-example checks alone (what validate gave before the batched checks)."""
    with monkeypatch.context() as m:
        m.setattr(wds, "certainly_valid", lambda fields: False)
        m.setattr(validate_module, "batch_checker", lambda *a: (lambda batch: [False] * len(batch)))
        return validate_output(out)


def _middle(bad: Example, n: int = 41) -> list[Example]:
    exs = [action(i) for i in range(n)]
    exs[n // 2] = bad.replace(key=exs[n // 2].key)
    return exs


_BAD = {
    "tokens": lambda: action(20).replace(target="1 2 3 4 5 6 7 0"),
    "raw": lambda: action(20).replace(action_raw=tuple([*action(20).action_raw[:2], 0.99, *action(20).action_raw[3:]])),
    "prompt": lambda: action(20, prompt="Q: pick it? A:"),
    "template": lambda: action(20, template_id="other"),
    "step": lambda: action(20, step=-1),
    "plan": lambda: action(20).replace(target=action_target(action(20).target, plan="reach"), plan="grasp"),
    "nan": lambda: action(20).replace(action_raw=(float("nan"),) * 8),
    "space": lambda: action(20).replace(target=action(20).target.replace(" ", "  ", 1)),
    "out_of_range": lambda: action(20).replace(target="2" + action(20).target[1:], action_tokens=(2, *action(20).action_tokens[1:])),
    "web_action": lambda: web(1, "caption", action_tokens=(1, 2)),
}


@pytest.mark.parametrize("what", sorted(_BAD))
def test_a_bad_record_in_the_middle_reads_as_before(tmp_path, monkeypatch, what):
    out = write_output(tmp_path / "o", _middle(_BAD[what]()), formats=("wds",))  # shards of 8: the 5th of its shard
    fast = validate_output(out)
    slow = _slow(monkeypatch, out)
    assert not fast.ok and fast.problems
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems]
    assert all(p.key == "robot-0020" for p in fast.problems), fast.problems
    assert all("\n" not in p.message for p in fast.problems)


def test_a_corrupt_json_member_in_the_middle_reads_as_before(tmp_path, monkeypatch):
    out = write_output(tmp_path / "o", [action(i) for i in range(30)] + [web(i, "vqa") for i in range(5)] +
                       [action(i) for i in range(30, 40)], formats=("wds",))
    for shard in sorted(out.glob("t-*.tar")):  # same length, so only the fields change
        data = shard.read_bytes()
        if b'"kind":"vqa"' in data:
            shard.write_bytes(data.replace(b'"kind":"vqa"', b'"kind":"vQa"', 1))
            break
    fast, slow = validate_output(out), _slow(monkeypatch, out)
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems]
    assert any("vQa" in p.message for p in fast.problems)
    with pytest.raises(Exception) as fast_error:
        list(iter_records(out, decode_images=False))
    with pytest.raises(Exception) as slow_error:
        list(iter_examples(out))
    assert str(fast_error.value) == str(slow_error.value) and "vQa" in str(fast_error.value)


def test_good_output_is_checked_by_the_batch(tmp_path, monkeypatch):
    out = write_output(tmp_path / "o", [action(i) for i in range(12)] + [web(i, "caption") for i in range(3)] +
                       [web(i, "vqa") for i in range(3)], formats=("wds",))
    calls = []
    monkeypatch.setattr(validate_module, "example_checker", lambda *a: calls.append(a) or (lambda e: calls.append(e) or []))
    report = validate_output(out)
    assert report.ok and report.examples_checked == 18
    assert not [c for c in calls if isinstance(c, Example)]  # no example needed the one-at-a-time check


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_batch_verdict_agrees_with_the_one_example_check(data):
    codec = data.draw(codecs())
    rows = data.draw(actions_anywhere(codec.action_space, max_rows=6))
    enc = codec.encode(rows)
    templates = {"rt2-action-v1": DEFAULT_ACTION_TEMPLATE.text}
    examples = []
    for i, row in enumerate(rows):
        ex = Example(key=f"k{i}", image=b"x", image_format="jpg", prompt=DEFAULT_ACTION_TEMPLATE.render(instruction="go"),
                     target=enc.texts[i], kind="action", source="robot", template_id="rt2-action-v1",
                     instruction="go", episode_id="e", step=i, action_raw=tuple(row),
                     action_tokens=tuple(int(t) for t in enc.tokens[i]))
        change = data.draw(st.sampled_from(["none", "token", "raw", "text", "plan", "instruction", "chunk"]))
        if change == "token":
            tokens = list(ex.action_tokens)
            j = data.draw(st.integers(0, len(tokens) - 1))
            tokens[j] = data.draw(st.integers(0, 300))
            ex = ex.replace(action_tokens=tuple(tokens))
        elif change == "raw":
            raw = list(ex.action_raw)
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.floats(-1e3, 1e3) | st.just(float("inf")))
            ex = ex.replace(action_raw=tuple(raw))
        elif change == "text":
            ex = ex.replace(target=data.draw(st.sampled_from([" ", "0 ", " 0"])).join([ex.target, ""]) or "x")
        elif change == "plan":
            ex = ex.replace(target=action_target(ex.target, plan="reach"), plan=data.draw(st.sampled_from(["reach", None])))
        elif change == "instruction":
            ex = ex.replace(instruction=None)
        elif change == "chunk":
            ex = ex.replace(chunk_steps=2, chunk_real=1)
        examples.append(ex)
    fast = batch_checker(templates, lambda source: codec)([json.loads(e.to_json_bytes()) for e in examples])
    slow = example_checker(templates, lambda source: codec)
    for ex, ok in zip(examples, fast):
        if ok:
            assert slow(ex) == [], ex
    unchanged = [ok for ex, ok in zip(examples, fast) if not slow(ex) and ex.instruction == "go" and ex.plan is None]
    assert all(unchanged) or not unchanged or np.isinf(rows).any()
