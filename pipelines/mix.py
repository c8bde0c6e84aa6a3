"""``rt2data mix``: robot examples + web captions/VQA -> one shuffled, sharded mixture, on either of two engines.

``run_mix`` is the driver of both: it prepares OUT and its staging directory, runs pass 1, plans (``make_plan`` on
the usable counts; a bad plan fails here, clearly), runs pass 2, then writes the manifest (requested vs realized per
source and shard, repeats, dead letters; accounting) and publishes the shards. The passes run on

- the embedded engine (the default: no ``--runner``, or ``--runner local``), ``rt2data.pipelines.mix_local``: no
  Beam; every sample is read once by ``--workers`` forked processes and its usable example spilled inside
  ``OUT/.mix-staging/``; the placement of every draw is computed on the driver; one task per run of consecutive
  output shards reads their examples back and writes them. Memory: one sample or one output shard per worker,
  small metadata per item on the driver;
- Beam, for any runner named with ``--runner`` (``FnApiRunner``, ``DaskRunner``, Dataflow, Flink, Spark)::

    pass 1 (scan):  Create(work items) -> Reshuffle -> read -> items (key, location only)
                    -> CombinePerKey(count, first location) -> usable count per source + duplicated keys
    driver:         make_plan(counts) -> MixPlan (draws, epochs, positions)
    pass 2 (mix):   read again -> dedupe (duplicated keys: first location wins) -> usable items
                    usable -> per (source, epoch, rank bucket) counts -> prefix sums -> one element per bucket
                    usable -> one element per (item, epoch), keyed by its rank bucket
                    both -> GroupByKey(bucket) -> sort by hash(seed, source, epoch, key) -> rank -> ordinal
                         -> output position (plan) -> GroupByKey(shard) -> sort -> write_shard_at (every format)
                    counts, dead letters by reason (+ samples), shard records -> small JSON files

Both engines apply the same library functions (``rt2data.mix.elements``: reading, dedupe, counters, image format;
``rt2data.mix.plan`` / ``order``: every choice a pure function of (seed, source, epoch, key); ``rt2data.shards``),
save the same small JSON results and write shards through ``_write_shard`` here (the embedded engine through
``_write_record_shard``: its spill records, ``rt2data.mix.records``, encode to the bytes of the examples they hold), so
the same inputs and seed give byte-identical shards and manifest on either engine, any runner and any number of
workers (tested).

Beam runner portability: only Create, FlatMap/Map, Filter, Flatten, GroupByKey and combiners; no side inputs (the
plan and the duplicated keys travel as constants) and a final transform downstream of every sink. Measured with
Beam 2.77: DaskRunner computes only the graph's last transform, and its side inputs can see upstream elements
multiplied; this layout avoids both. Nothing holds a whole source: a worker sorts one rank bucket
(``output.rank_bucket_examples`` items) or one shard at a time. The inputs must not change between the two
passes. Cost: the inputs are read twice, and every usable item is shuffled once per epoch it can be drawn in (also
the unused tail of a partial last epoch, pruned after grouping). Beam is imported only when a Beam runner is named.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
from math import ceil
from pathlib import Path
from typing import Any, Sequence

from rt2data import io
from rt2data.codec.pretokenize import tokenizer_record
from rt2data.codec.tokenizers import load_tokenizer
from rt2data.errors import DataError
from rt2data.mix.elements import DEAD_LETTER_SAMPLES
from rt2data.mix.elements import dedupe as _dedupe
from rt2data.mix.elements import epoch_key
from rt2data.mix.elements import read_samples as _read
from rt2data.mix.elements import stat_keys as _stat_keys
from rt2data.mix.elements import stored as _stored
from rt2data.mix.plan import MixPlan, rank_hash
from rt2data.mix.records import encode_record
from rt2data.mix.config import Mixture
from rt2data.dead_letters import SampleDeadLetter
from rt2data.web.samples import SourceItem, WorkItem
from rt2data.pipelines.local import is_local
from rt2data.pipelines.mix_local import LocalMix
from rt2data.mix.audit import build_manifest, plan_for_counts
from rt2data.pipelines.progress import FileProgress, count_files
from rt2data.pipelines.runner import RunnerOptions, run_pipeline
from rt2data.shards import ShardInfo, config_fingerprint, finalize_output
from rt2data.shards import shard_name, write_shard_at
from rt2data.shards.files import Syncer, atomic_write_bytes
from rt2data.shards.formats import EXTENSIONS
from rt2data.shards.writer import ShardWriter
from rt2data.shards.staging import discard_staging, open_staging, prepare_staged_run, publish_staged
from rt2data.web.sources import plan_work

__all__ = ["run_mix", "plan_work_items", "STAGING", "DEAD_LETTER_SAMPLES"]

log = logging.getLogger(__name__)

STAGING = ".mix-staging"


# ------------------------------------------------------------------------------------------ element functions
def _is_item(x: Any) -> bool:
    return isinstance(x, SourceItem)


def _is_dead(x: Any) -> bool:
    return isinstance(x, SampleDeadLetter)


def _buckets(plan: MixPlan, s: int, bucket_examples: int) -> int:
    return max(1, ceil(plan.sources[s].available / bucket_examples))


def _epoch_buckets(item: SourceItem, plan: MixPlan, bucket_examples: int):
    """((source, epoch, bucket), hash) for every epoch the item's source is drawn in."""
    s = plan.index_of(item.source)
    nb = _buckets(plan, s, bucket_examples)
    for e in range(plan.sources[s].epochs):
        h = rank_hash(plan.seed, plan.sources[s].name, e, item.key)
        yield (s, e, (h * nb) >> 64), h


