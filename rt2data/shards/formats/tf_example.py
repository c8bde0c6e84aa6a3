"""``tf.train.Example`` protobuf bytes for an :class:`~rt2data.example.Example`, without TensorFlow.

A small hand-written protobuf encoder/decoder for exactly the messages ``tf.train.Example`` needs::

    Example   { Features features = 1; }
    Features  { map<string, Feature> feature = 1; }        // entry: { string key = 1; Feature value = 2; }
    Feature   { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
    BytesList { repeated bytes value = 1; }
    FloatList { repeated float value = 1 [packed = true]; }
    Int64List { repeated int64 value = 1 [packed = true]; }

Encoding is deterministic: map entries sorted by feature name (Python string order), numeric lists packed;
the bytes equal what protobuf's C++ and pure-Python runtimes give with ``SerializeToString(deterministic=True)``
(a test checks it with the real generated ``tf.train.Example`` class tfds ships; note the ``upb`` runtime orders
map keys that are prefixes of each other differently, e.g. ``image_format`` before ``image``, but parses ours).
The decoder accepts any valid encoding (packed or not, unknown fields skipped).

Where the install could compile it, ``_tf_encode.c`` encodes an example's fields (and frames the record, with the
CPU's CRC-32C instructions) in about 2 us where the Python encoder below takes 13.5; it writes the same bytes
(``tests/shards/test_encoders_pinned.py`` runs every encoder test on both), and whatever it does not take as it is
(an integer beyond int64, a field of another type) goes to the Python encoder.

Field mapping (see ``TFRECORD_FEATURE_SPEC_DOC``): every string field is a one-element ``bytes_list`` (UTF-8);
optional fields (``instruction``, ``episode_id``, ``plan``, ``step``, ``action_raw``, ``action_tokens``) are
*omitted* when ``None`` so that ``None`` and ``""``/``[]`` stay distinct. ``action_raw`` is stored twice:
``action_raw`` as a ``float_list`` (float32, what ``tf.train.Example`` offers, convenient for trainers) and
``action_raw_f64`` as one ``bytes`` value holding the little-endian IEEE-754 float64 array (``8 * D`` bytes,
``tf.io.decode_raw(x, tf.float64)``), which is what our decoder reads back, so the round trip is exact.
"""

from __future__ import annotations

import functools
import struct
from typing import BinaryIO, Iterator, Mapping, NamedTuple

import numpy as np

from rt2data import fields as F
from rt2data.errors import DataError, SchemaError
from rt2data.example import Example
from rt2data.shards.formats.base import RawRecord, ShardFormat
from rt2data.shards.formats.tfrecord import frame_pieces, frame_record, iter_tfrecord_stream

__all__ = [
    "TFRecordFormat",
    "Feature",
    "encode_tf_example",
    "decode_tf_example",
    "example_to_features",
    "features_to_example",
    "example_to_tf_example_bytes",
    "tf_example_bytes_to_example",
    "TFRECORD_FEATURES",
    "TFRECORD_FEATURE_SPEC_DOC",
]

_U64 = (1 << 64) - 1
_STRING_FIELDS = F.REQUIRED_TEXT
_OPTIONAL_STRING_FIELDS = F.OPTIONAL_TEXT


class Feature(NamedTuple):
    """One feature value: ``kind`` is ``"bytes"``, ``"float"`` or ``"int64"``; ``values`` a tuple."""

    kind: str
    values: tuple


# --------------------------------------------------------------------------- wire-level encoding


def _varint_loop(n: int) -> bytes:
    n &= _U64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL_VARINTS = tuple([bytes((i,)) for i in range(1 << 7)]
                       + [bytes((0x80 | (i & 0x7F), i >> 7)) for i in range(1 << 7, 1 << 14)])
"""Every 1- and 2-byte varint (16,384 entries), built without a call per entry: 4 ms of every process's start-up
instead of 10 (this module is imported by the RLDS decoder)."""


def _varint(n: int) -> bytes:
    """Base-128 varint of ``n`` (negative int64 values as their 10-byte two's complement), as protobuf writes it."""
    if 0 <= n < 16384:
        return _SMALL_VARINTS[n]
    return _varint_loop(n)


