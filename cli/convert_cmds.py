"""``rt2data convert`` and ``rt2data stats``: thin click wrappers over ``rt2data.pipelines``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rt2data import io
from rt2data.cli.output import complete_spec, json_option, report
from rt2data.shards.formats import format_choices
from rt2data.sources import open_source
from rt2data.cli.runner_opts import PathOrUrl, runner_options, show_progress
from rt2data.convert import ConvertConfig
from rt2data.spec.model import DatasetSpec

_FORMATS = format_choices()


@click.command(context_settings={"show_default": True})
@click.argument("dataset_dir", type=PathOrUrl(exists=True, file_okay=False))
@click.argument("out_dir", type=PathOrUrl(file_okay=False))
@click.option("--spec", "spec_name", required=True, shell_complete=complete_spec,
              help="Dataset spec name (rt2data schemas list) or a spec file.")
@click.option("--split", default="train", help="Split or slice, e.g. train, train[:95%], validation[10:20].")
@click.option("--format", "fmt", type=click.Choice(sorted(_FORMATS)), default="wds", help="Shard format(s).")
@click.option("--prefix", default=None, help="Shard name prefix (default: the spec name).")
@click.option("--shard-examples", type=int, default=1000, help="Examples per shard (0: no count limit).")
@click.option("--shard-bytes", type=int, default=None, help="Byte limit per shard file (exact).")
@click.option("--resize", type=int, default=None, help="Resize images to this square side (default: pass bytes).")
@click.option("--aspect", type=click.Choice(["pad", "crop", "stretch"]), default="pad", help="Resize aspect policy.")
@click.option("--jpeg-quality", type=int, default=95, help="JPEG quality of resized images.")
@click.option("--template", "template_id", default="rt2-action-v1", help="Action prompt template id.")
@click.option("--missing-instruction", type=click.Choice(["drop", "keep"]), default=None,
              help="Steps without an instruction: drop (counted) or keep with a placeholder "
                   "[default: the spec's instruction.missing, drop in the shipped specs].")
@click.option("--gripper", type=click.Choice(["absolute", "as-recorded"]), default="absolute",
              help="absolute: run the spec's gripper transforms (relative RT-1 commands -> open/closed state, look-ahead "
                   "binarization), so every dataset's gripper means a state; as-recorded: skip them (RT-1's raw "
                   "gripper_closedness_action, as the RT-2 paper trained on). Recorded in the manifest.")
@click.option("--idle-threshold", type=float, default=None, help="Drop steps whose movement is below this.")
@click.option("--min-episode-steps", type=int, default=1, help="Drop episodes shorter than this.")
@click.option("--corrupt", type=click.Choice(["error", "skip"]), default="error",
              help="Corrupt input records: stop with an error, or dead-letter and count them.")
@click.option("--out-of-range", type=click.Choice(["clip", "error"]), default="clip",
              help="Actions outside the action space after normalization: clip to the end bins (counted) or drop "
                   "the step (counted as out_of_range). q01_q99-normalized dims are clipped by that method, never "
                   "out of range.")
@click.option("--binning", type=click.Choice(["uniform", "openvla"]), default="uniform",
              help="uniform: true 256 bins (RT-2); openvla: OpenVLA's action tokenizer bit for bit (recorded in the "
                   "manifest's codec).")
@click.option("--action-chunk", type=int, default=1,
              help="H: each target is the actions of steps t..t+H-1 (H x D integers); past the episode end the final "
                   "action repeats and the example records how many steps are real (chunk_real).")
@click.option("--tokenizer", "tokenizer_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A real tokenizer file (SentencePiece .model, tokenizer.json, tekken JSON): add input_ids and labels "
                   "(prompt masked with -100) to every example, as a trainer tokenizes prompt + ' ' + target.")
@click.option("--stats", "stats_path", type=PathOrUrl(dir_okay=False), default=None,
              help="Statistics file to reuse when it matches the spec, split and data (read only; the run's "
                   "statistics are always written to OUT_DIR/dataset_statistics.json).")
@click.option("--recompute-stats", is_flag=True, help="Recompute statistics even when a matching file exists.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output in OUT_DIR.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run, keeping its finished shards.")
@runner_options
@json_option
@click.pass_context
def convert(ctx, dataset_dir, out_dir, spec_name, split, fmt, prefix, shard_examples, shard_bytes, resize, aspect,
            jpeg_quality, template_id, missing_instruction, gripper, idle_threshold, min_episode_steps, corrupt,
            out_of_range, binning, action_chunk, tokenizer_path, stats_path, recompute_stats, overwrite, resume,
            runner_options, as_json):
    """Convert an RLDS dataset (a TFDS builder directory) into RT-2 examples.

    Each step becomes one example: the primary camera image, the prompt
    `Q: what action should the robot take to {instruction}? A:` and the
    action string (256 bins per dimension, normalized with the dataset
    statistics). Writes shards, manifest.json, dataset_statistics.json and
    dead_letters.jsonl into OUT_DIR.

    \b
    Example:
      rt2data convert ~/tensorflow_datasets/bridge_dataset/1.0.0 out/bridge \\
          --spec bridge_dataset --split 'train[:95%]' --format both
    """
    # imported when the command runs: Beam stays out of the CLI's start-up (keeps it light)
    from rt2data.pipelines.convert import ConvertJob, run_convert

    spec = DatasetSpec.load(spec_name)
    job = ConvertJob(
        dataset_dir=dataset_dir,
        spec=spec_name,
        split=split,
        formats=_FORMATS[fmt],
        prefix=prefix,
        shard_examples=shard_examples or None,
        shard_bytes=shard_bytes,
        corrupt=corrupt,
        out_of_range=out_of_range,
        gripper=gripper,
        binning=binning,
        tokenizer=None if tokenizer_path is None else str(Path(tokenizer_path).resolve()),
        convert=ConvertConfig(
            source=spec.name, template_id=template_id,
            missing_instruction=missing_instruction or spec.missing_instruction,
            idle_threshold=idle_threshold, min_episode_steps=min_episode_steps, resize=resize, aspect=aspect,
            jpeg_quality=jpeg_quality, action_chunk=action_chunk,
        ),
    )
    manifest = run_convert(
        job, out_dir, overwrite=overwrite, resume=resume, stats_path=stats_path, recompute_stats=recompute_stats,
        runner_options=runner_options, progress=show_progress(ctx), spec=spec,
    )
    acc = manifest.accounting
    records: dict[str, int] = {}
    for source in manifest.sources.values():
        for reason, n in source.get("episodes", {}).get("records_dropped", {}).items():
            records[reason] = records.get(reason, 0) + n
    data = {"out_dir": out_dir, "examples": acc.written, "input_steps": acc.input, "dropped": dict(acc.dropped),
            "records_dropped": dict(sorted(records.items())),
            "shards": {fmt: len(infos) for fmt, infos in manifest.shards.items()}}
    dropped = ", ".join(f"{k} {v}" for k, v in acc.dropped.items()) or "none"
    shards = ", ".join(f"{n} {k}" for k, n in data["shards"].items())
    unread = ""
    if records:  # records that could not be read or standardized: their steps are not in the step counts
        unread = "; unreadable records dead-lettered: " + ", ".join(f"{k} {v}" for k, v in sorted(records.items()))
    report(data, f"{out_dir}: {acc.written} examples from {acc.input} steps in {shards} shards; dropped: {dropped}"
                 f"{unread}", as_json=as_json)


@click.command(context_settings={"show_default": True})
@click.argument("dataset_dir", type=PathOrUrl(exists=True, file_okay=False))
@click.option("--spec", "spec_name", required=True, shell_complete=complete_spec, help="Dataset spec name or file.")
@click.option("--split", default="train", help="Split or slice.")
@click.option("-o", "--output", "out_path", type=PathOrUrl(dir_okay=False), default=None,
              help="Write the statistics file here and print a one-line summary (default: the file to stdout).")
@click.option("--corrupt", type=click.Choice(["error", "skip"]), default="error", help="Corrupt records policy.")
@click.option("--gripper", type=click.Choice(["absolute", "as-recorded"]), default="absolute",
              help="As for convert: run the spec's gripper transforms (absolute) or skip them (as-recorded).")
@runner_options
@json_option
def stats(dataset_dir, spec_name, split, out_path, corrupt, gripper, runner_options, as_json):
    """Compute action statistics (count, min, max, mean, std, q01, q99) of a dataset.

    The file has the layout OpenVLA-style trainers read
    ({"<dataset>": {"action": {...}, "num_transitions", "num_trajectories"}})
    plus an "rt2data" block (spec fingerprint, codec) to de-tokenize with.
    Without -o the file is printed to stdout; with -o it is written there
    and one summary line is printed (--json: the summary as JSON).

    \b
    Example:
      rt2data stats ~/tensorflow_datasets/bridge_dataset/1.0.0 --spec bridge_dataset -o stats.json
    """
    import tempfile
    from pathlib import Path

    # imported when the command runs: Beam stays out of the CLI's start-up (keeps it light)
    from rt2data.pipelines.stats import compute_stats

    spec = DatasetSpec.load(spec_name).with_gripper(gripper)
    with tempfile.TemporaryDirectory() as tmp:
        path = io.location(out_path) if out_path else Path(tmp) / "stats.json"
        result = compute_stats(open_source(dataset_dir), spec=spec, split=split, out_path=path,
                               runner_options=runner_options, corrupt=corrupt)
        if out_path is None:  # the statistics file is the result: stdout, with or without --json
            sys.stdout.write(io.read_text(path))
            return
    entry = result.stats
    data = {"path": str(path), "dataset": result.dataset, "split": split,
            "num_transitions": entry.get("num_transitions"), "num_trajectories": entry.get("num_trajectories"),
            "action_dims": len(entry["action"]["mean"]), "proprio": "proprio" in entry}
    report(data, f"wrote {path}: {result.dataset} split {split}, {data['num_transitions']} transitions in "
                 f"{data['num_trajectories']} trajectories, {data['action_dims']} action dims", as_json=as_json)
