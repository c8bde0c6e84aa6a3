"""``rt2data.schemas.compiled_check`` (issue 14): a document it passes certainly matches the schema, so the
manifest is checked without importing ``jsonschema``; ``jsonschema`` still decides (and words) every refusal."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rt2data.errors import SchemaError
from rt2data.schemas import _draft7, compiled_check, load_schema
from rt2data.shards.manifest import load_manifest


def _slow_ok(name: str, doc) -> bool:
    return not list(jsonschema.Draft202012Validator(load_schema(name)).iter_errors(doc))


@pytest.fixture(scope="session")
def manifests(trainer_outputs) -> list[dict]:
    """The manifests of a real convert (both formats) and of two real mixes."""
    return [json.loads((trainer_outputs / "out" / name / "manifest.json").read_text())
            for name in ("bridge", "mix", "mix-keep")]


def test_a_refs_siblings_are_kept():
    """Draft 7 ignores the keywords beside a ``$ref``; 2020-12 (our schemas) applies them: spelled as allOf."""
    node = {"items": {"$ref": "#/$defs/shard", "description": "d", "properties": {"name": {"pattern": "x$"}}}}
    assert _draft7(node) == {"items": {"description": "d", "allOf": [{"$ref": "#/$defs/shard"},
                                                                      {"properties": {"name": {"pattern": "x$"}}}]}}
    assert _draft7({"$ref": "#/a", "description": "only an annotation"}) == {"$ref": "#/a",
                                                                               "description": "only an annotation"}
    assert "$schema" not in _draft7(load_schema("manifest"))


def test_real_manifests_pass_without_jsonschema(manifests):
    for doc in manifests:
        assert _slow_ok("manifest", doc)
        assert compiled_check("manifest")(doc), "a valid manifest must not need jsonschema"


@pytest.mark.parametrize("field, value", [("format", "tfrecord"), ("name", "bridge_dataset-000000.tfrecord")])
def test_a_shard_record_against_its_list_is_refused(manifests, tmp_path, field, value):
    """The rules beside the shard list's ``$ref`` (its format and file extension): the case draft 7 would miss."""
    doc = copy.deepcopy(manifests[0])
    doc["shards"]["wds"][0][field] = value
    assert not compiled_check("manifest")(doc) and not _slow_ok("manifest", doc)
    (tmp_path / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(SchemaError, match=r"field shards/wds/0/" + field):
        load_manifest(tmp_path)


_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 10**12), st.floats(allow_nan=False), st.text(max_size=6),
              st.sampled_from(["wds", "tfrecord", "x.tar", "x.tfrecord", "a" * 64, "0" * 64, "rt2data", ""])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6,
)


def _mutate(draw, doc):
    """``doc`` with one value somewhere in it replaced, removed, or given an unknown sibling."""
    doc = copy.deepcopy(doc)
    parent, key = None, None
    node = doc
    while isinstance(node, (dict, list)) and node and draw(st.integers(0, 5)) > 0:
        parent = node
        key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
        node = node[key]
    if parent is None:
        return draw(_values)
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace" or (action == "remove" and isinstance(parent, list)):
        parent[key] = draw(_values)
    elif action == "remove":
        del parent[key]
    elif isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=5))] = draw(_values)
    else:
        parent.append(draw(_values))
    return doc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_compiled_check_never_passes_what_jsonschema_refuses(manifests, data):
    doc = _mutate(data.draw, data.draw(st.sampled_from(manifests)))
    if compiled_check("manifest")(doc):
        assert _slow_ok("manifest", doc), doc


_EXAMPLE = {
    "key": "bridge-s00000-r000001-t0002", "image_format": "jpg", "prompt": "Q: pick? A:", "target": "1 2 3",
    "kind": "action", "source": "bridge", "template_id": "rt2-action-v1", "instruction": "pick", "episode_id": "e",
    "step": 2, "action_raw": [0.5, -1.0, 2.0], "action_tokens": [1, 2, 3], "plan": None,
}


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_example_check_never_passes_what_jsonschema_refuses(data):
    doc = _mutate(data.draw, _EXAMPLE)
    if compiled_check("example")(doc):
        assert _slow_ok("example", doc), doc


def test_a_schema_it_cannot_compile_leaves_every_decision_to_jsonschema(monkeypatch):
    import rt2data.schemas as schemas

    monkeypatch.setattr(schemas, "load_schema", lambda name: {"type": "no-such-type"})
    schemas.compiled_check.cache_clear()
    try:
        assert schemas.compiled_check("broken")({}) is False
    finally:
        schemas.compiled_check.cache_clear()


def _leaves(node, path=()):
    """``(path, value)`` of every leaf (and every empty list or object) of a JSON document."""
    if isinstance(node, dict) and node:
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list) and node:
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path, node


def _set(doc, path, value):
    doc = copy.deepcopy(doc)
    node = doc
    for k in path[:-1]:
        node = node[k]
    if value is _REMOVE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


_REMOVE = object()


def test_every_field_changed_in_turn(manifests):
    """Every leaf of a real manifest in turn: removed, set to a value of another type, or to the value another
    field of the same name holds elsewhere in the document (a wds shard given the tfrecord shard's format or
    name). The compiled check passes none that jsonschema refuses, and refuses some (it is not blind)."""
    doc = manifests[0]
    leaves = list(_leaves(doc))
    by_name: dict = {}
    for path, value in leaves:
        if path and isinstance(path[-1], str):
            by_name.setdefault(path[-1], []).append(value)
    refused = passed = 0
    for path, value in leaves:
        if not path:
            continue
        others = [v for v in by_name.get(path[-1], []) if v != value]
        for new in [*others[:2], None, -1, "", {}, *([_REMOVE] if isinstance(path[-1], str) else [])]:
            changed = _set(doc, path, new)
            if compiled_check("manifest")(changed):
                passed += 1
                assert _slow_ok("manifest", changed), (path, new)
            else:
                refused += 1
    assert refused > 100 and passed > 10, (refused, passed)


