"""``rt2data convert`` as a Beam pipeline: RLDS shards -> examples -> sharded WebDataset / TFRecord + manifest.

Flow (every box a library function; the pipeline only reads, groups and writes)::

    Create(shard refs) -> Reshuffle -> read + standardize(spec) + convert_episode(codec, template)
        -> (ok) converted episodes --count per episode--> offsets (side input)
                                   --position every example: global index = offset + i, group = index // G
                                   --GroupByKey(group) -> sort -> write parts (both formats) into .staging/
        -> (dead) dead letters ----------------------------> sorted dead_letters.jsonl
    driver: rename parts to PREFIX-%06d.EXT in order, write manifest.json (accounting checked)

Output order is input order (shard, record, step). Groups of G examples are the unit of parallel writing; with
``shard_bytes`` a group is cut into parts under the byte limit, so shards break at group boundaries too.
Shards appear under their final names only after the whole run succeeded. With ``resume``, groups finished by an
interrupted run (a verified marker in ``.staging/``) are not written again.

The output directory must be a filesystem path every worker can write (local disk for the embedded runner and
Dask's LocalCluster; a shared mount for a cluster).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from rt2data.convert import ConvertConfig, ConvertedEpisode, convert_episode
from rt2data.errors import ConfigError, OutputError

__all__ = ["ConvertJob", "run_convert", "DEFAULT_GROUP_EXAMPLES"]

log = logging.getLogger(__name__)

DEFAULT_GROUP_EXAMPLES = 1000
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
    shard_examples: int | None = DEFAULT_GROUP_EXAMPLES
    shard_bytes: int | None = None
    corrupt: str = "error"
    out_of_range: str = "clip"
    convert: ConvertConfig | None = None

    def __post_init__(self) -> None:
        from rt2data.shards import FORMATS

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

    @property
    def group_examples(self) -> int:
        return self.shard_examples or 10 * DEFAULT_GROUP_EXAMPLES

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["formats"] = list(self.formats)
        d["convert"] = self.convert.to_json() if self.convert else None
        d["dataset_dir"] = os.fspath(Path(self.dataset_dir).resolve())
        return d


# ---------------------------------------------------------------------------------------------- worker side
def _convert_shard(ref, spec, codec, config, template, corrupt):
    from rt2data.pipelines.episodes import DEAD, OK, iter_standardized

    for tag, value in iter_standardized(ref, spec, corrupt=corrupt):
        if tag == DEAD:
            yield DEAD, value
            continue
        converted = convert_episode(value, shard_index=ref.index, codec=codec, config=config, template=template)
        yield OK, converted
        for letter in converted.dead_letters:
            yield DEAD, letter


def _offsets(counts: list[tuple[tuple[int, int], int]]) -> dict[tuple[int, int], int]:
    offsets, total = {}, 0
    for order, n in sorted(counts):
        offsets[order] = total
        total += n
    return offsets


def _position_joined(joined, group_examples: int):
    """``(order, {"episode": [ep], "offset": [start]})`` -> ``(group, (global index, example))`` per example."""
    _, sides = joined
    (episode,), (start,) = list(sides["episode"]), list(sides["offset"])
    for i, example in enumerate(episode.examples):
        index = start + i
        yield index // group_examples, (index, example)


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
    # A record dead-lettered before conversion: its steps (if known) are input dropped under its reason.
    if letter.step is not None:  # step-level letters are already counted in their episode's summary
        return {}
    return {
        "input": letter.steps,
        "written": 0,
        "dropped": {letter.reason: letter.steps} if letter.steps else {},
        "episodes": 1,
        "episodes_written": 0,
        "records_dropped": {letter.reason: 1},
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
    return out


class _WriteGroupFn:
    """Write one group's examples (sorted by global index) as parts of every format into the staging dir."""

    def __init__(self, staging: str, formats: Sequence[str], shard_bytes: int | None, fingerprint: str):
        self.staging, self.formats, self.shard_bytes, self.fingerprint = staging, tuple(formats), shard_bytes, fingerprint

    def __call__(self, item):
        from rt2data.shards import write_shards

        group, indexed = item
        marker = Path(self.staging) / f"g{group:06d}.done.json"
        done = _read_marker(marker, self.fingerprint)
        if done is not None:
            return group, done
        examples = [ex for _, ex in sorted(indexed, key=lambda t: t[0])]
        parts = {}
        for fmt in self.formats:
            infos = write_shards(self.staging, examples, fmt=fmt, prefix=f"g{group:06d}", shard_bytes=self.shard_bytes,
                                 record_progress=False)
            parts[fmt] = [i.to_json_dict() for i in infos]
        from rt2data.shards.files import atomic_write_bytes

        atomic_write_bytes(marker, json.dumps({"fingerprint": self.fingerprint, "parts": parts}, sort_keys=True).encode())
        return group, parts


