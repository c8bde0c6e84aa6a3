"""Beam's ``FileSystems`` behind ``rt2data.io``: the filesystem of a URL (or a one-line error naming the extra to
install), the process-wide filesystem options, and the S3 filesystem kept to one boto3 client per process.

Beam is imported on first use, never at ``import rt2data``.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from typing import Any, Sequence

from rt2data.errors import ConfigError
from rt2data.io.paths import scheme

__all__ = ["EXTRAS", "set_options", "options_from_args"]

EXTRAS = {"s3": "aws", "gs": "gcp"}
"""URL scheme -> the rt2data extra that installs Beam's filesystem for it (``rt2data[aws]`` = ``apache-beam[aws]``)."""

_SDK_MODULE = {"s3": "boto3", "gs": "google.cloud.storage"}


def _filesystems():
    from apache_beam.io.filesystems import FileSystems  # Beam is imported on first URL use: rt2data stays light

    return FileSystems


_CACHE: dict[Any, Any] = {}


class _DropUploadTraceback(logging.Filter):
    """Beam's S3 uploader logs a failed upload with its traceback on the root logger before raising; the raise
    becomes our one-line OutputError, so the log record is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Error in _start_upload")


def _quiet_s3_uploads() -> None:
    root = logging.getLogger()
    if not any(isinstance(f, _DropUploadTraceback) for f in root.filters):
        root.addFilter(_DropUploadTraceback())


def _cached_s3(options: Any):
    """Beam's S3 filesystem keeping one ``S3IO`` (one boto3 client) for ``options`` (see the module docstring)."""
    key = ("s3", id(options), os.getpid())  # a forked worker builds its own boto3 client, never its parent's
    if key not in _CACHE or _CACHE[key][0] is not options:
        _quiet_s3_uploads()
        _CACHE[key] = (options, _s3_class()(options))
    return _CACHE[key][1]


@functools.cache
def _s3_class() -> type:
    from apache_beam.io.aws import s3filesystem, s3io  # light: only for s3:// URLs
    from apache_beam.io.filesystem import BeamIOError, FileMetadata

    class CachedS3FileSystem(s3filesystem.S3FileSystem):
        @classmethod
        def scheme(cls) -> str:
            return "rt2data-cached-s3"  # not "s3": Beam's registry must keep finding exactly one s3 filesystem

        def __init__(self, pipeline_options: Any) -> None:
            super().__init__(pipeline_options)
            self._io = s3io.S3IO(options=pipeline_options)

        def _list(self, dir_or_prefix):
            # boto3's paginator, not S3IO.list_files: that one lists a missing bucket as empty (it swallows every
            # 404), so a mistyped bucket would look like an empty folder; here it raises NoSuchBucket.
            bucket, prefix = s3io.parse_s3_path(dir_or_prefix, object_optional=True)
            try:
                pages = self._io.client.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                for page in pages:
                    for item in page.get("Contents", ()):
                        yield FileMetadata(f"s3://{bucket}/{item['Key']}", item["Size"],
                                           item["LastModified"].timestamp())
            except Exception as e:  # as Beam's S3FileSystem._list
                raise BeamIOError("List operation failed", {dir_or_prefix: e})

        def _path_open(self, p, mode, mime_type="application/octet-stream", compression_type=None):
            return self._io.open(p, mode, mime_type=mime_type)

        def copy(self, sources, destinations):
            return self._io.copy_paths(list(zip(sources, destinations)))

        def exists(self, p):
            return self._io.exists(p)

        def size(self, p):
            return self._io.size(p)

        def delete(self, paths):
            errors = {p: e for p, e in self._io.delete_paths(paths).items() if e is not None}
            if errors:
                raise BeamIOError("Delete operation failed", errors)

        def put_empty(self, p):
            bucket, name = s3io.parse_s3_path(p)
            self._io.client.client.put_object(Bucket=bucket, Key=name, Body=b"")

    return CachedS3FileSystem


def _filesystem(path: str):
    """Beam's filesystem for ``path``'s scheme, or a one-line ConfigError naming the extra to install."""
    fs = _filesystems()
    name = scheme(path)
    try:
        filesystem = fs.get_filesystem(path)
        if name == "s3":
            filesystem = _cached_s3(fs._pipeline_options)
    except ValueError:
        filesystem = None
    except Exception as exc:  # Beam wraps a filesystem's failing constructor (missing SDK) in BeamIOError
        raise _missing_extra(path, name, exc) from exc
    if filesystem is None:
        raise _missing_extra(path, name, None)
    module = _SDK_MODULE.get(name)
    if module is not None:
        try:
            __import__(module)
        except ImportError as exc:
            raise _missing_extra(path, name, exc) from exc
    return filesystem


def _missing_extra(path: str, name: str, exc: BaseException | None) -> ConfigError:
    extra = EXTRAS.get(name)
    fix = (f"pip install 'rt2data[{extra}]' (Beam's apache-beam[{extra}])" if extra
           else f"install the Apache Beam filesystem that handles {name}:// URLs")
    why = f" ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})" if exc else ""
    return ConfigError(f"{path}: no filesystem for {name}:// URLs is installed{why}; {fix}")


def _innermost(exc: BaseException) -> BaseException:
    """The SDK's own exception behind Beam's wrappers (a ``BeamIOError`` carries a dict of per-path exceptions,
    nested: a failed match wraps the failed listing, which wraps the SDK's error)."""
    for _ in range(8):
        inner = getattr(exc, "exception_details", None)
        if not (isinstance(inner, dict) and inner):
            break
        exc = next(iter(inner.values()))
    return exc


def _short(exc: BaseException) -> str:
    """A one-line description of a filesystem error: the SDK's exception type and message."""
    exc = _innermost(exc)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


def _is_missing_bucket(path: str, exc: BaseException) -> bool:
    """Whether listing ``path`` failed because its bucket does not exist.

    S3 names the error ``NoSuchBucket``; GCS answers a listing with 404 (``NotFound``) only for a missing bucket
    (a prefix with no objects lists as empty).
    """
    inner = _innermost(exc)
    if "NoSuchBucket" in str(inner):
        return True
    return scheme(path) == "gs" and (type(inner).__name__ == "NotFound" or getattr(inner, "code", None) == 404)


def set_options(options: Any) -> None:
    """Set the filesystem options (Beam ``PipelineOptions``: ``--s3_endpoint_url``, ``--project``, ...) for URL I/O
    in this process; ``None`` clears them. Pipelines call it on the driver and on every worker."""
    if options is None:
        if "apache_beam" in sys.modules:
            _filesystems().set_options(None)
        return
    _filesystems().set_options(options)


def options_from_args(args: Sequence[str]) -> Any:
    """Beam ``PipelineOptions`` from flags (``["--s3_endpoint_url=http://..."]``)."""
    from apache_beam.options.pipeline_options import PipelineOptions  # light: Beam only when options are given

    return PipelineOptions(list(args))
