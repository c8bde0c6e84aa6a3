"""Where the real tokenizer files that PyPI packages ship are (mistral-common, open-clip-torch), found without importing
the packages (open_clip imports torch); a test skips with a reason when a package is absent."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def tokenizer_file(which: str) -> Path:
    """``sp_v1`` | ``sp_v3`` | ``tekken`` | ``clip``: the file, or skip the test with a reason."""
    package, rel = {
        "sp_v1": ("mistral_common", "data/tokenizer.model.v1"),
        "sp_v3": ("mistral_common", "data/mistral_instruct_tokenizer_240323.model.v3"),
        "tekken": ("mistral_common", "data/tekken_240911.json"),
        "clip": ("open_clip", "bpe_simple_vocab_16e6.txt.gz"),
    }[which]
    needs = ["sentencepiece", "tokenizers"] + (["mistral_common"] if which == "tekken" else [])
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    root = _package_dir(package)
    if root is None or missing or not (root / rel).is_file():
        pytest.skip(f"needs the tokenizer file {package}/{rel} and {needs} (pip install -e '.[test]')")
    return root / rel
