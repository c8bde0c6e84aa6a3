"""Every Open X-Embodiment dataset of the tfds catalog (``../shared/data/oxe_catalog``): a tiny dataset is built
from its real ``features.json`` with tfds's own writer (1 episode, a few steps, 8x8 images), its shipped spec is held
against the features, and every episode is standardized and converted by the Beam-free path (``standardize`` +
``convert_episode`` with a codec from the episode's statistics). tidybot and vima refuse with a one-line reason.

Where Octo has a standardization transform for a dataset and the spec follows it, the canonical actions are held
against that transform reimplemented here in numpy on the same episodes (gripper fields overwritten with values that
exercise the rule: relative commands with "no change" zeros, in-between gripper positions, open/closed states).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from rt2data.convert import ConvertConfig, convert_episode
from rt2data.errors import SpecError
from rt2data.prompt import get_template
from rt2data.rlds import open_dataset
from rt2data.spec import DatasetSpec, check_features, list_specs, spec_path, standardize
from rt2data.stats.accumulators import DatasetStatsAccumulator
from rt2data.stats.dataset_stats import codec_from_stats
from rt2data.testing import rlds_builders as rb
from rt2data.testing.tfds_reference import assert_same_tree

pytestmark = pytest.mark.shared
STEPS = 6
REFUSED = {"tidybot", "vima_converted_externally_to_rlds"}


NOT_IN_CATALOG = {"bridge_dataset", "bridge_oxe_v0", "generic_flat_eef"}  # shipped specs of other layouts


def _catalog_names() -> list[str]:
    """The catalog's datasets, as shipped specs (test_every_catalog_dataset_has_a_spec holds the two lists equal)."""
    return [n for n in list_specs() if n not in NOT_IN_CATALOG]


def _features_json(shared_data: Path, name: str) -> Path:
    (path,) = (shared_data / "oxe_catalog" / name).glob("*/features.json")
    return path


@pytest.fixture(scope="module")
def built(shared_data, tmp_path_factory):
    cache: dict[str, Path] = {}

    def build(name: str) -> Path:
        if name not in cache:
            cache[name] = rb.build_from_features_json(_features_json(shared_data, name), tmp_path_factory.mktemp(name),
                                                      episodes=1, steps=STEPS, image_size=(8, 8))
        return cache[name]

    return build


def _raw_episodes(path: Path):
    ds = open_dataset(path)
    return [raw for ref in ds.shards("train") for raw in ds.read_shard(ref)]


def _same_episode(a, b) -> bool:
    """Field by field (arrays by value, dtype included)."""
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            if not (isinstance(y, np.ndarray) and x.dtype == y.dtype and np.array_equal(x, y)):
                return False
        elif x != y:
            return False
    return True


def _leaf_paths(features) -> list[str]:
    def walk(feature, prefix):
        if feature.kind == "dataset":
            yield from walk(feature.inner, prefix)
        elif feature.kind == "dict":
            for key, child in feature.items():
                yield from walk(child, f"{prefix}{key}/")
        else:
            yield prefix.rstrip("/")

    return list(walk(features, ""))


def test_every_catalog_dataset_has_a_spec(shared_data):
    root = shared_data / "oxe_catalog"
    names = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert len(names) == 66 and names == set(_catalog_names())


@pytest.mark.parametrize("name", _catalog_names())
def test_catalog_dataset_checks_and_converts(shared_data, built, name):
    if name in REFUSED:
        reason = DatasetSpec.refusal(name)
        assert reason and "\n" not in reason
        with pytest.raises(SpecError, match=f"spec '{name}' refuses this dataset: "):
            DatasetSpec.load(name)
        return
    spec = DatasetSpec.load(name)
    assert spec.semantics is not None and spec.semantics.provenance["source"]
    path = built(name)
    ds = open_dataset(path)
    assert check_features(spec, ds.features) == []
    canon = [standardize(spec, raw) for raw in _raw_episodes(path)]
    assert len(canon) == 1
    # Decoding only the fields the spec reads gives the same canonical episode (and leaves some out where the
    # layout holds fields the spec does not read).
    pruned = [standardize(spec, raw) for ref in ds.shards("train") for raw in ds.read_unit(ref, fields=spec.fields_read())]
    assert len(pruned) == 1 and _same_episode(pruned[0], canon[0])
    kept = ds.features_for(spec.fields_read())
    assert (kept is ds.features) == (len(_leaf_paths(kept)) == len(_leaf_paths(ds.features)))
    (ep,) = canon
    assert ep.actions.shape == (STEPS, len(spec.dim_names)) and np.isfinite(ep.actions).all()
    if spec.terminate_column is not None and spec.terminate.index is None:  # the builder ends the episode there
        assert ep.actions[:, 0].tolist() == [0.0] * (STEPS - 1) + [1.0]
    elif spec.terminate_column is not None:  # an element of a flat action: the builder writes noise there
        raw_term = _raw_episodes(path)[0].get(spec.terminate.ref.full_path)[:, spec.terminate.index]
        assert ep.actions[:, 0].tolist() == (raw_term > spec.terminate.threshold).astype(float).tolist()
    acc = DatasetStatsAccumulator(len(spec.dim_names)).add_episode(ep.actions)
    codec = codec_from_stats(spec, acc.finalize()["action"])
    out = convert_episode(ep, shard_index=0, codec=codec, config=ConvertConfig(source=spec.name, missing_instruction="keep"),
                          template=get_template("rt2-action-v1"))
    assert len(out.examples) == STEPS and not out.dead_letters
    for ex in out.examples:
        assert len(ex.action_tokens) == len(spec.dim_names) and ex.prompt.startswith("Q: what action should")


