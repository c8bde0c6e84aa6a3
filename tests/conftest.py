"""Shared fixtures: RLDS datasets built with tfds (``rt2data.testing.rlds_builders``) and the shared reference data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

# RT2DATA_SHARED_DATA points elsewhere (a git worktree whose parent has no shared/ beside it)
SHARED_DATA = Path(os.environ.get("RT2DATA_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the project; tests using it are marked ``shared`` and skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared reference data not found at {SHARED_DATA} (only present in the development checkout)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def rlds_dataset(tmp_path_factory) -> Callable[..., Path]:
    """``rlds_dataset(layout, **build_kwargs) -> builder dir``: built once per session per (layout, kwargs); read-only.

    Tests that damage a dataset must build their own with ``rt2data.testing.rlds_builders.build_dataset``.
    """
    from rt2data.testing.rlds_builders import build_dataset

    cache: dict[tuple, Path] = {}

    def build(layout: str, **kwargs) -> Path:
        key = (layout, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items())))
        if key not in cache:
            cache[key] = build_dataset(layout, tmp_path_factory.mktemp(layout), **kwargs)
        return cache[key]

    return build


_TOKENIZER_FILES = {  # real tokenizer files PyPI packages ship (the test extra installs them)
    "sp_v1": ("mistral_common", "data/tokenizer.model.v1"),  # Llama layout, 32,000 ids
    "sp_v3": ("mistral_common", "data/mistral_instruct_tokenizer_240323.model.v3"),
    "tekken": ("mistral_common", "data/tekken_240911.json"),
    "clip": ("open_clip", "bpe_simple_vocab_16e6.txt.gz"),  # CLIP's BPE (lossy for action text)
}


@pytest.fixture(scope="session")
def tokenizer_file() -> Callable[[str], Path]:
    """``tokenizer_file(name) -> path`` for ``sp_v1`` | ``sp_v3`` | ``tekken`` | ``clip``, found without importing the
    package (open_clip imports torch); skips the test with a reason when the package or a reader is absent."""
    import importlib.util

    def find(name: str) -> Path:
        package, rel = _TOKENIZER_FILES[name]
        needs = ["sentencepiece", "tokenizers"] + (["mistral_common"] if name == "tekken" else [])
        missing = [m for m in needs if importlib.util.find_spec(m) is None]
        spec = importlib.util.find_spec(package)
        root = Path(list(spec.submodule_search_locations)[0]) if spec and spec.submodule_search_locations else None
        if root is None or missing or not (root / rel).is_file():
            pytest.skip(f"needs the tokenizer file {package}/{rel} and {needs} (pip install -e '.[test]')")
        return root / rel

    return find