def _len_field(field: int, payload: bytes) -> bytes:
    return _varint((field << 3) | 2) + _varint(len(payload)) + payload


# Tags of the length-delimited fields used here: field 1, 2, 3 with wire type 2.
_T1, _T2, _T3 = b"\x0a", b"\x12", b"\x1a"
_KIND_TAG = {"bytes": _T1, "float": _T2, "int64": _T3}


def _feature_parts(feature: Feature, parts: list) -> int:
    """Append the ``Feature`` message's pieces to ``parts`` (payloads are not copied); returns its length."""
    kind = feature.kind
    if kind == "bytes":
        values = feature.values
        heads = [_varint(len(v)) for v in values]
        inner = sum(1 + len(h) + len(v) for h, v in zip(heads, values))
        head = _varint(inner)
        parts.append(_T1 + head)
        for h, v in zip(heads, values):
            parts += (_T1 + h, v)
        return 1 + len(head) + inner
    if kind == "float":
        with np.errstate(over="ignore"):
            packed = np.asarray(feature.values, dtype="<f4").tobytes()
    elif kind == "int64":
        packed = b"".join([_varint(int(v)) for v in feature.values])
    else:
        raise ValueError(f"unknown feature kind {kind!r}; expected 'bytes', 'float' or 'int64'")
    body = _T1 + _varint(len(packed)) + packed if packed else b""
    head = _varint(len(body))
    parts.append(_KIND_TAG[kind] + head + body)
    return 1 + len(head) + len(body)


@functools.lru_cache(maxsize=256)
def _name_field(name: str) -> bytes:
    """The map entry's key field (``string key = 1``), encoded once per feature name."""
    data = name.encode("utf-8")
    return _T1 + _varint(len(data)) + data


def _entry_head(name: str, feature_len: int) -> bytes:
    """A map entry up to its ``Feature`` message: tag + length of the entry, the key, tag + length of the value."""
    key = _name_field(name)
    fhead = _T2 + _varint(feature_len)
    return _T1 + _varint(len(key) + len(fhead) + feature_len) + key + fhead


def _one_bytes_head(name: str, n: int) -> bytes:
    """Everything of the entry ``name: bytes_list {value: <n bytes>}`` before those n bytes."""
    h1 = _varint(n)
    list_len = 1 + len(h1) + n
    h2 = _varint(list_len)
    return _entry_head(name, 1 + len(h2) + list_len) + _T1 + h2 + _T1 + h1


@functools.lru_cache(maxsize=4096)
def _short_text_entry(name: str, value: bytes) -> bytes:
    """A whole one-value bytes entry, cached: kind, source, template, format, prompts repeat across examples."""
    return _one_bytes_head(name, len(value)) + value


def encode_tf_example(features: Mapping[str, Feature]) -> bytes:
    """Serialize a feature map as ``tf.train.Example`` bytes (entries sorted by name).

    The message is built as a list of pieces whose lengths are summed on the way, then joined once: each payload
    (the image) is copied once, where nesting ``len + payload`` five levels deep would copy it five times.
    """
    parts: list = [b""]  # [0]: the Features message's tag + length, known at the end
    total = 0
    for name in sorted(features):
        feature = features[name]
        if feature.kind == "bytes" and len(feature.values) == 1:
            value = feature.values[0]
            if len(value) <= 512 and type(value) is bytes:
                entry = _short_text_entry(name, value)
                parts.append(entry)
                total += len(entry)
            else:
                head = _one_bytes_head(name, len(value))
                parts += (head, value)
                total += len(head) + len(value)
            continue
        at = len(parts)
        parts.append(b"")  # placeholder for the entry's head
        flen = _feature_parts(feature, parts)
        head = _entry_head(name, flen)
        parts[at] = head
        total += len(head) + flen
    parts[0] = _T1 + _varint(total)
    return b"".join(parts)


try:
    from rt2data.shards.formats import _tf_encode as _compiled  # built at install where a C compiler is
except ImportError:  # pragma: no cover - depends on the install
    _compiled = None
