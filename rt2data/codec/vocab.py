"""Mapping action tokens (bin indices) to a model's vocabulary, as pluggable strategies, and the constrained-decoding set.

Strategies (registry ``STRATEGIES``, by name):

- ``"integer_text"``: the backbone has a token per integer (PaLI-X has 0-999), so bin ``b`` is the token for the
  text ``str(b)``. Ids come from a user-given mapping ``{"0": id, "1": id, ...}`` (the tokenizer's ids for those
  strings) or, without one, the id *is* the string.
- ``"reserved_last"``: the last N ids of a vocabulary of size V are overwritten as action tokens (OpenVLA and
  most open VLAs). Default order ``"descending"`` is OpenVLA's: bin ``b`` -> id ``V - 1 - b``; ``"ascending"``
  gives ``V - N + b``.
- ``"reserved_least_frequent"``: the N least frequent ids of a token-frequency table are overwritten (RT-2 on
  PaLM-E, "symbol tuning"). Ids are ranked by (count, id), so ties are broken by the smaller id and the choice is
  deterministic; bin ``b`` -> the ``b``-th least frequent id.

In every strategy the ids are shared across positions (as in RT-2 and OpenVLA): N = the largest ``n_tokens`` of
the action space, and position ``p`` may use the ids of bins ``0..n_tokens[p]-1``. Both directions are
provided: ``bins_to_ids`` and ``ids_to_bins`` (unknown or position-illegal ids raise ``ParseError``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np

from rt2data import io
from rt2data.codec.action_space import ActionSpace
from rt2data.codec.bins import as_token_array
from rt2data.codec.constrained import ActionTrie
from rt2data.errors import ConfigError, DataError, ParseError
from rt2data.codec.action_codec import ActionCodec

__all__ = [
    "TokenStrategy",
    "IntegerText",
    "ReservedLast",
    "ReservedLeastFrequent",
    "STRATEGIES",
    "register_strategy",
    "get_strategy",
    "make_strategy",
    "load_frequencies",
    "constrained_decoding_set",
    "write_constrained_decoding_set",
]


class TokenStrategy:
    """Base class: a table ``ids[b]`` of the vocabulary id (int or str) of bin ``b``, shared by all positions."""

    name: ClassVar[str] = ""
    options: ClassVar[tuple[str, ...]] = ()

    def __init__(self, action_space: ActionSpace) -> None:
        if not isinstance(action_space, ActionSpace):
            raise TypeError(f"action_space must be an ActionSpace, got {type(action_space).__name__}")
        self.action_space = action_space
        self.n_reserved = max(action_space.n_tokens)
        table = np.asarray(self._build_table(self.n_reserved))
        if len(np.unique(table)) != len(table):
            first = {}
            for b, v in enumerate(table.tolist()):
                if v in first:
                    break
                first[v] = b
            hint = ""
            if self.name == "integer_text":
                hint = (": a tokenizer that splits integers into digits has no single id per integer; "
                        "`rt2data vocab --tokenizer FILE` handles multi-token integers")
            raise ConfigError(
                f"strategy {self.name!r}: two bins map to the same id ({first[v]} and {b} both to {v!r}); ids must be "
                f"distinct{hint}"
            )
        table.setflags(write=False)
        self.ids = table
        self._order = np.argsort(table, kind="stable")
        self._sorted = table[self._order]

    def _build_table(self, n: int) -> Sequence[Any]:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """The strategy's options, JSON-able (large tables summarized)."""
        return {}

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, **self.params()}

    def legal(self, position: int) -> list[Any]:
        """Legal ids at output position ``position`` (0-based), in bin order."""
        return self.ids[: self.action_space.n_tokens[position]].tolist()

    def bins_to_ids(self, tokens: Any) -> np.ndarray:
        """Tokens int[N, D] (or [D]) -> ids of the same shape (int64, or str for id-less integer_text)."""
        arr, single = as_token_array(tokens, self.action_space)
        out = self.ids[arr]
        return out[0] if single else out

    def ids_to_bins(self, ids: Any) -> np.ndarray:
        """Ids [N, D] (or [D]) -> tokens int64 of the same shape.

        Raises:
            ParseError: an id that is no action token, or one whose bin is out of range at its position
                (e.g. a bin > 1 at ``terminate``), naming row, position and id.
        """
        arr = np.asarray(ids)
        single = arr.ndim == 1
        arr2 = arr[None, :] if single else arr
        d = len(self.action_space)
        if arr2.ndim != 2 or arr2.shape[1] != d:
            raise ParseError(f"ids have shape {arr.shape}, expected [N, {d}] or [{d}]")
        want = "US" if self.ids.dtype.kind == "U" else "iu"
        if arr2.size and arr2.dtype.kind not in want:
            kind = "strings" if want == "US" else "integers"
            raise ParseError(f"strategy {self.name!r} ids are {kind}, got dtype {arr2.dtype}")
        if self.ids.dtype.kind == "U":
            arr2 = arr2.astype(str)
        pos = np.clip(np.searchsorted(self._sorted, arr2), 0, len(self._sorted) - 1)
        found = self._sorted[pos] == arr2
        bins = self._order[pos].astype(np.int64)
        bad = ~found | (bins >= np.asarray(self.action_space.n_tokens))
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            value = arr2[row, col].item()
            why = "is not an action token" if not found[row, col] else (
                f"is the token of bin {int(bins[row, col])}, out of range 0..{self.action_space.n_tokens[col] - 1}"
            )
            raise ParseError(
                f"id row {row}, position {col + 1} (dimension {self.action_space.names[col]!r}): id {value!r} {why} "
                f"of strategy {self.name!r}"
            )
        return bins[0] if single else bins