def _read_marker(marker: Path, fingerprint: str) -> dict | None:
    """Parts of a group finished by an earlier run, if its marker matches this config and every file verifies."""
    if not marker.is_file():
        return None
    from rt2data.shards.files import file_sha256

    doc = json.loads(marker.read_text())
    if doc.get("fingerprint") != fingerprint:
        return None
    for infos in doc["parts"].values():
        for info in infos:
            path = marker.parent / info["name"]
            if not path.is_file() or file_sha256(path) != (info["sha256"], info["bytes"]):
                return None
    log.info("resume: group %s already written", marker.name)
    return doc["parts"]


def _save_result(item, paths: dict[str, str]) -> None:
    """Write one ``(name, value)`` pipeline result as JSON where the driver picks it up."""
    from rt2data.shards.files import atomic_write_bytes

    name, value = item
    atomic_write_bytes(Path(paths[name]), json.dumps(value, sort_keys=True).encode())


# ---------------------------------------------------------------------------------------------- driver side
def _prepare(out: Path, *, overwrite: bool, resume: bool, fingerprint: str):
    """Refuse, clear or resume ``out``; returns a finished manifest when resuming an output that is complete."""
    from rt2data.shards import load_manifest, remove_output_files, scan_output_dir, verify_output

    if overwrite and resume:
        raise OutputError("--overwrite and --resume exclude each other: pass one of them")
    staging = out / STAGING
    state = scan_output_dir(out)
    if state.empty and not staging.exists():
        return None
    if not (overwrite or resume):
        raise OutputError(
            f"output directory {out} already holds an rt2data output ({state.describe()}"
            f"{', an unfinished run' if staging.exists() else ''}); pass --overwrite to replace it or --resume to "
            "continue it"
        )
    if overwrite:
        remove_output_files(out)
        shutil.rmtree(staging, ignore_errors=True)
        (out / DEAD_LETTERS).unlink(missing_ok=True)
        return None
    if state.manifest:
        manifest = load_manifest(out)
        if manifest.config_fingerprint != fingerprint:
            raise OutputError(
                f"cannot resume {out}: it was written with another configuration; pass --overwrite to start over"
            )
        report = verify_output(out, check_schema=False)
        if report.ok:
            log.info("%s is already complete and verified; nothing to do", out)
            return manifest
        log.warning("%s: finished output fails verification (%s); converting again", out, report.problems[0].message)
        remove_output_files(out)
        return None
    marker = staging / "fingerprint"
    if staging.exists() and marker.is_file() and marker.read_text() != fingerprint:
        raise OutputError(
            f"cannot resume {out}: its unfinished run used another configuration; pass --overwrite to start over"
        )
    return None


