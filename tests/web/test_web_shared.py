"""Web readers on real data from ../shared/data (skipped with a reason where that folder is absent)."""

from __future__ import annotations

import io
import json
import tarfile
from collections import Counter

import pytest
import webdataset as wds

from rt2data.web import SampleDeadLetter, SourceItem, default_template, plan_work, read_work_item
from rt2data.web.captions import Flickr30kOptions, WdsCaptionOptions
from rt2data.web.vqa import GqaOptions, VgqaOptions, Vqav2Options

pytestmark = pytest.mark.shared


def read_all(name, kind, fmt, options):
    out = [x for item in plan_work(name, kind, fmt, options)
           for x in read_work_item(item, kind=kind, fmt=fmt, options=options, template=default_template(kind))]
    return [x for x in out if isinstance(x, SourceItem)], [x for x in out if isinstance(x, SampleDeadLetter)]


def test_vqav2_native_layout_majority_answers(shared_data):
    d = shared_data / "vision_qa_captions"
    opts = Vqav2Options(questions=str(d / "vqav2/questions.json"), annotations=str(d / "vqav2/annotations.json"),
                        images=str(d / "images/vqav2"))
    items, dead = read_all("vqav2", "vqa", "vqav2", opts)
    assert not dead and len(items) == 3
    questions = {q["question_id"]: q for q in json.loads((d / "vqav2/questions.json").read_text())["questions"]}
    annotations = json.loads((d / "vqav2/annotations.json").read_text())["annotations"]
    image = (d / "images/vqav2/COCO_train2014_000000458752.jpg").read_bytes()
    for ann, item in zip(annotations, items):
        answers = [a["answer"] for a in sorted(ann["answers"], key=lambda a: a["answer_id"])]
        counts = Counter(answers)
        top = max(counts.values())
        expected = next(a for a in answers if counts[a] == top)  # earliest among the most frequent
        ex = item.example
        assert ex.target == expected
        assert ex.prompt == f"Q: {questions[ann['question_id']]['question']} A:"
        assert ex.key == f"vqav2-{ann['question_id']}" and ex.image == image and ex.image_format == "jpg"
    assert items[0].example.target == "net"

    # The test split has no annotations: every question is dead-lettered no_text, none vanishes.
    items, dead = read_all("vqav2", "vqa", "vqav2", Vqav2Options(questions=str(d / "vqav2/questions.json"),
                                                                 images=str(d / "images/vqav2")))
    assert not items and [x.reason for x in dead] == ["no_text"] * 3
    # A wrong COCO subtype names images that do not exist.
    items, dead = read_all("vqav2", "vqa", "vqav2", Vqav2Options(
        questions=str(d / "vqav2/questions.json"), annotations=str(d / "vqav2/annotations.json"),
        images=str(d / "images/vqav2"), subtype="val2014"))
    assert not items and {x.reason for x in dead} == {"no_image"}


def test_flickr30k_markup_stripped(shared_data):
    d = shared_data / "vision_qa_captions"
    opts = Flickr30kOptions(sentences=str(d / "flickr30k/sentences"), images=str(d / "images/flickr30k"))
    items, dead = read_all("flickr", "caption", "flickr30k", opts)
    assert not dead and len(items) == 25  # 5 images x 5 captions
    for item in items:
        assert "[/EN#" not in item.example.target and "]" not in item.example.target
        assert item.example.prompt == "Caption:" and item.example.image_format == "jpg"
    first = next(i for i in items if i.raw_key == "1/0").example.target
    assert first == "A girl with brown hair sits on the edge of a cement area overlooking water."
    for item in items:  # every caption of an image points at the same file (a mix spills where, not the bytes)
        image = d / "images/flickr30k" / f"{item.raw_key.split('/')[0]}.jpg"
        assert item.image_at == (str(image), 0, image.stat().st_size)
    # The split file selects images; only the first caption with captions_per_image: first.
    split = Flickr30kOptions(sentences=str(d / "flickr30k/sentences"), images=str(d / "images/flickr30k"),
                             split=str(d / "flickr30k/tiny-dev.txt"), captions_per_image="first")
    items, _ = read_all("flickr", "caption", "flickr30k", split)
    assert [i.raw_key for i in items] == ["1/0", "2/0", "3/0"]
    raw = read_all("flickr", "caption", "flickr30k", Flickr30kOptions(
        sentences=str(d / "flickr30k/sentences"), images=str(d / "images/flickr30k"), markup="none"))[0]
    assert all("[/EN#" in i.example.target for i in raw)


