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
