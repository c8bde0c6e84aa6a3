"""``rt2data schemas``: list, show and check dataset specs (``rt2data.spec.model``)."""

from __future__ import annotations

import click

from rt2data.cli.output import complete_spec, json_option, report
from rt2data.spec.check import check_features
from rt2data.rlds import find_builder_dir, load_features
from rt2data.spec.model import DatasetSpec, list_specs
from rt2data.spec.model import spec_path

__all__ = ["schemas"]


@click.group()
def schemas() -> None:
    """Dataset specs: where a dataset keeps its image, instruction and action.

    \b
    Examples:
      rt2data schemas list
      rt2data schemas show fractal20220817_data
      rt2data schemas check bridge /data/bridge/0.1.0
      rt2data schemas check my_spec.yaml /data/my_dataset/1.0.0
    """


@schemas.command("list")
@json_option
def list_cmd(as_json: bool) -> None:
    """List the shipped specs with the first line of their description.

    \b
    Example:
      rt2data schemas list
    """

    firsts = {name: DatasetSpec.load(name).description.splitlines()[0] for name in list_specs()}
    width = max((len(n) for n in firsts), default=0)
    report([{"name": name, "description": first} for name, first in firsts.items()],
           "\n".join(f"{name:<{width}}  {first}" for name, first in firsts.items()), as_json=as_json)


@schemas.command("show")
@click.argument("name", shell_complete=complete_spec)
def show_cmd(name: str) -> None:
    """Print a spec's YAML (NAME of a shipped spec, or a path); copy one to start your own.

    \b
    Example:
      rt2data schemas show generic_flat_eef > my_robot.yaml
    """

    click.echo(spec_path(name).read_text(encoding="utf-8"), nl=False)


@schemas.command("check")
@click.argument("name", shell_complete=complete_spec)
@click.argument("dataset_dir", type=click.Path(exists=True, file_okay=False))
@json_option
def check_cmd(name: str, dataset_dir: str, as_json: bool) -> None:
    """Hold spec NAME against DATASET_DIR's features.json; exit 1 listing every mismatch.

    NAME is a shipped spec or a spec file. DATASET_DIR is a TFDS builder directory (the version folder, or its
    parent). Only features.json is read: no shards needed.

    \b
    Example:
      rt2data schemas check bridge_dataset ~/tensorflow_datasets/bridge_dataset/1.0.0
    """

    spec = DatasetSpec.load(name)
    builder_dir = find_builder_dir(dataset_dir)
    problems = check_features(spec, load_features(builder_dir))
    features = builder_dir / "features.json"
    if not problems:
        text = f"ok: spec {spec.name} matches {features}"
    else:
        text = "\n".join([f"spec {spec.name} does not match {features}: {len(problems)} mismatch(es)",
                          *(f"  - {line}" for line in problems)])
    report({"spec": spec.name, "features": str(features), "ok": not problems, "problems": list(problems)}, text,
           as_json=as_json)
    if not problems:
        return
    # SystemExit, not ctx.exit: main() runs click with standalone_mode=False, which swallows ctx.exit's code.
    raise SystemExit(1)
