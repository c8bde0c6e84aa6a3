"""The mixture file: loading, defaults, relative paths, and every check naming the entry and the fix."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
import webdataset as wds
import yaml

from rt2data.errors import ConfigError
from rt2data.mix.config import load_mixture, mixture_from_dict, mixture_schema
from rt2data.schemas import SCHEMA_DIR, load_schema


@pytest.fixture()
def workdir(tmp_path):
    (tmp_path / "shards").mkdir()
    for i in range(2):
        with wds.TarWriter(str(tmp_path / "shards" / f"cap-{i:06d}.tar")) as sink:
            sink.write({"__key__": "a", "png": b"\x89PNG\r\n\x1a\n", "txt": "x"})
    (tmp_path / "robot").mkdir()
    (tmp_path / "img").mkdir()
    (tmp_path / "q.json").write_text(json.dumps({"data_subtype": "val2014", "questions": []}))
    return tmp_path


def base_doc() -> dict:
    return {
        "seed": 7,
        "when_exhausted": "repeat",
        "output": {"examples": 100, "shard_examples": 10, "formats": ["wds"]},
        "sources": [
            {"name": "robot", "kind": "examples", "path": "robot", "weight": 0.5},
            {"name": "vqav2", "kind": "vqa", "format": "vqav2", "questions": "q.json", "images": "img/",
             "weight": 0.25},
            {"name": "flickr", "kind": "caption", "format": "wds", "path": "shards/cap-{000000..000001}.tar",
             "weight": 0.25, "when_exhausted": "stop"},
        ],
    }


def load(tmp_path, doc) -> object:
    path = tmp_path / "mix.yaml"
    path.write_text(yaml.safe_dump(doc))
    return load_mixture(path)


def test_issue_example_loads_with_defaults_and_relative_paths(workdir):
    m = load(workdir, base_doc())
    assert [s.name for s in m.sources] == ["robot", "vqav2", "flickr"]
    assert m.source("robot").options.path == str(workdir / "robot")
    assert m.source("flickr").options.path == (str(workdir / "shards/cap-{000000..000001}.tar"),)
    assert m.source("vqav2").template.prompt == "Q: {question} A:" and m.source("vqav2").template.id == "vqa-v1"
    assert m.source("flickr").template.prompt == "Caption:" and m.source("robot").template is None
    assert m.source("flickr").policy(m.when_exhausted) == "stop" and m.source("robot").policy("repeat") == "repeat"
    config = m.to_json_dict()
    assert config["sources"][2]["options"]["path"] == "shards/cap-{000000..000001}.tar"  # as written
    json.dumps(config)  # plain JSON


def test_templates_configurable(workdir):
    doc = base_doc()
    doc["templates"] = {"caption": {"id": "cap-short", "prompt": "Describe:"}}
    doc["sources"][1]["template"] = {"id": "vqa-short", "prompt": "Question: {question} Answer:"}
    m = load(workdir, doc)
    assert (m.source("flickr").template.id, m.source("flickr").template.prompt) == ("cap-short", "Describe:")
    assert m.source("vqav2").template.render(question="why?") == "Question: why? Answer:"


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(sede=1), r"mixture: unknown key 'sede'; did you mean 'seed'"),
        (lambda d: d["output"].update(exampels=5), r"output: unknown key 'exampels'; did you mean 'examples'"),
        (lambda d: d["sources"][1].update(anotations="a.json"),
         r"sources\[1\] \(vqav2\).*unknown key 'anotations'; did you mean 'annotations'"),
        (lambda d: d["sources"][0].update(kind="robotics"), r"sources\[0\] \(robot\): kind 'robotics' is unknown"),
        (lambda d: d["sources"][2].update(format="tsv"), r"format 'tsv' is unknown for kind 'caption'; use one of"),
        (lambda d: d["sources"][1].pop("format"), r"kind 'vqa' needs a 'format'"),
        (lambda d: d["sources"][0].update(weight=-1), r"source 'robot': weight -1 is negative"),
        (lambda d: [s.update(weight=0) for s in d["sources"]], r"all source weights are zero"),
        (lambda d: d["sources"][0].update(weight="heavy"), r"weight 'heavy' is not a finite number"),
        (lambda d: d["sources"][0].update(path="missing_dir"), r"path 'missing_dir' .* is not an existing dir"),
        (lambda d: d["sources"][2].update(path="shards/nope-*.tar"), r"path: .*nope-\*.tar.* matches no existing file"),
        (lambda d: d["sources"][1].pop("images"), r"missing required option\(s\) \['images'\]"),
        (lambda d: (d["sources"][2].update(name="flickr"), d["sources"][1].update(name="flickr")),
         r"source names must be unique"),
        (lambda d: d["sources"][2].update(name="flickr 30k"), r"source name 'flickr 30k' is invalid"),
        (lambda d: d["sources"][2].update(name="vqav2-extra"),
         r"source names 'vqav2' and 'vqav2-extra' clash: .* rename one \(e.g. 'vqav2_extra'\)"),
        (lambda d: d.update(when_exhausted="loop"), r"when_exhausted 'loop' is not one of"),
        (lambda d: d["output"].update(one_pass="robot"), r"either 'examples' or 'one_pass'"),
        (lambda d: (d["output"].pop("examples"), d["output"].update(one_pass="web")), r"one_pass names 'web'"),
        (lambda d: d["output"].update(formats=["zip"]), r"output.formats"),
        (lambda d: d["output"].update(block_size=2), r"source 'flickr': weight 0.25 gives 0 examples in every block of 2"),
        (lambda d: (d["output"].pop("examples"), d["sources"][2].pop("when_exhausted")), r"would never end"),
        (lambda d: d["sources"][1].update(template={"id": "v", "prompt": "{query}"}), r"unknown placeholder"),
        (lambda d: d["sources"][0].update(template={"id": "v", "prompt": "x"}), r"unknown key 'template'"),
        (lambda d: d["sources"][2].update(template="Caption:"), r"sources\[2\] \(flickr\): 'template' is a mapping"),
        (lambda d: d["sources"][1].update(template=["x"]), r"sources\[1\] \(vqav2\): 'template' is a mapping"),
        (lambda d: d["sources"][1].update(format="gqa", image_template="{imageid}.jpg"),
         r"sources\[1\] \(vqav2\): option 'image_template' '\{imageid\}.jpg' is not usable"),
        (lambda d: d["sources"][1].update(format="vgqa", image_template="{image_id:q}.jpg"),
         r"option 'image_template' .* is not usable"),
        (lambda d: d["sources"][2].update(markup="html"), r"markup"),
        (lambda d: d.update(seed=-3), r"seed must be a non-negative integer"),
    ],
)
def test_invalid_mixtures_name_entry_and_fix(workdir, mutate, message):
    doc = copy.deepcopy(base_doc())
    mutate(doc)
    with pytest.raises(ConfigError, match=message):
        load(workdir, doc)


def test_yaml_and_shape_errors(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("sources: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_mixture(path)
    with pytest.raises(ConfigError, match="mapping"):
        mixture_from_dict(["not", "a", "mapping"])
    with pytest.raises(ConfigError, match="'sources' must be a list"):
        mixture_from_dict({"seed": 1})


def test_schema_file_is_generated_and_agrees(workdir):
    assert load_schema("mixture") == json.loads(json.dumps(mixture_schema()))
    assert (SCHEMA_DIR / "mixture.schema.json").read_text() == json.dumps(mixture_schema(), indent=2) + "\n"
    validator = jsonschema.Draft202012Validator(load_schema("mixture"))
    assert not list(validator.iter_errors(base_doc()))
    for mutate in (lambda d: d.update(sede=1), lambda d: d["sources"][1].update(anotations="x"),
                   lambda d: d["sources"][0].update(kind="robotics"), lambda d: d["sources"][0].update(weight=-1),
                   lambda d: d["output"].update(one_pass="robot"), lambda d: d["sources"][2].update(format="tsv")):
        doc = copy.deepcopy(base_doc())
        mutate(doc)
        assert list(validator.iter_errors(doc)), doc


def test_cli_check_validates_without_running(workdir):
    from click.testing import CliRunner

    from rt2data.cli.main import cli

    doc = base_doc()
    doc["sources"] = doc["sources"][2:]
    doc["sources"][0]["when_exhausted"] = "repeat"
    path = workdir / "check.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = CliRunner().invoke(cli, ["mix", str(path), str(workdir / "never"), "--check"])
    assert result.exit_code == 0, result.output
    assert "flickr: kind caption, format wds, weight 0.25, 2 work items" in result.output
    assert not (workdir / "never").exists()
    doc["sources"][0]["wieght"] = 1
    path.write_text(yaml.safe_dump(doc))
    result = CliRunner().invoke(cli, ["mix", str(path), str(workdir / "never"), "--check"])
    assert isinstance(result.exception, ConfigError) and "did you mean 'weight'" in str(result.exception)
