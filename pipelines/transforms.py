"""Reading RLDS shards inside Beam, portably.

Work items are ``(ShardRef)`` elements made by ``beam.Create`` and read by a DoFn (no bounded-source ``Read``),
and results are *tagged elements* ``(TAG, value)`` split with ``beam.Filter`` (no multi-output ParDo): both work on
every runner we claim, DaskRunner included (see RT2_AND_PEERS.md, "Real-data facts").
"""

from __future__ import annotations

import logging
from typing import Any, Iterator

import apache_beam as beam

from rt2data.convert import DeadLetter
from rt2data.errors import DataError, SpecError
from rt2data.spec.standardize import standardize
from rt2data.rlds import BadRecord, open_dataset

__all__ = ["OK", "DEAD", "tagged", "split_tagged", "iter_standardized", "bad_record_letter"]

log = logging.getLogger(__name__)

OK = "ok"
DEAD = "dead"


def tagged(tag: str, value: Any) -> tuple[str, Any]:
    return (tag, value)


def split_tagged(pcoll, label: str):
    """Split a PCollection of ``(tag, value)`` into ``(ok_values, dead_values)`` with two Filters."""
    ok = pcoll | f"{label}Ok" >> beam.Filter(lambda kv: kv[0] == OK) | f"{label}OkValues" >> beam.Map(lambda kv: kv[1])
    dead = (
        pcoll
        | f"{label}Dead" >> beam.Filter(lambda kv: kv[0] == DEAD)
        | f"{label}DeadValues" >> beam.Map(lambda kv: kv[1])
    )
    return ok, dead


def bad_record_letter(bad) -> DeadLetter:
    """A record that could not be read at all: its steps are unknown, so it accounts for 0 steps."""
    where = f" at byte offset {bad.offset}" if bad.offset is not None else ""
    return DeadLetter(
        reason=bad.reason,
        source_path=bad.path,
        record_index=bad.index,
        detail=f"{bad.path} record {bad.index}{where}: {bad.message}",
        steps=0,
        records=bad.records,
    )


def iter_standardized(ref, spec, *, corrupt: str) -> Iterator[tuple[str, Any]]:
    """Read one shard and standardize each episode: yields ``(OK, CanonicalEpisode)`` or ``(DEAD, DeadLetter)``.

    A record that cannot be read (bad CRC, truncated, undecodable) is dead-lettered under ``corrupt="skip"`` and
    raises ``DataError`` naming file and offset under ``corrupt="error"``. An episode the spec cannot standardize
    (wrong shape, missing key) is dead-lettered with reason ``bad_episode``, its steps counted as dropped.
    """

    dataset = open_dataset(ref.dataset_dir)
    for record in dataset.read_shard(ref, corrupt=corrupt):
        if isinstance(record, BadRecord):
            yield DEAD, bad_record_letter(record)
            continue
        try:
            episode = standardize(spec, record)
        except (SpecError, DataError) as exc:
            steps = record.num_steps
            log.warning("dead-lettered %s: %s", record.describe(), exc)
            yield DEAD, DeadLetter(
                reason="bad_episode",
                source_path=record.path,
                record_index=record.record_index,
                detail=str(exc),
                steps=steps,
            )
            continue
        yield OK, episode
