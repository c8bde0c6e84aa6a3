"""One place that opens, lists, writes, copies and deletes paths and URLs (local, ``gs://``, ``s3://``, ...).

Every path a user gives may be a plain local path or a URL of any filesystem Apache Beam has registered
(``gs://`` with ``rt2data[gcp]``, ``s3://`` with ``rt2data[aws]``, ``hdfs://``, ``azfs://``). URLs go through Beam's
``apache_beam.io.filesystems.FileSystems``, the layer Beam's own sources and sinks use on every runner, so the same
credentials and endpoints (pipeline options such as ``--s3_endpoint_url``, ``--project``; the SDKs' environment
variables ``AWS_*``, ``GOOGLE_APPLICATION_CREDENTIALS``, ``STORAGE_EMULATOR_HOST``) reach the driver and the workers.

Local paths stay on ``os`` and the builtin ``open``, not on Beam's ``LocalFileSystem``: the local output commit
needs what only the OS gives (fsync, atomic ``os.replace``, ``O_APPEND`` + ``flock`` for the progress ledger), and
``import rt2data`` must not import Beam. fsspec is not used: Beam's layer has everything needed here (streaming
reads and writes, listing, copy, delete), and one layer means one set of options on every worker.

One exception, for speed: Beam's ``S3FileSystem`` builds a new boto3 session and client for every call (about a
second each on a busy machine); ``s3://`` goes through a subclass of it that keeps one Beam ``S3IO`` (one boto3
client, thread-safe) per process and options, and writes an empty object with one PUT (Beam's multipart upload
cannot write zero bytes). Everything else is Beam's code.

Object stores have no directories and no atomic rename: :func:`makedirs` is a no-op there, :func:`is_dir` means
"some object has this prefix", :func:`rename` is copy + delete (each object appears whole or not at all, which is
all the output commit relies on; see ``rt2data.shards.layout``).
"""

from __future__ import annotations

import functools
import logging
import os
import posixpath
import re
import shutil
import sys
from typing import Any, BinaryIO, Iterable, Sequence

from rt2data.errors import ConfigError, DataError, OutputError

__all__ = [
    "is_url",
    "scheme",
    "join",
    "basename",
    "dirname",
    "absolute",
    "location",
    "open_read",
    "open_write",
    "read_bytes",
    "read_text",
    "write_bytes",
    "close_writer",
    "exists",
    "is_file",
    "is_dir",
    "size",
    "listdir",
    "list_sizes",
    "glob",
    "delete",
    "delete_tree",
    "copy",
    "rename",
    "makedirs",
    "set_options",
    "options_from_args",
    "EXTRAS",
]

log = logging.getLogger(__name__)

_URL_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")

EXTRAS = {"s3": "aws", "gs": "gcp"}
"""URL scheme -> the rt2data extra that installs Beam's filesystem for it (``rt2data[aws]`` = ``apache-beam[aws]``)."""

_SDK_MODULE = {"s3": "boto3", "gs": "google.cloud.storage"}


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
    from pathlib import Path  # light: pathlib is cheap; kept beside its only use

    return os.fspath(path).rstrip("/") if is_url(path) else Path(_local(path))


# ---------------------------------------------------------------------------------------------- Beam's layer
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
    key = ("s3", id(options))
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
            try:
                for p, (n, updated) in self._io.list_files(dir_or_prefix, with_metadata=True):
                    yield FileMetadata(p, n, updated)
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


def _short(exc: BaseException) -> str:
    """A one-line description of a filesystem error (Beam's errors carry a dict of per-path exceptions)."""
    inner = getattr(exc, "exception_details", None)
    if isinstance(inner, dict) and inner:
        exc = next(iter(inner.values()))
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


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


# ---------------------------------------------------------------------------------------------- reading
def open_read(path: str | os.PathLike[str]) -> BinaryIO:
    """A binary stream over ``path`` (seekable; URL reads are buffered by Beam, never the whole object).

    Raises:
        DataError: ``path`` does not exist or cannot be read.
    """
    if not is_url(path):
        try:
            return open(_local(path), "rb")
        except FileNotFoundError:
            raise DataError(f"{path}: no such file") from None
        except OSError as exc:
            raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    path = os.fspath(path)
    filesystem = _filesystem(path)
    from apache_beam.io.filesystem import CompressionTypes  # light: with the URL filesystem above

    try:
        return filesystem.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    except Exception as exc:  # each filesystem raises its own types (BeamIOError, S3ClientError, NotFound)
        if not _filesystem_exists(filesystem, path):
            raise DataError(f"{path}: no such object") from exc
        raise DataError(f"{path}: cannot read: {_short(exc)}") from exc


