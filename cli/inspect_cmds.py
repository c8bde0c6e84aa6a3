"""``rt2data inspect``: a thin click wrapper over ``rt2data.inspection`` and ``rt2data.inspection.plot``
(``rt2data validate`` is in ``validate_cmds``, re-exported here)."""

from __future__ import annotations

import shutil

import click

from rt2data.cli.output import complete_spec, json_option, to_json
from rt2data.cli.runner_opts import PathOrUrl, filesystem_options, show_progress
from rt2data.inspection import episode_table, format_episode, format_summary, open_inspectable, summarize
from rt2data.cli.validate_cmds import validate

__all__ = ["inspect", "validate"]


def _width() -> int:
    """Terminal width, kept within 80..100 columns (tables are laid out for that)."""
    return max(80, min(100, shutil.get_terminal_size((100, 24)).columns))


def _echo(text: str) -> None:
    """Print; warning lines in yellow on a terminal (click strips colour when stdout is not a TTY)."""
    for line in text.splitlines():
        click.echo(click.style(line, fg="yellow") if line.startswith("warning:") else line)


@click.command()
@click.argument("path", type=PathOrUrl(exists=True))
@click.option("--spec", "spec_name", default=None, shell_complete=complete_spec,
              help="PATH is an RLDS dataset: tokenize it on the fly with this dataset spec (rt2data schemas list).")
@click.option("--split", default="train", show_default=True, help="RLDS split or slice (with --spec).")
@click.option("--max-episodes", type=click.IntRange(min=1), default=100, show_default=True,
              help="RLDS: read at most this many episodes (statistics come from them).")
@click.option("--format", "fmt", type=click.Choice(["wds", "tfrecord"]), default=None,
              help="Which shards of an output to read (default: the manifest's first format).")
@click.option("--episode", "episode", default=None,
              help="Show one episode step by step: an episode_id, or an index into the sorted episode list.")
@click.option("--source", default=None, help="With --episode: the robot source (a mixture may have several).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write a picture (PNG/SVG/PDF): the episode with --episode, else bin usage per dimension.")
@json_option
@filesystem_options
@click.pass_context
def inspect(ctx, path, spec_name, split, max_episodes, fmt, episode, source, plot_path, as_json):
    """Show what the tokenizer did: bin usage, clipping and warnings, or one episode step by step.

    PATH is a convert or mix output (shards + manifest.json), or an RLDS
    dataset directory with --spec (tokenized in memory as convert would).

    \b
    Examples:
      rt2data inspect out/bridge
      rt2data inspect out/bridge --episode 0 --plot episode.png
      rt2data inspect ~/tensorflow_datasets/bridge_dataset/1.0.0 --spec bridge_dataset --max-episodes 20
      rt2data inspect out/mix --json > summary.json
    """

    item = open_inspectable(path, spec=spec_name, split=split, max_episodes=max_episodes if spec_name else None,
                            fmt=fmt)
    result: dict = {}
    if episode is not None:
        table = episode_table(item, episode, source=source)
        result["episode"] = table.to_json_dict()
        if plot_path:
            # imported when the command runs: matplotlib stays out of the CLI's start-up (keeps it light)
            from rt2data.inspection.plot import plot_episode

            result["plot"] = str(plot_episode(table, plot_path))
        text = format_episode(table, width=_width())
    else:
        summary = summarize(item, progress=show_progress(ctx))
        result["summary"] = summary.to_json_dict()
        if plot_path:
            # imported when the command runs: matplotlib stays out of the CLI's start-up (keeps it light)
            from rt2data.inspection.plot import plot_bin_usage

            if not summary.usage:
                raise click.UsageError(f"{path} has no action examples: --plot draws bin usage of robot examples")
            result["plot"] = str(plot_bin_usage(summary, plot_path))
        text = format_summary(summary, width=_width())
    if as_json:
        click.echo(to_json(result))
        return
    _echo(text)
    if "plot" in result:
        click.echo(f"\nwrote {result['plot']}")