_COMPILED_ERRORS = (TypeError, ValueError, OverflowError, UnicodeError)


def _compiled_encode(ex: Example, framed: bool) -> bytes | None:
    """The bytes of :func:`_python_encode` (``framed``: of :func:`_python_framed`) from the compiled encoder
    (``_tf_encode.c``), or None where it is not built or does not take the example as it is (then the Python
    encoder decides)."""
    if _compiled is None or (framed and not _compiled.HARDWARE_CRC):
        return None
    try:
        return _compiled.encode(framed, ex.action_raw, ex.action_tokens, ex.chunk_real, ex.chunk_steps, ex.episode_id,
                                ex.image, ex.image_format, ex.input_ids, ex.instruction, ex.key, ex.kind, ex.labels,
                                ex.plan, ex.prompt, ex.source, ex.step, ex.target, ex.template_id)
    except _COMPILED_ERRORS:
        return None


def _encode_example(ex: Example) -> bytes:
    """:func:`example_to_tf_example_bytes`: by the compiled encoder where it is built (about 2 us an example,
    against 13.5 us), else :func:`_python_encode`; the same bytes (``tests/shards/test_encoders_pinned.py``)."""
    data = _compiled_encode(ex, False)
    return _python_encode(ex) if data is None else data


def _framed_example(ex: Example) -> bytes:
    """``frame_record(_encode_example(ex))``: by the compiled encoder where it is built and the CPU has CRC-32C
    instructions, else :func:`_python_framed`."""
    data = _compiled_encode(ex, True)
    return _python_framed(ex) if data is None else data


def _python_encode(ex: Example) -> bytes:
    """The entries in feature-name order (the order ``encode_tf_example`` sorts to), joined once (the image is
    copied once). The entries of the fields an episode's steps share are encoded once, in the runs they form in
    that order (:func:`_shared_runs`); an example with an action chunk or token ids, whose entries fall between
    those runs, is written out field by field (:func:`_encode_fields`)."""
    pieces = _pieces(ex)
    return _encode_fields(ex) if pieces is None else b"".join(pieces)


def _python_framed(ex: Example) -> bytes:
    """``frame_record(_python_encode(ex))`` with the image copied once (the CRC taken around it)."""
    pieces = _pieces(ex)
    return frame_record(_encode_fields(ex)) if pieces is None else frame_pieces(*pieces)


def _pieces(ex: Example) -> tuple[bytes, bytes, bytes] | None:
    """The ``tf.train.Example`` bytes of ``ex`` as (everything before the image, the image, everything after it);
    None for an example with an action chunk or token ids (:func:`_encode_fields` writes those)."""
    if ex.chunk_steps is not None or ex.input_ids is not None or ex.chunk_real is not None or ex.labels is not None:
        return None
    runs = _shared_runs(ex.episode_id, ex.image_format, ex.instruction, ex.kind, ex.plan, ex.prompt, ex.source,
                        ex.template_id)
    image, raw, tokens, step = ex.image, ex.action_raw, ex.action_tokens, ex.step
    key = ex.key.encode("utf-8")
    # an action string changes from step to step: a cache entry would not be hit again
    target = (_uncached_text_entry("target", ex.target) if ex.kind == "action"
              else _text_entry("target", ex.target))
    after = b"".join((runs[1], _bytes_head("key", len(key)), key, runs[2],
                      b"" if step is None else _int_entry("step", step), target, runs[3]))
    before = b"".join((b"" if raw is None else _actions_entries(raw),
                       b"" if tokens is None else _ints_entry("action_tokens", tokens),
                       runs[0], _bytes_head("image", len(image))))
    return _T1 + _varint(len(before) + len(image) + len(after)) + before, image, after


_RUNS: dict[tuple, tuple[bytes, bytes, bytes, bytes]] = {}
"""The shared runs of entries of each set of shared fields seen (bounded; a pure function of its key)."""


