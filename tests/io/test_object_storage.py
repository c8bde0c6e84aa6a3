"""rt2data on object storage: RLDS read from a bucket, outputs written to a bucket, on real servers on loopback
(``s3://``: moto's standalone server; ``gs://``: gcp-storage-emulator), through Beam's own S3 and GCS filesystems,
with no disk shared between driver and workers. Every test runs once per store (the ``store`` fixture).

The bucket run must give the bytes of a local run, on one and on several worker processes and on Dask.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rt2data import io
from rt2data.errors import DataError, OutputError
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
def bucket_dataset(store, dataset):
    bucket = store.bucket("rt2-robotics")
    return store.upload(dataset, f"{bucket}/{SPEC}/1.0.0")


@pytest.fixture(scope="module")
def local_run(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    job = ConvertJob(dataset_dir=str(dataset), spec=SPEC, formats=("wds", "tfrecord"), shard_examples=5)
    manifest = run_convert(job, out)
    return out, manifest


def job(dataset_dir: str) -> ConvertJob:
    return ConvertJob(dataset_dir=dataset_dir, spec=SPEC, formats=("wds", "tfrecord"), shard_examples=5)


@pytest.fixture(scope="module")
def bucket_stats(store, local_run):
    """The local run's statistics file, in a bucket: ``--stats <url>`` skips the statistics pass."""
    url = store.bucket("rt2-stats") + "/bridge_stats.json"
    store.put(url, (local_run[0] / "dataset_statistics.json").read_bytes())
    return url


@pytest.fixture(scope="module")
def bucket_run(store, bucket_dataset):
    """convert store -> store on one worker process (statistics computed from the bucket too)."""
    out = store.bucket("rt2-out-1") + "/bridge"
    manifest = run_convert(job(bucket_dataset), out, runner_options=RunnerOptions(beam_args=store.beam_args))
    return out, manifest


def cli(*args: str):
    from click.testing import CliRunner

    from rt2data.cli.main import cli as main

    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("workers", [1, 2])
def test_convert_bucket_to_bucket_gives_the_local_bytes(store, bucket_dataset, bucket_stats, bucket_run, local_run,
                                                         workers):
    if workers == 1:
        out, manifest = bucket_run
    else:  # the embedded runner's worker processes get the store's settings too; no shared disk involved
        out = store.bucket("rt2-out-2") + "/bridge"
        manifest = run_convert(job(bucket_dataset), out, stats_path=bucket_stats,
                               runner_options=RunnerOptions(workers=2, beam_args=store.beam_args))

    local_out, local_manifest = local_run
    got = store.objects(out)
    assert shards(got) == shards(local_files(local_out)) and len(shards(got)) >= 4
    assert manifest.accounting == local_manifest.accounting
    expected = sorted(local_files(local_out))
    # --stats <url> is read only; its bytes are copied into OUT, as a run without it writes them there.
    assert got["dataset_statistics.json"] == (local_out / "dataset_statistics.json").read_bytes()
    # Only the committed output is left: no staging prefix, no temp objects, no ledger.
    assert sorted(got) == expected
    assert json.loads(got["manifest.json"])["config"]["dataset_dir"] == bucket_dataset


def test_validate_inspect_and_read_a_bucket_output(store, bucket_run, local_run):
    out, _ = bucket_run
    flag = [f"--beam-arg={a}" for a in store.beam_args]
    res = cli("validate", out, *flag)
    assert res.exit_code == 0, res.output
    res = cli("inspect", out, "--json", *flag)
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["summary"]["examples"] == 12

    from rt2data.readers import iter_records

    remote = list(iter_records(out, decode_images=False, verify=True))
    local = list(iter_records(local_run[0], decode_images=False, verify=True))
    assert [r["key"] for r in remote] == [r["key"] for r in local] and len(remote) == 12
    assert [r["target"] for r in remote] == [r["target"] for r in local]


