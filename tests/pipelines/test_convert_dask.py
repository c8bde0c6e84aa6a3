"""``convert`` on a real distributed engine: Beam's DaskRunner on a ``distributed.LocalCluster`` (loopback only).

Same input and config must give byte-identical shards and manifest on the embedded runner and on Dask.
"""

from __future__ import annotations

import hashlib

import pytest

from rt2data.pipelines.convert import ConvertJob, run_convert
from rt2data.pipelines.runner import RunnerOptions

distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed (pip install 'rt2data[dask]')")

pytestmark = pytest.mark.slow


def digests(path):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir()) if p.is_file()}


def test_dask_runner_gives_the_embedded_runners_bytes(rlds_dataset, tmp_path, dask_cluster):
    ds_dir = rlds_dataset("fractal20220817_data", episodes=5, steps=4, shards=3)
    job = ConvertJob(dataset_dir=str(ds_dir), spec="fractal20220817_data", formats=("wds", "tfrecord"), shard_examples=6)
    local = run_convert(job, tmp_path / "local")
    dask = run_convert(
        job, tmp_path / "dask", runner_options=RunnerOptions(
            runner="DaskRunner", beam_args=(f"--dask_client_address={dask_cluster.scheduler_address}",)),
    )
    assert dask.accounting.written == local.accounting.written == 20
    assert len(dask.shards["wds"]) == len(local.shards["wds"]) >= 4
    assert digests(tmp_path / "dask") == digests(tmp_path / "local")


@pytest.mark.parametrize("given, expected", [((), (None, 1)), (("--dask_npartitions=4",), (4, None)),
                                             (("--dask_partition_size=3",), (None, 3))])
def test_each_work_unit_is_its_own_dask_task_unless_told(given, expected):
    """Beam's DaskRunner puts up to 128 created elements in one partition (one task, one worker); our work units
    are coarse (an input shard), so the runner options ask for one per partition unless the user chose."""
    from apache_beam.runners.dask.dask_runner import DaskOptions

    options = RunnerOptions(runner="DaskRunner", beam_args=given).pipeline_options().view_as(DaskOptions)
    assert (options.npartitions, options.partition_size) == expected
