"""Everyday use of the ``rt2data`` command: --version, an example in every command's --help, -q / -v, user errors as
one line with a non-zero exit, a traceback only with --debug."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import rt2data
from rt2data.cli.main import COMMANDS, cli, main


def exe() -> str:
    return shutil.which("rt2data") or str(Path(sys.executable).parent / "rt2data")


def all_commands() -> list[list[str]]:
    """Every command path: top-level commands and the subcommands of groups."""
    paths = []
    ctx = click.Context(cli)
    for name in sorted(COMMANDS):
        command = cli.get_command(ctx, name)
        paths.append([name])
        if isinstance(command, click.Group):
            paths += [[name, sub] for sub in sorted(command.list_commands(ctx))]
    return paths


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"rt2data, version {rt2data.__version__}"
    proc = subprocess.run([exe(), "--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and rt2data.__version__ in proc.stdout


def test_every_command_is_registered_and_importable():
    names = {p[0] for p in all_commands()}
    assert {"inspect", "validate", "demo", "convert", "mix", "vocab"} <= names


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p))
def test_help_shows_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"rt2data {' '.join(path)} --help has no example"
    example_lines = result.output.split("Example", 1)[1].splitlines()[1:3]
    assert any(line.strip().startswith(("rt2data", "echo", "python")) for line in example_lines)


def test_top_level_help_has_an_example():
    result = CliRunner().invoke(cli, ["--help"])
    assert "rt2data demo" in result.output


@pytest.mark.parametrize("argv,code,fragment", [
    (["validate"], 2, "Missing argument 'OUT_DIR'"),
    (["validate", "/no/such/dir"], 2, "does not exist"),
    (["no-such-command"], 2, "No such command"),
    (["validate", ".", "--show", "0"], 2, "--show"),
    (["inspect", "."], 1, "no manifest"),
    (["validate", "."], 1, "failed validation"),
])
def test_user_errors_are_one_line(capsys, argv, code, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == code
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], err


def test_debug_shows_the_traceback(tmp_path):
    plain = subprocess.run([exe(), "inspect", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.strip().splitlines() == [plain.stderr.strip()]
    debug = subprocess.run([exe(), "--debug", "inspect", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "OutputError" in debug.stderr


def test_quiet_and_verbose_flags_are_accepted(tmp_path):
    for flags in (["-q"], ["-v"], ["-vv"], ["--quiet"]):
        result = CliRunner().invoke(cli, [*flags, "inspect", str(tmp_path)])
        assert result.exit_code != 0 and "no manifest" in str(result.exception)
