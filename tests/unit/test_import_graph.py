"""The package's import graph has no cycle, counting imports inside functions and the package
``__init__`` modules an import runs (only the imports under ``if TYPE_CHECKING:``, which never
run, are left out)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """All nodes except the bodies of ``if TYPE_CHECKING:`` blocks."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in files else node.module
                    for a in node.names
                ]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                graph[mod] |= {p for p in _with_packages(t) if p in files and p != mod}
            # importing a.b.c first runs a/__init__ and a/b/__init__; an importer inside a
            # package only runs after that package's own __init__ has started, so edges to its
            # ancestors are left out (Python resolves those partial imports)
            graph[mod] -= set(_with_packages(mod)) - {mod}
    return graph


def _with_packages(name: str) -> list[str]:
    """``a.b.c`` and the packages whose ``__init__`` importing it runs: ``a``, ``a.b``."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
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


def test_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 50  # the whole package was read
    assert cycles(graph) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


FLOOR = ("smfe.solvers", "smfe.game", "smfe.system", "smfe.certification")
ABOVE = ("smfe.formulations", "smfe.dispatch", "smfe.registry", "smfe.market", "smfe.cli")


def test_lower_layers_never_import_upper_ones() -> None:
    """The iterative solvers, the game, the equilibrium system and the certificate never
    import the formulations, the method registry or anything above them."""
    graph = import_graph()
    bad = [
        (mod, dep)
        for mod, deps in graph.items()
        if mod.startswith(FLOOR)
        for dep in deps
        if dep.startswith(ABOVE)
    ]
    assert bad == []
