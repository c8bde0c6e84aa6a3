"""A TFDS builder directory's ``dataset_info.json`` as a split table, and split specs resolved to shard record
ranges, without importing ``tensorflow_datasets`` (0.45 s per process).

:func:`parse_info` reads the JSON as tfds reads it (``json_format.Parse(..., ignore_unknown_fields=True)`` into
``DatasetInfo``: camelCase or proto field names, int64 values as strings or numbers, duplicate keys refused) and
computes every shard's path as tfds's ``SplitInfo.filepaths`` does (``ShardedFileTemplate``: the split's
``filepathTemplate`` or ``{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}``, indices zero-padded to at least 5
digits, joined to the builder directory with ``etils.epath`` semantics, including its ``gs://``/``s3://``/``az://``/
``hf://`` handling). :meth:`InfoTable.shards` implements tfds's split-spec grammar and arithmetic
(``splits.py``: ``train``, ``a+b``, ``all``, ``train[:95%]``, ``train[10:20]``, ``train[-5:]``, ``train[:2shard]``,
``train[3shard]``; percentages rounded to the closest record, Python's half-to-even ``round``) and returns the
``ShardRef``s ``rt2data.rlds.splits.resolve_split`` gives for the tfds ``DatasetInfo``. ``tests/rlds/test_info.py``
holds both to tfds itself, with random split tables, specs and paths.

Where tfds fails badly this module raises instead (no fallback to tfds is needed anywhere):

* ``all[...]`` (tfds: ``NotImplementedError``) and ``all`` when a split is itself named ``all`` (tfds recurses
  until ``RecursionError``) are ``ConfigError``s, like every other spec tfds rejects.
* A ``filepathTemplate`` that cannot be formatted, shards of different splits or indices with the same path, and
  negative ``shardLengths`` are ``DataError``s from :func:`parse_info` (tfds fails or mixes shards up later, when a
  split is read).
* A JSON list or string (tfds reads it as an empty ``DatasetInfo``) is a ``DataError``.
* Only the fields used here are checked (``name``, ``version``, ``fileFormat``, ``splits[]``: ``name``,
  ``shardLengths``, ``filepathTemplate``, ``numBytes``, ``numShards``); tfds also refuses malformed values of the
  fields it ignores (``statistics``, ``features``, ...).
* A builder directory URL of a scheme ``epath`` does not know (``http://``; tfds raises ``KeyError``) is joined
  the same way after its ``scheme://``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Union

from rt2data import io
from rt2data.errors import ConfigError, DataError
from rt2data.rlds.splits import FILE_FORMATS, ShardRef, SplitInfo

__all__ = ["InfoTable", "parse_info", "DEFAULT_FILENAME_TEMPLATE"]

DEFAULT_FILENAME_TEMPLATE = "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}"
"""tfds's ``naming.DEFAULT_FILENAME_TEMPLATE``: the shard names of a split without ``filepathTemplate``."""

_FILE_SUFFIX = {"tfrecord": "tfrecord", "array_record": "array_record"}  # tfds FileFormat.file_suffix
_MIN_SHARD_DIGITS = 5  # naming._DEFAULT_NUM_DIGITS_FOR_SHARDS
_INT64 = (-(2**63), 2**63 - 1)


# --- dataset_info.json -> fields ------------------------------------------------------------------------------------

class _BadInfo(Exception):
    """What is wrong with dataset_info.json (one line); becomes a DataError naming the file."""


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:  # json_format refuses these anywhere in the document
            raise _BadInfo(f"duplicate key {key!r}")
        out[key] = value
    return out


