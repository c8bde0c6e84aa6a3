"""The README stays true: its two set-up commands are what CI runs, its quickstart and codec snippet run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.DOTALL)


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_exactly_two_setup_commands_and_ci_runs_them():
    (setup,) = re.findall(r"```bash\n(.*?)```", section("Set up"), flags=re.DOTALL)
    commands = [line for line in setup.splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text()
    for command in commands:
        assert command in ci, f"CI does not run the README's command: {command}"


@pytest.mark.slow
def test_quickstart_runs_as_written(tmp_path):
    (quick,) = re.findall(r"```bash\n(.*?)```", section("Quickstart"), flags=re.DOTALL)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", MPLBACKEND="Agg")
    subprocess.run([sys.executable, "-m", "rt2data.cli.main", "-q", "demo", ".demo-out", "--no-plots"], cwd=tmp_path,
                   env=env, check=True, capture_output=True, timeout=600)
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", quick], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "1 128 128 128 128 128 128 255" in proc.stdout
    assert "out/bridge: ok:" in proc.stdout
    assert (tmp_path / "episode.png").stat().st_size > 10_000
    assert (tmp_path / "out" / "mix" / "manifest.json").is_file()


def test_codec_snippet_prints_what_it_says():
    (snippet,) = [b for b in blocks("python") if "ActionCodec.rt2_default()" in b]
    runnable = snippet.split("codec = ActionCodec.from_file")[0]  # the last line needs an output directory
    proc = subprocess.run([sys.executable, "-c", runnable], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines()[0] == "1 128 192 64 128 128 128 255"