def _shared_runs(episode_id: str | None, image_format: str, instruction: str | None, kind: str, plan: str | None,
                 prompt: str, source: str, template_id: str) -> tuple[bytes, bytes, bytes, bytes]:
    """The entries of the fields an episode's steps share, as the four runs they form between the fields that
    change (feature-name order): ``episode_id`` | image | ``image_format instruction`` | key | ``kind plan prompt
    source`` | step, target | ``template_id`` (a field that is None has no entry)."""
    key = (episode_id, image_format, instruction, kind, plan, prompt, source, template_id)
    runs = _RUNS.get(key)
    if runs is None:
        def entry(name: str, value: str | None) -> bytes:
            return b"" if value is None else _text_entry(name, value)

        runs = (entry("episode_id", episode_id),
                entry("image_format", image_format) + entry("instruction", instruction),
                entry("kind", kind) + entry("plan", plan) + entry("prompt", prompt) + entry("source", source),
                entry("template_id", template_id))
        if len(_RUNS) >= 4096:
            _RUNS.clear()
        _RUNS[key] = runs
    return runs


_ACTION_PACKERS: dict[int, tuple] = {}


def _actions_entries(raw: tuple) -> bytes:
    """The ``action_raw`` (float32) and ``action_raw_f64`` entries, with their packers and heads made once per
    action length: :func:`_float32_entry` + :func:`_float64_entry`."""
    n = len(raw)
    packers = _ACTION_PACKERS.get(n)
    if packers is None:
        packers = _ACTION_PACKERS[n] = (struct.Struct(f"<{n}f").pack, _packed_head("action_raw", _T2, 4 * n),
                                        struct.Struct(f"<{n}d").pack, _bytes_head("action_raw_f64", 8 * n))
    pack32, head32, pack64, head64 = packers
    try:
        float32 = head32 + pack32(*raw)
    except OverflowError:  # beyond float32's range: +-inf, as numpy casts
        float32 = _float32_entry("action_raw", raw)
    return float32 + head64 + pack64(*raw)


def _encode_fields(ex: Example) -> bytes:
    """:func:`_encode_example` written out one field after another (a loop over a table of fields cost half again
    as much)."""
    parts: list = [b""]  # [0]: the Features message's tag + length, known at the end
    raw = ex.action_raw
    if raw is not None:
        parts += (_float32_entry("action_raw", raw), _float64_entry("action_raw_f64", raw))
    if ex.action_tokens is not None:
        parts.append(_ints_entry("action_tokens", ex.action_tokens))
    if ex.chunk_real is not None:
        parts.append(_int_entry("chunk_real", ex.chunk_real))
    if ex.chunk_steps is not None:
        parts.append(_int_entry("chunk_steps", ex.chunk_steps))
    if ex.episode_id is not None:
        parts.append(_text_entry("episode_id", ex.episode_id))
    image = ex.image
    parts += (_one_bytes_head("image", len(image)), image, _text_entry("image_format", ex.image_format))
    if ex.input_ids is not None:
        parts.append(_ints_entry("input_ids", ex.input_ids))
    if ex.instruction is not None:
        parts.append(_text_entry("instruction", ex.instruction))
    parts += (_uncached_text_entry("key", ex.key), _text_entry("kind", ex.kind))
    if ex.labels is not None:
        parts.append(_ints_entry("labels", ex.labels))
    if ex.plan is not None:
        parts.append(_text_entry("plan", ex.plan))
    parts += (_text_entry("prompt", ex.prompt), _text_entry("source", ex.source))
    if ex.step is not None:
        parts.append(_int_entry("step", ex.step))
    target = ex.target  # an action string changes from step to step: a cache entry would not be hit again
    parts += (_uncached_text_entry("target", target) if ex.kind == "action" else _text_entry("target", target),
              _text_entry("template_id", ex.template_id))
    parts[0] = _T1 + _varint(sum(map(len, parts)))
    return b"".join(parts)


def _uncached_bytes_entry(name: str, data: bytes) -> bytes:
    return _bytes_head(name, len(data)) + data


@functools.lru_cache(maxsize=4096)
def _bytes_head(name: str, n: int) -> bytes:
    """:func:`_one_bytes_head`, cached: keys, targets and float64 actions have few distinct lengths."""
    return _one_bytes_head(name, n)


