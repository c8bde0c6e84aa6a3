"""Expanding the file patterns of a mixture source (braces, globs, directories) and reading the files they name.

``shards/flickr-{000000..000003}.tar`` (WebDataset brace notation), ``data/*.parquet``, a directory (all files
with one of the format's suffixes inside it, recursively) or a plain file. Relative paths are resolved against
the mixture file's directory. The result is sorted and de-duplicated so work is planned the same on every machine.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Sequence

from braceexpand import braceexpand

from rt2data import io
from rt2data.errors import ConfigError, Rt2DataError

__all__ = ["TAR_SUFFIXES", "PARQUET_SUFFIXES", "resolve_path", "expand_patterns", "check_patterns_exist",
           "read_image_file"]

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
PARQUET_SUFFIXES = (".parquet",)


def resolve_path(path: str, base_dir: str | os.PathLike[str] | None) -> str:
    """``path`` with ``~`` expanded, made absolute against ``base_dir`` when relative; a URL as it is (and a
    relative path in a mixture file that is itself a URL is joined to its folder URL)."""
    if io.is_url(path):
        return path
    p = Path(os.path.expanduser(path))
    if not p.is_absolute() and base_dir is not None:
        if io.is_url(base_dir):
            return io.join(base_dir, path)
        p = Path(base_dir) / p
    return str(p)


def _is_glob(path: str) -> bool:
    return any(ch in path for ch in "*?[")


def _walk(folder: str, suffixes: Sequence[str]) -> list[str]:
    """Files under ``folder`` (recursively) with one of ``suffixes``: ``os.walk`` locally, one prefix listing on
    an object store (``rt2data.io.glob`` with ``**``)."""
    if io.is_url(folder):
        return [p for p in io.glob(io.join(folder, "**")) if p.endswith(tuple(suffixes))]
    found = []
    for root, _, files in os.walk(folder):
        found.extend(os.path.join(root, f) for f in files if f.endswith(tuple(suffixes)))
    return found


def _glob(pattern: str) -> list[str]:
    """Sorted matches of a glob: ``rt2data.io.glob`` for a URL, ``glob.glob`` (``**`` recursive) locally."""
    if io.is_url(pattern):
        return io.glob(pattern)
    return sorted(glob.glob(pattern, recursive=True))


def expand_patterns(patterns: Sequence[str], *, suffixes: Sequence[str], what: str) -> tuple[str, ...]:
    """All files named by ``patterns`` (already resolved), sorted. Local paths and URLs (``s3://``, ``gs://``:
    listed through ``rt2data.io``, so an img2dataset output in a bucket mixes in place).

    Args:
        patterns: files, directories, globs, brace patterns.
        suffixes: file suffixes a directory is searched for.
        what: names the source in errors (``"source 'flickr'"``).

    Raises:
        ConfigError: a pattern matches nothing.
    """
    found: set[str] = set()
    for pattern in patterns:
        matched: list[str] = []
        for expanded in braceexpand(pattern):
            if _is_glob(expanded):
                matched.extend(_glob(expanded))
            elif io.is_file(expanded) and not (io.is_url(expanded) and expanded.endswith("/")):
                matched.append(expanded)
            elif io.is_dir(expanded):
                matched.extend(_walk(expanded, suffixes))
            else:
                raise ConfigError(
                    f"{what}: path {expanded!r} (from {pattern!r}) does not exist; fix the path "
                    "(relative paths are relative to the mixture file)"
                )
        files = [m for m in matched if io.is_url(m) or os.path.isfile(m)]
        if not files:
            raise ConfigError(
                f"{what}: {pattern!r} matches no {'/'.join(suffixes)} files; fix the path or the pattern"
            )
        found.update(io.absolute(f) for f in files)
    return tuple(sorted(found))


def check_patterns_exist(patterns: Sequence[str], *, what: str) -> None:
    """Raise ``ConfigError`` unless every pattern names at least one existing file or directory."""
    for pattern in patterns:
        for expanded in braceexpand(pattern):
            hits = _glob(expanded) if _is_glob(expanded) else ([expanded] if io.exists(expanded) or io.is_dir(expanded) else [])
            if not hits:
                raise ConfigError(
                    f"{what}: {expanded!r} (from {pattern!r}) matches no existing file; fix the path "
                    "(relative paths are relative to the mixture file)"
                )


def read_image_file(path: str) -> tuple[bytes | None, tuple[str, str] | None]:
    """``(bytes, None)`` of an image file or object (through ``rt2data.io``), or ``(None, (reason, detail))``:
    ``no_image`` when it does not exist, ``unreadable_file`` when it exists and cannot be read."""
    try:
        return io.read_bytes(path), None
    except Rt2DataError as exc:
        if not path or not io.exists(path):
            return None, ("no_image", f"image file {path!r} not found")
        return None, ("unreadable_file", f"cannot read image {path!r}: {exc}")
