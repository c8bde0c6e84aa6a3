"""Plain-text rendering of a summary and an episode table, for terminals 80-100 columns wide (no colour here;
the CLI adds colour only on a TTY)."""

from __future__ import annotations

import textwrap
from typing import Iterable, Sequence

from rt2data.inspection.episode import EpisodeTable
from rt2data.inspection.summary import Summary

__all__ = ["format_summary", "format_episode", "DEFAULT_WIDTH"]

DEFAULT_WIDTH = 100
_COL = 10  # width of one numeric column, separator included


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _wrap(text: str, width: int) -> list[str]:
    """Wrap a sentence over lines of ``width`` (continuation lines indented); long ids are broken, not cut."""
    return textwrap.wrap(text, width=width, subsequent_indent="    ", break_on_hyphens=False) or [""]


def format_summary(summary: Summary, *, width: int = DEFAULT_WIDTH) -> str:
    """The summary as lines of at most ``width`` characters."""
    fmts = f" ({', '.join(summary.formats)})" if summary.formats else ""
    head = (f"{summary.path}: RLDS dataset, tokenized on the fly" if summary.origin == "rlds"
            else f"{summary.path}: {summary.origin} output{fmts}")
    lines = [*_wrap(head, width), f"examples  {summary.examples}   episodes  {summary.episodes}",
             *_wrap(f"sources   {_counts(summary.sources)}", width), *_wrap(f"kinds     {_counts(summary.kinds)}", width)]
    acc = summary.accounting
    if acc is not None:
        dropped = _counts(acc.get("dropped") or {})
        lines += _wrap(f"accounting: input {acc['input']}, written {acc['written']}, dropped: {dropped}", width)
    for usage in summary.usage:
        lines += ["", *_wrap(f"robot source {usage.source}: {usage.examples} examples, {usage.episodes} episodes, "
                             f"{len(usage.dims)} action dimensions", width)]
        lines.append(f"{'dim':<10} {'clip':>6} {'bins used':>10} {'end bins':>11}  top bins (bin:count)")
        for dim in usage.dims:
            clip = "   n/a" if dim.clip_rate is None else f"{dim.clip_rate:>6.1%}"
            low, high = dim.end_fractions
            ends = f"{low:>4.0%}/{high:>4.0%}" if dim.kind == "continuous" else "-"
            top = " ".join(f"{b}:{c}" for b, c in dim.top_bins())
            used = f"{dim.bins_used}/{dim.n_tokens}"
            lines.append(_clip(f"{dim.name[:10]:<10} {clip} {used:>10} {ends:>11}  {top}", width))
    if summary.warnings:
        lines += ["", f"{len(summary.warnings)} warning(s):"]
        lines += [line for w in summary.warnings for line in _wrap(f"warning: {w}", width)]
    elif summary.usage:
        lines += ["", "no warnings: no saturated, collapsed or heavily clipped dimension"]
    if summary.notes:
        lines += [""] + [line for n in summary.notes for line in _wrap(f"note: {n}", width)]
    return "\n".join(lines)


def _num(value: float | None, spec: str) -> str:
    """A number in at most ``_COL - 1`` characters (fewer digits, then scientific notation, when it is long)."""
    if value is None:
        return "-".rjust(_COL - 1)
    for attempt in (spec, ".3g", ".2e", ".1e", ".0e"):
        text = format(value, attempt)
        if len(text) <= _COL - 1:
            return text.rjust(_COL - 1)
    return text[: _COL - 1]


def _chunks(names: Sequence[str], width: int) -> list[range]:
    per = max(1, (width - 10) // _COL)
    return [range(i, min(i + per, len(names))) for i in range(0, len(names), per)]


def _grid(label_values: Iterable[tuple[str, Sequence[float | None] | None, str]], names: Sequence[str],
          width: int) -> list[str]:
    rows = list(label_values)
    out: list[str] = []
    for cols in _chunks(names, width):
        out.append("  " + " " * 8 + "".join(f"{names[i][:_COL - 1]:>{_COL}}" for i in cols))
        for label, values, spec in rows:
            if values is not None:
                out.append(f"  {label:<8}" + "".join(" " + _num(values[i], spec) for i in cols))
    return out


def format_episode(table: EpisodeTable, *, width: int = DEFAULT_WIDTH) -> str:
    """One block per step: action string, then raw / decoded / error-in-bins per dimension."""
    lines = _wrap(f"episode {table.episode_id}", width)
    lines += _wrap(f"source {table.source}, {len(table.rows)} steps; selected by {table.selected_by}", width)
    missing = table.missing_steps()
    if missing:
        lines += _wrap(f"note: steps {missing} are not in the output (dropped by convert, or not drawn by the mix)",
                       width)
    if not table.codec_known:
        lines.append("note: no codec recorded for this source: decoded actions and errors are not available")
    worst = table.max_abs_err_bins()
    lines += _wrap("max |error| in bins: " + ", ".join(
        f"{n} {'-' if w is None else f'{w:.2f}'}" for n, w in zip(table.dims, worst)), width)
    instruction = object()
    for row in table.rows:
        head = f"step {row.step}" + (f" (x{row.copies} in the output)" if row.copies > 1 else "")
        if row.instruction != instruction:
            head += f"  instruction: {row.instruction if row.instruction is not None else '(none)'}"
            instruction = row.instruction
        lines += ["", *_wrap(head, width), *_wrap(f"  action  {row.action_text}", width)]
        if row.problem:
            lines += _wrap(f"  problem: {row.problem}", width)
        lines += _grid([("raw", row.raw, ".4g"), ("decoded", row.decoded, ".4g"), ("err/bin", row.err_bins, "+.2f")],
                       table.dims, width)
    return "\n".join(lines)