def test_a_damaged_bucket_shard_is_found_by_validate(store, bucket_run):
    out, manifest = bucket_run
    copy = store.bucket("rt2-damaged") + "/bridge"
    for name, data in store.objects(out).items():
        store.put(f"{copy}/{name}", data)
    name = manifest.shards["wds"][1].name
    body = bytearray(store.objects(copy)[name])
    body[700] ^= 0xFF
    store.put(f"{copy}/{name}", bytes(body))
    res = cli("validate", copy, *[f"--beam-arg={a}" for a in store.beam_args])
    assert res.exit_code != 0 and name in res.output


def test_an_interrupted_bucket_run_resumes_to_the_local_bytes(store, dataset, bucket_stats, local_run):
    """A run that dies midway (a corrupt input shard) leaves its staging prefix; after the shard is restored,
    --resume finishes the output in the bucket and it equals the local run's."""
    bucket = store.bucket("rt2-resume")
    url = store.upload(dataset, f"{bucket}/{SPEC}/1.0.0")
    shard = sorted(p for p in dataset.iterdir() if ".tfrecord-00001" in p.name)[0]
    body = bytearray(shard.read_bytes())
    body[40] ^= 0xFF  # a payload byte: the record's CRC fails, the size stays (so does the input fingerprint)
    store.put(f"{url}/{shard.name}", bytes(body))
    out = f"{bucket}/out"
    options = RunnerOptions(beam_args=store.beam_args)
    with pytest.raises(DataError, match="CRC"):
        run_convert(job(url), out, stats_path=bucket_stats, runner_options=options)
    assert "manifest.json" not in store.objects(out) and any(n.startswith(".staging/") for n in store.objects(out))
    with pytest.raises(OutputError, match="--resume"):
        run_convert(job(url), out, stats_path=bucket_stats, runner_options=options)

    store.put(f"{url}/{shard.name}", shard.read_bytes())
    run_convert(job(url), out, stats_path=bucket_stats, runner_options=options, resume=True)
    got = store.objects(out)
    assert shards(got) == shards(local_files(local_run[0]))
    assert not any(n.startswith(".") for n in got)
    # A finished output with the same config is left as it is.
    run_convert(job(url), out, stats_path=bucket_stats, runner_options=options, resume=True)
    assert store.objects(out) == got


@pytest.mark.parametrize("side", ["input", "output"])
def test_a_missing_bucket_is_one_line(store, bucket_dataset, bucket_stats, side, tmp_path, capsys):
    """A bucket that does not exist (its name without the word "bucket", which the SDKs' messages contain)."""
    from rt2data.cli.main import main

    missing = f"{store.scheme}://rt2-absent"
    src, out = (f"{missing}/{SPEC}/1.0.0", str(tmp_path / "out")) if side == "input" else (bucket_dataset,
                                                                                          f"{missing}/out")
    flag = [f"--beam-arg={a}" for a in store.beam_args]
    with pytest.raises(SystemExit) as info:
        main(["-q", "convert", src, out, "--spec", SPEC, "--stats", bucket_stats, *flag])
    err = capsys.readouterr().err
    assert info.value.code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "no such bucket 'rt2-absent'" in lines[0] and store.missing_bucket in lines[0], err
    assert not (tmp_path / "out").exists()


def test_dask_workers_read_and_write_the_bucket(store, bucket_dataset, bucket_stats, local_run):
    """Beam's DaskRunner hands its workers no options: the runner registers a worker plugin that sets them."""
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        out = store.bucket("rt2-out-dask") + "/bridge"
        options = RunnerOptions(runner="DaskRunner",
                                beam_args=(f"--dask_client_address={cluster.scheduler_address}", *store.beam_args))
        run_convert(job(bucket_dataset), out, stats_path=bucket_stats, runner_options=options)
        assert shards(store.objects(out)) == shards(local_files(local_run[0]))
    finally:
        from distributed.client import _global_clients  # DaskRunner leaves Clients of its own open

        for other in reversed(list(_global_clients.values())):  # LIFO: each Client restores the dask config it found
            other.close()
        client.close()
        cluster.close()


