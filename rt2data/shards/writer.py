"""Writing shards: one shard atomically (:func:`write_shard`), or an ordered stream split by a plan.

A shard is written to ``.NAME.tmp-<uuid>`` in the output directory while its SHA-256, size and counts are
computed, then fsynced and renamed to ``NAME`` (and recorded in the progress ledger when a run started one):
a shard exists under its final name only when complete. Examples stream through; nothing holds a whole shard.
On an object store (``out_dir`` a URL, see ``rt2data.io``) there is no rename and no need for one: the shard is
uploaded straight to ``NAME``, which appears whole when the upload completes at close, or not at all (an aborted
shard's upload is abandoned, never completed). One upload per shard, no temp object and no copy.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from rt2data import io
from rt2data.errors import ConfigError, OutputError
from rt2data.example import Example
from rt2data.shards import ledger
from rt2data.shards.files import HashingWriter, Syncer, drop_cached, fsync_dir, naming_errors, temp_path
from rt2data.shards.info import ShardInfo, shard_name
from rt2data.shards.formats import get_format

__all__ = [
    "ShardWriter",
    "ShardingPlan",
    "encode_example",
    "write_shard",
    "write_shard_at",
    "write_shards",
    "write_shards_multi",
]

log = logging.getLogger(__name__)

_BATCH_BYTES = 1 << 20
"""A shard writer with a syncer hands its bytes to the syncer's thread in batches of about this size."""


def encode_example(example: Example, fmt: str) -> bytes:
    """The exact bytes one example adds to a shard of format ``fmt`` (tar members or a framed record)."""
    return get_format(fmt).encode(example)


