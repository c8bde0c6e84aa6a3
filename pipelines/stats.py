"""The statistics pass: per canonical action dimension (and proprio state) count, min, max, mean, std, q01, q99.

A Beam CombineFn over episodes wraps ``rt2data.stats.accumulators``: integer bucket counts and exact sums merge in any order,
so the same data gives byte-identical statistics on any runner and worker count. Non-finite action rows are left
out (``convert`` drops those steps).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from rt2data.spec.check import proprio_dim, require_match
from rt2data.stats.dataset_stats import STATS_FILE, codec_from_stats, finite_rows, input_fingerprint, stats_block
from rt2data.errors import DataError
from rt2data.pipelines.runner import make_pipeline_options
from rt2data.pipelines.transforms import split_tagged, iter_standardized
from rt2data.pipelines.worker_logs import worker_stderr_filter
from rt2data.rlds import open_dataset
from rt2data.shards.files import atomic_write_bytes
from rt2data.stats import accumulators as st

__all__ = ["compute_stats", "load_or_compute_stats"]

log = logging.getLogger(__name__)



def compute_stats(
    dataset_dir: str,
    *,
    spec,
    split: str = "train",
    out_path: str | Path,
    runner: str | None = None,
    workers: int = 1,
    extra_args: Sequence[str] = (),
    corrupt: str = "error",
    out_of_range: str = "clip",
):
    """Run the statistics pipeline and write the statistics file; returns ``rt2data.stats.accumulators.StatsFile``.

    Raises:
        SpecError: the spec does not match the dataset (checked before anything runs).
        DataError: a corrupt record under ``corrupt="error"``, or no finite action at all.
    """
    import apache_beam as beam


    dataset = open_dataset(Path(dataset_dir).absolute())
    require_match(spec, dataset.features)
    refs = dataset.shards(split)
    action_dim = len(spec.action_space)
    proprio_width = proprio_dim(spec, dataset.features) or None
    out_path = Path(out_path).absolute()  # workers may run in another directory
    dataset_dir = str(Path(dataset_dir).absolute())
    result_path = out_path.parent / f".{out_path.name}.state.json"

    class StatsCombineFn(beam.CombineFn):
        def create_accumulator(self):
            return st.create_accumulator(action_dim=action_dim, proprio_dim=proprio_width)

        def add_input(self, acc, episode):
            actions, proprio = finite_rows(episode)
            return st.add_input(acc, actions, proprio)

        def merge_accumulators(self, accs):
            return st.merge_accumulators(accs)

        def extract_output(self, acc):
            return acc.to_state()

    def write_state(item) -> None:
        import json


        name, value = item
        if name == "dead" and value:
            log.warning("statistics pass: %d records could not be read or standardized (see convert's dead letters)",
                        value)
        if name == "state":
            atomic_write_bytes(result_path, json.dumps(value).encode())

    options = make_pipeline_options(runner=runner, workers=workers, extra_args=extra_args)
    with worker_stderr_filter(options), beam.Pipeline(options=options) as p:
        tagged = (
            p
            | "Shards" >> beam.Create(refs, reshuffle=False)
            | "Spread" >> beam.Reshuffle()
            | "Read" >> beam.FlatMap(iter_standardized, spec, corrupt=corrupt)
        )
        episodes, dead = split_tagged(tagged, "Stats")
        state = episodes | "Combine" >> beam.CombineGlobally(StatsCombineFn()) | "TagState" >> beam.Map(
            lambda s: ("state", s))
        n_dead = dead | "CountDead" >> beam.combiners.Count.Globally() | "TagDead" >> beam.Map(lambda n: ("dead", n))
        # One sink that depends on every branch: Beam's DaskRunner computes only the last transform's graph.
        _ = (state, n_dead) | "Results" >> beam.Flatten() | "Write" >> beam.Map(write_state)

    import json

    state = json.loads(result_path.read_text())
    result_path.unlink()
    acc = st.DatasetStatsAccumulator.from_state(state)
    if acc.num_transitions == 0:

        raise DataError(f"{dataset_dir} split {split!r}: no step with a finite action; cannot compute statistics")
    stats = st.extract_output(acc)
    codec = codec_from_stats(spec, stats["action"], out_of_range=out_of_range)
    block = stats_block(spec, split, codec.to_json(), input_fp=input_fingerprint(dataset, refs))
    st.write_stats(out_path, spec.name, stats, rt2data_block=block)
    return st.load_stats(out_path, spec.name)


def load_or_compute_stats(dataset_dir: str, *, spec, split: str, path: str | Path, recompute: bool = False,
                          reuse: str | Path | None = None, **kw):
    """The statistics of ``path`` (the run's own file, in its output), reused when they match (spec fingerprint,
    split and input data: ``input_fingerprint``), else computed into ``path``.

    ``reuse`` names another statistics file to start from: read only, never written. When it matches, its bytes
    are copied to ``path``; when it does not, the statistics are computed into ``path``.
    """

    path = Path(path)
    dataset = open_dataset(Path(dataset_dir).absolute())

    def matches(candidate: Path) -> bool:
        input_fp = input_fingerprint(dataset, dataset.shards(split))
        return st.stats_match(candidate, spec_fingerprint=spec.fingerprint(), split=split, input_fingerprint=input_fp)

    if not recompute:
        given = Path(reuse) if reuse is not None else None
        if given is not None and given.absolute() != path.absolute():
            if not given.is_file():
                raise DataError(f"--stats {given}: no such statistics file")
            if matches(given):
                log.info("reusing statistics %s (copied to %s)", given, path)
                atomic_write_bytes(path, given.read_bytes())
                return st.load_stats(path, spec.name)
            log.warning("statistics %s were computed for another spec, split or input dataset; computing them into "
                        "%s (the given file is left as it is)", given, path)
        elif path.is_file():
            if matches(path):
                log.info("reusing statistics %s", path)
                return st.load_stats(path, spec.name)
            log.warning("statistics %s were computed for another spec, split or input dataset; recomputing", path)
    return compute_stats(dataset_dir, spec=spec, split=split, out_path=path, **kw)
