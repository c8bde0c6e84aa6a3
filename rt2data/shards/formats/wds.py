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
import struct
import tarfile
from typing import Any, BinaryIO, Iterator, NamedTuple

from rt2data.errors import DataError, SchemaError
from rt2data.example import IMAGE_FORMATS, Example
from rt2data.shards.fast_check import certainly_valid, decode_json, json_record
from rt2data.shards.formats.base import FieldsRecord, RawRecord, ShardFormat

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


# A ustar header block of our members, field by field as tarfile's _create_header lays it out: name[100] mode[8]
# uid[8] gid[8] size[12] mtime[12] chksum[8] type[1] linkname[100] magic[8] uname[32] gname[32] devmajor[8]
# devminor[8] prefix[155], padded to 512 bytes. Only name, size and the checksum vary.
_MODE_IDS = b"0000644\0" + b"0000000\0" * 2
_MTIME = b"00000000000\0"
_TAIL = (tarfile.REGTYPE + b"\0" * 100 + tarfile.POSIX_MAGIC + b"\0" * (32 + 32 + 8 + 8 + 155)).ljust(_BLOCK - 156, b"\0")
_FIXED_SUM = 8 * ord(" ") + sum(_MODE_IDS) + sum(_MTIME) + sum(_TAIL)  # the checksum counts its field as spaces
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
    members = sorted(
        [(f"{example.key}.{example.image_format}", example.image), (f"{example.key}.json", example.to_json_bytes())]
    )
    parts = []
    for name, payload in members:
        parts += (_header(name, len(payload)), payload, _PADDING[len(payload) % _BLOCK])
    return TarSample(example.key, b"".join(parts))


def tar_end_size(offset: int) -> int:
    """Bytes ``tarfile`` appends when closing an archive whose members end at ``offset``."""
    end = offset + 2 * _BLOCK
    return 2 * _BLOCK + (-end % _RECORD)


def check_member_name(name: str, *, shard: str) -> tuple[str, str]:
    """Split an rt2data member name into ``(key, extension)``.

    Raises:
        DataError: the name is absolute, has a ``..`` component, a folder, or no extension.
    """
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise DataError(f"{shard}: tar member {name!r} has an absolute path; refusing a member that escapes the shard")
    if ".." in name.split("/"):  # a '..' component (what PurePosixPath(name).parts would show)
        raise DataError(f"{shard}: tar member {name!r} contains '..'; refusing a member that escapes the shard")
    if "/" in name:
        raise DataError(f"{shard}: tar member {name!r} is in a folder; rt2data shards hold only KEY.EXT members")
    key, dot, ext = name.partition(".")
    if not dot or not key or not ext:
        raise DataError(f"{shard}: tar member {name!r} is not named KEY.EXT")
    return key, ext


