"""``rt2data.rlds.info`` (dataset_info.json and split specs without tfds) held to tfds itself.

The reference is the tfds route rt2data used so far, kept in ``rt2data.testing.tfds_reference``: ``read_info``
(``json_format.Parse`` into tfds's ``DatasetInfo`` proto, ``get_split_dict_from_proto``) and ``resolve_split`` /
``split_infos`` on its ``SplitDict``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rt2data.errors import ConfigError, DataError
from rt2data.rlds.info import DEFAULT_FILENAME_TEMPLATE, InfoTable, parse_info
from rt2data.testing import tfds_reference
from rt2data.testing.tfds_reference import resolve_split, split_infos

pytest.importorskip("tensorflow_datasets")
from google.protobuf import json_format  # noqa: E402  (after the skip: protobuf comes with tfds)
from tensorflow_datasets.core.proto import dataset_info_pb2  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)
SUFFIX = " (slices look like train[:95%], train[95%:], train[10:20])"

TEMPLATES = [
    "",  # tfds's default
    DEFAULT_FILENAME_TEMPLATE,
    "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_INDEX}",  # language_table's: no "-of-NNNNN"
    "{SPLIT}/{SHARD_X_OF_Y}.{FILEFORMAT}",
    "data//./{DATASET}_{SPLIT}-{SHARD_INDEX}-of-{NUM_SHARDS}.{FILEFORMAT}",
]


# --- the two routes ----------------------------------------------------------------------------------------------

def make_proto(splits, *, name: str = "ds", version: str = "1.0.0", file_format: str = ""):
    """A DatasetInfo proto as tfds builds it: ``splits`` is [(name, shard_lengths, filepath_template)]."""
    proto = dataset_info_pb2.DatasetInfo(name=name, version=version, file_format=file_format,
                                         description="rt2data test")
    for split, lengths, template in splits:
        proto.splits.append(dataset_info_pb2.SplitInfo(
            name=split, shard_lengths=list(lengths), num_bytes=100 * sum(lengths), filepath_template=template))
    return proto


def to_json(proto) -> bytes:
    """What tfds writes to dataset_info.json (``dataset_info.get_dataset_info_json``)."""
    return json_format.MessageToJson(proto, sort_keys=True).encode()


def write_info(directory: Path, data: bytes) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dataset_info.json").write_bytes(data)
    return str(directory)


def tfds_info(builder_dir: str, data: bytes | None = None):
    """``read_info`` (the tfds route); ``data`` stands in for the file (for URL builder dirs)."""
    if data is None:
        return tfds_reference.read_info(builder_dir)
    with mock.patch.object(tfds_reference.io, "read_bytes", lambda path: data):
        return tfds_reference.read_info(builder_dir)


def tfds_shards(info, spec: str, builder_dir: str):
    """resolve_split's refs, or "rejected" for a spec tfds refuses (ConfigError; NotImplementedError for
    ``all[...]``; RecursionError for ``all`` when a split is named "all")."""
    try:
        return resolve_split(info, spec, dataset_dir=builder_dir, file_format=info.file_format)
    except ConfigError as exc:
        return ("rejected", str(exc))
    except (NotImplementedError, RecursionError) as exc:
        return ("rejected", f"{type(exc).__name__}")


def our_shards(table: InfoTable, spec: str, builder_dir: str):
    try:
        return table.shards(spec, dataset_dir=builder_dir)
    except ConfigError as exc:
        return ("rejected", str(exc))


def assert_same_shards(table: InfoTable, info, spec: str, builder_dir: str) -> None:
    ours, theirs = our_shards(table, spec, builder_dir), tfds_shards(info, spec, builder_dir)
    if isinstance(theirs, tuple) or isinstance(ours, tuple):
        assert isinstance(ours, tuple) and isinstance(theirs, tuple), (spec, ours, theirs)
        message = ours[1]
        assert "\n" not in message
        assert message.startswith(f"{builder_dir}: cannot read split {spec!r}: "), message
        assert message.endswith(f"; available splits: {sorted(info.splits.keys())}{SUFFIX}"), message
    else:
        assert ours == theirs, spec


def assert_same_table(table: InfoTable, info) -> None:
    assert (table.name, table.version, table.file_format) == (info.name, info.version, info.file_format)
    assert table.splits == split_infos(info)
    assert list(table.splits) == list(info.splits.keys())


# --- random tables and specs -------------------------------------------------------------------------------------

# weighted towards the usual names; "all" and "a.b" are names tfds cannot read through a spec
SPLIT_NAMES = ["train"] * 4 + ["test"] * 3 + ["val", "train_2", "validation-b", "all", "a.b", "train[:2]"]


@st.composite
def tables(draw):
    names = draw(st.lists(st.sampled_from(SPLIT_NAMES), min_size=1, max_size=3, unique=True))
    splits = [(name, draw(st.lists(st.integers(0, 50), min_size=1, max_size=12)), draw(st.sampled_from(TEMPLATES)))
              for name in names]
    return make_proto(splits, name=draw(st.sampled_from(["ds", "bridge", "language_table"])),
                      file_format=draw(st.sampled_from(["", "tfrecord", "array_record"])))


def _percent(draw) -> str:
    text = str(draw(st.integers(-105, 105)))
    return text + draw(st.sampled_from(["", "", "", ".5", ".25", ".75", ".0", ".125"]))  # ties of round()


@st.composite
def boundaries(draw, unit: str, episodes: int, shards: int) -> str:
    """One end of a slice, mostly in range for the split (``episodes``, ``shards``) so most specs are readable."""
    kind = draw(st.sampled_from(["none", "none"] + ["num"] * 8 + ["odd"]))
    if kind == "none":
        return ""
    if kind == "odd":  # what the grammar's regex lets through but int()/float() may refuse, and plain garbage
        return draw(st.sampled_from(["1.5", "_", "1_0", "..", "\u0663", "1e3", "abc", "1__0", "-", "--1", "0x1",
                                     "1%%", "2shard%", "007", "-0", "0"]))
    if unit == "%":
        return _percent(draw) + "%"
    if unit == "shard":
        return str(draw(st.integers(-shards - 2, shards + 2))) + "shard"
    return str(draw(st.integers(-episodes - 3, episodes + 3)))


@st.composite
def sub_specs(draw, proto):
    sizes = {s.name: (sum(s.shard_lengths), len(s.shard_lengths)) for s in proto.splits}
    name = draw(st.sampled_from([n for n in sizes if n not in ("a.b", "train[:2]")] * 6 + ["nope", "all", "a.b"]))
    episodes, shards = sizes.get(name, (10, 3))
    form = draw(st.sampled_from(["whole"] + ["slice"] * 8 + ["index", "three"]))
    if form == "whole":
        return name
    units = [draw(st.sampled_from(["abs", "%", "shard"])) for _ in range(3)]
    if draw(st.booleans()):  # one unit for both ends (the usual case)
        units = [units[0]] * 3
    if form == "index":
        return f"{name}[{draw(boundaries(units[0], episodes, shards))}]"
    ends = [draw(boundaries(u, episodes, shards)) for u in units[: 3 if form == "three" else 2]]
    return f"{name}[{':'.join(ends)}]"


@st.composite
def specs(draw, proto):
    subs = [draw(sub_specs(proto)) for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3])))]
    spec = subs[0]
    for sub in subs[1:]:
        spec += draw(st.sampled_from(["+"] * 8 + [" + ", "+ ", "\t+", "++", " "])) + sub
    wrap = draw(st.sampled_from([""] * 15 + [" {}", "{} ", "{}\n", "{}(pct1_dropremainder)", "{}[", "{}+"]))
    return wrap.format(spec) if wrap else spec


@SETTINGS
@given(data=st.data())
def test_random_tables_and_specs_read_like_tfds(tmp_path_factory, data):
    proto = data.draw(tables())
    builder_dir = write_info(tmp_path_factory.mktemp("info"), to_json(proto))
    info = tfds_info(builder_dir)
    table = parse_info((Path(builder_dir) / "dataset_info.json").read_bytes(), builder_dir)
    assert_same_table(table, info)
    names = [s.name for s in proto.splits]
    for spec in data.draw(st.lists(specs(proto), min_size=8, max_size=8, unique=True)) + names + ["all"]:
        assert_same_shards(table, info, spec, builder_dir)


@pytest.mark.parametrize("spec", [
    "train", "test", "train+test", "test + train", "train+train", "all", "train[:95%]", "train[95%:]", "train[10:20]",
    "train[-7:]", "train[:-7]", "train[-7:-2]", "train[:33%]", "train[33%:67%]", "train[-50%:]", "train[:2shard]",
    "train[1shard]", "train[-1shard]", "train[:0shard]", "train[:-1shard]", "train[2shard:]", "train[10%:20]",
    "train[10:20%]", "train[10%:2shard]", "train[1shard:50%]", "train[:50.5%]", "train[12.5%:]", "train[1_0:]",
    "train[:\u0663]", "train\n", "train[:0]", "train[5:3]", "test[:-0]", "train[-0:]", "test + train[:3]",
    # rejected
    "", " train", "train ", "Train", "nope", "train[]", "train[:]", "train[5]", "train[5%]", "train[1:2:3]",
    "train[:101%]", "train[:1000]", "train[-1000:]", "train[1.5:]", "train[:33%](pct1_dropremainder)", "train+",
    "+train", "all[:50%]", "train[:3]", "test+train", "train[1.5shard]", "train[a:b]", "train[%:]", "test[:3]",
])
def test_fixed_specs_read_like_tfds(tmp_path, spec):
    proto = make_proto([("train", [7, 0, 5, 3, 8], ""), ("test", [2], "{SPLIT}/{SHARD_INDEX}.{FILEFORMAT}"),
                        # names that are specs: tfds reads an exact name as that split alone, so these fail
                        ("train[:3]", [1], ""), ("test+train", [1], "")])
    builder_dir = write_info(tmp_path / "ds" / "1.0.0", to_json(proto))
    table = parse_info(to_json(proto), builder_dir)
    assert_same_shards(table, tfds_info(builder_dir), spec, builder_dir)


def test_slices_read_episode_ranges(tmp_path):
    """A hand-checked case: 23 episodes over shards of 7, 0, 5, 3, 8 (what tfds gives too, above)."""
    proto = make_proto([("train", [7, 0, 5, 3, 8], "")])
    d = str(tmp_path)
    table = parse_info(to_json(proto), d)
    got = [(r.index, r.first_record, r.stop_record) for r in table.shards("train[10:20]", dataset_dir=d)]
    assert got == [(2, 3, 5), (3, 0, 3), (4, 0, 5)]
    # 23 * 12.5 / 100 = 2.875 -> 3; 23 * 50 / 100 = 11.5 -> 12 (half to even)
    assert [(r.index, r.stop_record) for r in table.shards("train[:12.5%]", dataset_dir=d)] == [(0, 3)]
    assert [(r.index, r.stop_record) for r in table.shards("train[:50%]", dataset_dir=d)] == [(0, 7), (2, 5)]
    assert [(r.index, r.first_record) for r in table.shards("train[3shard]", dataset_dir=d)] == [(3, 0)]
    assert table.shards("train[1shard]", dataset_dir=d) == []  # the empty shard
    paths = [r.path for r in table.shards("train", dataset_dir=d)]
    assert paths == [f"{d}/ds-train.tfrecord-0000{i}-of-00005" for i in (0, 2, 3, 4)]


# --- shard paths: URLs and odd directories ------------------------------------------------------------------------

BUILDER_DIRS = [
    "gs://bucket/bridge/0.1.0", "s3://b/x/1.0.0", "gs://gresearch/robotics/bridge/0.1.0/", "s3://b//x/./1.0.0",
    "az://container/ds/1.0.0", "hf://datasets/x/1.0.0", "gs://bucket", "/data/ds/1.0.0", "/data/ds/1.0.0/",
    "/data//x/./y", "relative/ds", "./ds", "", ".", "//net/share/ds", "///tmp/x", "/tmp/x/..", "~/ds",
    "/gs/local/dir",  # epath reads a local /gs/... as gs://
]
PATH_TEMPLATES = TEMPLATES + [
    "/abs/{SPLIT}-{SHARD_INDEX}", "../up/{SHARD_X_OF_Y}", "./{SPLIT}//{SHARD_INDEX}.{FILEFORMAT}",
    "/gs/other/{SHARD_INDEX}", "{SHARD_INDEX}/{SPLIT}.{FILEFORMAT}", "{DATASET}.{SPLIT}@{NUM_SHARDS}-{SHARD_INDEX}",
]


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(builder_dir=st.one_of(st.sampled_from(BUILDER_DIRS),
                             st.text(alphabet="ab/.~", max_size=12),
                             st.text(alphabet="ab/.", max_size=10).map(lambda s: "gs://" + s)),
       template=st.sampled_from(PATH_TEMPLATES), shards=st.integers(1, 12),
       file_format=st.sampled_from(["tfrecord", "array_record"]))
def test_shard_paths_are_tfds_paths(builder_dir, template, shards, file_format):
    proto = make_proto([("train", [2] * shards, template), ("test", [1], "")], file_format=file_format)
    data = to_json(proto)
    info = tfds_info(builder_dir, data)
    table = parse_info(data, builder_dir)
    assert_same_table(table, info)
    expected = [os.fspath(p) for p in info.splits["train"].filepaths]
    assert [r.path for r in table.shards("train", dataset_dir=builder_dir)] == expected
    for spec in ("train[3:-3]", "all", "train[-2shard:]"):
        assert_same_shards(table, info, spec, builder_dir)


def test_url_builder_dirs():
    data = to_json(make_proto([("train", [3, 4], ""), ("val", [2], "{SPLIT}/{SHARD_INDEX}.{FILEFORMAT}")],
                              name="bridge"))
    for url in ("gs://bucket/bridge/0.1.0", "s3://b/x/1.0.0"):
        table = parse_info(data, url)
        info = tfds_info(url, data)
        assert [r.path for r in table.shards("train+val", dataset_dir=url)] == [
            f"{url}/bridge-train.tfrecord-00000-of-00002", f"{url}/bridge-train.tfrecord-00001-of-00002",
            f"{url}/val/00000.tfrecord"]
        for spec in ("train", "train+val", "train[:50%]", "all", "val[1:]"):
            assert_same_shards(table, info, spec, url)
    # a scheme epath does not know (tfds cannot open it at all): the same join after "scheme://"
    table = parse_info(data, "https://host/data/bridge/0.1.0/")
    assert table.shards("val", dataset_dir="x")[0].path == "https://host/data/bridge/0.1.0/val/00000.tfrecord"


# --- real builds -------------------------------------------------------------------------------------------------

REAL_SPECS = ["train", "train[:95%]", "train[95%:]", "train[1:4]", "train[-2:]", "train[:50%]", "train[1shard]",
              "train[:2shard]", "all", "train+train[:1]", "test", "train[:1000]"]


def _check_real(builder_dir: Path) -> InfoTable:
    d = str(builder_dir)
    table = parse_info((builder_dir / "dataset_info.json").read_bytes(), d)
    info = tfds_info(d)
    assert_same_table(table, info)
    for spec in REAL_SPECS:
        assert_same_shards(table, info, spec, d)
    refs = table.shards("train", dataset_dir=d)
    assert refs and all(Path(r.path).is_file() for r in refs)
    assert sum(r.take for r in refs) == table.splits["train"].num_episodes
    return table


def test_real_build_default_template(rlds_dataset):
    table = _check_real(rlds_dataset("bridge_oxe_v0", episodes=7, steps=2, shards=3, image_size=(8, 8)))
    assert table.splits["train"].filepath_template == DEFAULT_FILENAME_TEMPLATE
    assert [Path(r.path).name for r in table.shards("train[:2shard]", dataset_dir="d")] == [
        "bridge_oxe_v0-train.tfrecord-00000-of-00003", "bridge_oxe_v0-train.tfrecord-00001-of-00003"]


def test_real_build_template_without_of(rlds_dataset):
    table = _check_real(rlds_dataset("language_table", episodes=5, steps=2, shards=2, image_size=(8, 8)))
    assert [Path(r.path).name for r in table.shards("train", dataset_dir="d")] == [
        "language_table-train.tfrecord-00000", "language_table-train.tfrecord-00001"]


def test_real_build_array_record(rlds_dataset):
    table = _check_real(rlds_dataset("bridge_oxe_v0", episodes=5, steps=2, shards=2, image_size=(8, 8),
                                     file_format="array_record"))
    assert table.file_format == "array_record"
    assert all(".array_record-" in r.path for r in table.shards("train", dataset_dir="d"))


@pytest.mark.shared
def test_shared_dataset_infos(shared_data, tmp_path):
    """The real dataset_info.json files in ../shared/data, and a build from language_table's features.json."""
    infos = sorted((shared_data / "oxe_feature_json").glob("*/*/dataset_info.json"))
    assert infos
    for path in infos:
        d = str(path.parent)
        table = parse_info(path.read_bytes(), d)
        info = tfds_info(d)
        assert_same_table(table, info)
        for spec in REAL_SPECS:
            assert_same_shards(table, info, spec, d)
    from rt2data.testing.rlds_builders import build_from_features_json

    built = build_from_features_json(shared_data / "oxe_feature_json" / "language_table" / "0.0.1" / "features.json",
                                     tmp_path, episodes=3, steps=2, shards=2, image_size=(8, 8))
    table = _check_real(built)
    assert table.splits["train"].filepath_template == "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_INDEX}"


