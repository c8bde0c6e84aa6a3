"""``rt2data mix`` as a Beam pipeline: robot examples + web captions/VQA -> one shuffled, sharded mixture.

Flow (portable transforms only: Create, FlatMap/Map, Filter, GroupByKey, combiners, side inputs)::

    Create(work items) -> Reshuffle -> read (SourceItem | DeadLetter elements, split by Filter)
    items -> duplicate keys: CombinePerKey(count, first location) -> winners (side input) -> dedupe
    usable -> Count per source -> make_plan (singleton side input: draws, epochs, positions)
    usable -> per (source, epoch, rank bucket) counts -> prefix sums (singleton side input)
    usable -> one element per (item, epoch) in a contributing bucket -> GroupByKey(bucket) -> sort by
              hash(seed, source, epoch, key) -> rank -> ordinal -> output position (plan) -> shard
           -> GroupByKey(shard) -> sort by position -> write_shard_at (every format)
    counts, dead-letter counts/samples, shard records -> small JSON files -> driver: manifest (accounting checked)

Nothing holds a whole source: a worker sorts one rank bucket (``output.rank_bucket_examples`` items) or one
output shard at a time. Every choice is a pure function of (seed, source, epoch, key), so the same inputs and
seed give byte-identical shards and manifest on any runner and any number of workers.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from math import ceil
from pathlib import Path
from typing import Any, Sequence

import apache_beam as beam

from rt2data.errors import DataError
from rt2data.mixplan import MixPlan, SourceRequest, make_plan, rank_hash
from rt2data.mixture import Mixture
from rt2data.web.dead_letters import DeadLetter
from rt2data.web.samples import SourceItem, WorkItem

__all__ = ["run_mix", "plan_work_items", "STAGING", "DEAD_LETTER_SAMPLES"]

log = logging.getLogger(__name__)

STAGING = ".mix-staging"
DEAD_LETTER_SAMPLES = 20


# ------------------------------------------------------------------------------------------ element functions
def _read(item: WorkItem, readers: dict[str, tuple]):
    from rt2data.web.sources import read_work_item

    kind, fmt, options, template = readers[item.source]
    yield from read_work_item(item, kind=kind, fmt=fmt, options=options, template=template)


def _is_item(x: Any) -> bool:
    return isinstance(x, SourceItem)


def _is_dead(x: Any) -> bool:
    return isinstance(x, DeadLetter)


def _dedupe(item: SourceItem, winners: dict):
    """Keep the first (by location) of several items with one key; dead-letter the others."""
    first = winners.get((item.source, item.key))
    if first is None or tuple(first) == tuple(item.location):
        yield item
    else:
        yield DeadLetter(source=item.source, key=item.raw_key, reason="duplicate_key",
                         detail=f"key {item.key!r} was already used by the sample at {tuple(first)} "
                                "(work item, sample)", where=f"work item {item.location[0]}, sample {item.location[1]}")


class _CountFirst(beam.CombineFn):
    """(count, smallest location) of a key's occurrences."""

    def create_accumulator(self):
        return (0, None)

    def add_input(self, acc, loc):
        loc = tuple(loc)
        return (acc[0] + 1, loc if acc[1] is None or loc < acc[1] else acc[1])

    def merge_accumulators(self, accs):
        n, best = 0, None
        for c, loc in accs:
            n += c
            if loc is not None and (best is None or loc < best):
                best = loc
        return (n, best)

    def extract_output(self, acc):
        return acc


def _plan(_, counts: list, requests: list[tuple[str, str, str]], output: dict) -> MixPlan:
    available = dict(counts)
    reqs = [SourceRequest(name=n, weight=w, policy=pol, available=available.get(n, 0)) for n, w, pol in requests]
    return make_plan(reqs, **output)


def _buckets(plan: MixPlan, source_index: int, bucket_examples: int) -> int:
    return max(1, ceil(plan.sources[source_index].available / bucket_examples))


