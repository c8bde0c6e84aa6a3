"""Build small RLDS datasets in real Open X-Embodiment layouts with tfds's own ``GeneratorBasedBuilder``.

``build_dataset("fractal20220817_data", tmp_path)`` writes a TFDS builder directory (``dataset_info.json``,
``features.json``, shards) whose features mirror the real dataset's (keys, nesting, dtypes, image encodings,
one-hot terminate, zlib tensors, templates without ``-of-``), filled with deterministic data:

- actions and other tensors from ``numpy.random.default_rng([seed, episode, crc32(field path), step])``;
- images: real JPEG/PNG bytes (a gradient whose colour encodes episode and step) of ``image_size``;
- the gripper follows ``gripper_closed_pattern(episode, steps)`` and the episode terminates on its last step,
  each written in the dataset's own convention (``open_gripper`` bool, closedness in [-1, 1], a flat action's
  last entry in [0, 1] ...), so a spec's polarity and terminate handling can be checked against known truth;
- instructions: varied phrases per episode (``instruction_for``), as text or as int32 UTF-8 byte codes.

Writing needs no TensorFlow: tfds writes array_record shards natively; for tfrecord shards (and float32 images)
without TensorFlow installed, tfds's two TensorFlow-only calls (``TFRecordWriter`` and ``tf.image.encode_png``)
are swapped, during the build only, for the plain framing in ``rt2data.rlds.framing`` and PIL. The record bytes
are tfds's own ``serialize_example`` output either way.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import json
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
from rt2data.rlds.framing import frame_record
from rt2data.rlds.framing import write_records

__all__ = [
    "LAYOUTS",
    "Layout",
    "build_dataset",
    "build_from_features_json",
    "generate_episode",
    "gripper_closed_pattern",
    "instruction_for",
    "corrupt_record",
    "truncate_shard",
    "append_record",
    "serialize_with_value",
]

_VERBS = ("pick up", "push", "move", "place", "open", "close", "put", "stack")
_ADJ = ("red", "blue", "green", "yellow", "small", "large", "striped", "shiny")
_NOUNS = ("block", "cup", "sponge", "drawer", "can", "bowl", "carrot", "towel")
_PLACES = ("on the plate", "into the sink", "to the left", "near the robot", "off the table", "in the drawer")


def instruction_for(seed: int, episode: int, variant: int = 0) -> str:
    """The instruction text of an episode (``variant`` > 0: droid's alternative phrasings)."""
    rng = np.random.default_rng([seed, episode, 7919 + variant])
    return f"{rng.choice(_VERBS)} the {rng.choice(_ADJ)} {rng.choice(_NOUNS)} {rng.choice(_PLACES)}"


def gripper_closed_pattern(episode: int, steps: int) -> np.ndarray:
    """bool[steps]: whether the gripper is (commanded) closed at each step; two open, two closed, shifted per episode."""
    return ((np.arange(steps) + episode) % 4) >= 2


# --- roles: how a field's values follow the physical truth ---------------------------------------------------

@dataclass(frozen=True)
class _Gripper:
    """A float gripper: ``open`` and ``closed`` source values; ``index`` into a flat vector (None: the whole field)."""

    open: float
    closed: float
    index: int | None = None


@dataclass(frozen=True)
class Layout:
    """A dataset layout: name, version, features (given the image size) and roles overriding the name heuristics."""

    name: str
    version: str
    features: Callable[[tuple[int, int]], Any] = field(repr=False)
    roles: Mapping[str, _Gripper] = field(default_factory=dict)
    no_of_template: bool = False


def _tfds():
    import tensorflow_datasets as tfds

    return tfds


def _img(size: tuple[int, int], fmt: str | None = "jpeg", channels: int = 3, dtype: Any = np.uint8):
    return _tfds().features.Image(shape=(*size, channels), dtype=dtype, encoding_format=fmt)


def _t(*shape: int, dtype: Any = np.float32, encoding: str = "none"):
    return _tfds().features.Tensor(shape=shape, dtype=dtype, encoding=encoding)


def _s(dtype: Any = np.float32):
    return _tfds().features.Scalar(dtype=dtype)


def _text():
    return _tfds().features.Text()


def _string():
    return _t(dtype=np.str_)


def _rlds_step(extra: dict, *, discount: bool = False) -> Any:
    base = {"reward": _s(), "is_first": np.bool_, "is_last": np.bool_, "is_terminal": np.bool_, **extra}
    if discount:
        base["discount"] = _s()
    return _tfds().features.Dataset(base)


def _google_obs(images: dict, **extra) -> dict:
    return {**images, "natural_language_instruction": _string(), "natural_language_embedding": _t(512), **extra}


def _episode(steps: Any, **top) -> Any:
    return _tfds().features.FeaturesDict({"steps": steps, **top})


def _rt1_action() -> dict:
    return {"world_vector": _t(3), "rotation_delta": _t(3), "gripper_closedness_action": _t(1),
            "base_displacement_vector": _t(2), "base_displacement_vertical_rotation": _t(1),
            "terminate_episode": _t(3, dtype=np.int32)}


def _oxe_action(gripper: Any, *, rotation: bool = True) -> dict:
    out = {"world_vector": _t(3), "terminate_episode": _s()}
    if rotation:
        out["rotation_delta"] = _t(3)
    return {**out, **gripper}


def _layouts() -> dict[str, Layout]:
    z = "zlib"
    defs = [
        Layout("bridge_dataset", "1.0.0", lambda s: _episode(
            _rlds_step({"observation": {**{f"image_{i}": _img(s) for i in range(4)}, "state": _t(7)},
                        "action": _t(7), "language_instruction": _text(), "language_embedding": _t(512)},
                       discount=True),
            episode_metadata={"file_path": _text(), "episode_id": _s(np.int32), "has_language": np.bool_,
                              **{f"has_image_{i}": np.bool_ for i in range(4)}}),
            roles={"steps/action": _Gripper(open=1.0, closed=0.0, index=6)}),
        Layout("bridge", "0.1.0", lambda s: _episode(  # what the tfds catalog now serves as "bridge"
            _rlds_step({"observation": {**{f"image_{i}": _img(s) for i in range(4)}, "state": _t(7)},
                        "action": _t(7), "language_instruction": _string(), "language_embedding": _t(512)},
                       discount=True),
            episode_metadata={"file_path": _string(), "episode_id": _s(np.int32), "has_language": np.bool_,
                              **{f"has_image_{i}": np.bool_ for i in range(4)}}),
            roles={"steps/action": _Gripper(open=1.0, closed=0.0, index=6)}),
        Layout("bridge_oxe_v0", "0.1.0", lambda s: _episode(
            _rlds_step({"observation": _google_obs({"image": _img(s, None)}, state=_t(7)),
                        "action": _oxe_action({"open_gripper": np.bool_})}),
            episode_id=_string())),
        Layout("fractal20220817_data", "0.1.0", lambda s: _episode(
            _rlds_step({"action": _rt1_action(), "observation": _google_obs(
                {"image": _img(s)}, base_pose_tool_reached=_t(7), gripper_closed=_t(1),
                gripper_closedness_commanded=_t(1), height_to_bottom=_t(1), vector_to_go=_t(3),
                rotation_delta_to_go=_t(3), workspace_bounds=_t(3, 3), orientation_box=_t(2, 3), src_rotation=_t(4))}),
            episode_id=_string())),
        Layout("kuka", "0.1.0", lambda s: _episode(
            _rlds_step({"action": _rt1_action(), "observation": _google_obs(
                {"image": _img(s)},
                **{"clip_function_input/base_pose_tool_reached": _t(7, encoding=z),  # literal "/" in the key
                   "clip_function_input/workspace_bounds": _t(3, 3, encoding=z)},
                gripper_closed=_t(1, encoding=z), task_id=_t(1, encoding=z), height_to_bottom=_t(1, encoding=z))}),
            success=np.bool_)),
        Layout("taco_play", "0.1.0", lambda s: _episode(
            _rlds_step({"action": {"actions": _t(7), "rel_actions_world": _t(7), "rel_actions_gripper": _t(7),
                                   "terminate_episode": _s()},
                        "observation": _google_obs(
                            {"rgb_static": _img(s, None), "rgb_gripper": _img(s, None)}, depth_static=_t(*s),
                            depth_gripper=_t(*s), structured_language_instruction=_string(), robot_obs=_t(15))})),
            roles={f"steps/action/{k}": _Gripper(open=1.0, closed=-1.0, index=6)
                   for k in ("actions", "rel_actions_world", "rel_actions_gripper")}),
        Layout("jaco_play", "0.1.0", lambda s: _episode(
            _rlds_step({"action": {"world_vector": _t(3), "gripper_closedness_action": _t(1),
                                   "terminate_episode": _t(3, dtype=np.int32)},
                        "observation": _google_obs({"image": _img(s, None), "image_wrist": _img(s, None)},
                                                   end_effector_cartesian_pos=_t(7),
                                                   end_effector_cartesian_velocity=_t(6), joint_pos=_t(8))}),
            episode_id=_string())),
        Layout("berkeley_autolab_ur5", "0.1.0", lambda s: _episode(
            _rlds_step({"action": _oxe_action({"gripper_closedness_action": _s()}),
                        "observation": _google_obs({"image": _img(s, None), "hand_image": _img(s, None),
                                                    "image_with_depth": _img(s, None, 1, np.float32)},
                                                   robot_state=_t(15))}),
            episode_id=_string())),
        Layout("language_table", "0.0.1", lambda s: _episode(
            _rlds_step({"action": _t(2), "observation": {
                "rgb": _img(s), "instruction": _t(512, dtype=np.int32), "effector_translation": _t(2),
                "effector_target_translation": _t(2)}}),
            episode_id=_string()), no_of_template=True),
        Layout("toto", "0.1.0", lambda s: _episode(
            _rlds_step({"action": _oxe_action({"open_gripper": np.bool_}),
                        "observation": _google_obs({"image": _img(s, None)}, state=_t(7))}))),
        Layout("roboturk", "0.1.0", lambda s: _episode(
            _rlds_step({"action": _oxe_action({"gripper_closedness_action": _t(1)}),
                        "observation": _google_obs({"front_rgb": _img(s, None)})}))),
        Layout("viola", "0.1.0", lambda s: _episode(
            _rlds_step({"action": _oxe_action({"gripper_closedness_action": _s()}),
                        "observation": _google_obs({"agentview_rgb": _img(s, None), "eye_in_hand_rgb": _img(s, None)},
                                                   ee_states=_t(16), gripper_states=_t(2), joint_states=_t(7))}))),
        Layout("droid", "1.0.1", lambda s: _episode(
            _rlds_step({"action": _t(7, dtype=np.float64),
                        "action_dict": {k: _t(n, dtype=np.float64) for k, n in (
                            ("cartesian_position", 6), ("cartesian_velocity", 6), ("gripper_position", 1),
                            ("gripper_velocity", 1), ("joint_position", 7), ("joint_velocity", 7))},
                        "language_instruction": _text(), "language_instruction_2": _text(),
                        "language_instruction_3": _text(),
                        "observation": {"exterior_image_1_left": _img(s), "exterior_image_2_left": _img(s),
                                        "wrist_image_left": _img(s), "cartesian_position": _t(6, dtype=np.float64),
                                        "gripper_position": _t(1, dtype=np.float64),
                                        "joint_position": _t(7, dtype=np.float64)}}, discount=True),
            episode_metadata={"file_path": _text(), "recording_folderpath": _text()}),
            roles={"steps/action": _Gripper(open=0.0, closed=1.0, index=6),
                   "steps/action_dict/gripper_position": _Gripper(open=0.0, closed=1.0),
                   "steps/observation/gripper_position": _Gripper(open=0.0, closed=1.0)}),
        Layout("generic_flat_eef", "1.0.0", lambda s: _episode(
            _rlds_step({"observation": {"image": _img(s), "wrist_image": _img(s), "state": _t(8)},
                        "action": _t(7), "language_instruction": _text()}, discount=True),
            episode_metadata={"file_path": _text()}),
            roles={"steps/action": _Gripper(open=0.0, closed=1.0, index=6)}),
    ]
    return {layout.name: layout for layout in defs}


class _LazyLayouts(Mapping):
    """The layouts, built on first use (building them imports tfds)."""

    @functools.cached_property
    def _all(self) -> dict[str, Layout]:
        return _layouts()

    def __getitem__(self, key: str) -> Layout:
        if key not in self._all:
            raise KeyError(f"no RLDS test layout named {key!r}; layouts: {sorted(self._all)}")
        return self._all[key]

    def __iter__(self):
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)


