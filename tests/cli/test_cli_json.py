"""The CLI fits the shell (issue 13): ``--json`` on every command that reports (one shared helper), ``stats -o``
prints one line, ``rt2data info``, ``python -m rt2data``, shell completion of spec, strategy and runner names, and
error texts that name CLI flags. The convert/mix runs are real (FnApiRunner) on a tiny tfds-built dataset."""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from PIL import Image

from rt2data.cli.main import COMMANDS, cli, main
from rt2data.codec.vocab import STRATEGIES
from rt2data.spec.model import list_specs

REPORTING = [["convert"], ["mix"], ["stats"], ["schemas", "list"], ["schemas", "check"], ["vocab"], ["inspect"],
             ["validate"], ["info"]]


def invoke(*args: object) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def complete(words: str) -> list[str]:
    """What completion offers for the last word of ``rt2data WORDS`` (in process, as click's shells ask it)."""
    from click.shell_completion import ShellComplete

    *args, incomplete = words.split(" ")
    completer = ShellComplete(cli, {}, "rt2data", "_RT2DATA_COMPLETE")
    return [item.value for item in completer.get_completions(args, incomplete)]


@pytest.mark.parametrize("path", REPORTING, ids=" ".join)
def test_every_reporting_command_has_json(path):
    command = cli
    ctx = click.Context(cli)
    for name in path:
        command = command.get_command(ctx, name)
    assert any("--json" in p.opts for p in command.params), f"rt2data {' '.join(path)} has no --json"
    assert {p[0] for p in REPORTING} <= set(COMMANDS)