def test_mix_reads_a_robot_source_in_the_bucket(store, bucket_run, local_run, tmp_path):
    """A mixture's ``examples`` source may be a convert output in a bucket: the same bytes as from the local copy."""
    from rt2data.mix.config import load_mixture
    from rt2data.pipelines.mix import run_mix

    options = RunnerOptions(beam_args=store.beam_args)
    options.configure_io()  # the CLI does this before it loads the mixture (its paths are checked on load)
    outs = {}
    for where, path in (("bucket", bucket_run[0]), ("local", str(local_run[0]))):
        mixture = tmp_path / f"{where}.yaml"
        mixture.write_text(
            "seed: 0\noutput: {examples: 8, shard_examples: 4, formats: [wds]}\n"
            f"sources:\n  - {{name: robot, kind: examples, path: '{path}', weight: 1.0}}\n"
        )
        run_mix(load_mixture(mixture), tmp_path / where, runner_options=options)
        outs[where] = shards(local_files(tmp_path / where))
    assert outs["bucket"] == outs["local"] and len(outs["bucket"]) == 2


def test_ledger_commit_and_resume_on_a_bucket(store):
    """The shard layer's own commit (progress ledger, resume, finalize) on a bucket: the ledger is a header object
    plus one entry object per shard; a crash leaves a temp object; resume keeps only verified shards."""
    from rt2data.example import Example
    from rt2data.shards import (Accounting, Manifest, config_fingerprint, finalize_output, iter_examples,
                                prepare_output_dir, read_ledger, write_shard_at)

    io.set_options(io.options_from_args(store.beam_args))
    out = store.bucket("rt2-ledger") + "/out"
    fp = config_fingerprint({"test": 1})
    exs = [Example(key=f"k{i}", image=bytes([i]) * 40, image_format="jpg", prompt="p", target="t", kind="caption",
                   source="web", template_id="c") for i in range(9)]
    prepare_output_dir(out, config_fingerprint=fp)
    done = [write_shard_at(out, exs[3 * k: 3 * k + 3], index=k, fmt="tfrecord", prefix="x") for k in range(3)]
    assert set(read_ledger(out)) == {d.name for d in done}
    store.put(f"{out}/.x-000003.tfrecord.tmp-" + "b" * 32, b"half")
    body = bytearray(store.objects(out)[done[1].name])
    body[30] ^= 0xFF
    store.put(f"{out}/{done[1].name}", bytes(body))  # same size, other bytes
    with pytest.raises(OutputError, match="--resume"):
        prepare_output_dir(out, config_fingerprint=fp)

    kept = prepare_output_dir(out, resume=True, config_fingerprint=fp)
    assert sorted(kept) == [done[0].name, done[2].name]
    redo = write_shard_at(out, exs[3:6], index=1, fmt="tfrecord", prefix="x")
    assert redo == done[1]
    infos = [kept[done[0].name], redo, kept[done[2].name]]
    finalize_output(out, infos, manifest=Manifest(kind="convert", config={"test": 1}, shards={"tfrecord": infos},
                                                  accounting=Accounting(9, 9, {})))
    assert sorted(store.objects(out)) == sorted([d.name for d in done] + ["manifest.json"])
    assert list(iter_examples(out, verify=True)) == exs


def test_a_bucket_convert_uploads_each_shard_once_and_copies_it_once(store, bucket_dataset, bucket_stats, local_run,
                                                                      monkeypatch):
    """An object store needs no temp object: each shard is uploaded once, under the staging prefix, and copied once
    to its final name (then the staged part is deleted); the bytes are still the local run's."""
    opened, copied = [], []
    real_open, real_copy = io.open_write, io.copy

    def counting_open(path, **kw):
        opened.append(str(path))
        return real_open(path, **kw)

    def counting_copy(src, dst):
        copied.append((str(src), str(dst)))
        return real_copy(src, dst)

    monkeypatch.setattr(io, "open_write", counting_open)
    monkeypatch.setattr(io, "copy", counting_copy)
    out = store.bucket("rt2-out-once") + "/bridge"
    run_convert(job(bucket_dataset), out, stats_path=bucket_stats, runner_options=RunnerOptions(beam_args=store.beam_args))
    final = shards(store.objects(out))
    assert final == shards(local_files(local_run[0]))
    shard_uploads = [p for p in opened if p.endswith((".tar", ".tfrecord"))]
    assert len(shard_uploads) == len(final) and all(p.startswith(f"{out}/.staging/") for p in shard_uploads)
    shard_copies = [(s, d) for s, d in copied if d.endswith((".tar", ".tfrecord"))]
    assert sorted(d for _, d in shard_copies) == sorted(f"{out}/{n}" for n in final)
    assert all(s.startswith(f"{out}/.staging/") for s, _ in shard_copies)


