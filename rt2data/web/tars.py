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

import gzip
import logging
import re
import tarfile
import zlib
from dataclasses import dataclass
from typing import Iterator

from rt2data import io
from rt2data.errors import Rt2DataError

__all__ = ["TarSample", "TarProblem", "split_member_name", "iter_tar_samples"]

log = logging.getLogger(__name__)

# Same split as webdataset.tariterators.base_plus_ext.
_BASE_EXT = re.compile(r"^((?:.*/|)[^./][^/]*?)\.([^/]*)$")


@dataclass(frozen=True)
class TarSample:
    """The members of one sample: suffix -> bytes (``.gz`` already decompressed)."""

    key: str
    members: dict[str, bytes]
    index: int
    where: str


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
    if name.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", name):
        return f"member {name!r} has an absolute path"
    parts = re.split(r"[\\/]+", name)
    if ".." in parts:
        return f"member {name!r} escapes the shard with '..'"
    return None


class _Group:
    def __init__(self, key: str, index: int, where: str) -> None:
        self.key, self.index, self.where = key, index, where
        self.members: dict[str, bytes] = {}
        self.problem: tuple[str, str] | None = None

    def add(self, suffix: str, data: bytes, name: str) -> None:
        if self.problem:
            return
        if suffix.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                self.problem = ("bad_record", f"member {name!r} is not valid gzip: {exc}")
                return
            suffix = suffix[: -len(".gz")]
        if suffix in self.members:
            self.problem = ("duplicate_key", f"suffix {suffix!r} appears twice in sample {self.key!r} ({name!r})")
            return
        self.members[suffix] = data

    def result(self) -> TarSample | TarProblem:
        if self.problem:
            return TarProblem(self.key, self.problem[0], self.problem[1], self.index, self.where)
        return TarSample(self.key, self.members, self.index, self.where)


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
    try:
        with stream, tarfile.open(fileobj=stream, mode="r|*", tarinfo=_EndCheckingTarInfo) as tar:
            for member in tar:
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
                f = tar.extractfile(member)
                data = f.read() if f is not None else b""
                group.add(suffix.lower(), data, member.name)
            bad_end = getattr(tar, "rt2data_bad_end", None)
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
