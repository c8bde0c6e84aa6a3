"""WebDataset tar samples: deterministic writing and safe streaming reading.

Layout: each example is two adjacent members, ``KEY.<image_format>`` (the image bytes as given) and ``KEY.json``
(:meth:`Example.to_json_bytes`), sorted by name within the sample; samples in the order given. Keys contain no
dots, so ``webdataset`` and Hugging Face ``datasets`` group the members of a sample by the stem before the first dot.

Determinism: POSIX.1-2001 (PAX) format, regular files, mtime 0, uid/gid 0, uname/gname "", mode 0o644; each member
is a ``tarfile.TarInfo`` header (``TarInfo.tobuf``) + data padded to 512 bytes, and the archive ends as
``tarfile`` ends it (two zero blocks, padded to a multiple of ``tarfile.RECORDSIZE``). The same bytes as
``tarfile.TarFile.addfile`` would write, but sized before writing so a shard can close before exceeding a limit.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import PurePosixPath
from typing import Any, BinaryIO, Iterator, NamedTuple

from rt2data.errors import DataError, SchemaError
from rt2data.example import IMAGE_FORMATS, Example
from rt2data.shards.formats.base import RawRecord, ShardFormat

__all__ = [
    "WebDatasetFormat",
    "TAR_FORMAT",
    "TarSample",
    "encode_sample",
    "tar_end_size",
    "iter_tar_members",
    "iter_wds_samples",
    "sample_to_example",
    "check_member_name",
]

TAR_FORMAT = tarfile.PAX_FORMAT
_BLOCK = tarfile.BLOCKSIZE
_RECORD = tarfile.RECORDSIZE


class TarSample(NamedTuple):
    """One example encoded as tar bytes: ``data`` is the members (headers + padded data), ``size == len(data)``."""

    key: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def _member(name: str, payload: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    header = info.tobuf(TAR_FORMAT, "utf-8", "surrogateescape")
    pad = -len(payload) % _BLOCK
    return header + payload + b"\0" * pad


def encode_sample(example: Example) -> TarSample:
    """The tar members of one example (``KEY.<image_format>`` and ``KEY.json``, sorted by name)."""
    members = sorted(
        [(f"{example.key}.{example.image_format}", example.image), (f"{example.key}.json", example.to_json_bytes())]
    )
    return TarSample(example.key, b"".join(_member(name, payload) for name, payload in members))


def tar_end_size(offset: int) -> int:
    """Bytes ``tarfile`` appends when closing an archive whose members end at ``offset``."""
    end = offset + 2 * _BLOCK
    return 2 * _BLOCK + (-end % _RECORD)


def check_member_name(name: str, *, shard: str) -> tuple[str, str]:
    """Split an rt2data member name into ``(key, extension)``.

    Raises:
        DataError: the name is absolute, has a ``..`` component, a folder, or no extension.
    """
    path = PurePosixPath(name)
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise DataError(f"{shard}: tar member {name!r} has an absolute path; refusing a member that escapes the shard")
    if ".." in path.parts:
        raise DataError(f"{shard}: tar member {name!r} contains '..'; refusing a member that escapes the shard")
    if "/" in name:
        raise DataError(f"{shard}: tar member {name!r} is in a folder; rt2data shards hold only KEY.EXT members")
    key, dot, ext = name.partition(".")
    if not dot or not key or not ext:
        raise DataError(f"{shard}: tar member {name!r} is not named KEY.EXT")
    return key, ext


def iter_tar_members(f: BinaryIO, *, shard: str) -> Iterator[tuple[str, str, bytes, int]]:
    """Stream ``(key, extension, data, header_offset)`` of every member of an rt2data tar shard.

    Raises:
        DataError: unreadable/corrupt tar, non-regular member, or a member name that escapes the shard.
    """
    try:
        with tarfile.open(fileobj=f, mode="r|") as tar:
            for info in tar:
                key, ext = check_member_name(info.name, shard=shard)
                if not info.isreg():
                    raise DataError(f"{shard}: tar member {info.name!r} at byte {info.offset} is not a regular file")
                member = tar.extractfile(info)
                data = member.read() if member is not None else b""
                if len(data) != info.size:
                    raise DataError(f"{shard}: tar member {info.name!r} at byte {info.offset} is truncated")
                yield key, ext, data, info.offset
                tar.members = []  # streaming: do not keep every TarInfo
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataError(f"{shard}: not a readable tar archive ({type(exc).__name__}: {exc})") from exc


def iter_wds_samples(f: BinaryIO, *, shard: str) -> Iterator[tuple[str, dict[str, bytes], int]]:
    """Group consecutive members by key: yields ``(key, {extension: data}, offset_of_first_member)``.

    Raises:
        DataError: as :func:`iter_tar_members`, or a key whose members are not adjacent / repeat an extension.
    """
    current: str | None = None
    members: dict[str, bytes] = {}
    start = 0
    seen: set[str] = set()
    for key, ext, data, offset in iter_tar_members(f, shard=shard):
        if key != current:
            if current is not None:
                yield current, members, start
            if key in seen:
                raise DataError(f"{shard}: key {key!r} at byte {offset} appears again after other samples")
            seen.add(key)
            current, members, start = key, {}, offset
        if ext in members:
            raise DataError(f"{shard}: sample {key!r} has two {ext!r} members (second at byte {offset})")
        members[ext] = data
    if current is not None:
        yield current, members, start


def sample_to_example(key: str, members: dict[str, bytes], *, shard: str) -> tuple[Example, dict[str, Any]]:
    """Rebuild the example of one sample; also returns the raw ``KEY.json`` dict (for schema checks).

    Raises:
        DataError: not exactly one ``json`` and one image member of the recorded format, bad JSON, key mismatch.
    """
    where = f"{shard}: sample {key!r}"
    if "json" not in members:
        raise DataError(f"{where} has no .json member (members: {sorted(members)})")
    try:
        fields = json.loads(members["json"].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{where}: .json member is not valid JSON ({exc})") from exc
    if not isinstance(fields, dict):
        raise DataError(f"{where}: .json member is not a JSON object")
    images = sorted(ext for ext in members if ext in IMAGE_FORMATS)
    others = sorted(set(members) - set(images) - {"json"})
    fmt = fields.get("image_format")
    if images != [fmt] or others:
        raise DataError(
            f"{where}: expected exactly one image member '.{fmt}' and one '.json', got {sorted(members)}"
        )
    if fields.get("key") != key:
        raise DataError(f"{where}: .json member has key {fields.get('key')!r}, not the member stem {key!r}")
    try:
        return Example.from_json_dict(fields, members[fmt]), fields
    except (SchemaError, TypeError) as exc:
        raise DataError(f"{where}: {exc}") from exc


class WebDatasetFormat(ShardFormat):
    """``wds``: WebDataset tars, ``KEY.<image_format>`` + ``KEY.json`` per example (see the module docstring)."""

    name = "wds"
    extension = "tar"
    description = "WebDataset tar (KEY.<image> + KEY.json per example)"

    def encode(self, example: Example) -> bytes:
        return encode_sample(example).data

    def end_size(self, offset: int) -> int:
        return tar_end_size(offset)

    def iter_raw(self, f: BinaryIO, *, name: str, verify: bool) -> Iterator[RawRecord]:
        for key, members, _ in iter_wds_samples(f, shard=name):
            try:
                example, fields = sample_to_example(key, members, shard=name)
            except DataError as exc:
                yield key, None, str(exc).removeprefix(f"{name}: sample {key!r}").lstrip(": ")
                continue
            yield key, example, fields

    def iter_examples(self, f: BinaryIO, *, name: str, verify: bool = False) -> Iterator[Example]:
        for key, members, _ in iter_wds_samples(f, shard=name):
            yield sample_to_example(key, members, shard=name)[0]
