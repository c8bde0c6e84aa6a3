"""``rt2data mix``: a thin click wrapper over ``rt2data.pipelines.mix``."""

from __future__ import annotations

import click

from rt2data.cli.output import json_option, report
from rt2data.shards.formats import format_choices
from rt2data.cli.runner_opts import PathOrUrl, runner_options, show_progress
from rt2data.mix.audit import action_spaces
from rt2data.mix.config import load_mixture

_FORMATS = format_choices()


def _summary_data(out_dir: str, manifest) -> dict:
    """The mix summary for --json: per source requested/realized fractions, examples, epochs, dead letters."""
    sources = {
        name: {"kind": s["kind"], "requested_fraction": s["requested_fraction"],
               "realized_fraction": s["realized_fraction"], "examples": s["realized_examples"], "epochs": s["epochs"],
               "dead_letters": dict(s["dead_letters"]), "notes": list(s.get("notes", []))}
        for name, s in manifest.sources.items()
    }
    return {"out_dir": out_dir, "examples": manifest.accounting.written, "formats": list(manifest.formats),
            "shards": {fmt: len(infos) for fmt, infos in manifest.shards.items()}, "sources": sources}


def _summary(manifest) -> str:
    rows = [f"{'source':<16} {'kind':<9} {'requested':>9} {'realized':>9} {'examples':>9} {'epochs':>6} "
            f"{'dead':>6}"]
    total = manifest.accounting.written
    for name, s in manifest.sources.items():
        rows.append(
            f"{name:<16} {s['kind']:<9} {s['requested_fraction']:>9.4f} {s['realized_fraction']:>9.4f} "
            f"{s['realized_examples']:>9} {s['epochs']:>6} {sum(s['dead_letters'].values()):>6}"
        )
    shards = len(next(iter(manifest.shards.values()), ()))
    rows.append(f"{total} examples in {shards} shards per format ({', '.join(manifest.formats) or 'none'})")
    notes = sorted({n for s in manifest.sources.values() for n in s.get("notes", [])})
    rows += [f"note: {n}" for n in notes]
    spaces = action_spaces(manifest.sources)
    if len(spaces) > 1:
        rows.append(f"note: this mixture holds {len(spaces)} action spaces (each source keeps its own codec in the "
                    "manifest):")
        rows += [f"  {label}: {', '.join(names)}" for label, names in spaces.items()]
    return "\n".join(rows)


@click.command()
@click.argument("mixture_file", type=PathOrUrl(exists=True, dir_okay=False))
@click.argument("out_dir", type=PathOrUrl(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(sorted(_FORMATS)), default=None,
              help="Shard format(s); overrides output.formats of the mixture file.")
@click.option("--image-format", type=click.Choice(["jpg", "png", "keep"]), default=None,
              help="How images are stored; overrides output.image_format (default jpg): jpg re-encodes non-JPEG images "
                   "once (quality 95), png stores all losslessly (larger), keep leaves each source's format (a PNG+JPEG "
                   "mixture then needs rt2data.readers.hf_load for Hugging Face datasets).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output in OUT_DIR.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run of the same mixture, keeping its shards.")
@click.option("--check", is_flag=True, help="Only validate the mixture file and list its work; write nothing.")
@click.option("--tokenizer", "tokenizer_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A real tokenizer file: add input_ids and labels (prompt masked with -100) to every example, as a "
                   "trainer tokenizes prompt + ' ' + target; a target it cannot give back is dead-lettered.")
@runner_options
@json_option
@click.pass_context
def mix(ctx, mixture_file, out_dir, fmt, image_format, overwrite, resume, check, tokenizer_path, runner_options,
        as_json):
    """Mix robot examples with web caption/VQA data into shuffled shards.

    MIXTURE_FILE is a YAML file (sources with relative weights, output size,
    exhaustion policy, optional block size); OUT_DIR receives the shards and a
    manifest.json recording requested vs realized examples per source and per
    shard, repeats and dead letters.

    On the embedded runner (the default) it reads and writes with one worker
    process per core (at most 8) unless --workers says otherwise; the shards
    are the same bytes for any number of workers.

    \b
    Example:
      rt2data mix mixture.yaml out/mix --format both --workers 2
    """
    # imported when the command runs: Beam stays out of the CLI's start-up (keeps it light)
    from rt2data.pipelines.runner import quiet_beam_logging

    quiet_beam_logging()  # before Beam is imported: it warns about apitools on the root logger
    # imported when the command runs: Beam stays out of the CLI's start-up (keeps it light)
    from rt2data.pipelines.mix import plan_work_items, run_mix

    mixture = load_mixture(mixture_file)
    if check:
        work, _ = plan_work_items(mixture)
        sources = {spec.name: {"kind": spec.kind, "format": spec.format, "weight": spec.weight,
                               "work_items": sum(1 for w in work if w.source == spec.name)}
                   for spec in mixture.active_sources}
        lines = [f"{name}: kind {s['kind']}, format {s['format']}, weight {s['weight']:g}, {s['work_items']} work items"
                 for name, s in sources.items()]
        report({"mixture": mixture_file, "ok": True, "sources": sources}, "\n".join([*lines, f"{mixture_file}: ok"]),
               as_json=as_json)
        return
    manifest = run_mix(mixture, out_dir, formats=_FORMATS[fmt] if fmt else None, image_format=image_format,
                       overwrite=overwrite, resume=resume, runner_options=runner_options,
                       progress=show_progress(ctx), tokenizer=tokenizer_path)
    report(_summary_data(out_dir, manifest), lambda: _summary(manifest), as_json=as_json)
