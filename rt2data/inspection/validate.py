"""``rt2data validate``: everything an output claims, checked.

Builds on :func:`rt2data.shards.verify_output` (every shard's sha256, size and count against the manifest, the
framing, every example against the JSON Schema, unique keys, the accounting) and adds, per example:

- its ``template_id`` is one of the manifest's ``templates``, and its prompt is that template rendered: an action
  prompt exactly (with the example's instruction, or the placeholder ``convert`` uses when it has none); a
  caption / VQA prompt by matching the template with its fields (``{question}``) as wildcards, since the question
  itself is not stored separately;
- an action example's target parses with its source's codec (``rt2data.codec.action_text.parse``: one token per
  dimension, each inside the action space), the parsed tokens equal ``action_tokens``, the plan part equals
  ``plan``, and encoding ``action_raw`` with the codec gives the same tokens;
- a caption / VQA example carries no action fields;
- a ``convert`` output's ``dead_letters.jsonl`` adds up to the manifest: as many letters as recorded, their steps
  by reason equal to the accounting's dropped steps, their records by reason to the episodes' ``records_dropped``
  (its sha256, like the statistics file's, is checked by ``verify_output``).

The codec of a robot source comes from the manifest (``rt2data.inspection.codecs_from_manifest``); a robot source
without one is a problem (its targets cannot be checked).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from rt2data import io
from rt2data.codec.action_codec import ActionCodec
from rt2data.cores import default_workers  # re-exported: validate's default
from rt2data.errors import EncodeError, OutputError, Rt2DataError, TokenizerError
from rt2data.example import Example
from rt2data.shards.verify import Problem, VerifyReport
from rt2data.codec.chunks import parse_chunk
from rt2data.codec.pretokenize import label_problem
from rt2data.codec.tokenizers import load_tokenizer
from rt2data.inspection.codecs import codecs_from_manifest
from rt2data.inspection.validate_batch import batch_checker, template_regex
from rt2data.prompt import DEFAULT_PLACEHOLDER, PromptTemplate
from rt2data.prompt import split_target
from rt2data.shards import Manifest, load_manifest, verify_output
from rt2data.shards.files import inside

__all__ = ["validate_output", "example_checker", "prompt_problem", "template_regex", "dead_letter_problems",
           "default_workers"]

_ACTION_FIELDS = ("episode_id", "step", "action_raw", "action_tokens")


def prompt_problem(example: Example, templates: Mapping[str, str]) -> str | None:
    """Why the example's prompt is not its recorded template rendered (None when it is)."""

    text = templates.get(example.template_id)
    if text is None:
        return f"template_id {example.template_id!r} is not among the manifest's templates {sorted(templates)}"
    try:
        if example.kind == "action":
            instruction = example.instruction if example.instruction is not None else DEFAULT_PLACEHOLDER
            expected = PromptTemplate(example.template_id, text, "action").render(instruction=instruction)
            if example.prompt != expected:
                return f"prompt {example.prompt!r} is not template {example.template_id!r} rendered: {expected!r}"
            return None
        if not template_regex(text).fullmatch(example.prompt):
            return f"prompt {example.prompt!r} does not match template {example.template_id!r} ({text!r})"
    except (Rt2DataError, ValueError) as exc:
        return f"template {example.template_id!r} recorded as {text!r} is not usable: {exc}"
    return None


def _action_problems(example: Example, codec: ActionCodec) -> list[str]:

    plan, text = split_target(example.target)
    problems = []
    if plan != example.plan:
        problems.append(f"target's plan {plan!r} differs from the plan field {example.plan!r}")
    horizon = example.chunk_steps or 1  # an action chunk: H action strings, H x D values step-major
    tokens = tuple(parse_chunk(text, codec.action_space, horizon).ravel().tolist())  # ParseError names the position
    if tokens != tuple(example.action_tokens or ()):
        problems.append(f"target tokens {list(tokens)} differ from action_tokens {list(example.action_tokens or ())}")
    raw = example.action_raw or ()
    if len(raw) != codec.n_dims * horizon:
        problems.append(f"action_raw has {len(raw)} values; the action space has {codec.n_dims} dimensions"
                        + (f" x {horizon} chunk steps" if horizon > 1 else ""))
    elif np.isfinite(raw).all():
        try:
            rows = np.asarray(raw, dtype=np.float64).reshape(horizon, codec.n_dims)
            encoded = tuple(int(t) for t in codec.encode(rows).tokens.ravel())
        except EncodeError as exc:
            problems.append(f"action_raw does not encode: {exc}")
        else:
            if encoded != tokens:
                problems.append(f"action_raw encodes to {list(encoded)}, not to the target's tokens {list(tokens)}")
    else:
        problems.append(f"action_raw is not finite: {list(raw)}")
    return problems


def example_checker(
    templates: Mapping[str, str], codec_for: Callable[[str], ActionCodec | None], tokenizer: Any = None
) -> Callable[[Example], list[str]]:
    """The per-example check handed to ``verify_output`` (see the module docstring); with ``tokenizer`` (a
    ``TextTokenizer``), pre-tokenized examples' labels must decode to the target (``pretokenize.label_problem``)."""

    def check(example: Example) -> list[str]:
        problems = []
        bad_prompt = prompt_problem(example, templates)
        if bad_prompt:
            problems.append(bad_prompt)
        if tokenizer is not None:
            bad_labels = label_problem(example, tokenizer)
            if bad_labels:
                problems.append(bad_labels)
        if example.kind != "action":
            extra = [n for n in _ACTION_FIELDS if getattr(example, n) is not None]
            if extra:
                problems.append(f"a {example.kind} example carries action fields {extra}")
            return problems
        codec = codec_for(example.source)
        if codec is not None:
            try:
                problems += _action_problems(example, codec)
            except Rt2DataError as exc:
                problems.append(f"target {example.target!r}: {exc}")
        return problems

    return check


