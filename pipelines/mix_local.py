"""The embedded engine of ``rt2data mix`` (the default): the two passes of ``rt2data.pipelines.mix``, without Beam.

Every input sample is read once; usable examples are spilled to disk, so no process holds the mixture::

    pass 1 (scan), one task per work item over --workers forked processes (rt2data.pipelines.local.map_items;
        web items first, as they cost the most per sample):
        read (rt2data.mix.records.read_records) -> each usable example as a record, the parts of its output bytes
        (its image already in the output's image format, its JSON split where the epoch suffix of the key goes;
        an image stored as read from a local file, a tar member or an image file, is left there: the record holds
        its span and the file's signature instead, rt2data.io.spans), appended with its raw key, location and
        where to the work item's spill file
        OUT/.mix-staging/spill/NNNNNN.spill (pickled tuples, append-only, not fsynced: it never outlives the run),
        and (key, template id, offset, length) to its index file NNNNNN.index; the dead letters go back to the driver
    driver: the index files in work order -> dedupe (the first location wins; the records of a duplicate and of its
        winner are read back for the dead letter) -> usable counts, duplicated keys and the read dead letters, saved
        as the same JSON files as the Beam scan, so ``run_mix`` plans exactly as after Beam
    driver: placement (rt2data.mix.placement.place) -> for every output position its item and epoch
    pass 2 (write), one task per run of consecutive output shards (about four runs per worker, of equal lengths; a
        shard's fsync overlaps the next one's work): read each shard's records from the spill files (in file and
        offset order; an image left in its file read from there, the file refused if its signature changed), give
        each its epoch key and write every format with ``run_mix``'s record writer: a WebDataset
        sample is the record's bytes behind two prebuilt tar headers, no ``Example`` rebuilt (rt2data.mix.records)
    driver: counts, dead letters by reason + samples, shard records -> the same JSON files as the Beam pipeline,
        and the image formats written (for the dataset card, so no tar is listed afterwards)

Memory: a worker holds one sample (pass 1) or one output shard (pass 2); the driver holds, per usable item, its key
in a dict and three integers (spill file, offset, length), plus 22 bytes per output position while placing, never
an image. Every choice is the library's pure function of (seed, source, epoch, key) that the Beam pipeline
applies, and a record encodes to the bytes the Beam pipeline's writer gives its example: shards and manifest are
the Beam pipeline's bytes, for any number of workers (tests/pipelines/test_mix_pipeline.py,
tests/mix/test_records.py). The spill directory is removed when the run ends, successfully or not; ``--resume``
keeps finished shards only. The spill needs about a kilobyte per usable example inside OUT while the run lasts, plus
the images that are not left in local files (converted to the output's format, held in Parquet cells, compressed tars,
TFRecord shards or object stores). Leaving an image in its file saves writing it once and keeping a copy in the page
cache: at 75,000 samples of 11 KB images, 0.9 s of a 6 s run on the development VM.
"""

from __future__ import annotations

import logging
import pickle
from array import array
from collections import defaultdict
from typing import Any, Callable, Mapping, Sequence

from rt2data import io
from rt2data.dead_letters import SampleDeadLetter
from rt2data.io.spans import Signature, SpanReader, signature
from rt2data.mix.elements import DEAD_LETTER_SAMPLES, duplicate_letter, stat_keys
from rt2data.mix.placement import place
from rt2data.mix.plan import MixPlan
from rt2data.mix.records import IMAGE as _IMAGE, read_records
from rt2data.pipelines.local import map_items
from rt2data.shards import shard_name
from rt2data.shards.files import Syncer, inside
from rt2data.web.samples import WorkItem

__all__ = ["LocalMix", "SPILL"]

log = logging.getLogger(__name__)

SPILL = "spill"
"""Sub-directory of the staging directory holding the spill files of a run."""
_SPILL_CHUNK = 1 << 20
"""A work item's spill is written in pieces of about this size (one write call per record cost 20 us each)."""


def _spill_name(n: int) -> str:
    return f"{n:06d}.spill"


def _index_name(n: int) -> str:
    return f"{n:06d}.index"


def _read_record(spill: str, n: int, offset: int, length: int) -> tuple:
    """One spilled ``(raw key, location, where, example)`` record."""
    with io.open_read(io.join(spill, _spill_name(n))) as f:
        f.seek(offset)
        return pickle.loads(f.read(length))


