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

import logging
import os
import shutil
from typing import Any, BinaryIO, Iterable

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
    "discard_writer",
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

from rt2data.io.filesystems import EXTRAS, options_from_args, set_options
from rt2data.io.filesystems import _filesystem, _is_missing_bucket, _short
from rt2data.io.paths import _local, absolute, basename, dirname, is_url, join, location, scheme

log = logging.getLogger(__name__)

Rt2Errors = (ConfigError, DataError, OutputError)


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
def open_write(path: str | os.PathLike[str], *, exclusive: bool = False, direct: bool = False) -> BinaryIO:
    """A binary stream writing ``path`` (a URL object appears whole when the stream is closed, or not at all).

    Args:
        exclusive: local paths only: fail when the file exists (``open(path, "xb")``).
        direct: local paths only: write around the page cache where the file system allows it
            (``rt2data.io.direct``: a file written once, in order, and not read back soon, e.g. a shard).

    Raises:
        OutputError: the location cannot be written (missing bucket, no permission).
    """
    if not is_url(path):
        try:
            if direct:
                from rt2data.io.direct import open_direct  # light: stdlib only

                return open_direct(_local(path), exclusive=exclusive)
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


def discard_writer(f: BinaryIO, path: str | os.PathLike[str]) -> None:
    """Give up a writer from :func:`open_write` so that ``path`` is not created (or not kept).

    A local file is closed and removed. A URL upload through Beam's uploader stream (S3, and any filesystem built
    on ``apache_beam.io.filesystemio.UploaderStream``) is abandoned without being completed: its stream is marked
    closed first, so neither ``close`` nor garbage collection finishes the upload, and an S3 multipart upload is
    aborted; no partial object ever appears under ``path``. Another writer is closed and the object deleted.
    """
    raw = getattr(f, "raw", None)
    uploader = getattr(raw, "_uploader", None)
    if not is_url(path) or uploader is None:
        try:
            f.close()  # flushing the buffer can fail again (a full disk): the file goes anyway
        except Exception as exc:  # a URL writer raises its SDK's types
            log.debug("closing %s failed: %s", path, exc)
        delete([path])
        return
    import io as stdlib_io  # light: the stdlib module shares this package's name

    stdlib_io.RawIOBase.close(raw)  # marks the stream closed without UploaderStream.close's finish()
    try:
        f.close()  # the buffered writer cannot flush into a closed stream: it only closes
    except ValueError:
        pass
    upload_id = getattr(uploader, "upload_id", None)
    client = getattr(getattr(uploader, "_client", None), "client", None)  # Beam's boto3 wrapper -> boto3 client
    if scheme(path) == "s3" and upload_id and client is not None:
        try:
            client.abort_multipart_upload(Bucket=uploader._bucket, Key=uploader._name, UploadId=upload_id)
        except Exception as exc:  # boto3 raises its own types; an unfinished upload never becomes an object anyway
            log.debug("aborting the upload of %s failed: %s", path, _short(exc))


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
        if _is_missing_bucket(pattern, exc):
            bucket = pattern.split("://", 1)[1].split("/", 1)[0]
            raise DataError(f"{pattern}: cannot list: no such bucket {bucket!r} ({text})") from exc
        if "No files found" in text or "NoSuchKey" in text or "404" in text and "bucket" not in text.lower():
            return []  # S3: "Tried to list nonexistent S3 path" (404) for a prefix with no objects
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

