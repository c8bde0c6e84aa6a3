"""Web readers on generated data: WebDataset tars (written with webdataset.TarWriter or raw tarfile for the
malformed cases), Parquet tables (pyarrow, HF layouts), the sample -> item/dead-letter rules."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import webdataset as wds
from PIL import Image

from rt2data.errors import ConfigError
from rt2data.web import SampleDeadLetter, SourceItem, default_template, plan_work, read_work_item
from rt2data.web.captions import WdsCaptionOptions
from rt2data.web.parquet import ParquetCaptionOptions, ParquetVqaOptions
from rt2data.web.samples import derive_key, prepare_image
from rt2data.web.tars import iter_tar_samples, split_member_name
from rt2data.web.text import majority_answer, strip_flickr30k_markup
from rt2data.web.vqa import WdsVqaOptions


def image_bytes(fmt: str = "PNG", size=(8, 6), color=(200, 10, 10)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=fmt)
    return buf.getvalue()


PNG, JPG = image_bytes("PNG"), image_bytes("JPEG")


def read_all(name: str, kind: str, fmt: str, options) -> tuple[list[SourceItem], list[SampleDeadLetter]]:
    out = [x for item in plan_work(name, kind, fmt, options)
           for x in read_work_item(item, kind=kind, fmt=fmt, options=options, template=default_template(kind))]
    assert all(isinstance(x, (SourceItem, SampleDeadLetter)) for x in out)
    return [x for x in out if isinstance(x, SourceItem)], [x for x in out if isinstance(x, SampleDeadLetter)]


def write_raw_tar(path: Path, members: list[tuple[str, bytes]], *, gz: bool = False) -> None:
    with tarfile.open(path, "w:gz" if gz else "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_caption_tar_txt_json_default_and_bad_samples(tmp_path):
    path = tmp_path / "caps-000000.tar"
    with wds.TarWriter(str(path)) as sink:
        sink.write({"__key__": "a", "jpg": JPG, "txt": "  a red   square \n"})
        sink.write({"__key__": "b", "png": PNG, "json": {"caption": "from json", "url": "x"}})
        sink.write({"__key__": "c", "jpg": JPG, "json": {"meta": {"caption": ["", "nested first"]}}})
        sink.write({"__key__": "d", "jpg": JPG})  # image only
        sink.write({"__key__": "e", "txt": "no image here"})
        sink.write({"__key__": "f", "jpg": JPG, "txt": "   "})
        sink.write({"__key__": "g", "jpg": b"not an image at all", "txt": "broken image"})
        sink.write({"__key__": "h", "jpg": JPG, "json": b"{not json"})
    items, dead = read_all("caps", "caption", "wds", WdsCaptionOptions(path=str(path)))
    got = {i.raw_key: i.example.target for i in items}
    assert got == {"a": "a red square", "b": "from json"}
    reasons = {d.key: d.reason for d in dead}
    assert reasons == {"c": "no_text", "d": "no_text", "e": "no_image", "f": "empty_text",
                       "g": "undecodable_image", "h": "bad_record"}
    assert len(items) + len(dead) == 8
    ex = items[0].example
    assert (ex.kind, ex.source, ex.prompt, ex.template_id, ex.image_format) == (
        "caption", "caps", "Caption:", "caption-v1", "jpg")
    assert ex.key == "caps-a" and ex.image == JPG
    assert items[0].where == f"{path}::a"  # named in a duplicate-key dead letter of a later sample

    items, dead = read_all("caps", "caption", "wds", WdsCaptionOptions(
        path=str(path), caption_field="meta.caption", default_text="an image"))
    got = {i.raw_key: i.example.target for i in items}
    assert got["c"] == "nested first" and got["d"] == "an image" and got["b"] == "an image"


def test_unsafe_members_and_links_are_dead_lettered(tmp_path):
    path = tmp_path / "evil.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in [("ok.jpg", JPG), ("ok.txt", b"fine"), ("../escape.jpg", JPG), ("/abs/x.txt", b"x"),
                           ("dir/../../up.txt", b"y"), ("README", b"no suffix")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link.jpg")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    items, dead = read_all("evil", "caption", "wds", WdsCaptionOptions(path=str(path)))
    assert [i.raw_key for i in items] == ["ok"]
    by_reason = sorted((d.reason, d.key) for d in dead)
    assert by_reason == [("bad_record", "README"), ("unsafe_path", "../escape.jpg"), ("unsafe_path", "/abs/x.txt"),
                         ("unsafe_path", "dir/../../up.txt"), ("unsafe_path", "link.jpg")]


def test_gzip_tar_folder_keys_double_extension_and_truncation(tmp_path):
    path = tmp_path / "g.tar.gz"
    write_raw_tar(path, [("d1/s1.jpg", JPG), ("d1/s1.txt.gz", gzip.compress(b"zipped caption")),
                         ("d1/s2.jpg", JPG), ("d1/s2.txt.gz", b"not gzip"),
                         ("d1/s3.JPG", JPG), ("d1/s3.TXT", b"upper case suffixes"),
                         ("d1/s4.jpg", JPG), ("d1/s4.jpg", JPG)], gz=True)
    items, dead = read_all("g", "caption", "wds", WdsCaptionOptions(path=str(tmp_path / "*.tar.gz")))
    assert {i.raw_key: i.example.target for i in items} == {"d1/s1": "zipped caption", "d1/s3": "upper case suffixes"}
    assert items[0].example.key == "g-d1_s1"
    assert sorted((d.key, d.reason) for d in dead) == [("d1/s2", "bad_record"), ("d1/s4", "duplicate_key")]

    # A truncated tar: the samples before the damage are kept, the rest is one unreadable_file letter.
    whole = tmp_path / "t.tar"
    write_raw_tar(whole, [(f"k{i}.png", PNG) for i in range(4)] + [(f"k{i}.txt", b"c") for i in range(4)])
    cut = tmp_path / "cut" / "t.tar"
    cut.parent.mkdir()
    cut.write_bytes(whole.read_bytes()[:1800])
    samples = list(iter_tar_samples(str(cut)))
    assert samples[-1].reason == "unreadable_file"
    items, dead = read_all("t", "caption", "wds", WdsCaptionOptions(path=str(cut), text_keys=("txt",)))
    assert [d.reason for d in dead][-1] == "unreadable_file"


def test_vqa_tar_answers_vote_and_types(tmp_path):
    path = tmp_path / "vqa.tar"
    with wds.TarWriter(str(path)) as sink:
        sink.write({"__key__": "q1", "jpg": JPG, "json": {"question": "What color?", "answer": "Red"}})
        sink.write({"__key__": "q2", "jpg": JPG, "json": {"question": "How many?",
                                                           "answer": ["two", "Two", "three", "three", " two "]}})
        sink.write({"__key__": "q3", "jpg": JPG, "json": {"question": "Tie?",
                                                           "answer": [{"answer": "b"}, {"answer": "a"}, {"answer": "a"},
                                                                      {"answer": "b"}]}})
        sink.write({"__key__": "q4", "jpg": JPG, "json": {"question": "No answer"}})
        sink.write({"__key__": "q5", "jpg": JPG, "json": {"question": 3, "answer": "x"}})
        sink.write({"__key__": "q6", "jpg": JPG})
        sink.write({"__key__": "q7", "jpg": JPG, "json": {"question": "Empty?", "answer": ["", " "]}})
    items, dead = read_all("vq", "vqa", "wds", WdsVqaOptions(path=str(path)))
    assert {i.raw_key: (i.example.prompt, i.example.target) for i in items} == {
        "q1": ("Q: What color? A:", "Red"), "q2": ("Q: How many? A:", "two"), "q3": ("Q: Tie? A:", "b")}
    assert {d.key: d.reason for d in dead} == {"q4": "no_text", "q5": "bad_record", "q6": "no_text",
                                              "q7": "empty_text"}
    assert all(i.example.kind == "vqa" and i.example.template_id == "vqa-v1" for i in items)


def test_parquet_hf_layouts(tmp_path):
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "p.png").write_bytes(PNG)
    struct = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    table = pa.table({
        "image": pa.array([{"bytes": JPG, "path": None}, {"bytes": None, "path": "imgs/p.png"},
                           {"bytes": None, "path": "imgs/missing.png"}, None, {"bytes": JPG, "path": "x.jpg"}],
                          type=struct),
        "question": ["q one", "q two", "q three", "q four", None],
        "answers": [[{"answer": "yes", "answer_id": 1}, {"answer": "no", "answer_id": 2},
                     {"answer": "no", "answer_id": 3}], [{"answer": "cat", "answer_id": 1}], [], [], []],
        "id": [10, 11, 12, 13, 14],
    })
    pq.write_table(table, tmp_path / "vqa.parquet", row_group_size=2)
    opts = ParquetVqaOptions(path=str(tmp_path / "vqa.parquet"), answer_column="answers", key_column="id")
    assert len(plan_work("pv", "vqa", "parquet", opts)) == 3  # row groups
    items, dead = read_all("pv", "vqa", "parquet", opts)
    assert {i.raw_key: i.example.target for i in items} == {"10": "no", "11": "cat"}
    assert items[1].example.image_format == "png"
    assert {d.key: d.reason for d in dead} == {"12": "no_image", "13": "no_image", "14": "no_text"}
    # a cell naming a local file says where the image lies (a mix leaves it there); bytes in the cell do not
    assert items[0].image_at is None and items[1].image_at == (str(tmp_path / "imgs" / "p.png"), 0, len(PNG))

    pq.write_table(pa.table({"img": [JPG, b""], "caption": [["", "second"], ["plain"]]}), tmp_path / "cap.parquet")
    items, dead = read_all("pc", "caption", "parquet", ParquetCaptionOptions(
        path=str(tmp_path / "cap.parquet"), image_column="img"))
    assert [(i.raw_key, i.example.target) for i in items] == [("cap/0", "second")]
    assert [(d.key, d.reason) for d in dead] == [("cap/1", "no_image")]
    with pytest.raises(ConfigError, match="has no column"):
        plan_work("pc", "caption", "parquet", ParquetCaptionOptions(path=str(tmp_path / "cap.parquet")))


def test_text_and_key_helpers():
    raw = "[/EN#221796/people A girl] with [/EN#221804/bodyparts brown hair] sits on [/EN#18/other/scene the edge] ."
    assert strip_flickr30k_markup(raw) == "A girl with brown hair sits on the edge."
    assert majority_answer(["b", "a", "a", "b", "c"]) == "b"  # tie: earliest first occurrence
    assert majority_answer(["Net", "net", "mesh"]) == "Net"
    assert majority_answer(["", "  "]) is None
    assert split_member_name("a/b.seg.png") == ("a/b", "seg.png")
    assert split_member_name(".hidden") is None
    long_key = "x" * 300
    k1, k2 = derive_key("src", long_key), derive_key("src", long_key + "y")
    assert len(k1) <= 160 and k1 != k2
    assert derive_key("s", "a.b") == derive_key("s", "a/b") == "s-a_b"  # collisions are caught as duplicate_key
    assert prepare_image(JPG) == (JPG, "jpg")
    tiff = image_bytes("TIFF")
    assert prepare_image(tiff)[1] == "tiff"
    ico = image_bytes("ICO", size=(16, 16))
    data, fmt = prepare_image(ico)  # unknown magic, decodable: re-encoded losslessly
    assert fmt == "png" and Image.open(io.BytesIO(data)).size == (16, 16)


def test_options_validation():
    with pytest.raises(ConfigError, match="markup"):
        WdsCaptionOptions(path="x.tar", markup="html")
    with pytest.raises(ConfigError, match="image_keys"):
        WdsCaptionOptions(path="x.tar", image_keys=[])
    with pytest.raises(ConfigError, match="does not exist"):
        plan_work("s", "caption", "wds", WdsCaptionOptions(path="/nonexistent/shard-{000..002}.tar"))


def test_vgqa_entry_that_is_not_an_object_is_dead_lettered(tmp_path):
    """A malformed QA pair in question_answers.json becomes a counted dead letter, not a crash."""
    import json as _json

    from PIL import Image

    from rt2data.web.sources import plan_work, read_work_item
    from rt2data.web.templates import DEFAULT_TEMPLATES
    from rt2data.web.vqa import VgqaOptions

    (tmp_path / "img").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "img" / "1.jpg")
    qas = [{"qa_id": 10, "image_id": 1, "question": "What color?", "answer": "Black."}, "garbage"]
    (tmp_path / "qa.json").write_text(_json.dumps([{"id": 1, "qas": qas}]))
    options = VgqaOptions(questions=str(tmp_path / "qa.json"), images=str(tmp_path / "img"))
    out = [r for item in plan_work("vg", "vqa", "vgqa", options)
           for r in read_work_item(item, kind="vqa", fmt="vgqa", options=options, template=DEFAULT_TEMPLATES["vqa"])]
    kinds = sorted(type(r).__name__ for r in out)
    assert kinds == ["SampleDeadLetter", "SourceItem"]


def test_vqa_questions_of_one_image_read_and_check_it_once(tmp_path, monkeypatch):
    """VQAv2 asks several questions per image: a chunk reads each image file once and checks it once; every question
    still gets its own example, or its own dead letter when the shared image is broken."""
    import json

    from rt2data.web import paths, samples, vqa
    from rt2data.web.vqa import Vqav2Options

    images = tmp_path / "images"
    images.mkdir()
    good = image_bytes("JPEG", size=(32, 24))
    (images / "COCO_train2014_000000000001.jpg").write_bytes(good)
    (images / "COCO_train2014_000000000002.jpg").write_bytes(good[: len(good) // 2])  # cut: undecodable
    (images / "COCO_train2014_000000000003.jpg").write_bytes(image_bytes("JPEG", size=(16, 16)))
    image_of = {1001: 1, 1002: 1, 1003: 1, 2001: 2, 2002: 2, 3001: 3, 1004: 1, 4001: 4}  # image 4: no file
    questions = [{"question_id": q, "image_id": i, "question": f"what is {q}?"} for q, i in image_of.items()]
    annotations = [{"question_id": q, "image_id": i, "answers": [{"answer": "yes", "answer_id": 1}]}
                   for q, i in image_of.items()]
    (tmp_path / "q.json").write_text(json.dumps({"data_subtype": "train2014", "questions": questions}))
    (tmp_path / "a.json").write_text(json.dumps({"annotations": annotations}))
    reads, checks = [], []
    real_read, real_prepare = paths.read_image_file, samples.prepare_image
    monkeypatch.setattr(vqa, "read_image_file", lambda path: reads.append(Path(path).name) or real_read(path))
    monkeypatch.setattr(samples, "prepare_image", lambda data, **kw: checks.append(len(data)) or real_prepare(data, **kw))
    opts = Vqav2Options(questions=str(tmp_path / "q.json"), annotations=str(tmp_path / "a.json"), images=str(images))

    items, dead = read_all("vqa", "vqa", "vqav2", opts)
    assert [i.raw_key for i in items] == ["1001", "1002", "1003", "3001", "1004"]
    assert all(i.example.image == good for i in items if i.raw_key.startswith("1"))
    assert [(d.key, d.reason) for d in dead] == [
        ("2001", "undecodable_image"), ("2002", "undecodable_image"), ("4001", "no_image")]
    assert sorted(reads) == sorted(f"COCO_train2014_00000000000{i}.jpg" for i in (1, 2, 3, 4))  # once each
    assert len(checks) == 3  # images 1, 2 and 3, once each (image 4 has no bytes to check)
    # each item says where its image lies: the whole of its file (a mix leaves it there instead of spilling it)
    for item in items:
        path = images / f"COCO_train2014_00000000000{item.raw_key[0]}.jpg"
        assert item.image_at == (str(path), 0, path.stat().st_size)
