"""The driver-side progress bar counts what workers leave behind."""

from __future__ import annotations

import time

from rt2data.pipelines.progress import FileProgress, count_files


def test_progress_bar_follows_the_files(tmp_path, capsys):
    count = count_files(tmp_path, "*.done.json")
    with FileProgress(count, total=3, desc="convert", unit="input shard", enabled=True, interval=0.02):
        for i in range(3):
            (tmp_path / f"p{i}.done.json").write_text("{}")
            time.sleep(0.1)
    err = capsys.readouterr().err
    assert "convert" in err and "3/3" in err


def test_no_bar_unless_enabled(tmp_path, capsys):
    with FileProgress(count_files(tmp_path, "*"), total=1, desc="mix", unit="shard", enabled=False, interval=0.01):
        (tmp_path / "x").write_text("")
        time.sleep(0.05)
    assert capsys.readouterr().err == ""