# --- the schemas shipped compiled (rt2data.schemas.PRECOMPILED) ---------------------------------------------------


def _compiled_module(name: str):
    import importlib

    return importlib.import_module(f"rt2data.schemas._compiled.{name}")


@pytest.mark.parametrize("name", ["dataset_spec", "example", "manifest", "mixture", "stats"])
def test_the_shipped_compiled_schemas_are_current(name):
    """``_compiled/NAME.py`` was compiled from the schema as it is (else: ``python -m rt2data.schemas._compiled``)."""
    import fastjsonschema

    from rt2data.schemas import PRECOMPILED, SCHEMA_DIR, compiled_source, schema_digest

    assert name in PRECOMPILED
    module = _compiled_module(name)
    assert module.SCHEMA_DIGEST == schema_digest(name), "run: python -m rt2data.schemas._compiled"
    if module.VERSION != fastjsonschema.VERSION:
        pytest.skip(f"compiled by fastjsonschema {module.VERSION}, {fastjsonschema.VERSION} installed")
    assert (SCHEMA_DIR / "_compiled" / f"{name}.py").read_text(encoding="utf-8") == compiled_source(name)


@pytest.mark.parametrize("name", ["dataset_spec", "example", "manifest", "mixture", "stats"])
def test_a_shipped_compiled_schema_is_used_without_compiling(monkeypatch, name):
    import fastjsonschema

    import rt2data.schemas as schemas

    def no_compile(*args, **kwargs):
        raise AssertionError("compiled at run time")

    monkeypatch.setattr(fastjsonschema, "compile", no_compile)
    schemas.compiled_check.cache_clear()
    try:
        check = schemas.compiled_check(name)
        assert check({}) is False  # no schema here takes an empty object
    finally:
        schemas.compiled_check.cache_clear()


def test_a_stale_compiled_schema_is_not_used(monkeypatch, statistics_docs):
    """A schema edited without compiling it again: its module's digest no longer matches, so the schema as it is
    now is compiled at run time, and a real statistics file only the edit refuses is refused."""
    import rt2data.schemas as schemas

    doc = statistics_docs[0]
    real = schemas.load_schema

    def edited(name):
        schema = copy.deepcopy(real(name))
        if name == "stats":
            schema["maxProperties"] = 1  # the edit: the entry and the rt2data block are two
        return schema

    schemas.compiled_check.cache_clear()
    assert schemas._precompiled("stats") is not None and schemas.compiled_check("stats")(doc)
    monkeypatch.setattr(schemas, "load_schema", edited)
    schemas.compiled_check.cache_clear()
    try:
        assert schemas._precompiled("stats") is None
        assert not schemas.compiled_check("stats")(doc)
    finally:
        schemas.compiled_check.cache_clear()


@pytest.fixture(scope="module")
def shipped_specs() -> list[dict]:
    import yaml

    from rt2data.schemas import SPEC_DIR

    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(SPEC_DIR.glob("*.yaml"))]


@pytest.fixture(scope="module")
def statistics_docs(trainer_outputs) -> list[dict]:
    """The statistics file of a real convert."""
    return [json.loads((trainer_outputs / "out" / "bridge" / "dataset_statistics.json").read_text())]


@pytest.fixture(scope="module")
def mixture_docs(trainer_outputs) -> list[dict]:
    """A real mixture file, and the same with every optional section the schema knows spelled out."""
    import yaml

    doc = yaml.safe_load((trainer_outputs / "mix.yaml").read_text())
    full = copy.deepcopy(doc)
    full["output"].update(image_format="png", prefix="mix")
    full["sources"][1].update(verify_images=False, when_exhausted="repeat", template={"id": "c", "prompt": "p"})
    return [doc, full]


_DOCUMENTS = [("dataset_spec", "shipped_specs"), ("stats", "statistics_docs"), ("mixture", "mixture_docs")]


@pytest.mark.parametrize("name, docs", _DOCUMENTS)
def test_real_documents_pass_without_jsonschema(request, name, docs):
    """Every shipped spec (69), the statistics file of a real convert, real mixture files."""
    documents = request.getfixturevalue(docs)
    assert len(documents) > (60 if name == "dataset_spec" else 0)
    for doc in documents:
        assert _slow_ok(name, doc), doc
        assert compiled_check(name)(doc), doc


@pytest.mark.parametrize("name, docs", _DOCUMENTS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_compiled_check_of_a_document_never_passes_what_jsonschema_refuses(request, name, docs, data):
    doc = _mutate(data.draw, data.draw(st.sampled_from(request.getfixturevalue(docs))))
    if compiled_check(name)(doc):
        assert _slow_ok(name, doc), doc


@pytest.mark.parametrize("name, docs", _DOCUMENTS)
def test_every_field_of_a_spec_statistics_and_mixture_changed_in_turn(request, name, docs):
    """As for the manifest: every leaf removed or set to a value of another type; never passed where jsonschema
    refuses, and refused often (the check is not blind)."""
    doc = request.getfixturevalue(docs)[0]
    refused = passed = 0
    for path, value in _leaves(doc):
        if not path:
            continue
        for new in [None, -1, "", {}, [], *([_REMOVE] if isinstance(path[-1], str) else [])]:
            changed = _set(doc, path, new)
            if compiled_check(name)(changed):
                passed += 1
                assert _slow_ok(name, changed), (path, new)
            else:
                refused += 1
    assert refused > 20 and passed > 0, (refused, passed)
