"""Reading our shards back as :class:`Example` records, streaming, in manifest order."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from rt2data import io
from rt2data.errors import ConfigError, DataError, OutputError
from rt2data.example import Example
from rt2data.shards.files import MANIFEST_NAME, HashingReader, inside
from rt2data.shards.formats import check_format, format_of_path, get_format
from rt2data.shards.info import ShardInfo
from rt2data.shards.manifest import load_manifest

__all__ = ["iter_examples", "iter_records", "iter_shard", "iter_shard_records", "iter_shard_located_records",
           "resolve_shards"]

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
    yield from _read_shard(path, fmt, verify, info, reader="iter_examples")


def iter_shard_records(path: str | os.PathLike[str], *, fmt: str | None = None, verify: bool = False,
                       info: ShardInfo | None = None) -> Iterator[tuple[dict[str, Any], bytes]]:
    """As :func:`iter_shard`, each example as ``(example.to_json_dict(), example.image)``: the same values and
    errors, faster (a WebDataset record that ``rt2data.shards.fast_check`` vouches for is not made an ``Example``)."""
    yield from _read_shard(path, fmt, verify, info, reader="iter_records")


def iter_shard_located_records(path: str | os.PathLike[str], *, fmt: str | None = None
                               ) -> Iterator[tuple[dict[str, Any], bytes, int | None]]:
    """As :func:`iter_shard_records`, each record with the offset of its image bytes in the file, or None where the
    format does not store them whole (``ShardFormat.iter_located_records``)."""
    yield from _read_shard(path, fmt, False, None, reader="iter_located_records")


def _read_shard(path: Any, fmt: str | None, verify: bool, info: ShardInfo | None, *, reader: str) -> Iterator[Any]:
    """What the format's ``reader`` method (``iter_examples``, ``iter_records``, ...) yields for the file."""
    shard_format = get_format(fmt if fmt is not None else format_of_path(str(path)))
    name = str(path)
    count = 0
    check = verify and info is not None
    with io.open_read(path) as raw:
        f = HashingReader(raw) if check else raw  # hash only what will be compared with the manifest
        items = getattr(shard_format, reader)(f, name=name, verify=verify)
        for item in items:
            count += 1
            yield item
        if check:
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
    order. A directory without one is refused (``OutputError``): nothing proves its shards are complete. A file
    or list of files: those, in the given order.
    """
    if isinstance(out_dir_or_shard_paths, (str, os.PathLike)) and io.is_dir(out_dir_or_shard_paths):
        out = io.location(out_dir_or_shard_paths)
        if io.is_file(io.join(out, MANIFEST_NAME)):
            manifest = load_manifest(out)
            if not manifest.formats:
                return []
            chosen = check_format(fmt) if fmt is not None else manifest.formats[0]
            if chosen not in manifest.shards:
                raise ConfigError(f"{out} has no {chosen!r} shards; its manifest lists {list(manifest.formats)}")
            listed = [(inside(out, i.name, what="shard name"), chosen, i) for i in manifest.shards[chosen]]
            sizes = io.list_sizes(out)  # one listing (a bucket: one request) instead of a stat per shard
            missing = [io.basename(path) for path, _, _ in listed if io.basename(path) not in sizes]
            for path, _, info in listed:
                name = io.basename(path)
                if name not in missing and sizes[name] != info.bytes:
                    raise DataError(f"{path}: {sizes[name]} bytes, its manifest says {info.bytes}: the shard "
                                    "was modified or truncated (restore it, or make the output again)")
            if missing:
                raise DataError(
                    f"{out}: {len(missing)} shard file(s) listed in its manifest are missing ({', '.join(missing[:3])}"
                    f"{', ...' if len(missing) > 3 else ''}); the output is incomplete: restore them, or make it "
                    "again (--resume rewrites what is missing)"
                )
            return listed
        # Without a manifest nothing says the shard files are complete (an interrupted run, a copy in progress).
        raise OutputError(
            f"{out} has no manifest.json: it is not a finished rt2data output (an interrupted run? rerun it with "
            "--resume); to read loose shard files anyway, pass their paths"
        )
    paths: Iterable = (
        [out_dir_or_shard_paths] if isinstance(out_dir_or_shard_paths, (str, os.PathLike)) else out_dir_or_shard_paths
    )
    result = []
    for p in paths:
        path = io.location(p)
        if not io.is_file(path):
            raise DataError(f"shard {path} does not exist")
        result.append((path, check_format(fmt) if fmt is not None else format_of_path(io.basename(path)), None))
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


def iter_records(
    out_dir_or_shard_paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    fmt: str | None = None,
    verify: bool = False,
) -> Iterator[tuple[dict[str, Any], bytes]]:
    """As :func:`iter_examples`, each example as ``(example.to_json_dict(), example.image)`` (see
    :func:`iter_shard_records`)."""
    for path, shard_fmt, info in resolve_shards(out_dir_or_shard_paths, fmt=fmt):
        yield from iter_shard_records(path, fmt=shard_fmt, verify=verify, info=info)
