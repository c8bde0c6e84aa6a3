"""The statistics pass: per canonical action dimension (and proprio state) count, min, max, mean, std, q01, q99.

Integer bucket counts and exact sums (``rt2data.stats.accumulators``) merge in any order, so the same data gives
byte-identical statistics on any runner and worker count. On the embedded runner each input shard is accumulated
by one function in a local worker process and the driver merges (no Beam); on a Beam runner a ``CombineStats``
transform over the episodes does the same. Non-finite action rows are left out (``convert`` drops those steps).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from rt2data.errors import DataError
from rt2data.pipelines.local import is_local, map_items
from rt2data.pipelines.runner import RunnerOptions, run_pipeline
from rt2data import io
from rt2data.shards.files import atomic_write_bytes
from rt2data.spec.check import proprio_dim, require_match
from rt2data.spec.episodes import DEAD, iter_standardized
from rt2data.spec.model import DatasetSpec
from rt2data.stats import accumulators as st
from rt2data.stats.dataset_stats import codec_from_stats, finite_rows, input_fingerprint, stats_block

__all__ = ["compute_stats", "load_or_compute_stats"]

log = logging.getLogger(__name__)


class _ShardStatsFn:
    """The statistics of one work unit (embedded runner): ``{"state": accumulator state, "dead": records}``."""

    def __init__(self, *, source, spec: DatasetSpec, corrupt: str, action_dim: int, proprio_dim: int | None):
        self.source, self.spec, self.corrupt = source, spec, corrupt
        self.action_dim, self.proprio_dim = action_dim, proprio_dim

    def __call__(self, unit) -> dict[str, Any]:
        acc = st.create_accumulator(action_dim=self.action_dim, proprio_dim=self.proprio_dim)
        dead = 0
        for tag, value in iter_standardized(self.source, unit, self.spec, corrupt=self.corrupt):
            if tag == DEAD:
                dead += 1
                continue
            actions, proprio = finite_rows(value)
            st.add_input(acc, actions, proprio)
        return {"state": acc.to_state(), "dead": dead}


def _write_state(item, result_path: str) -> None:
    name, value = item
    if name == "dead" and value:
        log.warning("statistics pass: %d records could not be read or standardized (see convert's dead letters)", value)
    if name == "state":
        atomic_write_bytes(io.location(result_path), json.dumps(value).encode())


def _local_stats(source, units, *, spec, corrupt, action_dim, proprio_width, workers: int, initializer=None):
    """The embedded runner: one function per work unit over local worker processes, merged here."""
    fn = _ShardStatsFn(source=source, spec=spec, corrupt=corrupt, action_dim=action_dim, proprio_dim=proprio_width)
    parts = map_items(fn, units, workers=workers, initializer=initializer)
    n_dead = sum(p["dead"] for p in parts)
    if n_dead:
        log.warning("statistics pass: %d records could not be read or standardized (see convert's dead letters)",
                    n_dead)
    empty = st.create_accumulator(action_dim=action_dim, proprio_dim=proprio_width)
    return st.merge_accumulators([empty, *(st.DatasetStatsAccumulator.from_state(p["state"]) for p in parts)])


def _beam_stats(source, units, *, spec, corrupt, action_dim, proprio_width, result_path: str,
                runner_options: RunnerOptions):
    """A Beam runner: ``ReadStandardized`` then ``CombineStats``; returns the merged accumulator."""
    # Beam is imported for a Beam runner only: the embedded runner's start-up stays light
    from rt2data.pipelines.transforms import CombineStats, ReadStandardized, split_tagged
    import apache_beam as beam

    def build(p) -> None:
        tagged = p | "Read" >> ReadStandardized(source, units, spec, corrupt=corrupt)
        episodes, dead = split_tagged(tagged, "Stats")
        state = (episodes | "Stats" >> CombineStats(action_dim=action_dim, proprio_dim=proprio_width)
                 | "TagState" >> beam.Map(lambda s: ("state", s)))
        n_dead = dead | "CountDead" >> beam.combiners.Count.Globally() | "TagDead" >> beam.Map(lambda n: ("dead", n))
        # One sink that depends on every branch: Beam's DaskRunner computes only the last transform's graph.
        _ = (state, n_dead) | "Results" >> beam.Flatten() | "Write" >> beam.Map(_write_state, str(result_path))

    run_pipeline(build, runner_options)
    state = json.loads(io.read_bytes(result_path))
    io.delete([result_path])
    return st.DatasetStatsAccumulator.from_state(state)


def compute_stats(
    source,
    *,
    spec: DatasetSpec,
    split: str = "train",
    out_path: str | Path,
    runner_options: RunnerOptions | None = None,
    corrupt: str = "error",
    out_of_range: str = "clip",
):
    """Run the statistics pass over an opened robot-data source and write the statistics file.

    Args:
        source: ``rt2data.sources.RobotSource`` (opened once, on the driver).
        spec: the dataset spec (loaded once, on the driver).
        runner_options: where it runs (default: the embedded runner, one process).

    Returns:
        ``rt2data.stats.StatsFile``.

    Raises:
        SpecError: the spec does not match the dataset (checked before anything runs).
        DataError: a corrupt record under ``corrupt="error"``, or no finite action at all.
    """
    runner_options = runner_options or RunnerOptions()
    require_match(spec, source.features)
    units = source.work_units(split)
    kw = dict(spec=spec, corrupt=corrupt, action_dim=len(spec.action_space),
              proprio_width=proprio_dim(spec, source.features) or None)
    out_path = io.location(io.absolute(out_path))  # workers may run in another directory
    runner_options.configure_io()
    if is_local(runner_options.runner):
        acc = _local_stats(source, units, workers=runner_options.workers,
                           initializer=runner_options.configure_io, **kw)
    else:
        state_path = io.join(io.dirname(out_path), f".{io.basename(out_path)}.state.json")
        acc = _beam_stats(source, units, result_path=state_path, runner_options=runner_options, **kw)
    if acc.num_transitions == 0:
        raise DataError(f"{source.path} split {split!r}: no step with a finite action; cannot compute statistics")
    stats = st.extract_output(acc)
    codec = codec_from_stats(spec, stats["action"], out_of_range=out_of_range)
    block = stats_block(spec, split, codec.to_json(), input_fp=input_fingerprint(source, units))
    st.write_stats(out_path, spec.name, stats, rt2data_block=block)
    return st.load_stats(out_path, spec.name)


def load_or_compute_stats(source, *, spec: DatasetSpec, split: str, path: str | Path, recompute: bool = False,
                          reuse: str | Path | None = None, **kw):
    """The statistics of ``path`` (the run's own file, in its output), reused when they match (spec fingerprint,
    split and input data: ``input_fingerprint``), else computed into ``path`` (``kw`` go to :func:`compute_stats`).

    ``reuse`` names another statistics file to start from: read only, never written. When it matches, its bytes
    are copied to ``path``; when it does not, the statistics are computed into ``path``. Either may be a URL.
    """
    path = io.location(path)

    def matches(candidate) -> bool:
        input_fp = input_fingerprint(source, source.work_units(split))
        return st.stats_match(candidate, spec_fingerprint=spec.fingerprint(), split=split, input_fingerprint=input_fp)

    if not recompute:
        given = io.location(reuse) if reuse is not None else None
        if given is not None and io.absolute(given) != io.absolute(path):
            if not io.is_file(given):
                raise DataError(f"--stats {given}: no such statistics file")
            if matches(given):
                log.info("reusing statistics %s (copied to %s)", given, path)
                atomic_write_bytes(path, io.read_bytes(given))
                return st.load_stats(path, spec.name)
            log.warning("statistics %s were computed for another spec, split or input dataset; computing them into "
                        "%s (the given file is left as it is)", given, path)
        elif io.is_file(path):
            if matches(path):
                log.info("reusing statistics %s", path)
                return st.load_stats(path, spec.name)
            log.warning("statistics %s were computed for another spec, split or input dataset; recomputing", path)
    return compute_stats(source, spec=spec, split=split, out_path=path, **kw)
