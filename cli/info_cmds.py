"""``rt2data info``: versions, installed extras and usable Beam runners, for a bug report."""

from __future__ import annotations

import click

from rt2data.cli.output import json_option, report
from rt2data.pipelines.environment import environment_report, format_environment

__all__ = ["info"]


@click.command()
@json_option
def info(as_json: bool) -> None:
    """Print the versions of rt2data, Python, Beam, tfds, numpy, ...; the installed extras; the Beam runners.

    Paste its output into a bug report. Nothing heavy is imported: versions come from package metadata.

    \b
    Example:
      rt2data info
      rt2data info --json > environment.json
    """
    data = environment_report()
    report(data, lambda: format_environment(data), as_json=as_json)