LAYOUTS: Mapping[str, Layout] = _LazyLayouts()
"""Layout name (= spec name) -> ``Layout``; built on first use (tfds is imported then)."""


# --- values ------------------------------------------------------------------------------------------------------

@dataclass
class _Ctx:
    name: str
    seed: int
    index: int
    steps: int
    closed: np.ndarray
    blank: bool
    roles: Mapping[str, _Gripper]


@functools.lru_cache(maxsize=8)
def _gradient(h: int, w: int) -> np.ndarray:
    """int64[h, w]: the gradient every generated image is a colour shift of (cached: building big datasets)."""
    y, x = np.mgrid[0:h, 0:w]
    return (x * 255 // max(w - 1, 1)) + (y * 255 // max(h - 1, 1)) // 2


def _image_bytes(h: int, w: int, channels: int, fmt: str, episode: int, step: int) -> bytes:
    """A real JPEG/PNG: a gradient whose colour depends on (episode, step), so every step's bytes differ."""
    from PIL import Image

    base = np.array([(37 * episode) % 256, (59 * step) % 256, (episode * 13 + step * 7) % 256], dtype=np.int64)
    pixels = (_gradient(h, w)[..., None] + base) % 256
    pixels = pixels.astype(np.uint8)[..., 0] if channels == 1 else pixels.astype(np.uint8)
    buf = io.BytesIO()
    options = {"quality": 90} if fmt == "jpeg" else {"compress_level": 1}
    Image.fromarray(pixels).save(buf, format="JPEG" if fmt == "jpeg" else "PNG", **options)
    return buf.getvalue()


def _gripper_value(role: _Gripper, closed: bool) -> float:
    return role.closed if closed else role.open


def _leaf(path: str, feature: Any, ctx: _Ctx, t: int | None) -> Any:
    """One value of the field at ``path`` (step ``t``; None at episode level); random draws depend only on
    (seed, episode, path, step), never on the order in which features are listed."""
    tfds = _tfds()
    rng = np.random.default_rng([ctx.seed, ctx.index, zlib.crc32(path.encode()), 0 if t is None else t + 1])
    leaf = path.rsplit("/", 1)[-1]
    shape = tuple(1 if d is None else int(d) for d in (feature.shape or ()))
    dtype = np.dtype(feature.np_dtype) if feature.np_dtype != np.object_ else np.dtype(object)
    last = t is not None and t == ctx.steps - 1
    if isinstance(feature, tfds.features.Image):
        if dtype != np.uint8:
            return rng.uniform(0, 2, shape).astype(dtype)  # float32/uint16 images: tfds encodes the array
        return _image_bytes(shape[0], shape[1], shape[2], feature.encoding_format or "png", ctx.index, t or 0)
    if dtype == np.object_ or dtype.kind in "SU":
        return _text_value(path, leaf, ctx)
    if leaf in ("is_first", "is_last", "is_terminal"):
        return bool(t == 0) if leaf == "is_first" else bool(last)
    if leaf == "terminate_episode":
        if shape:  # RT-1 one-hot: index 0 = terminate, index 1 = continue
            out = np.zeros(shape, dtype)
            out[0 if last else 1] = 1
            return out
        return np.asarray(last, dtype=dtype) if dtype != np.bool_ else bool(last)
    if leaf == "instruction" and dtype.kind == "i" and len(shape) == 1:
        codes = np.zeros(shape, dtype)
        text = "" if ctx.blank else instruction_for(ctx.seed, ctx.index)
        raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)[: shape[0]]
        codes[: len(raw)] = raw
        return codes
    closed = bool(ctx.closed[t]) if t is not None else False
    if leaf == "open_gripper":
        return not closed
    role = ctx.roles.get(path) or (_Gripper(open=-1.0, closed=1.0) if leaf == "gripper_closedness_action" else None)
    if leaf in ("reward", "discount"):
        return np.asarray(1.0 if (leaf == "discount" or last) else 0.0, dtype=dtype)
    if dtype == np.bool_:
        return True if t is None else (rng.random(shape) < 0.5) if shape else bool(rng.random() < 0.5)
    if dtype.kind in "iu":
        return np.asarray(ctx.index if leaf == "episode_id" else rng.integers(0, 5, shape), dtype=dtype)
    value = rng.uniform(-0.1, 0.1, shape).astype(dtype)
    if role is not None:
        if role.index is None:
            value = np.full(shape, _gripper_value(role, closed), dtype=dtype)
        else:
            value[role.index] = _gripper_value(role, closed)
    return value


