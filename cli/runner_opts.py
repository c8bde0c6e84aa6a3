"""Shared click options: Beam runner selection, filesystem options, paths that may be URLs, progress display."""

from __future__ import annotations

import functools
import sys

import click

from rt2data import io
from rt2data.cli.output import complete_runner
from rt2data.cores import default_workers
from rt2data.pipelines.local import is_local
from rt2data.pipelines.runner import RunnerOptions


class PathOrUrl(click.ParamType):
    """A local path checked like ``click.Path(**checks)``, or a URL (``gs://``, ``s3://``) passed through: an
    object store is checked when it is read."""

    name = "path"

    def __init__(self, **checks) -> None:
        self.local = click.Path(**checks)

    def convert(self, value, param, ctx):
        if isinstance(value, str) and io.is_url(value):
            return value
        return self.local.convert(value, param, ctx)


def filesystem_options(fn):
    """A repeatable --beam-arg for commands that run no pipeline but may read URLs (inspect, validate): the
    filesystem flags (--s3_endpoint_url=..., --project=...) are set for this process's I/O."""

    @functools.wraps(fn)
    def command(*args, beam_args, **kwargs):
        RunnerOptions(beam_args=tuple(beam_args)).configure_io()
        return fn(*args, **kwargs)

    return click.option("--beam-arg", "beam_args", multiple=True,
                        help="Beam filesystem flag for URLs, repeatable (e.g. --beam-arg=--s3_endpoint_url=...).")(command)


def runner_options(fn):
    """--runner, --workers and repeatable --beam-arg (passed to Beam untouched), handed to the command as one
    ``runner_options: RunnerOptions`` keyword argument."""

    inner = fn

    @functools.wraps(inner)
    def command(*args, runner, workers, beam_args, **kwargs):
        if workers is None:  # the embedded runner uses the cores; a Beam runner has its own parallelism
            workers = default_workers() if is_local(runner) else 1
        options = RunnerOptions(runner=runner, workers=workers, beam_args=tuple(beam_args))
        options.configure_io()  # the command's own reads and writes of URLs see the filesystem flags too
        return inner(*args, runner_options=options, **kwargs)

    fn = click.option("--beam-arg", "beam_args", multiple=True,
                      help="Extra Beam pipeline flag, repeatable (e.g. --beam-arg=--project=my-project, "
                           "--beam-arg=--s3_endpoint_url=http://...); filesystem flags also apply to the "
                           "command's own reads and writes of URLs.")(command)
    fn = click.option("--workers", type=click.IntRange(min=1), default=None,
                      help="Worker processes for the embedded runner (default: the cores available, at most 8); "
                           "the output is the same bytes for any number.")(fn)
    fn = click.option("--runner", default=None, shell_complete=complete_runner,
                      help="Beam runner (default: the embedded runner, worker processes without Beam; "
                           "FnApiRunner, DataflowRunner, FlinkRunner, SparkRunner, DaskRunner with their usual flags "
                           "via --beam-arg).")(fn)
    return fn


def show_progress(ctx: click.Context) -> bool:
    """Progress bars on a terminal unless --quiet."""
    root = ctx.find_root().obj or {}
    return not root.get("quiet") and sys.stderr.isatty()
