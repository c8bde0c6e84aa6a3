"""Every user error of the issue's list is one line (``error: ...``) and a non-zero exit, without a traceback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import webdataset as wds
from PIL import Image

from rt2data.cli.main import main
from rt2data.errors import ConfigError, SpecError
from rt2data.example import Example
from rt2data.shards import Accounting, Manifest, write_manifest, write_shards


def _run(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    err = capsys.readouterr().err
    return info.value.code, err


def _one_line(code: int, err: str, *needles: str) -> None:
    assert code != 0, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (9, 9, 9)).save(buf, format="JPEG")
    return buf.getvalue()


@pytest.fixture()
def mixture(tmp_path) -> Path:
    with wds.TarWriter(str(tmp_path / "caps-000000.tar")) as sink:
        sink.write({"__key__": "a", "jpg": _jpeg(), "txt": "a caption"})
    path = tmp_path / "mix.yaml"
    path.write_text("seed: 0\noutput: {examples: 2, shard_examples: 2}\n"
                    "sources:\n  - {name: caps, kind: caption, format: wds, path: caps-000000.tar, weight: 1}\n")
    return path


def _robot_output(out: Path) -> None:
    out.mkdir()
    examples = [Example(key=f"r{i}", image=_jpeg(), image_format="jpg", prompt="Caption:", target="x",
                        kind="caption", source="robot", template_id="caption-v1") for i in range(4)]
    infos = write_shards(out, examples, fmt="wds", prefix="r", shard_examples=2, record_progress=False)
    write_manifest(out, Manifest(kind="convert", config={"t": 1}, shards={"wds": infos},
                                 accounting=Accounting(4, 4), templates={"caption-v1": "Caption:"}))


@pytest.mark.parametrize("where", ["under_a_file", "proc"])
def test_output_that_cannot_be_written_is_one_line(rlds_dataset, mixture, tmp_path, capsys, where):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "out" if where == "under_a_file" else Path("/proc/rt2data-out")
    ds_dir = rlds_dataset("bridge_dataset", episodes=1, steps=2, shards=1)
    _one_line(*_run(capsys, "convert", ds_dir, out, "--spec", "bridge_dataset"))
    _one_line(*_run(capsys, "mix", mixture, out))
    _one_line(*_run(capsys, "vocab", "--strategy", "reserved_last", "--vocab-size", "1000", "-o", out / "v.json"))


def test_non_utf8_stdin(capsys, monkeypatch):
    class Stdin(io.BytesIO):
        def isatty(self) -> bool:
            return False

    for command, data in (("tokenize", b"[[1,0,0,0,0,0,0,1]]\n\xff"), ("detokenize", b"\xfe1 2 3")):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(Stdin(data)))
        code, err = _run(capsys, command)
        _one_line(code, err, "stdin is not UTF-8 text", "byte 0x")


def test_inspect_of_an_output_with_a_missing_shard(tmp_path, capsys):
    out = tmp_path / "robot"
    _robot_output(out)
    (out / "r-000001.tar").unlink()
    _one_line(*_run(capsys, "inspect", out), "r-000001.tar", "missing")


def test_mix_check_checks_the_shards_of_examples_sources(tmp_path, capsys):
    _robot_output(tmp_path / "robot")
    path = tmp_path / "mix.yaml"
    path.write_text("seed: 0\noutput: {examples: 2, shard_examples: 2}\n"
                    "sources:\n  - {name: robot, kind: examples, path: robot, weight: 1}\n")
    code, _ = _run(capsys, "mix", path, tmp_path / "out", "--check")
    assert code == 0
    (tmp_path / "robot" / "r-000000.tar").unlink()
    _one_line(*_run(capsys, "mix", path, tmp_path / "out", "--check"), "r-000000.tar", "missing", "'robot'")
    assert not (tmp_path / "out").exists()


def test_unknown_runner(rlds_dataset, tmp_path, capsys):
    ds_dir = rlds_dataset("bridge_dataset", episodes=1, steps=2, shards=1)
    _one_line(*_run(capsys, "convert", ds_dir, tmp_path / "out", "--spec", "bridge_dataset", "--runner", "Nope"),
              "--runner 'Nope' is not a Beam runner", "FnApiRunner")


def test_ctrl_c_exits_130_with_one_line(rlds_dataset, tmp_path, capsys, monkeypatch):
    import rt2data.pipelines.convert as convert_pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(convert_pipeline, "run_convert", interrupted)
    ds_dir = rlds_dataset("bridge_dataset", episodes=1, steps=2, shards=1)
    code, err = _run(capsys, "convert", ds_dir, tmp_path / "out", "--spec", "bridge_dataset")
    assert code == 130
    _one_line(code, err.lstrip("\n"), "interrupted", "--resume")  # click ends the ^C line first


@pytest.mark.parametrize("value, message", [("[1, 1]", "action.gripper.range: [1, 1] must be two different"),
                                            ("[0, .nan]", "action.gripper.range[1] is nan")])
def test_spec_with_a_degenerate_or_nan_gripper_range_is_refused_on_load(tmp_path, value, message):
    from rt2data.spec.model import DatasetSpec, spec_path

    text = spec_path("bridge_dataset").read_text()
    assert "range: [0, 1]" in text, "the shipped bridge_dataset spec changed; adapt the test"
    path = tmp_path / "my_robot.yaml"
    path.write_text(text.replace("range: [0, 1]", f"range: {value}", 1))
    with pytest.raises(SpecError) as info:
        DatasetSpec.load(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_duplicate_yaml_keys_are_refused_with_the_line(mixture, tmp_path, capsys):
    from rt2data.mix.config import load_mixture

    path = tmp_path / "dup.yaml"
    path.write_text(mixture.read_text() + "seed: 1\n")
    with pytest.raises(ConfigError, match=r"key 'seed' is given twice: on line 1 and on line 5"):
        load_mixture(path)
    _one_line(*_run(capsys, "mix", path, tmp_path / "out", "--check"), "line 5")


def test_worker_processes_log_only_at_the_drivers_level(capfd):
    """``-q convert --workers 2``: Beam's worker subprocesses share stderr and log at INFO from their start; a
    subprocess logging the same way shows only what the driver's level lets through."""
    import logging
    import subprocess
    import sys

    from rt2data.pipelines.worker_logs import worker_stderr_filter

    worker = ("import logging, sys; logging.warning('apitools not found, and bigquery ...'); "
              "logging.getLogger().setLevel(logging.INFO); log = logging.getLogger('__main__'); "
              "log.info('Logging handler created.'); log.info('Python sdk harness starting.'); "
              "log.error('worker failed: boom'); sys.stderr.write('\\rprogress 50%'); sys.stderr.flush()")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # rt2data -q
    try:
        with worker_stderr_filter(enabled=True):
            subprocess.run([sys.executable, "-c", worker], check=True)
    finally:
        root.setLevel(level)
    assert capfd.readouterr().err == "ERROR:__main__:worker failed: boom\n\rprogress 50%"
