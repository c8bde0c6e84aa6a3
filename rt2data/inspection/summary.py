"""The summary of an output: examples, episodes, sources and kinds; per robot source and action dimension the clip
rate, bin usage and most used bins; warnings for saturated, collapsed or heavily clipped dimensions.

Bin usage counts the tokens stored in the examples (``action_tokens``). The clip rate re-encodes ``action_raw``
with the source's codec and counts the values the codec clipped (normalization range or action-space range), so
it describes exactly the examples in the output (a mixture may repeat some).

Warnings (continuous dimensions with at least ``min_count`` values):

- ``saturated``: more than ``saturated_fraction`` of the values sit in one end bin (bin 0 or the last bin): the
  normalization range is too narrow or the units are wrong. A ``gripper`` dimension that only uses its two end
  bins is a binary gripper and is not flagged.
- ``collapsed``: the values use at most ``collapsed_bins`` bins: the dimension carries almost no information
  (a constant action, a dimension in the wrong units, a normalization range far too wide).
- ``clipped``: more than ``clipped_fraction`` of the values were clipped by the codec (q01/q99 normalization
  clips about 2% by design).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from rt2data.codec.action_codec import ActionCodec
from rt2data.errors import EncodeError

__all__ = ["DimUsage", "SourceUsage", "InspectWarning", "Summary", "summarize", "dim_warnings", "TOP_BINS"]

TOP_BINS = 5
_BATCH = 2048


@dataclass(frozen=True)
class DimUsage:
    """Token usage of one action dimension of one robot source.

    Attributes:
        name: dimension name. kind: ``continuous`` | ``discrete``. n_tokens: bins (or classes).
        count: values seen. clipped: values the codec clipped (None without a codec).
        histogram: int[n_tokens], count per bin.
    """

    name: str
    kind: str
    n_tokens: int
    count: int
    clipped: int | None
    histogram: tuple[int, ...] = field(repr=False)

    @property
    def clip_rate(self) -> float | None:
        return None if self.clipped is None or not self.count else self.clipped / self.count

    @property
    def bins_used(self) -> int:
        return sum(1 for c in self.histogram if c)

    @property
    def end_fractions(self) -> tuple[float, float]:
        """Fractions of the values in the first and in the last bin."""
        if not self.count:
            return 0.0, 0.0
        return self.histogram[0] / self.count, self.histogram[-1] / self.count

    def top_bins(self, n: int = TOP_BINS) -> list[tuple[int, int]]:
        """The ``n`` most used bins as ``(bin, count)``, most used first (ties: lower bin first)."""
        used = [(b, c) for b, c in enumerate(self.histogram) if c]
        return sorted(used, key=lambda bc: (-bc[1], bc[0]))[:n]

    def to_json_dict(self) -> dict[str, Any]:
        low, high = self.end_fractions
        return {
            "name": self.name, "kind": self.kind, "n_tokens": self.n_tokens, "count": self.count,
            "clipped": self.clipped, "clip_rate": self.clip_rate, "bins_used": self.bins_used,
            "end_fractions": [low, high], "top_bins": [list(bc) for bc in self.top_bins()],
            "histogram": list(self.histogram),
        }


@dataclass(frozen=True)
class SourceUsage:
    """Bin usage of one robot source: its examples, episodes and one :class:`DimUsage` per dimension."""

    source: str
    examples: int
    episodes: int
    dims: tuple[DimUsage, ...]
    codec_known: bool
    skipped: int = 0

    def to_json_dict(self) -> dict[str, Any]:
        return {"source": self.source, "examples": self.examples, "episodes": self.episodes,
                "codec_known": self.codec_known, "skipped": self.skipped,
                "dims": [d.to_json_dict() for d in self.dims]}


@dataclass(frozen=True)
class InspectWarning:
    """Something that looks wrong in one dimension: ``kind`` is ``saturated`` | ``collapsed`` | ``clipped``."""

    source: str
    dim: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}/{self.dim}: {self.kind}: {self.message}"

    def to_json_dict(self) -> dict[str, str]:
        return {"source": self.source, "dim": self.dim, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class Summary:
    """What ``rt2data inspect PATH`` prints (``to_json_dict`` is what ``--json`` prints)."""

    path: str
    origin: str
    examples: int
    episodes: int
    sources: dict[str, int]
    kinds: dict[str, int]
    usage: tuple[SourceUsage, ...]
    warnings: tuple[InspectWarning, ...]
    notes: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    accounting: dict[str, Any] | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "origin": self.origin, "examples": self.examples, "episodes": self.episodes,
            "sources": dict(self.sources), "kinds": dict(self.kinds), "formats": list(self.formats),
            "accounting": self.accounting, "usage": [u.to_json_dict() for u in self.usage],
            "warnings": [w.to_json_dict() for w in self.warnings], "notes": list(self.notes),
        }


class _SourceAccumulator:
    """Streaming bin counts and clip counts of one robot source (memory: D x n_tokens counters + one batch)."""

    def __init__(self, source: str, codec: ActionCodec | None, d: int) -> None:
        self.source, self.codec = source, codec
        self.names = codec.action_space.names if codec else tuple(f"dim{i}" for i in range(d))
        self.n_tokens = codec.action_space.n_tokens if codec else (256,) * d
        self.kinds = tuple(dim.kind for dim in codec.action_space) if codec else ("continuous",) * d
        self.hist = [np.zeros(n, np.int64) for n in self.n_tokens]
        self.clipped = np.zeros(d, np.int64)
        self.examples = self.skipped = 0
        self.episodes: set[str] = set()
        self.batch: list[list[float]] = []  # raw actions, as to_json_dict() gives them

    def add(self, fields: dict[str, Any]) -> None:
        """One action example, as ``Example.to_json_dict()``."""
        tokens = fields["action_tokens"] or ()
        raw = fields["action_raw"]
        if fields.get("chunk_steps"):  # an action chunk counts its first step (the step's own action)
            tokens, raw = tokens[: len(self.names)], (raw or ())[: len(self.names)]
        if len(tokens) != len(self.names) or any(not 0 <= t < n for t, n in zip(tokens, self.n_tokens)):
            self.skipped += 1
            return
        self.examples += 1
        self.episodes.add(fields["episode_id"] or "")
        for i, t in enumerate(tokens):
            self.hist[i][t] += 1
        if self.codec is not None:
            self.batch.append(raw)
            if len(self.batch) >= _BATCH:
                self.flush()

    def flush(self) -> None:
        if self.batch and self.codec is not None:
            try:
                self.clipped += self.codec.encode(np.asarray(self.batch, dtype=np.float64)).clipped.sum(axis=0)
            except EncodeError:  # non-finite raw actions: count row by row
                for row in self.batch:
                    try:
                        self.clipped += self.codec.encode(np.asarray([row], dtype=np.float64)).clipped[0]
                    except EncodeError:
                        self.skipped += 1
        self.batch = []

    def result(self) -> SourceUsage:
        self.flush()
        dims = tuple(
            DimUsage(name=n, kind=k, n_tokens=nt, count=self.examples,
                     clipped=None if self.codec is None else int(c), histogram=tuple(int(v) for v in h))
            for n, k, nt, c, h in zip(self.names, self.kinds, self.n_tokens, self.clipped, self.hist)
        )
        return SourceUsage(self.source, self.examples, len(self.episodes), dims, self.codec is not None, self.skipped)


def dim_warnings(
    source: str, dim: DimUsage, *, min_count: int = 20, saturated_fraction: float = 0.5, collapsed_bins: int = 3,
    clipped_fraction: float = 0.10,
) -> list[InspectWarning]:
    """The warnings of one dimension (rules in the module docstring)."""
    out: list[InspectWarning] = []
    if dim.kind != "continuous" or dim.count < min_count:
        return out
    low, high = dim.end_fractions
    binary = dim.bins_used <= 2 and dim.histogram[0] + dim.histogram[-1] == dim.count
    if binary and "gripper" in dim.name:
        return out
    if max(low, high) > saturated_fraction:
        end, frac = ("first", low) if low >= high else ("last", high)
        bin_index = 0 if end == "first" else dim.n_tokens - 1
        out.append(InspectWarning(source, dim.name, "saturated",
                                  f"{frac:.0%} of {dim.count} values in the {end} bin ({bin_index}): normalization "
                                  "range too narrow, or other units?"))
    if dim.bins_used <= collapsed_bins:
        used = ", ".join(str(b) for b, _ in dim.top_bins(collapsed_bins))
        out.append(InspectWarning(source, dim.name, "collapsed",
                                  f"{dim.count} values use {dim.bins_used} of {dim.n_tokens} bins ({used}): a "
                                  "constant action, or a range far too wide?"))
    rate = dim.clip_rate
    if rate is not None and rate > clipped_fraction:
        out.append(InspectWarning(source, dim.name, "clipped",
                                  f"{rate:.1%} of {dim.count} values clipped by the codec (over "
                                  f"{clipped_fraction:.0%}): check statistics and normalization"))
    return out


def summarize(inspectable, *, progress: bool = False, **warning_options: Any) -> Summary:
    """Stream every example of an :class:`~rt2data.inspection.records.Inspectable` once and summarize it.

    Args:
        inspectable: from ``open_output`` / ``open_rlds``.
        progress: show a tqdm bar on stderr.
        **warning_options: thresholds of :func:`dim_warnings`.
    """
    sources: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    accs: dict[str, _SourceAccumulator] = {}
    for fields, _ in _progress(inspectable.records(), inspectable.total, progress, "inspect"):
        source, kind, tokens = fields["source"], fields["kind"], fields["action_tokens"]
        sources[source] += 1
        kinds[kind] += 1
        if kind != "action" or tokens is None:
            continue
        acc = accs.get(source)
        if acc is None:
            acc = accs[source] = _SourceAccumulator(source, inspectable.codec_for(source),
                                                    len(tokens) // (fields.get("chunk_steps") or 1))
        acc.add(fields)
    usage = tuple(accs[name].result() for name in sorted(accs))
    warnings = tuple(w for u in usage for d in u.dims for w in dim_warnings(u.source, d, **warning_options))
    notes = list(inspectable.notes)
    notes += [f"{u.source}: {u.skipped} action examples skipped (tokens do not fit the codec, or raw action not "
              "finite)" for u in usage if u.skipped]
    manifest = inspectable.manifest
    return Summary(
        path=inspectable.path, origin=inspectable.origin, examples=sum(sources.values()),
        episodes=sum(u.episodes for u in usage), sources=dict(sorted(sources.items())),
        kinds=dict(sorted(kinds.items())), usage=usage, warnings=warnings, notes=tuple(notes),
        formats=tuple(manifest.formats) if manifest is not None else (),
        accounting=manifest.accounting.to_json_dict() if manifest is not None else None,
    )


def _progress(items: Iterable, total: int | None, enabled: bool, desc: str) -> Iterable:
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, desc=desc, unit="ex", leave=False, dynamic_ncols=True)
