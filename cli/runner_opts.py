"""Shared click options: Beam runner selection and progress display."""

from __future__ import annotations

import functools
import sys

import click

from rt2data.cli.output import complete_runner
from rt2data.pipelines.runner import RunnerOptions


def runner_options(fn):
    """--runner, --workers and repeatable --beam-arg (passed to Beam untouched), handed to the command as one
    ``runner_options: RunnerOptions`` keyword argument."""

    inner = fn

    @functools.wraps(inner)
    def command(*args, runner, workers, beam_args, **kwargs):
        options = RunnerOptions(runner=runner, workers=workers, beam_args=tuple(beam_args))
        return inner(*args, runner_options=options, **kwargs)

    fn = click.option("--beam-arg", "beam_args", multiple=True,
                      help="Extra Beam pipeline flag, repeatable (e.g. --beam-arg=--project=my-project).")(command)
    fn = click.option("--workers", type=click.IntRange(min=1), default=1,
                      help="Worker processes for the embedded runner.")(fn)
    fn = click.option("--runner", default=None, shell_complete=complete_runner,
                      help="Beam runner (default: the embedded runner: worker processes without Beam for convert "
                           "and stats, Beam's FnApiRunner for mix; FnApiRunner, DataflowRunner, FlinkRunner, "
                           "SparkRunner, DaskRunner with their usual flags via --beam-arg).")(fn)
    return fn


def show_progress(ctx: click.Context) -> bool:
    """Progress bars on a terminal unless --quiet."""
    root = ctx.find_root().obj or {}
    return not root.get("quiet") and sys.stderr.isatty()