def _text_value(path: str, leaf: str, ctx: _Ctx) -> str:
    if "instruction" in leaf:
        variant = int(leaf.rsplit("_", 1)[1]) if leaf.rsplit("_", 1)[-1].isdigit() else 0
        return "" if ctx.blank else instruction_for(ctx.seed, ctx.index, variant)
    if "path" in leaf:
        return f"/data/{ctx.name}/episode_{ctx.index:05d}/{leaf}.h5"
    if leaf == "episode_id":
        return f"{ctx.name}-{ctx.index:05d}"
    return f"{leaf} {ctx.index}"


def _fill(feature: Any, prefix: str, ctx: _Ctx, t: int | None) -> Any:
    tfds = _tfds()
    if isinstance(feature, tfds.features.FeaturesDict):
        return {k: _fill(child, f"{prefix}/{k}" if prefix else k, ctx, t) for k, child in feature.items()}
    if isinstance(feature, tfds.features.Dataset):
        return [_fill(feature.feature, prefix, ctx, step) for step in range(ctx.steps)]
    return _leaf(prefix, feature, ctx, t)


def generate_episode(
    features: Any, *, name: str, index: int, steps: int = 5, seed: int = 0, blank_instruction: bool = False,
    roles: Mapping[str, _Gripper] | None = None,
) -> dict[str, Any]:
    """The example dict (tfds ``encode_example`` input) of episode ``index``: deterministic in (seed, index).

    ``features``: tfds's ``FeaturesDict``, or rt2data's tree of them (``RldsDataset.features``)."""
    if hasattr(features, "to_tfds"):
        features = features.to_tfds()
    ctx = _Ctx(name=name, seed=seed, index=index, steps=steps,
               closed=gripper_closed_pattern(index, steps), blank=blank_instruction, roles=roles or {})
    return _fill(features, "", ctx, None)


