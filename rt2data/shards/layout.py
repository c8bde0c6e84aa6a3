"""Output directory policy: refuse, overwrite or resume an existing output; finalize a finished one.

Our files in an output directory: ``manifest.json``, shards ``PREFIX-NNNNNN.tar|tfrecord``, the progress ledger
``.shards.partial.jsonl`` + ``.shards.partial.lock``, temp files ``.NAME.tmp-<uuid>``, the dataset card
``README.md`` while it carries our marker (``rt2data.shards.card``), and the staging directory of a pipeline that
publishes its shards only when the whole run succeeded (:func:`prepare_staged_output`, :func:`publish_staged`).
Nothing else is ever touched (no other files, no other sub-directories). Every name read back from a file in the
output (ledger, manifest, staging markers) must be a plain shard name that resolves inside it (``ShardInfo`` and
``rt2data.shards.files.inside`` check) before it is read, written, renamed or deleted.

``out_dir`` may be a URL (``rt2data.io``): on an object store the ledger is a header object plus one
``.shards.partial.NAME.json`` per shard (see ``ledger``), a staging "directory" is a prefix inside OUT, and renames
are copies; the commit order is the same (shards, then ``manifest.json`` last, then the ledger or the staging
prefix is removed).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from rt2data import io
from rt2data.errors import OutputError, Rt2DataError
from rt2data.shards import ledger as ledger_lib
from rt2data.shards.card import CARD_NAME, is_our_card, write_dataset_card
from rt2data.shards.files import (
    LEDGER_ENTRY_RE, LEDGER_NAME, LOCK_NAME, MANIFEST_NAME, TEMP_RE, file_sha256, fsync_dir, inside,
)
from rt2data.shards.info import SHARD_RE, ShardInfo
from rt2data.shards.manifest import Manifest, load_manifest, write_manifest

STAGING_FINGERPRINT = "fingerprint"
"""File in a staging directory holding the config fingerprint of the run that fills it."""

__all__ = [
    "OutputState",
    "scan_output_dir",
    "prepare_output_dir",
    "remove_output_files",
    "finalize_output",
    "prepare_staged_output",
    "publish_staged",
    "STAGING_FINGERPRINT",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutputState:
    """Which of our files an output directory holds (names, sorted)."""

    manifest: bool
    ledger: bool
    shards: tuple[str, ...]
    temps: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.manifest or self.ledger or self.shards or self.temps)

    def describe(self) -> str:
        parts = ["manifest.json"] if self.manifest else []
        parts += [f"{len(self.shards)} shard files"] if self.shards else []
        parts += ["a progress ledger of an unfinished run"] if self.ledger else []
        parts += [f"{len(self.temps)} temp files"] if self.temps else []
        return ", ".join(parts) or "nothing of ours"


def scan_output_dir(out_dir: str | os.PathLike[str]) -> OutputState:
    """Our files in ``out_dir`` (which may not exist)."""
    names = io.listdir(out_dir)
    return OutputState(
        manifest=MANIFEST_NAME in names,
        ledger=LEDGER_NAME in names or any(LEDGER_ENTRY_RE.match(n) for n in names),
        shards=tuple(n for n in names if SHARD_RE.match(n)),
        temps=tuple(n for n in names if TEMP_RE.match(n)),
    )


def remove_output_files(out_dir: str | os.PathLike[str]) -> int:
    """Remove our files (manifest, shards, ledger, lock, temps) from ``out_dir``; returns how many."""
    out = io.location(out_dir)
    state = scan_output_dir(out)
    present = set(io.listdir(out))
    names = [*state.shards, *state.temps, MANIFEST_NAME, LEDGER_NAME, LOCK_NAME,
             *(n for n in sorted(present) if LEDGER_ENTRY_RE.match(n))]
    if CARD_NAME in present and is_our_card(io.join(out, CARD_NAME)):
        names.append(CARD_NAME)
    doomed = [io.join(out, name) for name in names if name in present]
    io.delete(doomed)
    removed = len(doomed)
    log.info("removed %d files of a previous output from %s", removed, out)
    return removed


def _remove_temps(out: Path, state: OutputState) -> None:
    io.delete([io.join(out, name) for name in state.temps])
    if state.temps:
        log.info("removed %d temp files of an interrupted run from %s", len(state.temps), out)


def _verified(out: Path, info: ShardInfo) -> bool:
    path = inside(out, info.name, what="shard name")
    if not io.is_file(path) or io.size(path) != info.bytes:
        return False
    return file_sha256(path) == (info.sha256, info.bytes)


def _resume(out: Path, state: OutputState, fingerprint: str) -> dict[str, ShardInfo]:
    hint = "pass --overwrite to start over"
    candidates: dict[str, ShardInfo] = {}
    ledger = ledger_lib.read_ledger(out)
    if ledger is not None:
        if ledger.config_fingerprint != fingerprint:
            raise OutputError(
                f"cannot resume {out}: its unfinished run used another configuration (fingerprint "
                f"{ledger.config_fingerprint[:12]}, this run {fingerprint[:12]}); {hint} or use the same config"
            )
        candidates.update(ledger)
    if state.manifest:
        try:
            manifest = load_manifest(out)
        except Rt2DataError as exc:
            raise OutputError(f"cannot resume {out}: its manifest is unreadable ({exc}); {hint}") from exc
        if manifest.config_fingerprint != fingerprint:
            raise OutputError(
                f"cannot resume {out}: it was written with another configuration (fingerprint "
                f"{manifest.config_fingerprint[:12]}, this run {fingerprint[:12]}); {hint} or use the same config"
            )
        candidates.update({info.name: info for info in manifest.all_shards()})
    if ledger is None and not state.manifest:
        raise OutputError(
            f"cannot resume {out}: no manifest.json or progress ledger records which of its "
            f"{len(state.shards)} shard files are complete; {hint}"
        )
    _remove_temps(out, state)
    verified = {}
    for name, info in sorted(candidates.items()):
        if _verified(out, info):
            verified[name] = info
        else:
            log.warning("resume: shard %s is missing or does not match its record; it will be rewritten", name)
            io.delete([inside(out, name, what="shard name")])
    ledger_lib.start_ledger(out, fingerprint, verified)
    io.delete([io.join(out, MANIFEST_NAME)])  # rewritten at the end; the ledger now holds its shards
    log.info("resume %s: %d complete verified shards kept", out, len(verified))
    return verified


def prepare_output_dir(
    out_dir: str | os.PathLike[str], *, overwrite: bool = False, resume: bool = False, config_fingerprint: str
) -> dict[str, ShardInfo]:
    """Make ``out_dir`` ready for a run and start its progress ledger.

    Args:
        out_dir: the output directory (created when missing).
        overwrite: remove our files of a previous output first (never other files).
        resume: keep the complete shards of a previous run with the same ``config_fingerprint``.
        config_fingerprint: fingerprint of the output-deciding config (:func:`config_fingerprint`).

    Returns:
        ``{shard name: ShardInfo}`` of complete shards whose sha256 was verified (resume), else ``{}``; the
        pipeline skips those and writes the rest.

    Raises:
        OutputError: the directory holds an output and neither flag was given, both flags were given, the
            previous run's fingerprint differs, or nothing proves which shards are complete.
    """
    out = io.location(out_dir)
    if overwrite and resume:
        raise OutputError("--overwrite and --resume exclude each other: pass one of them")
    if io.is_file(out) and not io.is_dir(out):
        raise OutputError(f"output path {out} exists and is not a directory")
    io.makedirs(out)
    state = scan_output_dir(out)
    if not state.empty and not (overwrite or resume):
        raise OutputError(
            f"output directory {out} already holds an rt2data output ({state.describe()}); "
            "pass --overwrite to replace it or --resume to continue it"
        )
    if resume and not state.empty:
        return _resume(out, state, config_fingerprint)
    if overwrite and not state.empty:
        remove_output_files(out)
    ledger_lib.start_ledger(out, config_fingerprint)
    return {}


def finalize_output(
    out_dir: str | os.PathLike[str],
    shard_infos: Iterable[ShardInfo],
    *,
    manifest: Manifest | None = None,
    remove_stale: bool = True,
    image_formats: Sequence[str] | None = None,
) -> None:
    """Finish an output: drop temp files, check every listed shard exists with its size, remove stale shards,
    write the dataset card and the manifest (when given) and then remove the progress ledger.

    Args:
        out_dir: the output directory.
        shard_infos: every shard of the output (all formats).
        manifest: written atomically after the checks; the ledger is removed only once it exists.
        remove_stale: remove shard files with one of the listed prefixes that are not listed (left by an
            earlier run that wrote more shards).
        image_formats: the image formats of the WebDataset shards, when the writers counted them (the dataset
            card then reads no tar headers); None: listed from the tars.

    Raises:
        OutputError: a listed shard is missing or has another size.
    """
    out = io.location(out_dir)
    infos = list(shard_infos)
    _remove_temps(out, scan_output_dir(out))
    sizes = io.list_sizes(out)
    for info in infos:
        inside(out, info.name, what="shard name")
        if info.name not in sizes:
            raise OutputError(f"finalize {out}: shard {info.name} is missing; the run did not complete")
        if sizes[info.name] != info.bytes:
            raise OutputError(
                f"finalize {out}: shard {info.name} has {sizes[info.name]} bytes, its record says {info.bytes}"
            )
    if remove_stale:
        listed = {info.name for info in infos}
        prefixes = {SHARD_RE.match(name).group("prefix") for name in listed if SHARD_RE.match(name)}
        for name in scan_output_dir(out).shards:
            if name not in listed and SHARD_RE.match(name).group("prefix") in prefixes:
                log.warning("removing stale shard %s (not part of this output)", io.join(out, name))
                io.delete([io.join(out, name)])
    if manifest is not None:
        write_dataset_card(out, manifest, image_formats=image_formats)  # before the manifest, whose presence means "complete"
        write_manifest(out, manifest)
        ledger_lib.remove_ledger(out)


def prepare_staged_output(
    out_dir: str | os.PathLike[str],
    *,
    staging: str,
    overwrite: bool = False,
    resume: bool = False,
    config_fingerprint: str,
    extra_files: Iterable[str] = (),
) -> Manifest | None:
    """Refuse, clear or resume ``out_dir`` for a run that writes everything under ``OUT/staging`` and publishes it
    (:func:`publish_staged`) only when the whole run succeeded.

    Args:
        out_dir: the output directory (need not exist).
        staging: name of the staging sub-directory (it must not be a link leaving ``out_dir``).
        overwrite: remove our files, ``extra_files`` and the staging directory first.
        resume: keep the staging directory of an interrupted run with the same fingerprint.
        config_fingerprint: fingerprint of the output-deciding config.
        extra_files: other file names the run writes into ``out_dir`` (removed by ``overwrite``).

    Returns:
        The manifest of a finished output with the same fingerprint (``resume``): the caller verifies it and
        returns it or starts over (:func:`remove_output_files`); None otherwise.

    Raises:
        OutputError: the directory holds an output or an unfinished run and neither flag was given, both flags
            were given, or the earlier run used another configuration.
    """
    out = io.location(out_dir)
    hint = "pass --overwrite to start over"
    if overwrite and resume:
        raise OutputError("--overwrite and --resume exclude each other: pass one of them")
    if io.is_file(out) and not io.is_dir(out):
        raise OutputError(f"output path {out} exists and is not a directory")
    stage = inside(out, staging, what="staging directory") if io.is_dir(out) else io.location(io.join(out, staging))
    state = scan_output_dir(out)
    staged = io.is_dir(stage)
    if state.empty and not staged:
        return None
    if not (overwrite or resume):
        unfinished = f", an unfinished run in {staging}/" if staged else ""
        raise OutputError(
            f"output directory {out} already holds an rt2data output ({state.describe()}{unfinished}); "
            "pass --overwrite to replace it or --resume to continue it"
        )
    if overwrite:
        remove_output_files(out)
        io.delete([inside(out, name) for name in extra_files])
        io.delete_tree(stage)
        return None
    if state.manifest:
        try:
            manifest = load_manifest(out)
        except Rt2DataError as exc:
            raise OutputError(f"cannot resume {out}: its manifest is unreadable ({exc}); {hint}") from exc
        if manifest.config_fingerprint != config_fingerprint:
            raise OutputError(f"cannot resume {out}: it was written with another configuration; {hint}")
        return manifest
    marker = io.join(stage, STAGING_FINGERPRINT)
    if io.is_file(marker) and io.read_bytes(marker).decode(errors="replace") != config_fingerprint:
        raise OutputError(f"cannot resume {out}: its unfinished run used another configuration; {hint}")
    return None


def publish_staged(
    out_dir: str | os.PathLike[str], staging: str | os.PathLike[str], shard_infos: Iterable[ShardInfo],
    *, manifest: Manifest, image_formats: Sequence[str] | None = None,
) -> None:
    """Move the complete shards of a finished run from ``staging`` to their final names in ``out_dir``, remove
    stale shards of the same prefixes, write the manifest, then remove the staging directory.

    ``image_formats``: as for :func:`finalize_output` (the dataset card's; None: listed from the tars).

    Raises:
        OutputError: a listed shard is missing from ``staging`` (and from ``out_dir``) or has another size.
    """
    out, stage = io.location(out_dir), io.location(staging)
    infos = list(shard_infos)
    for info in infos:
        src, dst = inside(stage, info.name, what="shard name"), inside(out, info.name, what="shard name")
        if io.is_file(src):
            size = io.size(src)
            if size != info.bytes:
                raise OutputError(f"publish {out}: staged shard {src} has {size} bytes, its record says {info.bytes}")
            io.rename(src, dst)  # on an object store: copy, then delete (the object appears whole)
        elif not io.is_file(dst):  # moved by an earlier, interrupted publish
            raise OutputError(f"publish {out}: shard {info.name} is missing from {stage}; the run did not complete")
    fsync_dir(out)
    finalize_output(out, infos, manifest=manifest, image_formats=image_formats)
    io.delete_tree(stage)