def _filesystem_exists(filesystem: Any, path: str) -> bool:
    try:
        return bool(filesystem.exists(path))
    except Exception:  # a missing bucket or denied access: treat as absent, the caller says so
        return False


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The whole content of ``path`` (metadata, manifests, statistics: small files)."""
    with open_read(path) as f:
        return f.read()


def read_text(path: str | os.PathLike[str]) -> str:
    """``read_bytes(path)`` decoded as UTF-8."""
    return read_bytes(path).decode("utf-8")


# ---------------------------------------------------------------------------------------------- writing
def open_write(path: str | os.PathLike[str], *, exclusive: bool = False) -> BinaryIO:
    """A binary stream writing ``path`` (a URL object appears whole when the stream is closed, or not at all).

    Args:
        exclusive: local paths only: fail when the file exists (``open(path, "xb")``).

    Raises:
        OutputError: the location cannot be written (missing bucket, no permission).
    """
    if not is_url(path):
        try:
            return open(_local(path), "xb" if exclusive else "wb")
        except OSError as exc:
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    path = os.fspath(path)
    filesystem = _filesystem(path)
    from apache_beam.io.filesystem import CompressionTypes  # light: with the URL filesystem above

    try:
        return filesystem.create(path, compression_type=CompressionTypes.UNCOMPRESSED)
    except Exception as exc:  # each filesystem raises its own types
        raise OutputError(f"{path}: cannot write: {_short(exc)}") from exc


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` (replacing it). Not atomic on a local disk: use
    ``rt2data.shards.files.atomic_write_bytes`` there; one object PUT is atomic on an object store."""
    if not data and scheme(path) == "s3":
        try:
            _filesystem(os.fspath(path)).put_empty(os.fspath(path))
        except Rt2Errors:
            raise
        except Exception as exc:  # boto3 raises its own types
            raise OutputError(f"{path}: cannot write: {_short(exc)}") from exc
        return
    f = open_write(path)
    try:
        f.write(data)
    except BaseException:
        f.close()
        raise
    close_writer(f, path)


def close_writer(f: BinaryIO, path: str | os.PathLike[str]) -> None:
    """Close a writer; a URL upload happens here, so its failure becomes one OutputError line."""
    try:
        f.close()
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    except Exception as exc:  # the SDKs raise their own types when the final upload fails
        raise OutputError(f"{path}: cannot write: {_short(exc)}") from exc