# --- writing -----------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _without_tensorflow() -> Iterator[None]:
    """Swap tfds's two TensorFlow-only write calls for TF-free equivalents while building (no-op with TF)."""
    if importlib.util.find_spec("tensorflow") is not None:
        yield
        return
    from unittest import mock

    from tensorflow_datasets.core import file_adapters
    from tensorflow_datasets.core.features import image_feature


    def write_examples(cls, path, iterator):
        write_records(os.fspath(path), (record for _, record in iterator))

    def encode_image(self, np_image: np.ndarray) -> bytes:
        from PIL import Image

        array = np_image[..., 0] if np_image.shape[-1] == 1 else np_image
        buf = io.BytesIO()
        Image.fromarray(array).save(buf, format="JPEG" if self.encoding_format == "jpeg" else "PNG")
        return buf.getvalue()

    with mock.patch.object(file_adapters.TfRecordFileAdapter, "write_examples", classmethod(write_examples)), \
            mock.patch.object(image_feature._ImageEncoder, "_encode_image", encode_image):
        yield


def _build(name: str, version: str, features: Any, out_dir: Path, examples: Callable[[], Iterator], *,
           episodes: int, shards: int, file_format: str, no_of_template: bool) -> Path:
    tfds = _tfds()
    tfds.display_progress_bar(False)

    class _Builder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
        VERSION = tfds.core.Version(version)

        def _info(self):
            return tfds.core.DatasetInfo(builder=self, features=features, description=f"rt2data test data: {name}")

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples()}

        def _generate_examples(self):
            yield from examples()

    _Builder.name = name
    builder = _Builder(data_dir=os.fspath(out_dir), file_format=file_format)
    config = tfds.download.DownloadConfig(
        num_shards=max(1, min(shards, episodes)),  # tfds refuses more shards than examples
        download_mode=tfds.download.GenerateMode.FORCE_REDOWNLOAD)
    chatter = io.StringIO()  # tfds prints "Downloading and preparing dataset ..." on stdout
    with _without_tensorflow(), contextlib.redirect_stdout(chatter):
        builder.download_and_prepare(download_config=config)
    path = Path(builder.data_dir)
    if no_of_template:
        _drop_of_from_names(path)
    return path


