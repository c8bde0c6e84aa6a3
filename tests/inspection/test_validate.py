"""rt2data.inspection.validate / ``rt2data validate``: a good output passes; a tampered byte, a wrong target, a prompt that is not
its template, tokens that disagree with the raw action are each caught, located and make the command exit non-zero."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from rt2data.cli.main import cli
from rt2data.codec.action_codec import ActionCodec
from rt2data.example import Example
from rt2data.prompt import DEFAULT_ACTION_TEMPLATE, action_target
from rt2data.shards import Accounting, Manifest, write_manifest, write_shards
from rt2data.inspection.validate import example_checker, prompt_problem, template_regex, validate_output

CODEC = ActionCodec.rt2_default()
TEMPLATES = {"rt2-action-v1": DEFAULT_ACTION_TEMPLATE.text, "caption-v1": "Caption:", "vqa-v1": "Q: {question} A:"}


def jpeg(i: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (i * 9 % 256, 50, 100)).save(buf, format="JPEG")
    return buf.getvalue()


def action(i: int, **changes) -> Example:
    rng = np.random.default_rng(i)
    raw = np.concatenate([[float(i % 5 == 4)], rng.uniform(-0.9, 0.9, 6), [1.0 if i % 2 else -1.0]])
    enc = CODEC.encode(raw[None])
    fields = dict(key=f"robot-{i:04d}", image=jpeg(i), image_format="jpg",
                  prompt=DEFAULT_ACTION_TEMPLATE.render(instruction="pick the block"), target=enc.texts[0],
                  kind="action", source="robot", template_id="rt2-action-v1", instruction="pick the block",
                  episode_id=f"ep{i // 5}", step=i % 5, action_raw=tuple(raw), action_tokens=tuple(enc.tokens[0]))
    fields.update(changes)
    return Example(**fields)


def web(i: int, kind: str, **changes) -> Example:
    prompt, target, tid = (("Caption:", f"a picture {i}", "caption-v1") if kind == "caption"
                           else (f"Q: what is {i}? A:", str(i), "vqa-v1"))
    fields = dict(key=f"{kind}-{i:04d}", image=jpeg(100 + i), image_format="jpg", prompt=prompt, target=target,
                  kind=kind, source=kind, template_id=tid)
    fields.update(changes)
    return Example(**fields)


def write_output(out: Path, examples, *, codec=CODEC, kind="convert", sources=None, formats=("wds", "tfrecord"),
                 templates=TEMPLATES, config=None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    shards = {fmt: write_shards(out, examples, fmt=fmt, prefix="t", shard_examples=8, record_progress=False)
              for fmt in formats}
    write_manifest(out, Manifest(
        kind=kind, config=config or {"test": 1}, shards=shards, accounting=Accounting(len(examples), len(examples)),
        codec=codec.to_json() if codec else None, templates=templates,
        sources=sources if sources is not None else {"robot": {"kind": "action"}}))
    return out


def good_examples() -> list[Example]:
    return [action(i) for i in range(12)] + [web(i, "caption") for i in range(3)] + [web(i, "vqa") for i in range(3)]


def test_good_output_passes(tmp_path):
    out = write_output(tmp_path / "o", good_examples())
    report = validate_output(out)
    assert report.ok, report.problems
    assert report.examples_checked == 2 * 18 and report.shards_checked == 6


@pytest.mark.parametrize("fmt", ["wds", "tfrecord"])
@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_a_tampered_byte_is_caught(tmp_path, fmt, where):
    out = write_output(tmp_path / "o", good_examples())
    shard = sorted(out.glob(f"t-*.{'tar' if fmt == 'wds' else 'tfrecord'}"))[1]
    data = bytearray(shard.read_bytes())
    data[int(len(data) * where)] ^= 0x20
    shard.write_bytes(bytes(data))
    report = validate_output(out)
    assert not report.ok
    assert any(p.shard == shard.name and "sha256" in p.message for p in report.problems)


def _problems(tmp_path, examples, **kw) -> list[str]:
    report = validate_output(write_output(tmp_path / "o", examples, formats=("wds",), **kw))
    assert not report.ok
    return [f"{p.key}: {p.message}" for p in report.problems]


def test_target_that_does_not_parse(tmp_path):
    bad = action(3)
    bad = bad.replace(target=" ".join(bad.target.split()[:-1]))
    [problem] = _problems(tmp_path, [action(0), bad])
    assert problem.startswith("robot-0003:") and "expected 8 tokens" in problem


def test_target_out_of_the_action_space(tmp_path):
    bad = action(1)
    bad = bad.replace(target="2 " + bad.target.split(" ", 1)[1])
    [problem] = _problems(tmp_path, [bad])
    assert "out of range 0..1" in problem and "terminate" in problem


def test_target_tokens_differ_from_action_tokens(tmp_path):
    bad = action(2)
    tokens = list(bad.action_tokens)
    tokens[3] = (tokens[3] + 7) % 256
    problems = _problems(tmp_path, [bad.replace(target=" ".join(map(str, tokens)))])
    assert any("differ from action_tokens" in p for p in problems)


def test_raw_action_that_encodes_to_other_tokens(tmp_path):
    bad = action(4)
    raw = list(bad.action_raw)
    raw[2] = -raw[2] + 0.3
    [problem] = _problems(tmp_path, [bad.replace(action_raw=tuple(raw))])
    assert "action_raw encodes to" in problem


def test_prompt_must_be_the_recorded_template(tmp_path):
    problems = _problems(tmp_path, [action(5, prompt="Q: what should the robot do to pick the block? A:"),
                                    action(6, template_id="my-template"),
                                    web(1, "caption", prompt="Describe:"), web(2, "vqa", prompt="what is 2?")])
    assert len(problems) == 4
    assert "robot-0005" in problems[0] and "rendered" in problems[0]
    assert "'my-template' is not among the manifest's templates" in problems[1]
    assert "caption-0001" in problems[2] and "vqa-0002" in problems[3]


def test_instructionless_action_uses_the_placeholder(tmp_path):
    from rt2data.prompt import DEFAULT_PLACEHOLDER

    ok = action(7, instruction=None, prompt=DEFAULT_ACTION_TEMPLATE.render(instruction=DEFAULT_PLACEHOLDER))
    assert validate_output(write_output(tmp_path / "o", [ok], formats=("wds",))).ok


def test_plan_targets(tmp_path):
    base = action(8)
    good = base.replace(target=action_target(base.target, plan="reach the block"), plan="reach the block")
    bad = action(9).replace(target=action_target(action(9).target, plan="reach"), plan="grasp")
    problems = _problems(tmp_path, [good, bad])
    assert problems == ["robot-0009: target's plan 'reach' differs from the plan field 'grasp'"]


def test_web_example_with_action_fields(tmp_path):
    problems = _problems(tmp_path, [web(1, "caption", action_tokens=(1, 2))])
    assert any("action fields ['action_tokens']" in p for p in problems)


def test_template_regex_and_prompt_problem():
    assert template_regex("Q: {question} A:").fullmatch("Q: what is {this}? A:")
    assert not template_regex("Q: {question} A:").fullmatch("Q:  A:")
    assert template_regex("Caption {{literal}}:").fullmatch("Caption {literal}:")
    assert prompt_problem(web(1, "caption"), {"caption-v1": "(not recorded in the source's manifest)"})
    assert "not usable" in prompt_problem(action(1), {"rt2-action-v1": "no placeholder"})
    assert example_checker(TEMPLATES, lambda s: CODEC)(action(1)) == []


def test_mix_output_without_a_codec_is_a_problem(tmp_path):
    out = write_output(tmp_path / "o", [action(0)], codec=None, kind="mix", formats=("wds",),
                       sources={"robot": {"kind": "examples"}})
    report = validate_output(out)
    assert not report.ok and any("no codec recorded for robot source 'robot'" in p.message for p in report.problems)


def test_mix_output_codec_from_its_source(tmp_path):
    """A mixture manifest without codecs: the codec comes from the convert output its config names."""
    write_output(tmp_path / "robot", [action(0)], formats=("wds",))
    config = {"sources": [{"name": "robot", "kind": "examples", "options": {"path": "robot"}}]}
    out = write_output(tmp_path / "mix", [action(0)], codec=None, kind="mix", formats=("wds",),
                       sources={"robot": {"kind": "examples"}}, config=config)
    assert validate_output(out).ok


def test_missing_manifest(tmp_path):
    report = validate_output(tmp_path)
    assert not report.ok and "no manifest" in report.problems[0].message


# ------------------------------------------------------------------------------------------------------ CLI
def test_cli_ok_and_failure(tmp_path):
    out = write_output(tmp_path / "o", good_examples())
    runner = CliRunner()
    ok = runner.invoke(cli, ["validate", str(out)])
    assert ok.exit_code == 0 and "ok: 6 shard files, 36 examples" in ok.output
    shard = out / "t-000000.tar"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 1
    shard.write_bytes(bytes(data))
    bad = runner.invoke(cli, ["validate", str(out), "--show", "1"])
    assert bad.exit_code == 1
    assert "shard t-000000.tar" in bad.output and "failed validation" in bad.output
    as_json = runner.invoke(cli, ["validate", str(out), "--json"])
    assert as_json.exit_code == 1 and json.loads(as_json.output.split("\nerror:")[0])["ok"] is False


def test_console_script_exit_codes(tmp_path):
    out = write_output(tmp_path / "o", good_examples(), formats=("wds",))
    exe = shutil.which("rt2data") or str(Path(sys.executable).parent / "rt2data")
    good = subprocess.run([exe, "validate", str(out)], capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stderr
    (out / "t-000001.tar").write_bytes((out / "t-000001.tar").read_bytes()[:-512])
    bad = subprocess.run([exe, "validate", str(out)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert bad.stderr.strip().count("\n") == 0 and bad.stderr.startswith("error: ")
    assert "t-000001.tar" in bad.stdout
