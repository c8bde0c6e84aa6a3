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

from rt2data import io
from rt2data.cli.output import complete_strategy, json_option, report, to_json
from rt2data.cli.runner_opts import PathOrUrl, filesystem_options
from rt2data.errors import ConfigError, DataError, EncodeError, ParseError, TokenizerError
from rt2data.codec.action_codec import ActionCodec
from rt2data.codec.action_text import parse
from rt2data.codec.chunks import check_horizon, parse_chunk
from rt2data.codec.token_report import StrategyReport, action_trie, strategy_report, token_strategy
from rt2data.codec.tokenizers import load_tokenizer
from rt2data.codec.vocab import get_strategy, load_frequencies, write_constrained_decoding_set

__all__ = ["tokenize", "detokenize", "vocab"]


def _codec_options(func: Any) -> Any:
    func = filesystem_options(func)  # --beam-arg: the filesystem flags for a --manifest (or -o) URL
    func = click.option(
        "--binning", type=click.Choice(["uniform", "openvla"]), default=None,
        help="uniform: true 256 bins (RT-2, the default); openvla: OpenVLA's digitize over linspace(-1, 1, 256). "
             "Default: the codec's own (a manifest records it).",
    )(func)
    func = click.option(
        "--manifest", "manifest", type=PathOrUrl(exists=True, path_type=Path),
        help="Output manifest.json (or the output directory holding it), stats JSON or codec JSON to take the codec "
             "from; a local path or a URL (s3://, gs://).",
    )(func)
    func = click.option(
        "--action-space", "action_space", type=PathOrUrl(exists=True, dir_okay=False, path_type=Path),
        help="Action-space JSON (or codec JSON). Default: RT-2's 8-dimensional space, no normalization.",
    )(func)
    return func


def _load_codec(action_space: Path | None, manifest: Path | None, out_of_range: str | None = None,
                binning: str | None = None):

    if action_space is not None and manifest is not None:
        raise click.UsageError("give either --action-space or --manifest, not both")
    source = action_space or manifest
    codec = ActionCodec.from_file(source) if source is not None else ActionCodec.rt2_default()
    if binning is not None and binning != codec.binning:
        if manifest is not None:
            raise ConfigError(
                f"--binning {binning}: {manifest} was made with binning {codec.binning!r}; drop --binning to decode "
                "with the manifest's codec"
            )
        codec = dataclasses.replace(codec, binning=binning)
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
def tokenize(actions_json: str | None, action_space: Path | None, manifest: Path | None, out_of_range: str | None,
             binning: str | None) -> None:
    """Encode actions to action strings, one line per action.

    ACTIONS_JSON is a JSON array of numbers (one action, raw units) or an array of arrays (many); without it,
    stdin is read (one JSON document, or one per line). Clipped values are reported on stderr.

    \b
    Example:
      echo '[[1,0,0,0,0,0,0,1]]' | rt2data tokenize
      1 128 128 128 128 128 128 255
    """
    codec = _load_codec(action_space, manifest, out_of_range, binning)
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
@click.option("--action-chunk", type=int, default=None,
              help="H: each string is a chunk of H actions (H x D integers); printed as a JSON array of H arrays. "
                   "Default: what the manifest's convert config records, else 1.")
def detokenize(action_string: str | None, action_space: Path | None, manifest: Path | None,
               binning: str | None, action_chunk: int | None) -> None:
    """Decode action strings to actions (raw units, bin centers): one JSON array of floats per line.

    ACTION_STRING is one action string such as "1 128 91 241 5 101 127 200"; without it, stdin is read,
    one action string per line.

    \b
    Example:
      rt2data detokenize "0 128 91 241 5 101 127 200" --manifest out/bridge
    """

    codec = _load_codec(action_space, manifest, binning=binning)
    horizon = check_horizon(action_chunk if action_chunk is not None else _manifest_chunk(manifest))
    text, from_stdin = _read_input(action_string, "action strings")
    strings = _lines(text) if from_stdin else [text]
    if not strings:
        raise ParseError("no input: expected action strings, one per line")
    rows = []
    for number, s in enumerate(strings, start=1):
        try:
            rows.append(parse(s, codec.action_space) if horizon == 1 else parse_chunk(s, codec.action_space, horizon))
        except ParseError as exc:
            raise ParseError(f"line {number}: {exc}" if from_stdin else str(exc)) from None
    decoded = codec.decode_tokens(np.asarray(rows, dtype=np.int64).reshape(-1, codec.n_dims))
    values = [[float(v) if math.isfinite(v) else None for v in row] for row in decoded.tolist()]
    if horizon > 1:
        values = [values[i:i + horizon] for i in range(0, len(values), horizon)]  # type: ignore[misc]
    click.echo("\n".join(json.dumps(v) for v in values))


def _manifest_chunk(manifest: Path | str | None) -> int:
    """The action chunk H a convert output was made with (1 when not recorded or not a manifest)."""
    if manifest is None:
        return 1
    path = io.join(manifest, "manifest.json") if io.is_dir(manifest) else manifest
    try:
        data = json.loads(io.read_text(path))
    except (DataError, UnicodeDecodeError, json.JSONDecodeError):
        return 1
    convert = (data.get("config") or {}).get("convert") if isinstance(data, dict) else None
    return int(convert.get("action_chunk", 1)) if isinstance(convert, dict) else 1


@click.command()
@click.option("--strategy", default=None, shell_complete=complete_strategy,
              help="integer_text | reserved_last | reserved_least_frequent (with --tokenizer: default all three).")