# ---------------------------------------------------------------------------------------------- metadata
def exists(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a file, an object or (local) a directory."""
    if not is_url(path):
        return os.path.exists(_local(path))
    return _filesystem_exists(_filesystem(os.fspath(path)), os.fspath(path))


def is_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a regular local file or an existing object."""
    if not is_url(path):
        return os.path.isfile(_local(path))
    return exists(path)


def is_dir(path: str | os.PathLike[str]) -> bool:
    """A local directory, or a URL prefix under which at least one object exists."""
    if not is_url(path):
        return os.path.isdir(_local(path))
    return bool(_match(join(path, "*"), limit=1))


def size(path: str | os.PathLike[str]) -> int:
    """Size of ``path`` in bytes.

    Raises:
        DataError: it does not exist.
    """
    if not is_url(path):
        try:
            return os.path.getsize(_local(path))
        except OSError:
            raise DataError(f"{path}: no such file") from None
    try:
        return int(_filesystem(os.fspath(path)).size(os.fspath(path)))
    except Rt2Errors:
        raise
    except Exception as exc:  # each filesystem raises its own types
        raise DataError(f"{path}: no such object ({_short(exc)})") from exc


def _match(pattern: str, limit: int | None = None) -> list[tuple[str, int]]:
    filesystem = _filesystem(pattern)
    try:
        (result,) = filesystem.match([pattern], [limit] if limit else None)
    except Exception as exc:  # Beam raises BeamIOError for a missing bucket and for "no match" alike
        text = _short(exc)
        if "No files found" in text or "NoSuchKey" in text or "404" in text and "bucket" not in text.lower():
            return []
        raise DataError(f"{pattern}: cannot list: {text}") from exc
    return [(m.path, int(m.size_in_bytes)) for m in result.metadata_list]


def listdir(path: str | os.PathLike[str]) -> list[str]:
    """Sorted names of the files (objects) directly in the directory (prefix) ``path``; ``[]`` when missing."""
    if not is_url(path):
        local = _local(path)
        if not os.path.isdir(local):
            return []
        return sorted(n for n in os.listdir(local) if os.path.isfile(os.path.join(local, n)))
    base = os.fspath(path).rstrip("/") + "/"
    names = (p[len(base):] for p, _ in _match(base + "*") if p.startswith(base))
    return sorted(n for n in names if n and "/" not in n)


def list_sizes(path: str | os.PathLike[str]) -> dict[str, int]:
    """``{name: size in bytes}`` of the files directly in ``path`` (one listing request on an object store)."""
    if not is_url(path):
        local = _local(path)
        return {name: os.path.getsize(os.path.join(local, name)) for name in listdir(local)}
    base = os.fspath(path).rstrip("/") + "/"
    return {p[len(base):]: n for p, n in _match(base + "*") if p.startswith(base) and "/" not in p[len(base):]}


def glob(pattern: str | os.PathLike[str]) -> list[str]:
    """Sorted paths matching ``pattern`` (``*`` stays inside one path component, as in ``glob.glob``)."""
    if not is_url(pattern):
        import glob as glob_lib  # light: the stdlib module shares this function's name

        return sorted(glob_lib.glob(_local(pattern)))
    pattern = os.fspath(pattern)
    depth = pattern.count("/")
    return sorted(p for p, _ in _match(pattern) if p.count("/") == depth or "**" in pattern)


# ---------------------------------------------------------------------------------------------- changing
def makedirs(path: str | os.PathLike[str]) -> None:
    """Create the local directory ``path`` (and parents); nothing to do for a URL prefix."""
    if not is_url(path):
        try:
            os.makedirs(_local(path), exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{path}: cannot create the directory: {exc.strerror or exc}") from exc


def delete(paths: Iterable[str | os.PathLike[str]]) -> None:
    """Delete files/objects; missing ones are ignored."""
    urls = []
    for path in paths:
        if is_url(path):
            urls.append(os.fspath(path))
        else:
            try:
                os.unlink(_local(path))
            except FileNotFoundError:
                pass
    for url in urls:
        filesystem = _filesystem(url)
        if not _filesystem_exists(filesystem, url):
            continue
        try:
            filesystem.delete([url])
        except Exception as exc:  # each filesystem raises its own types
            raise OutputError(f"{url}: cannot delete: {_short(exc)}") from exc


def delete_tree(path: str | os.PathLike[str]) -> None:
    """Delete the directory ``path`` and everything in it (a URL: every object under the prefix ``path/``).

    Only ever called on rt2data's own staging folder inside an output."""
    if not is_url(path):
        shutil.rmtree(_local(path), ignore_errors=True)
        return
    base = os.fspath(path).rstrip("/") + "/"
    delete([p for p, _ in _match(base + "*") if p.startswith(base)])


def copy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Copy one file/object; within one URL filesystem a server-side copy, across filesystems streamed."""
    if not is_url(src) and not is_url(dst):
        shutil.copyfile(_local(src), _local(dst))
        return
    if is_url(src) and is_url(dst) and scheme(src) == scheme(dst):
        try:
            _filesystem(os.fspath(src)).copy([os.fspath(src)], [os.fspath(dst)])
        except Exception as exc:  # each filesystem raises its own types
            raise OutputError(f"copy {src} -> {dst} failed: {_short(exc)}") from exc
        return
    with open_read(src) as fin:
        out = open_write(dst)
        try:
            shutil.copyfileobj(fin, out, 1 << 20)
        except BaseException:
            out.close()
            raise
        close_writer(out, dst)


def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Move ``src`` onto ``dst``: ``os.replace`` locally (atomic), copy then delete on an object store (``dst``
    appears whole: an object is written in one piece)."""
    if not is_url(src) and not is_url(dst):
        os.replace(_local(src), _local(dst))
        return
    copy(src, dst)
    delete([src])


Rt2Errors = (ConfigError, DataError, OutputError)
