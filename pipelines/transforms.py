"""Public Beam transforms over the library's functions, portable to every runner we claim.

Work units are elements made by ``beam.Create`` and read by a function (no bounded-source ``Read``, which Beam's
DaskRunner drops), and results are *tagged elements* ``(TAG, value)`` split with ``beam.Filter`` (no multi-output
ParDo): both work on the embedded runner, Dask, Dataflow, Flink and Spark (see RT2_AND_PEERS.md, "Real-data facts").

- :class:`ReadStandardized`: a robot-data source's work units -> ``(OK, CanonicalEpisode)`` | ``(DEAD, RecordDeadLetter)``
  (``rt2data.spec.episodes.iter_standardized`` on the workers);
- :class:`CombineStats`: canonical episodes -> one accumulator state of their statistics;
- :class:`CountFirst`: ``(count, smallest value)`` per key (``mix``: a key's occurrences and its first location);
- :func:`split_tagged`: a tagged PCollection -> ``(ok values, dead values)``.

The embedded runner (``rt2data.pipelines.local``) runs the same library functions without Beam.
"""

from __future__ import annotations

from typing import Any

import apache_beam as beam

from rt2data.spec.episodes import DEAD, OK, iter_standardized
from rt2data.spec.model import DatasetSpec
from rt2data.stats import accumulators as st
from rt2data.stats.dataset_stats import finite_rows

__all__ = ["OK", "DEAD", "ReadStandardized", "CombineStats", "CountFirst", "split_tagged", "spread"]


def split_tagged(pcoll, label: str):
    """Split a PCollection of ``(tag, value)`` into ``(ok_values, dead_values)`` with two Filters."""
    import apache_beam as beam  # here, not at the top: the embedded runner never imports Beam (keeps start-up light)

    ok = pcoll | f"{label}Ok" >> beam.Filter(lambda kv: kv[0] == OK) | f"{label}OkValues" >> beam.Map(lambda kv: kv[1])
    dead = (
        pcoll
        | f"{label}Dead" >> beam.Filter(lambda kv: kv[0] == DEAD)
        | f"{label}DeadValues" >> beam.Map(lambda kv: kv[1])
    )
    return ok, dead


def spread(pipeline, items: list, label: str):
    """``items`` as a PCollection spread over the workers (``Create`` without its own reshuffle, then one)."""
    return pipeline | f"{label}Create" >> beam.Create(items, reshuffle=False) | f"{label}Spread" >> beam.Reshuffle()


class _ReadUnit:
    """Reads one work unit on a worker (a picklable callable: the source pickles as its location)."""

    def __init__(self, source: Any, spec: DatasetSpec, corrupt: str):
        self.source, self.spec, self.corrupt = source, spec, corrupt

    def __call__(self, unit):
        return iter_standardized(self.source, unit, self.spec, corrupt=self.corrupt)


class ReadStandardized(beam.PTransform):
    """Read the work units of a robot-data source and standardize every episode with ``spec``.

    Args:
        source: an opened ``rt2data.sources.RobotSource`` (today an RLDS dataset).
        units: the units to read (``source.work_units(split)``), in input order.
        spec: the dataset spec.
        corrupt: ``error`` (an unreadable record stops the run) or ``skip`` (dead-lettered, counted).

    Returns a PCollection of ``(OK, CanonicalEpisode)`` and ``(DEAD, RecordDeadLetter)``.
    """

    def __init__(self, source: Any, units: list, spec: DatasetSpec, *, corrupt: str = "error"):
        super().__init__()
        self.source, self.units, self.spec, self.corrupt = source, list(units), spec, corrupt

    def expand(self, pbegin):
        return spread(pbegin, self.units, "Units") | "Read" >> beam.FlatMap(
            _ReadUnit(self.source, self.spec, self.corrupt))


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


class CountFirst(beam.CombineFn):
    """(count, (smallest location, its where)) of a key's occurrences; inputs are ``(location, where)``."""

    def create_accumulator(self):
        return (0, None)

    def add_input(self, acc, value):
        loc = (tuple(value[0]), value[1])
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