class IntegerText(TokenStrategy):
    """Bin ``b`` is the text ``str(b)``; its id is ``mapping[str(b)]``, or the string itself without a mapping."""

    name = "integer_text"
    options = ("mapping",)

    def __init__(self, action_space: ActionSpace, *, mapping: Mapping[str, int] | None = None) -> None:
        if mapping is not None and not isinstance(mapping, Mapping):
            raise ConfigError(f"integer_text: mapping must be an object {{\"0\": id, ...}}, got {type(mapping).__name__}")
        self.mapping = None if mapping is None else dict(mapping)
        super().__init__(action_space)

    def _build_table(self, n: int) -> Sequence[Any]:
        if self.mapping is None:
            return np.asarray([str(b) for b in range(n)])
        missing = [str(b) for b in range(n) if str(b) not in self.mapping]
        if missing:
            raise ConfigError(f"integer_text: the mapping has no id for {missing[:5]} ({len(missing)} missing of {n})")
        ids = [self.mapping[str(b)] for b in range(n)]
        bad = [i for i in ids if not isinstance(i, (int, np.integer)) or isinstance(i, bool) or i < 0]
        if bad:
            raise ConfigError(f"integer_text: mapping ids must be integers >= 0, got {bad[:5]}")
        return np.asarray(ids, dtype=np.int64)

    def params(self) -> dict[str, Any]:
        return {"mapping": None if self.mapping is None else {str(b): int(i) for b, i in enumerate(self.ids)}}


class ReservedLast(TokenStrategy):
    """The last N ids of a vocabulary of ``vocab_size`` ids; OpenVLA order (bin b -> V-1-b) by default."""

    name = "reserved_last"
    options = ("vocab_size", "order")

    def __init__(self, action_space: ActionSpace, *, vocab_size: int, order: str = "descending") -> None:
        if not isinstance(vocab_size, (int, np.integer)) or isinstance(vocab_size, bool) or vocab_size < 1:
            raise ConfigError(f"reserved_last: vocab_size must be a positive integer, got {vocab_size!r}")
        if order not in ("descending", "ascending"):
            raise ConfigError(f"reserved_last: order must be 'descending' or 'ascending', got {order!r}")
        self.vocab_size, self.order = int(vocab_size), order
        super().__init__(action_space)

    def _build_table(self, n: int) -> Sequence[Any]:
        if n > self.vocab_size:
            raise ConfigError(f"reserved_last: {n} action tokens do not fit in a vocabulary of {self.vocab_size}")
        b = np.arange(n, dtype=np.int64)
        return self.vocab_size - 1 - b if self.order == "descending" else self.vocab_size - n + b

    def params(self) -> dict[str, Any]:
        return {"vocab_size": self.vocab_size, "order": self.order}