@click.option("--tokenizer", "tokenizer_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A real tokenizer file: SentencePiece .model, Hugging Face tokenizer.json, tekken JSON or CLIP's "
                   "bpe_simple_vocab_16e6.txt.gz. V and the never-reserved ids come from it; prints a report.")
@click.option("--vocab-size", type=int, default=None, help="Vocabulary size V (reserved_last; optional for least_frequent).")
@click.option("--frequencies", type=PathOrUrl(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Token-frequency table JSON: a list of counts indexed by id, or {\"id\": count} (reserved_least_frequent).")
@click.option("--mapping", type=PathOrUrl(exists=True, dir_okay=False, path_type=Path), default=None,
              help="JSON {\"0\": id, \"1\": id, ...}: the tokenizer's ids of the integer strings (integer_text).")
@click.option("--order", type=click.Choice(["descending", "ascending"]), default=None,
              help="reserved_last: bin b -> V-1-b (descending, OpenVLA) or V-N+b (ascending).")
@click.option("--exclude", default=None, help="Comma-separated ids never to overwrite (reserved_least_frequent).")
@_codec_options
@click.option("-o", "--output", type=PathOrUrl(dir_okay=False, path_type=Path), default=None,
              help="Where to write the constrained-decoding JSON (required without --tokenizer); a local path or a "
                   "URL (s3://, gs://).")
@json_option
def vocab(strategy: str | None, tokenizer_path: Path | None, vocab_size: int | None, frequencies: Path | None,
          mapping: Path | None, order: str | None, exclude: str | None, action_space: Path | None,
          manifest: Path | None, binning: str | None, output: Path | None, as_json: bool) -> None:
    """Action tokens in a model's vocabulary: the constrained-decoding set, or a real tokenizer's report.

    Without --tokenizer: write the legal token ids (or strings) for each action position. With --tokenizer:
    for each strategy, per bin the token ids it has inside a target, tokens per action string and whether
    decode(encode(target)) is exact (a lossy tokenizer is refused for integer_text with the reason); -o
    writes the chosen strategy's constrained-decoding JSON with its per-position trie.

    \b
    Example:
      rt2data vocab --strategy reserved_last --vocab-size 32000 --manifest out/bridge -o action_vocab.json
      rt2data vocab --tokenizer tokenizer.model --manifest out/bridge
    """

    codec = _load_codec(action_space, manifest, binning=binning)
    options: dict[str, Any] = {}
    if vocab_size is not None:
        options["vocab_size"] = vocab_size
    if frequencies is not None:
        options["frequencies"] = load_frequencies(frequencies)
    if mapping is not None:
        try:
            options["mapping"] = json.loads(io.read_text(mapping))
        except (DataError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read mapping {mapping}: {exc}") from None
    if order is not None:
        options["order"] = order
    if exclude is not None:
        try:
            options["exclude"] = [int(v) for v in exclude.split(",") if v.strip()]
        except ValueError:
            raise ConfigError(f"--exclude must be comma-separated integer ids, got {exclude!r}") from None
    if tokenizer_path is not None:
        _tokenizer_report(codec, tokenizer_path, strategy, options, output, as_json)
        return
    if strategy is None or output is None:
        raise click.UsageError("without --tokenizer, give --strategy and -o/--output")
    path = write_constrained_decoding_set(output, codec, strategy, **options)
    data = json.loads(io.read_text(path))
    summary = {"path": str(path), "strategy": strategy, "positions": len(data["positions"]),
               "action_tokens": len(data["action_tokens"])}
    report(summary, f"wrote {path}: strategy {strategy}, {summary['positions']} positions, "
                    f"{summary['action_tokens']} action tokens", as_json=as_json)


def _tokenizer_report(codec, path: Path, strategy: str | None, options: dict[str, Any], output: Path | None,
                      as_json: bool) -> None:
    tokenizer = load_tokenizer(path)
    if "vocab_size" in options:
        raise click.UsageError("--vocab-size comes from --tokenizer; drop one of them")
    names = [strategy] if strategy else ["integer_text", "reserved_last", "reserved_least_frequent"]
    reports = []
    for name in names:
        opts = {k: v for k, v in options.items() if k in get_strategy(name).options}
        if name == "reserved_least_frequent" and "frequencies" not in opts:
            reports.append(StrategyReport(name, refused="needs --frequencies (a token-frequency table)"))
            continue
        reports.append(strategy_report(tokenizer, codec.action_space, name, **opts))
    if as_json:
        click.echo(to_json({"tokenizer": tokenizer.to_json(), "strategies": [r.to_json() for r in reports]}))
    else:
        t = tokenizer.to_json()
        click.echo(f"{path}: {t['kind']}, V = {t['vocab_size']}, {len(tokenizer.never_reserve())} special/control/"
                   "byte/unknown ids never reserved")
        for r in reports:
            click.echo(r.summary(tokenizer))
    if output is not None:
        if strategy is None:
            raise click.UsageError("-o with --tokenizer writes one strategy's set: give --strategy")
        if reports[0].refused:
            raise TokenizerError(f"{strategy}: {reports[0].refused}")
        built = token_strategy(strategy, codec.action_space, tokenizer, **{
            k: v for k, v in options.items() if k in get_strategy(strategy).options})
        write_constrained_decoding_set(output, codec, built, tokenizer=tokenizer,
                                       trie=action_trie(tokenizer, codec.action_space, built))
        if not as_json:  # the JSON report is the whole of stdout
            click.echo(f"wrote {output}: strategy {strategy} in {path.name}, per-position trie of token ids")
