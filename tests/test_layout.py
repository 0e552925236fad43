"""The layout of the library and its handlers: no module past 400 lines, no import cycle, and nothing
registered in module globals."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "constructs" / "cdk_genai_inference"
HANDLERS = REPO / "lambda" / "sagemaker_ai_jobs"
MAX_LINES = 400
CONTAINER_FACTORIES = frozenset(
    {
        "set",
        "dict",
        "list",
        "defaultdict",
        "OrderedDict",
        "Counter",
        "deque",
        "WeakSet",
        "WeakKeyDictionary",
        "WeakValueDictionary",
    }
)
MEMOS = {
    "cdk_genai_inference/_core/validation.py:_SECONDS": "the seconds of each immutable Duration: an answer that "
    "never depends on what ran before, weakly keyed so that it keeps no Duration alive",
    "cdk_genai_inference/_core/service_model.py:_model": "botocore's SageMaker model, read once: the same installed "
    "file whatever ran before",
    "cdk_genai_inference/serving/dashboard.py:_region": "aws-cdk-lib's one Aws.REGION token, the same in every app",
}
"""Module-level containers and cached functions that are memos of pure functions, not registries, and why."""
MEMO_DECORATOR = re.compile(r"\b(cache|lru_cache|cached_property)\b")


def _modules() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *HANDLERS.rglob("*.py")])


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


def module_state(source: str) -> list[str]:
    """The names a module binds at its top level to an empty container (one to be filled as calls arrive),
    the names its functions declare ``global``, and its functions that remember their answers (``@cache``)."""
    tree = ast.parse(source)
    found = [name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names]
    found += [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(MEMO_DECORATOR.search(ast.unparse(decorator)) for decorator in node.decorator_list)
    ]
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        empty_literal = isinstance(value, ast.Dict | ast.List | ast.Set) and not (
            value.keys if isinstance(value, ast.Dict) else value.elts
        )
        factory = value.func if isinstance(value, ast.Call) else None
        factory_name = factory.id if isinstance(factory, ast.Name) else getattr(factory, "attr", None)
        if empty_literal or (factory_name in CONTAINER_FACTORIES and not (value.args or value.keywords)):
            found += [target.id for target in targets if isinstance(target, ast.Name)]
    return found


def test_no_module_passes_400_lines() -> None:
    lengths = {str(path.relative_to(REPO)): len(path.read_text().splitlines()) for path in _modules()}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_no_module_is_part_of_an_import_cycle() -> None:
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

    cycles = [(a, b) for a in graph for b in graph[a] if reaches(b, a)]
    assert cycles == []


def test_nothing_is_registered_in_module_globals() -> None:
    """What a construct needs to find again (a stack's dashboard, its budget check) is in the construct tree."""
    state = {
        f"{path.relative_to(path.parents[1] if path.is_relative_to(HANDLERS) else PACKAGE.parent)}:{name}"
        for path in _modules()
        for name in module_state(path.read_text())
    }
    assert state - MEMOS.keys() == set()


def test_the_state_check_sees_registries_and_globals() -> None:
    assert module_state("_SEEN: WeakSet[Stack] = WeakSet()\nCACHE = {}\nTABLE = {'a': 1}\n") == ["_SEEN", "CACHE"]
    assert module_state("def f():\n    global COUNT\n    COUNT = 1\n") == ["COUNT"]
    assert module_state("NAMES = frozenset()\nLIMITS = dict(a=1)\n") == []
    assert module_state(
        "@functools.lru_cache(maxsize=None)\ndef f(x):\n    return x\n@cache\ndef g():\n    pass\n"
    ) == [
        "f",
        "g",
    ]


def test_no_two_classes_share_a_name() -> None:
    """A class name says which concept it is, in one place (two ``ResolvedPool``s once meant two things)."""
    homes: dict[str, list[str]] = {}
    for path in _modules():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                homes.setdefault(node.name, []).append(str(path.relative_to(REPO)))
    assert {name: paths for name, paths in homes.items() if len(paths) > 1} == {}