def test_an_aborted_bucket_shard_leaves_no_object_and_no_upload(s3):
    """A shard written straight to its name on an object store appears only when complete: a failure mid-shard
    abandons the upload (the S3 multipart upload is aborted), so neither an object nor an open upload remains."""
    from rt2data.example import Example
    from rt2data.shards import ShardWriter

    io.set_options(io.options_from_args(s3.beam_args))
    out = s3.bucket("rt2-abort") + "/out"
    ex = Example(key="k", image=b"\xff" * 64, image_format="jpg", prompt="p", target="t", kind="caption",
                 source="web", template_id="c")
    with pytest.raises(RuntimeError, match="mid-shard"):
        with ShardWriter(out, "x-000000.tar", fmt="wds", record_progress=False) as writer:
            writer.add(ex)
            raise RuntimeError("mid-shard")
    assert s3.objects(out) == {}
    assert not s3.client.list_multipart_uploads(Bucket="rt2-abort").get("Uploads")
    with ShardWriter(out, "x-000000.tar", fmt="wds", record_progress=False) as writer:
        writer.add(ex)
        info = writer.close()
    assert list(s3.objects(out)) == ["x-000000.tar"] and len(s3.objects(out)["x-000000.tar"]) == info.bytes


def test_a_read_only_bucket_is_one_line_and_nothing_is_written(store, bucket_dataset, bucket_stats, monkeypatch,
                                                               capsys):
    """Credentials that may read but not write: an IAM user whose only policy allows s3:GetObject and
    s3:ListBucket, with moto enforcing IAM (``INITIAL_NO_AUTH_ACTION_COUNT`` = 0) for the run. The bucket input is
    read; the first write into OUT is refused: one line naming OUT's object and the store's AccessDenied; nothing is
    written, and what the bucket held before is untouched."""
    import boto3
    import moto.settings

    from rt2data.cli.main import main

    if store.scheme != "s3":
        pytest.skip("permissions need moto's IAM; gcp-storage-emulator grants every request")
    s3 = store
    out_bucket = s3.bucket("rt2-read-only")
    s3.put(f"{out_bucket}/theirs.txt", b"not ours")
    iam = boto3.client("iam", endpoint_url=s3.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    iam.create_user(UserName="rt2-reader")
    iam.put_user_policy(UserName="rt2-reader", PolicyName="read-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}))
    key = iam.create_access_key(UserName="rt2-reader")["AccessKey"]
    flags = [f"--beam-arg={a}" for a in s3.beam_args if not a.startswith(("--s3_access_key_id", "--s3_secret"))]
    flags += [f"--beam-arg=--s3_access_key_id={key['AccessKeyId']}",
              f"--beam-arg=--s3_secret_access_key={key['SecretAccessKey']}"]
    monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    try:
        with pytest.raises(SystemExit) as info:
            main(["-q", "convert", bucket_dataset, f"{out_bucket}/out", "--spec", SPEC, "--stats", bucket_stats,
                  *flags])
    finally:
        monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))
        io.set_options(io.options_from_args(s3.beam_args))
    err = capsys.readouterr().err
    assert info.value.code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert f"{out_bucket}/out/" in lines[0] and "AccessDenied" in lines[0], err
    held = s3.client.list_objects_v2(Bucket="rt2-read-only").get("Contents", [])
    assert [o["Key"] for o in held] == ["theirs.txt"]
    assert s3.client.get_object(Bucket="rt2-read-only", Key="theirs.txt")["Body"].read() == b"not ours"
