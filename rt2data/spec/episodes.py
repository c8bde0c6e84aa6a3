"""Read and standardize, without Beam: one work unit of a robot-data source -> canonical episodes, or dead letters.

The convert and statistics pipelines run this inside a Beam transform; ``inspect`` runs it in a plain loop. A
record that cannot be read (bad CRC, truncated, undecodable) is dead-lettered under ``corrupt="skip"`` and raises
``DataError`` naming file and offset under ``corrupt="error"``; an episode the spec cannot standardize (wrong
shape, missing key) is dead-lettered with reason ``bad_episode``, its steps counted as dropped.
"""

from __future__ import annotations

import logging
from typing import Any, Iterator

from rt2data.dead_letters import RecordDeadLetter
from rt2data.errors import DataError, SpecError
from rt2data.rlds.reader import BadRecord
from rt2data.spec.model import DatasetSpec
from rt2data.spec.standardize import standardize

__all__ = ["OK", "DEAD", "iter_standardized", "bad_record_letter"]

log = logging.getLogger(__name__)

OK = "ok"
DEAD = "dead"


def bad_record_letter(bad: BadRecord) -> RecordDeadLetter:
    """A record that could not be read at all: its steps are unknown, so it accounts for 0 steps."""
    where = f" at byte offset {bad.offset}" if bad.offset is not None else ""
    return RecordDeadLetter(
        reason=bad.reason,
        source_path=bad.path,
        record_index=bad.index,
        detail=f"{bad.path} record {bad.index}{where}: {bad.message}",
        steps=0,
        records=bad.records,
    )


def iter_standardized(source: Any, unit: Any, spec: DatasetSpec, *, corrupt: str) -> Iterator[tuple[str, Any]]:
    """Read one work unit of ``source`` (``rt2data.sources.RobotSource``) and standardize each episode.

    Yields:
        ``(OK, CanonicalEpisode)`` or ``(DEAD, RecordDeadLetter)``, in input order.
    """
    for record in source.read_unit(unit, corrupt=corrupt, fields=spec.fields_read()):
        if isinstance(record, BadRecord):
            yield DEAD, bad_record_letter(record)
            continue
        try:
            episode = standardize(spec, record)
        except (SpecError, DataError) as exc:
            log.warning("dead-lettered %s: %s", record.describe(), exc)
            yield DEAD, RecordDeadLetter(
                reason="bad_episode",
                source_path=record.path,
                record_index=record.record_index,
                detail=str(exc),
                steps=record.num_steps,
            )
            continue
        yield OK, episode