# --- the JSON as json_format reads it ---------------------------------------------------------------------------

SPLIT = {"name": "train", "shardLengths": ["3", "2"], "numBytes": "10"}


def _doc(**top) -> dict:
    return {"name": "ds", "version": "1.0.0", "splits": [dict(SPLIT)], **top}


@pytest.mark.parametrize("doc", [
    _doc(),
    _doc(splits=[{"name": "train", "shardLengths": [3, 2.0, "4", "5.0", "\t6"]}]),  # int64 as json_format takes it
    {"name": "ds", "version": "1", "file_format": "array_record",  # proto field names
     "splits": [{"name": "train", "shard_lengths": ["1"], "filepath_template": "{SPLIT}-{SHARD_INDEX}"}]},
    _doc(fileFormat=None, description=None, splits=[{**SPLIT, "filepathTemplate": None, "statistics": None}]),
    _doc(unknownField={"x": [1, 2]}, splits=[{**SPLIT, "futureField": 1, "numShards": "2"}]),
    _doc(fileFormat="tfrecord", file_format="array_record"),  # both spellings: the last one wins
    _doc(splits=[{**SPLIT, "shardLengths": ["1"], "shard_lengths": ["4", "4"]}]),
    _doc(splits=[SPLIT, {"name": "train", "shardLengths": ["9"]}, {"name": "val", "shardLengths": []}]),  # repeated
    _doc(splits=None),
    _doc(splits=[]),
    _doc(name=""),  # no name: {DATASET} cannot be formatted (tfds: ValueError later; here DataError now)
    {},
])
def test_json_reads_like_json_format(tmp_path, doc):
    data = json.dumps(doc).encode()
    d = write_info(tmp_path, data)
    info = tfds_info(d)
    try:
        table = parse_info(data, d)
    except DataError:
        with pytest.raises(ValueError):  # tfds fails only when the shard paths are computed
            resolve_split(info, "train", dataset_dir=d, file_format=info.file_format)
        return
    assert_same_table(table, info)
    for spec in ("train", "train[1:]", "all", "val"):
        assert_same_shards(table, info, spec, d)