def _octal(field: bytes) -> int:
    """A numeric header field as ``tarfile.nti`` reads it (octal text, or GNU base-256)."""
    if field[:1] in (b"\x80", b"\xff"):
        n = int.from_bytes(field[1:], "big")
        return n - (256 ** (len(field) - 1)) if field[:1] == b"\xff" else n
    return int(field.split(b"\0", 1)[0].strip() or b"0", 8)


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _pax_records(data: bytes) -> dict[str, str]:
    """``{keyword: value}`` of a PAX extended header (records ``"<len> <keyword>=<value>\\n"``)."""
    out, pos = {}, 0
    while pos < len(data) and data[pos:pos + 1] != b"\0":
        space = data.index(b" ", pos)
        length = int(data[pos:space])
        if length <= 0:
            raise ValueError("PAX record of length 0")
        keyword, _, value = data[space + 1 : pos + length - 1].partition(b"=")
        out[keyword.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


_REGULAR = (b"0", b"\0", b"7")  # tarfile's REGULAR_TYPES, less the sparse files tar never gives us here


_CHUNK = 1 << 20


def _refill(f: BinaryIO, buf: bytes, pos: int, n: int) -> bytes:
    """``buf[pos:]`` followed by reads of ``f`` (a megabyte or more each) until it holds ``n`` bytes or ``f`` ends."""
    parts = [buf[pos:]]
    have = len(parts[0])
    while have < n:
        more = f.read(max(_CHUNK, n - have))
        if not more:
            break
        parts.append(more)
        have += len(more)
    return b"".join(parts)


def iter_tar_members(f: BinaryIO, *, shard: str) -> Iterator[tuple[str, str, bytes, int]]:
    """Stream ``(key, extension, data, header_offset)`` of every member of an rt2data tar shard.

    Headers are parsed here, block by block, as ``tarfile`` parses them (ustar fields, checksum, PAX ``path`` and
    ``size`` records for long names), without its per-member objects: reading is several times faster. ``f`` is
    read a megabyte at a time (one read, and one hash update of a ``HashingReader``, per megabyte; past the end of
    the archive, at most to the end of that megabyte) and members are sliced out of it.

    Raises:
        DataError: unreadable/corrupt tar, non-regular member, or a member name that escapes the shard.
    """
    buf, pos = b"", 0  # buf[pos:] is the archive from byte ``offset`` on, as far as read
    offset = 0
    pax: dict[str, str] = {}
    pax_offset: int | None = None
    while True:
        if len(buf) - pos < _BLOCK:
            buf, pos = _refill(f, buf, pos, _BLOCK), 0
        header = buf[pos:pos + _BLOCK]
        if not header or header == _ZERO_BLOCK:
            if offset == 0 and not header:
                raise DataError(f"{shard}: not a readable tar archive (ReadError: empty file)")
            return  # the end-of-archive blocks (or an archive cut at a member boundary, as tarfile reads it)
        if len(header) < _BLOCK:
            raise DataError(f"{shard}: not a readable tar archive (truncated header at byte {offset})")
        if _checksum_ok(header) is False:
            raise DataError(f"{shard}: not a readable tar archive (bad header checksum at byte {offset})")
        try:
            size = _octal(header[124:136])
            if size < 0:
                raise ValueError(f"negative member size {size}")
            name = _text(header[0:100])
            if header[257:263] == _MAGIC and header[345:346] != b"\0":
                name = _text(header[345:500]) + "/" + name
        except ValueError as exc:
            raise DataError(f"{shard}: not a readable tar archive (bad header at byte {offset}: {exc})") from exc
        kind = header[156:157]
        start = offset if pax_offset is None else pax_offset
        pad = -size % _BLOCK
        pos += _BLOCK
        if len(buf) - pos < size + pad:
            buf, pos = _refill(f, buf, pos, size + pad), 0
        data = buf[pos:pos + size]
        if kind in (b"x", b"g"):
            if len(data) < size:
                raise DataError(f"{shard}: not a readable tar archive (truncated PAX header at byte {offset})")
            pos = min(pos + size + pad, len(buf))
            offset += _BLOCK + size + pad
            if kind == b"x":
                try:
                    pax = _pax_records(data)
                except ValueError as exc:
                    raise DataError(
                        f"{shard}: not a readable tar archive (bad PAX header at byte {start}: {exc})") from exc
                pax_offset = start
            continue
        if pax:
            if "path" in pax:
                name = pax["path"]
            if "size" in pax:
                size = int(pax["size"])
                if size < 0:
                    raise DataError(
                        f"{shard}: not a readable tar archive (negative size in the PAX header at byte {start})")
                pad = -size % _BLOCK
                if len(buf) - pos < size + pad:
                    buf, pos = _refill(f, buf, pos, size + pad), 0
                data = buf[pos:pos + size]
            pax, pax_offset = {}, None
        key, ext = check_member_name(name, shard=shard)
        if kind not in _REGULAR:
            raise DataError(f"{shard}: tar member {name!r} at byte {start} is not a regular file")
        if len(data) != size:
            raise DataError(f"{shard}: tar member {name!r} at byte {start} is truncated")
        if pad and len(buf) - pos < size + pad:
            raise DataError(f"{shard}: tar member {name!r} at byte {start} is truncated (padding)")
        pos += size + pad
        offset += _BLOCK + size + pad
        yield key, ext, data, start


_MAGIC = tarfile.POSIX_MAGIC[:6]
_ZERO_BLOCK = b"\0" * _BLOCK


def _checksum_ok(header: bytes) -> bool:
    """The header checksum as ``tarfile`` accepts it: unsigned or signed byte sum, its own field as spaces."""
    try:
        stored = int(header[148:156].split(b"\0", 1)[0].strip() or b"-1", 8)
    except ValueError:
        return False
    if header[100:124] == _MODE_IDS and header[136:148] == _MTIME and header[156:] == _TAIL:
        # our writer's header: only the name and size fields vary (zeros add nothing to a sum, so the name's
        # trailing NULs are left out); the same unsigned sum as below, in a tenth of the time
        if stored == _FIXED_SUM + sum(header[:100].rstrip(b"\0")) + sum(header[124:136]):
            return True
    unsigned = 256 + sum(header[:148]) + sum(header[156:])
    if stored == unsigned:
        return True
    signed = 256 + sum(struct.unpack_from("148b8x356b", header))
    return stored == signed


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


def _fast_fields(key: str, members: dict[str, bytes], *, shard: str) -> tuple[dict[str, Any], bytes, bool]:
    """:func:`sample_fields` plus whether ``fast_check.certainly_valid`` vouches for the fields: a sample of our
    writer's shape is decoded by ``fast_check.decode_json``; anything else (and whatever it refuses) by
    :func:`sample_fields`, which raises the error a user sees."""
    data = members.get("json")
    if data is not None and len(members) == 2:
        fields = decode_json(data)
        if type(fields) is dict and fields.get("key") == key:
            fmt = fields.get("image_format")
            if type(fmt) is str and fmt != "json" and fmt in members and members[fmt] and certainly_valid(fields):
                return fields, members[fmt], True
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
        for key, members, _ in iter_wds_samples(f, shard=name):
            fields, image, certain = _fast_fields(key, members, shard=name)
            if certain:
                yield json_record(fields), image
            else:  # the full check, for its error (or a record the fast check cannot vouch for)
                example = sample_to_example(key, members, shard=name)[0]
                yield example.to_json_dict(), example.image


def encode_members(key: str, image_format: str, image: bytes, json_bytes: bytes) -> bytes:
    """The tar members of one example given as its parts: the bytes :func:`encode_sample` gives for the example
    with this key, image format, image and :meth:`Example.to_json_bytes` (for writers that already hold the
    encoded JSON, e.g. ``rt2data mix`` passing spilled examples through without rebuilding them)."""
    members = sorted([(f"{key}.{image_format}", image), (f"{key}.json", json_bytes)])
    parts = []
    for name, payload in members:
        parts += (_header(name, len(payload)), payload, _PADDING[len(payload) % _BLOCK])
    return b"".join(parts)
