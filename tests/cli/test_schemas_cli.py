"""``rt2data schemas list | show | check``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from rt2data.cli.main import cli, main
from rt2data.spec.model import list_specs, spec_path


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_list_shows_every_spec_with_its_summary(runner):
    result = runner.invoke(cli, ["schemas", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == list_specs()
    assert any(line.startswith("fractal20220817_data") and "RT-1" in line for line in lines)


def test_show_prints_the_yaml(runner):
    result = runner.invoke(cli, ["schemas", "show", "language_table"])
    assert result.exit_code == 0
    assert result.output == spec_path("language_table").read_text()
    assert yaml.safe_load(result.output)["instruction"]["encoding"] == "utf8_codes"


def test_check_ok(runner, rlds_dataset):
    path = rlds_dataset("jaco_play")
    result = runner.invoke(cli, ["schemas", "check", "jaco_play", str(path.parent)])
    assert result.exit_code == 0, result.output
    first, semantics = result.output.splitlines()[:2]
    assert first == f"ok: spec jaco_play matches {path / 'features.json'}"
    assert semantics == ("semantics: records eef_delta (frame base, rotation none, units unstated), gripper relative "
                         "(closed_high); output space eef_delta; canonical RT-2 space: yes")


def test_list_shows_space_gripper_and_canonical(runner):
    result = runner.invoke(cli, ["schemas", "list"])
    rows = {line.split()[0]: line for line in result.output.splitlines()}
    assert "eef_delta[8]" in rows["fractal20220817_data"] and "gripper relative " in rows["fractal20220817_data"]
    assert "canonical yes" in rows["fractal20220817_data"]
    assert "joint_delta[9]" in rows["berkeley_mvp_converted_externally_to_rlds"]
    assert "canonical no" in rows["berkeley_mvp_converted_externally_to_rlds"]
    assert rows["tidybot"].split()[1] == "refused"


def test_check_names_a_refusal(runner, tmp_path):
    (tmp_path / "features.json").write_text("{}")
    result = runner.invoke(cli, ["schemas", "check", "vima_converted_externally_to_rlds", str(tmp_path)])
    assert result.exit_code == 1 and result.output.startswith("refused: spec vima_converted_externally_to_rlds ")


def test_check_mismatch_lists_every_problem_and_exits_1(runner, rlds_dataset):
    path = rlds_dataset("toto")
    result = runner.invoke(cli, ["schemas", "check", "roboturk", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"spec roboturk does not match {path / 'features.json'}: 2 mismatch(es)"
    assert lines[1].startswith("  - steps/observation/front_rgb (primary image): missing; steps/observation has")
    assert lines[2].startswith("  - steps/action/gripper_closedness_action (action gripper): missing; steps/action has")


def test_check_a_user_spec_file(runner, rlds_dataset, tmp_path):
    data = yaml.safe_load(spec_path("generic_flat_eef").read_text())
    data["name"] = "mine"
    del data["images"]["wrist"]
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data))
    result = runner.invoke(cli, ["schemas", "check", str(path), str(rlds_dataset("generic_flat_eef"))])
    assert result.exit_code == 0 and result.output.startswith("ok: spec mine matches ")


def test_errors_are_one_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["schemas", "check", "no_such_spec", str(tmp_path)])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no dataset spec named 'no_such_spec'; shipped specs: [") and err.count("\n") == 1
    with pytest.raises(SystemExit):
        main(["schemas", "check", "bridge_oxe_v0", str(tmp_path)])
    assert "no features.json or dataset_info.json here" in capsys.readouterr().err


@pytest.mark.shared
def test_console_script_checks_real_features_json(shared_data):
    exe = shutil.which("rt2data")
    cmd = [exe] if exe else [sys.executable, "-m", "rt2data.cli.main"]
    real = shared_data / "oxe_feature_json" / "language_table"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    ok = subprocess.run([*cmd, "schemas", "check", "language_table", str(real)], capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok: spec language_table matches ") and "0.0.1/features.json" in ok.stdout
    bad = subprocess.run([*cmd, "schemas", "check", "bridge_oxe_v0", str(real)], capture_output=True, text=True, env=env)
    assert bad.returncode == 1
    assert "steps/action/world_vector (action): missing" in bad.stdout
    assert "steps/observation/natural_language_instruction (instruction): missing" in bad.stdout


def test_console_script_lists_specs():
    exe = shutil.which("rt2data")
    cmd = [exe] if exe else [sys.executable, "-m", "rt2data.cli.main"]
    out = subprocess.run([*cmd, "schemas", "list"], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert [line.split()[0] for line in out.stdout.splitlines()] == list_specs()