NOT_REFUSED_BY_TFDS = (b'["a", "list"]', b'"text"')


@pytest.mark.parametrize("data,reason", [
    (b"{not json", "not valid JSON"),
    (b"", "not valid JSON"),
    (b'["a", "list"]', "expected a JSON object"),
    (b'"text"', "expected a JSON object"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b'{"name": "a", "name": "b"}', "duplicate key 'name'"),
    (b'{"splits": {"name": "train"}}', "splits must be a list"),
    (b'{"splits": ["train"]}', "splits[0] must be an object"),
    (b'{"splits": [null]}', "splits[0] is null"),
    (b'{"splits": [{"name": "train", "shardLengths": ["1 2"]}]}', "splits[0].shardLengths[0] must be an integer"),
    (b'{"splits": [{"name": "train", "shardLengths": [1.5]}]}', "must be an integer"),
    (b'{"splits": [{"name": "train", "shardLengths": [" 5"]}]}', "must be an integer"),  # int(" 5") would take it
    (b'{"splits": [{"name": "train", "shardLengths": [true]}]}', "must be an integer"),
    (b'{"splits": [{"name": "train", "shardLengths": ["abc"]}]}', "must be an integer"),
    (b'{"splits": [{"name": "train", "shardLengths": ["9223372036854775808"]}]}', "int64"),
    (b'{"splits": [{"name": "train", "numBytes": "x"}]}', "splits[0].numBytes must be an integer"),
    (b'{"name": 3}', "name must be a string"),
    (b'{"version": ["1"]}', "version must be a string"),
    (b'{"name": "\\ud800"}', "unpaired surrogate"),
    (b'{"splits": [{"shardLengths": ["1"]}]}', "a split has no name"),
    (b'{"splits": [{"name": "--", "shardLengths": ["1"]}]}', "no alphanumeric character"),
    (b'{"splits": [{"name": "train", "shardLengths": ["3", "-1"]}]}', "negative shardLengths"),
    (b'{"name": "x", "splits": [{"name": "train", "shardLengths": ["1"], "filepathTemplate": "{OOPS}-{SHARD_INDEX}"}]}',
     "cannot format filepathTemplate"),
    (b'{"name": "x", "splits": [{"name": "train", "shardLengths": ["1"], "filepathTemplate": "{}"}]}',
     "cannot format filepathTemplate"),
])
def test_bad_dataset_info_is_a_data_error(tmp_path, data, reason):
    d = write_info(tmp_path / "ds", data)
    with pytest.raises(DataError) as caught:
        parse_info(data, d)
    message = str(caught.value)
    assert message.startswith(f"{d}/dataset_info.json: ") and reason in message and "\n" not in message, message
    if data in NOT_REFUSED_BY_TFDS:  # json_format iterates a list or string as field names, all unknown
        assert tfds_info(d).splits.keys() == set()
        return
    # the tfds route refuses it too: reading the proto, building the split table, or reading a split
    with pytest.raises(Exception):
        info = tfds_info(d)
        for name in info.splits.keys():
            resolve_split(info, name, dataset_dir=d, file_format=info.file_format)


