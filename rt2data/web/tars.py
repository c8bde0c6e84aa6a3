"""Reading WebDataset tars safely: members grouped into samples, nothing extracted to disk.

Follows WebDataset's conventions: a member ``dir/name.ext1.ext2`` belongs to the sample with key ``dir/name``
(everything up to the first dot of the base name) under the suffix ``ext1.ext2``; consecutive members with the
same key form one sample. Tars may be gzip/bz2/xz compressed (``.tar.gz``/``.tgz``); they are streamed, never
seeked, through ``rt2data.io`` (a local path or a URL: ``s3://``, ``gs://``; memory holds one sample). Differences from ``webdataset``'s own reader, so that bad input is reported instead of crashing:

- suffixes are lower-cased; a ``.gz`` member (``KEY.txt.gz``) is decompressed and filed under ``txt``;
- absolute member paths, ``..`` components, links and devices -> ``unsafe_path`` (the sample is dropped);
- a member without a suffix (``README``, ``.hidden``) -> ``bad_record``; directory entries are skipped;
- the same suffix twice in one sample -> ``duplicate_key``; bad gzip -> ``bad_record``;
- a truncated or corrupt tar -> ``unreadable_file`` for the sample being read; earlier samples are kept.
"""

from __future__ import annotations

import functools
import gzip
import io as io_module
import logging
import os
import re
import tarfile
import zlib
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterator, Sequence

from rt2data import io
from rt2data.errors import Rt2DataError
from rt2data.io.spans import FileSpan, file_span

__all__ = ["TarSample", "TarProblem", "split_member_name", "iter_tar_samples", "tar_image"]

log = logging.getLogger(__name__)

# Same split as webdataset.tariterators.base_plus_ext.
_BASE_EXT = re.compile(r"^((?:.*/|)[^./][^/]*?)\.([^/]*)$")


@dataclass(frozen=True)
class TarSample:
    """The members of one sample: suffix -> bytes (``.gz`` already decompressed); ``offsets``: suffix -> where in
    the file the member's bytes lie, for the members of an uncompressed local tar stored uncompressed (the
    others have none)."""

    key: str
    members: dict[str, bytes]
    index: int
    where: str
    offsets: dict[str, int] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class TarProblem:
    """A sample (or member) that cannot be used, with a dead-letter reason."""

    key: str
    reason: str
    detail: str
    index: int
    where: str


def split_member_name(name: str) -> tuple[str, str] | None:
    """``(key, suffix)`` of a member name per WebDataset (first dot of the base name), or ``None``."""
    m = _BASE_EXT.match(name)
    if not m:
        return None
    base, ext = m.group(1), m.group(2)
    if "." in base.rsplit("/", 1)[-1]:
        return None
    return base, ext


def _unsafe(member: tarfile.TarInfo) -> str | None:
    name = member.name
    if member.issym() or member.islnk():
        return f"member {name!r} is a link to {member.linkname!r}"
    if not (member.isfile() or member.isdir()):
        return f"member {name!r} is not a regular file (type {member.type!r})"
    if name.startswith("/") or (name[1:2] == ":" and _DRIVE(name)):
        return f"member {name!r} has an absolute path"
    if ".." in name and ".." in _SEPARATORS(name):
        return f"member {name!r} escapes the shard with '..'"
    return None


_DRIVE = re.compile(r"^[A-Za-z]:[\\/]").match
_SEPARATORS = re.compile(r"[\\/]+").split


class _Group:
    def __init__(self, key: str, index: int, where: str) -> None:
        self.key, self.index, self.where = key, index, where
        self.members: dict[str, bytes] = {}
        self.offsets: dict[str, int] = {}
        self.problem: tuple[str, str] | None = None

    def add(self, suffix: str, data: bytes, name: str, offset: int | None) -> None:
        if self.problem:
            return
        if suffix.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                self.problem = ("bad_record", f"member {name!r} is not valid gzip: {exc}")
                return
            suffix, offset = suffix[: -len(".gz")], None  # (these bytes are not the file's)
        if suffix in self.members:
            self.problem = ("duplicate_key", f"suffix {suffix!r} appears twice in sample {self.key!r} ({name!r})")
            return
        self.members[suffix] = data
        if offset is not None:
            self.offsets[suffix] = offset

    def result(self) -> TarSample | TarProblem:
        if self.problem:
            return TarProblem(self.key, self.problem[0], self.problem[1], self.index, self.where)
        return TarSample(self.key, self.members, self.index, self.where, self.offsets)


class _EndCheckingTarInfo(tarfile.TarInfo):
    """``tarfile`` ends a stream silently at a missing, cut or garbage header; this remembers why it ended, so a
    tar cut at a member boundary is told from one that ends with its end-of-archive (zero) blocks."""

    @classmethod
    def fromtarfile(cls, tar: tarfile.TarFile) -> tarfile.TarInfo:
        try:
            return super().fromtarfile(tar)
        except (tarfile.EmptyHeaderError, tarfile.TruncatedHeaderError, tarfile.InvalidHeaderError) as exc:
            tar.rt2data_bad_end = (tar.offset, exc)  # type: ignore[attr-defined]
            raise