def _prefix_elements(counts: list, plan: MixPlan):
    """One ``((s, e, b), ("prefix", n_before))`` element per bucket that contributes draws."""
    running: dict[tuple[int, int], int] = {}
    for (s, e, b), n in sorted(counts):
        before = running.get((s, e), 0)
        if before < plan.sources[s].needed(e):
            yield (s, e, b), ("prefix", before)
        running[(s, e)] = before + n


def _rank(group, plan: MixPlan):
    """Rank a bucket's items by (hash, key) after the items of earlier buckets; place the used ones."""
    (s, e, b), values = group
    prefix, uses = None, []
    for v in values:
        if v[0] == "prefix":
            prefix = v[1]
        else:
            uses.append(v[1:])
    if prefix is None:  # the bucket lies past the draws of this epoch
        return
    src = plan.sources[s]
    need = src.needed(e)
    rank = prefix
    for h, key, example in sorted(uses, key=lambda v: (v[0], v[1])):
        if rank >= need:
            break
        position = plan.position(s, e * src.available + rank)
        yield plan.shard_of(position), (position, example.replace(key=epoch_key(key, e)))
        rank += 1


def _tiling(shard: int, placed, plan: MixPlan) -> list:
    """The placed items ``(position, ...)`` of one output shard in position order, checked to fill exactly its
    positions."""
    placed = sorted(placed, key=lambda pe: pe[0])
    start = shard * plan.shard_examples
    if [pe[0] for pe in placed] != list(range(start, min(plan.total, start + plan.shard_examples))):
        raise DataError(f"mix: shard {shard} received positions that do not tile it (internal error)")
    return placed


def _write_shard(group, plan: MixPlan, out_dir: str, formats: Sequence[str], prefix: str, done: dict[str, dict],
                 image_format: str = "keep"):
    """Write one output shard (every format) from its placed examples; yields ShardInfo dicts."""

    shard, placed = group
    placed = _tiling(shard, placed, plan)
    examples = [ex for _, ex in placed]
    if any(name not in done for name in (shard_name(prefix, shard, fmt) for fmt in formats)):
        examples = [_stored(ex, image_format) for ex in examples]
    for fmt in formats:
        name = shard_name(prefix, shard, fmt)
        if name in done:
            yield done[name]
            continue
        yield write_shard_at(out_dir, examples, index=shard, fmt=fmt, prefix=prefix).to_json_dict()


def _write_record_shard(group, plan: MixPlan, out_dir: str, formats: Sequence[str], prefix: str,
                        done: dict[str, dict], image_format: str = "keep", *, syncer: Syncer | None = None
                        ) -> list[dict]:
    """``_write_shard`` for the embedded engine: one output shard from its placed spill records
    ``(position, record, epoch)`` (``rt2data.mix.records``), the same bytes; returns the ShardInfo dicts.

    ``syncer``: the caller's (its ``wait`` makes the shard durable); None: the shard's own, waited for here."""
    if syncer is None:
        with Syncer() as own:  # bytes hashed and written, and fsyncs, beside the encoding; all durable on leaving
            return _write_record_shard(group, plan, out_dir, formats, prefix, done, image_format, syncer=own)
    shard, placed = group
    placed = _tiling(shard, placed, plan)
    infos = []
    for fmt in formats:
        name = shard_name(prefix, shard, fmt)
        if name in done:
            infos.append(done[name])
            continue
        with ShardWriter(out_dir, name, fmt=fmt, syncer=syncer) as writer:
            for _, record, epoch in placed:
                key, data = encode_record(record, epoch, fmt, image_format)
                writer.add_encoded(data, key=key, source=record[1], kind=record[2])
            infos.append(writer.close().to_json_dict())
    return infos


