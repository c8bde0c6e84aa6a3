"""The per-sample steps of ``mix``, shared by its two engines (the embedded one and the Beam pipelines).

Both engines read work items, dedupe keys, count, and store images with these functions, so an example is the same
bytes whichever engine wrote it (``rt2data.pipelines.mix`` and ``rt2data.pipelines.mix_local``).

- :func:`read_samples`: one work item -> ``SourceItem`` / ``SampleDeadLetter`` elements (``--tokenizer`` applied);
- :func:`duplicate_letter` / :func:`dedupe`: the duplicate-key rule (the first location wins);
- :func:`stat_keys`: the counters a manifest is built from (usable, template ids seen, dead letters by reason);
- :func:`stored`: the example with its image in the output's image format (``output.image_format``);
- :func:`epoch_key`: the output key of an item drawn in an epoch.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator, Mapping, Sequence

from rt2data.codec.pretokenize import tokenize_example
from rt2data.codec.tokenizers import load_tokenizer
from rt2data.dead_letters import SampleDeadLetter
from rt2data.errors import TokenizerError
from rt2data.example import Example
from rt2data.images import transcode
from rt2data.web.samples import SourceItem, WorkItem
from rt2data.web.sources import read_work_item

__all__ = ["DEAD_LETTER_SAMPLES", "read_samples", "duplicate_letter", "dedupe", "stat_keys", "stored", "epoch_key"]

DEAD_LETTER_SAMPLES = 20
"""Dead letters kept per (source, reason) in the manifest: the smallest by (where, key, detail)."""


def read_samples(item: WorkItem, readers: Mapping[str, tuple], tokenizer: str | None = None
                 ) -> Iterator[SourceItem | SampleDeadLetter]:
    """The items and dead letters of one work item, in read order.

    Args:
        item: the work item.
        readers: ``{source: (kind, format, options, template)}`` (``rt2data.pipelines.mix.plan_work_items``).
        tokenizer: a tokenizer file: every example gets ``input_ids`` and ``labels``; a target the tokenizer
            cannot give back is dead-lettered ``untokenizable``.
    """
    kind, fmt, options, template = readers[item.source]
    samples = read_work_item(item, kind=kind, fmt=fmt, options=options, template=template)
    if tokenizer is None:
        yield from samples
        return
    tok = load_tokenizer(tokenizer)
    for x in samples:
        if isinstance(x, SourceItem):
            try:
                x = dataclasses.replace(x, example=tokenize_example(x.example, tok))
            except TokenizerError as exc:
                x = SampleDeadLetter(source=x.source, key=x.raw_key, reason="untokenizable", detail=str(exc),
                                     where=x.where or f"work item {x.location[0]}, sample {x.location[1]}")
        yield x


def duplicate_letter(*, source: str, raw_key: str, key: str, location: Sequence[int], where: str,
                     first_where: str) -> SampleDeadLetter:
    """The dead letter of an item (``SourceItem`` fields) whose key was already used by the sample at
    ``first_where``."""
    return SampleDeadLetter(source=source, key=raw_key, reason="duplicate_key",
                            detail=f"key {key!r} was already used by the sample at {first_where}",
                            where=where or f"work item {location[0]}, sample {location[1]}")


def dedupe(item: SourceItem, winners: Mapping[tuple[str, str], tuple[Any, str]]
           ) -> Iterator[SourceItem | SampleDeadLetter]:
    """Keep the first (by location) of several items with one key; dead-letter the others.

    ``winners``: ``{(source, key): (location, where)}`` of the keys read more than once.
    """
    first = winners.get((item.source, item.key))
    if first is None or tuple(first[0]) == tuple(item.location):
        yield item
    else:
        yield duplicate_letter(source=item.source, raw_key=item.raw_key, key=item.key, location=item.location,
                               where=item.where, first_where=first[1])


def stat_keys(x: SourceItem | SampleDeadLetter) -> list[tuple[tuple, int]]:
    """``((counter key), 1)`` pairs of one usable item or dead letter (summed per key into the manifest's counts)."""
    if isinstance(x, SampleDeadLetter):
        return [(("dead", x.source, x.reason), 1)]
    return [(("usable", x.source), 1), (("template", x.source, x.example.template_id), 1)]


def stored(example: Example, image_format: str) -> Example:
    """The example with its image in the output's image format (``output.image_format``; ``keep``: untouched).

    An image already in that format is not re-encoded (``rt2data.images.transcode``).
    """
    data, fmt = transcode(example.image, example.image_format, to=image_format)
    return example if data is example.image else example.replace(image=data, image_format=fmt)


def epoch_key(key: str, epoch: int) -> str:
    """The output key of the item with base key ``key`` drawn in epoch ``epoch``."""
    return f"{key}-e{epoch}"