class _End:
    """Why a tar ended early: ``bad = (offset, exception)``, or None when it ended with its end blocks."""

    bad: tuple[int, Exception] | None = None


def _tarfile_members(stream: BinaryIO, end: _End, skip: int = 0) -> Iterator[tuple[Any, Callable[[], bytes]]]:
    """``(TarInfo, read its data)`` of every member as ``tarfile`` streams them (any tar, compressed or not); the
    first ``skip`` members are passed over. Sets ``end.bad`` when the archive ends without its end blocks."""
    with tarfile.open(fileobj=stream, mode="r|*", tarinfo=_EndCheckingTarInfo) as tar:
        for n, member in enumerate(tar):
            if n >= skip:
                yield member, functools.partial(_extract, tar, member)
        end.bad = getattr(tar, "rt2data_bad_end", None)


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    f = tar.extractfile(member)
    return f.read() if f is not None else b""


class _Plain:
    """A regular member read straight from its ustar header: the ``TarInfo`` fields the reader looks at, and
    ``offset_data`` (where its data lies in the file, as ``TarInfo`` names it)."""

    __slots__ = ("name", "data", "offset_data")
    type = tarfile.REGTYPE
    linkname = ""

    def __init__(self, name: str, data: bytes, offset_data: int) -> None:
        self.name, self.data, self.offset_data = name, data, offset_data

    def issym(self) -> bool:
        return False

    islnk = isdir = issym

    def isfile(self) -> bool:
        return True

    def read(self) -> bytes:
        return self.data


_ZERO_BLOCK = bytes(tarfile.BLOCKSIZE)
_NUMERIC_FIELDS = ((100, 108), (108, 116), (116, 124), (136, 148), (329, 337), (337, 345))


_GOOD_FIELDS: set[bytes] = set()
"""Numeric fields (mode, uid, gid, mtime, devmajor, devminor, joined) that passed the check of ``_plain_header``."""
_OCTAL_FIELD = re.compile(rb"[ ]*[0-7]*[ ]*(?:\0.*)?", re.DOTALL).fullmatch
"""Whether ``header[a:b]`` is a field ``tarfile.nti`` reads as octal (stricter: spaces and digits, then NULs)."""


def _octal(field: bytes) -> int:
    """``tarfile.nti`` of a field written in octal (raises ValueError where tarfile would find it invalid)."""
    if field[:1] in (b"\x80", b"\xff"):
        raise ValueError("base-256")  # valid for tarfile, but left to it
    return int(field.split(b"\0", 1)[0].decode("ascii").strip() or "0", 8)


def _plain_header(header: bytes, offset: int, size_of_file: int) -> tuple[str, int, int] | None:
    """``(name, size, type byte)`` of a ustar header of a regular file or a PAX extended header (``x``) whose data
    lies wholly inside the file, with fields ``tarfile`` reads without complaint; None for anything else
    (``tarfile`` then decides)."""
    if len(header) != tarfile.BLOCKSIZE or header[156] not in _TYPES or header[257:262] != b"ustar" or header[345]:
        return None
    try:
        size = _octal(header[124:136])
        if _octal(header[148:156]) != 256 + sum(header) - sum(header[148:156]):
            return None
    except ValueError:
        return None
    fields = header[100:124] + header[136:148] + header[329:345]  # the fields _NUMERIC_FIELDS names
    if fields not in _GOOD_FIELDS:  # in a tar they are mostly the same from member to member: checked once
        if not all(_OCTAL_FIELD(header, a, b) for a, b in _NUMERIC_FIELDS):
            return None
        if len(_GOOD_FIELDS) < 4096:
            _GOOD_FIELDS.add(fields)
    raw = header[:100].split(b"\0", 1)[0]
    if not raw or raw.endswith(b"/") or offset + tarfile.BLOCKSIZE + size + (-size % tarfile.BLOCKSIZE) > size_of_file:
        return None
    return raw.decode("utf-8", "surrogateescape"), size, header[156]


_TYPES = frozenset(b"0\0x")
_BUFFER = 1 << 20
_PAX = 0x78
_PAX_RECORD = re.compile(rb"(\d+) ([^=]+)=")
_PAX_TIMES = frozenset((b"mtime", b"atime", b"ctime"))


def _only_times(pax: bytes) -> bool:
    """Whether a PAX extended header holds only well-formed time records (``webdataset.TarWriter`` writes an
    ``mtime`` record per member): ``tarfile`` applies nothing from them that the reader looks at."""
    pos = 0
    while pos < len(pax):
        m = _PAX_RECORD.match(pax, pos)
        if m is None or m.group(2) not in _PAX_TIMES:
            return False
        length = int(m.group(1))
        if length < len(m.group(0)) + 1 or pax[pos + length - 1: pos + length] != b"\n":
            return False
        pos += length
    return pos > 0