def _uncached_text_entry(name: str, value: str) -> bytes:
    return _uncached_bytes_entry(name, value.encode("utf-8"))


@functools.lru_cache(maxsize=4096)
def _cached_text_entry(name: str, value: str) -> bytes:
    return _uncached_text_entry(name, value)


def _text_entry(name: str, value: str) -> bytes:
    """A one-value text entry; short ones cached: prompts, instructions, episode ids repeat over an episode."""
    return _cached_text_entry(name, value) if len(value) <= 256 else _uncached_text_entry(name, value)


def _packed_entry(name: str, kind_tag: bytes, packed: bytes) -> bytes:
    """The entry ``name: <float_list|int64_list> {value: packed}`` (an empty list has no ``value`` field)."""
    return _packed_head(name, kind_tag, len(packed)) + packed


@functools.lru_cache(maxsize=4096)
def _packed_head(name: str, kind_tag: bytes, n: int) -> bytes:
    """Everything of :func:`_packed_entry` before the ``n`` packed bytes (cached: few lengths occur)."""
    body_head = _T1 + _varint(n) if n else b""
    feature_head = kind_tag + _varint(len(body_head) + n) + body_head
    return _entry_head(name, len(feature_head) + n) + feature_head


def _float32_entry(name: str, values: tuple) -> bytes:
    """``action_raw`` as a float32 ``float_list`` (values beyond float32's range become +-inf, as numpy casts)."""
    try:
        packed = struct.pack(f"<{len(values)}f", *values)
    except OverflowError:
        with np.errstate(over="ignore"):
            packed = np.asarray(values, dtype="<f8").astype("<f4").tobytes()
    return _packed_entry(name, _T2, packed)


def _float64_entry(name: str, values: tuple) -> bytes:
    """``action_raw_f64``: one bytes value, the exact little-endian float64 array."""
    return _uncached_bytes_entry(name, struct.pack(f"<{len(values)}d", *values))


def _ints_entry(name: str, values: tuple) -> bytes:
    if values and 0 <= min(values):
        top = max(values)
        if top < 128:  # bin indices of up to 128 bins: every varint is its own byte
            return _packed_entry(name, _T3, bytes(values))
        if top < 16384:  # tokens, ids: the table of 1- and 2-byte varints
            small = _SMALL_VARINTS
            return _packed_entry(name, _T3, b"".join([small[v] for v in values]))
    return _packed_entry(name, _T3, b"".join([_varint(int(v)) for v in values]))


@functools.lru_cache(maxsize=4096)
def _int_entry(name: str, value: int) -> bytes:
    return _packed_entry(name, _T3, _varint(int(value)))


# --------------------------------------------------------------------------- wire-level decoding


class WireError(ValueError):
    pass


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """The varint at ``pos`` (its low 64 bits, as protobuf keeps them) and the position after it.

    Raises:
        WireError: the varint is cut off or longer than 10 bytes.
    """
    try:
        byte = buf[pos]
    except IndexError:
        raise WireError("truncated varint") from None
    if byte < 0x80:  # one byte: tags, lengths and flags, nearly always
        return byte, pos + 1
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise WireError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result & _U64, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint longer than 10 bytes")