class ShardWriter:
    """Writes one shard file atomically; use as a context manager (an exception removes the temp file).

    >>> with ShardWriter(out_dir, "x-000000.tar", fmt="wds") as w:  # doctest: +SKIP
    ...     w.add(example)
    ...     info = w.close()
    """

    def __init__(self, out_dir: str | os.PathLike[str], name: str, *, fmt: str, record_progress: bool = True,
                 syncer: Syncer | None = None):
        self.format = get_format(fmt)
        self.fmt = self.format.name
        self.out_dir = io.location(out_dir)
        self.name = name
        self.final = io.location(io.join(self.out_dir, name))
        # An object appears whole when its upload completes: no temp object (and no copy) on an object store.
        self.tmp = self.final if io.is_url(self.final) else temp_path(self.final)
        self.record_progress = record_progress
        self.syncer = None if io.is_url(self.tmp) else syncer  # an upload completes on close(), in this thread
        if not io.is_url(self.out_dir) and not self.out_dir.is_dir():
            raise OutputError(
                f"output directory {self.out_dir} does not exist; create it (prepare_output_dir) before writing shards"
            )
        self._file = io.open_write(self.tmp, exclusive=not io.is_url(self.tmp), direct=True)
        self._out = HashingWriter(self._file)  # with a syncer: fed on its thread, in batches
        self._size = 0
        self._batch: list[bytes] = []
        self._batch_bytes = 0
        self._handed: list = []  # the futures of the batches handed to the syncer
        self.count = 0
        self._first: str | None = None
        self._last: str | None = None
        self._sources: Counter[str] = Counter()
        self._kinds: Counter[str] = Counter()
        self._closed = False

    def size_if_added(self, encoded_size: int) -> int:
        """File size after adding ``encoded_size`` bytes of one more example and closing the shard."""
        end = self._size + encoded_size
        return end + self.format.end_size(end)

    def add(self, example: Example, encoded: bytes | None = None) -> None:
        """Append one example (``encoded``: its :func:`encode_example` bytes, when already computed)."""
        data = self.format.encode(example) if encoded is None else encoded
        self.add_encoded(data, key=example.key, source=example.source, kind=example.kind)

    def add_encoded(self, data: bytes, *, key: str, source: str, kind: str) -> None:
        """Append one example given as the bytes it adds to this format's shard (a writer that built them
        without an ``Example``), with what the shard's record counts of it."""
        self._write(data)
        self.count += 1
        if self._first is None:
            self._first = key
        self._last = key
        self._sources[source] += 1
        self._kinds[kind] += 1

    def close(self) -> ShardInfo:
        """Finish the file, fsync, rename to its final name, record progress; returns its :class:`ShardInfo`.

        With a :class:`Syncer` the fsync, rename and progress record run on its thread: the file is under its
        final name once the syncer's ``wait`` returned.
        """
        if self._closed:
            raise OutputError(f"shard {self.final} is already closed")
        self._write(self.format.trailer(self._size))
        if self.syncer is not None:
            self._hand_over()
            self._settle(raise_error=True)  # every byte hashed and written
        with naming_errors(self.final):
            self._file.flush()
        self._closed = True
        info = ShardInfo(
            name=self.name,
            format=self.fmt,
            count=self.count,
            bytes=self._size,
            sha256=self._out.sha.hexdigest(),
            first_key=self._first,
            last_key=self._last,
            counts_by_source=dict(self._sources),
            counts_by_kind=dict(self._kinds),
        )
        if self.syncer is None:
            self._commit(info)
        else:
            self.syncer.submit("commit", self._commit, info)  # after every byte: _settle waited for them
        return info

    def _write(self, data: bytes) -> None:
        self._size += len(data)
        if self.syncer is None:
            with naming_errors(self.final):
                self._out.write(data)
            return
        self._batch.append(data)
        self._batch_bytes += len(data)
        if self._batch_bytes >= _BATCH_BYTES:
            self._hand_over()

    def _hand_over(self) -> None:
        """Queue the batch on the syncer's thread (hashed and written there, in order), joined into one buffer
        here: the thread then makes one hash update and one write per batch. Each of those releases the GIL, and
        taking it back while this thread encodes can take a whole switch interval (5 ms): a hundred small writes
        per batch kept the thread behind and the writer waiting at ``close``."""
        batch = self._batch[0] if len(self._batch) == 1 else b"".join(self._batch)
        self._batch, self._batch_bytes = [], 0
        self._handed.append(self.syncer.submit("write", self._write_batch, batch))

    def _write_batch(self, batch: bytes) -> None:
        with naming_errors(self.final):
            self._out.write(batch)

    def _settle(self, *, raise_error: bool) -> None:
        """Wait for the batches handed over; raise the first error one met (a later batch of a file whose write
        failed may not fail: every one is looked at)."""
        handed, self._handed = self._handed, []
        errors = [f.exception() for f in handed]
        first = next((e for e in errors if e is not None), None)
        if first is not None and raise_error:
            raise first

    def _commit(self, info: ShardInfo) -> None:
        """Make the flushed file durable under its final name (fsync, close, rename, directory fsync); a local
        file's pages then leave the page cache (:func:`rt2data.shards.files.drop_cached`)."""
        try:
            with naming_errors(self.final):
                if not io.is_url(self.tmp):
                    os.fsync(self._file.fileno())
                    drop_cached(self._file.fileno())
                io.close_writer(self._file, self.tmp)
                if self.tmp != self.final:
                    io.rename(self.tmp, self.final)
        except BaseException:
            io.discard_writer(self._file, self.tmp)
            raise
        fsync_dir(self.out_dir)
        if self.record_progress:
            ledger.record_progress(self.out_dir, info)
        log.debug("wrote %s: %d examples, %d bytes", self.final, info.count, info.bytes)

    def abort(self) -> None:
        """Drop the unfinished shard: remove the temp file, or abandon the upload (the final name is never created)."""
        if not self._closed:
            self._closed = True
            self._settle(raise_error=False)  # no write of the syncer's thread is left to race the removal
            io.discard_writer(self._file, self.tmp)

    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._closed:
            self.abort()
            raise OutputError(f"shard {self.final} was left without close(); it was not written")


def write_shard(
    out_dir: str | os.PathLike[str],
    name: str,
    examples: Iterable[Example],
    *,
    fmt: str,
    record_progress: bool = True,
) -> ShardInfo:
    """Write all ``examples`` to one shard ``out_dir/name`` atomically, streaming.

    Args:
        out_dir: existing output directory.
        name: final file name, usually :func:`shard_name`.
        examples: the examples in output order.
        fmt: a registered format name (``rt2data.shards.formats``).
        record_progress: append the result to the run's progress ledger, when one was started.

    Returns:
        The :class:`ShardInfo` (count, bytes, sha256 computed while writing).
    """
    with ShardWriter(out_dir, name, fmt=fmt, record_progress=record_progress) as writer:
        for example in examples:
            writer.add(example)
        return writer.close()


def write_shard_at(
    out_dir: str | os.PathLike[str],
    examples: Iterable[Example],
    *,
    index: int,
    fmt: str,
    prefix: str,
    record_progress: bool = True,
) -> ShardInfo:
    """Write one pre-grouped shard by index (``PREFIX-%06d.EXT``): the unit of work of a distributed writer."""
    return write_shard(out_dir, shard_name(prefix, index, fmt), examples, fmt=fmt, record_progress=record_progress)