@pytest.mark.parametrize("name", sorted(set(_catalog_names()) - REFUSED))
def test_catalog_records_decode_without_tfds_as_tfds_decodes_them(built, name):
    """The decoder without tensorflow_datasets covers every catalog layout (whole and cut to the spec's fields)
    and gives what tfds's own numpy path gives, type for type."""
    from rt2data.rlds.decode import EpisodeDecoder, decode_episode, episode_decoder, image_skip_decoders
    from rt2data.rlds.framing import iter_records

    ds = open_dataset(built(name))
    records = [item.data for ref in ds.shards("train")
               for item in iter_records(ref.path, start=ref.first_record, stop=ref.stop_record)]
    assert records
    for features in (ds.features, ds.features_for(DatasetSpec.load(name).fields_read())):
        decoder = episode_decoder(features)
        assert isinstance(decoder, EpisodeDecoder)
        tfds_features = features.to_tfds()
        decoders = image_skip_decoders(tfds_features)
        for data in records:
            assert_same_tree(decoder(data), decode_episode(data, features=tfds_features, decoders=decoders))


def test_semantics_quotes_are_the_catalogs_words(shared_data):
    for name in _catalog_names():
        text = json.loads(next((shared_data / "oxe_catalog" / name).glob("*/descriptions.json")).read_text())
        if DatasetSpec.refusal(name):
            import yaml

            quotes = yaml.safe_load(spec_path(name).read_text())["semantics"]["provenance"].get("quote", {})
        else:
            quotes = DatasetSpec.load(name).semantics.provenance.get("quote", {})
        for path, quote in quotes.items():
            assert text["descriptions"].get(path) == quote, (name, path)


# --- Octo's standardization transforms, reimplemented (octo/data/oxe/oxe_standardization_transforms.py) -----------

def octo_rel2abs(a: np.ndarray) -> np.ndarray:
    t = np.where(a < -0.1, 1, np.where(a > 0.1, -1, 0))
    carry = -t[np.argmax(t != 0)]
    carry = 1 if carry == 0 else carry
    out = []
    for v in t:
        carry = carry if v == 0 else v
        out.append(carry)
    return np.array(out, np.float64) / 2 + 0.5


def octo_binarize(a: np.ndarray) -> np.ndarray:
    open_, closed = a > 0.95, a < 0.05
    out, carry = np.empty_like(a), a[-1]
    for i in reversed(range(len(a))):
        carry = carry if not (open_[i] or closed[i]) else float(open_[i])
        out[i] = carry
    return out


def _rt1(s, zeros_rotation=False):
    g = octo_rel2abs(s["action"]["gripper_closedness_action"].reshape(-1))
    rot = np.zeros((len(g), 3)) if zeros_rotation else s["action"]["rotation_delta"]
    return np.concatenate([s["action"]["world_vector"], rot, g[:, None]], axis=1)


def _invert_clip(s):
    a = s["action"]
    return np.concatenate([a[:, :6], 1 - np.clip(a[:, -1:], 0, 1)], axis=1)


def _bridge(s):
    a = np.concatenate([s["action"][:, :6], octo_binarize(s["action"][:, -1])[:, None]], axis=1)
    state = s["observation"]["state"]
    return np.concatenate([state[1:, :6] - state[:-1, :6], a[:-1, -1:]], axis=1)  # relabel_actions: N-1 steps