def _bucket_of(plan: MixPlan, s: int, epoch: int, key: str, nb: int) -> tuple[int, int]:
    h = rank_hash(plan.seed, plan.sources[s].name, epoch, key)
    return h, (h * nb) >> 64


def _bucket_counts(item: SourceItem, plan: MixPlan, bucket_examples: int):
    s = plan.index_of(item.source)
    nb = _buckets(plan, s, bucket_examples)
    for e in range(plan.sources[s].epochs):
        yield (s, e, _bucket_of(plan, s, e, item.key, nb)[1]), 1


def _prefixes(_, plan: MixPlan, counts: list) -> dict[tuple[int, int, int], int]:
    """Items ranked before each (source, epoch, bucket); only buckets that contribute draws."""
    out: dict[tuple[int, int, int], int] = {}
    running: dict[tuple[int, int], int] = {}
    for (s, e, b), n in sorted(counts):
        before = running.get((s, e), 0)
        if before < plan.sources[s].needed(e):
            out[(s, e, b)] = before
        running[(s, e)] = before + n
    return out


def _uses(item: SourceItem, plan: MixPlan, prefixes: dict, bucket_examples: int):
    s = plan.index_of(item.source)
    nb = _buckets(plan, s, bucket_examples)
    for e in range(plan.sources[s].epochs):
        h, b = _bucket_of(plan, s, e, item.key, nb)
        if (s, e, b) in prefixes:
            yield (s, e, b), (h, item.key, item.example)


def _rank(group, plan: MixPlan, prefixes: dict):
    """Rank a bucket's items by (hash, key); place each used one at its output position."""
    (s, e, b), values = group
    src = plan.sources[s]
    need = src.needed(e)
    rank = prefixes[(s, e, b)]
    for h, key, example in sorted(values, key=lambda v: (v[0], v[1])):
        if rank >= need:
            break
        position = plan.position(s, e * src.available + rank)
        yield plan.shard_of(position), (position, example.replace(key=f"{key}-e{e}"))
        rank += 1


def _write_shard(group, plan: MixPlan, out_dir: str, formats: Sequence[str], prefix: str, done: dict[str, dict]):
    """Write one output shard (every format) from its placed examples; yields ShardInfo dicts."""
    from rt2data.shards import shard_name, write_shard_at

    shard, placed = group
    placed = sorted(placed, key=lambda pe: pe[0])
    start = shard * plan.shard_examples
    expected = list(range(start, min(plan.total, start + plan.shard_examples)))
    if [p for p, _ in placed] != expected:
        raise DataError(f"mix: shard {shard} received positions that do not tile it (internal error)")
    examples = [ex for _, ex in placed]
    for fmt in formats:
        name = shard_name(prefix, shard, fmt)
        if name in done:
            yield done[name]
            continue
        yield write_shard_at(out_dir, examples, index=shard, fmt=fmt, prefix=prefix).to_json_dict()


def _save(value, path: str) -> str:
    from rt2data.shards.files import atomic_write_bytes

    atomic_write_bytes(Path(path), json.dumps(value, sort_keys=True).encode("utf-8"))
    return path


def _stat_keys(x):
    if isinstance(x, DeadLetter):
        return [(("dead", x.source, x.reason), 1)]
    return [(("usable", x.source), 1), (("template", x.source, x.example.template_id), 1)]


# ---------------------------------------------------------------------------------------------- driver side
def plan_work_items(mixture: Mixture) -> tuple[list[WorkItem], dict[str, tuple]]:
    """Work items of every active source and the reader table ``{source: (kind, format, options, template)}``."""
    from rt2data.web.sources import plan_work

    work: list[WorkItem] = []
    readers: dict[str, tuple] = {}
    for spec in mixture.active_sources:
        items = plan_work(spec.name, spec.kind, spec.format, spec.options)
        log.info("source %s: %d work items", spec.name, len(items))
        work.extend(items)
        readers[spec.name] = (spec.kind, spec.format, spec.options, spec.template)
    return work, readers


