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
from typing import Any, BinaryIO, Iterator, NamedTuple

from rt2data.errors import DataError, SchemaError
from rt2data.example import IMAGE_FORMATS, Example
from rt2data.shards.fast_check import certainly_valid, typed_record
from rt2data.shards.formats.base import FieldsRecord, RawRecord, ShardFormat
from rt2data.shards.formats.tar_read import _FIXED_SUM, _MODE_IDS, _MTIME, _TAIL, check_member_name, iter_tar_members

__all__ = [
    "WebDatasetFormat",
    "TAR_FORMAT",
    "TarSample",
    "encode_sample",
    "tar_end_size",
    "iter_tar_members",
    "iter_wds_samples",
    "sample_to_example",
    "sample_fields",
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


def _tarfile_header(name: str, size: int) -> bytes:
    """The header ``tarfile`` writes for a regular member with our fixed metadata (PAX when a field needs it)."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info.tobuf(TAR_FORMAT, "utf-8", "surrogateescape")


_MAX_USTAR_SIZE = 8**11  # larger sizes need a PAX record


def _header(name: str, size: int) -> bytes:
    """The 512-byte ustar header of member ``name`` of ``size`` bytes: the same bytes as :func:`_tarfile_header`,
    built from a template (tarfile builds a dict, a TarInfo and a PAX check per member); falls back to tarfile
    when the name is not ASCII or longer than 100 bytes, or the size needs more than 11 octal digits."""
    raw = name.encode("ascii", "replace")
    if len(raw) > 100 or size >= _MAX_USTAR_SIZE or not name.isascii():
        return _tarfile_header(name, size)
    size_field = b"%011o\0" % size
    checksum = _FIXED_SUM + sum(raw) + sum(size_field)
    return b"".join((raw.ljust(100, b"\0"), _MODE_IDS, size_field, _MTIME, b"%06o\0 " % checksum, _TAIL))


_PADDING = tuple(b"\0" * (-n % _BLOCK) for n in range(_BLOCK))


def encode_sample(example: Example) -> TarSample:
    """The tar members of one example (``KEY.<image_format>`` and ``KEY.json``, sorted by name)."""
    return TarSample(example.key,
                     encode_members(example.key, example.image_format, example.image, example.to_json_bytes()))


def tar_end_size(offset: int) -> int:
    """Bytes ``tarfile`` appends when closing an archive whose members end at ``offset``."""
    end = offset + 2 * _BLOCK
    return 2 * _BLOCK + (-end % _RECORD)


def iter_wds_samples(f: BinaryIO, *, shard: str) -> Iterator[tuple[str, dict[str, bytes], int]]:
    """Group consecutive members by key: yields ``(key, {extension: data}, offset_of_first_member)``.

    Raises:
        DataError: as :func:`iter_tar_members`, or a key whose members are not adjacent / repeat an extension.
    """
    for key, members, start, _ in _samples(f, shard=shard):
        yield key, members, start


def _samples(f: BinaryIO, *, shard: str) -> Iterator[tuple[str, dict[str, bytes], int, dict[str, int]]]:
    """:func:`iter_wds_samples`, each sample also with ``{extension: offset of its data in the archive}``."""
    current: str | None = None
    members: dict[str, bytes] = {}
    at: dict[str, int] = {}
    start = 0
    seen: set[str] = set()
    for key, ext, data, offset, data_offset in iter_tar_members(f, shard=shard):
        if key != current:
            if current is not None:
                yield current, members, start, at
            if key in seen:
                raise DataError(f"{shard}: key {key!r} at byte {offset} appears again after other samples")
            seen.add(key)
            current, members, at, start = key, {}, {}, offset
        if ext in members:
            raise DataError(f"{shard}: sample {key!r} has two {ext!r} members (second at byte {offset})")
        members[ext] = data
        at[ext] = data_offset
    if current is not None:
        yield current, members, start, at


def sample_fields(key: str, members: dict[str, bytes], *, shard: str) -> tuple[dict[str, Any], bytes]:
    """The raw ``KEY.json`` dict and the image bytes of one sample, its structure checked (no ``Example`` made).

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
    fmt = fields.get("image_format")
    if len(members) != 2 or type(fmt) is not str or fmt not in members or fmt not in IMAGE_FORMATS:
        images = sorted(ext for ext in members if ext in IMAGE_FORMATS)
        others = sorted(set(members) - set(images) - {"json"})
        if images != [fmt] or others:
            raise DataError(
                f"{where}: expected exactly one image member '.{fmt}' and one '.json', got {sorted(members)}"
            )
    if fields.get("key") != key:
        raise DataError(f"{where}: .json member has key {fields.get('key')!r}, not the member stem {key!r}")
    return fields, members[fmt]


def _typed_sample(key: str, members: dict[str, bytes]) -> tuple[dict[str, Any], bytes] | None:
    """``(record, image)`` of a sample of our writer's shape (``KEY.<image_format>`` and ``KEY.json``) whose JSON
    ``fast_check.typed_record`` vouches for, its record in ``Example.to_json_dict()``'s form; None for any other
    sample (the caller's full check decides, and words the error)."""
    data = members.get("json")
    if data is None or len(members) != 2:
        return None
    record = typed_record(data)
    if record is None or record["key"] != key:
        return None
    image = members.get(record["image_format"])  # never "json": not an image format
    return (record, image) if image else None


def _fast_fields(key: str, members: dict[str, bytes], *, shard: str) -> tuple[dict[str, Any], bytes, bool]:
    """:func:`sample_fields` plus whether ``fast_check.certainly_valid`` vouches for the fields: a sample
    :func:`_typed_sample` vouches for comes as its record; anything else by :func:`sample_fields`, which raises the
    error a user sees."""
    typed = _typed_sample(key, members)
    if typed is not None:
        return typed[0], typed[1], True
    fields, image = sample_fields(key, members, shard=shard)
    return fields, image, bool(image) and certainly_valid(fields)


def sample_to_example(key: str, members: dict[str, bytes], *, shard: str) -> tuple[Example, dict[str, Any]]:
    """Rebuild the example of one sample; also returns the raw ``KEY.json`` dict (for schema checks).

    Raises:
        DataError: not exactly one ``json`` and one image member of the recorded format, bad JSON, key mismatch.
    """
    fields, image = sample_fields(key, members, shard=shard)
    try:
        return Example.from_json_dict(fields, image), fields
    except (SchemaError, TypeError) as exc:
        raise DataError(f"{shard}: sample {key!r}: {exc}") from exc


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

    def iter_fields(self, f: BinaryIO, *, name: str, verify: bool) -> Iterator[FieldsRecord]:
        for key, members, _ in iter_wds_samples(f, shard=name):
            try:
                fields, image, certain = _fast_fields(key, members, shard=name)
            except DataError as exc:
                yield key, None, b"", str(exc).removeprefix(f"{name}: sample {key!r}").lstrip(": "), False
                continue
            yield key, fields, image, None, certain

    def iter_records(self, f: BinaryIO, *, name: str, verify: bool = False) -> Iterator[tuple[dict[str, Any], bytes]]:
        for fields, image, _ in self.iter_located_records(f, name=name, verify=verify):
            yield fields, image

    def iter_located_records(self, f: BinaryIO, *, name: str, verify: bool = False
                             ) -> Iterator[tuple[dict[str, Any], bytes, int | None]]:
        for key, members, _, at in _samples(f, shard=name):
            typed = _typed_sample(key, members)
            if typed is not None:
                yield typed[0], typed[1], at[typed[0]["image_format"]]
                continue
            # the full check, for its error (or a record the fast check cannot vouch for)
            example = sample_to_example(key, members, shard=name)[0]
            yield example.to_json_dict(), example.image, at[example.image_format]


def encode_members(key: str, image_format: str, image: bytes, json_bytes: bytes) -> bytes:
    """The tar members of one example given as its parts: the bytes :func:`encode_sample` gives for the example
    with this key, image format, image and :meth:`Example.to_json_bytes` (for writers that already hold the
    encoded JSON, e.g. ``rt2data mix`` passing spilled examples through without rebuilding them)."""
    members = sorted([(f"{key}.{image_format}", image), (f"{key}.json", json_bytes)])
    parts = []
    for name, payload in members:
        parts += (_header(name, len(payload)), payload, _PADDING[len(payload) % _BLOCK])
    return b"".join(parts)
