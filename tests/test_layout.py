"""The layout of the library and its handlers: no module past 400 lines, no import cycle, and nothing
registered in module globals."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

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
    "cdk_genai_inference/_core/validation.py:_DURATIONS": "the seconds and milliseconds of each immutable Duration: an answer that "
    "never depends on what ran before, weakly keyed so that it keeps no Duration alive",
    "cdk_genai_inference/_core/service_model.py:_model": "botocore's SageMaker model, read once: the same installed "
    "file whatever ran before",
    "cdk_genai_inference/serving/dashboard.py:_region": "aws-cdk-lib's one Aws.REGION token, the same in every app",
    "cdk_genai_inference/serving/endpoint.py:endpoint_arn": "each endpoint's ARN, built from its name when first "
    "read and kept on that endpoint, not in the module",
}
"""Module-level containers and cached functions that are memos of pure functions, not registries, and why."""
FILLED_LATER = frozenset({"defaultdict", "deque"})
"""Factories whose arguments configure the container, not fill it."""
MEMO_DECORATOR = re.compile(r"\b(cache|lru_cache|cached_property)\b")


def _modules() -> list[Path]:
    return sorted([*PACKAGE.rglob("*.py"), *HANDLERS.rglob("*.py")])


def _module_name(path: Path) -> str:
    """A library module's dotted name; a handler module's is its file name (the asset's top level)."""
    if path.is_relative_to(HANDLERS):
        return path.stem
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each module of the library and of the handlers, and the modules of the same one it imports: the
    library's by relative import, the handlers' by plain name (``TYPE_CHECKING`` and function-local
    imports included: an import moved into a function still ties the two modules)."""
    modules = {_module_name(path): path for path in _modules()}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            candidates: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
                candidates = [target, *(f"{target}.{alias.name}" for alias in node.names)]
            elif path.is_relative_to(HANDLERS) and isinstance(node, ast.ImportFrom) and node.module:
                candidates = [node.module]
            elif path.is_relative_to(HANDLERS) and isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            graph[name].update(c for c in candidates if c in modules and c != name)
    return graph


def _is_container(value: ast.expr) -> bool:
    """An empty container literal, or a container made by a factory (``defaultdict(list)`` is empty too)."""
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, ast.List | ast.Set):
        return not value.elts
    if isinstance(value, ast.Call):
        factory = value.func.value if isinstance(value.func, ast.Subscript) else value.func  # dict[str, int]()
        name = factory.id if isinstance(factory, ast.Name) else getattr(factory, "attr", None)
        return name in FILLED_LATER or (name in CONTAINER_FACTORIES and not (value.args or value.keywords))
    return False


def _bound(node: ast.stmt) -> list[tuple[str, ast.expr]]:
    """The names an assignment binds, each with the value it gets (``A, B = {}, []`` binds two)."""
    if isinstance(node, ast.Assign):
        pairs: list[tuple[ast.expr, ast.expr]] = [(target, node.value) for target in node.targets]
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        pairs = [(node.target, node.value)]
    else:
        return []
    bound = []
    for target, value in pairs:
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
            pairs_inner = list(zip(target.elts, value.elts, strict=True))
        else:
            pairs_inner = [(target, value)]
        bound += [(t.id, v) for t, v in pairs_inner if isinstance(t, ast.Name) and not t.id.startswith("__")]
    return bound


def module_state(source: str) -> list[str]:
    """What a module keeps between calls: names bound at its top level, or in a class body, to a container
    that calls can fill; names its functions declare ``global``; and functions or methods that remember
    their answers (``@cache``). Dunder names (``__all__``) are declarations, not state."""
    tree = ast.parse(source)
    found = [name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names]
    bodies = [tree.body, *(node.body for node in tree.body if isinstance(node, ast.ClassDef))]
    for body in bodies:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                MEMO_DECORATOR.search(ast.unparse(decorator)) for decorator in node.decorator_list
            ):
                found.append(node.name)
            found += [name for name, value in _bound(node) if _is_container(value)]
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
    assert MEMOS.keys() - state == set(), "a memo named here that the code no longer has"


@pytest.mark.parametrize(
    ("source", "state"),
    [
        ("_SEEN: WeakSet[Stack] = WeakSet()\nCACHE = {}\nTABLE = {'a': 1}\n", ["_SEEN", "CACHE"]),
        ("def f():\n    global COUNT\n    COUNT = 1\n", ["COUNT"]),
        ("REG = defaultdict(list)\nRECENT = deque(maxlen=10)\nTYPED = dict[str, int]()\n", ["REG", "RECENT", "TYPED"]),
        ("A, B = {}, []\n", ["A", "B"]),
        ("class Kind:\n    _registry = {}\n    @cache\n    def of(self):\n        pass\n", ["_registry", "of"]),
        ("@functools.lru_cache(maxsize=None)\ndef f(x):\n    return x\n@cache\ndef g():\n    pass\n", ["f", "g"]),
        ("NAMES = frozenset()\nLIMITS = dict(a=1)\n__all__ = []\nPAIR = (1, 2)\n", []),
    ],
)
def test_the_state_check_sees_registries_and_globals(source: str, state: list[str]) -> None:
    assert module_state(source) == state


def test_the_cycle_check_reads_the_handlers_imports_too() -> None:
    graph = _imports()
    assert "job_lifecycle" in graph["ai_jobs_handler"] and "aws_calls" in graph["job_lifecycle"]
    assert "cdk_genai_inference.serving.endpoint_base" in graph["cdk_genai_inference.serving.endpoint"]


def test_no_two_classes_share_a_name() -> None:
    """A class name says which concept it is, in one place (two ``ResolvedPool``s once meant two things)."""
    homes: dict[str, list[str]] = {}
    for path in _modules():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                homes.setdefault(node.name, []).append(str(path.relative_to(REPO)))
    assert {name: paths for name, paths in homes.items() if len(paths) > 1} == {}