def _unwrap(exc: BaseException) -> BaseException:
    """Beam wraps worker exceptions; find ours (by type in the chain, or by name in a remote traceback) and drop
    Beam's ``[while running 'Step']`` suffix."""
    import re

    from rt2data import errors

    def clean(text: str) -> str:
        return re.sub(r"\s*\[while running '[^']*'\]\s*$", "", text.splitlines()[0] if text else text)

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, errors.Rt2DataError):
            return type(seen)(clean(str(seen)))
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    for name in ("DataError", "ConfigError", "OutputError", "SchemaError"):
        marker = f"rt2data.errors.{name}: "
        if marker in text:
            return getattr(errors, name)(clean(text.split(marker, 1)[1]))
    return exc


def _build_graph(p, work, readers, mixture: Mixture, out: Path, staging: Path, done: dict, formats):
    from apache_beam.pvalue import AsDict, AsList, AsSingleton

    out_cfg = mixture.output
    bucket_examples = out_cfg.rank_bucket_examples
    requests = [(s.name, s.weight, s.policy(mixture.when_exhausted)) for s in mixture.active_sources]
    plan_args = dict(seed=mixture.seed, examples=out_cfg.examples, one_pass=out_cfg.one_pass,
                     block_size=out_cfg.block_size, shard_examples=out_cfg.shard_examples)
    saved = {n: os.fspath(staging / f"{n}.json") for n in ("counts", "stats", "samples", "shards")}

    read = p | "WorkItems" >> beam.Create(work, reshuffle=False) | "Spread" >> beam.Reshuffle() \
        | "Read" >> beam.FlatMap(_read, readers)
    items = read | "Items" >> beam.Filter(_is_item)
    read_dead = read | "ReadDead" >> beam.Filter(_is_dead)
    winners = (
        items
        | "KeyLocations" >> beam.Map(lambda it: ((it.source, it.key), it.location))
        | "CountKeys" >> beam.CombinePerKey(_CountFirst())
        | "Duplicated" >> beam.Filter(lambda kv: kv[1][0] > 1)
        | "Winner" >> beam.Map(lambda kv: (kv[0], kv[1][1]))
    )
    checked = items | "Dedupe" >> beam.FlatMap(_dedupe, AsDict(winners))
    usable = checked | "Usable" >> beam.Filter(_is_item)
    dead = (read_dead, checked | "DupDead" >> beam.Filter(_is_dead)) | "AllDead" >> beam.Flatten()

    counts = usable | "SourceOf" >> beam.Map(lambda it: it.source) | "CountSources" >> beam.combiners.Count.PerElement()
    sinks = [counts | "CountList" >> beam.combiners.ToList() | "SaveCounts" >> beam.Map(_save, saved["counts"])]
    plan = p | "PlanSeed" >> beam.Create([None]) | "Plan" >> beam.Map(_plan, AsList(counts), requests, plan_args)
    bucket_counts = (
        usable
        | "BucketKeys" >> beam.FlatMap(_bucket_counts, AsSingleton(plan), bucket_examples)
        | "BucketCounts" >> beam.CombinePerKey(sum)
    )
    prefixes = p | "PrefixSeed" >> beam.Create([None]) \
        | "Prefixes" >> beam.Map(_prefixes, AsSingleton(plan), AsList(bucket_counts))
    sinks.append(
        usable
        | "Uses" >> beam.FlatMap(_uses, AsSingleton(plan), AsSingleton(prefixes), bucket_examples)
        | "GroupBuckets" >> beam.GroupByKey()
        | "Rank" >> beam.FlatMap(_rank, AsSingleton(plan), AsSingleton(prefixes))
        | "GroupShards" >> beam.GroupByKey()
        | "Write" >> beam.FlatMap(_write_shard, AsSingleton(plan), os.fspath(out), tuple(formats), out_cfg.prefix, done)
        | "ShardList" >> beam.combiners.ToList()
        | "SaveShards" >> beam.Map(_save, saved["shards"])
    )
    sinks.append(
        (usable, dead) | "StatInputs" >> beam.Flatten()
        | "StatKeys" >> beam.FlatMap(_stat_keys)
        | "Stats" >> beam.CombinePerKey(sum)
        | "StatList" >> beam.combiners.ToList()
        | "SaveStats" >> beam.Map(_save, saved["stats"])
    )
    sinks.append(
        dead
        | "DeadKey" >> beam.Map(lambda d: ((d.source, d.reason), (d.where, d.key, d.detail)))
        | "DeadSamples" >> beam.combiners.Top.SmallestPerKey(DEAD_LETTER_SAMPLES)
        | "SampleList" >> beam.combiners.ToList()
        | "SaveSamples" >> beam.Map(_save, saved["samples"])
    )
    # One last transform downstream of every sink: Beam's DaskRunner computes only the graph's last transform.
    _ = tuple(sinks) | "Sinks" >> beam.Flatten() | "Done" >> beam.combiners.Count.Globally()
    return saved


