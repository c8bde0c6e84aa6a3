"""Every shipped spec against tfds-built data in its layout, and the real OXE features.json layouts (shared data).

The builders write known truth in each dataset's own convention (gripper closed per ``gripper_closed_pattern``,
termination on the last step, instruction ``instruction_for``), so standardization is checked value by value.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rt2data.errors import DataError, SpecError
from rt2data.rlds import RawEpisode, load_features, open_dataset
from rt2data.spec import CanonicalEpisode, DatasetSpec, list_specs
from rt2data.testing import rlds_builders as rb
from rt2data.spec import check_features, standardize

STEPS = 6
DERIVED_IDS = {"kuka", "taco_play", "toto", "roboturk", "viola"}  # layouts with no episode id field
JPEG_LAYOUTS = {"bridge_dataset", "fractal20220817_data", "kuka", "language_table", "droid", "generic_flat_eef"}


def _standardized(spec: DatasetSpec, path: Path) -> list[tuple[CanonicalEpisode, RawEpisode]]:
    ds = open_dataset(path)
    out = []
    for ref in ds.shards("train"):
        for raw in open_dataset(ref.dataset_dir).read_shard(ref):
            out.append((standardize(spec, raw), raw))
    return out


def _index_of(canon: CanonicalEpisode, expected: list[dict], spec: DatasetSpec) -> int:
    """Which generated episode this is: the primary image of step 0 encodes the episode index."""
    key = spec.primary_image.path.split("/")
    for i, ep in enumerate(expected):
        node = ep["steps"][0]
        for k in key:
            node = node[k]
        if node == canon.images[0]:
            return i
    raise AssertionError(f"episode {canon.episode_id} matches no generated episode")


def _generated(ep: dict, path: str) -> np.ndarray:
    """float64[N, W] of a generated step field (``action/world_vector``)."""
    rows = []
    for step in ep["steps"]:
        node = step
        for k in path.split("/"):
            node = node[k]
        rows.append(np.asarray(node, dtype=np.float64).reshape(-1))
    return np.stack(rows)


@pytest.mark.parametrize("name", sorted(set(list_specs()) & {"bridge_dataset", "bridge_oxe_v0", "fractal20220817_data", "kuka", "taco_play", "jaco_play", "berkeley_autolab_ur5", "language_table", "toto", "roboturk", "viola", "droid", "generic_flat_eef"}))
def test_shipped_spec_on_its_layout(rlds_dataset, name):
    spec = DatasetSpec.load(name)
    path = rlds_dataset(name, episodes=3, steps=STEPS, blank_instruction_episodes=[2])
    ds = open_dataset(path)
    assert check_features(spec, ds.features) == []
    layout = rb.LAYOUTS[name]
    expected = [rb.generate_episode(ds.features, name=name, index=i, steps=STEPS, roles=layout.roles,
                                    blank_instruction=i == 2) for i in range(3)]
    results = _standardized(spec, path)
    seen = set()
    for canon, raw in results:
        i = _index_of(canon, expected, spec)
        seen.add(i)
        n, d = canon.actions.shape
        assert (n, d) == (STEPS, len(spec.dim_names)) and canon.actions.dtype == np.float64
        # terminate: 1 exactly on the last step, first column
        np.testing.assert_array_equal(canon.actions[:, 0], [0] * (STEPS - 1) + [1])
        # gripper polarity: canonical +1 where the builder closed the gripper, -1 where it opened it
        if spec.gripper is not None:
            closed = rb.gripper_closed_pattern(i, STEPS)
            np.testing.assert_array_equal(canon.actions[:, spec.gripper.column], np.where(closed, 1.0, -1.0))
        # the other columns are the dataset's values, in order (or zeros for filled-in dims)
        col = 1
        for part in spec.action_parts:
            cols = slice(col, col + part.size)
            # tf.train.Example stores every float (float64 too: droid) as float32, hence the rounding
            want = np.zeros((STEPS, part.size)) if part.ref is None else \
                _generated(expected[i], part.ref.path).astype(np.float32).astype(np.float64)
            if part.ref is not None and part.start is not None:
                want = want[:, part.start:part.stop]
            keep = [c for c in range(cols.start, cols.stop) if spec.gripper is None or c != spec.gripper.column]
            np.testing.assert_array_equal(canon.actions[:, keep], want[:, [c - col for c in keep]])
            col += part.size
        # images pass through; format sniffed
        assert canon.image_format == ("jpg" if name in JPEG_LAYOUTS else "png")
        assert len(canon.images) == STEPS and len(set(canon.images)) == STEPS
        assert (canon.wrist_images is not None) == (spec.wrist_image is not None)
        # instructions: raw text per step, None for the blank episode
        want_text = None if i == 2 else rb.instruction_for(0, i)
        assert canon.instructions == [want_text] * STEPS
        assert canon.is_first.tolist() == [True] + [False] * (STEPS - 1)
        assert canon.is_last.tolist() == canon.is_terminal.tolist() == [False] * (STEPS - 1) + [True]
        if spec.proprio:
            assert canon.proprio.shape[0] == STEPS and canon.proprio.dtype == np.float64
        assert canon.source_path == raw.path and canon.record_index == raw.record_index
        if name in DERIVED_IDS:
            assert canon.episode_id == f"{Path(raw.path).name}#{raw.record_index}"
        elif name == "bridge_dataset":
            assert canon.episode_id == f"/data/bridge_dataset/episode_{i:05d}/file_path.h5/{i}"
        elif name in ("droid", "generic_flat_eef"):
            assert canon.episode_id == f"/data/{name}/episode_{i:05d}/file_path.h5"
        else:
            assert canon.episode_id == f"{name}-{i:05d}"
    assert seen == {0, 1, 2} and len({c.episode_id for c, _ in results}) == 3


def test_droid_falls_back_to_alternative_instructions(rlds_dataset):
    spec = DatasetSpec.load("droid")
    (canon, raw), *_ = _standardized(spec, rlds_dataset("droid", episodes=3, steps=STEPS))
    steps = raw.data["steps"]
    steps["language_instruction"] = np.array([b""] * STEPS, dtype=object)
    steps["language_instruction_2"] = np.array([b"", b"alt two"] * (STEPS // 2), dtype=object)
    got = standardize(spec, raw).instructions
    assert got[1] == "alt two" and got[0] == steps["language_instruction_3"][0].decode()


def test_raw_uint8_images_are_png_encoded(rlds_dataset):
    from PIL import Image
    import io

    spec = DatasetSpec.load("bridge_oxe_v0")
    (_, raw), *_ = _standardized(spec, rlds_dataset("bridge_oxe_v0", episodes=1, steps=STEPS))
    pixels = np.random.default_rng(0).integers(0, 256, (STEPS, 8, 8, 3), dtype=np.uint8)
    raw.data["steps"]["observation"]["image"] = pixels  # as if the dataset stored a raw uint8 tensor
    canon = standardize(spec, raw)
    assert canon.image_format == "png"
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(canon.images[3]))), pixels[3])


@pytest.fixture()
def fractal_raw(rlds_dataset) -> tuple[DatasetSpec, RawEpisode]:
    spec = DatasetSpec.load("fractal20220817_data")
    return spec, _standardized(spec, rlds_dataset("fractal20220817_data", episodes=1, steps=STEPS))[0][1]


def test_wrong_action_shape_names_episode_and_field(fractal_raw):
    spec, raw = fractal_raw
    raw.data["steps"]["action"]["world_vector"] = np.zeros((STEPS, 2), np.float32)
    with pytest.raises(DataError) as info:
        standardize(spec, raw)
    msg = str(info.value)
    assert "episode 'fractal20220817_data-00000'" in msg and f"record {raw.record_index}" in msg
    assert "field steps/action/world_vector" in msg and "2 values per step, the spec needs 3" in msg


def test_bad_image_and_bad_text_name_the_step(fractal_raw):
    spec, raw = fractal_raw
    images = raw.data["steps"]["observation"]["image"].copy()
    images[3] = b"not an image"
    raw.data["steps"]["observation"]["image"] = images
    with pytest.raises(DataError, match=r"step 3\): field steps/observation/image: primary image is not an encoded"):
        standardize(spec, raw)
    raw.data["steps"]["observation"]["image"][3] = raw.data["steps"]["observation"]["image"][2]
    text = raw.data["steps"]["observation"]["natural_language_instruction"].copy()
    text[4] = b"\xff\xfe bad"
    raw.data["steps"]["observation"]["natural_language_instruction"] = text
    with pytest.raises(DataError, match=r"step 4\): field steps/observation/natural_language_instruction: .*UTF-8"):
        standardize(spec, raw)


def test_missing_field_and_empty_episode(fractal_raw, tmp_path):
    spec, raw = fractal_raw
    del raw.data["steps"]["action"]["terminate_episode"]
    with pytest.raises(SpecError, match="terminate one-hot field steps/action/terminate_episode is not in episode"):
        standardize(spec, raw)
    empty = open_dataset(rb.build_dataset("fractal20220817_data", tmp_path, episodes=1, steps=0))
    (raw0,) = list(empty.read_shard(empty.shards("train")[0]))
    with pytest.raises(DataError, match="has no steps"):
        standardize(spec, raw0)


def test_canonical_episode_is_read_only(fractal_raw):
    spec, raw = fractal_raw
    canon = standardize(spec, raw)
    with pytest.raises(ValueError):
        canon.actions[0, 0] = 5.0
    with pytest.raises(DataError, match="disagree on N"):
        CanonicalEpisode("x", [b""], "png", None, [None, None], np.zeros((2, 8)), None, np.zeros(2, bool),
                         np.zeros(2, bool), np.zeros(2, bool), "p", 0)


# --- the real OXE features.json layouts (../shared/data/oxe_feature_json) -----------------------------------------

@pytest.mark.shared
@pytest.mark.parametrize("name,version", [("bridge", "1.0.0"), ("language_table", "0.0.1")])
def test_shipped_spec_matches_real_features_json(shared_data, name, version):
    real = shared_data / "oxe_feature_json" / name / version
    assert check_features(DatasetSpec.load({"bridge": "bridge_oxe_v0"}.get(name, name)), load_features(real)) == []


@pytest.mark.shared
@pytest.mark.parametrize("name,version", [("bridge", "1.0.0"), ("language_table", "0.0.1")])
def test_rebuilt_real_layout_standardizes(shared_data, tmp_path, name, version):
    real = shared_data / "oxe_feature_json" / name / version
    path = rb.build_from_features_json(real / "features.json", tmp_path, episodes=2, steps=4, shards=2)
    assert (path / "features.json").read_text() == (real / "features.json").read_text() or \
        load_features(path).to_json() == load_features(real).to_json()
    ds = open_dataset(path)
    info = json.loads((real / "dataset_info.json").read_text())
    assert ds.name == name and ds.version == info["version"]  # bridge's file says 0.0.1 inside its 1.0.0 folder
    template = ds.splits["train"].filepath_template
    assert template == info["splits"][0]["filepathTemplate"]
    assert all(("-of-" in Path(r.path).name) == ("SHARD_X_OF_Y" in template) for r in ds.shards("train"))
    spec = DatasetSpec.load({"bridge": "bridge_oxe_v0"}.get(name, name))  # oxe_feature_json holds the old layout
    got = {}
    for canon, raw in _standardized(spec, path):
        i = int(canon.episode_id.rsplit("-", 1)[1])
        got[i] = canon
        assert canon.instructions == [rb.instruction_for(0, i)] * 4
        np.testing.assert_array_equal(canon.actions[:, 0], [0, 0, 0, 1])
        if spec.gripper is not None:  # bridge: open_gripper bool, True = open
            np.testing.assert_array_equal(canon.actions[:, spec.gripper.column],
                                          np.where(rb.gripper_closed_pattern(i, 4), 1.0, -1.0))
            assert raw.get("steps/observation/image")[0][:8] == b"\x89PNG\r\n\x1a\n"  # no encodingFormat -> PNG
        else:
            assert canon.actions.shape == (4, 3) and canon.image_format == "jpg"
    assert sorted(got) == [0, 1]
