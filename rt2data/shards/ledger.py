"""The progress ledger ``.shards.partial.jsonl``: which shards of an unfinished run are complete.

JSON Lines: a header line ``{"format_version": 1, "config_fingerprint": ...}``, then one :class:`ShardInfo` per
line. ``prepare_output_dir`` starts it; every shard writer appends its line after the shard's atomic rename
(under an exclusive ``fcntl`` lock on ``.shards.partial.lock``, then fsync), so worker processes on one machine
can record concurrently and appending stays O(1) per shard; ``finalize_output`` removes it once
``manifest.json`` exists. A torn last line (crash mid-append) is ignored: that shard is simply rewritten.

On an object store (an output URL: no append, no lock) the ledger file holds only the header and every complete
shard is one more object ``.shards.partial.NAME.json`` beside it (writers on any machine record concurrently
without a lock); :func:`read_ledger` lists them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Iterator, Mapping

from rt2data import io
from rt2data.errors import OutputError, SchemaError
from rt2data.shards.files import LEDGER_ENTRY_RE, LEDGER_NAME, LOCK_NAME, atomic_write_bytes, ledger_entry_name
from rt2data.shards.info import ShardInfo

try:  # POSIX only; elsewhere concurrent writers are not supported.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["Ledger", "start_ledger", "read_ledger", "record_progress", "remove_ledger"]

log = logging.getLogger(__name__)
LEDGER_VERSION = 1


class Ledger(dict):
    """``{shard name: ShardInfo}`` plus the ``config_fingerprint`` of the run that wrote it."""

    def __init__(self, config_fingerprint: str, shards: Mapping[str, ShardInfo] | None = None) -> None:
        super().__init__(shards or {})
        self.config_fingerprint = config_fingerprint


def _line(doc: dict) -> bytes:
    return (json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def _entries(out_dir) -> list[str]:
    """The per-shard ledger entry objects of an output URL."""
    return [io.join(out_dir, n) for n in io.listdir(out_dir) if LEDGER_ENTRY_RE.match(n)]


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    if io.is_url(out_dir):  # one object per entry: nothing to lock
        yield
        return
    with open(out_dir / LOCK_NAME, "a+b") as f:
        if fcntl is not None:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def start_ledger(out_dir: Path, config_fingerprint: str, shards: Mapping[str, ShardInfo] | None = None) -> None:
    """Create (or atomically replace) the ledger of a run, listing ``shards`` as already complete."""
    out_dir = io.location(out_dir)
    header = _line({"format_version": LEDGER_VERSION, "config_fingerprint": config_fingerprint})
    body = b"".join(_line(info.to_json_dict()) for _, info in sorted((shards or {}).items()))
    if io.is_url(out_dir):
        io.delete(_entries(out_dir))  # entries of an earlier run; ``shards`` are carried in the body
    with _locked(out_dir):
        atomic_write_bytes(io.join(out_dir, LEDGER_NAME), header + body)


def read_ledger(out_dir: Path) -> Ledger | None:
    """The ledger in ``out_dir``, or None when there is none.

    Raises:
        OutputError: the ledger exists but its header or a complete line is unreadable.
    """
    path = io.join(out_dir, LEDGER_NAME)
    if not io.exists(path):
        return None
    lines = io.read_bytes(path).split(b"\n")
    if io.is_url(out_dir):
        lines += [io.read_bytes(entry).rstrip(b"\n") for entry in _entries(out_dir)]
    try:
        header = json.loads(lines[0])
        if header.get("format_version") != LEDGER_VERSION:
            raise ValueError(f"format_version {header.get('format_version')!r} is not {LEDGER_VERSION}")
        ledger = Ledger(str(header["config_fingerprint"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise OutputError(
            f"{path}: unreadable progress ledger header ({exc}); pass --overwrite to start the output over"
        ) from exc
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        try:
            info = ShardInfo.from_json_dict(json.loads(line))
        except (ValueError, TypeError, AttributeError, SchemaError) as exc:
            # A writer killed mid-append leaves a torn line; that shard is simply written again.
            log.warning("%s: line %d ignored (%s): its shard will be rewritten", path, number, exc)
            continue
        ledger[info.name] = info
    return ledger


def record_progress(out_dir: Path, info: ShardInfo) -> bool:
    """Append one complete shard to the ledger; returns False (and does nothing) when no ledger was started."""
    path = io.join(out_dir, LEDGER_NAME)
    if io.is_url(out_dir):
        if not io.exists(path):
            return False
        io.write_bytes(io.join(out_dir, ledger_entry_name(info.name)), _line(info.to_json_dict()))
        return True
    if not os.path.exists(path):
        return False
    with _locked(Path(out_dir)):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            return False
        try:
            os.write(fd, _line(info.to_json_dict()))
            os.fsync(fd)
        finally:
            os.close(fd)
    return True


def remove_ledger(out_dir: Path) -> None:
    """Remove the ledger and its lock file (after the manifest is written)."""
    if io.is_url(out_dir):
        io.delete([*_entries(out_dir), io.join(out_dir, LEDGER_NAME)])
        return
    for name in (LEDGER_NAME, LOCK_NAME):
        (Path(out_dir) / name).unlink(missing_ok=True)