class ReservedLeastFrequent(TokenStrategy):
    """The N least frequent ids of a frequency table, ranked by (count, id).

    Args:
        frequencies: counts indexed by id (a list), or ``{id: count}`` (keys may be digit strings, as in JSON).
        vocab_size: if given, ids in [0, vocab_size) absent from a mapping count 0; without it only the ids
            in the table are candidates.
        exclude: ids never to overwrite (special tokens such as BOS, EOS, PAD).
    """

    name = "reserved_least_frequent"
    options = ("frequencies", "vocab_size", "exclude")

    def __init__(
        self,
        action_space: ActionSpace,
        *,
        frequencies: Mapping[Any, float] | Sequence[float],
        vocab_size: int | None = None,
        exclude: Sequence[int] = (),
    ) -> None:
        self.vocab_size = vocab_size
        try:
            self.exclude = tuple(sorted({int(e) for e in exclude}))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"reserved_least_frequent: exclude must be integer ids, got {exclude!r}") from exc
        self._ids, self._counts = self._table_arrays(frequencies, vocab_size)
        super().__init__(action_space)

    @staticmethod
    def _table_arrays(frequencies: Any, vocab_size: int | None) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(frequencies, Mapping):
            try:
                ids = np.asarray([int(k) for k in frequencies], dtype=np.int64)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"reserved_least_frequent: frequency keys must be integer ids: {exc}") from exc
            counts = np.asarray(list(frequencies.values()), dtype=np.float64)
        elif isinstance(frequencies, (Sequence, np.ndarray)) and not isinstance(frequencies, (str, bytes)):
            counts = np.asarray(frequencies, dtype=np.float64)
            ids = np.arange(len(counts), dtype=np.int64)
        else:
            raise ConfigError("reserved_least_frequent: frequencies must be a list of counts or {id: count}")
        if counts.ndim != 1 or not np.all(np.isfinite(counts)) or (counts < 0).any() or (ids < 0).any():
            raise ConfigError("reserved_least_frequent: counts must be finite numbers >= 0 and ids >= 0")
        if vocab_size is not None:
            if not isinstance(vocab_size, (int, np.integer)) or isinstance(vocab_size, bool) or vocab_size < 1:
                raise ConfigError(f"reserved_least_frequent: vocab_size must be a positive integer, got {vocab_size!r}")
            if ids.size and ids.max() >= vocab_size:
                raise ConfigError(f"reserved_least_frequent: id {int(ids.max())} >= vocab_size {vocab_size}")
            full = np.zeros(vocab_size)
            full[ids] = counts
            ids, counts = np.arange(vocab_size, dtype=np.int64), full
        return ids, counts

    def _build_table(self, n: int) -> Sequence[Any]:
        keep = ~np.isin(self._ids, np.asarray(self.exclude, dtype=np.int64))
        ids, counts = self._ids[keep], self._counts[keep]
        if len(ids) < n:
            raise ConfigError(f"reserved_least_frequent: need {n} ids but only {len(ids)} candidates remain")
        order = np.lexsort((ids, counts))  # by count, then by id
        return ids[order[:n]]

    def params(self) -> dict[str, Any]:
        return {"vocab_size": self.vocab_size, "exclude": list(self.exclude), "reserved_ids": self.ids.tolist()}


STRATEGIES: dict[str, type[TokenStrategy]] = {}


def register_strategy(cls: type[TokenStrategy]) -> type[TokenStrategy]:
    """Add a strategy class to the registry under ``cls.name`` (usable as a decorator)."""
    if not cls.name or cls.name in STRATEGIES:
        raise ConfigError(f"strategy name {cls.name!r} is empty or already registered")
    STRATEGIES[cls.name] = cls
    return cls


for _cls in (IntegerText, ReservedLast, ReservedLeastFrequent):
    register_strategy(_cls)