def _fields(buf: bytes):
    """Yield ``(field_number, wire_type, value)``; value is int for varint/fixed, bytes for length-delimited."""
    pos = 0
    while pos < len(buf):
        tag, pos = read_varint(buf, pos)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            n, pos = read_varint(buf, pos)
            value, pos = buf[pos : pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise WireError(f"unsupported wire type {wire} for field {field}")
        if pos > len(buf):
            raise WireError(f"field {field} runs past the end of its message")
        yield field, wire, value


def _signed64(n: int) -> int:
    return n - (1 << 64) if n >= (1 << 63) else n


def _decode_list(kind_field: int, buf: bytes) -> Feature:
    if kind_field == 1:
        return Feature("bytes", tuple(bytes(v) for f, w, v in _fields(buf) if f == 1 and w == 2))
    values: list = []
    for f, w, v in _fields(buf):
        if f != 1:
            continue
        if kind_field == 2:
            if w == 2:
                if len(v) % 4:
                    raise WireError("packed float list length is not a multiple of 4")
                values.extend(np.frombuffer(v, dtype="<f4").tolist())
            elif w == 5:
                values.append(struct.unpack("<f", v)[0])
        elif w == 2:
            pos = 0
            while pos < len(v):
                n, pos = read_varint(v, pos)
                values.append(_signed64(n))
        elif w == 0:
            values.append(_signed64(v))
    return Feature("float" if kind_field == 2 else "int64", tuple(values))


def _decode_feature(buf: bytes) -> Feature | None:
    result = None
    for f, w, v in _fields(buf):
        if f in (1, 2, 3) and w == 2:
            result = _decode_list(f, v)  # oneof: the last one wins
    return result


def decode_tf_example(data: bytes) -> dict[str, Feature]:
    """Parse ``tf.train.Example`` bytes into ``{name: Feature}``.

    Raises:
        DataError: the bytes are not a valid protobuf message of that shape.
    """
    out: dict[str, Feature] = {}
    try:
        for f, w, features in _fields(data):
            if f != 1 or w != 2:
                continue
            for f2, w2, entry in _fields(features):
                if f2 != 1 or w2 != 2:
                    continue
                name, value = "", None
                for f3, w3, v in _fields(entry):
                    if f3 == 1 and w3 == 2:
                        name = bytes(v).decode("utf-8")
                    elif f3 == 2 and w3 == 2:
                        value = _decode_feature(v)
                out[name] = value if value is not None else Feature("bytes", ())
    except (WireError, UnicodeDecodeError) as exc:
        raise DataError(f"not a valid tf.train.Example: {exc}") from exc
    return out


# --------------------------------------------------------------------------- Example <-> features


class _Spec(NamedTuple):
    name: str
    kind: str
    tf_parse: str  # the tf.io feature used in TFRECORD_FEATURE_SPEC_DOC
    doc: str


TFRECORD_FEATURES: tuple[_Spec, ...] = (
    _Spec(F.KEY, "bytes", 'tf.io.FixedLenFeature([], tf.string)', "unique example key"),
    _Spec(F.IMAGE, "bytes", 'tf.io.FixedLenFeature([], tf.string)', "encoded image bytes (tf.io.decode_image)"),
    _Spec(F.IMAGE_FORMAT, "bytes", 'tf.io.FixedLenFeature([], tf.string)', "jpg | png | webp | gif | bmp | tiff"),
    _Spec(F.PROMPT, "bytes", 'tf.io.FixedLenFeature([], tf.string)', "text the model reads"),
    _Spec(F.TARGET, "bytes", 'tf.io.FixedLenFeature([], tf.string)', "text the model writes"),
    _Spec(F.KIND, "bytes", 'tf.io.FixedLenFeature([], tf.string)', "action | caption | vqa"),
    _Spec(F.SOURCE, "bytes", 'tf.io.FixedLenFeature([], tf.string)', "dataset / mixture source name"),
    _Spec(F.TEMPLATE_ID, "bytes", 'tf.io.FixedLenFeature([], tf.string)', "prompt template id"),
    _Spec(F.INSTRUCTION, "bytes", 'tf.io.FixedLenFeature([], tf.string, default_value="")', "absent: None"),
    _Spec(F.EPISODE_ID, "bytes", 'tf.io.FixedLenFeature([], tf.string, default_value="")', "absent: None"),
    _Spec(F.PLAN, "bytes", 'tf.io.FixedLenFeature([], tf.string, default_value="")', "absent: None"),
    _Spec(F.STEP, "int64", "tf.io.FixedLenFeature([], tf.int64, default_value=-1)", "-1 when absent"),
    _Spec(F.ACTION_RAW, "float", "tf.io.VarLenFeature(tf.float32)", "raw action, float32 copy"),
    _Spec(
        "action_raw_f64",
        "bytes",
        'tf.io.FixedLenFeature([], tf.string, default_value="")',
        "exact raw action: tf.io.decode_raw(x, tf.float64), little-endian",
    ),
    _Spec(F.ACTION_TOKENS, "int64", "tf.io.VarLenFeature(tf.int64)", "bin index per dimension"),
    _Spec(F.CHUNK_STEPS, "int64", "tf.io.FixedLenFeature([], tf.int64, default_value=1)", "action chunk H; absent: 1"),
    _Spec(F.CHUNK_REAL, "int64", "tf.io.FixedLenFeature([], tf.int64, default_value=1)", "real steps of the chunk"),
    _Spec(F.INPUT_IDS, "int64", "tf.io.VarLenFeature(tf.int64)", "--tokenizer: ids of prompt + ' ' + target"),
    _Spec(F.LABELS, "int64", "tf.io.VarLenFeature(tf.int64)", "--tokenizer: input_ids, prompt masked with -100"),
)

TFRECORD_FEATURE_SPEC_DOC = (
    "import tensorflow as tf\n\n"
    "# One tf.train.Example per rt2data example; optional fields are absent when None.\n"
    "FEATURES = {\n"
    + "".join(f'    "{s.name}": {s.tf_parse},  # {s.doc}\n' for s in TFRECORD_FEATURES)
    + "}\n\n"
    "def parse(record):\n"
    "    ex = tf.io.parse_single_example(record, FEATURES)\n"
    '    ex["action_raw"] = tf.sparse.to_dense(ex["action_raw"])\n'
    '    ex["action_tokens"] = tf.sparse.to_dense(ex["action_tokens"])\n'
    '    ex["input_ids"] = tf.sparse.to_dense(ex["input_ids"])\n'
    '    ex["labels"] = tf.sparse.to_dense(ex["labels"])\n'
    '    ex["action_raw_f64"] = tf.io.decode_raw(ex["action_raw_f64"], tf.float64)\n'
    "    return ex\n\n"
    'ds = tf.data.TFRecordDataset(sorted(tf.io.gfile.glob("OUT_DIR/*.tfrecord"))).map(parse)  # name order = manifest order\n'
)
"""Text for the README: the ``tf.io.parse_single_example`` feature dict of our TFRecord shards."""


def _text(value: str) -> Feature:
    return Feature("bytes", (value.encode("utf-8"),))


def example_to_features(example: Example) -> dict[str, Feature]:
    """The feature map of one example (see the module docstring for the mapping)."""
    out = {name: _text(getattr(example, name)) for name in _STRING_FIELDS}
    out["image"] = Feature("bytes", (example.image,))
    for name in _OPTIONAL_STRING_FIELDS:
        value = getattr(example, name)
        if value is not None:
            out[name] = _text(value)
    if example.step is not None:
        out["step"] = Feature("int64", (example.step,))
    if example.action_raw is not None:
        out["action_raw"] = Feature("float", example.action_raw)
        out["action_raw_f64"] = Feature("bytes", (np.asarray(example.action_raw, dtype="<f8").tobytes(),))
    if example.action_tokens is not None:
        out["action_tokens"] = Feature("int64", example.action_tokens)
    for name in ("chunk_steps", "chunk_real"):  # optional, absent when None (older outputs keep their bytes)
        if getattr(example, name) is not None:
            out[name] = Feature("int64", (getattr(example, name),))
    if example.input_ids is not None:
        out["input_ids"] = Feature("int64", example.input_ids)
        out["labels"] = Feature("int64", example.labels)
    return out


def _one(features: Mapping[str, Feature], name: str, kind: str, *, required: bool) -> object:
    feature = features.get(name)
    if feature is None:
        if required:
            raise DataError(f"tf.train.Example has no feature {name!r} (an rt2data example needs it)")
        return None
    if feature.kind != kind or len(feature.values) != 1:
        raise DataError(
            f"feature {name!r}: expected one {kind} value, got {feature.kind} with {len(feature.values)} values"
        )
    return feature.values[0]


def _utf8(value: object, name: str) -> str | None:
    if value is None:
        return None
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"feature {name!r} is not valid UTF-8: {exc}") from exc