def _drop_of_from_names(path: Path) -> None:
    """Rename shards to ``NAME-SPLIT.FORMAT-00000`` and set ``filepathTemplate`` to match (language_table's style)."""
    info_path = path / "dataset_info.json"
    info = json.loads(info_path.read_text())
    for split in info["splits"]:
        split["filepathTemplate"] = "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_INDEX}"
    for shard in path.glob("*-of-*"):
        shard.rename(shard.with_name(shard.name.rsplit("-of-", 1)[0]))
    info_path.write_text(json.dumps(info, indent=2, sort_keys=True))


def build_dataset(
    layout: str, out_dir: str | os.PathLike[str], *, episodes: int = 3, steps: int = 5, seed: int = 0,
    shards: int = 2, image_size: tuple[int, int] = (64, 64), file_format: str = "tfrecord",
    blank_instruction_episodes: Sequence[int] = (),
) -> Path:
    """Build a small dataset in a real layout (``LAYOUTS``; names match the shipped specs).

    Args:
        layout: layout name, e.g. ``bridge_dataset``, ``fractal20220817_data``, ``language_table``.
        out_dir: tfds data dir; the dataset lands in ``out_dir/NAME/VERSION`` (rebuilt if present).
        episodes: number of episodes in the ``train`` split.
        steps: steps per episode.
        seed: seed of all generated values.
        shards: number of shards tfds splits the episodes into.
        image_size: (height, width) of every camera image (declared in the features and generated).
        file_format: ``tfrecord`` or ``array_record``.
        blank_instruction_episodes: episode indices whose instruction is empty.

    Returns:
        The builder directory (``out_dir/NAME/VERSION``), ready for ``rt2data.rlds.open_dataset``.
    """
    spec = LAYOUTS[layout]
    features = spec.features(tuple(image_size))
    blank = set(blank_instruction_episodes)

    def examples():
        for i in range(episodes):
            yield i, generate_episode(features, name=layout, index=i, steps=steps, seed=seed,
                                      blank_instruction=i in blank, roles=spec.roles)

    return _build(layout, spec.version, features, Path(out_dir), examples, episodes=episodes, shards=shards,
                  file_format=file_format, no_of_template=spec.no_of_template)


