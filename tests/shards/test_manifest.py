"""manifest.json: schema, determinism, accounting."""

from __future__ import annotations

import json

import pytest

from rt2data.errors import DataError, OutputError, SchemaError
from rt2data.example import Example
from rt2data.shards import (
    Accounting,
    Manifest,
    config_fingerprint,
    load_manifest,
    manifest_to_bytes,
    validate_accounting,
    write_manifest,
    write_shards,
)

CONFIG = {"spec": "bridge_dataset", "split": "train", "seed": 0, "shard_examples": 2, "formats": ["wds", "tfrecord"]}


def _manifest(tmp_path, **changes) -> Manifest:
    exs = [Example(key=f"k{i}", image=b"img", image_format="jpg", prompt="p", target="1 2", kind="action",
                   source="bridge", template_id="rt2-action-v1", episode_id="e", step=i, action_raw=(0.5, 1.0),
                   action_tokens=(3, 4)) for i in range(3)]
    fields = dict(
        kind="convert",
        config=CONFIG,
        shards={"tfrecord": write_shards(tmp_path, exs, fmt="tfrecord", prefix="b", shard_examples=2),
                "wds": write_shards(tmp_path, exs, fmt="wds", prefix="b", shard_examples=2)},
        accounting=Accounting(input=5, written=3, dropped={"non_finite_action": 1, "no_instruction": 1}),
        codec={"action_space": {"dims": ["terminate", "dx"]}, "normalization": {"method": "q01_q99"}},
        statistics={"bridge_dataset": {"action": {"mean": [0.0, 0.1]}, "num_transitions": 5}},
        templates={"rt2-action-v1": "Q: what action should the robot take to {instruction}? A:"},
        sources={},
    )
    fields.update(changes)
    return Manifest(**fields)


def test_write_load_round_trip_and_layout(tmp_path):
    manifest = _manifest(tmp_path)
    path = write_manifest(tmp_path, manifest)
    assert path == tmp_path / "manifest.json"
    loaded = load_manifest(tmp_path)
    assert loaded == manifest and load_manifest(path) == manifest
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text == manifest_to_bytes(loaded).decode()
    doc = json.loads(text)
    assert doc["format_version"] == 1 and doc["formats"] == ["wds", "tfrecord"]  # canonical order
    assert list(doc) == sorted(doc)
    assert doc["config_fingerprint"] == config_fingerprint(CONFIG) and doc["created_by"].startswith("rt2data ")
    assert [s["name"] for s in doc["shards"]["wds"]] == ["b-000000.tar", "b-000001.tar"]
    assert manifest.formats == ("wds", "tfrecord")
    assert [i.name for i in manifest.all_shards()][0] == "b-000000.tar"


def test_same_inputs_byte_identical(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    reordered = dict(reversed(list(CONFIG.items())))
    a = manifest_to_bytes(_manifest(tmp_path / "a"))
    b = manifest_to_bytes(_manifest(tmp_path / "b", config=reordered))
    assert a == b
    assert config_fingerprint(reordered) == config_fingerprint(CONFIG)
    assert config_fingerprint({**CONFIG, "seed": 1}) != config_fingerprint(CONFIG)


def test_schema_errors_name_the_field(tmp_path):
    write_manifest(tmp_path, _manifest(tmp_path))
    path = tmp_path / "manifest.json"
    doc = json.loads(path.read_text())
    doc["shards"]["wds"][1]["sha256"] = "nothex"
    path.write_text(json.dumps(doc))
    with pytest.raises(SchemaError, match=r"field shards/wds/1/sha256"):
        load_manifest(tmp_path)
    doc["shards"]["wds"][1]["sha256"] = "0" * 64
    doc["accounting"]["dropped"]["bad"] = -1
    path.write_text(json.dumps(doc))
    with pytest.raises(SchemaError, match=r"field accounting/dropped/bad"):
        load_manifest(tmp_path)
    del doc["accounting"]["dropped"]["bad"]
    doc["surprise"] = 1
    path.write_text(json.dumps(doc))
    with pytest.raises(SchemaError, match="surprise"):
        load_manifest(tmp_path)
    path.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        load_manifest(path)
    with pytest.raises(OutputError, match="no manifest"):
        load_manifest(tmp_path / "nowhere")


def test_manifest_rejects_bad_values(tmp_path):
    with pytest.raises(SchemaError, match="kind"):
        _manifest(tmp_path, kind="merge")
    with pytest.raises(SchemaError, match="unknown formats"):
        _manifest(tmp_path, shards={"parquet": []})
    with pytest.raises(OutputError, match="NaN"):
        manifest_to_bytes(_manifest(tmp_path, statistics={"q01": [float("nan")]}))
    web = _manifest(tmp_path, codec=None, statistics=None, kind="mix", sources={"coco": {"requested": 3}})
    write_manifest(tmp_path, web)
    assert load_manifest(tmp_path).codec is None


def test_accounting_must_balance():
    validate_accounting(Accounting(input=10, written=7, dropped={"a": 2, "b": 1}))
    validate_accounting({"input": 0, "written": 0, "dropped": {}})
    with pytest.raises(DataError, match=r"input 10 != written 7 \+ dropped 2"):
        validate_accounting(Accounting(input=10, written=7, dropped={"a": 2}))
    with pytest.raises(DataError, match="negative"):
        validate_accounting(Accounting(input=1, written=2, dropped={"a": -1}))
    assert Accounting(3, 1, {"z": 1, "a": 1}).to_json_dict() == {"input": 3, "written": 1, "dropped": {"a": 1, "z": 1}}
