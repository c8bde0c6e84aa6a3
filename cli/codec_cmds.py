"""``rt2data tokenize`` / ``detokenize`` / ``vocab``: the action codec from the shell.

Row indices in error messages are 0-based (as in numpy); line numbers and token positions are 1-based.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import click
import numpy as np

from rt2data.errors import ConfigError, EncodeError, ParseError
from rt2data.codec.action_codec import ActionCodec
from rt2data.codec.action_text import parse
from rt2data.codec.vocab import load_frequencies, write_constrained_decoding_set

__all__ = ["tokenize", "detokenize", "vocab"]


def _codec_options(func: Any) -> Any:
    func = click.option(
        "--manifest", "manifest", type=click.Path(exists=True, path_type=Path),
        help="Output manifest.json (or the output directory holding it), stats JSON or codec JSON to take the codec from.",
    )(func)
    func = click.option(
        "--action-space", "action_space", type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Action-space JSON (or codec JSON). Default: RT-2's 8-dimensional space, no normalization.",
    )(func)
    return func


def _load_codec(action_space: Path | None, manifest: Path | None, out_of_range: str | None = None):

    if action_space is not None and manifest is not None:
        raise click.UsageError("give either --action-space or --manifest, not both")
    source = action_space or manifest
    codec = ActionCodec.from_file(source) if source is not None else ActionCodec.rt2_default()
    if out_of_range is not None and out_of_range != codec.out_of_range:
        codec = dataclasses.replace(codec, out_of_range=out_of_range)
    return codec


def _read_input(argument: str | None, what: str) -> tuple[str, bool]:
    """(text, from_stdin): the argument, or all of stdin ("-" or no argument)."""
    if argument is not None and argument != "-":
        return argument, False
    stream = click.get_binary_stream("stdin")
    if stream.isatty():
        raise click.UsageError(f"give {what} as an argument or on stdin")
    data = stream.read()
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            f"stdin is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line}); give "
            f"{what} as UTF-8 text"
        ) from None


def _lines(text: str) -> list[str]:
    """Split on newlines only (not on other Unicode line breaks); a final newline ends the last line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_actions(doc: Any, d: int) -> np.ndarray:
    """A JSON array of D numbers (one action) or of such arrays -> float64[N, D]; errors name the row."""
    if not isinstance(doc, list) or not doc:
        raise EncodeError(f"expected a JSON array of {d} numbers or an array of such arrays, got {json.dumps(doc)[:60]}")
    rows = [doc] if all(_is_number(v) for v in doc) else doc
    for r, row in enumerate(rows):
        if not isinstance(row, list):
            raise EncodeError(f"action row {r}: expected an array of {d} numbers, got {json.dumps(row)[:60]}")
        if len(row) != d:
            raise EncodeError(f"action row {r}: expected {d} numbers, got {len(row)}: {json.dumps(row)[:80]}")
        for p, v in enumerate(row, start=1):
            if not _is_number(v):
                raise EncodeError(f"action row {r}, position {p}: {json.dumps(v)} is not a number")
    return np.asarray(rows, dtype=np.float64)


def _parse_json_actions(text: str, d: int) -> list[tuple[int | None, np.ndarray]]:
    """One JSON document, or JSON Lines (one document per line): [(line number or None, float64[N, D])]."""
    if not text.strip():
        raise EncodeError("no input: expected a JSON array of numbers (one action) or of arrays (many)")
    try:
        return [(None, _as_actions(json.loads(text), d))]
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise EncodeError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    batches = []
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EncodeError(f"line {number}: invalid JSON at column {exc.colno}: {exc.msg}") from None
        try:
            batches.append((number, _as_actions(doc, d)))
        except EncodeError as exc:
            raise EncodeError(f"line {number}: {exc}") from None
    return batches


@click.command()
@click.argument("actions_json", required=False)
@_codec_options
@click.option("--out-of-range", type=click.Choice(["clip", "error"]), default=None,
              help="Values outside the action space: clip to the end bins and count (default) or fail.")
