"""What every reporting command shares: ``--json`` (one flag, one format) and shell completion of names.

A command builds its result once as a JSON-able dict and a text rendering of it; :func:`report` prints one of the
two. JSON goes to stdout with sorted keys, so ``rt2data CMD ... --json | jq`` works the same for every command.
Completion callbacks (``shell_complete=``) offer the shipped spec names, vocabulary strategies and Beam runners
(``rt2data.pipelines.environment.RUNNERS``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import click
from click.shell_completion import CompletionItem

__all__ = ["json_option", "report", "to_json", "complete_spec", "complete_strategy", "complete_runner"]



def json_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--json`` (parameter ``as_json``): print the command's result as JSON for scripts instead of text."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print the result as JSON (for scripts) instead of text.")(fn)


def _default(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(data: Any) -> str:
    """``data`` as the JSON every command prints: sorted keys, one-space indent, paths as strings."""
    return json.dumps(data, indent=1, sort_keys=True, default=_default)


def report(data: Any, text: str | Callable[[], str], *, as_json: bool) -> None:
    """Print ``data`` as JSON with ``--json``, else ``text`` (a string, or a function making it)."""
    if as_json:
        click.echo(to_json(data))
    else:
        click.echo(text() if callable(text) else text)


def _names(names: Any, incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(name) for name in sorted(names) if name.startswith(incomplete)]


def complete_spec(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Shipped spec names starting with ``incomplete``; spec files (paths) when it looks like a path."""
    from rt2data.spec.model import list_specs  # light: completion only (every command imports this module)

    if os.sep in incomplete or incomplete.startswith(".") or Path(incomplete).suffix in (".yaml", ".yml"):
        return [CompletionItem(incomplete, type="file")]
    return _names(list_specs(), incomplete) or [CompletionItem(incomplete, type="file")]


def complete_strategy(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Vocabulary strategy names (``rt2data.codec.vocab.STRATEGIES``) starting with ``incomplete``."""
    from rt2data.codec.vocab import STRATEGIES  # light: completion only

    return _names(STRATEGIES, incomplete)


def complete_runner(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Beam runner names starting with ``incomplete``."""
    from rt2data.pipelines.environment import RUNNERS  # light: completion only

    return _names((runner.name for runner in RUNNERS), incomplete)
