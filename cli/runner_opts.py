"""Shared click options: Beam runner selection and progress display."""

from __future__ import annotations

import sys

import click


def runner_options(fn):
    """--runner, --workers and repeatable --beam-arg (passed to Beam untouched)."""
    fn = click.option("--beam-arg", "beam_args", multiple=True,
                      help="Extra Beam pipeline flag, repeatable (e.g. --beam-arg=--project=my-project).")(fn)
    fn = click.option("--workers", type=click.IntRange(min=1), default=1,
                      help="Worker processes for the embedded runner.")(fn)
    fn = click.option("--runner", default=None,
                      help="Beam runner (default: the embedded runner: worker processes without Beam for convert "
                           "and stats, Beam's FnApiRunner for mix; FnApiRunner, DataflowRunner, FlinkRunner, "
                           "SparkRunner, DaskRunner with their usual flags via --beam-arg).")(fn)
    return fn


def show_progress(ctx: click.Context) -> bool:
    """Progress bars on a terminal unless --quiet."""
    root = ctx.find_root().obj or {}
    return not root.get("quiet") and sys.stderr.isatty()
