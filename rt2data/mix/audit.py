"""The audit of a finished mixture: requested vs realized per source and per shard, repeats, dead letters.

Pure: built from the pipeline's small results (usable counts, dead letters by reason and samples, template ids
seen, shard records) and the plan, recomputed here from the same counts (``make_plan`` is deterministic).

Accounting (``Manifest.accounting``), per source and in total: every sample read is usable or dead-lettered;
a usable item is drawn ``k >= 0`` times. With ``repeats`` = draws beyond the first of each item and
``not_drawn`` = usable items never drawn::

    input  = samples read + repeats
    written = draws                    (= examples in the output)
    dropped = dead letters by reason + {"not_drawn": not_drawn}

so ``input == written + sum(dropped)`` holds exactly and no sample vanishes without a count.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

from rt2data.errors import DataError
from rt2data.mix.plan import MixPlan, SourceRequest, make_plan
from rt2data.mix.config import Mixture
from rt2data.shards import Accounting, Manifest, validate_accounting
from rt2data.web.converted import converted_codec, converted_semantics, converted_templates

__all__ = ["action_spaces", "plan_for_counts", "build_manifest", "source_audit"]

log = logging.getLogger(__name__)


def plan_for_counts(mixture: Mixture, counts: Mapping[str, int]) -> MixPlan:
    """The plan of ``mixture`` for usable counts ``{source: n}`` (what the pipeline computes)."""
    reqs = [SourceRequest(name=s.name, weight=s.weight, policy=s.policy(mixture.when_exhausted),
                          available=counts.get(s.name, 0)) for s in mixture.active_sources]
    o = mixture.output
    return make_plan(reqs, seed=mixture.seed, examples=o.examples, one_pass=o.one_pass, block_size=o.block_size,
                     shard_examples=o.shard_examples)


def _stats(stats: Iterable[Sequence[Any]]) -> tuple[dict, dict, dict]:
    usable: dict[str, int] = defaultdict(int)
    dead: dict[str, dict[str, int]] = defaultdict(dict)
    templates: dict[str, dict[str, int]] = defaultdict(dict)
    for key, n in stats:
        if key[0] == "usable":
            usable[key[1]] += n
        elif key[0] == "dead":
            dead[key[1]][key[2]] = dead[key[1]].get(key[2], 0) + n
        elif key[0] == "template":
            templates[key[1]][key[2]] = templates[key[1]].get(key[2], 0) + n
    return dict(usable), {k: dict(sorted(v.items())) for k, v in dead.items()}, dict(templates)


def source_audit(plan: MixPlan, index: int, *, realized: int, dead: Mapping[str, int],
                 per_shard: Mapping[str, Any], samples: Sequence[dict], notes: Sequence[str]) -> dict[str, Any]:
    """The manifest entry of one source."""
    src = plan.sources[index]
    base = plan.to_json_dict()["sources"][src.name]
    drawn_items = min(src.draws, src.available)
    return {
        **base,
        "realized_examples": realized,
        "realized_fraction": realized / plan.total if plan.total else 0.0,
        "read": src.available + sum(dead.values()),
        "usable": src.available,
        "repeats": src.draws - drawn_items,
        "not_drawn": src.available - drawn_items,
        "dead_letters": dict(dead),
        "dead_letter_samples": list(samples),
        "per_shard": dict(per_shard),
        "notes": list(notes),
    }


def build_manifest(mixture: Mixture, *, config: Mapping[str, Any], fingerprint: str, counts: Sequence,
                   stats: Sequence, samples: Sequence, shard_infos: Sequence):
    """The ``Manifest`` (kind ``mix``) of a finished run; raises ``DataError`` if shards differ from the plan."""

    plan = plan_for_counts(mixture, dict(counts))
    usable, dead, seen_templates = _stats(stats)
    by_fmt: dict[str, list] = defaultdict(list)
    for info in sorted(shard_infos, key=lambda i: (i.format, i.name)):
        by_fmt[info.format].append(info)
    main = by_fmt[mixture.output.formats[0]] if by_fmt else []
    if len(main) != plan.num_shards or any(len(v) != len(main) for v in by_fmt.values()):
        raise DataError(f"mix: wrote {len(main)} shards, the plan has {plan.num_shards} (internal error)")
    realized: dict[str, int] = defaultdict(int)
    per_shard: dict[str, dict[str, Any]] = defaultdict(dict)
    for index, info in enumerate(main):
        start = index * plan.shard_examples
        planned = plan.planned_in_range(start, min(plan.total, start + plan.shard_examples))
        for name, n in planned.items():
            got = info.counts_by_source.get(name, 0)
            per_shard[name][info.name] = {"planned": int(n) if plan.block_size else n, "realized": got}
            realized[name] += got
    sample_map: dict[str, list] = defaultdict(list)
    for (source, reason), rows in sorted((tuple(k), v) for k, v in samples):
        sample_map[source] += [{"reason": reason, "where": w, "key": k, "detail": d} for w, k, d in rows]
    entries: dict[str, Any] = {}
    dropped: dict[str, int] = defaultdict(int)
    read_total = repeats = 0
    for i, src in enumerate(plan.sources):
        if usable.get(src.name, 0) != src.available:
            raise DataError(f"mix: source {src.name!r} usable count mismatch (internal error)")
        if realized.get(src.name, 0) != src.draws:
            raise DataError(f"mix: source {src.name!r}: {realized.get(src.name, 0)} examples written, "
                            f"{src.draws} planned (internal error)")
        notes = [n for n in plan.notes if src.policy in ("stop", "exhaust_all")]
        entry = source_audit(plan, i, realized=realized.get(src.name, 0), dead=dead.get(src.name, {}),
                             per_shard=per_shard.get(src.name, {}), samples=sample_map.get(src.name, []), notes=notes)
        spec = mixture.source(src.name)
        entry.update(kind=spec.kind, format=spec.format, template_ids=seen_templates.get(src.name, {}))
        if spec.kind == "examples":
            # Copied in, so the mix output decodes on its own even if the convert output changes or moves.
            entry["codec"] = converted_codec(spec.options)
            entry["action_semantics"] = converted_semantics(spec.options)
        entries[src.name] = entry
        read_total += entry["read"]
        repeats += entry["repeats"]
        for reason, n in entry["dead_letters"].items():
            dropped[reason] += n
        dropped["not_drawn"] += entry["not_drawn"]
    accounting = Accounting(input=read_total + repeats, written=plan.total, dropped=dict(dropped))
    validate_accounting(accounting)
    templates: dict[str, str] = {}
    for spec in mixture.active_sources:
        if spec.template is not None:
            templates[spec.template.id] = spec.template.prompt
        else:
            known = converted_templates(spec.options)
            for tid in seen_templates.get(spec.name, {}):
                templates[tid] = known.get(tid, "(not recorded in the source's manifest)")
    spaces = action_spaces(entries)
    if len(spaces) > 1:  # each source keeps its own codec in the manifest; the trainer must know
        log.warning("mix: the mixture holds %d action spaces: %s", len(spaces),
                    "; ".join(f"{k}: {', '.join(v)}" for k, v in spaces.items()))
    robot_codecs = [e["codec"] for e in entries.values() if e.get("codec")]
    # One codec for the whole output when every robot source shares it (the usual single-dataset mixture).
    codec = robot_codecs[0] if robot_codecs and all(c == robot_codecs[0] for c in robot_codecs) else None
    return Manifest(kind="mix", config=config, config_fingerprint=fingerprint,
                    shards={fmt: by_fmt[fmt] for fmt in mixture.output.formats}, accounting=accounting,
                    codec=codec, templates=dict(sorted(templates.items())), sources=entries)


def action_spaces(sources: Mapping[str, Any]) -> dict[str, list[str]]:
    """Robot sources of a mix manifest grouped by action space: ``{label: [source names]}``.

    The label is the output space, its dimension names, the gripper kind and ``--gripper`` mode, and whether it is
    the canonical RT-2 space (``eef_delta[terminate dx ...] gripper relative/absolute canonical``); sources whose
    convert output recorded no semantics are labelled by their dimension names alone. More than one label means
    one token can mean different things across the mixture.
    """
    out: dict[str, list[str]] = {}
    for name, entry in sources.items():
        codec = entry.get("codec")
        if not codec:
            continue
        dims = " ".join(d["name"] for d in codec.get("action_space", {}).get("dimensions", []))
        sem = entry.get("action_semantics")
        label = f"[{dims}]" if not sem else (
            f"{sem.get('space')}[{dims}] gripper {sem.get('gripper_kind')}/{sem.get('gripper_mode')}"
            f"{' canonical' if sem.get('canonical') else ' not canonical'}")
        out.setdefault(label, []).append(name)
    return dict(sorted(out.items()))
