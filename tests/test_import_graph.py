"""No import cycle in tagger/: every import (module level or inside a function) points down.

Imports under `if TYPE_CHECKING:` are left out: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tagger"


def module_names(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, module: str, is_package: bool) -> list[str]:
    """Dotted names a module imports, anywhere but under `if TYPE_CHECKING:`: `import x`
    gives x; `from x import y` gives x.y (a submodule, or a name of x: resolved later)."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.extend(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The package module `name` names: itself, else its longest known prefix (a name
    defined in a package's `__init__` resolves to the package)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package modules it imports. A submodule's parent packages, which
    Python initializes first, are not edges: a package importing its own submodules
    would otherwise always be a cycle."""
    modules = module_names(package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = (_resolve(i, modules) for i in _imported(tree, name, path.name == "__init__.py"))
        graph[name] = {t for t in targets if t and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(found)


def test_cycle_finder_finds_made_up_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": set()}
    assert cycles(graph) == [["a", "b", "c"], ["d", "e"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_imports_read_lazy_relative_and_skip_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import tagger.io\n"
        "from . import sibling\n"
        "if TYPE_CHECKING:\n"
        "    from tagger.predict import Predictor\n"
        "def f():\n"
        "    from tagger.data import batching\n"
    )
    found = _imported(ast.parse(source), "tagger.x.y", is_package=False)
    assert "tagger.io" in found and "tagger.x.sibling" in found
    assert "tagger.data.batching" in found
    assert not any(name.startswith("tagger.predict") for name in found)


def test_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "tagger.predict" in graph and "tagger.io" in graph["tagger.predict"]
    found = cycles(graph)
    assert not found, "import cycles in tagger/:\n" + "\n".join(" <-> ".join(c) for c in found)


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module `start` imports, directly or through others."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_labeller_and_tokenizers_sit_below_the_predictor() -> None:
    """The Labeller knows no tokenizer and no task module (the artifact reader asks the
    task registry); tokenizers label through it, never through the Predictor."""
    graph = import_graph()
    below = reachable(graph, "tagger.labeller") - {"tagger.tasks", "tagger.tasks.registry"}
    assert not {m for m in below if m.startswith(("tagger.tasks", "tagger.tokenizer"))}
    for module in ("tagger.labeller", "tagger.tokenizer.trained", "tagger.tokenizer.base"):
        assert "tagger.predict" not in reachable(graph, module), module
    assert "tagger.labeller" in graph["tagger.tokenizer.trained"]


def test_tasks_sit_below_the_explain_room() -> None:
    """The explain room draws what tasks count (tagger.confusion), never the reverse."""
    graph = import_graph()
    tasks = [m for m in graph if m.startswith("tagger.tasks")]
    assert not {m for t in tasks for m in graph[t] if m.startswith("tagger.explain")}


def test_tagging_does_not_import_the_datasets_library() -> None:
    """`tagger tag` reads no corpus: `datasets` (and pandas, pyarrow) cost it a second of
    start-up, so the modules it runs import them only where a corpus is read."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import tagger.cli.tag, tagger.tag_run, tagger.tag, tagger.predict\n"
        "import tagger.data.tokenize, tagger.data.lines, tagger.outputs\n"
        "from tagger.tasks import get_task\n"
        "from tagger.tasks.registry import TASK_NAMES\n"
        "[get_task(name) for name in TASK_NAMES]\n"
        "print(sorted({'datasets', 'pandas', 'pyarrow'} & set(sys.modules)))\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