def _save(value, path: str) -> str:
    """Write a small JSON result where the driver picks it up (``path`` in the staging directory, maybe a URL)."""
    atomic_write_bytes(io.location(path), json.dumps(value, sort_keys=True).encode("utf-8"))
    return path


def _finish(sinks: list) -> None:
    import apache_beam as beam

    # One last transform downstream of every sink: Beam's DaskRunner computes only the graph's last transform.
    _ = tuple(sinks) | "Sinks" >> beam.Flatten() | "Done" >> beam.combiners.Count.Globally()


def _read_items(p, work, readers, tokenizer: str | None = None):
    import apache_beam as beam

    read = (p | "WorkItems" >> beam.Create(work, reshuffle=False) | "Spread" >> beam.Reshuffle()
            | "Read" >> beam.FlatMap(_read, readers, tokenizer))
    return read | "Items" >> beam.Filter(_is_item), read | "ReadDead" >> beam.Filter(_is_dead)


# ---------------------------------------------------------------------------------------------- the two passes
def _scan_graph(p, work, readers, saved: dict[str, str], tokenizer: str | None = None) -> None:
    """Pass 1: usable items per source, the duplicated keys (with their first location), and dead letters per
    (source, reason) with the first one (to explain a source without usable items before pass 2)."""
    import apache_beam as beam  # Beam only for a Beam runner: the embedded engine's start-up stays light

    from rt2data.pipelines.transforms import CountFirst  # light: a Beam module, imported for a Beam runner only

    items, read_dead = _read_items(p, work, readers, tokenizer)
    per_key = (items | "KeyLocations" >> beam.Map(lambda it: ((it.source, it.key), (it.location, it.where)))
               | "CountKeys" >> beam.CombinePerKey(CountFirst()))
    counts = (per_key | "KeySource" >> beam.Map(lambda kv: kv[0][0]) | "CountSources" >> beam.combiners.Count.PerElement()
              | "CountList" >> beam.combiners.ToList() | "SaveCounts" >> beam.Map(_save, saved["counts"]))
    dups = (per_key | "Duplicated" >> beam.Filter(lambda kv: kv[1][0] > 1)
            | "Winner" >> beam.Map(lambda kv: [list(kv[0]), list(kv[1][1])])
            | "DupList" >> beam.combiners.ToList() | "SaveDups" >> beam.Map(_save, saved["duplicates"]))
    dead = (read_dead | "DeadFirst" >> beam.Map(lambda d: ((d.source, d.reason), ((d.where, d.key), d.detail)))
            | "CountDead" >> beam.CombinePerKey(CountFirst())
            | "DeadList" >> beam.combiners.ToList() | "SaveDead" >> beam.Map(_save, saved["scan_dead"]))
    _finish([counts, dups, dead])


