"""Real tokenizers (files shipped by mistral-common and open-clip-torch): adapters, the join rule, the vocab report,
the constrained-decoding trie and mask, and a 1,000-target round trip per tokenizer."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rt2data.cli.main import cli
from rt2data.codec.action_space import ActionSpace
from rt2data.codec.constrained import ActionTrie
from rt2data.codec.token_report import action_trie, check_lossless, sample_targets, strategy_report, token_strategy
from rt2data.codec.tokenizers import load_tokenizer, sniff_kind
from rt2data.codec.vocab import make_strategy
from rt2data.errors import ConfigError, ParseError, TokenizerError
from tokenizer_files import tokenizer_file  # tests/codec/tokenizer_files.py

SPACE = ActionSpace.rt2_default()
PROMPTS = ["Q: what action should the robot take to pick up the red can? A:",
           "Q: what action should the robot take to open the top drawer? A:"]
README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module", params=["sp_v1", "sp_v3", "tekken"])
def lossless(request):
    return load_tokenizer(tokenizer_file(request.param))


def test_kinds_and_never_reserved_ids():
    sp = load_tokenizer(tokenizer_file("sp_v1"))
    assert (sniff_kind(sp.path), sp.vocab_size, sp.bos_id, sp.eos_id) == ("sentencepiece", 32000, 1, 2)
    banned = sp.never_reserve()
    assert Counter(banned.values()) == {"byte": 256, "control": 2, "unknown": 1}
    assert sp.piece(3) == "<0x00>" and banned[3] == "byte"
    assert sniff_kind(tokenizer_file("tekken")) == "tekken"
    assert sniff_kind(tokenizer_file("clip")) == "clip_bpe"
    with pytest.raises(TokenizerError, match="unknown tokenizer file kind"):
        sniff_kind(Path(__file__))


def test_join_rule_differs_by_family_in_opposite_directions():
    sp = load_tokenizer(tokenizer_file("sp_v1"))
    tk = load_tokenizer(tokenizer_file("tekken"))
    p, t = PROMPTS[0], "1 128 91 241 5 101 127 200"
    assert sp.encode(p + " " + t) == sp.encode(p) + sp.encode(t)
    assert sp.encode(p + " " + t) != sp.encode(p) + sp.encode(" " + t)
    assert tk.encode(p + " " + t) == tk.encode(p) + tk.encode(" " + t)
    assert tk.encode(p + " " + t) != tk.encode(p) + tk.encode(t)
    for tok in (sp, tk):
        head, tail = tok.split_joined(p, t)
        assert head + tail == tok.encode(p + " " + t) and tail == tok.target_ids(t)


def test_round_trip_1000_targets_integer_text_and_reserved_last(lossless):
    """Every target's ids are its bins' sequences, each id legal where it comes, parsed back, decoded exactly."""
    targets = sample_targets(SPACE, 1000, seed=1)
    for name in ("integer_text", "reserved_last"):
        strategy = token_strategy(name, SPACE, lossless)
        trie = action_trie(lossless, SPACE, strategy)
        assert trie.single_token == (name == "reserved_last")
        for t in targets:
            bins = tuple(int(v) for v in t.split(" "))
            if name == "integer_text":
                ids = lossless.target_ids(t)
                assert lossless.decode(ids).lstrip(" ") == t
            else:
                ids = strategy.bins_to_ids(np.asarray(bins)).tolist()
            for k, i in enumerate(ids):
                assert i in trie.allowed(ids[:k]), (t, k)
            assert lossless.eos_id in trie.allowed(ids)  # (or digits, where the last integer may go on)
            assert trie.parse(ids) == bins == trie.parse(ids + [lossless.eos_id])
        with pytest.raises(ParseError, match="not legal"):
            trie.allowed([lossless.eos_id])


def test_llama_style_integers_are_several_tokens_and_single_ids_fail_with_a_reason():
    sp = load_tokenizer(tokenizer_file("sp_v1"))
    report = strategy_report(sp, SPACE, "integer_text")
    assert report.exact and report.tokens_per_action == (16, 30)
    lengths = [len(s) for s in report.sequences[1]]
    assert sum(n >= 3 for n in lengths) == 246  # only 0..9 are two ids ("▁", digit)
    # The old way: one id per integer from this tokenizer gives duplicates; the error now says why.
    mapping = {str(b): sp.encode(str(b))[0] for b in range(256)}
    with pytest.raises(ConfigError, match="splits integers into digits"):
        make_strategy("integer_text", SPACE, mapping=mapping)


def test_clip_is_refused_for_integer_text_with_one_line_why(tmp_path):
    clip = load_tokenizer(tokenizer_file("clip"))
    assert clip.target_ids("1 1 9") == clip.target_ids("119")
    with pytest.raises(TokenizerError, match="drops the spaces") as info:
        check_lossless(clip, ["1 1 9"])
    assert "\n" not in str(info.value)
    report = strategy_report(clip, SPACE, "integer_text")
    assert report.refused and "lossy" in report.refused
    # The same tokenizer saved as a Hugging Face tokenizer.json (the hf kind) is refused the same way.
    clip._tok.save(str(tmp_path / "tokenizer.json"))
    hf = load_tokenizer(tmp_path / "tokenizer.json")
    assert hf.kind == "hf" and hf.encode("a photo of a cat") == [320, 1125, 539, 320, 2368]  # CLIP's own ids
    assert "lossy" in strategy_report(hf, SPACE, "integer_text").refused
    # reserved_last would overwrite <|endoftext|>: refused too; reserved_least_frequent excludes it.
    assert "special piece" in strategy_report(clip, SPACE, "reserved_last").refused
    freq = Counter(i for p in PROMPTS for i in clip.encode(p))
    ok = strategy_report(clip, SPACE, "reserved_least_frequent", frequencies={str(k): v for k, v in freq.items()})
    assert ok.refused is None and ok.exact
    assert not set(ok.params["reserved_ids"]) & set(clip.never_reserve())


def test_least_frequent_from_real_prompts_never_reserves_byte_or_control_pieces():
    sp = load_tokenizer(tokenizer_file("sp_v1"))
    counts = Counter(i for p in PROMPTS for i in sp.encode(p))
    naive = make_strategy("reserved_least_frequent", SPACE, frequencies=dict(counts), vocab_size=sp.vocab_size)
    assert set(naive.ids.tolist()) & set(sp.never_reserve())  # what happened before: <unk>, <s>, <0x00>...
    strategy = token_strategy("reserved_least_frequent", SPACE, sp, frequencies=dict(counts))
    assert not set(strategy.ids.tolist()) & set(sp.never_reserve())
    mask = action_trie(sp, SPACE, strategy).masks(sp.vocab_size)
    assert mask.shape == (8, 32000) and mask.sum(axis=1).tolist() == list(SPACE.n_tokens)


def test_trie_rejects_ambiguous_tables_and_mask_needs_single_ids():
    with pytest.raises(TokenizerError, match="same token ids"):
        ActionTrie([[[1, 2], [1, 2]]])
    with pytest.raises(TokenizerError, match="cannot be parsed unambiguously"):
        ActionTrie([[[5], [5, 6]], [[6], [7]]])
    with pytest.raises(TokenizerError, match="per-position id mask"):
        ActionTrie([[[5], [5, 6]], [[7], [8]]]).masks(10)
    trie = ActionTrie.from_json(ActionTrie([[[5], [5, 6]], [[7], [8]]], eos_id=0).to_json())
    assert trie.allowed([5]) == [6, 7, 8] and trie.parse([5, 6, 8]) == (1, 1)
    fn = trie.prefix_allowed_tokens_fn(prompt_length=2)
    assert fn(0, np.asarray([9, 9, 5, 7])) == [0]


def test_vocab_cli_report_and_trie_file(tmp_path):
    runner = CliRunner()
    sp = tokenizer_file("sp_v1")
    out = runner.invoke(cli, ["vocab", "--tokenizer", str(sp)], catch_exceptions=False)
    assert out.exit_code == 0
    assert "integer_text: 16-30 tokens per action string; decode(encode(target)) exact on 300 targets: yes" in out.output
    assert "bin 128 (position 7): [28705, 28740, 28750, 28783] ['▁', '1', '2', '8']" in out.output
    assert "reserved_last: 8-8 tokens" in out.output
    path = tmp_path / "cd.json"
    out = runner.invoke(cli, ["vocab", "--tokenizer", str(sp), "--strategy", "integer_text", "-o", str(path)])
    assert out.exit_code == 0, out.output
    data = json.loads(path.read_text())
    trie = ActionTrie.from_json(data["trie"])
    assert data["tokenizer"]["kind"] == "sentencepiece" and trie.parse(load_tokenizer(sp).target_ids("0 1 2 3 4 5 6 7"))
    clip = runner.invoke(cli, ["vocab", "--tokenizer", str(tokenizer_file("clip")), "--strategy", "integer_text",
                               "-o", str(tmp_path / "x.json")])
    assert clip.exit_code != 0 and "lossy" in str(clip.exception) and not (tmp_path / "x.json").exists()


def test_readme_constrained_decoding_snippet_runs(tmp_path):
    (snippet,) = [b for b in re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL) if "action_trie" in b]
    (tmp_path / "tokenizer.model").symlink_to(tokenizer_file("sp_v1"))
    proc = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == ["True", "(8, 32000)"]
