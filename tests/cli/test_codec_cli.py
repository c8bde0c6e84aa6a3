"""``rt2data tokenize`` / ``detokenize`` / ``vocab``: CliRunner for the happy paths, the real console script for errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from rt2data.codec.action_space import ActionSpace, Dimension
from rt2data.cli.main import cli
from rt2data.codec.action_codec import ActionCodec

EXAMPLE = "1 128 128 128 128 128 128 255"
CENTERS = [1.0, 1 / 256, 1 / 256, 1 / 256, 1 / 256, 1 / 256, 1 / 256, 1 - 1 / 256]


def run_cli(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result


def script(*args: str, input: str = "") -> subprocess.CompletedProcess:
    exe = shutil.which("rt2data")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "rt2data.cli.main", *args]
    return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=60)


def test_tokenize_stdin_and_argument():
    result = run_cli("tokenize", input="[[1,0,0,0,0,0,0,1]]\n")
    assert result.exit_code == 0 and result.stdout == EXAMPLE + "\n" and result.stderr == ""
    assert run_cli("tokenize", "[1,0,0,0,0,0,0,1]").stdout == EXAMPLE + "\n"
    many = run_cli("tokenize", input="[[1,0,0,0,0,0,0,1],\n [0,-1,0.5,0,0,0,0,-1]]")
    assert many.stdout.splitlines() == [EXAMPLE, "0 0 192 128 128 128 128 0"]
    jsonl = run_cli("tokenize", input="[1,0,0,0,0,0,0,1]\n\n[[0,-1,0.5,0,0,0,0,-1]]\n")
    assert jsonl.stdout.splitlines() == [EXAMPLE, "0 0 192 128 128 128 128 0"]


def test_detokenize_inverts_tokenize():
    result = run_cli("detokenize", input=EXAMPLE + "\n")
    assert result.exit_code == 0
    assert [json.loads(line) for line in result.stdout.splitlines()] == [CENTERS]
    assert json.loads(run_cli("detokenize", EXAMPLE).stdout) == CENTERS
    two = run_cli("detokenize", input=f"{EXAMPLE}\r\n0 0 0 0 0 0 0 0\r\n")
    assert len(two.stdout.splitlines()) == 2
    again = run_cli("tokenize", input=json.dumps([json.loads(line) for line in two.stdout.splitlines()]))
    assert again.stdout.splitlines() == [EXAMPLE, "0 0 0 0 0 0 0 0"]


def test_clip_warning_on_stderr():
    result = run_cli("tokenize", "[[1,0,2,0,0,0,0,1],[0,-3,0,0,0,0,0,9]]")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["1 128 255 128 128 128 128 255", "0 0 128 128 128 128 128 255"]
    assert result.stderr == "warning: clipped 3 value(s) to the action space: dx=1, dy=1, gripper=1\n"


def test_action_space_and_manifest_options(tmp_path):
    space = ActionSpace((Dimension.continuous("x", 0, 10, bins=10), Dimension.discrete("t", 3)))
    (tmp_path / "space.json").write_text(json.dumps(space.to_json()))
    result = run_cli("tokenize", "--action-space", str(tmp_path / "space.json"), "[[3.5, 2], [10, 0]]")
    assert result.stdout.splitlines() == ["3 2", "9 0"]
    codec = ActionCodec.from_stats({"q01": [0] + [-0.1] * 7, "q99": [1] + [0.1] * 7})
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"codec": codec.to_json(), "shards": []}))
    result = run_cli("tokenize", "--manifest", str(out), "[1, 0.05, 0, 0, 0, 0, 0, 1]")
    assert result.stdout.strip() == "1 192 128 128 128 128 128 255"
    decoded = json.loads(run_cli("detokenize", "--manifest", str(out / "manifest.json"), "1 192 128 128 128 128 128 255").stdout)
    assert decoded[1] == pytest.approx(0.05 + 0.1 / 256)  # bin center in raw units
    both = CliRunner().invoke(cli, ["tokenize", "--manifest", str(out), "--action-space", str(tmp_path / "space.json"), "[1]"])
    assert both.exit_code == 2 and "not both" in both.output


def test_vocab_command(tmp_path):
    result = run_cli("vocab", "--strategy", "reserved_last", "--vocab-size", "32000", "-o", str(tmp_path / "cds.json"))
    assert result.exit_code == 0 and "256 action tokens" in result.stdout
    data = json.loads((tmp_path / "cds.json").read_text())
    assert data["positions"][0]["legal"] == [31999, 31998] and data["codec"] == ActionCodec().to_json()
    (tmp_path / "freq.json").write_text(json.dumps(list(range(1000, 0, -1))))
    result = run_cli("vocab", "--strategy", "reserved_least_frequent", "--frequencies", str(tmp_path / "freq.json"),
                     "--exclude", "999", "-o", str(tmp_path / "lf.json"))
    assert result.exit_code == 0
    legal = json.loads((tmp_path / "lf.json").read_text())["positions"][1]["legal"]
    assert legal[:3] == [998, 997, 996] and len(legal) == 256
    result = run_cli("vocab", "--strategy", "integer_text", "-o", str(tmp_path / "it.json"))
    assert json.loads((tmp_path / "it.json").read_text())["positions"][7]["legal"][-1] == "255"


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (["tokenize"], "[[1,0,0,0,0,0,0]]", "error: action row 0: expected 8 numbers, got 7"),
        (["tokenize"], "[[1,0,0,0,0,0,0,1],[1,0,0,0,\"a\",0,0,1]]", 'error: action row 1, position 5: "a" is not a number'),
        (["tokenize"], "[[1,0,0,0,0,0,0,1]", "error: invalid JSON at line 1 column 19"),
        (["tokenize"], "[1,0,0,0,0,0,0,1]\n[1,0,NaN,0,0,0,0,1]\n",
         "error: line 2: action row 0, dimension 'dy' (index 2): value nan is not finite"),
        (["tokenize", "--out-of-range", "error"], "[[1,0,0,0,0,0,0,1],[1,0,0,0,0,0,0,2]]",
         "error: action row 1, dimension 'gripper' (index 7): value 2.0 is out of range"),
        (["tokenize"], "", "error: no input"),
        (["detokenize"], "1 128 128 128 128 128 128 255\n1 128  128 128 128 128 128 255\n",
         "error: line 2: action string '1 128  128 128 128 128 128 255': position 3 (dimension 'dy'): empty token (double space)"),
        (["detokenize"], "1 x 128 128 128 128 128 255\n", "error: line 1: action string '1 x 128 128 128 128 128 255': position 2 (dimension 'dx'): bad token 'x'"),
        (["detokenize"], "1 128 128\n", "error: line 1: action string '1 128 128': expected 8 tokens, got 3"),
        (["detokenize"], "1 -1 128 128 128 128 128 255\n", "position 2 (dimension 'dx'): bad token '-1': signs are not allowed"),
        (["detokenize"], "1 128 128 128 128 128 128 256\n", "position 8 (dimension 'gripper'): token '256' is out of range 0..255"),
        (["vocab", "--strategy", "bpe", "-o", "/dev/null"], "", "error: unknown token strategy 'bpe'"),
    ],
)
def test_malformed_input_one_error_line_nonzero_exit(args, stdin, message):
    proc = script(*args, input=stdin)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_console_script_round_trip_and_debug():
    proc = script("tokenize", input="[[1,0,0,0,0,0,0,1]]")
    assert proc.returncode == 0 and proc.stdout == EXAMPLE + "\n"
    proc = script("detokenize", input=proc.stdout)
    assert proc.returncode == 0 and json.loads(proc.stdout) == CENTERS
    proc = script("--debug", "detokenize", "1 2")
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "ParseError" in proc.stderr
