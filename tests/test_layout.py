"""The serving capability's layout: one concept per module, no module past 400 lines, no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "constructs" / "cdk_genai_inference"
SERVING = PACKAGE / "serving"
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports (``TYPE_CHECKING`` ones included)."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
                for candidate in (target, *(f"{target}.{alias.name}" for alias in node.names)):
                    if candidate in modules and candidate != name:
                        graph[name].add(candidate)
    return graph


def test_no_serving_module_passes_400_lines() -> None:
    lengths = {path.name: len(path.read_text().splitlines()) for path in SERVING.glob("*.py")}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_no_serving_module_is_part_of_an_import_cycle() -> None:
    graph = _imports()

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            module = todo.pop()
            if module == goal:
                return True
            if module not in seen:
                seen.add(module)
                todo.extend(graph[module])
        return False

    serving = [name for name in graph if name.startswith("cdk_genai_inference.serving.")]
    cycles = [(a, b) for a in serving for b in graph[a] if reaches(b, a)]
    assert cycles == []
