"""``rt2data inspect`` from the shell, and ``rt2data.inspection.plot``: tables, --json, --episode, --plot pictures (checked as
images), RLDS on the fly, one-line errors, and a clear message when matplotlib is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from rt2data.cli.main import cli, main
from rt2data.inspection import MissingDependencyError, episode_table, open_output, summarize


@pytest.fixture(scope="module")
def converted(rlds_dataset, tmp_path_factory):
    from rt2data.pipelines.convert import ConvertJob, run_convert

    ds = rlds_dataset("fractal20220817_data", episodes=3, steps=7)
    out = tmp_path_factory.mktemp("inspect_cli") / "out"
    run_convert(ConvertJob(dataset_dir=str(ds), spec="fractal20220817_data"), out)
    return ds, out


def run(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


def assert_picture(path: Path, *, min_size=(600, 300)) -> None:
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] >= min_size[0] and im.size[1] >= min_size[1]
        pixels = np.asarray(im.convert("L"), dtype=float)
    assert pixels.std() > 10  # not blank


def test_summary_table(converted):
    _, out = converted
    result = run("inspect", str(out))
    assert result.exit_code == 0
    text = result.output
    assert "convert output" in text and "examples  21   episodes  3" in text
    for name in ("terminate", "dx", "dyaw", "gripper"):
        assert f"\n{name}" in text
    assert "\x1b[" not in text  # no colour when not a TTY
    assert all(len(line) <= 100 for line in text.splitlines())


def test_json_summary(converted):
    _, out = converted
    doc = json.loads(run("inspect", str(out), "--json").output)
    assert doc["summary"]["examples"] == 21 and doc["summary"]["kinds"] == {"action": 21}
    assert [d["name"] for d in doc["summary"]["usage"][0]["dims"]][:2] == ["terminate", "dx"]


def test_episode_table_and_picture(converted, tmp_path):
    _, out = converted
    picture = tmp_path / "episode.png"
    result = run("inspect", str(out), "--episode", "1", "--plot", str(picture))
    assert result.exit_code == 0
    assert "selected by index 1 of 3" in result.output and result.output.count("\nstep ") == 7
    assert "err/bin" in result.output and f"wrote {picture}" in result.output
    assert_picture(picture)
    doc = json.loads(run("inspect", str(out), "--episode", "1", "--json").output)
    assert len(doc["episode"]["steps"]) == 7 and doc["episode"]["dims"][0] == "terminate"


def test_bin_usage_picture(converted, tmp_path):
    _, out = converted
    picture = tmp_path / "bins.png"
    result = run("inspect", str(out), "--plot", str(picture))
    assert result.exit_code == 0 and picture.is_file()
    assert_picture(picture)


def test_rlds_on_the_fly(converted):
    ds, _ = converted
    doc = json.loads(run("inspect", str(ds), "--spec", "fractal20220817_data", "--max-episodes", "2", "--json").output)
    assert doc["summary"]["origin"] == "rlds" and doc["summary"]["episodes"] == 2


def test_errors_are_one_line(converted, capsys, tmp_path):
    ds, out = converted
    code, _, err = run_main(capsys, "inspect", str(out), "--episode", "no-such-episode")
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: no episode 'no-such-episode'")
    code, _, err = run_main(capsys, "inspect", str(tmp_path))
    assert code == 1 and err.count("\n") == 1 and "no manifest" in err
    code, _, err = run_main(capsys, "inspect", str(ds))
    assert code == 1 and "--spec" in err and err.count("\n") == 1
    code, _, err = run_main(capsys, "inspect", str(ds), "--spec", "no_such_spec")
    assert code == 1 and err.count("\n") == 1
    code, _, err = run_main(capsys, "inspect", str(out), "--plot", str(tmp_path / "x.notapicture"))
    assert code == 1 and "use .png" in err


def test_missing_matplotlib(converted, monkeypatch, capsys, tmp_path):
    _, out = converted
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    from rt2data.inspection.plot import plot_episode

    with pytest.raises(MissingDependencyError, match=r"pip install 'rt2data\[plot\]'"):
        plot_episode(episode_table(open_output(out), "0"), tmp_path / "x.png")
    code, _, err = run_main(capsys, "inspect", str(out), "--plot", str(tmp_path / "x.png"))
    assert code == 1 and err.count("\n") == 1 and "pip install 'rt2data[plot]'" in err
    assert not (tmp_path / "x.png").exists()


def test_plot_functions_directly(converted, tmp_path):
    from rt2data.inspection.plot import plot_bin_usage, plot_episode

    _, out = converted
    item = open_output(out)
    assert_picture(plot_episode(episode_table(item, "0"), tmp_path / "a" / "e.png", max_frames=3))
    svg = plot_bin_usage(summarize(item), tmp_path / "b.svg")
    assert svg.read_text().lstrip().startswith("<?xml")


def test_console_script(converted, tmp_path):
    _, out = converted
    exe = shutil.which("rt2data") or str(Path(sys.executable).parent / "rt2data")
    picture = tmp_path / "p.png"
    proc = subprocess.run([exe, "inspect", str(out), "--episode", "0", "--plot", str(picture)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "step 0" in proc.stdout and picture.is_file()
