"""Public Beam transforms over the library's functions, portable to every runner we claim.

Work units are elements made by ``beam.Create`` and read by a function (no bounded-source ``Read``, which Beam's
DaskRunner drops), and results are *tagged elements* ``(TAG, value)`` split with ``beam.Filter`` (no multi-output
ParDo): both work on the embedded runner, Dask, Dataflow, Flink and Spark (see RT2_AND_PEERS.md, "Real-data facts").

- :class:`ReadStandardized`: a robot-data source's work units -> ``(OK, CanonicalEpisode)`` | ``(DEAD, DeadLetter)``
  (``rt2data.spec.episodes.iter_standardized`` on the workers);
- :func:`split_tagged`: a tagged PCollection -> ``(ok values, dead values)``.
"""

from __future__ import annotations

from typing import Any

import apache_beam as beam

from rt2data.spec.episodes import DEAD, OK, iter_standardized
from rt2data.spec.model import DatasetSpec

__all__ = ["OK", "DEAD", "ReadStandardized", "split_tagged", "spread"]


def split_tagged(pcoll, label: str):
    """Split a PCollection of ``(tag, value)`` into ``(ok_values, dead_values)`` with two Filters."""
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

    Returns a PCollection of ``(OK, CanonicalEpisode)`` and ``(DEAD, DeadLetter)``.
    """

    def __init__(self, source: Any, units: list, spec: DatasetSpec, *, corrupt: str = "error"):
        super().__init__()
        self.source, self.units, self.spec, self.corrupt = source, list(units), spec, corrupt

    def expand(self, pbegin):
        return spread(pbegin, self.units, "Units") | "Read" >> beam.FlatMap(
            _ReadUnit(self.source, self.spec, self.corrupt))
