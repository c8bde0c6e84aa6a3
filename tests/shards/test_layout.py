"""Output directory policy: refuse, overwrite, resume (verified shards only), finalize."""

from __future__ import annotations

from pathlib import Path

import pytest

from rt2data.errors import OutputError
from rt2data.example import Example
from rt2data.shards import (
    Accounting,
    Manifest,
    config_fingerprint,
    finalize_output,
    iter_examples,
    prepare_output_dir,
    read_ledger,
    remove_output_files,
    shard_name,
    write_manifest,
    write_shard_at,
    write_shards,
)
from rt2data.shards.files import LEDGER_NAME

CONFIG = {"spec": "bridge", "shard_examples": 3}
FP = config_fingerprint(CONFIG)


def _examples(n: int, tag: str = "") -> list[Example]:
    return [Example(key=f"k{i}{tag}", image=bytes([i % 256]) * 40, image_format="jpg", prompt="p", target="t",
                    kind="caption", source="web", template_id="c") for i in range(n)]


def _complete_output(out: Path, n: int = 7) -> list:
    prepare_output_dir(out, config_fingerprint=FP)
    infos = write_shards(out, _examples(n), fmt="wds", prefix="x", shard_examples=3)
    manifest = Manifest(kind="convert", config=CONFIG, shards={"wds": infos}, accounting=Accounting(n, n, {}))
    finalize_output(out, infos, manifest=manifest)
    return infos


