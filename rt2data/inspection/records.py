"""What ``rt2data inspect`` reads: an output directory (``convert`` / ``mix``), or an RLDS dataset tokenized on the fly.

Both give an :class:`Inspectable`: a way to stream the examples again and the action codec of every robot source,
so the summary and the per-episode table are computed the same way whatever the origin.

An RLDS dataset is read with ``rt2data.rlds`` and standardized by its dataset spec; its action statistics are
computed in memory with ``rt2data.stats.accumulators`` over the episodes read (at most ``max_episodes``), the codec is built from
them exactly as ``convert`` does (``pipelines.stats.codec_from_stats``), and every episode goes through
``rt2data.convert.convert_episode``. A plain loop, no Beam: meant for inspection-sized data.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from rt2data import io
from rt2data.codec.action_codec import ActionCodec
from rt2data.inspection.codecs import ACTION_SOURCE_KINDS, codecs_from_manifest
from rt2data.errors import ConfigError, DataError
from rt2data.example import Example
from rt2data.spec.check import require_match
from rt2data.spec.episodes import DEAD, iter_standardized
from rt2data.convert import ConvertConfig, convert_episode
from rt2data.prompt import get_template
from rt2data.rlds import open_dataset
from rt2data.shards import load_manifest
from rt2data.shards.reader import iter_records
from rt2data.spec.model import DatasetSpec
from rt2data.stats import accumulators as st
from rt2data.stats.dataset_stats import codec_from_stats

__all__ = ["Inspectable", "open_inspectable", "open_output", "open_rlds", "codecs_from_manifest", "ACTION_SOURCE_KINDS"]

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Inspectable:
    """Something to inspect.

    Attributes:
        path: what was opened.
        origin: ``convert`` | ``mix`` (an output's manifest kind) or ``rlds`` (tokenized on the fly).
        codecs: action codec per robot source name.
        default_codec: codec for action examples of a source not in ``codecs`` (a convert output's codec), or None.
        total: number of examples (None when unknown).
        notes: facts worth telling the reader (subset read, codec found elsewhere, records skipped).
        manifest: the output's ``Manifest`` (None for RLDS).
    """

    path: str
    origin: str
    codecs: Mapping[str, ActionCodec]
    default_codec: ActionCodec | None
    total: int | None
    notes: tuple[str, ...] = ()
    manifest: Any = None
    _records: Callable[[], Iterator[tuple[dict[str, Any], bytes]]] = field(default=lambda: iter(()), repr=False,
                                                                          compare=False)

    def records(self) -> Iterator[tuple[dict[str, Any], bytes]]:
        """Stream every example as ``(example.to_json_dict(), example.image)`` (a new pass each call): an output's
        records come through the readers' fast check (``rt2data.shards.reader.iter_records``), with no ``Example``
        built per record, and raise what :meth:`examples` raises."""
        return self._records()

    def examples(self) -> Iterator[Example]:
        """Stream every example (a new pass each call)."""
        return (Example.from_json_dict(fields, image) for fields, image in self._records())

    def codec_for(self, source: str) -> ActionCodec | None:
        """The codec of a robot source (None when none is known)."""
        return self.codecs.get(source, self.default_codec)


def open_output(path: str | os.PathLike[str], *, fmt: str | None = None) -> Inspectable:
    """Open a ``convert`` or ``mix`` output directory (shards + ``manifest.json``).

    Raises:
        OutputError: no manifest there; SchemaError / DataError: an unreadable manifest.
    """

    out = io.location(path)
    if io.is_url(out):  # an object store has no directories: a URL names the output, or its manifest.json
        out = io.dirname(out) if io.basename(out) == "manifest.json" else out
    elif out.is_file():  # manifest.json itself is fine; a shard or any other file is not an output
        if out.name != "manifest.json":
            raise ConfigError(f"{out} is a file; pass the convert/mix output directory that holds it and manifest.json")
        out = out.parent
    manifest = load_manifest(out)
    chosen = fmt or (manifest.formats[0] if manifest.formats else None)
    if chosen is not None and chosen not in manifest.shards:
        raise ConfigError(f"{out} has no {chosen!r} shards; its manifest lists {list(manifest.formats)} (use --format)")
    codecs, default, notes = codecs_from_manifest(manifest, out)
    total = sum(i.count for i in manifest.shards.get(chosen, ())) if chosen else 0
    return Inspectable(
        path=os.fspath(out), origin=manifest.kind, codecs=codecs, default_codec=default, total=total,
        notes=tuple(notes), manifest=manifest, _records=lambda: iter_records(out, fmt=chosen),
    )


def _read_episodes(dataset, spec, split: str, max_episodes: int | None) -> tuple[list, Counter]:
    """``[(shard index, CanonicalEpisode)]`` (at most ``max_episodes``) and counts of skipped records by reason:
    the same read-and-standardize loop the pipelines run, with unreadable records skipped."""
    episodes: list = []
    skipped: Counter[str] = Counter()
    for ref in dataset.work_units(split):
        for tag, value in iter_standardized(dataset, ref, spec, corrupt="skip"):
            if max_episodes is not None and len(episodes) >= max_episodes:
                return episodes, skipped
            if tag == DEAD:
                skipped[value.reason] += value.records
                log.warning("skipped %s record %d: %s", value.source_path, value.record_index, value.detail)
                continue
            episodes.append((ref.index, value))
    return episodes, skipped


def _in_memory_codec(spec, episodes: list, where: str) -> ActionCodec:

    acc = st.create_accumulator(action_dim=len(spec.action_space))
    for _, episode in episodes:
        actions = np.asarray(episode.actions, dtype=np.float64)
        st.add_input(acc, actions[np.isfinite(actions).all(axis=1)])
    if acc.num_transitions == 0:
        raise DataError(f"{where}: no step with a finite action among {len(episodes)} episodes; nothing to inspect")
    return codec_from_stats(spec, st.extract_output(acc)["action"])


def open_rlds(
    path: str | os.PathLike[str], *, spec: str, split: str = "train", max_episodes: int | None = None
) -> Inspectable:
    """Read an RLDS dataset with its spec and tokenize it in memory as ``convert`` would.

    Args:
        path: TFDS builder directory.
        spec: dataset spec name or YAML path.
        split: split or slice (``train``, ``train[:10%]``).
        max_episodes: read at most this many episodes (statistics come from those episodes only).

    Raises:
        SpecError: the spec does not match the dataset; DataError: unreadable dataset or no usable step.
    """

    if max_episodes is not None and max_episodes < 1:
        raise ConfigError(f"--max-episodes must be >= 1, got {max_episodes}")
    dataset = open_dataset(path)
    spec_obj = DatasetSpec.load(spec)
    require_match(spec_obj, dataset.features)
    episodes, skipped = _read_episodes(dataset, spec_obj, split, max_episodes)
    codec = _in_memory_codec(spec_obj, episodes, f"{path} split {split!r}")
    config = ConvertConfig(source=spec_obj.name, missing_instruction=spec_obj.missing_instruction)
    template = get_template(config.template_id)
    examples: list[Example] = []
    dropped: Counter[str] = Counter()
    for shard_index, episode in episodes:
        converted = convert_episode(episode, shard_index=shard_index, codec=codec, config=config, template=template)
        examples.extend(converted.examples)
        dropped.update(converted.dropped)
    available = dataset.num_episodes(split)
    notes = [f"tokenized on the fly with spec {spec_obj.name!r}; statistics from the {len(episodes)} episodes read"]
    if len(episodes) < available:
        notes.append(f"read {len(episodes)} of {available} episodes (--max-episodes)")
    if skipped:
        notes.append(f"skipped records: {dict(sorted(skipped.items()))}")
    if dropped:
        notes.append(f"steps dropped as convert would: {dict(sorted(dropped.items()))}")
    frozen = tuple(examples)
    return Inspectable(
        path=os.fspath(path), origin="rlds", codecs={spec_obj.name: codec}, default_codec=codec, total=len(frozen),
        notes=tuple(notes), _records=lambda: ((ex.to_json_dict(), ex.image) for ex in frozen),
    )


def open_inspectable(
    path: str | os.PathLike[str], *, spec: str | None = None, split: str = "train", max_episodes: int | None = None,
    fmt: str | None = None,
) -> Inspectable:
    """An output directory, or (with ``spec``) an RLDS dataset; a clear error when PATH is neither (local or URL)."""
    if io.is_url(path):
        if spec is not None:
            return open_rlds(path, spec=spec, split=split, max_episodes=max_episodes)
        return open_output(path, fmt=fmt)
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p} does not exist; pass a convert/mix output directory or an RLDS dataset with --spec")
    if spec is not None:
        return open_rlds(p, spec=spec, split=split, max_episodes=max_episodes)
    if p.is_dir() and not (p / "manifest.json").is_file():
        near = [p / "features.json", *p.glob("dataset_info.json"), *p.glob("*/dataset_info.json"),
                *p.glob("*/*/dataset_info.json")]
        if any(f.is_file() for f in near):
            raise ConfigError(f"{p} looks like an RLDS dataset, not an rt2data output: pass --spec NAME to tokenize it "
                              "on the fly (rt2data schemas list shows the specs)")
    return open_output(p, fmt=fmt)
