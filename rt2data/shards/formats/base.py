"""What an output shard format is: a name, a file extension, how one example becomes bytes, how a file ends, and
how a file is read back. One subclass per format (``wds``, ``tfrecord``); the registry in
``rt2data.shards.formats`` maps names to instances and every other place derives from it.
"""

from __future__ import annotations

import abc
from typing import Any, BinaryIO, ClassVar, Iterator

from rt2data.errors import DataError
from rt2data.example import Example

__all__ = ["ShardFormat", "RawRecord", "FieldsRecord"]

RawRecord = tuple[str, Example | None, dict[str, Any] | str]
"""``(key, example or None, the example's JSON fields | why it could not be decoded)``, one per stored example."""

FieldsRecord = tuple[str, dict[str, Any] | None, bytes, str | None, bool]
"""``(key, JSON fields or None, image bytes, None | why it could not be decoded, certain)``: a stored example before
its ``Example`` is made (``Example.from_json_dict(fields, image)`` makes it, or raises what :meth:`iter_raw`
reports); ``certain``: ``fast_check.certainly_valid(fields)`` and the image is not empty."""


class ShardFormat(abc.ABC):
    """One output format.

    Attributes:
        name: the name users type (``--format``, mixture ``output.formats``, manifest keys).
        extension: the shard file extension, without the dot (``PREFIX-NNNNNN.<extension>``).
        description: one line for help texts.
    """

    name: ClassVar[str]
    extension: ClassVar[str]
    description: ClassVar[str]

    @abc.abstractmethod
    def encode(self, example: Example) -> bytes:
        """The exact bytes one example adds to a shard (deterministic: same example, same bytes)."""

    def end_size(self, offset: int) -> int:
        """Bytes appended when a shard whose examples end at ``offset`` is closed (tar: end-of-archive blocks)."""
        return 0

    def trailer(self, offset: int) -> bytes:
        """The bytes :meth:`end_size` counts."""
        return b"\0" * self.end_size(offset)

    @abc.abstractmethod
    def iter_raw(self, f: BinaryIO, *, name: str, verify: bool) -> Iterator[RawRecord]:
        """Every stored example of an open shard, in file order, undecodable ones included (as problem text).

        Structural damage that stops reading (a truncated file, a bad CRC with ``verify``) raises ``DataError``
        naming ``name``.
        """

    def iter_fields(self, f: BinaryIO, *, name: str, verify: bool) -> Iterator[FieldsRecord]:
        """As :meth:`iter_raw`, without making the ``Example`` where a format can skip it (a reader checks the
        fields with ``rt2data.shards.fast_check`` first and makes the ``Example`` only when that cannot vouch)."""
        from rt2data.shards.fast_check import certainly_valid  # light: a sibling module without heavy imports

        for key, example, fields in self.iter_raw(f, name=name, verify=verify):
            if example is None:
                yield key, None, b"", str(fields), False
            else:
                yield key, fields, example.image, None, certainly_valid(fields)  # type: ignore[misc]

    def iter_records(self, f: BinaryIO, *, name: str, verify: bool = False) -> Iterator[tuple[dict[str, Any], bytes]]:
        """``(example.to_json_dict(), example.image)`` of every example, raising as :meth:`iter_examples` does."""
        for example in self.iter_examples(f, name=name, verify=verify):
            yield example.to_json_dict(), example.image

    def iter_located_records(self, f: BinaryIO, *, name: str, verify: bool = False
                             ) -> Iterator[tuple[dict[str, Any], bytes, int | None]]:
        """As :meth:`iter_records`, each with the offset in the file of its image bytes, where the format stores
        them whole (a tar member), else None (a TFRecord's image lies inside a serialized ``Example``)."""
        for fields, image in self.iter_records(f, name=name, verify=verify):
            yield fields, image, None

    def iter_examples(self, f: BinaryIO, *, name: str, verify: bool = False) -> Iterator[Example]:
        """The examples of an open shard; an undecodable one raises ``DataError`` naming file and key."""
        for key, example, problem in self.iter_raw(f, name=name, verify=verify):
            if example is None:
                raise DataError(f"{name}: {key}: {problem}")
            yield example

    def __repr__(self) -> str:
        return f"<ShardFormat {self.name} (*.{self.extension})>"
