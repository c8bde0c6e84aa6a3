"""Verify an output directory against its manifest: every byte, every example, the accounting."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple, Sequence

from rt2data import io
from rt2data.errors import DataError, OutputError, Rt2DataError, SchemaError
from rt2data.example import Example, validate_example_dict
from rt2data.shards.files import HashingReader, file_sha256, inside
from rt2data.shards.info import SHARD_RE, ShardInfo
from rt2data.shards.layout import scan_output_dir
from rt2data.shards.manifest import Manifest, load_manifest, validate_accounting
from rt2data.shards.formats import get_format

__all__ = ["CheckExample", "CheckBatch", "Problem", "VerifyReport", "verify_output"]

log = logging.getLogger(__name__)

CheckExample = Callable[[Example], list[str]]
"""A caller's extra check of one example: returns problem messages (empty when fine)."""

CheckBatch = Callable[[Sequence[dict[str, Any]]], Sequence[bool]]
"""A caller's fast pre-check of many examples' JSON fields (each one ``fast_check.certainly_valid``): True where
``check_example`` would certainly return no problem; only the examples with False are made and checked one by one."""

_BATCH = 512  # examples checked together
_AFTER = 1 << 62  # the example index of a shard's own problems (sha256, counts): after all its examples


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an output: where (shard file name, example key; None when not applicable) and what."""

    shard: str | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = ":".join(x for x in (self.shard, self.key) if x)
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class VerifyReport:
    """Result of :func:`verify_output`; ``ok`` is True only when there are no problems."""

    ok: bool
    problems: list[Problem] = field(default_factory=list)
    shards_checked: int = 0
    examples_checked: int = 0

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": [{"shard": p.shard, "key": p.key, "message": p.message} for p in self.problems],
            "shards_checked": self.shards_checked,
            "examples_checked": self.examples_checked,
        }


class _ShardResult(NamedTuple):
    """One shard read: its problems with example indices (``_AFTER`` for the shard's own), in order; its keys in
    order; whether the file was there to read."""

    problems: list[tuple[int, Problem]]
    keys: list[str]
    read: bool


_FORKED: _Checker | None = None  # the checker a forked worker inherits (closures cannot be pickled)


def _forked_shard(info: ShardInfo) -> _ShardResult:
    assert _FORKED is not None
    return _FORKED.shard(info)


def _forked_results(checker: _Checker, infos: Sequence[ShardInfo], workers: int) -> Iterator[_ShardResult]:
    """``checker.shard(info)`` of each shard by ``workers`` forked processes, yielded in order."""
    global _FORKED
    _FORKED = checker
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_forked_shard, infos, chunksize=1)
    finally:
        _FORKED = None


class _Checker:
    def __init__(self, out: Path, manifest: Manifest, check_schema: bool, check_example, max_problems: int,
                 check_batch: CheckBatch | None = None, workers: int = 1,
                 progress: Callable[[int], None] | None = None):
        self.out, self.manifest = out, manifest
        self.workers, self.progress = workers, progress
        self.check_schema, self.check_example, self.check_batch = check_schema, check_example, check_batch
        self.max_problems = max_problems
        self.problems: list[Problem] = []
        self.shards_checked = self.examples_checked = 0
        self.at = _AFTER  # the example index problems are recorded at (a shard's own problems: after its examples)
        self.tagged: list[tuple[int, Problem]] = []  # problems of the shard being read, with example indices

    def add(self, shard: str | None, key: str | None, message: str) -> None:
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(shard, key, message))

    def add_tagged(self, shard: str | None, key: str | None, message: str) -> None:
        if len(self.tagged) < self.max_problems:  # the report keeps at most that many, in this order
            self.tagged.append((self.at, Problem(shard, key, message)))

    def check_example_fields(self, name: str, key: str, example: Example, fields: dict) -> None:
        if self.check_schema:
            try:
                validate_example_dict(fields)
            except SchemaError as exc:
                self.add_tagged(name, key, str(exc))
        if self.check_example is not None:
            try:
                messages = self.check_example(example)
            except Rt2DataError as exc:
                messages = [str(exc)]
            for message in messages:
                self.add_tagged(name, key, message)

    def check_batch_of(self, name: str, batch: list, sources: Counter[str], kinds: Counter[str]) -> None:
        """Check read examples together: those ``certainly_valid`` (and vouched for by ``check_batch``) need nothing
        more; every other one is made an ``Example`` and checked alone, so its problems read as they always have.
        Problems are recorded in the examples' order."""
        if not batch:
            return
        fast = [certain for _, _, _, _, certain, _ in batch]
        if self.check_example is not None:
            if self.check_batch is None:
                fast = [False] * len(batch)
            else:
                ok = iter(self.check_batch([b[1] for b, good in zip(batch, fast) if good]))
                fast = [good and bool(next(ok)) for good in fast]
        for (key, fields, image, problem, _, index), good in zip(batch, fast):
            if good and problem is None:
                sources[fields["source"]] += 1
                kinds[fields["kind"]] += 1
                continue
            self.at = index
            if problem is not None:
                self.add_tagged(name, key, problem)
                continue
            try:
                example = Example.from_json_dict(fields, image)
            except (SchemaError, TypeError) as exc:  # what the format's iter_raw reports for this sample
                self.add_tagged(name, key, str(exc))
                continue
            sources[example.source] += 1
            kinds[example.kind] += 1
            self.check_example_fields(name, key, example, fields)
        self.at = _AFTER

    def shard(self, info: ShardInfo) -> _ShardResult:
        """Read and check one shard: its problems tagged with example indices, and its keys in order (duplicates
        across the output are found when the results are merged, in manifest order)."""
        self.tagged, self.at = [], _AFTER
        keys: list[str] = []
        try:
            path = inside(self.out, info.name, what="shard name")
        except OutputError as exc:
            self.add_tagged(info.name, None, str(exc))
            return _ShardResult(self.tagged, keys, False)
        if not io.is_file(path):
            self.add_tagged(info.name, None, "shard file listed in the manifest is missing")
            return _ShardResult(self.tagged, keys, False)
        count, first, last = 0, None, None
        sources: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        batch: list[tuple[str, dict | None, bytes, str | None, bool, bool]] = []
        with io.open_read(path) as raw:
            f = HashingReader(raw)
            try:
                for key, fields, image, problem, certain in get_format(info.format).iter_fields(f, name=str(path),
                                                                                            verify=True):
                    first = key if first is None else first
                    last = key
                    batch.append((key, fields, image, problem, certain, count))
                    keys.append(key)
                    count += 1
                    if len(batch) == _BATCH:
                        self.check_batch_of(info.name, batch, sources, kinds)
                        batch = []
            except DataError as exc:
                self.check_batch_of(info.name, batch, sources, kinds)
                batch = []
                self.add_tagged(info.name, None, f"unreadable after {count} examples: {exc}")
            self.check_batch_of(info.name, batch, sources, kinds)
            f.drain()
        if (f.bytes, f.sha.hexdigest()) != (info.bytes, info.sha256):
            self.add_tagged(info.name, None, f"sha256/bytes {f.sha.hexdigest()[:12]}/{f.bytes} differ from the "
                                             f"manifest ({info.sha256[:12]}/{info.bytes}): the file was modified or "
                                             "truncated")
        got = {"count": count, "first_key": first, "last_key": last,
               "counts_by_source": dict(sorted(sources.items())), "counts_by_kind": dict(sorted(kinds.items()))}
        for what, value in got.items():
            expected = getattr(info, what)
            if value != (dict(expected) if isinstance(expected, dict) else expected):
                self.add_tagged(info.name, None, f"{what} is {value!r}, the manifest says {expected!r}")
        return _ShardResult(self.tagged, keys, True)

    def merge(self, name: str, result: _ShardResult, seen: set[str]) -> None:
        """Add one shard's problems in the order a sequential read gives them, a duplicate key's problem (a key
        already used in this format, in an earlier shard or earlier in this one) before that example's own."""
        duplicates = []
        for index, key in enumerate(result.keys):
            if key in seen:
                duplicates.append((index, Problem(name, key, "duplicate key (already used by an earlier example)")))
            seen.add(key)
        if result.read:
            self.shards_checked += 1
            self.examples_checked += len(result.keys)
        if duplicates:  # stable: at equal indices the duplicate (listed first) comes first
            ordered = [p for _, p in sorted(duplicates + result.problems, key=lambda item: item[0])]
        else:
            ordered = [p for _, p in result.problems]
        for problem in ordered:
            self.add(problem.shard, problem.key, problem.message)

    def output(self) -> None:
        try:
            validate_accounting(self.manifest.accounting)
        except DataError as exc:
            self.add(None, None, str(exc))
        for name, record in sorted(self.manifest.files.items()):
            try:
                path = inside(self.out, name, what="file name")
            except OutputError as exc:
                self.add(name, None, str(exc))
                continue
            if not io.is_file(path):
                self.add(name, None, "file listed in the manifest is missing")
                continue
            sha, size = file_sha256(path)
            if (sha, size) != (record["sha256"], record["bytes"]):
                self.add(name, None, f"sha256/bytes {sha[:12]}/{size} differ from the manifest "
                                     f"({record['sha256'][:12]}/{record['bytes']}): the file was modified")
        listed = {info.name for info in self.manifest.all_shards()}
        for name in scan_output_dir(self.out).shards:
            if name not in listed and SHARD_RE.match(name):
                self.add(name, None, "shard file not listed in the manifest (left by another run?)")
        for fmt, infos in self.manifest.shards.items():
            total = sum(info.count for info in infos)
            if total != self.manifest.accounting.written:
                self.add(None, None, f"{fmt} shards hold {total} examples, accounting says {self.manifest.accounting.written} written")
            seen: set[str] = set()
            for info, result in zip(infos, self.results(infos)):
                self.merge(info.name, result, seen)
                if self.progress is not None:
                    self.progress(len(result.keys))

    def results(self, infos: Sequence[ShardInfo]) -> Iterator[_ShardResult]:
        """Each shard's result, in order: read here, or by ``workers`` forked processes (a local output of several
        shards on a platform that forks); the merge makes both give the same report."""
        workers = min(self.workers, len(infos))
        if workers <= 1 or io.is_url(self.out) or "fork" not in multiprocessing.get_all_start_methods():
            return (self.shard(info) for info in infos)
        return _forked_results(self, infos, workers)


def verify_output(
    out_dir: str | os.PathLike[str],
    *,
    check_schema: bool = True,
    check_example: CheckExample | None = None,
    max_problems: int = 1000,
    check_batch: CheckBatch | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Check an output directory completely and report every problem found (up to ``max_problems``).

    Checks: the manifest against its schema; the accounting balances and matches each format's shard counts; the
    sha256 and size of every other file the manifest lists (``files``: statistics, dead letters);
    no unlisted shard files; per shard, sha256/bytes/count/first and last key/counts by source and kind against
    the manifest, readable framing (tar members, TFRecord CRCs); per sample, exactly one image of the recorded
    format and one JSON member, valid against the example schema (``check_schema``); keys unique per format;
    and any caller check ``check_example(example) -> [problem messages]`` (e.g. action strings parse).

    ``workers`` > 1 reads the shards of a local output in that many forked processes (each shard whole in one);
    the report is the same as with one, problems in the same order. ``progress(n)`` is called with each shard's
    number of examples as it is done.

    Every example is checked. Examples are read in batches: one whose fields ``fast_check.certainly_valid`` vouches
    for (and, with ``check_example``, the caller's ``check_batch``) is not checked further; any other is made an
    ``Example`` and checked by the schema validator and ``check_example``, which word its problems.

    Returns:
        A :class:`VerifyReport`; never raises for problems in the data.
    """
    out = io.location(out_dir)
    try:
        manifest = load_manifest(out)
    except Rt2DataError as exc:
        return VerifyReport(ok=False, problems=[Problem(None, None, str(exc))])
    checker = _Checker(out, manifest, check_schema, check_example, max_problems, check_batch, workers, progress)
    checker.output()
    log.info("verified %s: %d shards, %d examples, %d problems", out, checker.shards_checked,
             checker.examples_checked, len(checker.problems))
    return VerifyReport(
        ok=not checker.problems,
        problems=checker.problems,
        shards_checked=checker.shards_checked,
        examples_checked=checker.examples_checked,
    )
