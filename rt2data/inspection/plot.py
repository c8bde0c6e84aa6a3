"""Pictures of what the tokenizer did: one episode's actions over time, and bin usage per dimension.

Drawn with matplotlib's object API (``matplotlib.figure.Figure`` rendered by the Agg canvas), so it works headless
and never touches the pyplot backend of the caller. matplotlib is an optional extra:
``pip install 'rt2data[plot]'``; without it the functions raise ``MissingDependencyError`` (an ``ImportError``).

- :func:`plot_episode`: a panel per action dimension with the raw action and the action decoded from the tokens
  over the steps (clipped steps stand out where the two part), and a strip of frames below.
- :func:`plot_bin_usage`: a histogram of the 256 bins per dimension and robot source, end bins marked.
"""

from __future__ import annotations

import io
import logging
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from rt2data.errors import ConfigError, DataError, OutputError
from rt2data.inspection.deps import require
from rt2data.inspection.episode import EpisodeTable
from rt2data.inspection.summary import Summary

__all__ = ["plot_episode", "plot_bin_usage", "PLOT_INSTALL"]

log = logging.getLogger(__name__)

PLOT_INSTALL = "pip install 'rt2data[plot]'"
_COLS = 4


def _figure(width: float, height: float) -> Any:
    require("matplotlib", what="drawing plots (--plot)", install=PLOT_INSTALL)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _save(fig: Any, path: str | os.PathLike[str]) -> Path:
    out = Path(path)
    fmt = out.suffix.lstrip(".").lower() or "png"
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ConfigError(f"cannot draw {out}: {fmt!r} is not a picture format matplotlib writes; "
                          f"use .png, .svg or .pdf (or one of {sorted(supported)})")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format=fmt)
    except OSError as exc:
        raise OutputError(f"cannot write the picture {out}: {exc.strerror or exc}; choose a writable path") from exc
    log.info("wrote %s", out)
    return out


def _frames(table: EpisodeTable, max_frames: int) -> list[tuple[int, np.ndarray]]:
    """Up to ``max_frames`` evenly spaced (step, RGB array) pairs; undecodable images are skipped."""
    from PIL import Image

    n = len(table.images)
    picks = sorted(set(np.linspace(0, n - 1, num=min(n, max_frames)).round().astype(int).tolist())) if n else []
    out = []
    for i in picks:
        try:
            with Image.open(io.BytesIO(table.images[i])) as im:
                out.append((table.rows[i].step, np.asarray(im.convert("RGB"))))
        except Exception as exc:  # Pillow raises many types for bad bytes
            log.warning("frame of step %s not drawn: %s", table.rows[i].step, exc)
    return out


def plot_episode(table: EpisodeTable, path: str | os.PathLike[str], *, max_frames: int = 8) -> Path:
    """Write a picture of one episode: raw vs decoded action per dimension over the steps, then a frame strip.

    Args:
        table: from ``rt2data.inspection.episode_table``.
        path: output file; the format comes from the extension (``.png``, ``.svg``, ``.pdf``).
        max_frames: frames in the strip (evenly spaced over the episode).

    Returns:
        The path written.
    """
    d = len(table.dims)
    rows = max(1, math.ceil(d / _COLS))
    frames = _frames(table, max_frames)
    fig = _figure(3.2 * _COLS, 2.3 * rows + (2.0 if frames else 0) + 0.4)
    grid = fig.add_gridspec(rows + (1 if frames else 0), 1, height_ratios=[2.3] * rows + ([2.0] if frames else []))
    panels = grid[:rows, 0].subgridspec(rows, _COLS)
    steps = [r.step for r in table.rows]
    instruction = next((r.instruction for r in table.rows if r.instruction), None)
    fig.suptitle(f"{table.source}: episode {table.episode_id}" + (f"\n{instruction!r}" if instruction else ""),
                 fontsize=10)
    for i, name in enumerate(table.dims):
        ax = fig.add_subplot(panels[i // _COLS, i % _COLS])
        raw = [r.raw[i] if i < len(r.raw) else np.nan for r in table.rows]
        ax.plot(steps, raw, "o-", color="tab:blue", lw=1.2, ms=3, label="raw action")
        decoded = [r.decoded[i] if r.decoded is not None else np.nan for r in table.rows]
        if not all(np.isnan(decoded)):
            ax.plot(steps, decoded, "s--", color="tab:orange", lw=1.0, ms=3, label="decoded from tokens")
        worst = table.max_abs_err_bins()[i]
        ax.set_title(name + ("" if worst is None else f"  (max |err| {worst:.2f} bins)"), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=7, loc="best")
        if i // _COLS == rows - 1:
            ax.set_xlabel("step", fontsize=7)
    if frames:
        strip = grid[rows, 0].subgridspec(1, len(frames))
        for j, (step, image) in enumerate(frames):
            ax = fig.add_subplot(strip[0, j])
            ax.imshow(image)
            ax.set_title(f"step {step}", fontsize=7)
            ax.axis("off")
    return _save(fig, path)


def _histogram(ax: Any, counts: np.ndarray, *, ends: bool) -> None:
    """Counts per bin: bars for a few classes; with ``ends`` (a continuous dimension) a filled step over the bins,
    the first and last bins drawn red and wide enough to see at the edges."""
    n = len(counts)
    if not ends:
        ax.bar(np.arange(n), counts, width=0.8, color="tab:blue")
        ax.set_xticks(np.arange(n))
        return
    # one filled step outline over the bins (what bars of width 1 draw), not one patch per bin: 256 bars per panel
    # took most of a plot's time
    ax.stairs(counts, np.arange(n + 1) - 0.5, fill=True, color="tab:blue")
    pad = max(1.0, n / 48)
    ax.bar([0, n - 1], [counts[0], counts[-1]], width=pad, color="tab:red")
    ax.set_xlim(-pad, n - 1 + pad)


def plot_bin_usage(summary: Summary, path: str | os.PathLike[str]) -> Path:
    """Write a histogram of token usage per action dimension (one block of panels per robot source).

    End bins are drawn red (a saturated dimension shows as a tall red bar); titles give bins used and clip rate.
    Raises ``DataError`` when the summary has no robot source (nothing to draw).
    """
    if not summary.usage:
        raise DataError(f"{summary.path} has no action examples: there is no bin usage to plot")
    blocks = [(u, max(1, math.ceil(len(u.dims) / _COLS))) for u in summary.usage]
    rows = sum(r for _, r in blocks)
    fig = _figure(3.2 * _COLS, 2.1 * rows + 0.5)
    grid = fig.add_gridspec(rows, _COLS)
    fig.suptitle(f"bin usage: {summary.path}", fontsize=10)
    flagged = {(w.source, w.dim) for w in summary.warnings}
    row = 0
    for usage, n_rows in blocks:
        for i, dim in enumerate(usage.dims):
            ax = fig.add_subplot(grid[row + i // _COLS, i % _COLS])
            counts = np.asarray(dim.histogram)
            _histogram(ax, counts, ends=dim.kind == "continuous")
            clip = "" if dim.clip_rate is None else f", clip {dim.clip_rate:.1%}"
            warn = "  (!)" if (usage.source, dim.name) in flagged else ""
            ax.set_title(f"{usage.source}/{dim.name}: {dim.bins_used}/{dim.n_tokens} bins{clip}{warn}", fontsize=8,
                         color="tab:red" if warn else "black")
            ax.tick_params(labelsize=7)
            if i // _COLS == n_rows - 1:
                ax.set_xlabel("bin", fontsize=7)
        row += n_rows
    return _save(fig, path)