def _load(data: bytes | str) -> dict[str, Any]:
    try:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _BadInfo(f"not UTF-8 text: {exc}") from None
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except ValueError as exc:  # JSONDecodeError, and int()'s digit limit on a huge number
        raise _BadInfo(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise _BadInfo("not valid JSON: nested too deeply") from None
    if not isinstance(doc, dict):
        raise _BadInfo(f"expected a JSON object (the DatasetInfo proto), found {_json_type(doc)}")
    return doc


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads pairs valid escapes; anything left is unpaired


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _BadInfo(f"{where} must be a string, found {_json_type(value)}")
    if _SURROGATE.search(value):
        raise _BadInfo(f"{where} holds an unpaired surrogate")
    return value


def _int64(value: Any, where: str) -> int:
    """An int64 as json_format reads one: a number, or a string of one; integral floats allowed."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _BadInfo(f"{where} must be an integer, found {_json_type(value)}")
    if isinstance(value, float) and not value.is_integer():
        raise _BadInfo(f"{where} must be an integer, found {value!r}")
    if isinstance(value, str) and " " in value:
        raise _BadInfo(f"{where} must be an integer, found {value!r}")
    try:
        number = int(value)
    except ValueError:
        try:
            as_float = float(value)
        except ValueError:
            raise _BadInfo(f"{where} must be an integer, found {value!r}") from None
        if not as_float.is_integer():
            raise _BadInfo(f"{where} must be an integer, found {value!r}") from None
        number = int(as_float)
    except OverflowError:  # int(inf)
        raise _BadInfo(f"{where} must be an integer, found {value!r}") from None
    if not _INT64[0] <= number <= _INT64[1]:
        raise _BadInfo(f"{where} is out of the int64 range: {value!r}")
    return number


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _BadInfo(f"{where} must be a list, found {_json_type(value)}")
    for i, item in enumerate(value):
        if item is None:
            raise _BadInfo(f"{where}[{i}] is null")
    return value


def _fields(obj: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The proto fields of a JSON object: json_name or proto name -> proto name, last one wins, null clears."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        proto_name = names.get(key)
        if proto_name is None:
            continue  # ignore_unknown_fields=True (and the fields rt2data does not use)
        if value is None:
            out.pop(proto_name, None)
        else:
            out[proto_name] = (key, value)
    return out


def _names(*proto_names: str) -> dict[str, str]:
    out = {}
    for name in proto_names:
        head, *rest = name.split("_")
        out[head + "".join(p[:1].upper() + p[1:] for p in rest)] = name
        out[name] = name
    return out


_INFO_FIELDS = _names("name", "version", "file_format", "splits")
_SPLIT_FIELDS = _names("name", "shard_lengths", "filepath_template", "num_bytes", "num_shards")


@dataclass(frozen=True)
class _RawSplit:
    name: str
    shard_lengths: tuple[int, ...]
    template: str


def _split(obj: Any, where: str) -> _RawSplit:
    if not isinstance(obj, dict):
        raise _BadInfo(f"{where} must be an object (a SplitInfo), found {_json_type(obj)}")
    got = _fields(obj, _SPLIT_FIELDS)
    name = _string(got["name"][1], f"{where}.name") if "name" in got else ""
    lengths: tuple[int, ...] = ()
    if "shard_lengths" in got:
        key, value = got["shard_lengths"]
        lengths = tuple(_int64(v, f"{where}.{key}[{i}]") for i, v in enumerate(_list(value, f"{where}.{key}")))
    for proto_name in ("num_bytes", "num_shards"):
        if proto_name in got:
            key, value = got[proto_name]
            _int64(value, f"{where}.{key}")
    template = ""
    if "filepath_template" in got:
        key, value = got["filepath_template"]
        template = _string(value, f"{where}.{key}")
    return _RawSplit(name, lengths, template)


# --- shard paths (tfds's ShardedFileTemplate on an etils.epath.Path) ---------------------------------------------

_EPATH_SCHEMES = ("gs", "s3", "az", "hf")  # epath maps "gs://b/x" to the posix path "/gs/b/x" and back
_URL_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _posix_parts(path: str) -> list[str]:
    """``pathlib.PurePosixPath(path).parts``: the root (``/``, or ``//`` for exactly two slashes), then the
    components without empty ones and ``.``."""
    parts: list[str] = []
    if path.startswith("/"):
        stripped = path.lstrip("/")
        parts.append("//" if len(path) - len(stripped) == 2 else "/")
        path = stripped
    parts.extend(p for p in path.split("/") if p and p != ".")
    return parts


def _plain(parts: list[str]) -> str:
    """The parts as a posix path string (``""`` for none)."""
    if parts and parts[0] in ("/", "//"):
        return parts[0] + "/".join(parts[1:])
    return "/".join(parts)


def _parts_to_str(parts: list[str]) -> str:
    """``os.fspath`` of an epath with these parts (``/gs/b/x`` is ``gs://b/x``, even when it was a local path)."""
    if len(parts) >= 2 and parts[0] == "/" and parts[1] in _EPATH_SCHEMES:
        return f"{parts[1]}://" + "/".join(parts[2:])
    return _plain(parts) or "."


@dataclass(frozen=True)
class _Base:
    """The builder directory as epath holds it: a ``prefix`` kept verbatim (a URL scheme epath does not know) and
    posix ``parts``."""

    prefix: str
    parts: list[str]

    @classmethod
    def of(cls, builder_dir: str) -> _Base:
        for scheme in _EPATH_SCHEMES:
            if builder_dir.startswith(f"{scheme}://"):
                return cls("", _posix_parts(f"/{scheme}/" + builder_dir[len(scheme) + 3:]))
        match = _URL_PREFIX.match(builder_dir)
        if match:
            return cls(match.group(0), _posix_parts(builder_dir[match.end():]))
        return cls("", _posix_parts(builder_dir))

    def join(self, relative: str) -> tuple[list[str], str]:
        """(sort key, path string) of ``relative`` under this directory (``PurePosixPath(base) / relative``: an
        absolute ``relative`` replaces the directory, URL included)."""
        rel = _posix_parts(relative)
        if rel[:1] in (["/"], ["//"]):
            return rel, _parts_to_str(rel)
        parts = self.parts + rel
        return parts, (self.prefix + _plain(parts) if self.prefix else _parts_to_str(parts))


def _shard_paths(base: _Base, template: str, *, dataset: str, split: str, suffix: str, num_shards: int) -> list[str]:
    """``SplitInfo.filepaths``: the shard paths, sorted as tfds sorts them (epath order: by path components)."""
    digits = max(len(str(num_shards)), _MIN_SHARD_DIGITS)
    mappings = {"SPLIT": split, "FILEFORMAT": suffix, "NUM_SHARDS": f"{num_shards:0{digits}}"}
    if dataset:  # tfds leaves {DATASET} unset for an empty name (and then fails to format it)
        mappings["DATASET"] = dataset
    paths = []
    for index in range(num_shards):
        mappings["SHARD_INDEX"] = f"{index:0{digits}}"
        mappings["SHARD_X_OF_Y"] = f"{mappings['SHARD_INDEX']}-of-{mappings['NUM_SHARDS']}"
        try:
            relative = template.format(**mappings)
        except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
            raise _BadInfo(f"split {split!r}: cannot format filepathTemplate {template!r} "
                           f"({type(exc).__name__}: {exc}); it may use {sorted(mappings)}") from None
        paths.append(base.join(relative))
    return [text for _, text in sorted(paths, key=lambda p: p[0])]


# --- the table --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InfoTable:
    """What rt2data uses of ``dataset_info.json``: name, version, file format and the split table.

    Attributes:
        name: dataset name (``name``; also ``{DATASET}`` in shard names).
        version: version string (``version``).
        file_format: ``"tfrecord"`` or ``"array_record"`` (``fileFormat``; empty means tfrecord).
        splits: ``SplitInfo`` per split, in the file's order (``split_infos`` of tfds's ``DatasetInfo``).
    """

    name: str
    version: str
    file_format: str
    splits: dict[str, SplitInfo] = field(repr=False)
    _paths: Mapping[str, tuple[str, ...]] = field(repr=False, compare=False)  # split -> shard paths, by index

    def shards(self, split_spec: str, *, dataset_dir: str) -> list[ShardRef]:
        """The ``ShardRef``s ``split_spec`` reads, in spec order then shard order (shards with nothing to read are
        left out); what ``rt2data.rlds.splits.resolve_split`` gives for tfds's ``DatasetInfo``.

        Args:
            split_spec: ``train``, ``train+val``, ``all``, ``train[:95%]``, ``train[95%:]``, ``train[10:20]``,
                ``train[-10:]``, ``train[:2shard]``, ``train[3shard]`` ...
            dataset_dir: the builder directory, recorded in each ref.

        Raises:
            ConfigError: unknown split name or malformed slice; names the available splits.
        """
        try:
            ranges = _resolve(split_spec, self.splits)
        except _SpecError as exc:
            available = sorted(self.splits)
            raise ConfigError(
                f"{dataset_dir}: cannot read split {split_spec!r}: {exc}; available splits: {available} "
                "(slices look like train[:95%], train[95%:], train[10:20])"
            ) from None
        refs = []
        for split, start, stop in ranges:
            begin = 0
            for index, (path, length) in enumerate(zip(self._paths[split], self.splits[split].shard_lengths)):
                end = begin + length
                first, last = max(start, begin), min(stop, end)
                if first < last:
                    refs.append(ShardRef(
                        dataset_dir=dataset_dir, split=split, index=index, path=path, num_records=length,
                        file_format=self.file_format, first_record=first - begin, stop_record=last - begin,
                    ))
                begin = end
        return refs


def parse_info(data: bytes | str, builder_dir: str | os.PathLike[str]) -> InfoTable:
    """The split table of ``dataset_info.json`` (its bytes), with shard paths under ``builder_dir``.

    Args:
        data: the file's content.
        builder_dir: the builder directory (version folder) holding the shards: a local path or a URL; shard
            paths are joined to it as strings, as tfds does (no filesystem access).

    Raises:
        DataError: not JSON, not an object, a malformed field, a file format rt2data does not read, a bad split
            name, a ``filepathTemplate`` that cannot be formatted, or two shards with one path.
    """
    builder_dir = os.fspath(builder_dir)
    where = io.join(builder_dir, "dataset_info.json")
    try:
        got = _fields(_load(data), _INFO_FIELDS)
        name = _string(got["name"][1], "name") if "name" in got else ""
        version = _string(got["version"][1], "version") if "version" in got else ""
        file_format = _string(got["file_format"][1], got["file_format"][0]) if "file_format" in got else ""
        raw: list[_RawSplit] = []
        if "splits" in got:
            key, value = got["splits"]
            raw = [_split(obj, f"{key}[{i}]") for i, obj in enumerate(_list(value, key))]
    except _BadInfo as exc:
        raise DataError(f"{where}: {exc}") from None
    file_format = file_format or "tfrecord"
    if file_format not in FILE_FORMATS:
        raise DataError(f"{builder_dir}: shards are {file_format!r}; rt2data reads {list(FILE_FORMATS)}")
    try:
        splits, paths = _table(raw, _Base.of(builder_dir), name=name, file_format=file_format)
    except _BadInfo as exc:
        raise DataError(f"{where}: {exc}") from None
    return InfoTable(name=name, version=version, file_format=file_format, splits=splits, _paths=paths)


def _table(raw: Iterable[_RawSplit], base: _Base, *, name: str, file_format: str
           ) -> tuple[dict[str, SplitInfo], dict[str, tuple[str, ...]]]:
    splits: dict[str, SplitInfo] = {}
    for split in raw:
        # ShardedFileTemplate's checks of the split name
        if not split.name:
            raise _BadInfo("a split has no name")
        if not any(c.isalnum() for c in split.name):
            raise _BadInfo(f"split name {split.name!r} has no alphanumeric character")
        if any(n < 0 for n in split.shard_lengths):
            raise _BadInfo(f"split {split.name!r}: negative shardLengths {list(split.shard_lengths)}")
        # a repeated name replaces the earlier split in its place, as in tfds's SplitDict
        splits[split.name] = SplitInfo(
            name=split.name,
            num_episodes=sum(split.shard_lengths),
            shard_lengths=split.shard_lengths,
            filepath_template=split.template or DEFAULT_FILENAME_TEMPLATE,
        )
    paths: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    suffix = _FILE_SUFFIX.get(file_format, file_format)
    for split_name, info in splits.items():
        paths[split_name] = tuple(_shard_paths(base, info.filepath_template, dataset=name, split=split_name,
                                               suffix=suffix, num_shards=len(info.shard_lengths)))
        for path in paths[split_name]:
            if path in owner:
                raise _BadInfo(f"splits {owner[path]!r} and {split_name!r} both name shard {path!r} "
                               f"(filepathTemplate {info.filepath_template!r})")
            owner[path] = split_name
    return splits, paths


# --- split specs (tfds's splits.py grammar and arithmetic) ------------------------------------------------------

class _SpecError(ValueError):
    """Why a split spec cannot be read (the detail of the ConfigError)."""


# <split_name>[<split_selector>]; "$" also matches before a trailing newline, as in tfds ("train\n" reads train)
_SUB_SPEC_RE = re.compile(r"^(?P<split_name>[\w-]+)(\[(?P<split_selector>[\d\w%:.-]+)\])?$")
# <val><unit>, e.g. "-54%", "3shard", or nothing
_SLICE_RE = re.compile(r"^((?P<val>-?[\d_.]+)(?P<unit>(?:%|shard))?)?$")
_ADDITION_SEP_RE = re.compile(r"\s*\+\s*")


@dataclass(frozen=True)
class _All:
    """``all``: every split, in table order."""


@dataclass(frozen=True)
class _Slice:
    """tfds's ``ReadInstruction`` (rounding is always ``closest``: the string grammar has no other)."""

    split: str
    from_: Union[int, float, None]
    to: Union[int, float, None]
    unit: str  # "abs" | "%" | "shard"


def _parse(spec: str) -> list[_All | _Slice]:
    """``AbstractSplit.from_spec``: the ``+``-separated parts, each a split name with an optional slice."""
    return [_parse_one(sub) for sub in _ADDITION_SEP_RE.split(spec)]


def _parse_one(sub: str) -> _All | _Slice:
    bad = _SpecError(f"unrecognized split format {sub!r}")
    match = _SUB_SPEC_RE.match(sub)
    if not match:
        raise bad
    name, selector = match.group("split_name"), match.group("split_selector")
    if name == "all":
        if selector:
            raise _SpecError(f"'all' cannot be sliced ({sub!r}); slice each split and join them with +")
        return _All()
    try:
        if selector is None:
            from_, to, unit = None, None, "abs"
        else:
            slices = [_SLICE_RE.match(x) for x in selector.split(":")]
            if not all(slices) or not any(m.group(0) for m in slices if m is not None):
                raise bad
            if len(slices) == 1:  # train[x]: one shard
                (m,) = slices
                from_, to, unit = m["val"], int(m["val"]) + 1, m["unit"] or "abs"
                if unit != "shard":
                    raise _SpecError(f"{sub!r}: a single index is only allowed in shards (train[3shard]); "
                                     "use a slice like train[3:4]")
            elif len(slices) == 2:
                from_, to = slices[0]["val"], slices[1]["val"]
                unit = slices[0]["unit"] or slices[1]["unit"] or "abs"  # the first unit given applies to both
            else:
                raise bad
        if from_ is not None:
            from_ = float(from_) if unit == "%" else int(from_)
        if to is not None:
            to = float(to) if unit == "%" else int(to)
    except _SpecError:
        raise
    except ValueError as exc:  # int("1.5"), float("1..2"), int("_")
        raise _SpecError(f"{sub!r}: bad slice boundary ({exc})") from None
    if unit == "%" and (abs(from_ or 0) > 100 or abs(to or 0) > 100):
        raise _SpecError(f"{sub!r}: percent slice boundaries must be in [-100, 100]")
    return _Slice(name, from_, to, unit)


def _resolve(spec: str, splits: Mapping[str, SplitInfo]) -> list[tuple[str, int, int]]:
    """``SplitDict[spec].file_instructions`` as (split, first, stop) episode ranges, in spec order."""
    if not splits:
        raise _SpecError("the dataset has no splits")
    if spec in splits:  # tfds reads an exact split name as that split alone (parsing the name as a spec)
        splits = {spec: splits[spec]}
    return _absolute(_parse(spec), splits)


def _absolute(parts: list[_All | _Slice], splits: Mapping[str, SplitInfo], *, in_all: bool = False
              ) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    for part in parts:
        if isinstance(part, _All):
            if in_all:  # a split named "all": tfds expands "all" into "all+..." forever (RecursionError)
                raise _SpecError("a split is named 'all', so 'all' cannot mean every split; name the splits")
            out.extend(_absolute(_parse("+".join(splits)), splits, in_all=True))
        else:
            out.extend(_range(part, splits))
    return out


def _range(part: _Slice, splits: Mapping[str, SplitInfo]) -> list[tuple[str, int, int]]:
    """``_rel_to_abs_instr`` then ``_file_instructions_for_split``: the episode range [first, stop) of one part."""
    if part.split not in splits:
        raise _SpecError(f"unknown split {part.split!r}")
    info = splits[part.split]
    n = info.num_episodes
    from_, to = part.from_, part.to
    if part.unit == "%":
        from_ = 0 if from_ is None else int(round(from_ * n / 100.0))  # closest, half to even
        to = n if to is None else int(round(to * n / 100.0))
    elif part.unit == "shard":
        lengths = info.shard_lengths
        from_ = 0 if from_ is None else sum(lengths[:from_])
        if to is not None and to <= 0:  # tfds counts back from the end, and reads train[:0shard] as everything
            to = len(lengths) + to
        to = n if to is None else sum(lengths[:to])
    else:
        from_ = 0 if from_ is None else from_
        to = n if to is None else to
    if abs(from_) > n or abs(to) > n:
        raise _SpecError(f"slice [{from_ or ''}:{to or ''}] of split {part.split!r} is out of its {n} episodes")
    if from_ < 0:
        from_ += n
    if to < 0:
        to += n
    if n == 0:
        return []
    return [(part.split, from_, to)]