@dataclass(frozen=True)
class ShardingPlan:
    """How an ordered stream of examples is cut into shards.

    Attributes:
        shard_examples: at most this many examples per shard (None: no limit).
        shard_bytes: at most this many bytes per shard file, exact (None: no limit); a shard closes before the
            next example would make it exceed the limit; a single larger example still gets a shard of its own.
    """

    shard_examples: int | None = None
    shard_bytes: int | None = None

    def __post_init__(self) -> None:
        for name in ("shard_examples", "shard_bytes"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ConfigError(f"{name} must be a positive integer or None, got {value!r}")

    def is_full(self, count: int, size_if_added: int) -> bool:
        """Whether a shard holding ``count`` examples must close instead of growing to ``size_if_added`` bytes."""
        if count == 0:
            return False
        if self.shard_examples is not None and count >= self.shard_examples:
            return True
        return self.shard_bytes is not None and size_if_added > self.shard_bytes

    def shard_index(self, position: int) -> int:
        """Shard index of the example at ``position`` (0-based) when sharding by count only.

        Stable and computable in parallel, so a distributed writer can group by it.
        """
        if self.shard_bytes is not None:
            raise ConfigError("shard_index needs a count-only plan: byte limits depend on the examples before")
        return 0 if self.shard_examples is None else position // self.shard_examples


class _Stream:
    """One format's side of :func:`write_shards_multi`: the open shard and the finished ones."""

    def __init__(self, out_dir, fmt: str, prefix: str, start_index: int, record_progress: bool,
                 syncer: Syncer | None):
        self.out_dir, self.fmt, self.prefix = out_dir, get_format(fmt).name, prefix
        self.start_index, self.record_progress, self.syncer = start_index, record_progress, syncer
        self.infos: list[ShardInfo] = []
        self.writer: ShardWriter | None = None

    def add(self, example: Example, plan: ShardingPlan) -> None:
        encoded = encode_example(example, self.fmt)
        if self.writer is not None and plan.is_full(self.writer.count, self.writer.size_if_added(len(encoded))):
            self.infos.append(self.writer.close())
            self.writer = None
        if self.writer is None:
            name = shard_name(self.prefix, self.start_index + len(self.infos), self.fmt)
            self.writer = ShardWriter(self.out_dir, name, fmt=self.fmt, record_progress=self.record_progress,
                                      syncer=self.syncer)
        limit = plan.shard_bytes
        if self.writer.count == 0 and limit is not None and self.writer.size_if_added(len(encoded)) > limit:
            log.warning("example %s alone exceeds shard_bytes=%d; it gets a shard of its own", example.key, limit)
        self.writer.add(example, encoded)

    def close(self) -> None:
        if self.writer is not None:
            self.infos.append(self.writer.close())
            self.writer = None

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()


def write_shards_multi(
    out_dir: str | os.PathLike[str],
    examples: Iterable[Example],
    *,
    formats: Sequence[str],
    prefix: str,
    shard_examples: int | None = None,
    shard_bytes: int | None = None,
    start_index: int = 0,
    record_progress: bool = True,
    syncer: Syncer | None = None,
) -> dict[str, list[ShardInfo]]:
    """Write one ordered stream into consecutive shards of several formats at once, in a single pass.

    Each format is cut independently (byte limits differ between formats); memory stays flat: one example and one
    open shard per format at a time. No examples -> no shards. With a :class:`~rt2data.shards.files.Syncer`, each
    closed shard is made durable on its thread while the next ones are written (its ``wait`` before relying on
    the files).

    Returns:
        ``{format: [ShardInfo, ...]}`` in order.
    """
    plan = ShardingPlan(shard_examples=shard_examples, shard_bytes=shard_bytes)
    streams = [_Stream(out_dir, fmt, prefix, start_index, record_progress, syncer) for fmt in formats]
    try:
        for example in examples:
            for stream in streams:
                stream.add(example, plan)
        for stream in streams:
            stream.close()
    finally:
        for stream in streams:
            stream.abort()
    return {stream.fmt: stream.infos for stream in streams}


def write_shards(
    out_dir: str | os.PathLike[str],
    examples: Iterable[Example],
    *,
    fmt: str,
    prefix: str,
    shard_examples: int | None = None,
    shard_bytes: int | None = None,
    start_index: int = 0,
    record_progress: bool = True,
) -> list[ShardInfo]:
    """Write an ordered stream into consecutive shards ``PREFIX-%06d`` from ``start_index``, streaming.

    Memory stays flat: one example and one open shard at a time. No examples -> no shards.

    Returns:
        One :class:`ShardInfo` per shard, in order.
    """
    return write_shards_multi(
        out_dir, examples, formats=[fmt], prefix=prefix, shard_examples=shard_examples, shard_bytes=shard_bytes,
        start_index=start_index, record_progress=record_progress,
    )[fmt]