def get_strategy(name: str) -> type[TokenStrategy]:
    """The strategy class registered as ``name``."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ConfigError(f"unknown token strategy {name!r}; known: {sorted(STRATEGIES)}") from None


def make_strategy(name: str, action_space: ActionSpace, **options: Any) -> TokenStrategy:
    """Build the strategy ``name`` for ``action_space``; unknown options are errors naming the allowed ones."""
    cls = get_strategy(name)
    unknown = set(options) - set(cls.options)
    if unknown:
        raise ConfigError(f"strategy {name!r} has no option(s) {sorted(unknown)}; options: {list(cls.options)}")
    try:
        return cls(action_space, **options)
    except TypeError as exc:
        raise ConfigError(f"strategy {name!r}: {exc}") from exc


def load_frequencies(path: str | Path) -> list[float] | dict[str, float]:
    """Read a token-frequency table: a JSON list of counts indexed by id, or an object ``{"id": count}``."""
    try:
        data = json.loads(io.read_text(path))
    except (DataError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read token frequencies {path}: {exc}") from exc
    if not isinstance(data, (list, dict)):
        raise ConfigError(f"{path}: token frequencies must be a JSON list or object, got {type(data).__name__}")
    return data


def _space_and_codec(codec_or_space: Any) -> tuple[ActionSpace, Any]:

    if isinstance(codec_or_space, ActionCodec):
        return codec_or_space.action_space, codec_or_space
    if isinstance(codec_or_space, ActionSpace):
        return codec_or_space, None
    raise TypeError(f"expected an ActionCodec or ActionSpace, got {type(codec_or_space).__name__}")


def constrained_decoding_set(
    codec_or_space: Any, strategy: str | TokenStrategy = "integer_text", *, trie: ActionTrie | None = None,
    tokenizer: Any = None, **options: Any
) -> dict[str, Any]:
    """The legal vocabulary entries per output position, as a JSON-able dict.

    RT-2 restricts decoding to the action tokens when asked for an action; this is the set a decoder needs.

    Args:
        codec_or_space: an ``ActionCodec`` (its JSON is embedded, so the file alone decodes) or ``ActionSpace``.
        strategy: a strategy name (built with ``**options``) or a ``TokenStrategy`` for the same action space.

    Returns:
        ``{"version": 1, "strategy": {...}, "action_space": {...}, "codec": {...} | None, "separator": " " | "",
        "positions": [{"index", "name", "n_tokens", "legal": [ids in bin order]}], "action_tokens": [sorted union]}``.
        ``separator`` is what joins positions in the model's output: a space between integer texts, nothing
        between reserved ids. With ``trie`` (an ``ActionTrie`` from a real tokenizer,
        ``rt2data.codec.token_report.action_trie``) also ``"trie": {"eos_id", "positions": [[ids of bin b]]}`` and,
        with ``tokenizer``, ``"tokenizer": {"kind", "file", "sha256", "vocab_size"}``.
    """
    space, codec = _space_and_codec(codec_or_space)
    if isinstance(strategy, str):
        strategy = make_strategy(strategy, space, **options)
    elif options:
        raise ConfigError("pass options only with a strategy name, not with a built strategy")
    if strategy.action_space != space:
        raise ConfigError("the strategy was built for a different action space than the one given")
    positions = [
        {"index": i, "name": dim.name, "n_tokens": dim.n_tokens, "legal": strategy.legal(i)}
        for i, dim in enumerate(space)
    ]
    union = sorted({v for p in positions for v in p["legal"]}, key=lambda v: (isinstance(v, str), int(v)))
    extra: dict[str, Any] = {}
    if trie is not None:
        extra["trie"] = trie.to_json()
    if tokenizer is not None:
        extra["tokenizer"] = tokenizer.to_json()
    return {
        **extra,
        "version": 1,
        "strategy": strategy.to_json(),
        "action_space": space.to_json(),
        "codec": codec.to_json() if codec is not None else None,
        "separator": " " if isinstance(strategy, IntegerText) else "",
        "positions": positions,
        "action_tokens": union,
    }


def write_constrained_decoding_set(
    path: str | Path, codec_or_space: Any, strategy: str | TokenStrategy = "integer_text", *,
    trie: ActionTrie | None = None, tokenizer: Any = None, **options: Any
) -> Any:
    """Write ``constrained_decoding_set(...)`` as JSON (sorted keys, written to a temp file then renamed; to a URL
    (``s3://``, ``gs://``) as one object through ``rt2data.io``). Returns the path (a ``Path``, or the URL)."""
    data = constrained_decoding_set(codec_or_space, strategy, trie=trie, tokenizer=tokenizer, **options)
    text = json.dumps(data, sort_keys=True, indent=1) + "\n"
    if io.is_url(path):
        io.write_bytes(path, text.encode("utf-8"))  # an object appears whole: no temp object, no rename
        return io.location(path)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
