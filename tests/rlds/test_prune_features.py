"""``Feature.prune``: the features a reader decodes, cut to the paths a spec reads (the decode itself is held to the
full decode on every catalog layout in tests/spec/test_oxe_catalog.py)."""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds

from rt2data.rlds.features import as_features


def _features():
    F = tfds.features
    return as_features(F.FeaturesDict({
        "steps": F.Dataset({
            "action": F.Tensor(shape=(7,), dtype=np.float32),
            "is_first": np.bool_,
            "language_embedding": F.Tensor(shape=(512,), dtype=np.float32),
            "observation": F.FeaturesDict({
                "image": F.Image(shape=(8, 8, 3), encoding_format="jpeg"),
                "wrist": F.Image(shape=(8, 8, 3), encoding_format="jpeg"),
                "clip/pose": F.Tensor(shape=(3,), dtype=np.float32),  # a key holding "/" (kuka)
            }),
        }),
        "episode_metadata": F.FeaturesDict({"file_path": F.Text(), "id": np.int64}),
    }))


def _paths(features, prefix=""):
    out = []
    for key, child in features.items():
        inner = child.inner if child.kind == "dataset" else child
        if inner.kind == "dict":
            out += _paths(inner, f"{prefix}{key}/")
        else:
            out.append(f"{prefix}{key}")
    return sorted(out)


def test_only_the_named_leaves_are_kept():
    features = _features()
    pruned = features.prune(["steps/action", "steps/observation/image", "steps/observation/clip/pose",
                             "episode_metadata/file_path", "steps/not_there"])
    assert _paths(pruned) == ["episode_metadata/file_path", "steps/action", "steps/observation/clip/pose",
                              "steps/observation/image"]
    assert pruned["steps"].kind == "dataset"
    assert pruned["steps"]["action"] is features["steps"]["action"]  # the leaves themselves, not copies


def test_a_path_to_a_dict_keeps_all_of_it():
    pruned = _features().prune(["steps/observation", "steps/is_first"])
    assert _paths(pruned) == ["steps/is_first", "steps/observation/clip/pose", "steps/observation/image",
                              "steps/observation/wrist"]


def test_nothing_left_out_or_no_step_field_left_gives_the_features_themselves():
    features = _features()
    assert features.prune(_paths(features)) is features
    assert _paths(features.prune(["steps"])) == [p for p in _paths(features) if p.startswith("steps/")]
    assert features.prune(["episode_metadata/file_path"]) is features  # no step field: decode everything
    assert features.prune([]) is features


def test_a_pruned_tree_is_tfds_s_own_features_pruned():
    """What the tfds route decodes for a pruned tree (``to_tfds``) is tfds's ``FeaturesDict`` of the kept leaves,
    static sequence lengths included."""
    F = tfds.features
    for length in (None, 4):
        action = F.Tensor(shape=(7,), dtype=np.float32)
        features = as_features(F.FeaturesDict({"steps": F.Dataset({"action": action, "reward": np.float32},
                                                                   length=length)}))
        pruned = features.prune(["steps/action"])
        assert _paths(pruned) == ["steps/action"]
        want = F.FeaturesDict({"steps": F.Dataset({"action": action}, length=length)})
        assert pruned.to_tfds().to_json_content() == want.to_json_content()
        assert as_features(pruned.to_tfds()).to_json() == pruned.to_json()