def test_shards_sharing_a_path_are_a_data_error(tmp_path):
    """tfds computes such paths without complaint and then mixes the shards up; here the file is refused."""
    shared = json.dumps({"name": "x", "splits": [
        {"name": "a", "shardLengths": ["1"], "filepathTemplate": "f-{SHARD_INDEX}"},
        {"name": "b", "shardLengths": ["2"], "filepathTemplate": "f-{SHARD_INDEX}"}]}).encode()
    one_name = json.dumps({"name": "x", "splits": [
        {"name": "train", "shardLengths": ["1", "1"], "filepathTemplate": "{SPLIT}.{FILEFORMAT}"}]}).encode()
    for data, reason in ((shared, "splits 'a' and 'b' both name shard"), (one_name, "'train' and 'train' both")):
        d = write_info(tmp_path / reason[:9], data)
        with pytest.raises(DataError, match=reason):
            parse_info(data, d)
    info = tfds_info(str(tmp_path / "splits 'a"))
    (ref,) = resolve_split(info, "a", dataset_dir="d", file_format="tfrecord")
    assert ref.split == "b" and ref.num_records == 2  # split a's shard read as split b's
    info = tfds_info(str(tmp_path / "'train' a"))
    assert len({r.path for r in resolve_split(info, "train", dataset_dir="d", file_format="tfrecord")}) == 1