def _action_raw(features: Mapping[str, Feature]) -> tuple[float, ...] | None:
    exact = _one(features, "action_raw_f64", "bytes", required=False)
    approx = features.get("action_raw")
    if exact is None:
        return None if approx is None else tuple(approx.values)
    if len(exact) % 8:
        raise DataError(f"feature 'action_raw_f64' has {len(exact)} bytes, not a multiple of 8")
    values = tuple(np.frombuffer(exact, dtype="<f8").tolist())
    if approx is not None and len(approx.values) != len(values):
        raise DataError(
            f"feature 'action_raw' has {len(approx.values)} values but 'action_raw_f64' has {len(values)}"
        )
    return values


def features_to_example(features: Mapping[str, Feature]) -> Example:
    """Rebuild the :class:`Example` from a decoded feature map (unknown features are ignored).

    Raises:
        DataError: a required feature is missing or has the wrong type, or the fields do not make an example.
    """
    fields: dict[str, object] = {
        name: _utf8(_one(features, name, "bytes", required=True), name) for name in _STRING_FIELDS
    }
    for name in _OPTIONAL_STRING_FIELDS:
        fields[name] = _utf8(_one(features, name, "bytes", required=False), name)
    fields["step"] = _one(features, "step", "int64", required=False)
    fields["action_raw"] = _action_raw(features)
    tokens = features.get("action_tokens")
    if tokens is not None and tokens.kind != "int64":
        raise DataError(f"feature 'action_tokens': expected int64 values, got {tokens.kind}")
    fields["action_tokens"] = None if tokens is None else tuple(tokens.values)
    for name in ("chunk_steps", "chunk_real"):
        fields[name] = _one(features, name, "int64", required=False)
    for name in ("input_ids", "labels"):
        feature = features.get(name)
        if feature is not None and feature.kind != "int64":
            raise DataError(f"feature {name!r}: expected int64 values, got {feature.kind}")
        fields[name] = None if feature is None else tuple(feature.values)
    image = _one(features, "image", "bytes", required=True)
    try:
        return Example(image=bytes(image), **fields)
    except SchemaError as exc:
        raise DataError(f"tf.train.Example does not hold a valid example: {exc}") from exc