RELATIVE = np.array([0, 1, 0, 0, -1, 0.05])  # commands with "no change" zeros and a sub-threshold value
BINARY = np.array([1, 1, 0, 0, 1, 0], np.float64)
SIGNED = 2 * BINARY - 1
# name -> (Octo transform, {field: values written into that field (per step) or (index, values) of a vector field})
OCTO = {
    "fractal20220817_data": (_rt1, {"action/gripper_closedness_action": RELATIVE}),
    "kuka": (_rt1, {"action/gripper_closedness_action": RELATIVE}),
    "berkeley_autolab_ur5": (_rt1, {"action/gripper_closedness_action": RELATIVE}),
    "nyu_door_opening_surprising_effectiveness": (_rt1, {"action/gripper_closedness_action": -RELATIVE}),
    "jaco_play": (lambda s: _rt1(s, zeros_rotation=True), {"action/gripper_closedness_action": RELATIVE}),
    "bridge": (_bridge, {"action": (6, np.array([1, 0.5, 0.2, 0.0, 0.97, 1.0]))}),
    **{n: (_invert_clip, {"action": (6, SIGNED)}) for n in (
        "austin_buds_dataset_converted_externally_to_rlds", "austin_sailor_dataset_converted_externally_to_rlds",
        "austin_sirius_dataset_converted_externally_to_rlds", "utaustin_mutex")},
    "stanford_hydra_dataset_converted_externally_to_rlds": (
        lambda s: np.concatenate([s["action"][:, :6], 1 - s["action"][:, -1:]], axis=1), {"action": (6, BINARY)}),
    "berkeley_fanuc_manipulation": (
        lambda s: np.concatenate([s["action"], 1 - s["observation"]["state"][:, 6:7]], axis=1),
        {"observation/state": (6, BINARY)}),
    **{n: (lambda s: s["action"][:, :-1], {"action": (6, BINARY)}) for n in (
        "cmu_stretch", "cmu_franka_exploration_dataset_converted_externally_to_rlds",
        "ucsd_kitchen_dataset_converted_externally_to_rlds", "imperialcollege_sawyer_wrist_cam")},
    "nyu_franka_play_dataset_converted_externally_to_rlds": (
        lambda s: np.concatenate([s["action"][:, -8:-2], np.clip(s["action"][:, -2:-1], 0, 1)], axis=1),
        {"action": (13, SIGNED)}),
    "stanford_kuka_multimodal_dataset_converted_externally_to_rlds": (
        lambda s: np.concatenate([s["action"][:, :3], np.zeros((len(s["action"]), 3)), s["action"][:, -1:]], axis=1),
        {"action": (3, BINARY)}),
    "ucsd_pick_and_place_dataset_converted_externally_to_rlds": (
        lambda s: np.concatenate([s["action"][:, :3], np.zeros((len(s["action"]), 3)), s["action"][:, -1:]], axis=1),
        {"action": (3, BINARY)}),
    "roboturk": (lambda s: np.concatenate([s["action"]["world_vector"], s["action"]["rotation_delta"],
                                           1 - np.clip(s["action"]["gripper_closedness_action"], 0, 1)], axis=1),
                 {"action/gripper_closedness_action": SIGNED}),
}


def _steps_tree(raw) -> dict:
    def tree(node):
        return {k: tree(v) for k, v in node.items()} if isinstance(node, dict) else np.asarray(node, np.float64) \
            if np.asarray(node).dtype.kind in "fiub" else node
    return tree(raw.data["steps"])


@pytest.mark.parametrize("name", sorted(OCTO))
def test_canonical_actions_match_octos_transform(shared_data, built, name):
    spec = DatasetSpec.load(name)
    (raw,) = _raw_episodes(built(name))
    for field, values in OCTO[name][1].items():
        node, *path = raw.data["steps"], *field.split("/")
        for key in path[:-1]:
            node = node[key]
        arr = node[path[-1]].copy()
        if isinstance(values, tuple):
            arr[:, values[0]] = values[1]
        else:
            arr[...] = values.reshape(arr.shape[0], *([1] * (arr.ndim - 1))).astype(arr.dtype)
        node[path[-1]] = arr
    mine = standardize(spec, raw).actions
    octo = OCTO[name][0](_steps_tree(raw))
    n = len(octo)  # Octo's relabel drops the last step; rt2data keeps it (delta 0)
    # tf.train.Example holds float32: compare at float32 resolution
    np.testing.assert_allclose(mine[:n, 1:7], octo[:, :6], atol=1e-6)
    np.testing.assert_allclose(mine[:n, 7], 1 - 2 * octo[:, 6], atol=1e-6)  # Octo: 1 open, 0 closed
    assert set(np.unique(mine[:, 7])) <= {-1.0, 1.0}


