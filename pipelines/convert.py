"""``rt2data convert`` as a Beam pipeline: RLDS shards -> examples -> sharded WebDataset / TFRecord + manifest.

Flow (every step a library function; the pipeline only distributes input shards)::

    Create(input shard refs) -> Reshuffle -> per input shard, streaming, one episode at a time:
        read + standardize(spec) -> convert_episode(codec, template) -> write parts of every format into .staging/
        -> (parts, accounting, dead letters) of the shard: small
    ToList -> driver: rename parts to PREFIX-%06d.EXT in input order, write manifest.json and dead_letters.jsonl

No example (image bytes) ever crosses a shuffle, so memory stays flat as data grows, on the embedded runner as on a
cluster. Output order is input order (input shard, record, step). Each input shard is cut into shards of
``shard_examples`` examples (and/or at most ``shard_bytes`` bytes); the last shard cut from each input shard may be
smaller. Shards appear under their final names only after the whole run succeeded. With ``resume``, input shards
finished by an interrupted run (a verified marker in ``.staging/``) are not converted again.

The input and the output directory may be local paths or URLs (``gs://``, ``s3://``: ``rt2data.io``). On an object
store nothing is renamed in place: parts are written under ``OUT/.staging/``, copied to their final names, and
``manifest.json`` is written last, so its presence marks a complete output; no worker needs a shared disk.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rt2data.codec.bins import BINNINGS
from rt2data import io
from rt2data.convert import ConvertConfig, ConvertedEpisode, convert_episode
from rt2data.errors import ConfigError, OutputError
from rt2data.spec.check import require_match
from rt2data.pipelines.local import is_local, map_items, worker_syncer
from rt2data.pipelines.progress import FileProgress, count_files
from rt2data.pipelines.runner import RunnerOptions, run_pipeline
from rt2data.pipelines.stats import load_or_compute_stats
from rt2data.spec.episodes import DEAD, iter_standardized
from rt2data.prompt import get_template
from rt2data.sources import RobotSource, open_source
from rt2data.shards import Accounting, Manifest, config_fingerprint, finalize_output, validate_accounting
from rt2data.shards import FORMATS
from rt2data.shards import ShardInfo, shard_name
from rt2data.shards import write_shards_multi
from rt2data.shards.files import Syncer, atomic_write_bytes, file_sha256, inside
from rt2data.shards.staging import open_staging, prepare_staged_run
from rt2data.spec.model import DatasetSpec
from rt2data.spec.semantics import GRIPPER_MODES
from rt2data.stats.dataset_stats import STATS_FILE, codec_from_stats
from rt2data.stats.dataset_stats import input_fingerprint

__all__ = ["ConvertJob", "run_convert", "DEFAULT_SHARD_EXAMPLES"]

log = logging.getLogger(__name__)

DEFAULT_SHARD_EXAMPLES = 1000
STAGING = ".staging"
DEAD_LETTERS = "dead_letters.jsonl"


@dataclass(frozen=True)
class ConvertJob:
    """Everything that decides the output bytes of a conversion (recorded in the manifest as ``config``)."""

    dataset_dir: str
    spec: str
    split: str = "train"
    formats: tuple[str, ...] = ("wds",)
    prefix: str | None = None
    shard_examples: int | None = DEFAULT_SHARD_EXAMPLES
    shard_bytes: int | None = None
    corrupt: str = "error"
    out_of_range: str = "clip"
    convert: ConvertConfig | None = None
    gripper: str = "absolute"
    binning: str = "uniform"
    tokenizer: str | None = None

    def __post_init__(self) -> None:
        if self.gripper not in GRIPPER_MODES:
            raise ConfigError(f"--gripper must be one of {list(GRIPPER_MODES)}, got {self.gripper!r}")

        bad = [f for f in self.formats if f not in FORMATS]
        if bad or not self.formats:
            raise ConfigError(f"--format: {bad or '(none)'} not in {list(FORMATS)}; use wds, tfrecord or both")
        if self.shard_examples is None and self.shard_bytes is None:
            raise ConfigError("give --shard-examples and/or --shard-bytes")
        for name in ("shard_examples", "shard_bytes"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 1, got {v}")
        if self.corrupt not in ("error", "skip"):
            raise ConfigError(f"--corrupt must be 'error' or 'skip', got {self.corrupt!r}")
        if self.binning not in BINNINGS:
            raise ConfigError(f"--binning must be one of {list(BINNINGS)}, got {self.binning!r}")

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["formats"] = list(self.formats)
        d["convert"] = self.convert.to_json() if self.convert else None
        d["dataset_dir"] = (io.absolute(self.dataset_dir) if io.is_url(self.dataset_dir)
                            else os.fspath(Path(self.dataset_dir).resolve()))
        if self.binning == "uniform":  # the default leaves the recorded config (and its fingerprint) as before
            del d["binning"]
        if self.tokenizer is None:
            del d["tokenizer"]
        else:  # kind, file, sha256 (so the fingerprint follows the file's content), path and the join rule
            # imported with --tokenizer only: a plain convert's start-up stays light
            from rt2data.codec.pretokenize import tokenizer_record
            from rt2data.codec.tokenizers import load_tokenizer

            d["tokenizer"] = tokenizer_record(load_tokenizer(self.tokenizer))
        return d


# ---------------------------------------------------------------------------------------------- worker side
def _summary(episode: ConvertedEpisode) -> dict[str, Any]:
    return {
        "input": episode.input_steps,
        "written": len(episode.examples),
        "dropped": dict(episode.dropped),
        "episodes": 1,
        "episodes_written": int(bool(episode.examples)),
        "clip_counts": list(episode.clip_counts),
    }


def _dead_summary(letter) -> dict[str, Any]:
    """A record dead-lettered before conversion: its steps (if known) are input dropped under its reason."""
    return {
        "input": letter.steps,
        "dropped": {letter.reason: letter.steps} if letter.steps else {},
        "episodes": letter.records,
        "records_dropped": {letter.reason: letter.records},
    }


def _merge_summaries(parts) -> dict[str, Any]:
    out: dict[str, Any] = {"input": 0, "written": 0, "dropped": {}, "episodes": 0, "episodes_written": 0,
                           "records_dropped": {}, "clip_counts": None}
    for part in parts:
        for k in ("input", "written", "episodes", "episodes_written"):
            out[k] += part.get(k, 0)
        for k in ("dropped", "records_dropped"):
            for reason, n in part.get(k, {}).items():
                out[k][reason] = out[k].get(reason, 0) + n
        if part.get("clip_counts") is not None:
            cc = part["clip_counts"]
            out["clip_counts"] = cc if out["clip_counts"] is None else [a + b for a, b in zip(out["clip_counts"], cc)]
    out["dropped"] = dict(sorted(out["dropped"].items()))
    out["records_dropped"] = dict(sorted(out["records_dropped"].items()))
    return out


def _part_prefix(position: int, ref) -> str:
    """Staging name stem of an input shard's parts: its position in the split spec's shard list (shard indices
    restart in every split of ``train+validation``), and its first record."""
    return f"in{position:05d}-r{ref.first_record:06d}"


class _ConvertShardFn:
    """Convert one input shard, streaming, into parts of every format in the staging dir; returns a small result."""

    def __init__(self, *, source, spec, codec, config, template, job: "ConvertJob", staging: str, fingerprint: str,
                 multi_split: bool = False, durable_behind: bool = False):
        self.source = source  # pickles as its location; a worker reopens it once per process
        self.spec, self.codec, self.config, self.template = spec, codec, config, template
        self.job, self.staging, self.fingerprint = job, staging, fingerprint
        self.multi_split = multi_split
        # embedded runner, local staging: the last fsyncs and the marker are left to the worker's syncer, which
        # map_items drains before it returns (a Beam worker may be gone once its bundle is done: it waits)
        self.durable_behind = durable_behind

    def __call__(self, item) -> dict[str, Any]:
        position, ref = item

        marker = io.join(self.staging, f"{_part_prefix(position, ref)}.done.json")
        done = _read_marker(marker, self.fingerprint)
        if done is not None:
            return done
        summaries: list[dict] = []
        letters: list[dict] = []
        image_formats: set[str] = set()  # for the dataset card: no listing of the written tars afterwards

        def examples():
            for tag, value in iter_standardized(self.source, ref, self.spec, corrupt=self.job.corrupt):
                if tag == DEAD:
                    summaries.append(_dead_summary(value))
                    letters.append(value.to_json_dict())
                    continue
                converted = convert_episode(
                    value, shard_index=ref.index, codec=self.codec, config=self.config, template=self.template,
                    split=ref.split if self.multi_split else None,
                )
                summaries.append(_summary(converted))
                letters.extend(d.to_json_dict() for d in converted.dead_letters)
                image_formats.update(ex.image_format for ex in converted.examples)
                if self.job.tokenizer is None:
                    yield from converted.examples
                else:
                    from rt2data.codec.pretokenize import tokenize_example  # light: --tokenizer only
                    from rt2data.codec.tokenizers import load_tokenizer  # light: --tokenizer only

                    tokenizer = load_tokenizer(self.job.tokenizer)
                    yield from (tokenize_example(ex, tokenizer) for ex in converted.examples)

        def write(syncer: Syncer) -> dict[str, Any]:
            parts = write_shards_multi(
                self.staging, examples(), formats=self.job.formats, prefix=_part_prefix(position, ref),
                shard_examples=self.job.shard_examples, shard_bytes=self.job.shard_bytes, record_progress=False,
                syncer=syncer,
            )
            return {
                "order": [position, ref.first_record],
                "parts": {fmt: [i.to_json_dict() for i in infos] for fmt, infos in parts.items()},
                "summary": _merge_summaries(summaries),
                "dead": letters,
                "image_formats": sorted(image_formats),
            }

        if self.durable_behind:
            # The parts' last fsyncs overlap the next input shard; the marker follows them on the syncer's
            # thread, and only if they succeeded (map_items waits for both before the driver reads a part).
            syncer = worker_syncer()
            result = write(syncer)
            syncer.submit_after(atomic_write_bytes, marker, _marker_bytes(self.fingerprint, result))
            return result
        with Syncer() as syncer:  # a part's fsync overlaps the next part's work; all durable before the marker
            result = write(syncer)
        atomic_write_bytes(marker, _marker_bytes(self.fingerprint, result))
        return result


def _marker_bytes(fingerprint: str, result: dict[str, Any]) -> bytes:
    return json.dumps({"fingerprint": fingerprint, "result": result}, sort_keys=True).encode()


def _read_marker(marker: str, fingerprint: str) -> dict | None:
    """The result of an input shard finished by an earlier run, if it matches this config and every part verifies."""
    if not io.is_file(marker):
        return None
    try:
        doc = json.loads(io.read_bytes(marker))
        if doc.get("fingerprint") != fingerprint:
            return None
        # The marker is a file in OUT: its part names are checked before any path is built from them.
        infos = [ShardInfo.from_json_dict(d) for ds in doc["result"]["parts"].values() for d in ds]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # SchemaError is a ValueError
        log.warning("resume: marker %s is unreadable (%s); converting its input shard again", marker, exc)
        return None
    for info in infos:
        path = inside(io.dirname(marker), info.name, what="staged part name")
        if not io.is_file(path) or file_sha256(path) != (info.sha256, info.bytes):
            return None
    log.info("resume: input shard %s already converted", io.basename(marker))
    return doc["result"]


def _save_results(results: list[dict], path: str) -> None:
    """Write the per-shard results where the driver picks them up."""

    atomic_write_bytes(io.location(path), json.dumps(sorted(results, key=lambda r: r["order"]), sort_keys=True).encode())


# ---------------------------------------------------------------------------------------------- driver side
def _rename_parts(out, staging, results: list[dict], formats, prefix: str):
    """Move every input shard's parts, in input order, to their final names ``PREFIX-%06d.EXT`` (on an object
    store: copy, then delete the part; a part already moved by an interrupted commit is found under its final name)."""

    shards: dict[str, list] = {}
    for fmt in formats:
        infos = []
        for result in results:
            for part in result["parts"][fmt]:
                info = ShardInfo.from_json_dict(part)
                final = shard_name(prefix, len(infos), fmt)
                src = inside(staging, info.name, what="staged part name")
                if io.is_file(src):
                    io.rename(src, io.join(out, final))
                elif not io.is_file(io.join(out, final)):
                    raise OutputError(f"convert {out}: part {src} vanished before it could be renamed to {final}")
                infos.append(dataclasses.replace(info, name=final))
        shards[fmt] = infos
    return shards


def run_convert(
    job: ConvertJob,
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    resume: bool = False,
    stats_path: str | os.PathLike[str] | None = None,
    recompute_stats: bool = False,
    runner_options: RunnerOptions | None = None,
    progress: bool = False,
    spec: DatasetSpec | None = None,
    source: RobotSource | None = None,
):
    """Convert a robot-data source (an RLDS dataset) to sharded examples and return the written ``Manifest``.

    Args:
        job: what to convert and how (decides the output bytes).
        out_dir: output directory (created); refused when it holds an output, unless ``overwrite``/``resume``.
        stats_path: statistics file to reuse when it matches (read only: never written); the run's statistics are
            always ``OUT_DIR/dataset_statistics.json``.
        recompute_stats: compute statistics even when a matching file exists.
        runner_options: where it runs (``rt2data.pipelines.runner.RunnerOptions``): no runner name (or ``local``)
            is the embedded runner, ``workers`` local processes without Beam (``rt2data.pipelines.local``); any
            other name is that Beam runner.
        progress: show a progress bar (shards read, groups written) on stderr.
        spec: ``job.spec`` already loaded (the CLI loads it once); loaded here when omitted.
        source: ``job.dataset_dir`` already opened (``rt2data.sources.open_source``); opened here when omitted.
    """
    spec = (spec if spec is not None else DatasetSpec.load(job.spec)).with_gripper(job.gripper)
    if job.convert is None:
        job = dataclasses.replace(
            job, convert=ConvertConfig(source=spec.name, missing_instruction=spec.missing_instruction)
        )
    config, prefix = job.convert, job.prefix or spec.name
    template = get_template(config.template_id)
    if template.kind != "action":
        raise ConfigError(
            f"--template {template.id!r} is a {template.kind} template; convert needs an action template with an "
            "{instruction} placeholder, e.g. rt2-action-v1"
        )
    if runner_options is not None:
        runner_options.configure_io()  # the driver reads metadata and writes the output through rt2data.io
    source = source if source is not None else open_source(io.absolute(job.dataset_dir))
    require_match(spec, source.features)
    refs = source.work_units(job.split)

    out = io.location(io.absolute(out_dir))  # workers may run in another directory

    # What decides the output bytes: the job, the spec's content (not only its name) and the input data.
    fingerprint = config_fingerprint(
        {"job": job.to_json(), "spec": spec.fingerprint(), "input": input_fingerprint(source, refs)}
    )
    done = prepare_staged_run(out, staging=STAGING, overwrite=overwrite, resume=resume,
                              config_fingerprint=fingerprint, extra_files=(DEAD_LETTERS,), what="converting")
    if done is not None:  # resume of a finished output that verifies: nothing to do
        return done
    io.makedirs(out)
    stats = load_or_compute_stats(
        source, spec=spec, split=job.split, path=io.join(out, STATS_FILE), reuse=stats_path,
        recompute=recompute_stats, runner_options=runner_options, corrupt=job.corrupt, out_of_range=job.out_of_range,
    )
    codec = codec_from_stats(spec, stats.stats["action"], out_of_range=job.out_of_range)
    if job.binning != codec.binning:
        codec = dataclasses.replace(codec, binning=job.binning)
    if job.tokenizer is not None:  # refuse a lossy tokenizer before any work, with the reason
        from rt2data.codec.token_report import check_lossless, sample_targets  # light: --tokenizer only
        from rt2data.codec.tokenizers import load_tokenizer  # light: --tokenizer only

        check_lossless(load_tokenizer(job.tokenizer), sample_targets(codec.action_space, 300))
    staging, _ = open_staging(out, STAGING, config_fingerprint=fingerprint)
    results_path = io.join(staging, "results.json")

    convert_shard = _ConvertShardFn(
        source=source, spec=spec, codec=codec, config=config, template=template, job=job, staging=os.fspath(staging),
        fingerprint=fingerprint, multi_split=len({r.split for r in refs}) > 1,
        durable_behind=is_local((runner_options or RunnerOptions()).runner) and not io.is_url(staging),
    )

    def build(p) -> None:
        # Beam is imported for a Beam runner only: the embedded runner's start-up stays light
        from rt2data.pipelines.transforms import spread
        import apache_beam as beam

        _ = (
            spread(p, list(enumerate(refs)), "Shards")
            | "Convert" >> beam.Map(convert_shard)
            | "Results" >> beam.combiners.ToList()
            | "Save" >> beam.Map(_save_results, results_path)
        )

    runner_options = runner_options or RunnerOptions()
    shards_done = count_files(staging, "*.done.json")
    with FileProgress(shards_done, total=len(refs), desc="convert", unit="input shard", enabled=progress):
        if is_local(runner_options.runner):
            # forked workers inherit the driver's filesystem options; a spawned one sets them (initializer)
            _save_results(map_items(convert_shard, list(enumerate(refs)), workers=runner_options.workers,
                                    initializer=runner_options.configure_io), results_path)
        else:
            run_pipeline(build, runner_options)

    results = json.loads(io.read_bytes(results_path))
    summary = _merge_summaries(r["summary"] for r in results)
    letters = sorted(
        (d for r in results for d in r["dead"]),
        key=lambda d: (d["source_path"], d["record_index"], -1 if d["step"] is None else d["step"], d["reason"]),
    )
    shards = _rename_parts(out, staging, results, job.formats, prefix)
    accounting = Accounting(input=summary["input"], written=summary["written"], dropped=summary["dropped"])
    validate_accounting(accounting)
    names = codec.action_space.names
    clip = summary["clip_counts"] or [0] * len(names)
    atomic_write_bytes(io.join(out, DEAD_LETTERS), "".join(json.dumps(d, sort_keys=True) + "\n" for d in letters).encode())
    files = {}
    for name in (STATS_FILE, DEAD_LETTERS):
        sha, size = file_sha256(io.join(out, name))
        files[name] = {"sha256": sha, "bytes": size}
    manifest = Manifest(
        kind="convert",
        config=job.to_json(),
        config_fingerprint=fingerprint,
        shards=shards,
        accounting=accounting,
        codec=codec.to_json(),
        statistics=json.loads(io.read_bytes(stats.path)),
        templates={template.id: template.text},
        sources={
            config.source: {
                "kind": "action",
                "spec": spec.name,
                "split": job.split,
                "gripper": job.gripper,
                "action_semantics": {
                    "space": spec.semantics.space if spec.semantics else None,
                    "gripper_kind": spec.semantics.gripper_kind if spec.semantics else None,
                    "canonical": spec.canonical,
                },
                "examples": summary["written"],
                "episodes": {
                    "input": summary["episodes"],
                    "written": summary["episodes_written"],
                    "records_dropped": summary["records_dropped"],
                },
                "clip_counts": dict(zip(names, clip)),
                "dead_letters": {"file": DEAD_LETTERS, "count": len(letters)},
            }
        },
        files=files,
    )
    # a marker left by an older version has no image formats: the card then lists the tars' members
    image_formats = (sorted({f for r in results for f in r["image_formats"]})
                     if all("image_formats" in r for r in results) else None)
    finalize_output(out, [i for infos in shards.values() for i in infos], manifest=manifest,
                    image_formats=image_formats)
    io.delete_tree(staging)
    return manifest
