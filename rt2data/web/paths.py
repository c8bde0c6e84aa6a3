"""Expanding the file patterns of a mixture source: braces, globs, directories.

``shards/flickr-{000000..000003}.tar`` (WebDataset brace notation), ``data/*.parquet``, a directory (all files
with one of the format's suffixes inside it, recursively) or a plain file. Relative paths are resolved against
the mixture file's directory. The result is sorted and de-duplicated so work is planned the same on every machine.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from rt2data import io
from typing import Sequence

from braceexpand import braceexpand

from rt2data.errors import ConfigError

__all__ = ["TAR_SUFFIXES", "PARQUET_SUFFIXES", "resolve_path", "expand_patterns", "check_patterns_exist"]

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
PARQUET_SUFFIXES = (".parquet",)


def resolve_path(path: str, base_dir: str | os.PathLike[str] | None) -> str:
    """``path`` with ``~`` expanded, made absolute against ``base_dir`` when relative; a URL as it is."""
    if io.is_url(path):
        return path
    p = Path(os.path.expanduser(path))
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    return str(p)


def expand_patterns(patterns: Sequence[str], *, suffixes: Sequence[str], what: str) -> tuple[str, ...]:
    """All files named by ``patterns`` (already resolved), sorted.

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
            if any(ch in expanded for ch in "*?["):
                matched.extend(sorted(glob.glob(expanded, recursive=True)))
            elif os.path.isdir(expanded):
                for root, _, files in os.walk(expanded):
                    matched.extend(os.path.join(root, f) for f in files if f.endswith(tuple(suffixes)))
            elif os.path.exists(expanded):
                matched.append(expanded)
            else:
                raise ConfigError(
                    f"{what}: path {expanded!r} (from {pattern!r}) does not exist; fix the path "
                    "(relative paths are relative to the mixture file)"
                )
        files = [m for m in matched if os.path.isfile(m)]
        if not files:
            raise ConfigError(
                f"{what}: {pattern!r} matches no {'/'.join(suffixes)} files; fix the path or the pattern"
            )
        found.update(os.path.abspath(f) for f in files)
    return tuple(sorted(found))


def check_patterns_exist(patterns: Sequence[str], *, what: str) -> None:
    """Raise ``ConfigError`` unless every pattern names at least one existing file or directory."""
    for pattern in patterns:
        for expanded in braceexpand(pattern):
            hits = glob.glob(expanded, recursive=True) if any(c in expanded for c in "*?[") else (
                [expanded] if os.path.exists(expanded) else [])
            if not hits:
                raise ConfigError(
                    f"{what}: {expanded!r} (from {pattern!r}) matches no existing file; fix the path "
                    "(relative paths are relative to the mixture file)"
                )