@pytest.mark.parametrize("file_format", ["riegeli", "parquet", "zip"])
def test_unknown_file_format_is_the_same_data_error(tmp_path, file_format):
    data = json.dumps(_doc(fileFormat=file_format)).encode()
    d = write_info(tmp_path, data)
    with pytest.raises(DataError) as ours:
        parse_info(data, d)
    with pytest.raises(DataError) as theirs:
        tfds_info(d)
    assert str(ours.value) == str(theirs.value)
    assert "\n" not in str(ours.value) and repr(file_format) in str(ours.value)


# --- where tfds fails badly: here a plain ConfigError ------------------------------------------------------------

def test_all_is_a_config_error_where_tfds_crashes(tmp_path):
    data = to_json(make_proto([("train", [2], ""), ("all", [3], "")]))
    d = write_info(tmp_path, data)
    table, info = parse_info(data, d), tfds_info(d)
    for spec in ("all", "train+all"):
        with pytest.raises(RecursionError):
            resolve_split(info, spec, dataset_dir=d, file_format="tfrecord")
        with pytest.raises(ConfigError, match="a split is named 'all'"):
            table.shards(spec, dataset_dir=d)
    with pytest.raises(NotImplementedError):
        resolve_split(info, "train+all[:1]", dataset_dir=d, file_format="tfrecord")
    with pytest.raises(ConfigError, match="'all' cannot be sliced"):
        table.shards("train+all[:1]", dataset_dir=d)
    assert table.shards("train", dataset_dir=d) == resolve_split(info, "train", dataset_dir=d, file_format="tfrecord")


def test_no_splits(tmp_path):
    data = to_json(make_proto([]))
    d = write_info(tmp_path, data)
    table = parse_info(data, d)
    assert table.splits == {} == split_infos(tfds_info(d))
    for spec in ("train", "all", ""):
        assert_same_shards(table, tfds_info(d), spec, d)


# --- no tfds on the way --------------------------------------------------------------------------------------------

def test_parse_info_and_shards_do_not_import_tfds(tmp_path):
    data = to_json(make_proto([("train", [3, 4], ""), ("test", [2], "")], name="bridge"))
    d = write_info(tmp_path, data)
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from rt2data.rlds.info import parse_info
        table = parse_info(Path({d!r}, "dataset_info.json").read_bytes(), {d!r})
        refs = table.shards("train[:50%]+test", dataset_dir={d!r}) + table.shards("all", dataset_dir={d!r})
        assert len(refs) == 6, refs
        bad = sorted(m for m in sys.modules if m.startswith("tensorflow"))
        assert not bad, bad
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
