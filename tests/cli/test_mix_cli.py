"""``rt2data mix`` worker defaults: the embedded engine uses the machine's cores unless ``--workers`` says otherwise."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from rt2data.cli.main import cli
from rt2data.cores import MAX_DEFAULT_WORKERS
from rt2data.pipelines import mix as mix_pipeline


@pytest.mark.parametrize("args, expected", [
    ([], min(len(os.sched_getaffinity(0)), MAX_DEFAULT_WORKERS)),
    (["--workers", "1"], 1),
    (["--workers", "3"], 3),
    (["--runner", "FnApiRunner"], 1),  # a Beam runner keeps its own parallelism
])
def test_mix_workers_default_to_the_cores(tmp_path, monkeypatch, args, expected):
    (tmp_path / "caps.tar").write_bytes(b"")
    mixture = tmp_path / "mix.yaml"
    mixture.write_text("output: {examples: 4, shard_examples: 2}\n"
                       f"sources:\n  - {{name: caps, kind: caption, format: wds, weight: 1, path: {tmp_path / 'caps.tar'}}}\n")
    seen = []

    def run_mix(mixture, out_dir, *, runner_options, **kw):
        seen.append(runner_options)
        raise SystemExit(0)

    monkeypatch.setattr(mix_pipeline, "run_mix", run_mix)
    result = CliRunner().invoke(cli, ["mix", str(mixture), str(tmp_path / "out"), *args])
    assert result.exit_code == 0, result.output
    assert [o.workers for o in seen] == [expected]
