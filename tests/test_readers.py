"""rt2data.readers: plain records, the PyTorch IterableDataset (shards split across workers and ranks), the tf.data
parse function and the Hugging Face loader, each read back against ``rt2data.shards.iter_examples``.

torch / tensorflow / datasets tests skip with a reason where the library is not installed."""

from __future__ import annotations

import io
import sys
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from rt2data import readers
from rt2data.codec.action_codec import ActionCodec
from rt2data.errors import ConfigError
from rt2data.example import Example
from rt2data.inspection import MissingDependencyError
from rt2data.prompt import DEFAULT_ACTION_TEMPLATE
from rt2data.shards import Accounting, Manifest, iter_examples, write_manifest, write_shards

CODEC = ActionCodec.rt2_default()


def image(i: int, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (i * 13 % 256, 40, 200 - i)).save(buf, format="PNG" if fmt == "png" else "JPEG")
    return buf.getvalue()


def examples(n_action: int = 20, n_web: int = 6) -> list[Example]:
    out = []
    for i in range(n_action):
        raw = np.array([float(i % 10 == 9), 0.1 * (i % 7) - 0.3, -0.2, 0.05 * i - 0.5, 0, 0.3, -0.7, 1.0 - 2 * (i % 2)])
        enc = CODEC.encode(raw[None])
        out.append(Example(key=f"robot-{i:03d}", image=image(i, "jpg"), image_format="jpg",
                           prompt=DEFAULT_ACTION_TEMPLATE.render(instruction="open the drawer"), target=enc.texts[0],
                           kind="action", source="robot", template_id="rt2-action-v1", instruction="open the drawer",
                           episode_id=f"ep{i // 10}", step=i % 10, action_raw=tuple(raw),
                           action_tokens=tuple(enc.tokens[0])))
    for i in range(n_web):
        out.append(Example(key=f"web-{i:03d}", image=image(50 + i, "png" if i % 2 else "jpg"),
                           image_format="png" if i % 2 else "jpg", prompt="Caption:", target=f"a picture {i}",
                           kind="caption", source="web", template_id="caption-v1"))
    return out


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    out = tmp_path_factory.mktemp("readers") / "out"
    out.mkdir()
    exs = examples()
    shards = {fmt: write_shards(out, exs, fmt=fmt, prefix="mix", shard_examples=5, record_progress=False)
              for fmt in ("wds", "tfrecord")}
    write_manifest(out, Manifest(kind="mix", config={}, shards=shards, accounting=Accounting(len(exs), len(exs)),
                                 templates={"rt2-action-v1": DEFAULT_ACTION_TEMPLATE.text, "caption-v1": "Caption:"},
                                 codec=CODEC.to_json()))
    return out


def test_iter_records(output):
    records = list(readers.iter_records(output))
    expected = list(iter_examples(output))
    assert [r["key"] for r in records] == [e.key for e in expected]
    first, web = records[0], records[-1]
    assert first["action_tokens"].dtype == np.int64 and first["action_raw"].dtype == np.float64
    assert first["action_tokens"].tolist() == list(expected[0].action_tokens)
    assert first["image"].size == (8, 6) and first["image_bytes"] == expected[0].image
    assert web["action_tokens"] is None and web["action_raw"] is None and web["kind"] == "caption"
    tf_records = list(readers.iter_records(output, fmt="tfrecord", decode_images=False))
    assert [r["target"] for r in tf_records] == [e.target for e in expected] and tf_records[0]["image"] is None


def test_iter_records_of_given_shards(output):
    paths = readers.shard_paths(output)
    assert len(paths) == 6 and paths[0].endswith("mix-000000.tar")
    assert [r["key"] for r in readers.iter_records(paths[1:2])] == [e.key for e in examples()[5:10]]


def test_wds_image_formats(output):
    assert readers.wds_image_formats(readers.shard_paths(output)) == ["jpg", "png"]


# ------------------------------------------------------------------------------------------------------- torch
def _keys(batches) -> list[str]:
    return [k for b in batches for k in (b["key"] if isinstance(b["key"], list) else [b["key"]])]


def test_torch_dataset_splits_shards_across_workers(output):
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
    from torch.utils.data import DataLoader

    ds = readers.torch_dataset(output)
    assert isinstance(ds, torch.utils.data.IterableDataset) and isinstance(ds, readers.TorchWebDataset)
    keys = _keys(DataLoader(ds, batch_size=None, num_workers=2))
    assert Counter(keys) == Counter(e.key for e in examples())  # each example exactly once
    sample = next(iter(ds))
    assert sample["image"].dtype == torch.uint8 and tuple(sample["image"].shape) == (3, 6, 8)
    assert set(sample) == {"key", "image", "prompt", "target", "kind", "source"}


def test_torch_dataset_ranks_and_shuffled_epochs(output):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
    parts = [[r["key"] for r in readers.torch_dataset(output, rank=r, world_size=2, transform=None)] for r in (0, 1)]
    assert not set(parts[0]) & set(parts[1])
    assert sorted(parts[0] + parts[1]) == sorted(e.key for e in examples())
    ds = readers.torch_dataset(output, shuffle_shards=True, seed=3, transform=lambda r: r["key"])
    epoch0 = list(ds)
    assert list(ds) == epoch0  # deterministic
    ds.set_epoch(1)
    epoch1 = list(ds)
    assert sorted(epoch1) == sorted(epoch0) and epoch1 != epoch0
    with pytest.raises(ValueError):
        readers.torch_dataset(output, rank=2, world_size=2)