def test_gripper_as_recorded_skips_the_relative_to_absolute_rule(built):
    spec = DatasetSpec.load("fractal20220817_data")
    (raw,) = _raw_episodes(built("fractal20220817_data"))
    raw.data["steps"]["action"]["gripper_closedness_action"] = RELATIVE.reshape(-1, 1).astype(np.float32)
    absolute = standardize(spec, raw).actions[:, 7]
    recorded = standardize(spec.with_gripper("as-recorded"), raw).actions[:, 7]
    np.testing.assert_allclose(recorded, RELATIVE.astype(np.float32), atol=1e-7)  # RT-1's raw command
    assert absolute.tolist() == [-1, 1, 1, 1, -1, -1]
    assert spec.canonical and not spec.with_gripper("as-recorded").canonical
    assert spec.with_gripper("as-recorded").fingerprint() != spec.fingerprint()
    plain = DatasetSpec.load("bridge_dataset")
    assert plain.with_gripper("as-recorded").fingerprint() == plain.fingerprint()


def test_subsample_spec_keeps_every_kth_and_the_last(built):
    data = DatasetSpec.load("berkeley_gnm_recon").to_dict()
    data["subsample"] = 4
    spec = DatasetSpec.from_dict(data)
    (raw,) = _raw_episodes(built("berkeley_gnm_recon"))
    ep = standardize(spec, raw)
    full = standardize(DatasetSpec.load("berkeley_gnm_recon"), raw)
    np.testing.assert_array_equal(ep.actions[:, 1:], full.actions[[0, 4, 5], 1:])
    assert ep.actions[:, 0].tolist() == [0, 0, 1] and ep.images == [full.images[i] for i in (0, 4, 5)]


def test_mix_names_every_action_space_it_holds():
    from rt2data.mix.audit import action_spaces

    def src(dims, **sem):
        return {"codec": {"action_space": {"dimensions": [{"name": d} for d in dims]}}, "action_semantics": sem or None}

    rt2 = ["terminate", "dx", "dy", "dz", "droll", "dpitch", "dyaw", "gripper"]
    sources = {"fractal": src(rt2, space="eef_delta", gripper_kind="relative", gripper_mode="absolute", canonical=True),
               "bridge": src(rt2, space="eef_delta", gripper_kind="relative", gripper_mode="absolute", canonical=True),
               "mvp": src(["terminate", "j0", "gripper"], space="joint_delta", gripper_kind="binary",
                          gripper_mode="absolute", canonical=False),
               "web": {"codec": None}}
    spaces = action_spaces(sources)
    assert len(spaces) == 2 and sorted(map(sorted, spaces.values())) == [["bridge", "fractal"], ["mvp"]]
    sources["bridge"]["action_semantics"]["gripper_mode"] = "as-recorded"
    assert len(action_spaces(sources)) == 3  # the same dims with another gripper meaning is another space


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bridge", "utokyo_xarm_bimanual_converted_externally_to_rlds"])
def test_full_cli_convert_of_catalog_layouts(built, tmp_path, name):
    from rt2data.cli.main import main
    from rt2data.shards import load_manifest

    for mode in ("absolute", "as-recorded"):
        out = tmp_path / mode
        with pytest.raises(SystemExit) as info:
            main(["-q", "convert", str(built(name)), str(out), "--spec", name, "--gripper", mode])
        assert info.value.code in (0, None)
        m = load_manifest(out)
        assert m.config["gripper"] == mode and m.accounting.written == STEPS
        (source,) = m.sources.values()
        assert source["gripper"] == mode and source["action_semantics"]["space"] == "eef_delta"


def test_a_dict_spec_on_a_flat_action_says_the_action_is_flat(shared_data):
    from rt2data.rlds import load_features

    features = load_features(shared_data / "oxe_catalog" / "bridge" / "0.1.0")
    problems = check_features(DatasetSpec.load("bridge_oxe_v0"), features)
    assert "steps/action/world_vector (action): missing; steps/action is tensor float32[7], not a dict of features " \
           "(no 'world_vector' inside it)" in problems
    assert not any("has []" in p for p in problems)
    assert check_features(DatasetSpec.load("bridge"), features) == []
