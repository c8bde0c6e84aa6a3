"""The house rules of issue 8, checked over the source tree with ``ast``: no import circles among the project's
modules, the library never imports the pipelines, and project imports sit at module top unless a comment says
they are kept local to keep ``import rt2data`` light."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"rt2data": ROOT / "rt2data", "rt2data.pipelines": ROOT / "pipelines", "rt2data.cli": ROOT / "cli",
            "rt2data.schemas": ROOT / "schemas"}


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for pkg, root in PACKAGES.items():
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            mods[".".join([pkg, *parts])] = path
    return mods


MODULES = _modules()
COMPILED = {
    ".".join([pkg, *path.relative_to(root).with_suffix("").parts])
    for pkg, root in PACKAGES.items() for path in sorted(root.rglob("*.c")) if "PyInit_" in path.read_text()
}
"""C extension modules (``PyInit_`` in their source): modules an import can name, importing no project module."""


def _resolve(name: str) -> str | None:
    """The project module an import names (``a.b.C`` -> ``a.b`` when ``C`` is not a module)."""
    while name:
        if name in MODULES or name in COMPILED:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(path: Path, *, top_level_only: bool) -> list[tuple[str, int, bool]]:
    """``(module, line, at_top)`` for every project import in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    # run when the module is imported: not inside a function or class (a module-level ``try`` or ``if`` counts)
    nested = {id(sub) for node in ast.walk(tree)
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))
              for sub in ast.walk(node)}
    top = {id(n) for n in ast.walk(tree) if id(n) not in nested}
    # imports under ``if TYPE_CHECKING:`` do not run
    type_only = {
        id(sub)
        for node in tree.body
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for sub in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            mod = _resolve(name)
            if mod is not None and (id(node) in top or not top_level_only):
                found.append((mod, node.lineno, id(node) in top))
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for mod, path in MODULES.items():
        deps = set()
        for dep, _, _ in _imports(path, top_level_only=False):
            # a package's own __init__ importing its submodules is not a circle
            if dep != mod:
                deps.add(dep)
        graph[mod] = deps
    return graph


def _parents(mod: str) -> set[str]:
    """Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first."""
    parts = mod.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles():
    graph = _graph()
    # A module's package __init__ runs before it: an __init__ that re-exports its submodules is an edge
    # package -> submodule, and a submodule importing a sibling through the package is an edge back; both count.
    assert _cycles(graph) == [], "import circles among the project's modules"


def test_library_never_imports_pipelines_or_cli():
    bad = []
    for mod, path in MODULES.items():
        if mod.startswith(("rt2data.pipelines", "rt2data.cli")) or mod == "rt2data.__main__":
            continue  # __main__ is ``python -m rt2data``: the command's entry point, imported by nothing
        for dep, line, _ in _imports(path, top_level_only=False):
            if dep.startswith(("rt2data.pipelines", "rt2data.cli")):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {dep}")
    assert bad == []


def test_project_imports_at_module_top_unless_kept_light():
    """A function-local import of the project's own modules must say why (the word 'light' in a comment on the
    line or the line above): only to keep ``import rt2data`` (or the CLI's start-up) free of Beam/TensorFlow."""
    bad = []
    for mod, path in MODULES.items():
        lines = path.read_text().splitlines()
        for dep, line, at_top in _imports(path, top_level_only=False):
            if at_top:
                continue
            context = " ".join(lines[max(0, line - 3): line + 1])
            if "light" not in context:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {dep} inside a function")
    assert bad == []


def test_the_checker_sees_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
