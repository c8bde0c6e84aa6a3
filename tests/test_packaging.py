"""Every third-party package the code imports is declared in pyproject.toml (issue 13: ``braceexpand`` was not).

Imports are found with ``ast`` in the library, the pipelines, the CLI and the tests; each top-level module is mapped
to its distribution with ``importlib.metadata.packages_distributions`` (``PIL`` -> ``pillow``, ``yaml`` -> ``pyyaml``)
and must appear in ``dependencies`` or in an extra (library: any extra; tests: the ``test`` extra or an optional
extra whose tests skip without it)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(requirements: list[str]) -> set[str]:
    """Distribution names the requirements install: each named one, plus what its requested extras pull in
    (``dask[distributed]`` declares ``distributed``)."""
    names = set()
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", requirement)
        names.add(_norm(match.group(1)))
        for extra in filter(None, (e.strip() for e in (match.group(2) or "").split(","))):
            try:
                pulled = importlib.metadata.distribution(match.group(1)).requires or []
            except importlib.metadata.PackageNotFoundError:
                continue
            names |= {_norm(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", r).group(1)) for r in pulled
                      if re.search(rf"""extra\s*==\s*["']{re.escape(extra)}["']""", r)}
    return names


def _third_party_imports(folders: list[str]) -> dict[str, str]:
    """``{top-level module: first file importing it}`` for imports outside the standard library and the project
    (rt2data, and modules of the repository itself such as ``tests`` or a test's sibling helper)."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    local = (ROOT / top).exists() or (ROOT / f"{top}.py").exists() or (path.parent / f"{top}.py").exists()
                    if top not in sys.stdlib_module_names and top not in ("rt2data", "__future__") and not local:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def _undeclared(modules: dict[str, str], declared: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    bad = []
    for module, where in sorted(modules.items()):
        names = {_norm(d) for d in distributions.get(module, [module])}  # not installed: the module's own name
        if not names & declared:
            bad.append(f"{module} (imported in {where}; distribution {sorted(names)})")
    return bad


def test_library_imports_are_declared():
    extras = PYPROJECT["optional-dependencies"]
    declared = _declared(PYPROJECT["dependencies"]) | {d for reqs in extras.values() for d in _declared(reqs)}
    assert _undeclared(_third_party_imports(["rt2data", "pipelines", "cli"]), declared) == []


def test_test_imports_are_declared():
    extras = PYPROJECT["optional-dependencies"]
    declared = _declared(PYPROJECT["dependencies"]) | _declared(extras["test"])
    optional = {d for name in ("torch", "tensorflow") for d in _declared(extras[name])}  # tests skip without them
    assert _undeclared(_third_party_imports(["tests"]), declared | optional) == []


def test_the_torch_extra_is_pinned():
    """Plain ``torch`` on Linux resolves to a multi-GB CUDA build; the extra names the version tested."""
    (torch,) = PYPROJECT["optional-dependencies"]["torch"]
    assert "==" in torch
