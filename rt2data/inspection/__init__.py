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

import importlib
from typing import Any

# name -> submodule: imported on first use, so ``rt2data validate`` (rt2data.inspection.validate) starts without what
# ``inspect`` needs (the RLDS reader, the convert path, statistics)
_EXPORTS = {
    "MissingDependencyError": "deps", "require": "deps",
    "EpisodeTable": "episode", "StepRow": "episode", "episode_table": "episode", "error_in_bins": "episode",
    "list_episodes": "episode", "raw_bin_widths": "episode",
    "Inspectable": "records", "codecs_from_manifest": "codecs", "open_inspectable": "records",
    "open_output": "records", "open_rlds": "records",
    "DimUsage": "summary", "InspectWarning": "summary", "SourceUsage": "summary", "Summary": "summary",
    "dim_warnings": "summary", "summarize": "summary",
    "format_episode": "text", "format_summary": "text",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
