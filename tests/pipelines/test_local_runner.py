"""The embedded runner (``rt2data.pipelines.local``): the same bytes as Beam's FnApiRunner, with 1 or 2 worker
processes; errors cross the process pool as themselves; ``import`` of the convert pipeline does not import Beam."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from rt2data.errors import DataError
from rt2data.pipelines.convert import ConvertJob, run_convert
from rt2data.pipelines.local import map_items
from rt2data.pipelines.runner import RunnerOptions

pytestmark = pytest.mark.slow


def _digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir()) if p.is_file()}


def test_local_runner_workers_and_fnapi_runner_give_the_same_bytes(rlds_dataset, tmp_path):
    ds_dir = rlds_dataset("bridge_dataset", episodes=5, steps=4, shards=3)
    job = ConvertJob(dataset_dir=str(ds_dir), spec="bridge_dataset", formats=("wds", "tfrecord"), shard_examples=6)
    one = run_convert(job, tmp_path / "one")
    run_convert(job, tmp_path / "two", runner_options=RunnerOptions(workers=2))
    run_convert(job, tmp_path / "beam", runner_options=RunnerOptions(runner="FnApiRunner"))
    assert one.accounting.written == 20 and len(one.shards["wds"]) >= 4
    # statistics (computed in each run), shards, manifest and dead letters: byte for byte
    assert _digests(tmp_path / "one") == _digests(tmp_path / "two") == _digests(tmp_path / "beam")


class _FailOn:
    def __init__(self, bad: int) -> None:
        self.bad = bad

    def __call__(self, item: int) -> int:
        if item == self.bad:
            raise DataError(f"item {item} is bad")
        return item * item


def test_map_items_keeps_order_and_raises_the_workers_error():
    seen: list[int] = []
    assert map_items(_FailOn(-1), list(range(7)), workers=2, on_result=seen.append) == [i * i for i in range(7)]
    assert sorted(seen) == [i * i for i in range(7)]
    with pytest.raises(DataError, match="item 3 is bad"):
        map_items(_FailOn(3), list(range(7)), workers=2)


def test_embedded_convert_does_not_import_beam():
    code = (
        "import sys; import rt2data.pipelines.convert, rt2data.pipelines.stats, rt2data.cli.convert_cmds;"
        "sys.exit(3 if 'apache_beam' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