def test_python_dash_m_runs_the_command():
    proc = subprocess.run([sys.executable, "-m", "rt2data", "schemas", "list", "--json"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [row["name"] for row in json.loads(proc.stdout)] == list_specs()


def test_schemas_list_json_matches_the_text():
    rows = json.loads(invoke("schemas", "list", "--json"))
    text = invoke("schemas", "list").splitlines()
    assert len(rows) == len(text) == len(list_specs())
    assert all(line.split()[0] == row["name"] and line.endswith(row["description"]) for line, row in zip(text, rows))


def test_vocab_json(tmp_path):
    summary = json.loads(invoke("vocab", "--strategy", "reserved_last", "--vocab-size", "32000", "-o",
                                tmp_path / "v.json", "--json"))
    written = json.loads((tmp_path / "v.json").read_text())
    assert summary == {"path": str(tmp_path / "v.json"), "strategy": "reserved_last",
                       "positions": len(written["positions"]), "action_tokens": len(written["action_tokens"])}
    assert summary["positions"] == 8 and summary["action_tokens"] == 256


def test_info_names_versions_extras_and_runners():
    data = json.loads(invoke("info", "--json"))
    versions = data["versions"]
    assert versions["python"] == f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    for name in ("rt2data", "apache-beam", "tensorflow-datasets", "numpy"):
        assert versions[name], name
    assert set(data["extras"]) >= {"test", "plot", "dask", "tensorflow", "torch"}
    test_extra = data["extras"]["test"]
    assert test_extra["requires"]["pytest"] == importlib.metadata.version("pytest")  # the tests run with pytest
    assert test_extra["installed"] == all(v is not None for v in test_extra["requires"].values())
    runners = {row["name"]: row for row in data["runners"]}
    assert runners["local"]["default_for"] == ["convert", "stats"] and runners["local"]["available"]
    assert runners["FnApiRunner"]["default_for"] == ["mix"] and runners["FnApiRunner"]["available"]
    assert runners["DaskRunner"]["available"]  # dask is in the test extra
    text = invoke("info")
    assert "apache-beam" in text and "FnApiRunner" in text and "extras:" in text


def test_completion_offers_specs_strategies_and_runners():
    assert complete("convert in out --spec bri") == [n for n in list_specs() if n.startswith("bri")]
    assert complete("schemas show fr") == ["fractal20220817_data"]
    assert complete("inspect out --spec lang") == ["language_table"]
    assert complete("vocab --strategy ") == sorted(STRATEGIES)
    assert complete("mix m.yaml out --runner Da") == ["DaskRunner", "DataflowRunner"]
    assert complete("convert in out --runner lo") == ["local"]
    assert "info" in complete("in")


def test_bash_completion_through_the_installed_entry_point():
    """The README's ``eval "$(_RT2DATA_COMPLETE=bash_source rt2data)"`` protocol, end to end."""
    env = {**os.environ, "COMP_WORDS": "rt2data convert in out --spec bridge_d", "COMP_CWORD": "5",
           "_RT2DATA_COMPLETE": "bash_complete"}
    proc = subprocess.run([sys.executable, "-m", "rt2data"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"plain,{n}" for n in list_specs() if n.startswith("bridge_d")]
    assert "plain,bridge_dataset" in proc.stdout


def test_out_of_range_error_names_the_flag(capsys):
    with pytest.raises(SystemExit) as info:
        main(["tokenize", "--out-of-range", "error", "[[1, 2, 0, 0, 0, 0, 0, 1]]"])
    err = capsys.readouterr().err
    assert info.value.code == 1
    assert "--out-of-range clip" in err and "out_of_range=" not in err and "'dx'" in err


# ------------------------------------------------------------------------------- real runs: convert, stats, mix
@pytest.fixture(scope="module")
def made(rlds_dataset, tmp_path_factory) -> dict:
    import webdataset as wds

    root = tmp_path_factory.mktemp("cli_json")
    ds = rlds_dataset("bridge_dataset", episodes=4, steps=5)
    convert = json.loads(invoke("convert", ds, root / "bridge", "--spec", "bridge_dataset", "--json"))
    (root / "web").mkdir()
    with wds.TarWriter(str(root / "web" / "c-000000.tar")) as sink:
        for i in range(4):
            buf = io.BytesIO()
            Image.new("RGB", (8, 8), (60 * i, 90, 200)).save(buf, format="PNG")
            sink.write({"__key__": f"c{i}", "png": buf.getvalue(), "txt": f"a square {i}"})
    (root / "mix.yaml").write_text(
        "seed: 0\noutput: {examples: 12, shard_examples: 6}\nsources:\n"
        "  - {name: robot, kind: examples, path: bridge, weight: 0.5}\n"
        "  - {name: web, kind: caption, format: wds, path: web/c-000000.tar, weight: 0.5}\n")
    mix = json.loads(invoke("mix", root / "mix.yaml", root / "mix", "--image-format", "png", "--json"))
    return {"root": root, "dataset": ds, "convert": convert, "mix": mix}


@pytest.mark.slow
def test_convert_json(made):
    data, out = made["convert"], made["root"] / "bridge"
    manifest = json.loads((out / "manifest.json").read_text())
    assert data["examples"] == data["input_steps"] == manifest["accounting"]["written"] == 20
    assert data["shards"] == {"wds": len(manifest["shards"]["wds"])} and data["dropped"] == {}
    assert data["out_dir"] == str(out)


@pytest.mark.slow
def test_mix_json_and_check_json(made):
    data = made["mix"]
    assert data["examples"] == 12 and data["formats"] == ["wds"] and data["shards"] == {"wds": 2}
    assert set(data["sources"]) == {"robot", "web"}
    assert sum(s["examples"] for s in data["sources"].values()) == 12
    from rt2data.shards import iter_examples

    stored = list(iter_examples(made["root"] / "mix"))
    assert {ex.image_format for ex in stored} == {"png"}  # --image-format png: the robot JPEGs were stored as PNG
    assert all(Image.open(io.BytesIO(ex.image)).format == "PNG" for ex in stored)
    check = json.loads(invoke("mix", made["root"] / "mix.yaml", made["root"] / "unused", "--check", "--json"))
    assert check["ok"] is True and set(check["sources"]) == {"robot", "web"}
    assert not (made["root"] / "unused").exists()


@pytest.mark.slow
def test_stats_output_file_prints_one_line(made, tmp_path):
    out = tmp_path / "stats.json"
    text = invoke("stats", made["dataset"], "--spec", "bridge_dataset", "-o", out)
    assert text.count("\n") == 1 and text.startswith(f"wrote {out}: bridge_dataset") and "20 transitions" in text
    doc = json.loads(out.read_text())
    assert doc["bridge_dataset"]["num_transitions"] == 20
    summary = json.loads(invoke("stats", made["dataset"], "--spec", "bridge_dataset", "-o", out, "--json"))
    assert summary["num_transitions"] == 20 and summary["num_trajectories"] == 4 and summary["path"] == str(out)


@pytest.mark.slow
def test_inspect_and_validate_json(made):
    for name in ("bridge", "mix"):
        out = made["root"] / name
        summary = json.loads(invoke("inspect", out, "--json"))["summary"]
        assert summary  # the same JSON helper as every other command
        report = json.loads(invoke("validate", out, "--json"))
        assert report["ok"] is True