def build_from_features_json(
    features_json: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, name: str | None = None,
    episodes: int = 3, steps: int = 5, seed: int = 0, shards: int = 1, file_format: str = "tfrecord",
    blank_instruction_episodes: Sequence[int] = (), image_size: tuple[int, int] | None = None,
) -> Path:
    """Rebuild a dataset from a real ``features.json`` (``tfds.features.FeatureConnector.from_json``) with generated data.

    Name, version and shard-name template come from the ``dataset_info.json`` beside it when present. Image sizes
    are the declared ones, or (height, width) ``image_size`` for every Image feature (channels, dtype and encoding
    kept) to build fast. Field roles (gripper, terminate, instruction) are inferred from the key names.
    """
    tfds = _tfds()
    src = Path(features_json)
    tree = json.loads(src.read_text())
    if image_size is not None:
        _resize_images(tree, image_size)
    features = tfds.features.FeatureConnector.from_json(tree)
    info_path = src.with_name("dataset_info.json")
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    name = name or info.get("name") or src.parent.parent.name
    version = info.get("version") or src.parent.name
    templates = [s.get("filepathTemplate", "") for s in info.get("splits", [])]
    blank = set(blank_instruction_episodes)

    def examples():
        for i in range(episodes):
            yield i, generate_episode(features, name=name, index=i, steps=steps, seed=seed, blank_instruction=i in blank)

    return _build(name, version, features, Path(out_dir), examples, episodes=episodes, shards=shards,
                  file_format=file_format,
                  no_of_template=any("SHARD_INDEX" in t and "SHARD_X_OF_Y" not in t for t in templates))