def _rename_parts(out: Path, staging: Path, groups: dict[int, dict], formats, prefix: str):
    """Move every group's parts, in order, to their final names ``PREFIX-%06d.EXT``; returns ShardInfos per format."""
    from rt2data.shards import ShardInfo, shard_name

    shards: dict[str, list] = {}
    for fmt in formats:
        infos = []
        for group in sorted(groups):
            for part in groups[group][fmt]:
                info = ShardInfo.from_json_dict(part)
                final = shard_name(prefix, len(infos), fmt)
                src = staging / info.name
                if src.exists():
                    os.replace(src, out / final)
                elif not (out / final).is_file():
                    raise OutputError(f"convert {out}: part {src} vanished before it could be renamed to {final}")
                infos.append(dataclasses.replace(info, name=final))
        shards[fmt] = infos
    return shards


def _unwrap_pipeline_error(exc: BaseException) -> BaseException:
    """Beam wraps worker exceptions; find ours (by type in the chain, or by name in a remote traceback)."""
    from rt2data import errors

    seen = exc
    while seen is not None:
        if isinstance(seen, errors.Rt2DataError):
            return seen
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    for name in ("DataError", "SpecError", "OutputError", "EncodeError", "SchemaError", "ConfigError"):
        marker = f"rt2data.errors.{name}: "
        if marker in text:
            line = text.split(marker, 1)[1].splitlines()[0]
            return getattr(errors, name)(line)
    return exc


