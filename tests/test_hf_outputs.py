"""Hugging Face ``datasets`` reads rt2data outputs unchanged (issue 13): a convert output and a mixture of JPEG robot
examples with PNG captions, through ``datasets.load_dataset("webdataset", data_files=...)`` with no features given.

A mixture stores every image in one format (``output.image_format`` / ``mix --image-format``: ``jpg`` by default, or
``png``: the same code path, checked here on ``transcode``), so every sample has the same members and ``datasets`` infers an ``Image()`` column; ``keep`` leaves each
source's format, which plain ``datasets`` cannot read (``rt2data.readers.hf_load`` can). Real tfds-built dataset,
real convert and mix runs (FnApiRunner), real ``datasets``."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from rt2data import readers
from rt2data.errors import ConfigError, DataError
from rt2data.images import transcode
from rt2data.mix.config import load_mixture
from rt2data.shards import iter_examples


def png(i: int, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (12, 10), (30 * i % 256, 90, 200, 128)[: len(mode)]).save(buf, format="PNG")
    return buf.getvalue()


def test_transcode_passes_through_or_converts_once():
    jpg_bytes, fmt = transcode(png(1), "png", to="jpg")
    assert fmt == "jpg" and Image.open(io.BytesIO(jpg_bytes)).format == "JPEG"
    assert Image.open(io.BytesIO(jpg_bytes)).size == (12, 10)
    again, fmt = transcode(jpg_bytes, "jpg", to="jpg")
    assert again is jpg_bytes and fmt == "jpg"  # a JPEG is never compressed twice
    assert transcode(png(1), "png", to="keep") == (png(1), "png")
    assert transcode(png(1), "png", to="jpg") == (jpg_bytes, "jpg")  # deterministic
    lossless, fmt = transcode(jpg_bytes, "jpg", to="png")
    assert fmt == "png" and np.array_equal(np.array(Image.open(io.BytesIO(lossless))),
                                           np.array(Image.open(io.BytesIO(jpg_bytes))))
    rgba, _ = transcode(png(2, "RGBA"), "png", to="jpg")
    assert Image.open(io.BytesIO(rgba)).mode == "RGB"
    with pytest.raises(DataError, match="cannot decode png image"):
        transcode(b"\x89PNG not really", "png", to="jpg")
    with pytest.raises(ValueError, match="keep"):
        transcode(png(1), "png", to="webp")


def test_image_format_is_validated(tmp_path):
    (tmp_path / "m.yaml").write_text("output: {examples: 4, image_format: gif}\nsources:\n"
                                     "  - {name: a, kind: caption, format: wds, path: a.tar, weight: 1}\n")
    (tmp_path / "a.tar").write_bytes(b"")
    with pytest.raises(ConfigError, match="image_format"):
        load_mixture(tmp_path / "m.yaml")


@pytest.fixture(scope="module")
def outputs(trainer_outputs) -> dict:
    out = trainer_outputs / "out"
    return {"convert": out / "bridge", "jpg": out / "mix", "keep": out / "mix-keep"}


def load_plain(out, tmp_path):
    import datasets

    return datasets.load_dataset("webdataset", data_files={"train": readers.shard_paths(out)}, split="train",
                                 cache_dir=str(tmp_path / "hf"))


@pytest.mark.slow
@pytest.mark.parametrize("name,column", [("convert", "jpg"), ("jpg", "jpg")])
def test_plain_datasets_reads_convert_and_mix_outputs(outputs, tmp_path, name, column):
    datasets = pytest.importorskip("datasets", reason="datasets is not installed (it is in the test extra)")
    ds = load_plain(outputs[name], tmp_path)
    expected = list(iter_examples(outputs[name]))
    assert ds.num_rows == len(expected)
    assert set(ds.column_names) == {"__key__", "__url__", column, "json"}
    features = ds.features
    assert isinstance(features[column], datasets.Image)
    fields = features["json"]
    assert fields["target"] == datasets.Value("string") and fields["step"] == datasets.Value("int64")
    assert fields["action_tokens"] == datasets.List(datasets.Value("int64"))
    assert fields["action_raw"] == datasets.List(datasets.Value("float64"))
    for row, ex in zip(ds, expected):  # manifest order, every field and image as written
        assert row["__key__"] == ex.key and row["json"]["target"] == ex.target and row["json"]["kind"] == ex.kind
        assert row["json"]["action_tokens"] == (list(ex.action_tokens) if ex.action_tokens else None)
        assert row[column].size == Image.open(io.BytesIO(ex.image)).size and ex.image_format == column
    if name != "convert":
        assert {ex.kind for ex in expected} == {"action", "caption"}


@pytest.mark.slow
def test_keep_leaves_each_sources_format(outputs, tmp_path):
    datasets = pytest.importorskip("datasets", reason="datasets is not installed (it is in the test extra)")
    formats = {ex.image_format for ex in iter_examples(outputs["keep"])}
    assert formats == {"jpg", "png"}  # the trade-off: bytes untouched, two member names
    with pytest.raises(ValueError, match="don't share the same prefix or the same types"):
        load_plain(outputs["keep"], tmp_path)
    ds = readers.hf_load(outputs["keep"], cache_dir=str(tmp_path / "hf2"))
    assert ds.num_rows == 16 and set(ds.column_names) == {"__key__", "__url__", "jpg", "png", "json"}
    assert datasets is not None


@pytest.mark.slow
def test_jpg_mixture_reencodes_only_non_jpeg_images(outputs):
    robot = {ex.key: ex.image for ex in iter_examples(outputs["convert"])}
    kept = {ex.key: ex for ex in iter_examples(outputs["keep"])}
    for ex in iter_examples(outputs["jpg"]):
        original = kept[ex.key]
        assert ex.image_format == "jpg"
        if original.image_format == "jpg":
            assert ex.image == original.image  # robot JPEGs pass through byte for byte
            assert ex.key.split("-e")[0].removeprefix("robot-") in robot
        else:
            assert Image.open(io.BytesIO(ex.image)).size == Image.open(io.BytesIO(original.image)).size


@pytest.mark.slow
@pytest.mark.parametrize("name", ["convert", "jpg", "keep"])
def test_datasets_reads_an_output_folder_with_exact_features(outputs, tmp_path, name):
    """``load_dataset("OUT_DIR")``: the dataset card gives manifest order and the exact features, including the
    fields that are null in the first samples (``plan``; the action fields of a mixture) and both image columns of a
    ``keep`` mixture."""
    datasets = pytest.importorskip("datasets", reason="datasets is not installed (it is in the test extra)")
    from rt2data.shards import hf_webdataset_features

    out = outputs[name]
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "hf"))
    formats = readers.wds_image_formats(readers.shard_paths(out))
    assert ds.features == hf_webdataset_features(formats)
    assert ds.features["json"]["plan"] == datasets.Value("string")
    expected = list(iter_examples(out))
    assert [row["__key__"] for row in ds] == [ex.key for ex in expected]
    for row, ex in zip(ds, expected):
        assert row["json"]["action_raw"] == (list(ex.action_raw) if ex.action_raw else None)
        assert row[ex.image_format].size == Image.open(io.BytesIO(ex.image)).size