# the reference, webdataset's own reader, leaves the .tgz it read open (its tariterators); rt2data's reader closes it
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_webdataset_sample_tgz(shared_data):
    path = shared_data / "webdataset_shards/sample.tgz"
    items, dead = read_all("digits", "caption", "wds", WdsCaptionOptions(path=str(path), text_keys=("cls",)))
    assert len(items) == 90 and not dead
    reference = {s["__key__"]: s["cls"].decode() for s in wds.WebDataset(str(path), shardshuffle=False)}
    assert {i.raw_key: i.example.target for i in items} == reference
    assert {i.example.image_format for i in items} == {"png"}
    items, dead = read_all("digits", "caption", "wds", WdsCaptionOptions(path=str(path)))
    assert not items and Counter(d.reason for d in dead) == {"no_text": 90}


def test_webdataset_compressed_tar_folder_keys_and_txt_gz(shared_data, tmp_path):
    path = shared_data / "webdataset_shards/compressed.tar"
    items, dead = read_all("c", "caption", "wds", WdsCaptionOptions(path=str(path)))
    assert not items
    assert [(d.key, d.reason) for d in dead] == [(f"compressed/000{i}", "no_image") for i in (1, 2, 3)]
    # The same real members, each paired with an image, give the decompressed captions under folder keys.
    png = (shared_data / "odd_size_photos/test_images/123_456.jpg").read_bytes()
    paired = tmp_path / "paired.tar"
    with tarfile.open(path) as src, tarfile.open(paired, "w") as dst:
        for member in src.getmembers():
            if member.isfile():
                dst.addfile(member, src.extractfile(member))
                image = tarfile.TarInfo(member.name.replace(".txt.gz", ".jpg"))
                image.size = len(png)
                dst.addfile(image, io.BytesIO(png))
    items, dead = read_all("c", "caption", "wds", WdsCaptionOptions(path=str(paired)))
    assert not dead
    assert [(i.raw_key, i.example.key, i.example.target) for i in items] == [
        ("compressed/0001", "c-compressed_0001", "hello"), ("compressed/0002", "c-compressed_0002", "world"),
        ("compressed/0003", "c-compressed_0003", "gzip")]


def test_odd_size_photos_image_only(shared_data):
    tars = shared_data / "odd_size_photos/test_tars"
    names = sorted(m for t in sorted(tars.glob("*.tar")) for m in _member_names(t))
    items, dead = read_all("photos", "caption", "wds", WdsCaptionOptions(path=str(tars)))
    assert not items and len(dead) == len(names) and {d.reason for d in dead} == {"no_text"}
    items, dead = read_all("photos", "caption", "wds", WdsCaptionOptions(path=str(tars / "image{1..4}.tar"),
                                                                          default_text="a photo", verify_images=True))
    assert len(items) == len(names) and not dead
    assert {i.example.image_format for i in items} == {"jpg"} and {i.example.target for i in items} == {"a photo"}


def test_gqa_and_visual_genome_qa(shared_data):
    d = shared_data / "vision_qa_captions"
    items, dead = read_all("gqa", "vqa", "gqa", GqaOptions(questions=str(d / "gqa/question_dir"),
                                                           images=str(d / "images/gqa")))
    assert len(items) + len(dead) == 2 and items
    items, dead = read_all("vg", "vqa", "vgqa", VgqaOptions(questions=str(d / "vgqa/question_answers.json"),
                                                            images=str(d / "images/vgqa")))
    pairs = sum(len(e["qas"]) for e in json.loads((d / "vgqa/question_answers.json").read_text()))
    assert len(items) + len(dead) == pairs == 8
    assert items[0].example.target == "Sailboats." and items[0].example.prompt == "Q: What is on the curtains? A:"


def _member_names(path) -> list[str]:
    with tarfile.open(path) as tar:
        return tar.getnames()
