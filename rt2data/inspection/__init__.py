"""Inspection of outputs and datasets: what the tokenizer did, before GPU days are spent on it.

- ``records``: open an output (``convert`` / ``mix``) or an RLDS dataset tokenized on the fly (:class:`Inspectable`).
- ``summary``: examples, episodes, sources, kinds; per action dimension the clip rate, bin usage, top bins and
  warnings for saturated / collapsed / clipped dimensions (:func:`summarize` -> :class:`Summary`).
- ``episode``: one episode step by step, decoded vs raw action and the error in bins (:func:`episode_table`).
- ``text``: plain-text rendering for 80-100 column terminals. ``rt2data.inspection.plot`` draws the pictures.

Everything returns frozen dataclasses with ``to_json_dict()`` (what ``rt2data inspect --json`` prints)::

    from rt2data.inspection import open_inspectable, summarize, episode_table
    item = open_inspectable("out/bridge")
    print(summarize(item).warnings)
    table = episode_table(item, "0")          # an episode_id, or an index into the sorted episode list
"""

from __future__ import annotations

from rt2data.inspection.deps import MissingDependencyError, require
from rt2data.inspection.episode import (
    EpisodeTable,
    StepRow,
    episode_table,
    error_in_bins,
    list_episodes,
    raw_bin_widths,
)
from rt2data.inspection.records import Inspectable, codecs_from_manifest, open_inspectable, open_output, open_rlds
from rt2data.inspection.summary import DimUsage, InspectWarning, SourceUsage, Summary, dim_warnings, summarize
from rt2data.inspection.text import format_episode, format_summary

__all__ = [
    "Inspectable",
    "open_inspectable",
    "open_output",
    "open_rlds",
    "codecs_from_manifest",
    "Summary",
    "SourceUsage",
    "DimUsage",
    "InspectWarning",
    "summarize",
    "dim_warnings",
    "EpisodeTable",
    "StepRow",
    "episode_table",
    "list_episodes",
    "raw_bin_widths",
    "error_in_bins",
    "format_summary",
    "format_episode",
    "MissingDependencyError",
    "require",
]
