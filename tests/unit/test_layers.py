"""The layers of docs/ARCHITECTURE.md, read from that page and checked against the imports
of every module of `app/` (those inside functions too): a module imports its own layer and
the layers below it, never one above, and no chain of imports comes back to where it
started."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
LAYER_LINE = re.compile(r"^\s+(\d+)\.\s+(app[\w., ]*?)\s+—")


def layers() -> list[list[str]]:
    """The numbered list under « ## Layers », top layer first."""
    text = ARCHITECTURE.read_text()
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    found = [LAYER_LINE.match(line) for line in section.splitlines()]
    numbered = [(int(m.group(1)), m.group(2)) for m in found if m]
    assert [n for n, _ in numbered] == list(range(1, len(numbered) + 1)), numbered
    return [[name.strip() for name in names.split(",")] for _, names in numbered]


def modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        if "migrations" in path.relative_to(APP).parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def imported_modules(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The modules of `app` that `path` imports, wherever the import statement is."""

    def known_prefix(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] == "app" and (module := known_prefix(target)):
                yield module


def layer_of(module: str, ordered: list[list[str]]) -> int | None:
    best: tuple[int, int] | None = None  # (length of the matching name, layer)
    for index, names in enumerate(ordered):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (
                best is None or len(name) > best[0]
            ):
                best = (len(name), index)
    return None if best is None else best[1]


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {target for target in imported_modules(path, known) if target != name}
        for name, path in known.items()
    }


def test_every_module_belongs_to_a_layer():
    ordered = layers()
    assert len(ordered) >= 5
    homeless = sorted(m for m in modules() if m != "app" and layer_of(m, ordered) is None)
    assert homeless == [], "modules missing from « ## Layers » in docs/ARCHITECTURE.md"


def test_no_module_imports_a_higher_layer():
    ordered = layers()
    upward = []
    for module, targets in import_graph().items():
        here = layer_of(module, ordered)
        for target in targets:
            there = layer_of(target, ordered)
            if here is not None and there is not None and there < here:
                upward.append(f"{module} (layer {here + 1}) imports {target} (layer {there + 1})")
    assert sorted(upward) == []


def test_no_circle_of_imports():
    graph = import_graph()
    circles = []
    state: dict[str, int] = {}  # 1: being visited, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                circles.append(" → ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert circles == []


def test_the_check_sees_an_upward_import(tmp_path):
    """The rule itself: a web module is above the domain, so the domain importing it is
    caught (guards against a parser that silently finds nothing)."""
    ordered = layers()
    assert layer_of("app.web.formatting", ordered) < layer_of("app.booking.service", ordered)
    graph = import_graph()
    assert "app.booking.service" in graph and graph["app.booking.service"], "no imports read"