def example_to_tf_example_bytes(example: Example) -> bytes:
    """Serialized ``tf.train.Example`` of one example (deterministic).

    The bytes of ``encode_tf_example(example_to_features(example))``, built straight from the example's fields in
    feature-name order (no feature map, no ``Feature`` tuples): entries of repeated text (prompt, kind, source,
    instruction, ...) and of small integers come from caches, the image is copied once (by the final join).
    """
    return _encode_example(example)


def tf_example_bytes_to_example(data: bytes) -> Example:
    """Inverse of :func:`example_to_tf_example_bytes`."""
    return features_to_example(decode_tf_example(data))


class TFRecordFormat(ShardFormat):
    """``tfrecord``: TFRecord files of ``tf.train.Example`` (written without TensorFlow; see ``TFRECORD_FEATURES``)."""

    name = "tfrecord"
    extension = "tfrecord"
    description = "TFRecord of tf.train.Example (readable by tf.data)"

    def encode(self, example: Example) -> bytes:
        return _framed_example(example)

    def decode(self, record: bytes) -> Example:
        """One record's ``tf.train.Example`` bytes -> :class:`Example` (raises ``DataError``)."""
        return tf_example_bytes_to_example(record)

    def iter_raw(self, f: BinaryIO, *, name: str, verify: bool) -> Iterator[RawRecord]:
        for index, record in enumerate(iter_tfrecord_stream(f, name=name, verify=verify)):
            try:
                example = self.decode(record)
            except DataError as exc:
                yield f"record-{index}", None, str(exc)
                continue
            yield example.key, example, example.to_json_dict()

    def iter_examples(self, f: BinaryIO, *, name: str, verify: bool = False) -> Iterator[Example]:
        for index, record in enumerate(iter_tfrecord_stream(f, name=name, verify=verify)):
            try:
                yield self.decode(record)
            except DataError as exc:
                raise DataError(f"{name}: record {index}: {exc}") from exc