def _mix_graph(p, work, readers, plan: MixPlan, winners: dict, mixture: Mixture, out: Any, saved: dict[str, str],
               done: dict, formats: Sequence[str], tokenizer: str | None = None) -> None:
    """Pass 2: dedupe, rank per bucket, place, write shards; save stats and shard records."""
    import apache_beam as beam

    bucket_examples = mixture.output.rank_bucket_examples
    items, read_dead = _read_items(p, work, readers, tokenizer)
    checked = items | "Dedupe" >> beam.FlatMap(_dedupe, winners)
    usable = checked | "Usable" >> beam.Filter(_is_item)
    dead = (read_dead, checked | "DupDead" >> beam.Filter(_is_dead)) | "AllDead" >> beam.Flatten()

    keyed = usable | "EpochBuckets" >> beam.FlatMap(
        lambda it: (((k, (h, it.key, it.example)) for k, h in _epoch_buckets(it, plan, bucket_examples))))
    prefixes = (keyed | "BucketOnes" >> beam.Map(lambda kv: (kv[0], 1)) | "BucketCounts" >> beam.CombinePerKey(sum)
                | "BucketList" >> beam.combiners.ToList() | "Prefixes" >> beam.FlatMap(_prefix_elements, plan))
    uses = keyed | "UseValues" >> beam.Map(lambda kv: (kv[0], ("use", *kv[1])))
    sinks = [
        (prefixes, uses) | "BucketInputs" >> beam.Flatten()
        | "GroupBuckets" >> beam.GroupByKey()
        | "Rank" >> beam.FlatMap(_rank, plan)
        | "GroupShards" >> beam.GroupByKey()
        | "Write" >> beam.FlatMap(_write_shard, plan, os.fspath(out), tuple(formats), mixture.output.prefix, done,
                                  mixture.output.image_format)
        | "ShardList" >> beam.combiners.ToList()
        | "SaveShards" >> beam.Map(_save, saved["shards"]),
        (usable, dead) | "StatInputs" >> beam.Flatten()
        | "StatKeys" >> beam.FlatMap(_stat_keys)
        | "Stats" >> beam.CombinePerKey(sum)
        | "StatList" >> beam.combiners.ToList()
        | "SaveStats" >> beam.Map(_save, saved["stats"]),
        dead
        | "DeadKey" >> beam.Map(lambda d: ((d.source, d.reason), (d.where, d.key, d.detail)))
        | "DeadSamples" >> beam.combiners.Top.SmallestPerKey(DEAD_LETTER_SAMPLES)
        | "SampleList" >> beam.combiners.ToList()
        | "SaveSamples" >> beam.Map(_save, saved["samples"]),
    ]
    _finish(sinks)


# ---------------------------------------------------------------------------------------------- driver side
def plan_work_items(mixture: Mixture) -> tuple[list[WorkItem], dict[str, tuple]]:
    """Work items of every active source and the reader table ``{source: (kind, format, options, template)}``."""

    work: list[WorkItem] = []
    readers: dict[str, tuple] = {}
    for spec in mixture.active_sources:
        items = plan_work(spec.name, spec.kind, spec.format, spec.options)
        log.info("source %s: %d work items", spec.name, len(items))
        work.extend(items)
        readers[spec.name] = (spec.kind, spec.format, spec.options, spec.template)
    return work, readers


def _explain_empty_sources(exc: Exception, counts: dict[str, int], dead: list) -> None:
    """Notes on ``exc``: the dead letters (count and first example per reason) of every source with no usable item;
    the run stops before a manifest is written, so this is where the user sees them."""
    for (source, reason), (n, first) in sorted((tuple(k), v) for k, v in dead):
        if counts.get(source, 0) == 0:
            (where, _key), detail = first
            exc.add_note(f"source {source!r}: {n} dead letter(s) '{reason}', e.g. {where}: {detail}")


def _load(path: str) -> Any:
    return json.loads(io.read_bytes(path)) if io.is_file(path) else []


