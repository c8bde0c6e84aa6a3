"""``mix`` on object storage: every web source (WebDataset caption and VQA tars, the VQAv2 layout, Parquet with
inline images and with image paths) and the robot source read from ``s3://``, the output written to ``s3://`` on a
real S3 server (moto's standalone server on loopback, through Beam's own S3 filesystem): the same shard bytes as
the same mixture of local files; an interrupted bucket mix resumes; ``detokenize --manifest`` and ``vocab -o`` on
URLs."""

from __future__ import annotations

import io as stdlib_io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import webdataset as wds
import yaml
from PIL import Image

from rt2data import io
from rt2data.errors import OutputError
from rt2data.example import Example
from rt2data.mix.config import load_mixture
from rt2data.pipelines import mix as mix_pipeline
from rt2data.pipelines.mix import STAGING, run_mix
from rt2data.pipelines.runner import RunnerOptions
from rt2data.shards import Accounting, Manifest, write_manifest, write_shards

pytestmark = pytest.mark.slow


def jpeg(i: int) -> bytes:
    buf = stdlib_io.BytesIO()
    Image.new("RGB", (6, 4), (i * 7 % 256, 40, 90)).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def png(i: int) -> bytes:
    buf = stdlib_io.BytesIO()
    Image.new("RGB", (5, 5), (i * 11 % 256, 90, 40)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Tiny inputs of every web format, written with the real producers' APIs, and a robot output."""
    root = tmp_path_factory.mktemp("bucketmix")
    robot = [Example(key=f"r{i}", image=jpeg(i), image_format="jpg", prompt="Q: act? A:", target=f"0 {i} 1 2 3 4 5 6",
                     kind="action", source="bridge", template_id="rt2-action-v1", instruction="act", episode_id="e",
                     step=i, action_raw=(0, 0, 0, 0, 0, 0, 0, 0), action_tokens=(0, i, 1, 2, 3, 4, 5, 6))
             for i in range(6)]
    (root / "robot").mkdir()
    infos = write_shards(root / "robot", robot, fmt="wds", prefix="bridge", shard_examples=4, record_progress=False)
    write_manifest(root / "robot", Manifest(kind="convert", config={"spec": "test"}, shards={"wds": infos},
                                            accounting=Accounting(input=6, written=6)))
    (root / "caps").mkdir()
    for t in range(2):  # an img2dataset-style folder of caption tars (PNG: re-encoded as JPEG in the output)
        with wds.TarWriter(str(root / "caps" / f"{t:05d}.tar")) as sink:
            for i in range(3):
                sink.write({"__key__": f"{t}{i:04d}", "png": png(10 * t + i), "txt": f"caption {t} {i}"})
    (root / "vqa").mkdir()
    with wds.TarWriter(str(root / "vqa" / "vqa-000000.tar")) as sink:
        for i in range(4):
            sink.write({"__key__": f"q{i}", "jpg": jpeg(50 + i), "json": {"question": f"how many {i}?", "answer": str(i)}})
    (root / "coco" / "images").mkdir(parents=True)
    for image_id in (1, 2, 3):  # image 4 is missing: dead-lettered no_image, in both runs
        (root / "coco" / "images" / f"COCO_val2014_{image_id:012d}.jpg").write_bytes(jpeg(80 + image_id))
    questions = [{"question_id": 10 * i, "image_id": i, "question": f"what is {i}?"} for i in (1, 2, 3, 4)]
    annotations = [{"question_id": 10 * i, "answers": [{"answer": f"thing {i}", "answer_id": 1}]} for i in (1, 2, 3, 4)]
    (root / "coco" / "questions.json").write_text(json.dumps({"data_subtype": "val2014", "questions": questions}))
    (root / "coco" / "annotations.json").write_text(json.dumps({"annotations": annotations}))
    (root / "pq" / "img").mkdir(parents=True)
    for i in range(3):
        (root / "pq" / "img" / f"{i}.jpg").write_bytes(jpeg(120 + i))
    pq.write_table(pa.table({"image": [{"bytes": jpeg(100 + i), "path": None} for i in range(5)],
                             "caption": [f"inline picture {i}" for i in range(5)]}),
                   root / "pq" / "captions.parquet", row_group_size=2)
    pq.write_table(pa.table({"image": [f"img/{i}.jpg" for i in range(3)],  # paths relative to the Parquet file
                             "question": [f"which {i}?" for i in range(3)], "answer": [["a", "a", "b"]] * 3}),
                   root / "pq" / "vqa.parquet")
    return root


def mixture_doc(base: str) -> dict:
    """The mixture over inputs at ``base`` (a local folder or a bucket URL)."""
    at = (lambda rel: io.join(base, rel))
    return {
        "seed": 5,
        "output": {"examples": 24, "shard_examples": 8, "block_size": 8, "formats": ["wds", "tfrecord"],
                   "prefix": "mix"},
        "sources": [
            {"name": "robot", "kind": "examples", "path": at("robot"), "weight": 0.25},
            {"name": "caps", "kind": "caption", "format": "wds", "path": at("caps"), "weight": 0.15},
            {"name": "vqa", "kind": "vqa", "format": "wds", "path": at("vqa/vqa-{000000..000000}.tar"), "weight": 0.15},
            {"name": "coco", "kind": "vqa", "format": "vqav2", "questions": at("coco/questions.json"),
             "annotations": at("coco/annotations.json"), "images": at("coco/images"), "weight": 0.15},
            {"name": "pqcap", "kind": "caption", "format": "parquet", "path": at("pq/*.parquet"),
             "caption_column": "caption", "weight": 0.15},
            {"name": "pqvqa", "kind": "vqa", "format": "parquet", "path": at("pq/vqa.parquet"), "weight": 0.15},
        ],
    }


def write_mixture(folder: Path, name: str, base: str) -> Path:
    path = folder / name
    doc = mixture_doc(base)
    # pqcap's glob also matches vqa.parquet, whose columns differ: point it at the captions file only.
    doc["sources"][4]["path"] = io.join(base, "pq/captions*.parquet")
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def local_tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def shards(files: dict[str, bytes]) -> dict[str, bytes]:
    return {n: b for n, b in files.items() if n.endswith((".tar", ".tfrecord"))}


@pytest.fixture(scope="module")
def local_mix(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("localmix") / "out"
    manifest = run_mix(load_mixture(write_mixture(inputs, "local.yaml", str(inputs))), out)
    return out, manifest


@pytest.fixture(scope="module")
def bucket_inputs(s3, inputs):
    return s3.upload(inputs, s3.bucket("rt2-web") + "/web")


@pytest.fixture(scope="module")
def options(s3):
    options = RunnerOptions(beam_args=s3.beam_args)
    options.configure_io()  # the CLI does this before it loads the mixture (its paths are checked on load)
    return options


def test_web_sources_in_a_bucket_mix_into_a_bucket_interrupted_and_resumed_with_the_local_bytes(
        s3, bucket_inputs, local_mix, options, tmp_path, monkeypatch):
    """Every source in the bucket, OUT in the bucket. The run dies in pass 2 after two shard files: OUT holds no
    final shard and no manifest, the staged shards are kept; the same run without a flag is refused; --resume
    writes only the rest, and the shards are the local mixture's bytes; a second --resume changes nothing."""
    local_out, local_manifest = local_mix
    mixture = load_mixture(write_mixture(tmp_path, "bucket.yaml", bucket_inputs))
    real, calls = mix_pipeline.ShardWriter, []

    class DiesAfterTwo(real):  # one ShardWriter per shard file; the third finds the bucket gone
        def __init__(self, out_dir, name, **kw):
            calls.append(name)
            if len(calls) > 2:
                raise OSError(5, "Input/output error", "the bucket went away")
            super().__init__(out_dir, name, **kw)

    class Counted(real):
        def __init__(self, out_dir, name, **kw):
            calls.append(name)
            super().__init__(out_dir, name, **kw)

    monkeypatch.setattr(mix_pipeline, "ShardWriter", DiesAfterTwo)
    out = s3.bucket("rt2-mix-out") + "/mix"
    with pytest.raises(Exception, match="Input/output error"):
        run_mix(mixture, out, runner_options=options)
    staged = s3.objects(out)
    assert "manifest.json" not in staged and not shards({n: b for n, b in staged.items() if "/" not in n})
    assert len([n for n in staged if n.startswith(f"{STAGING}/mix-")]) == 2
    with pytest.raises(OutputError, match="--resume"):
        run_mix(mixture, out, runner_options=options)

    calls.clear()
    monkeypatch.setattr(mix_pipeline, "ShardWriter", Counted)
    manifest = run_mix(mixture, out, runner_options=options, resume=True)
    assert len(calls) == 3 * 2 - 2  # 3 shards x 2 formats, minus the 2 files kept from the interrupted run
    got = s3.objects(out)
    expected = local_tree(local_out)
    assert shards(got) == shards(expected) and len(shards(got)) == 6
    assert manifest.accounting == local_manifest.accounting
    for name in ("robot", "caps", "vqa", "coco", "pqcap", "pqvqa"):  # every source was drawn from
        assert manifest.sources[name]["realized_examples"] > 0, name
        assert manifest.sources[name]["usable"] == local_manifest.sources[name]["usable"], name
    assert manifest.sources["coco"]["dead_letters"] == {"no_image": 1}  # COCO image 4 is missing in both
    assert manifest.sources["pqvqa"]["usable"] == 3  # images by relative path, read beside the Parquet file
    # Only the committed output is left: no staging prefix, no ledger, no temp objects.
    assert sorted(got) == sorted(expected)
    assert json.loads(got["manifest.json"])["config"]["sources"][0]["options"]["path"] == f"{bucket_inputs}/robot"
    run_mix(mixture, out, runner_options=options, resume=True)
    assert s3.objects(out) == got


def test_detokenize_manifest_and_vocab_output_on_urls(s3):
    """``detokenize --manifest URL`` reads the codec of an output in a bucket; ``vocab -o URL`` writes one object;
    the filesystem flags come with --beam-arg, as for inspect and validate."""
    from click.testing import CliRunner

    from rt2data.cli.main import cli
    from rt2data.codec.action_codec import ActionCodec

    bucket = s3.bucket("rt2-codec")
    codec = ActionCodec.rt2_default()
    s3.client.put_object(Bucket="rt2-codec", Key="out/manifest.json", Body=json.dumps({"codec": codec.to_json()}))
    flags = [f"--beam-arg={a}" for a in s3.beam_args]
    res = CliRunner().invoke(cli, ["detokenize", "--manifest", f"{bucket}/out", "1 0 128 255 128 128 128 255", *flags])
    assert res.exit_code == 0, res.output
    decoded = json.loads(res.output)
    assert decoded[0] == 1 and decoded[1] < -0.99 and decoded[3] > 0.99 and len(decoded) == 8
    res = CliRunner().invoke(cli, ["vocab", "--strategy", "reserved_last", "--vocab-size", "32000", "--manifest",
                                   f"{bucket}/out", "-o", f"{bucket}/vocab/action_vocab.json", *flags])
    assert res.exit_code == 0, res.output
    written = json.loads(s3.objects(f"{bucket}/vocab")["action_vocab.json"])
    assert written["codec"] == codec.to_json() and len(written["positions"]) == 8
    assert written["positions"][1]["legal"][0] == 31999  # reserved_last, descending: bin 0 -> V-1
