"""The source root `constructs/` never shadows the `constructs` library, in the repo or the wheel."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import constructs
from conftest import REPO


def test_constructs_resolves_to_the_installed_library() -> None:
    location = Path(constructs.__file__).resolve()
    assert not location.is_relative_to(REPO / "constructs"), location
    assert "site-packages" in location.parts
    assert hasattr(constructs, "Construct")
    assert not (REPO / "constructs" / "__init__.py").exists()


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_wheel_holds_the_package_and_no_top_level_constructs(wheel_names: list[str]) -> None:
    assert "cdk_genai_inference/__init__.py" in wheel_names
    assert "cdk_genai_inference/serving/endpoint.py" in wheel_names
    assert "cdk_genai_inference/py.typed" in wheel_names
    assert "cdk_genai_inference/benchmark/aiperf/gate.py" in wheel_names  # the parser package the handler copies
    assert "cdk_genai_inference/_lambda/sagemaker_ai_jobs/ai_jobs_handler.py" in wheel_names
    assert "cdk_genai_inference/_lambda/sagemaker_ai_jobs/job_lifecycle.py" in wheel_names
    assert "cdk_genai_inference/recommendation/configurations.py" in wheel_names  # the asset build copies it in
    top_level = {name.split("/")[0] for name in wheel_names}
    assert "constructs" not in top_level
    assert not top_level & {"stacks", "tests", "scripts"}