def run_mix(
    mixture: Mixture,
    out_dir: str | os.PathLike[str],
    *,
    formats: Sequence[str] | None = None,
    overwrite: bool = False,
    resume: bool = False,
    runner: str | None = None,
    workers: int = 1,
    extra_args: Sequence[str] = (),
):
    """Build the mixture into ``out_dir`` and return the written ``Manifest``.

    Args:
        mixture: a validated mixture (``rt2data.mixture.load_mixture``).
        out_dir: output directory; refused when it holds an output unless ``overwrite`` or ``resume``.
        formats: override of ``output.formats``.
        overwrite: replace an existing output. resume: keep verified shards of an interrupted identical run.
        runner, workers, extra_args: Beam runner selection (``rt2data.pipelines.options``).

    Raises:
        ConfigError / DataError / OutputError: bad mixture, unusable sources, output directory conflicts.
    """
    import dataclasses

    from rt2data.mixaudit import build_manifest
    from rt2data.pipelines.options import make_pipeline_options
    from rt2data.shards import ShardInfo, config_fingerprint, finalize_output, prepare_output_dir

    if formats:
        mixture = dataclasses.replace(mixture, output=dataclasses.replace(mixture.output, formats=tuple(formats)))
    config = mixture.to_json_dict()
    fingerprint = config_fingerprint(config)
    work, readers = plan_work_items(mixture)
    out = Path(out_dir)
    if overwrite:
        shutil.rmtree(out / STAGING, ignore_errors=True)
    done = prepare_output_dir(out, overwrite=overwrite, resume=resume, config_fingerprint=fingerprint)
    staging = out / STAGING
    staging.mkdir(exist_ok=True)
    done_json = {name: info.to_json_dict() for name, info in done.items()}
    options = make_pipeline_options(runner=runner, workers=workers, extra_args=extra_args)
    beam_errors = logging.getLogger("apache_beam.runners.common")
    level = beam_errors.level
    beam_errors.setLevel(logging.CRITICAL)  # it logs every worker exception before re-raising it; we report it
    try:
        with beam.Pipeline(options=options) as p:
            saved = _build_graph(p, work, readers, mixture, out, staging, done_json, mixture.output.formats)
    except Exception as exc:
        ours = _unwrap(exc)
        if ours is not exc:
            raise ours from exc
        raise
    finally:
        beam_errors.setLevel(level)
    loaded = {k: json.loads(Path(v).read_text()) if Path(v).is_file() else [] for k, v in saved.items()}
    shard_infos = [ShardInfo.from_json_dict(d) for d in loaded["shards"]]
    manifest = build_manifest(mixture, config=config, fingerprint=fingerprint, counts=loaded["counts"],
                              stats=loaded["stats"], samples=loaded["samples"], shard_infos=shard_infos)
    finalize_output(out, manifest.all_shards(), manifest=manifest)
    shutil.rmtree(staging, ignore_errors=True)
    return manifest