def run_convert(
    job: ConvertJob,
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    resume: bool = False,
    stats_path: str | os.PathLike[str] | None = None,
    recompute_stats: bool = False,
    runner: str | None = None,
    workers: int = 1,
    extra_args: Sequence[str] = (),
    progress: bool = False,
):
    """Convert an RLDS dataset to sharded examples and return the written ``Manifest``.

    Args:
        job: what to convert and how (decides the output bytes).
        out_dir: output directory (created); refused when it holds an output, unless ``overwrite``/``resume``.
        stats_path: statistics file to reuse or write (default ``OUT_DIR/dataset_statistics.json``).
        recompute_stats: compute statistics even when a matching file exists.
        runner, workers, extra_args: Beam runner selection (see ``rt2data.pipelines.options``).
        progress: show a progress bar (shards read, groups written) on stderr.
    """
    import apache_beam as beam

    from rt2data.pipelines.episodes import split_tagged
    from rt2data.pipelines.options import make_pipeline_options
    from rt2data.pipelines.progress import StagingProgress
    from rt2data.pipelines.stats import STATS_FILE, codec_from_stats, load_or_compute_stats
    from rt2data.prompt import get_template
    from rt2data.rlds import open_dataset
    from rt2data.shards import Accounting, Manifest, config_fingerprint, finalize_output, validate_accounting
    from rt2data.shards.files import atomic_write_bytes
    from rt2data.spec import DatasetSpec

    spec = DatasetSpec.load(job.spec)
    if job.convert is None:
        job = dataclasses.replace(job, convert=ConvertConfig(source=spec.name))
    config, prefix = job.convert, job.prefix or spec.name
    template = get_template(config.template_id)
    dataset = open_dataset(Path(job.dataset_dir).absolute())
    spec.require_match(dataset.features)
    refs = dataset.shards(job.split)

    out = Path(out_dir).absolute()  # workers may run in another directory
    fingerprint = config_fingerprint(job.to_json())
    done = _prepare(out, overwrite=overwrite, resume=resume, fingerprint=fingerprint)
    if done is not None:
        return done
    out.mkdir(parents=True, exist_ok=True)
    stats = load_or_compute_stats(
        job.dataset_dir, spec=spec, split=job.split, path=stats_path or out / STATS_FILE, recompute=recompute_stats,
        runner=runner, workers=workers, extra_args=extra_args, corrupt=job.corrupt, out_of_range=job.out_of_range,
    )
    codec = codec_from_stats(spec, stats.stats["action"], out_of_range=job.out_of_range)
    staging = out / STAGING
    staging.mkdir(exist_ok=True)
    (staging / "fingerprint").write_text(fingerprint)
    results = {name: os.fspath(staging / f"{name}.json") for name in ("groups", "summary", "dead")}

    options = make_pipeline_options(runner=runner, workers=workers, extra_args=extra_args)
    write_group = _WriteGroupFn(os.fspath(staging), job.formats, job.shard_bytes, fingerprint)
    group_examples = job.group_examples
    reporter = StagingProgress(staging, total_shards=len(refs), enabled=progress)
    try:
        with reporter, beam.Pipeline(options=options) as p:
            tagged = (
                p
                | "Shards" >> beam.Create(refs, reshuffle=False)
                | "Spread" >> beam.Reshuffle()
                | "Convert" >> beam.FlatMap(
                    reporter.wrap(_convert_shard, spec, codec, config, template, job.corrupt)
                )
            )
            episodes, dead = split_tagged(tagged, "Episodes")
            # Global position of every example = examples of all earlier episodes + its index. The offsets are
            # joined to the episodes with CoGroupByKey rather than a side input (portable to every runner).
            offsets = (
                episodes
                | "Count" >> beam.Map(lambda e: (None, (e.order, len(e.examples))))
                | "AllCounts" >> beam.GroupByKey()
                | "Offsets" >> beam.FlatMap(lambda kv: _offsets(list(kv[1])).items())
            )
            keyed = episodes | "ByOrder" >> beam.Map(lambda e: (e.order, e))
            parts = (
                {"episode": keyed, "offset": offsets}
                | "Join" >> beam.CoGroupByKey()
                | "Position" >> beam.FlatMap(_position_joined, group_examples)
                | "Group" >> beam.GroupByKey()
                | "Write" >> beam.Map(write_group)
                | "Parts" >> beam.combiners.ToList()
                | "TagParts" >> beam.Map(lambda groups: ("groups", sorted(groups)))
            )
            summary = (
                (episodes | "Summary" >> beam.Map(_summary), dead | "DeadSummary" >> beam.Map(_dead_summary))
                | "AllSummaries" >> beam.Flatten()
                | "Total" >> beam.CombineGlobally(_merge_summaries)
                | "TagSummary" >> beam.Map(lambda total: ("summary", total))
            )
            letters = (
                dead
                | "DeadJson" >> beam.Map(lambda d: d.to_json_dict())
                | "DeadList" >> beam.combiners.ToList()
                | "TagDead" >> beam.Map(lambda ds: ("dead", ds))
            )
            # One sink that depends on every branch: Beam's DaskRunner computes only the last transform's graph.
            _ = (parts, summary, letters) | "Results" >> beam.Flatten() | "Save" >> beam.Map(_save_result, results)
    except Exception as exc:
        ours = _unwrap_pipeline_error(exc)
        if ours is not exc:
            raise ours from exc
        raise

    groups = {int(g): parts for g, parts in json.loads(Path(results["groups"]).read_text())}
    summary = json.loads(Path(results["summary"]).read_text())
    letters = sorted(
        json.loads(Path(results["dead"]).read_text()),
        key=lambda d: (d["source_path"], d["record_index"], -1 if d["step"] is None else d["step"], d["reason"]),
    )
    shards = _rename_parts(out, staging, groups, job.formats, prefix)
    accounting = Accounting(input=summary["input"], written=summary["written"], dropped=summary["dropped"])
    validate_accounting(accounting)
    names = codec.action_space.names
    clip = summary["clip_counts"] or [0] * len(names)
    manifest = Manifest(
        kind="convert",
        config=job.to_json(),
        config_fingerprint=fingerprint,
        shards=shards,
        accounting=accounting,
        codec=codec.to_json(),
        statistics=json.loads(Path(stats.path).read_text()),
        templates={template.id: template.text},
        sources={
            config.source: {
                "kind": "action",
                "spec": spec.name,
                "split": job.split,
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
    )
    atomic_write_bytes(out / DEAD_LETTERS, "".join(json.dumps(d, sort_keys=True) + "\n" for d in letters).encode())
    finalize_output(out, [i for infos in shards.values() for i in infos], manifest=manifest)
    shutil.rmtree(staging, ignore_errors=True)
    return manifest
