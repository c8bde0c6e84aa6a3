"""Web vision-language sources for co-fine-tuning mixtures: captions and VQA as ``Example`` records.

Readers (``captions``, ``vqa``, ``parquet``, ``converted``) turn WebDataset tars, Parquet tables, VQAv2 / GQA /
Visual Genome / Flickr30k folders and ``rt2data convert`` outputs into ``SourceItem`` (a usable example plus where it
came from) or ``SampleDeadLetter`` (why not) elements; ``sources`` is the registry the mixture and the Beam pipeline use.
Nothing here imports Beam; pyarrow is imported only when a Parquet source is read.
"""

from __future__ import annotations

from rt2data.dead_letters import REASONS, SampleDeadLetter, count_by_reason
from rt2data.web.samples import ItemFactory, SourceItem, WorkItem, derive_key, prepare_image
from rt2data.web.sources import FORMATS, KINDS, get_format, plan_work, read_work_item
from rt2data.web.templates import DEFAULT_TEMPLATES, WebTemplate, default_template
from rt2data.web.text import majority_answer, strip_flickr30k_markup

__all__ = [
    "REASONS",
    "SampleDeadLetter",
    "count_by_reason",
    "ItemFactory",
    "SourceItem",
    "WorkItem",
    "derive_key",
    "prepare_image",
    "FORMATS",
    "KINDS",
    "get_format",
    "plan_work",
    "read_work_item",
    "DEFAULT_TEMPLATES",
    "WebTemplate",
    "default_template",
    "majority_answer",
    "strip_flickr30k_markup",
]
