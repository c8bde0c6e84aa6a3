"""``rt2data schemas``: list, show and check dataset specs (``rt2data.spec.model``)."""

from __future__ import annotations

import click

from rt2data.cli.output import complete_spec, json_option, report
from rt2data.rlds import find_builder_dir, load_features
from rt2data.spec.check import check_features
from rt2data.spec.model import DatasetSpec, list_specs, spec_path

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


def _summary(name: str) -> tuple[str, str, str, str]:
    """(action space, gripper kind, canonical, first description line) of a shipped spec, for ``schemas list``."""
    reason = DatasetSpec.refusal(name)
    if reason:
        return "refused", "-", "no", reason
    spec = DatasetSpec.load(name)
    sem = spec.semantics
    space = f"{sem.space if sem else '?'}[{len(spec.dim_names)}]"
    return space, sem.gripper_kind if sem else "?", "yes" if spec.canonical else "no", spec.description.splitlines()[0]


@schemas.command("list")
@json_option
def list_cmd(as_json: bool) -> None:
    """List the shipped specs: output action space (and its width with terminate), the recorded gripper kind,
    whether the output is the canonical RT-2 space, and the first line of the description.

    \b
    Example:
      rt2data schemas list
    """

    names = list_specs()
    width = max((len(n) for n in names), default=0)
    rows = [(name, *_summary(name)) for name in names]
    data = [{"name": name, "action_space": space, "gripper": grip, "canonical": canon == "yes", "description": first}
            for name, space, grip, canon, first in rows]
    report(data, "\n".join(f"{name:<{width}}  {space:<18} gripper {grip:<9} canonical {canon:<3}  {first}"
                           for name, space, grip, canon, first in rows), as_json=as_json)


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

    reason = DatasetSpec.refusal(name)  # also: an unknown spec name fails here, before the directory is looked at
    builder_dir = find_builder_dir(dataset_dir)
    if reason:
        report({"spec": name, "ok": False, "refused": reason, "problems": []},
               f"refused: spec {name} does not convert {builder_dir}: {reason}", as_json=as_json)
        raise SystemExit(1)
    spec = DatasetSpec.load(name)
    problems = check_features(spec, load_features(builder_dir))
    features = builder_dir / "features.json"
    if not problems:
        lines = [f"ok: spec {spec.name} matches {features}"]
        if spec.semantics is not None:
            lines.append(f"semantics: {spec.semantics.describe()}; canonical RT-2 space: "
                         f"{'yes' if spec.canonical else 'no'}")
            lines += [f"  {path}: {quote!r}" for path, quote in spec.semantics.provenance.get("quote", {}).items()]
        text = "\n".join(lines)
    else:
        text = "\n".join([f"spec {spec.name} does not match {features}: {len(problems)} mismatch(es)",
                          *(f"  - {line}" for line in problems)])
    report({"spec": spec.name, "features": str(features), "ok": not problems, "problems": list(problems)}, text,
           as_json=as_json)
    if not problems:
        return
    # SystemExit, not ctx.exit: main() runs click with standalone_mode=False, which swallows ctx.exit's code.
    raise SystemExit(1)
