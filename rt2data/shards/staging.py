"""The staged-output lifecycle of a run that publishes its shards only when the whole run succeeded.

Shared by every engine that writes an output through a staging directory (``convert``, ``mix`` on Beam, a local
mix engine), on a local disk as on an object store (``out_dir`` a URL, see ``rt2data.io``)::

    finished = prepare_staged_run(out, staging=S, ...)     # refuse / clear / resume; a finished output re-verified
    if finished is not None: return finished                # resume of a complete output: nothing to do
    stage, done = open_staging(out, S, config_fingerprint=fp, ledger=True)
    ... write shards into ``stage`` (skipping ``done``) ...
    publish_staged(out, stage, infos, manifest=m)           # copy/rename to final names, manifest.json last
    # or, when the run failed before it wrote anything: discard_staging(out, S, remove_out=not existed)

Refusing, clearing and resuming is :func:`rt2data.shards.layout.prepare_staged_output`; this module adds what every
caller did around it (verify a finished output, create the staging directory with its fingerprint marker and
progress ledger, leave no trace of a run that wrote nothing).
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any, Iterable

from rt2data import io
from rt2data.shards.files import atomic_write_bytes, inside
from rt2data.shards.info import ShardInfo
from rt2data.shards.layout import (
    STAGING_FINGERPRINT, prepare_output_dir, prepare_staged_output, publish_staged, remove_output_files,
)
from rt2data.shards.manifest import Manifest
from rt2data.shards.verify import verify_output

__all__ = ["prepare_staged_run", "open_staging", "discard_staging", "publish_staged"]

log = logging.getLogger(__name__)


def prepare_staged_run(
    out_dir: str | os.PathLike[str],
    *,
    staging: str,
    overwrite: bool = False,
    resume: bool = False,
    config_fingerprint: str,
    extra_files: Iterable[str] = (),
    what: str = "running",
) -> Manifest | None:
    """:func:`~rt2data.shards.layout.prepare_staged_output`, then verify a finished output it returns.

    Returns:
        The manifest of a finished output with the same fingerprint that verifies (``resume``: nothing to do);
        None when the run must write the output (a finished output that fails verification is removed first).

    Raises:
        OutputError: as ``prepare_staged_output``.
    """
    manifest = prepare_staged_output(out_dir, staging=staging, overwrite=overwrite, resume=resume,
                                     config_fingerprint=config_fingerprint, extra_files=extra_files)
    if manifest is None:
        return None
    report = verify_output(out_dir, check_schema=False)
    if report.ok:
        log.info("%s is already complete and verified; nothing to do", out_dir)
        return manifest
    log.warning("%s: finished output fails verification (%s); %s again", out_dir, report.problems[0].message, what)
    remove_output_files(out_dir)
    return None


def open_staging(
    out_dir: str | os.PathLike[str], staging: str, *, config_fingerprint: str, ledger: bool = False
) -> tuple[Any, dict[str, ShardInfo]]:
    """Create ``OUT/staging`` (a prefix on an object store) with its fingerprint marker.

    Args:
        ledger: start (or resume) a progress ledger in the staging directory, for writers that record their
            shards there (``write_shard_at(..., record_progress=True)``).

    Returns:
        ``(staging location, {name: ShardInfo} of shards an interrupted run with this fingerprint finished and
        that verify)``; the second is ``{}`` without ``ledger``.
    """
    out = io.location(out_dir)
    io.makedirs(out)
    stage = inside(out, staging, what="staging directory")
    io.makedirs(stage)
    done = prepare_output_dir(stage, resume=True, config_fingerprint=config_fingerprint) if ledger else {}
    atomic_write_bytes(io.join(stage, STAGING_FINGERPRINT), config_fingerprint.encode())
    return stage, done


def discard_staging(out_dir: str | os.PathLike[str], staging: str, *, remove_out: bool) -> None:
    """Remove the staging directory of a run that failed before writing any shard, so a corrected run needs no
    ``--overwrite``; with ``remove_out`` also ``out_dir`` itself when it is an empty local directory (the run
    created it)."""
    out = io.location(out_dir)
    io.delete_tree(inside(out, staging, what="staging directory"))
    if remove_out and not io.is_url(out):
        with contextlib.suppress(OSError):
            os.rmdir(out)
