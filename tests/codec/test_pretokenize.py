"""Pre-tokenized examples (``--tokenizer``): input_ids/labels by the join rule in real tokenizers, in both output
formats; validate decodes the labels back to the target. The end-to-end run also covers ``--binning openvla`` and
``--action-chunk`` through ``convert``, ``detokenize --manifest``, ``inspect`` and ``validate``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import webdataset as wds
import yaml

from rt2data.codec.action_codec import ActionCodec
from rt2data.codec.chunks import parse_chunk
from rt2data.codec.pretokenize import IGNORE_INDEX, joined_ids, label_problem, tokenize_example
from rt2data.codec.tokenizers import load_tokenizer
from rt2data.errors import TokenizerError
from rt2data.example import Example
from rt2data.shards import iter_examples, load_manifest
from rt2data.shards.formats.tf_example import example_to_tf_example_bytes, tf_example_bytes_to_example
from tokenizer_files import tokenizer_file  # tests/codec/tokenizer_files.py

PROMPT = "Q: what action should the robot take to pick up the red can? A:"
TARGET = "1 128 91 241 5 101 127 200"
RT2DATA = [sys.executable, "-m", "rt2data.cli.main"]


def _example(**changes) -> Example:
    fields = dict(key="k0", image=b"\x89PNG", image_format="png", prompt=PROMPT, target=TARGET, kind="action",
                  source="s", template_id="rt2-action-v1", episode_id="e", step=0, action_raw=(0.0,) * 8,
                  action_tokens=(1, 128, 91, 241, 5, 101, 127, 200))
    fields.update(changes)
    return Example(**fields)


@pytest.mark.parametrize("which", ["sp_v1", "sp_v3", "tekken"])
def test_join_rule_labels_mask_the_prompt_and_decode_to_the_target(which):
    tok = load_tokenizer(tokenizer_file(which))
    input_ids, labels = joined_ids(tok, PROMPT, TARGET)
    assert input_ids == [tok.bos_id] + tok.encode(PROMPT + " " + TARGET) + [tok.eos_id]  # as a trainer does
    n_prompt = 1 + len(tok.encode(PROMPT))
    assert labels[:n_prompt] == [IGNORE_INDEX] * n_prompt and labels[n_prompt:] == input_ids[n_prompt:]
    assert tok.decode(labels[n_prompt:-1]).lstrip(" ") == TARGET
    # Counting the target's own ids gets the mask wrong for tekken (the space is an id of its own): the pitfall.
    naive = len(tok.encode(TARGET)) + 1
    assert (naive == len(input_ids) - n_prompt) == (tok.kind == "sentencepiece")
    ex = tokenize_example(_example(), tok)
    assert label_problem(ex, tok) is None
    assert tf_example_bytes_to_example(example_to_tf_example_bytes(ex)) == ex  # -100 survives the TFRecord
    wrong = ex.replace(labels=tuple(ex.labels[:-3]) + (IGNORE_INDEX,) * 3)
    assert "not the target" in label_problem(wrong, tok)


def test_a_lossy_tokenizer_is_refused_naming_the_example():
    clip = load_tokenizer(tokenizer_file("clip"))
    with pytest.raises(TokenizerError, match="example k0: .*does not give the target back"):
        tokenize_example(_example(), clip)


def run(*args, check=True):
    proc = subprocess.run([*RT2DATA, *map(str, args)], capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"rt2data {args} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


@pytest.mark.slow
def test_convert_and_mix_with_tokenizer_chunks_and_openvla_binning(rlds_dataset, tmp_path):
    sp = tokenizer_file("sp_v1")
    sp_v3 = tokenizer_file("sp_v3")  # (tekken is covered above; its 6 s load would double this test's time)
    ds = rlds_dataset("fractal20220817_data", episodes=2, steps=4, shards=1)
    out = tmp_path / "robot"
    run("convert", ds, out, "--spec", "fractal20220817_data", "--format", "both", "--binning", "openvla",
        "--action-chunk", "3", "--tokenizer", sp)
    manifest = load_manifest(out)
    assert manifest.codec["binning"] == "openvla" and manifest.config["convert"]["action_chunk"] == 3
    assert manifest.config["tokenizer"]["kind"] == "sentencepiece"
    wds_examples = list(iter_examples(out, fmt="wds"))
    assert wds_examples == list(iter_examples(out, fmt="tfrecord")) and len(wds_examples) == 8
    tok = load_tokenizer(sp)
    codec = ActionCodec.from_file(out)
    for ex in wds_examples:
        assert ex.chunk_steps == 3 and ex.chunk_real == min(3, 4 - ex.step)
        assert label_problem(ex, tok) is None and ex.input_ids[0] == tok.bos_id
        raw = np.asarray(ex.action_raw).reshape(3, -1)
        assert np.array_equal(codec.encode(raw).tokens, parse_chunk(ex.target, codec.action_space, 3))
    assert "ok:" in run("validate", out).stdout
    # detokenize --manifest follows the recorded binning and chunk
    first = wds_examples[0]
    decoded = json.loads(run("detokenize", "--manifest", out, first.target).stdout)
    assert np.allclose(decoded, codec.decode_tokens(np.asarray(first.action_tokens).reshape(3, -1)))
    assert "examples" in run("inspect", out).stdout
    # mix the chunked robot output with captions, pre-tokenized with another tokenizer
    (tmp_path / "caps").mkdir()
    with wds.TarWriter(str(tmp_path / "caps" / "c-000000.tar")) as sink:
        for i in range(4):
            sink.write({"__key__": f"c{i}", "png": first.image, "txt": f"a photo of object number {i}"})
    doc = {"seed": 0, "output": {"examples": 8, "shard_examples": 8, "formats": ["wds", "tfrecord"]},
           "sources": [{"name": "robot", "kind": "examples", "path": "robot", "weight": 0.5},
                       {"name": "caps", "kind": "caption", "format": "wds", "path": "caps/c-000000.tar",
                        "weight": 0.5}]}
    (tmp_path / "mixture.yaml").write_text(yaml.safe_dump(doc))
    run("mix", tmp_path / "mixture.yaml", tmp_path / "mix", "--tokenizer", sp_v3)
    mixed = list(iter_examples(tmp_path / "mix", fmt="wds"))
    assert mixed == list(iter_examples(tmp_path / "mix", fmt="tfrecord"))
    ttok = load_tokenizer(sp_v3)
    assert {e.kind for e in mixed} == {"action", "caption"}
    assert all(label_problem(e, ttok) is None and e.input_ids is not None for e in mixed)
    assert "ok:" in run("validate", tmp_path / "mix").stdout
