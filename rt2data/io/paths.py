"""Paths and URLs as strings: is it a URL, its scheme, joining and splitting (``/`` for URLs, ``os.path`` locally)."""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from typing import Any

__all__ = ["is_url", "scheme", "join", "basename", "dirname", "absolute", "location"]

_URL_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


def is_url(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a URL (``scheme://...``) rather than a local path; ``file://`` counts as local."""
    match = _URL_RE.match(os.fspath(path))
    return bool(match) and match.group(1).lower() != "file"


def scheme(path: str | os.PathLike[str]) -> str:
    """The URL scheme (``s3``, ``gs``) or ``""`` for a local path."""
    return _URL_RE.match(os.fspath(path)).group(1).lower() if is_url(path) else ""


def _local(path: str | os.PathLike[str]) -> str:
    text = os.fspath(path)
    return text[len("file://"):] if text.startswith("file://") else os.path.expanduser(text)


def join(base: str | os.PathLike[str], *parts: str) -> str:
    """``base/part/...``: ``/``-joined for a URL, ``os.path.join`` for a local path."""
    if is_url(base):
        return posixpath.join(os.fspath(base).rstrip("/") + "/", *parts) if parts else os.fspath(base)
    return os.path.join(_local(base), *parts)


def basename(path: str | os.PathLike[str]) -> str:
    """The last component of ``path`` (``s3://b/x/y.tar`` -> ``y.tar``)."""
    return posixpath.basename(os.fspath(path).rstrip("/")) if is_url(path) else os.path.basename(_local(path))


def dirname(path: str | os.PathLike[str]) -> str:
    """``path`` without its last component."""
    if is_url(path):
        head = posixpath.dirname(os.fspath(path).rstrip("/"))
        return head if "://" in head else os.fspath(path)
    return os.path.dirname(_local(path))


def absolute(path: str | os.PathLike[str]) -> str:
    """A URL unchanged, a local path made absolute (workers may run in another directory)."""
    return os.fspath(path).rstrip("/") if is_url(path) else os.path.abspath(_local(path))


def location(path: str | os.PathLike[str]) -> Any:
    """``path`` as the library keeps it: a ``pathlib.Path`` for a local path, the URL string for a URL."""
    return os.fspath(path).rstrip("/") if is_url(path) else Path(_local(path))

