"""The statistics pass: per canonical action dimension (and proprio state) count, min, max, mean, std, q01, q99.

A Beam CombineFn over episodes wraps ``rt2data.stats.accumulators``: integer bucket counts and exact sums merge in any
order, so the same data gives byte-identical statistics on any runner and worker count. Non-finite action rows are
left out (``convert`` drops those steps).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import apache_beam as beam

from rt2data.errors import DataError
from rt2data.pipelines.runner import RunnerOptions, run_pipeline
from rt2data.pipelines.transforms import ReadStandardized, split_tagged
from rt2data.shards.files import atomic_write_bytes
from rt2data.spec.check import proprio_dim, require_match
from rt2data.spec.model import DatasetSpec
from rt2data.stats import accumulators as st
from rt2data.stats.dataset_stats import codec_from_stats, finite_rows, input_fingerprint, stats_block

__all__ = ["CombineStats", "compute_stats", "load_or_compute_stats"]

log = logging.getLogger(__name__)


class _StatsCombineFn(beam.CombineFn):
    """Canonical episodes -> the state of one ``DatasetStatsAccumulator`` (JSON-able)."""

    def __init__(self, action_dim: int, proprio_dim: int | None):
        super().__init__()
        self.action_dim, self.proprio_dim = action_dim, proprio_dim

    def create_accumulator(self):
        return st.create_accumulator(action_dim=self.action_dim, proprio_dim=self.proprio_dim)

    def add_input(self, acc, episode):
        actions, proprio = finite_rows(episode)
        return st.add_input(acc, actions, proprio)

    def merge_accumulators(self, accs):
        return st.merge_accumulators(accs)

    def extract_output(self, acc):
        return acc.to_state()


class CombineStats(beam.PTransform):
    """Canonical episodes -> one element: the accumulator state of their action (and proprio) statistics.

    Args:
        action_dim: D, the width of the canonical action.
        proprio_dim: P, the width of the proprio state (None: no proprio statistics).
    """

    def __init__(self, *, action_dim: int, proprio_dim: int | None = None):
        super().__init__()
        self.action_dim, self.proprio_dim = action_dim, proprio_dim

    def expand(self, episodes):
        return episodes | "Combine" >> beam.CombineGlobally(_StatsCombineFn(self.action_dim, self.proprio_dim))


def _write_state(item, result_path: str) -> None:
    name, value = item
    if name == "dead" and value:
        log.warning("statistics pass: %d records could not be read or standardized (see convert's dead letters)", value)
    if name == "state":
        atomic_write_bytes(Path(result_path), json.dumps(value).encode())


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
    """Run the statistics pipeline over an opened robot-data source and write the statistics file.

    Args:
        source: ``rt2data.sources.RobotSource`` (opened once, on the driver).
        spec: the dataset spec (loaded once, on the driver).

    Returns:
        ``rt2data.stats.StatsFile``.

    Raises:
        SpecError: the spec does not match the dataset (checked before anything runs).
        DataError: a corrupt record under ``corrupt="error"``, or no finite action at all.
    """
    require_match(spec, source.features)
    units = source.work_units(split)
    width = proprio_dim(spec, source.features) or None
    out_path = Path(out_path).absolute()  # workers may run in another directory
    result_path = out_path.parent / f".{out_path.name}.state.json"

    def build(p) -> None:
        tagged = p | "Read" >> ReadStandardized(source, units, spec, corrupt=corrupt)
        episodes, dead = split_tagged(tagged, "Stats")
        state = (episodes | "Stats" >> CombineStats(action_dim=len(spec.action_space), proprio_dim=width)
                 | "TagState" >> beam.Map(lambda s: ("state", s)))
        n_dead = dead | "CountDead" >> beam.combiners.Count.Globally() | "TagDead" >> beam.Map(lambda n: ("dead", n))
        # One sink that depends on every branch: Beam's DaskRunner computes only the last transform's graph.
        _ = (state, n_dead) | "Results" >> beam.Flatten() | "Write" >> beam.Map(_write_state, str(result_path))

    run_pipeline(build, runner_options)

    state = json.loads(result_path.read_text())
    result_path.unlink()
    acc = st.DatasetStatsAccumulator.from_state(state)
    if acc.num_transitions == 0:
        raise DataError(f"{source.path} split {split!r}: no step with a finite action; cannot compute statistics")
    stats = st.extract_output(acc)
    codec = codec_from_stats(spec, stats["action"], out_of_range=out_of_range)
    block = stats_block(spec, split, codec.to_json(), input_fp=input_fingerprint(source, units))
    st.write_stats(out_path, spec.name, stats, rt2data_block=block)
    return st.load_stats(out_path, spec.name)


def load_or_compute_stats(source, *, spec: DatasetSpec, split: str, path: str | Path, recompute: bool = False,
                          **kw):
    """Reuse the statistics file at ``path`` when it exists and matches (spec fingerprint, split and input data:
    ``input_fingerprint``), else compute (``kw`` go to :func:`compute_stats`)."""
    path = Path(path)
    if not recompute and path.is_file():
        input_fp = input_fingerprint(source, source.work_units(split))
        if st.stats_match(path, spec_fingerprint=spec.fingerprint(), split=split, input_fingerprint=input_fp):
            log.info("reusing statistics %s", path)
            return st.load_stats(path, spec.name)
        log.warning("statistics %s were computed for another spec, split or input dataset; recomputing", path)
    return compute_stats(source, spec=spec, split=split, out_path=path, **kw)