def run_mix(
    mixture: Mixture,
    out_dir: str | os.PathLike[str],
    *,
    formats: Sequence[str] | None = None,
    image_format: str | None = None,
    overwrite: bool = False,
    resume: bool = False,
    runner_options: RunnerOptions | None = None,
    progress: bool = False,
    tokenizer: str | os.PathLike[str] | None = None,
):
    """Build the mixture into ``out_dir`` and return the written ``Manifest``.

    Args:
        mixture: a validated mixture (``rt2data.mix.config.load_mixture``).
        out_dir: output directory; refused when it holds an output unless ``overwrite`` or ``resume``.
        formats: override of ``output.formats``.
        image_format: override of ``output.image_format`` (``jpg`` | ``png`` | ``keep``, see ``rt2data.images``).
        overwrite: replace an existing output. resume: keep verified shards of an interrupted identical run.
        runner_options: where the pipelines run (``rt2data.pipelines.runner.RunnerOptions``; default embedded).
        progress: show a progress bar (shards written) on stderr.
        tokenizer: a real tokenizer file: every example gets ``input_ids`` and ``labels``
            (``rt2data.codec.pretokenize``); recorded in the manifest's config.

    Raises:
        ConfigError / DataError / OutputError: bad mixture, unusable sources, output directory conflicts.
    """


    if runner_options is not None:
        runner_options.configure_io()  # sources may be URLs (read on the driver for planning, then by workers)
    if formats:
        mixture = dataclasses.replace(mixture, output=dataclasses.replace(mixture.output, formats=tuple(formats)))
    if image_format:
        mixture = dataclasses.replace(mixture, output=dataclasses.replace(mixture.output, image_format=image_format))
    config = mixture.to_json_dict()
    if tokenizer is not None:
        tokenizer = os.fspath(Path(tokenizer).resolve())
        config["tokenizer"] = tokenizer_record(load_tokenizer(tokenizer))
    fingerprint = config_fingerprint(config)
    work, readers = plan_work_items(mixture)
    out = io.location(io.absolute(out_dir))  # workers may run in another directory; a URL stays a string
    existed = io.exists(out)
    finished = prepare_staged_run(out, staging=STAGING, overwrite=overwrite, resume=resume,
                                  config_fingerprint=fingerprint, what="mixing")
    if finished is not None:
        return finished
    # Shards are written under their final names into OUT/.mix-staging (with its own progress ledger) and moved
    # (on an object store: copied) into OUT only when the whole run succeeded, manifest.json last: an interrupted
    # run leaves no shard a reader could mistake.
    staging, done = open_staging(out, STAGING, config_fingerprint=fingerprint, ledger=True)
    saved = {n: io.join(staging, f"{n}.json") for n in ("counts", "duplicates", "scan_dead", "stats", "samples",
                                                          "shards", "image_formats")}

    engine = None  # the embedded engine (rt2data.pipelines.mix_local) unless a Beam runner is named
    if is_local(runner_options.runner if runner_options is not None else None):
        engine = LocalMix(work, readers, staging=staging, image_format=mixture.output.image_format,
                          tokenizer=tokenizer, workers=runner_options.workers if runner_options else 1,
                          initializer=runner_options.configure_io if runner_options else None)
    try:
        if engine is not None:
            engine.scan(saved, save=_save)
        else:
            run_pipeline(lambda p: _scan_graph(p, work, readers, saved, tokenizer), runner_options)
        counts = dict(_load(saved["counts"]))
        winners = {tuple(k): (tuple(first[0]), first[1]) for k, first in _load(saved["duplicates"])}
        try:
            plan = plan_for_counts(mixture, counts)
        except DataError as exc:
            _explain_empty_sources(exc, counts, _load(saved["scan_dead"]))
            raise
    except Exception:
        if engine is not None:
            engine.discard()
        if not done:  # nothing was written yet: leave no trace, so a corrected mixture runs without --overwrite
            discard_staging(out, STAGING, remove_out=not existed)
        raise
    log.info("plan: %d examples in %d shards; draws %s", plan.total, plan.num_shards,
             {s.name: s.draws for s in plan.sources})
    done_json = {name: info.to_json_dict() for name, info in done.items()}
    first_format = mixture.output.formats[0]
    written = count_files(staging, f"{mixture.output.prefix}-*.{EXTENSIONS[first_format]}")
    with FileProgress(written, total=plan.num_shards, desc="mix", unit="shard", enabled=progress):
        if engine is not None:
            write = functools.partial(_write_record_shard, plan=plan, out_dir=os.fspath(staging),
                                      formats=tuple(mixture.output.formats), prefix=mixture.output.prefix,
                                      done=done_json, image_format=mixture.output.image_format)
            engine.mix(plan, saved, save=_save, write=write, formats=mixture.output.formats,
                       prefix=mixture.output.prefix, done=done_json)
        else:
            run_pipeline(lambda p: _mix_graph(p, work, readers, plan, winners, mixture, staging, saved, done_json,
                                              mixture.output.formats, tokenizer), runner_options)

    shard_infos = [ShardInfo.from_json_dict(d) for d in _load(saved["shards"])]
    manifest = build_manifest(mixture, config=config, fingerprint=fingerprint, counts=list(counts.items()),
                              stats=_load(saved["stats"]), samples=_load(saved["samples"]), shard_infos=shard_infos)
    # the embedded engine says which image formats it wrote; after Beam the dataset card lists them from the tars
    image_formats = _load(saved["image_formats"]) if engine is not None and io.is_file(saved["image_formats"]) else None
    finalize_output(staging, manifest.all_shards())  # temps dropped, every shard present with its size
    publish_staged(out, staging, manifest.all_shards(), manifest=manifest, image_formats=image_formats)
    return manifest