def _resize_images(node: Any, size: tuple[int, int]) -> None:
    """Set the height and width of every Image feature in a features.json tree (in place)."""
    if isinstance(node, dict):
        if "image" in node and isinstance(node["image"], dict) and "shape" in node["image"]:
            dims = node["image"]["shape"]["dimensions"]
            dims[0], dims[1] = str(size[0]), str(size[1])
        for value in node.values():
            _resize_images(value, size)
    elif isinstance(node, list):
        for value in node:
            _resize_images(value, size)


# --- damage, for bad-input tests ----------------------------------------------------------------------------------

def _record_offsets(shard: Path) -> list[tuple[int, int]]:
    """(offset, payload length) of every record in a TFRecord shard."""
    import struct

    out, offset, data = [], 0, shard.read_bytes()
    while offset + 12 <= len(data):
        (length,) = struct.unpack("<Q", data[offset:offset + 8])
        out.append((offset, length))
        offset += length + 16
    return out


def corrupt_record(shard: str | os.PathLike[str], record: int = 0, *, where: str = "data") -> int:
    """Flip one byte of record ``record`` (``where``: ``data`` payload or ``header`` length); returns its offset."""
    path = Path(shard)
    offset, length = _record_offsets(path)[record]
    raw = bytearray(path.read_bytes())
    raw[offset + (12 + length // 2 if where == "data" else 3)] ^= 0x5A
    path.write_bytes(bytes(raw))
    return offset


def truncate_shard(shard: str | os.PathLike[str], *, drop_bytes: int = 10) -> int:
    """Cut the last ``drop_bytes`` bytes off a shard; returns the byte offset of the record that is now cut."""
    path = Path(shard)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - drop_bytes])
    return _record_offsets(path)[-1][0]


def append_record(dataset_dir: str | os.PathLike[str], record: bytes, *, split: str = "train") -> tuple[Path, int]:
    """Append a serialized episode to the last TFRecord shard of ``split``, updating ``shardLengths``.

    Returns:
        (shard path, record index of the appended record).
    """

    root = Path(dataset_dir)
    info_path = root / "dataset_info.json"
    info = json.loads(info_path.read_text())
    (entry,) = [s for s in info["splits"] if s["name"] == split]
    shard = sorted(root.glob(f"*-{split}.tfrecord-*"))[-1]
    with shard.open("ab") as f:
        f.write(frame_record(record))
    lengths = entry["shardLengths"]
    lengths[-1] = str(int(lengths[-1]) + 1)
    info_path.write_text(json.dumps(info, indent=2, sort_keys=True))
    return shard, int(lengths[-1]) - 1


def serialize_wrong_shape(
    dataset_dir: str | os.PathLike[str], *, key: str = "steps/action", size: int = 2, steps: int = 5, seed: int = 99,
) -> bytes:
    """A serialized episode whose tensor at ``key`` has trailing dimension ``size`` instead of the declared one."""
    tfds = _tfds()
    tree = json.loads((Path(dataset_dir) / "features.json").read_text())
    node = tree
    for part in key.split("/"):
        if "sequence" in node:
            node = node["sequence"]["feature"]
        node = node["featuresDict"]["features"][part]
    if "sequence" in node:
        node = node["sequence"]["feature"]
    node["tensor"]["shape"]["dimensions"][-1] = str(size)
    features = tfds.features.FeatureConnector.from_json(tree)
    example = generate_episode(features, name="wrong_shape", index=0, steps=steps, seed=seed)
    return features.serialize_example(example)


def serialize_with_value(
    dataset_dir: str | os.PathLike[str], *, key: str = "steps/action", step: int = 1, value: float = float("nan"),
    steps: int = 4, seed: int = 98,
) -> bytes:
    """A serialized episode of the dataset's own features whose float tensor at ``key`` holds ``value`` (NaN, inf)
    in its first element at ``step``."""
    tfds = _tfds()
    features = tfds.features.FeatureConnector.from_json(json.loads((Path(dataset_dir) / "features.json").read_text()))
    example = generate_episode(features, name="non_finite", index=0, steps=steps, seed=seed)
    node: Any = example["steps"][step]
    parts = key.split("/")[1:]
    for part in parts[:-1]:
        node = node[part]
    array = np.array(node[parts[-1]], dtype=np.float32, copy=True)
    array.reshape(-1)[0] = value
    node[parts[-1]] = array
    return features.serialize_example(example)
