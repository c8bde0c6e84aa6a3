"""A dataset's features as ``features.json`` declares them, read without ``tensorflow_datasets``.

``features.json`` is what tfds writes beside the shards (``MessageToDict`` of the features' proto): nested
``FeaturesDict`` nodes, a ``Dataset`` for the RLDS steps, and leaves (``Image``, ``Tensor``, ``Scalar``, ``Text``,
``Sequence``). :func:`parse_features` turns it into a tree of :class:`Feature`: what rt2data needs to check a spec
against the dataset (``rt2data.spec.check.feature_table``), to cut the features to the fields a spec reads
(:meth:`Feature.prune`) and to decode records (``rt2data.rlds.decode``), all without importing tfds (0.45 s per
process). :meth:`Feature.to_tfds` rebuilds tfds's own ``FeaturesDict`` from the same JSON when tfds is needed: the
records of layouts the fast decoder does not cover, and callers that want the tfds object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

__all__ = ["Feature", "parse_features", "as_features"]

# pythonClassName's last part -> kind. Anything else (tfds has many more connectors) is kind "other": kept,
# described through tfds when asked, and decoded by tfds.
_KINDS = {"FeaturesDict": "dict", "Dataset": "dataset", "Sequence": "sequence", "Image": "image", "Text": "text",
          "Tensor": "tensor", "Scalar": "tensor"}


@dataclass(frozen=True, eq=False)
class Feature:
    """One node of a features tree.

    Attributes:
        kind: ``dict`` | ``dataset`` (RLDS steps) | ``sequence`` | ``image`` | ``text`` | ``tensor`` | ``other``.
        shape: a leaf's static shape (None: unknown); an image's is (height, width, channels).
        dtype: numpy dtype name of a leaf (``string`` for strings and text; an image's pixel dtype).
        encoding: a tensor's ``encoding`` (``none``, ``bytes``, ``zlib``) or an image's ``encodingFormat``.
        children: a ``dict`` node's features, in the file's order.
        inner: what a ``dataset``/``sequence`` node holds per element.
        length: a ``dataset``/``sequence``'s static length (None: variable).
        doc: the JSON node it was read from (rebuilt for a pruned dict or dataset).
    """

    kind: str
    shape: tuple[int | None, ...] = ()
    dtype: str = ""
    encoding: str = "none"
    children: Mapping[str, Feature] = field(default_factory=dict)
    inner: Feature | None = None
    length: int | None = None
    doc: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __getitem__(self, key: str) -> Feature:
        """A child of a dict node, or of the dict a dataset holds (``features["steps"]["action"]``)."""
        node = self.inner if self.kind in ("dataset", "sequence") else self
        if node is None or node.kind != "dict":
            raise KeyError(key)
        return node.children[key]

    def items(self) -> Iterable[tuple[str, Feature]]:
        return self.children.items()

    def to_json(self) -> dict[str, Any]:
        """The ``features.json`` form of this (possibly pruned) tree."""
        if self.kind == "dict" and self.doc.get("featuresDict") is not None:
            return {**self.doc, "featuresDict": {"features": {k: c.to_json() for k, c in self.children.items()}}}
        if self.kind in ("dataset", "sequence") and self.inner is not None:
            return {**self.doc, "sequence": {**self.doc["sequence"], "feature": self.inner.to_json()}}
        return dict(self.doc)

    def to_tfds(self) -> Any:
        """tfds's own ``FeatureConnector`` for this tree (imports ``tensorflow_datasets``)."""
        import tensorflow_datasets as tfds

        return tfds.features.FeatureConnector.from_json(self.to_json())

    def prune(self, paths: Iterable[str]) -> Feature:
        """This tree with only the leaves some path of ``paths`` reaches (``steps/observation/image``,
        ``episode_metadata/file_path``; a path ending at a dict keeps all of it), the rest left out.

        A decoder then turns nothing else into arrays: an Open X-Embodiment step often carries a 512-float language
        embedding and cameras the spec does not read, and decoding them costs more than the rest of the record.
        Keys holding a ``/`` (kuka) match as a whole. Returns the tree itself when nothing is left out, or when no
        step field would be left (the full decode then reports what is missing).
        """
        pruned = _keep(self, [p.strip("/").split("/") for p in paths])
        if pruned is None or ("steps" in self.children and "steps" not in pruned.children):
            return self
        return pruned


def _keep(feature: Feature, wanted: list[list[str]]) -> Feature | None:
    if any(not parts for parts in wanted):
        return feature  # a path ends here: the whole subtree
    if feature.kind == "dataset" and feature.inner is not None:
        inner = _keep(feature.inner, wanted)
        if inner is None:
            return None
        return feature if inner is feature.inner else Feature(
            "dataset", inner=inner, length=feature.length, doc=feature.doc)
    if feature.kind == "dict":
        kept = {}
        for key, child in feature.children.items():
            name = key.split("/")
            below = [parts[len(name):] for parts in wanted if parts[:len(name)] == name]
            if below and (sub := _keep(child, below)) is not None:
                kept[key] = sub
        if len(kept) == len(feature.children) and all(kept[k] is feature.children[k] for k in kept):
            return feature
        return Feature("dict", children=kept, doc=feature.doc) if kept else None
    return feature  # a path below a leaf: kept, so reading it fails as before


def _shape(doc: Mapping[str, Any]) -> tuple[int | None, ...]:
    dims = (doc.get("shape") or {}).get("dimensions", [])
    return tuple(None if int(d) < 0 else int(d) for d in dims)


def parse_features(doc: Mapping[str, Any]) -> Feature:
    """The tree of a ``features.json`` document (already parsed from JSON).

    Raises:
        ValueError: a node that is not a JSON object, or a malformed shape or length.
    """
    if not isinstance(doc, Mapping):
        raise ValueError(f"a feature must be a JSON object, not {type(doc).__name__}")
    name = str(doc.get("pythonClassName", "")).rsplit(".", 1)[-1]
    kind = _KINDS.get(name, "other")
    if "featuresDict" in doc and name in ("FeaturesDict", ""):
        children = (doc["featuresDict"] or {}).get("features", {})
        return Feature("dict", children={k: parse_features(v) for k, v in children.items()}, doc=doc)
    if kind in ("dataset", "sequence") and "sequence" in doc:
        seq = doc["sequence"]
        length = int(seq.get("length", -1))
        return Feature(kind, inner=parse_features(seq["feature"]), length=None if length < 0 else length, doc=doc)
    if kind == "image" and "image" in doc:
        image = doc["image"]
        return Feature("image", shape=_shape(image), dtype=image.get("dtype", "uint8"),
                       encoding=image.get("encodingFormat", ""), doc=doc)
    if kind == "text":
        return Feature("text", dtype="string", doc=doc)
    if kind == "tensor" and "tensor" in doc:
        tensor = doc["tensor"]
        return Feature("tensor", shape=_shape(tensor), dtype=tensor.get("dtype", ""),
                       encoding=tensor.get("encoding", "none"), doc=doc)
    return Feature("other", doc=doc)


def as_features(features: Any) -> Feature:
    """A :class:`Feature` tree from itself, a ``features.json`` document, or a tfds ``FeatureConnector``."""
    if isinstance(features, Feature):
        return features
    if isinstance(features, Mapping):
        return parse_features(features)
    from google.protobuf import json_format

    return parse_features(json.loads(json_format.MessageToJson(features.to_proto())))
