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


@pytest.fixture(scope="session")
def trainer_outputs(rlds_dataset, tmp_path_factory) -> Path:
    """A folder with real outputs as a trainer meets them (built once per session; read-only):

    ``out/bridge``: ``convert`` of a tfds-built ``bridge_dataset`` (4 episodes x 5 JPEG steps), both formats;
    ``web/captions-000000.tar``: 6 PNG captions written with ``webdataset.TarWriter``; ``mix.yaml``;
    ``out/mix``: ``mix`` of both at equal weights (16 examples, both formats, images stored as JPEG, the default);
    ``out/mix-keep``: the same mixture with ``image_format: keep`` (JPEG robot and PNG caption images).
    """
    import io

    import webdataset as wds
    from PIL import Image

    from rt2data.mix.config import load_mixture
    from rt2data.pipelines.convert import ConvertJob, run_convert
    from rt2data.pipelines.mix import run_mix

    root = tmp_path_factory.mktemp("trainer_outputs")
    ds = rlds_dataset("bridge_dataset", episodes=4, steps=5)
    run_convert(ConvertJob(dataset_dir=str(ds), spec="bridge_dataset", formats=("wds", "tfrecord")), root / "out/bridge")
    (root / "web").mkdir()
    with wds.TarWriter(str(root / "web" / "captions-000000.tar")) as sink:
        for i in range(6):
            buf = io.BytesIO()
            Image.new("RGB", (16, 16), (40 * i, 90, 200)).save(buf, format="PNG")
            sink.write({"__key__": f"c{i}", "png": buf.getvalue(), "txt": f"a blue square number {i}"})
    (root / "mix.yaml").write_text(
        "seed: 0\noutput: {examples: 16, shard_examples: 8, formats: [wds, tfrecord]}\nsources:\n"
        "  - {name: robot, kind: examples, path: out/bridge, weight: 0.5}\n"
        "  - {name: web, kind: caption, format: wds, path: web/captions-000000.tar, weight: 0.5}\n")
    mixture = load_mixture(root / "mix.yaml")
    run_mix(mixture, root / "out/mix")
    run_mix(mixture, root / "out/mix-keep", formats=("wds",), image_format="keep")
    return root
