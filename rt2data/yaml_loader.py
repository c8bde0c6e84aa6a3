"""YAML for configuration files (mixtures, dataset specs): ``yaml.safe_load`` that refuses a key given twice.

Plain ``yaml.safe_load`` keeps the last of two equal keys in a mapping, so a mixture with ``seed`` written twice
silently runs with the second one. Here that is a ``yaml.constructor.ConstructorError`` (a ``yaml.YAMLError``)
naming the key and the line and column of both occurrences.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["safe_load_unique"]


@functools.lru_cache(maxsize=1)
def _loader() -> type:
    import yaml  # light: PyYAML is imported when a file is read, not with the package

    class UniqueKeySafeLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, Any] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":  # keys merged with << may be overridden
                        continue
                    key = self.construct_object(key_node, deep=deep)
                    try:
                        first = seen.setdefault(key, key_node)
                    except TypeError:  # an unhashable key: the base class reports it
                        continue
                    if first is not key_node:
                        mark = key_node.start_mark
                        raise yaml.constructor.ConstructorError(
                            f"key {key!r} is given twice: on line {first.start_mark.line + 1} and on line "
                            f"{mark.line + 1}, column {mark.column + 1}; keep one of them",
                            None, None, mark,
                        )
            return super().construct_mapping(node, deep=deep)

    return UniqueKeySafeLoader


def safe_load_unique(text: str) -> Any:
    """``yaml.safe_load(text)``, but a mapping with a key given twice raises ``yaml.YAMLError`` (line numbers in
    its message)."""
    import yaml  # light: see _loader

    return yaml.load(text, Loader=_loader())  # noqa: S506 (a SafeLoader subclass)