def _recorded_tokenizer(config: Mapping[str, Any], override: str | os.PathLike[str] | None) -> Any:
    """The tokenizer an output was pre-tokenized with (``config.tokenizer``), or None when it was not.

    Raises:
        TokenizerError: the recorded file is gone or changed (its sha256 differs) and no override was given.
    """
    record = config.get("tokenizer") if isinstance(config, Mapping) else None
    if not isinstance(record, Mapping):
        return None if override is None else load_tokenizer(override)
    tok = load_tokenizer(override if override is not None else record.get("path", ""))
    if tok.sha256 != record.get("sha256"):
        raise TokenizerError(
            f"the output was tokenized with {record.get('file')} (sha256 {str(record.get('sha256'))[:12]}...) but "
            f"{tok.path} has sha256 {tok.sha256[:12]}...; pass --tokenizer with the file the output was made with"
        )
    return tok
def _nonzero(counts: Mapping[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in sorted(counts.items()) if v}


def dead_letter_problems(out: Path, manifest: Manifest) -> list[Problem]:
    """Where a ``convert`` output's dead-letter file and its manifest disagree (see the module docstring)."""
    if manifest.kind != "convert":
        return []
    problems: list[Problem] = []
    for _, audit in sorted(manifest.sources.items()):
        record = audit.get("dead_letters") if isinstance(audit, Mapping) else None
        if not isinstance(record, Mapping) or not isinstance(record.get("file"), str):
            continue
        name = record["file"]
        try:
            path = inside(out, name, what="dead-letter file name")
        except OutputError as exc:
            problems.append(Problem(name, None, str(exc)))
            continue
        if not io.is_file(path):
            problems.append(Problem(name, None, "dead-letter file named in the manifest is missing"))
            continue
        steps: Counter[str] = Counter()
        records: Counter[str] = Counter()
        count = 0
        for number, line in enumerate(io.read_bytes(path).decode("utf-8", errors="replace").splitlines(), start=1):
            try:
                letter = json.loads(line)
                reason = str(letter["reason"])
                steps[reason] += int(letter.get("steps", 0))
                records[reason] += int(letter.get("records", 1 if letter.get("step") is None else 0))
            except (ValueError, KeyError, TypeError, AttributeError):
                problems.append(Problem(name, None, f"line {number} is not a dead letter: {line[:80]!r}"))
                continue
            count += 1
        if count != record.get("count"):
            problems.append(Problem(name, None, f"holds {count} dead letters; the manifest says {record.get('count')}"))
        if _nonzero(steps) != _nonzero(manifest.accounting.dropped):
            problems.append(Problem(name, None, f"dead letters account for dropped steps {_nonzero(steps)}; the "
                                                f"manifest's accounting says {_nonzero(manifest.accounting.dropped)}"))
        episodes = audit.get("episodes")
        if isinstance(episodes, Mapping) and isinstance(episodes.get("records_dropped"), Mapping):
            if _nonzero(records) != _nonzero(episodes["records_dropped"]):
                problems.append(Problem(name, None, f"dead letters account for dropped records {_nonzero(records)}; "
                                                    f"the manifest says {_nonzero(episodes['records_dropped'])}"))
    return problems


def validate_output(
    out_dir: str | os.PathLike[str], *, max_problems: int = 1000, check_schema: bool = True, progress: bool = False,
    tokenizer: str | os.PathLike[str] | None = None, workers: int = 1,
) -> VerifyReport:
    """Validate an output directory completely; ``report.ok`` only when every check holds.

    Args:
        out_dir: a ``convert`` or ``mix`` output directory.
        max_problems: stop recording problems after this many (checking goes on, counts stay right).
        check_schema: check every example against the JSON Schema.
        progress: a tqdm bar over the examples on stderr.
        tokenizer: the tokenizer file to check ``input_ids``/``labels`` with (default: the path the manifest
            records, when its sha256 matches).
        workers: processes reading the shards of a local output (``rt2data validate`` uses :func:`default_workers`);
            the report is the same for any number.

    Returns:
        A ``VerifyReport`` (problems with shard, key and message); never raises for problems in the data.
    """

    out = io.location(out_dir)
    try:
        manifest = load_manifest(out)
        codecs, default, notes = codecs_from_manifest(manifest, out)
    except Rt2DataError as exc:
        return VerifyReport(ok=False, problems=[Problem(None, None, str(exc))])
    missing = [Problem(None, None, n) for n in notes if n.startswith("no codec")]
    try:
        tok = _recorded_tokenizer(manifest.config, tokenizer)
    except Rt2DataError as exc:
        return VerifyReport(ok=False, problems=[Problem(None, None, str(exc))])
    templates = dict(manifest.templates)
    check = example_checker(templates, lambda source: codecs.get(source, default), tok)
    check_many = batch_checker(templates, lambda source: codecs.get(source, default), tok)
    bar = _bar(sum(i.count for i in manifest.all_shards()), progress)
    try:
        report = verify_output(out, check_schema=check_schema, check_example=check, check_batch=check_many,
                               max_problems=max_problems, workers=workers,
                               progress=bar.update)
    finally:
        bar.close()
    problems = (missing + list(report.problems) + dead_letter_problems(out, manifest))[:max_problems]
    return VerifyReport(ok=not problems, problems=problems, shards_checked=report.shards_checked,
                        examples_checked=report.examples_checked)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="validate", unit="ex", leave=False, dynamic_ncols=True)
