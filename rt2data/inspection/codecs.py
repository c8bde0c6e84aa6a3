"""The action codecs of an output's robot sources, from its manifest (``inspect`` and ``validate`` both need them;
a module of its own so ``validate`` starts without what ``inspect`` imports)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Mapping

from rt2data import io
from rt2data.codec.action_codec import ActionCodec
from rt2data.errors import Rt2DataError

__all__ = ["codecs_from_manifest", "ACTION_SOURCE_KINDS"]

log = logging.getLogger(__name__)

ACTION_SOURCE_KINDS = ("action", "examples")
"""``manifest.sources[name]["kind"]`` of robot sources: ``action`` in a convert output, ``examples`` in a mixture."""


def _codec_from_source_path(manifest, name: str, out_dir: Path) -> tuple[ActionCodec, Path] | None:
    """A mixture's robot source: the codec in the manifest of the convert output its config points at."""
    entries = manifest.config.get("sources") if isinstance(manifest.config, Mapping) else None
    for entry in entries or []:
        if not isinstance(entry, Mapping) or entry.get("name") != name:
            continue
        raw = (entry.get("options") or {}).get("path")
        if not isinstance(raw, str):
            return None
        if io.is_url(raw) or os.path.isabs(raw):
            candidates = [raw]
        elif io.is_url(out_dir):
            candidates = [io.join(io.dirname(out_dir), raw), io.join(out_dir, raw)]
        else:
            candidates = [Path.cwd() / raw, out_dir.parent / raw, out_dir / raw]
        for candidate in candidates:
            if io.is_file(io.join(candidate, "manifest.json")):
                try:
                    return ActionCodec.from_file(candidate), candidate
                except Rt2DataError as exc:
                    log.warning("source %s: cannot read the codec of %s: %s", name, candidate, exc)
    return None


def codecs_from_manifest(manifest, out_dir: str | os.PathLike[str]) -> tuple[dict[str, ActionCodec], ActionCodec | None, list[str]]:
    """Codecs of an output's robot sources: ``(per source, default, notes)``.

    Looked up in order: ``sources[name]["codec"]``, the manifest's ``codec`` (a convert output), and for a mixture
    the manifest of the convert output its config names (noted, since that directory may since have changed).
    """
    default = ActionCodec.from_json(manifest.codec) if manifest.codec else None
    codecs: dict[str, ActionCodec] = {}
    notes: list[str] = []
    for name, entry in manifest.sources.items():
        if not isinstance(entry, Mapping) or entry.get("kind") not in ACTION_SOURCE_KINDS:
            continue
        if isinstance(entry.get("codec"), Mapping):
            codecs[name] = ActionCodec.from_json(entry["codec"])
        elif default is not None:
            codecs[name] = default
        elif (found := _codec_from_source_path(manifest, name, io.location(out_dir))) is not None:
            codecs[name] = found[0]
            notes.append(f"the codec of source {name!r} is not in this manifest; read it from {found[1]}")
        else:
            notes.append(f"no codec recorded for robot source {name!r}: its action strings cannot be decoded")
    return codecs, default, notes