class _ScanFn:
    """Pass 1 for one ``(n, WorkItem)``: spill its usable examples, return their metadata and the dead letters."""

    def __init__(self, readers: Mapping[str, tuple], tokenizer: str | None, spill: str, image_format: str) -> None:
        self.readers, self.tokenizer, self.spill, self.image_format = readers, tokenizer, spill, image_format

    def __call__(self, job: tuple[int, WorkItem]) -> list[SampleDeadLetter]:
        """Spill ``(raw key, location, where, record)`` (``rt2data.mix.records``) to ``NNNNNN.spill`` and their
        index ``(key, template id, offset, length)`` to ``NNNNNN.index`` (read back by the driver one work item at
        a time, so the driver never holds the metadata of every item at once); returns the dead letters. The spill
        is not fsynced: it never outlives the run."""
        n, work_item = job
        path = io.join(self.spill, _spill_name(n))
        index: list[tuple[str, str, int, int]] = []
        dead: list[SampleDeadLetter] = []
        offset = written = 0
        pending: list[bytes] = []  # the records not yet written (see _SPILL_CHUNK)
        dumps, highest = pickle.dumps, pickle.HIGHEST_PROTOCOL
        signatures: dict[str, Signature] = {}  # of the local files images are left in
        f = io.open_write(path)
        try:
            for x in read_records(work_item, self.readers, image_format=self.image_format, tokenizer=self.tokenizer):
                if type(x) is SampleDeadLetter:
                    dead.append(x)
                    continue
                raw_key, location, where, record, image_at = x
                if image_at is not None:  # the image stays where it was read; pass 2 reads it from there
                    file = image_at.path
                    sig = signatures.get(file)
                    if sig is None:
                        sig = signatures[file] = signature(file)
                    record = (*record[:_IMAGE], (*image_at, *sig), *record[_IMAGE + 1:])  # plain: cheap to pickle
                data = dumps((raw_key, location, where, record), protocol=highest)
                pending.append(data)
                index.append((record[0], record[3], offset, len(data)))
                offset += len(data)
                if offset - written >= _SPILL_CHUNK:
                    f.write(b"".join(pending))
                    pending.clear()
                    written = offset
            if pending:
                f.write(b"".join(pending))
        except BaseException:
            f.close()
            raise
        io.close_writer(f, path)
        io.write_bytes(io.join(self.spill, _index_name(n)), pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
        return dead


class _ShardFn:
    """Pass 2 for a run of output shards: ``[(shard, [(position, spill file, offset, length, epoch), ...], all done),
    ...]`` -> per shard, its records of every format and the image formats written (``write``: ``run_mix``'s writer
    of one placed shard of records). The shards share one ``Syncer``: a shard's fsync and rename overlap the next
    shard's encoding; every shard is durable when the call returns. They share one ``SpanReader`` too: each input
    file an image is left in is opened (and checked) once per run of shards, not once per shard."""

    def __init__(self, spill: str, write: Callable[..., Any], image_format: str) -> None:
        self.spill, self.write, self.image_format = spill, write, image_format

    def __call__(self, tasks: list[tuple[int, list[tuple[int, int, int, int, int]], bool]]
                 ) -> list[tuple[list[dict], list[str] | None]]:
        with Syncer() as syncer, SpanReader() as images:  # (the run's shards read images from the same files)
            return [self._shard(task, syncer, images) for task in tasks]

    def _shard(self, task: tuple[int, list[tuple[int, int, int, int, int]], bool], syncer: Syncer,
               images: SpanReader) -> tuple[list[dict], list[str] | None]:
        """The shard records, and the image formats of the shard's examples as written (None: a resumed shard,
        not read)."""
        shard, refs, all_done = task
        if all_done:  # resumed: every format of this shard is finished, nothing to read
            return list(self.write((shard, [(p, None, 0) for p, *_ in refs]), syncer=syncer)), None
        placed = []
        handle, handle_n = None, -1
        loads = pickle.loads
        try:
            for position, n, offset, length, epoch in sorted(refs, key=lambda r: (r[1], r[2])):
                if n != handle_n:
                    if handle is not None:
                        handle.close()
                    handle, handle_n = io.open_read(io.join(self.spill, _spill_name(n))), n
                handle.seek(offset)
                record = loads(handle.read(length))[3]
                at = record[_IMAGE]
                if type(at) is tuple:  # (FileSpan, Signature) fields: left in its file when spilled (_ScanFn)
                    record = (*record[:_IMAGE], images.read(at[:3], at[3:]), *record[_IMAGE + 1:])
                placed.append((position, record, epoch))
        finally:
            if handle is not None:
                handle.close()
        records = list(self.write((shard, placed), syncer=syncer))
        if self.image_format != "keep":  # every image is written in it (the writer converts, or fails the run)
            return records, [self.image_format]
        return records, sorted({record[4] for _, record, _ in placed})


def _runs(tasks: list, count: int) -> list[list]:
    """``tasks`` cut into at most ``count`` runs of consecutive tasks whose lengths differ by at most one (about four
    runs per worker: fewer waits for a last fsync; equal lengths, so no worker is left with a longer last run while
    the others wait: 50 shards in runs of 7 gave one worker 28 and the other 22)."""
    count = max(1, min(count, len(tasks)))
    size, extra = divmod(len(tasks), count)
    bounds = [i * size + min(i, extra) for i in range(count + 1)]
    return [tasks[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


class LocalMix:
    """The two passes of one mix run on this machine; ``scan`` then ``mix`` (see the module docstring).

    Args:
        work: the work items of every source (``rt2data.pipelines.mix.plan_work_items``), in source order.
        readers: ``{source: (kind, format, options, template)}``.
        staging: the run's staging directory inside OUT (the spill directory goes under it).
        image_format: ``output.image_format`` (images are stored in it once, when spilled).
        tokenizer: the tokenizer file of ``--tokenizer``, or None.
        workers: worker processes (``--workers``).
        initializer: called in each worker process first (``RunnerOptions.configure_io``).
    """

    def __init__(self, work: Sequence[WorkItem], readers: Mapping[str, tuple], *, staging: Any, image_format: str,
                 tokenizer: str | None = None, workers: int = 1,
                 initializer: Callable[[], None] | None = None) -> None:
        self.work, self.readers, self.image_format = list(work), dict(readers), image_format
        self.tokenizer, self.workers, self.initializer = tokenizer, workers, initializer
        self.spill = inside(staging, SPILL, what="spill directory")
        # per source, in location order: {usable key: item index}, and the item's (spill file, offset, length)
        self.keys: dict[str, dict[str, int]] = {}
        self.refs: dict[str, tuple[array, array, array]] = {}
        self.templates: dict[str, dict[str, int]] = {}
        self.dead: list[SampleDeadLetter] = []

    # -------------------------------------------------------------------------------------------- pass 1
    def scan(self, saved: Mapping[str, str], *, save: Callable[[Any, str], Any]) -> None:
        """Read every work item once, spill its usable examples; save counts, duplicates and read dead letters."""
        self.discard()
        io.makedirs(self.spill)
        fn = _ScanFn(self.readers, self.tokenizer, str(self.spill), self.image_format)
        # Web items first: each of their samples has its image decoded to be verified (about three times the work of
        # a converted robot sample), so the pool ends on short items, not with one worker busy on a long one while
        # the other waits. Results are put back in work order: nothing downstream sees the running order.
        jobs = sorted(enumerate(self.work), key=lambda job: self.readers[job[1].source][0] == "examples")
        try:
            done = dict(zip((n for n, _ in jobs), map_items(fn, jobs, workers=self.workers,
                                                            initializer=self.initializer)))
            read_dead = [d for n in range(len(self.work)) for d in done[n]]
            duplicated = self._dedupe()
        except BaseException:
            self.discard()
            raise
        self.dead[:0] = read_dead
        save([[s, len(k)] for s, k in self.keys.items() if k], saved["counts"])
        save([[list(k), [list(v[0]), v[1]]] for k, v in duplicated.items()], saved["duplicates"])
        per_reason: dict[tuple[str, str], list] = defaultdict(list)
        for d in read_dead:
            per_reason[(d.source, d.reason)].append(((d.where, d.key), d.detail))
        save([[list(k), [len(v), min(v)]] for k, v in sorted(per_reason.items())], saved["scan_dead"])

    def _dedupe(self) -> dict[tuple[str, str], tuple]:
        """Usable keys in location order (work items in order, samples in read order: the first one seen wins);
        duplicates dead-lettered. Returns ``{(source, key): (location, where)}`` of the winners of duplicated keys."""
        duplicated: dict[tuple[str, str], tuple] = {}
        for n, work_item in enumerate(self.work):
            source = work_item.source
            keys = self.keys.setdefault(source, {})
            refs = self.refs.setdefault(source, (array("q"), array("q"), array("q")))
            templates = self.templates.setdefault(source, {})
            index = pickle.loads(io.read_bytes(io.join(self.spill, _index_name(n))))
            for key, template_id, offset, length in index:
                first = keys.get(key)
                if first is not None:  # rare: the records of both are read back for the dead letter
                    if (source, key) not in duplicated:
                        _, location, where, _ = _read_record(self.spill, *(r[first] for r in refs))
                        duplicated[(source, key)] = (location, where)
                    raw_key, location, where, _ = _read_record(self.spill, n, offset, length)
                    self.dead.append(duplicate_letter(source=source, raw_key=raw_key, key=key, location=location,
                                                      where=where, first_where=duplicated[(source, key)][1]))
                    continue
                keys[key] = len(keys)
                for r, v in zip(refs, (n, offset, length)):
                    r.append(v)
                templates[template_id] = templates.get(template_id, 0) + 1
        return duplicated

    # -------------------------------------------------------------------------------------------- pass 2
    def mix(self, plan: MixPlan, saved: Mapping[str, str], *, save: Callable[[Any, str], Any],
            write: Callable[[tuple], Any], formats: Sequence[str], prefix: str, done: Mapping[str, Any]) -> None:
        """Write every output shard of ``plan`` from the spill; save counts, dead-letter samples and shard records.

        Args:
            write: writes one placed shard ``(shard, [(position, record, epoch), ...])`` in every format and yields
                the shard records (``run_mix``'s record writer; records are None for a shard whose formats are all
                done).
            formats, prefix: the output's formats and shard name prefix.
            done: ``{name: shard record}`` finished by an interrupted run.
        """
        try:
            self._mix(plan, saved, save=save, write=write, formats=formats, prefix=prefix, done=done)
        finally:
            self.discard()

    def _mix(self, plan, saved, *, save, write, formats, prefix, done) -> None:
        placement = place(plan, {name: list(keys) for name, keys in self.keys.items()})
        refs = [self.refs.get(s.name, (array("q"),) * 3) for s in plan.sources]
        tasks = []
        for shard in range(plan.num_shards):
            start, stop = shard * plan.shard_examples, min(plan.total, (shard + 1) * plan.shard_examples)
            rows = []
            for position in range(start, stop):
                ns, offsets, lengths = refs[placement.source[position]]
                i = placement.item[position]
                rows.append((position, ns[i], offsets[i], lengths[i], int(placement.epoch[position])))
            tasks.append((shard, rows, all(shard_name(prefix, shard, fmt) in done for fmt in formats)))
        runs = _runs(tasks, 4 * self.workers)
        fn = _ShardFn(str(self.spill), write, self.image_format)
        results = [r for run in map_items(fn, runs, workers=self.workers, initializer=self.initializer) for r in run]
        save([r for shard_records, _ in results for r in shard_records], saved["shards"])
        image_formats = [f for _, formats in results for f in formats or ()]
        # the dataset card's image formats, unless a resumed shard was not read (its tar headers are listed then)
        save(None if any(formats is None for _, formats in results) else sorted(set(image_formats)),
             saved["image_formats"])

        stats: dict[tuple, int] = {}
        for source, keys in self.keys.items():
            if keys:
                stats[("usable", source)] = len(keys)
            for template_id, n in self.templates[source].items():
                stats[("template", source, template_id)] = n
        samples: dict[tuple[str, str], list] = defaultdict(list)
        for d in self.dead:
            for key, n in stat_keys(d):
                stats[key] = stats.get(key, 0) + n
            samples[(d.source, d.reason)].append((d.where, d.key, d.detail))
        save([[list(k), n] for k, n in stats.items()], saved["stats"])
        save([[list(k), sorted(rows)[:DEAD_LETTER_SAMPLES]] for k, rows in sorted(samples.items())], saved["samples"])

    def discard(self) -> None:
        """Remove the spill directory (it never outlives a run); on an object store every object under its prefix
        (a prefix is no object: ``io.exists`` would say it is not there)."""
        io.delete_tree(self.spill)
