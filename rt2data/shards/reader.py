"""Reading our shards back as :class:`Example` records, streaming, in manifest order."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from rt2data.errors import ConfigError, DataError
from rt2data.example import Example
from rt2data.shards.files import MANIFEST_NAME, HashingReader
from rt2data.shards.formats import FORMATS, check_format, format_of_path, get_format
from rt2data.shards.info import SHARD_RE, ShardInfo
from rt2data.shards.manifest import load_manifest

__all__ = ["iter_examples", "iter_shard", "resolve_shards"]

log = logging.getLogger(__name__)


def iter_shard(path: str | os.PathLike[str], *, fmt: str | None = None, verify: bool = False,
               info: ShardInfo | None = None) -> Iterator[Example]:
    """Stream the examples of one shard file.

    Args:
        path: a shard file (``.tar``, ``.tfrecord``: see ``rt2data.shards.formats``).
        fmt: format; inferred from the extension when None.
        verify: check TFRecord CRCs and, when ``info`` is given, the shard's sha256, size and count (raised
            after the last example, as the hash needs the whole file).
        info: the shard's manifest record.

    Raises:
        DataError: corrupt shard, bad sample, or (verify) a mismatch with ``info``; names the file.
    """
    shard_format = get_format(fmt if fmt is not None else format_of_path(str(path)))
    name = str(path)
    count = 0
    with open(path, "rb") as raw:
        f = HashingReader(raw)
        for example in shard_format.iter_examples(f, name=name, verify=verify):
            count += 1
            yield example
        if verify and info is not None:
            f.drain()
            got = (f.sha.hexdigest(), f.bytes, count)
            if got != (info.sha256, info.bytes, info.count):
                raise DataError(
                    f"{name}: does not match the manifest (sha256/bytes/count {got[0][:12]}/{got[1]}/{got[2]}, "
                    f"expected {info.sha256[:12]}/{info.bytes}/{info.count}); the shard was modified or truncated"
                )


def resolve_shards(
    out_dir_or_shard_paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, fmt: str | None = None
) -> list[tuple[Path, str, ShardInfo | None]]:
    """``(path, format, manifest record or None)`` of every shard to read, in read order.

    A directory with ``manifest.json``: its shards of ``fmt`` (default: the manifest's first format) in manifest
    order. A directory without one: its ``PREFIX-NNNNNN`` shard files of ``fmt`` sorted by name (``fmt`` needed
    when both formats are present). A file or list of files: those, in the given order.
    """
    if isinstance(out_dir_or_shard_paths, (str, os.PathLike)) and Path(out_dir_or_shard_paths).is_dir():
        out = Path(out_dir_or_shard_paths)
        if (out / MANIFEST_NAME).is_file():
            manifest = load_manifest(out)
            if not manifest.formats:
                return []
            chosen = check_format(fmt) if fmt is not None else manifest.formats[0]
            if chosen not in manifest.shards:
                raise ConfigError(f"{out} has no {chosen!r} shards; its manifest lists {list(manifest.formats)}")
            return [(out / i.name, chosen, i) for i in manifest.shards[chosen]]
        log.warning("%s has no manifest.json; reading its shard files in name order", out)
        files = sorted(p for p in out.iterdir() if p.is_file() and SHARD_RE.match(p.name))
        found = sorted({format_of_path(p.name) for p in files}, key=FORMATS.index)
        if fmt is None and len(found) > 1:
            raise ConfigError(f"{out} holds both {found} shards; pass fmt= to choose one")
        chosen = check_format(fmt) if fmt is not None else (found[0] if found else "wds")
        return [(p, chosen, None) for p in files if format_of_path(p.name) == chosen]
    paths: Iterable = (
        [out_dir_or_shard_paths] if isinstance(out_dir_or_shard_paths, (str, os.PathLike)) else out_dir_or_shard_paths
    )
    result = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise DataError(f"shard {path} does not exist")
        result.append((path, check_format(fmt) if fmt is not None else format_of_path(path.name), None))
    return result


def iter_examples(
    out_dir_or_shard_paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    fmt: str | None = None,
    verify: bool = False,
) -> Iterator[Example]:
    """Stream every example of an output directory (manifest order) or of the given shard files.

    Args:
        out_dir_or_shard_paths: output directory, one shard path, or a list of shard paths.
        fmt: ``wds`` | ``tfrecord``; default: the manifest's first format / the file extension.
        verify: check TFRecord CRCs and each shard's sha256/bytes/count against the manifest.

    Raises:
        DataError: a shard is corrupt or (verify) differs from the manifest; names file and record.
    """
    for path, shard_fmt, info in resolve_shards(out_dir_or_shard_paths, fmt=fmt):
        yield from iter_shard(path, fmt=shard_fmt, verify=verify, info=info)
