"""rt2data on object storage: RLDS read from ``s3://``, outputs written to ``s3://`` on a real S3 server (moto's
standalone server on loopback, through Beam's own S3 filesystem), with no disk shared between driver and workers.

The bucket run must give the bytes of a local run, on one and on several worker processes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rt2data import io
from rt2data.errors import OutputError
from rt2data.pipelines.convert import ConvertJob, run_convert
from rt2data.pipelines.runner import RunnerOptions

pytestmark = pytest.mark.slow

SPEC = "bridge_dataset"


def local_files(folder: Path) -> dict[str, bytes]:
    """``{relative name: bytes}`` of every file under ``folder``."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def shards(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if name.endswith((".tar", ".tfrecord"))}


@pytest.fixture(scope="module")
def dataset(rlds_dataset):
    """A tfds-built RLDS dataset in the real bridge_dataset layout: 3 episodes, 2 shards, tiny images."""
    return rlds_dataset(SPEC, episodes=3, steps=4, shards=2, image_size=(16, 16))


@pytest.fixture(scope="module")
def bucket_dataset(s3, dataset):
    bucket = s3.bucket("rt2-robotics")
    return s3.upload(dataset, f"{bucket}/{SPEC}/1.0.0")


@pytest.fixture(scope="module")
def local_run(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    job = ConvertJob(dataset_dir=str(dataset), spec=SPEC, formats=("wds", "tfrecord"), shard_examples=5)
    manifest = run_convert(job, out)
    return out, manifest


@pytest.mark.parametrize("workers", [1, 2])
def test_convert_bucket_to_bucket_gives_the_local_bytes(s3, bucket_dataset, local_run, workers):
    out = f"s3://{s3.bucket(f'rt2-out-{workers}')}".rstrip("/") + "/bridge"
    job = ConvertJob(dataset_dir=bucket_dataset, spec=SPEC, formats=("wds", "tfrecord"), shard_examples=5)
    manifest = run_convert(job, out, runner_options=RunnerOptions(workers=workers, beam_args=s3.beam_args))

    local_out, local_manifest = local_run
    got = s3.objects(out)
    assert shards(got) == shards(local_files(local_out)) and len(shards(got)) >= 4
    assert got["dataset_statistics.json"] == (local_out / "dataset_statistics.json").read_bytes()
    assert manifest.accounting == local_manifest.accounting
    # Only the committed output is left: no staging prefix, no temp objects, no ledger.
    assert sorted(got) == sorted(local_files(local_out))
    assert json.loads(got["manifest.json"])["config"]["dataset_dir"] == bucket_dataset