def test_torch_dataset_batches_and_spawned_workers(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install torch)")
    from torch.utils.data import DataLoader

    out = tmp_path / "o"
    out.mkdir()
    exs = examples(12, 0)
    infos = write_shards(out, exs, fmt="wds", prefix="r", shard_examples=4, record_progress=False)
    write_manifest(out, Manifest(kind="convert", config={}, shards={"wds": infos}, accounting=Accounting(12, 12),
                                 templates={"rt2-action-v1": DEFAULT_ACTION_TEMPLATE.text}))
    loader = DataLoader(readers.torch_dataset(out, train=False), batch_size=4, num_workers=1,
                        multiprocessing_context="spawn")
    batches = list(loader)
    assert [tuple(b["image"].shape) for b in batches] == [(4, 3, 6, 8)] * 3
    assert _keys(batches) == [e.key for e in exs]
    assert batches[0]["image"].dtype == torch.uint8


def test_torch_missing_names_the_install(monkeypatch, output):
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setattr(readers, "_TORCH_CLASS", None)
    with pytest.raises(MissingDependencyError, match="pip install torch") as info:
        readers.torch_dataset(output)
    assert isinstance(info.value, ImportError)


# -------------------------------------------------------------------------------------------------- tensorflow
def test_tf_dataset_parses_every_field(output):
    tf = pytest.importorskip("tensorflow", reason="tensorflow is not installed (pip install 'rt2data[tensorflow]')")
    parsed = list(readers.tf_dataset(output, decode_image=True).as_numpy_iterator())
    expected = list(iter_examples(output, fmt="tfrecord"))
    assert len(parsed) == len(expected)
    for got, ex in zip(parsed, expected):
        assert got["key"].decode() == ex.key and got["target"].decode() == ex.target
        assert got["prompt"].decode() == ex.prompt and got["kind"].decode() == ex.kind
        assert got["image"].shape == (6, 8, 3) and got["image"].dtype == np.uint8
        if ex.kind == "action":
            assert got["action_tokens"].tolist() == list(ex.action_tokens)
            assert got["action_raw_f64"].tolist() == list(ex.action_raw)  # exact
            assert np.allclose(got["action_raw"], ex.action_raw, atol=1e-7)
            assert got["step"] == ex.step and got["episode_id"].decode() == ex.episode_id
            assert got["action_mask"].tolist() == [True] * 8
        else:  # fixed width with a mask, so a mixture batches
            assert got["action_tokens"].tolist() == [0] * 8 and got["action_raw_f64"].tolist() == [0.0] * 8
            assert got["action_mask"].tolist() == [False] * 8
            assert got["step"] == -1 and got["instruction"] == b""
    assert tf is not None


def test_tf_dataset_of_a_mixture_batches_plainly(output):
    pytest.importorskip("tensorflow", reason="tensorflow is not installed (pip install 'rt2data[tensorflow]')")
    batches = list(readers.tf_dataset(output).batch(4).as_numpy_iterator())
    expected = list(iter_examples(output, fmt="tfrecord"))
    assert [len(b["key"]) for b in batches] == [4] * 6 + [2]
    assert [k.decode() for b in batches for k in b["key"]] == [e.key for e in expected]  # manifest order
    mask = np.concatenate([b["action_mask"] for b in batches])
    assert mask.shape == (26, 8) and mask.all(axis=1).tolist() == [e.kind == "action" for e in expected]
    assert np.concatenate([b["action_tokens"] for b in batches])[0].tolist() == list(expected[0].action_tokens)
    # the stored layout is still there: ragged per example without action_dims
    tf = sys.modules["tensorflow"]
    ragged = tf.data.TFRecordDataset(readers.shard_paths(output, fmt="tfrecord")).map(readers.tf_parse_fn())
    assert [int(r["action_tokens"].shape[0]) for r in ragged][-1] == 0
    with pytest.raises(Exception, match="wider than action_dims=4"):
        list(readers.tf_dataset(output, action_dims=4))


def test_output_action_dims(output, tmp_path):
    assert readers.output_action_dims(output) == 8
    assert readers.output_action_dims(readers.shard_paths(output, fmt="tfrecord")[1:]) == 8  # shards: the manifest beside
    with pytest.raises(ConfigError, match="action_dims="):
        readers.output_action_dims(tmp_path)


def test_tf_missing_names_the_install(monkeypatch, output):
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(MissingDependencyError, match=r"rt2data\[tensorflow\]"):
        readers.tf_parse_fn()


# ---------------------------------------------------------------------------------------------- Hugging Face
def test_hf_load_reads_a_mixture(output, tmp_path):
    pytest.importorskip("datasets", reason="datasets is not installed (pip install datasets)")
    ds = readers.hf_load(output, cache_dir=str(tmp_path / "hf"))
    expected = list(iter_examples(output))
    assert ds.num_rows == len(expected)
    assert set(ds.column_names) == {"__key__", "__url__", "jpg", "png", "json"}
    rows = {row["__key__"]: row for row in ds}
    for ex in expected:
        row = rows[ex.key]
        assert row["json"]["target"] == ex.target and row["json"]["kind"] == ex.kind
        assert row["json"]["action_tokens"] == (list(ex.action_tokens) if ex.action_tokens else None)
        picture = row[ex.image_format]
        assert picture.size == (8, 6)
        assert row["png" if ex.image_format == "jpg" else "jpg"] is None


def test_hf_missing_names_the_install(monkeypatch, output):
    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(MissingDependencyError, match="pip install datasets"):
        readers.hf_load(output)


def test_import_is_light():
    import subprocess

    code = ("import sys, rt2data.readers, rt2data.inspection, rt2data.inspection.validate, rt2data.inspection.plot; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'tensorflow', 'datasets', 'matplotlib', "
            "'apache_beam'}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