def tokenize(actions_json: str | None, action_space: Path | None, manifest: Path | None, out_of_range: str | None) -> None:
    """Encode actions to action strings, one line per action.

    ACTIONS_JSON is a JSON array of numbers (one action, raw units) or an array of arrays (many); without it,
    stdin is read (one JSON document, or one per line). Clipped values are reported on stderr.

    \b
    Example:
      echo '[[1,0,0,0,0,0,0,1]]' | rt2data tokenize
      1 128 128 128 128 128 128 255
    """
    codec = _load_codec(action_space, manifest, out_of_range)
    text, _ = _read_input(actions_json, "actions (JSON)")
    counts = np.zeros(codec.n_dims, dtype=np.int64)
    out: list[str] = []
    for line, actions in _parse_json_actions(text, codec.n_dims):
        try:
            encoded = codec.encode(actions)
        except EncodeError as exc:
            raise EncodeError(f"line {line}: {exc}" if line is not None else str(exc)) from None
        counts += encoded.clip_counts
        out.extend(encoded.texts)
    click.echo("\n".join(out))
    if counts.any():
        per_dim = ", ".join(f"{n}={int(c)}" for n, c in zip(codec.action_space.names, counts) if c)
        click.echo(f"warning: clipped {int(counts.sum())} value(s) to the action space: {per_dim}", err=True)


@click.command()
@click.argument("action_string", required=False)
@_codec_options
def detokenize(action_string: str | None, action_space: Path | None, manifest: Path | None) -> None:
    """Decode action strings to actions (raw units, bin centers): one JSON array of floats per line.

    ACTION_STRING is one action string such as "1 128 91 241 5 101 127 200"; without it, stdin is read,
    one action string per line.

    \b
    Example:
      rt2data detokenize "0 128 91 241 5 101 127 200" --manifest out/bridge
    """

    codec = _load_codec(action_space, manifest)
    text, from_stdin = _read_input(action_string, "action strings")
    strings = _lines(text) if from_stdin else [text]
    if not strings:
        raise ParseError("no input: expected action strings, one per line")
    rows = []
    for number, s in enumerate(strings, start=1):
        try:
            rows.append(parse(s, codec.action_space))
        except ParseError as exc:
            raise ParseError(f"line {number}: {exc}" if from_stdin else str(exc)) from None
    decoded = codec.decode_tokens(np.asarray(rows, dtype=np.int64))
    click.echo("\n".join(json.dumps([float(v) if math.isfinite(v) else None for v in row]) for row in decoded.tolist()))


@click.command()
@click.option("--strategy", required=True, help="integer_text | reserved_last | reserved_least_frequent")
@click.option("--vocab-size", type=int, default=None, help="Vocabulary size V (reserved_last; optional for least_frequent).")
@click.option("--frequencies", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Token-frequency table JSON: a list of counts indexed by id, or {\"id\": count} (reserved_least_frequent).")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="JSON {\"0\": id, \"1\": id, ...}: the tokenizer's ids of the integer strings (integer_text).")
@click.option("--order", type=click.Choice(["descending", "ascending"]), default=None,
              help="reserved_last: bin b -> V-1-b (descending, OpenVLA) or V-N+b (ascending).")
@click.option("--exclude", default=None, help="Comma-separated ids never to overwrite (reserved_least_frequent).")
@_codec_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the constrained-decoding JSON.")
def vocab(strategy: str, vocab_size: int | None, frequencies: Path | None, mapping: Path | None, order: str | None,
          exclude: str | None, action_space: Path | None, manifest: Path | None, output: Path) -> None:
    """Write the constrained-decoding set: the legal token ids (or strings) for each action position.

    \b
    Example:
      rt2data vocab --strategy reserved_last --vocab-size 32000 --manifest out/bridge -o action_vocab.json
    """

    codec = _load_codec(action_space, manifest)
    options: dict[str, Any] = {}
    if vocab_size is not None:
        options["vocab_size"] = vocab_size
    if frequencies is not None:
        options["frequencies"] = load_frequencies(frequencies)
    if mapping is not None:
        try:
            options["mapping"] = json.loads(mapping.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read mapping {mapping}: {exc}") from None
    if order is not None:
        options["order"] = order
    if exclude is not None:
        try:
            options["exclude"] = [int(v) for v in exclude.split(",") if v.strip()]
        except ValueError:
            raise ConfigError(f"--exclude must be comma-separated integer ids, got {exclude!r}") from None
    path = write_constrained_decoding_set(output, codec, strategy, **options)
    data = json.loads(path.read_text(encoding="utf-8"))
    click.echo(f"wrote {path}: strategy {strategy}, {len(data['positions'])} positions, "
               f"{len(data['action_tokens'])} action tokens")
