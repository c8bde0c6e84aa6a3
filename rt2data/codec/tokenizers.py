"""Real model tokenizers behind one small interface, chosen by file kind.

A ``TextTokenizer`` turns text into a model's token ids and back, and says which ids must never be overwritten as
action tokens (special, control, byte-fallback and unknown pieces). Kinds (registry ``TOKENIZER_KINDS``):

- ``sentencepiece``: a SentencePiece ``.model`` (Llama / Mistral v1-v3 layout), read with ``sentencepiece``;
- ``hf``: a Hugging Face ``tokenizer.json``, read with the ``tokenizers`` library;
- ``tekken``: Mistral's tekken JSON (tiktoken-style byte-level BPE), read with ``mistral_common``;
- ``clip_bpe``: CLIP's ``bpe_simple_vocab_16e6.txt.gz`` (as ``open_clip`` ships it), built into a ``tokenizers``
  BPE the way Hugging Face converts CLIP's tokenizer. It lowercases and drops spaces: lossy for action text.

**The join rule** (how a trainer tokenizes an example): ``input_ids = [BOS] + encode(prompt + " " + target) +
[EOS]``, i.e. prompt and target joined by one space and tokenized once; the first ``1 + len(encode(prompt))`` ids are
the prompt. Whether the target's ids then equal ``encode(target)`` depends on the family, in opposite directions:
SentencePiece gives ``encode(p + " " + t) == encode(p) + encode(t)`` (its dummy prefix is the space), tekken gives
``encode(p) + encode(" " + t)``. ``target_ids`` returns the ids a target has inside a joined text, whatever the
family; ``split_joined`` checks the prompt really is a prefix.

The tokenizer libraries are imported when a file is loaded, never by ``import rt2data`` (extra ``rt2data[tokenizers]``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Sequence

from rt2data.errors import TokenizerError

__all__ = [
    "TextTokenizer",
    "SentencePieceTokenizer",
    "HFTokenizer",
    "TekkenTokenizer",
    "ClipBpeTokenizer",
    "TOKENIZER_KINDS",
    "JOIN_SEPARATOR",
    "sniff_kind",
    "load_tokenizer",
]

JOIN_SEPARATOR = " "
_PROBE = "A:"  # what every action prompt ends with: the context a target is tokenized in


def _need(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise TokenizerError(
            f"reading this tokenizer needs the Python package {module!r}: pip install 'rt2data[tokenizers]'"
        ) from exc


class TextTokenizer:
    """Base class: ``encode``/``decode`` without special tokens, plus the ids that are never action tokens.

    Attributes:
        path: the tokenizer file.
        vocab_size: V, the number of ids (0..V-1).
        bos_id, eos_id: the begin/end-of-sequence ids, or None when the tokenizer has none.
    """

    kind: ClassVar[str] = ""
    vocab_size: int
    bos_id: int | None
    eos_id: int | None

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise TokenizerError(f"tokenizer file {self.path} does not exist")

    def encode(self, text: str) -> list[int]:
        """Text -> ids, without BOS/EOS."""
        raise NotImplementedError

    def decode(self, ids: Sequence[int]) -> str:
        """Ids -> text (special ids rendered as the library does)."""
        raise NotImplementedError

    def piece(self, token_id: int) -> str:
        """The vocabulary entry of one id, for reports."""
        raise NotImplementedError

    def never_reserve(self) -> dict[int, str]:
        """``{id: why}`` for ids that must never become action tokens: special, control, byte, unknown."""
        raise NotImplementedError

    @property
    def sha256(self) -> str:
        """Hex sha256 of the tokenizer file (recorded in manifests)."""
        return _file_sha256(str(self.path))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.path.name, "sha256": self.sha256, "vocab_size": self.vocab_size}

    def target_ids(self, target: str) -> list[int]:
        """The ids ``target`` has inside a joined ``prompt + " " + target`` (prompt ending in ``A:``).

        Raises:
            TokenizerError: the tokenizer merges the prompt's end with the target, so no split exists.
        """
        return self.split_joined(_PROBE, target)[1]

    def split_joined(self, prompt: str, target: str) -> tuple[list[int], list[int]]:
        """(prompt ids, target ids) with ``prompt_ids + target_ids == encode(prompt + " " + target)``.

        Raises:
            TokenizerError: ``encode(prompt)`` is not a prefix of the joined ids (naming both).
        """
        joined = self.encode(prompt + JOIN_SEPARATOR + target)
        head = self.encode(prompt)
        if joined[: len(head)] != head:
            raise TokenizerError(
                f"{self.path.name} ({self.kind}): tokenizing {prompt[-20:]!r} + ' ' + {target[:20]!r} merges across "
                f"the join (prompt ids {head[-4:]} are not a prefix of the joined ids "
                f"{joined[len(head) - 4:len(head) + 2]})"
            )
        return head, joined[len(head):]


class SentencePieceTokenizer(TextTokenizer):
    """A SentencePiece model (``.model``), e.g. Llama's or Mistral's (``mistral_common/data/tokenizer.model.v1``)."""

    kind = "sentencepiece"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        spm = _need("sentencepiece")
        try:
            self._sp = spm.SentencePieceProcessor(model_file=str(self.path))
        except (OSError, RuntimeError) as exc:
            raise TokenizerError(f"{self.path}: not a SentencePiece model: {exc}") from None
        self.vocab_size = int(self._sp.vocab_size())
        self.bos_id = None if self._sp.bos_id() < 0 else int(self._sp.bos_id())
        self.eos_id = None if self._sp.eos_id() < 0 else int(self._sp.eos_id())

    def encode(self, text: str) -> list[int]:
        return list(self._sp.encode(text))

    def decode(self, ids: Sequence[int]) -> str:
        return self._sp.decode([int(i) for i in ids])

    def piece(self, token_id: int) -> str:
        return self._sp.id_to_piece(int(token_id))

    def never_reserve(self) -> dict[int, str]:
        sp, out = self._sp, {}
        for i in range(self.vocab_size):
            why = ("unknown" if sp.is_unknown(i) else "control" if sp.is_control(i) else "byte" if sp.is_byte(i)
                   else "unused" if sp.is_unused(i) else None)
            if why:
                out[i] = why
        return out


class HFTokenizer(TextTokenizer):
    """A Hugging Face ``tokenizer.json`` read with the ``tokenizers`` library (no ``transformers``)."""

    kind = "hf"

    def __init__(self, path: str | Path, *, tokenizer: Any = None) -> None:
        super().__init__(path)
        if tokenizer is None:
            tokenizers = _need("tokenizers")
            try:
                tokenizer = tokenizers.Tokenizer.from_file(str(self.path))
            except Exception as exc:  # the library raises its own Exception type for any bad file
                raise TokenizerError(f"{self.path}: not a Hugging Face tokenizer.json: {exc}") from None
        self._tok = tokenizer
        self.vocab_size = int(tokenizer.get_vocab_size(with_added_tokens=True))
        specials = self._specials()
        bos, eos = ("<s>", "<|startoftext|>", "<|begin_of_text|>"), ("</s>", "<|endoftext|>", "<|end_of_text|>")
        self.bos_id = next((i for i, t in specials.items() if t in bos), None)
        self.eos_id = next((i for i, t in specials.items() if t in eos), None)

    def _specials(self) -> dict[int, str]:
        return {int(i): t.content for i, t in self._tok.get_added_tokens_decoder().items() if t.special}

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False).ids)

    def decode(self, ids: Sequence[int]) -> str:
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=False)

    def piece(self, token_id: int) -> str:
        return self._tok.id_to_token(int(token_id)) or ""

    def never_reserve(self) -> dict[int, str]:
        out = {i: "special" for i in self._specials()}
        model = json.loads(self._tok.to_str()).get("model", {})
        unk = model.get("unk_token")
        if unk is not None and self._tok.token_to_id(unk) is not None:
            out[int(self._tok.token_to_id(unk))] = "unknown"
        if model.get("byte_fallback"):
            for b in range(256):
                i = self._tok.token_to_id(f"<0x{b:02X}>")
                if i is not None:
                    out[int(i)] = "byte"
        return out


class ClipBpeTokenizer(HFTokenizer):
    """CLIP's BPE vocabulary (``open_clip/bpe_simple_vocab_16e6.txt.gz``) as a ``tokenizers`` BPE, converted the way
    Hugging Face converts CLIP (NFC, collapsed whitespace, lowercase, CLIP's split regex, byte-level, ``</w>``)."""

    kind = "clip_bpe"

    def __init__(self, path: str | Path) -> None:
        TextTokenizer.__init__(self, path)
        try:
            lines = gzip.open(self.path).read().decode("utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenizerError(f"{self.path}: not a gzipped CLIP BPE merges file: {exc}") from None
        super().__init__(path, tokenizer=_clip_tokenizer(lines))

    def never_reserve(self) -> dict[int, str]:
        return {i: "special" for i in self._specials()}


def _clip_tokenizer(lines: list[str]) -> Any:
    tk = _need("tokenizers")
    merges = [tuple(m.split()) for m in lines[1 : 49152 - 256 - 2 + 1]]  # as open_clip's SimpleTokenizer
    byte_chars = _bytes_to_unicode()
    vocab = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges]
    special = ["<|startoftext|>", "<|endoftext|>"]
    bpe = tk.models.BPE(vocab={v: i for i, v in enumerate(vocab + special)}, merges=merges,
                        continuing_subword_prefix="", end_of_word_suffix="</w>", fuse_unk=False)
    tok = tk.Tokenizer(bpe)
    n, pre, dec = tk.normalizers, tk.pre_tokenizers, tk.decoders
    tok.normalizer = n.Sequence([n.NFC(), n.Replace(tk.Regex(r"\s+"), " "), n.Lowercase()])
    split = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
    tok.pre_tokenizer = pre.Sequence([pre.Split(tk.Regex(split), behavior="removed", invert=True),
                                      pre.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = dec.Sequence([dec.Replace("</w>", " "), dec.ByteLevel()])
    tok.add_special_tokens(special)
    return tok


def _bytes_to_unicode() -> list[str]:
    """GPT-2/CLIP's printable stand-ins for the 256 bytes, in CLIP's vocabulary order."""
    bs = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    cs, extra = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + extra)
            extra += 1
    return [chr(c) for c in cs]


class TekkenTokenizer(TextTokenizer):
    """Mistral's tekken JSON (e.g. ``mistral_common/data/tekken_240911.json``): ids 0..S-1 are special tokens, then
    256 byte tokens, then merged pieces."""

    kind = "tekken"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        tekken = _need("mistral_common.tokens.tokenizers.tekken")
        try:
            self._tk = tekken.Tekkenizer.from_file(str(self.path))
        except Exception as exc:  # mistral_common raises assorted types for a bad file
            raise TokenizerError(f"{self.path}: not a tekken tokenizer: {exc}") from None
        self.vocab_size = int(self._tk.n_words)
        self.bos_id, self.eos_id = int(self._tk.bos_id), int(self._tk.eos_id)

    def encode(self, text: str) -> list[int]:
        return list(self._tk.encode(text, bos=False, eos=False))

    def decode(self, ids: Sequence[int]) -> str:
        return self._tk.decode([int(i) for i in ids])

    def piece(self, token_id: int) -> str:
        return self._tk.id_to_piece(int(token_id))

    def never_reserve(self) -> dict[int, str]:
        n = int(self._tk.num_special_tokens)
        out = {i: ("unknown" if i == self._tk.unk_id else "special") for i in range(n)}
        out.update({n + b: "byte" for b in range(256)})
        return out


TOKENIZER_KINDS: dict[str, type[TextTokenizer]] = {
    cls.kind: cls for cls in (SentencePieceTokenizer, HFTokenizer, TekkenTokenizer, ClipBpeTokenizer)
}


def sniff_kind(path: str | Path) -> str:
    """The kind of a tokenizer file, from its name and first bytes.

    Raises:
        TokenizerError: the file is missing or of no known kind.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise TokenizerError(f"cannot read tokenizer file {path}: {exc}") from None
    if head[:2] == b"\x1f\x8b":
        return "clip_bpe"
    if head.lstrip()[:1] == b"{":
        text = head.decode("utf-8", "replace")
        if '"config"' in text and '"pattern"' in text or '"vocab"' in text[:200] and '"rank"' in text:
            return "tekken"
        return "hf"
    if path.suffix == ".model" or ".model." in path.name or head[:1] == b"\n":  # a SentencePiece ModelProto
        return "sentencepiece"
    raise TokenizerError(
        f"{path}: unknown tokenizer file kind; expected a SentencePiece .model, a Hugging Face tokenizer.json, "
        f"a tekken JSON or CLIP's bpe_simple_vocab_16e6.txt.gz (kinds: {sorted(TOKENIZER_KINDS)})"
    )


@lru_cache(maxsize=8)
def _load(path: str, kind: str, mtime: float) -> TextTokenizer:
    return TOKENIZER_KINDS[kind](path)


def load_tokenizer(path: str | Path, *, kind: str | None = None) -> TextTokenizer:
    """Load a tokenizer file (cached per path and modification time); ``kind`` overrides the sniffed kind."""
    kind = kind or sniff_kind(path)
    if kind not in TOKENIZER_KINDS:
        raise TokenizerError(f"unknown tokenizer kind {kind!r}; known: {sorted(TOKENIZER_KINDS)}")
    p = Path(path).resolve()
    if not p.is_file():
        raise TokenizerError(f"tokenizer file {path} does not exist")
    return _load(str(p), kind, p.stat().st_mtime)


@lru_cache(maxsize=16)
def _file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
