"""``rt2data validate``: a thin click wrapper over ``rt2data.inspection.validate``, in a module of its own so the
command starts without what ``inspect`` imports (issue 14: start-up counts in every validate)."""

from __future__ import annotations

import shutil
import textwrap

import click

from rt2data.cli.output import json_option, to_json
from rt2data.cli.runner_opts import PathOrUrl, filesystem_options, show_progress
from rt2data.cores import default_workers
from rt2data.inspection.validate import validate_output

__all__ = ["validate"]


def _width() -> int:
    """Terminal width, kept within 80..100 columns (tables are laid out for that)."""
    return max(80, min(100, shutil.get_terminal_size((100, 24)).columns))


@click.command()
@click.argument("out_dir", type=PathOrUrl(exists=True, file_okay=False))
@click.option("--show", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many problems to print.")
@click.option("--max-problems", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Stop recording problems after this many (the check goes on).")
@json_option
@click.option("--tokenizer", "tokenizer_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Tokenizer to check input_ids/labels with (default: the file the manifest records).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes reading shards of a local output (default: the cores available, at most 8); the "
                   "report is the same for any number.")
@filesystem_options
@click.pass_context
def validate(ctx, out_dir, show, max_problems, as_json, tokenizer_path, workers):
    """Check an output completely; exit 0 only when everything holds.

    Every shard's sha256, size and count against manifest.json; every
    example against the JSON Schema; every action target parses with the
    codec, lies in the action space and equals action_tokens; every prompt
    is its recorded template. Problems are listed as shard, key, message.

    \b
    Example:
      rt2data validate out/bridge && echo ok
    """

    report = validate_output(out_dir, max_problems=max_problems, progress=show_progress(ctx),
                             tokenizer=tokenizer_path, workers=default_workers() if workers is None else workers)
    if as_json:
        click.echo(to_json(report.to_json_dict()))
    elif report.ok:
        click.echo(f"{out_dir}: ok: {report.shards_checked} shard files, {report.examples_checked} examples checked "
                   "over all formats (sha256, counts, schema, action targets, prompts)")
    else:
        many = f"{len(report.problems)}{'+' if len(report.problems) >= max_problems else ''}"
        click.echo(f"{out_dir}: {many} problems in {report.shards_checked} shards, "
                   f"{report.examples_checked} examples; the first {min(show, len(report.problems))}:")
        for problem in report.problems[:show]:
            click.echo(f"  shard {problem.shard or '-'}  key {problem.key or '-'}")
            click.echo(textwrap.fill(problem.message, width=_width(), initial_indent="    ",
                                     subsequent_indent="    ", break_on_hyphens=False))
    if not report.ok:
        click.echo(f"error: {out_dir} failed validation: {len(report.problems)} problem(s); re-create it with the "
                   "command that wrote it (--overwrite) or restore the listed shards", err=True)
        ctx.exit(1)