def _members(stream: BinaryIO, end: _End) -> Iterator[tuple[Any, Callable[[], bytes]]]:
    """The members of a tar as :func:`_tarfile_members` gives them. An uncompressed local tar is read header by
    header (``tarfile`` spends about 100 us per member building a ``TarInfo``); at the first header this does not
    read as a whole regular member (PAX records other than times, GNU records, links, directories, a cut or
    damaged header or member), the tar is read again from its start by ``tarfile``, past the members already
    given, so every outcome (errors and their messages included) is ``tarfile``'s."""
    try:
        size_of_file = os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError, io_module.UnsupportedOperation):  # a URL stream: tarfile
        yield from _tarfile_members(stream, end)
        return
    # a megabyte buffer over the same file: one system call per megabyte, not two or three per member
    with io_module.BufferedReader(io_module.FileIO(stream.fileno(), closefd=False), buffer_size=_BUFFER) as buffered:
        read, offset, given, pax = buffered.read, 0, 0, False
        while True:
            header = read(tarfile.BLOCKSIZE)
            if header == _ZERO_BLOCK and offset and not pax:
                return  # the end-of-archive blocks
            plain = _plain_header(header, offset, size_of_file)
            if plain is None or (pax and plain[2] == _PAX):
                break
            name, size, kind = plain
            data = read(size)
            read(-size % tarfile.BLOCKSIZE)
            data_offset = offset + tarfile.BLOCKSIZE
            offset = data_offset + size + (-size % tarfile.BLOCKSIZE)
            if kind == _PAX:
                if not _only_times(data):
                    break
                pax = True
                continue
            pax = False
            member = _Plain(name, data, data_offset)
            yield member, member.read
            given += 1
    stream.seek(0)  # (closing the buffer left the file open: closefd=False)
    yield from _tarfile_members(stream, end, skip=given)


def tar_image(sample: TarSample, image_keys: Sequence[str], path: str) -> tuple[bytes | None, FileSpan | None]:
    """The image of a sample (its first member among ``image_keys``, or None) and where it lies in the tar file
    ``path`` (None when the reader does not know: see ``TarSample.offsets``)."""
    for k in image_keys:
        image = sample.members.get(k)
        if image is not None:
            offset = sample.offsets.get(k)
            return image, None if offset is None else file_span(path, offset, len(image))
    return None, None


def iter_tar_samples(path: str) -> Iterator[TarSample | TarProblem]:
    """Samples of one tar in file order; problems come out as ``TarProblem`` (never raised).

    ``index`` counts every yielded record (sample or problem) from 0, so (file, index) orders samples. A tar that
    ends without its end-of-archive blocks (cut at a member header, or garbage in place of one) ends with an
    ``unreadable_file`` problem: the samples after that point are lost and cannot be counted.
    """
    index = 0
    group: _Group | None = None
    try:
        stream = io.open_read(path)
    except Rt2DataError as exc:
        yield TarProblem("", "unreadable_file", f"cannot read tar {path!r}: {exc}", index, path)
        return
    end = _End()
    try:
        with stream:
            for member, read in _members(stream, end):
                where = f"{path}::{member.name}"
                reason = _unsafe(member)
                if reason is None and member.isdir():
                    continue
                split = split_member_name(member.name) if reason is None else None
                if reason is not None or split is None:
                    if group is not None:
                        yield group.result()
                        index, group = index + 1, None
                    if reason is not None:
                        yield TarProblem(member.name, "unsafe_path", reason, index, where)
                    else:
                        yield TarProblem(member.name, "bad_record", f"member {member.name!r} has no suffix", index,
                                         where)
                    index += 1
                    continue
                key, suffix = split
                if group is None or group.key != key:
                    if group is not None:
                        yield group.result()
                        index += 1
                    group = _Group(key, index, where)
                # only the header-by-header reading of an uncompressed local tar knows where data lies in the file
                offset = member.offset_data if type(member) is _Plain else None
                group.add(suffix.lower(), read(), member.name, offset)
            bad_end = end.bad
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        detail = f"cannot read tar {path!r}: {type(exc).__name__}: {exc}"
        log.warning(detail)
        yield TarProblem(group.key if group else "", "unreadable_file", detail, index, path)
        return
    if group is not None:
        yield group.result()
        index += 1
    if bad_end is not None:
        detail = (f"cannot read tar {path!r}: no valid member header or end-of-archive blocks at byte {bad_end[0]} "
                  f"({bad_end[1]}): the tar is truncated or damaged there; later samples are lost")
        log.warning(detail)
        yield TarProblem("", "unreadable_file", detail, index, path)