def _names(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


def test_new_dir_and_refuse_existing(tmp_path):
    out = tmp_path / "out"
    assert prepare_output_dir(out, config_fingerprint=FP) == {}
    assert read_ledger(out).config_fingerprint == FP
    infos = _complete_output(tmp_path / "done")
    # ledger gone after finalize; the dataset card (README.md) written with the manifest
    assert _names(tmp_path / "done") == ["README.md", "manifest.json", *[i.name for i in infos]]
    with pytest.raises(OutputError, match="--overwrite.*--resume"):
        prepare_output_dir(tmp_path / "done", config_fingerprint=FP)
    with pytest.raises(OutputError, match="exclude each other"):
        prepare_output_dir(tmp_path / "done", overwrite=True, resume=True, config_fingerprint=FP)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        prepare_output_dir(tmp_path / "file", config_fingerprint=FP)
    # Unrelated files alone do not make an output.
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    assert prepare_output_dir(tmp_path / "other", config_fingerprint=FP) == {}


def test_overwrite_removes_only_our_files(tmp_path):
    out = tmp_path / "out"
    _complete_output(out)
    (out / "notes.txt").write_text("keep me")
    (out / "sub").mkdir()
    (out / (".x-000009.tar.tmp-" + "a" * 32)).write_bytes(b"partial")
    assert prepare_output_dir(out, overwrite=True, config_fingerprint=FP) == {}
    assert _names(out) == [".shards.partial.jsonl", ".shards.partial.lock", "notes.txt", "sub"]


def test_resume_keeps_verified_shards_and_rejects_tampered(tmp_path):
    out = tmp_path / "out"
    prepare_output_dir(out, config_fingerprint=FP)
    exs = _examples(9)
    done = [write_shard_at(out, exs[3 * k : 3 * k + 3], index=k, fmt="tfrecord", prefix="x") for k in range(3)]
    (out / (".x-000003.tfrecord.tmp-" + "b" * 32)).write_bytes(b"half a shard")  # a crash mid-shard
    raw = bytearray((out / done[1].name).read_bytes())
    raw[30] ^= 0xFF
    (out / done[1].name).write_bytes(bytes(raw))  # same size, other bytes
    kept = prepare_output_dir(out, resume=True, config_fingerprint=FP)
    assert sorted(kept) == [done[0].name, done[2].name] and kept[done[0].name] == done[0]
    assert _names(out) == [".shards.partial.jsonl", ".shards.partial.lock", done[0].name, done[2].name]
    assert set(read_ledger(out)) == set(kept)
    # The pipeline writes only what is missing, then finalizes.
    redo = write_shard_at(out, exs[3:6], index=1, fmt="tfrecord", prefix="x")
    assert redo == done[1]
    infos = [kept[done[0].name], redo, kept[done[2].name]]
    finalize_output(out, infos, manifest=Manifest(kind="convert", config=CONFIG, shards={"tfrecord": infos},
                                                  accounting=Accounting(9, 9, {})))
    assert list(iter_examples(out, verify=True)) == exs


def test_resume_from_manifest_and_fingerprint_mismatch(tmp_path):
    out = tmp_path / "out"
    infos = _complete_output(out)
    kept = prepare_output_dir(out, resume=True, config_fingerprint=FP)
    assert sorted(kept) == [i.name for i in infos]
    assert not (out / "manifest.json").exists() and set(read_ledger(out)) == set(kept)
    other = config_fingerprint({**CONFIG, "seed": 1})
    with pytest.raises(OutputError, match="another configuration"):
        prepare_output_dir(out, resume=True, config_fingerprint=other)
    _complete_output(tmp_path / "o2")
    with pytest.raises(OutputError, match="another configuration"):
        prepare_output_dir(tmp_path / "o2", resume=True, config_fingerprint=other)


def test_resume_without_proof_refuses(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    write_shards(out, _examples(2), fmt="wds", prefix="x")  # shards but no ledger or manifest
    with pytest.raises(OutputError, match="no manifest.json or progress ledger"):
        prepare_output_dir(out, resume=True, config_fingerprint=FP)
    assert prepare_output_dir(tmp_path / "fresh", resume=True, config_fingerprint=FP) == {}


def test_ledger_survives_a_torn_line(tmp_path):
    out = tmp_path / "out"
    prepare_output_dir(out, config_fingerprint=FP)
    first = write_shard_at(out, _examples(2), index=0, fmt="wds", prefix="x")
    with open(out / LEDGER_NAME, "ab") as f:
        f.write(b'{"name": "x-000001.tar", "cou')  # killed mid-append
    assert dict(read_ledger(out)) == {first.name: first}
    assert prepare_output_dir(out, resume=True, config_fingerprint=FP) == {first.name: first}


def test_finalize_checks_and_removes_stale(tmp_path):
    out = tmp_path / "out"
    prepare_output_dir(out, config_fingerprint=FP)
    infos = write_shards(out, _examples(9), fmt="wds", prefix="x", shard_examples=3)
    (out / shard_name("other", 0, "wds")).write_bytes(b"not ours to judge")
    (out / shard_name("x", 7, "wds")).write_bytes(b"stale from a bigger earlier run")
    finalize_output(out, infos[:2])  # no manifest yet: ledger stays
    assert (out / LEDGER_NAME).exists()
    assert _names(out) == [".shards.partial.jsonl", ".shards.partial.lock", "other-000000.tar", "x-000000.tar",
                           "x-000001.tar"]
    with pytest.raises(OutputError, match="x-000002.tar is missing"):
        finalize_output(out, infos)
    (out / infos[1].name).write_bytes(b"short")
    with pytest.raises(OutputError, match="has 5 bytes"):
        finalize_output(out, infos[:2])


def test_manifest_write_is_atomic_replace(tmp_path):
    out = tmp_path / "out"
    infos = _complete_output(out)
    write_manifest(out, Manifest(kind="convert", config=CONFIG, shards={"wds": infos}, accounting=Accounting(7, 7)))
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_dataset_card_is_ours_only_while_marked(tmp_path):
    out = tmp_path / "out"
    infos = _complete_output(out)
    card = (out / "README.md").read_text()
    assert card.startswith("---\nconfigs:") and [i.name for i in infos] == [
        line.strip()[2:] for line in card.split("path:\n", 1)[1].split("dataset_info:")[0].splitlines()]
    remove_output_files(out)
    assert _names(out) == []  # --overwrite removes our card with the rest
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "README.md").write_text("my notes\n")
    _complete_output(mine)
    assert (mine / "README.md").read_text() == "my notes\n"  # a user's README is never overwritten ...
    remove_output_files(mine)
    assert _names(mine) == ["README.md"]  # ... nor removed
