"""``rt2data demo``: a thin click wrapper over ``rt2data.pipelines.demo``."""

from __future__ import annotations

import os

import click

__all__ = ["demo"]


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--overwrite", is_flag=True, help="Replace an earlier demo in OUT_DIR (never other files).")
@click.option("--layout", type=click.Choice(["bridge_dataset", "fractal20220817_data"]), default="bridge_dataset",
              show_default=True, help="Open X-Embodiment layout of the generated RLDS dataset.")
@click.option("--episodes", type=click.IntRange(2, 200), default=6, show_default=True, help="Episodes to generate.")
@click.option("--steps", type=click.IntRange(2, 200), default=10, show_default=True, help="Steps per episode.")
@click.option("--no-plots", is_flag=True, help="Do not draw the pictures (they need matplotlib).")
@click.pass_context
def demo(ctx, out_dir, overwrite, layout, episodes, steps, no_plots):
    """Run the whole flow on generated data, offline: RLDS -> convert -> mix -> validate -> inspect.

    Builds a small RLDS dataset in a real Open X-Embodiment layout with tfds,
    converts it, mixes it with a generated caption/VQA set, validates both
    outputs and prints the inspect summary and where everything is.
    OUT_DIR must be new or empty (or an earlier demo, with --overwrite).

    \b
    Example:
      rt2data demo .demo-out
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter, if it is installed
    # imported when the command runs: Beam stays out of the CLI's start-up (keeps it light)
    from rt2data.pipelines.demo import format_demo, run_demo

    quiet = (ctx.find_root().obj or {}).get("quiet")
    say = None if quiet else (lambda line: click.echo(line, err=True))
    result = run_demo(out_dir, overwrite=overwrite, layout=layout, episodes=episodes, steps=steps,
                      plots=not no_plots, say=say)
    for line in format_demo(result).splitlines():
        click.echo(click.style(line, bold=True) if line.startswith("==") else line)
