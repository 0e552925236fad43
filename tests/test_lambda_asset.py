"""The handlers' asset carries its own SDK: they work where the runtime's botocore predates the AI APIs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import botocore
import pytest

from cdk_genai_inference.jobs.asset import SERVICES, handler_asset
from conftest import REPO

OLD_SDK = "1.40.0"  # long before 1.42.93, which added the AI job APIs


@pytest.fixture(scope="module")
def asset() -> Path:
    return handler_asset()


@pytest.fixture(scope="module")
def old_sdk() -> Path:
    """boto3/botocore as an old managed runtime might bundle them, installed once from PyPI."""
    target = REPO / ".venv" / f"old-sdk-{OLD_SDK}"
    if not (target / "botocore").is_dir():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                str(target),
                f"boto3=={OLD_SDK}",
                f"botocore=={OLD_SDK}",
            ],
            check=True,
            capture_output=True,
        )
    return target


def run_isolated(paths: list[Path], code: str) -> str:
    """Run ``code`` in a fresh interpreter that sees only the stdlib and ``paths`` (in that order, as
    Lambda puts the function's own code before the runtime's SDK)."""
    script = f"import sys\nsys.path[:0] = {[str(p) for p in paths]!r}\n" + textwrap.dedent(code)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_"))}
    # -S: no site-packages (only stdlib and ``paths``); -B: never write bytecode into the asset.
    result = subprocess.run(
        [sys.executable, "-S", "-B", "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_old_sdk_alone_lacks_the_ai_job_apis(old_sdk: Path) -> None:
    out = run_isolated(
        [old_sdk],
        """
        import boto3, botocore
        client = boto3.client("sagemaker", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
        print(botocore.__version__, hasattr(client, "create_ai_recommendation_job"))
        """,
    )
    assert out == f"{OLD_SDK} False"


def test_the_handler_works_under_the_old_sdk_with_its_asset(asset: Path, old_sdk: Path) -> None:
    out = run_isolated(
        [asset, old_sdk],
        """
        import datetime, botocore, boto3
        from botocore.stub import Stubber
        import ai_jobs_handler

        client = boto3.client("sagemaker", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
        request = {
            "AIRecommendationJobName": "job-1",
            "ModelSource": {"S3": {"S3Uri": "s3://models/llama/"}},
            "OutputConfig": {"S3OutputLocation": "s3://out/"},
            "AIWorkloadConfigIdentifier": "chat",
            "PerformanceTarget": {"Constraints": [{"Metric": "throughput"}]},
            "RoleArn": "arn:aws:iam::111122223333:role/execution",
            "OptimizeModel": "true",
            "AdapterSource": {"S3Uris": [{"AdapterId": "sql", "S3Uri": "s3://adapters/sql/"}]},
        }
        event = {"RequestType": "Create", "ResourceProperties": {"Kind": "RecommendationJob", "Request": request}}
        restored = ai_jobs_handler.coerce_request(client, event)["ResourceProperties"]["Request"]
        arn = "arn:aws:sagemaker:us-west-2:111122223333:ai-recommendation-job/job-1"
        clients = type("Clients", (), {"sagemaker": client})()
        with Stubber(client) as stub:
            stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": arn}, restored)
            created = ai_jobs_handler.on_event(event, None, clients=clients)
        print(botocore.__version__, created["PhysicalResourceId"], restored["OptimizeModel"])
        """,
    )
    assert out == f"{botocore.__version__} job-1 True"


def test_asset_holds_the_handlers_and_a_trimmed_sdk(asset: Path) -> None:
    names = {p.name for p in asset.iterdir()}
    handlers = {
        "ai_jobs_handler.py",
        "job_lifecycle.py",
        "job_waiter.py",
        "recommendation_resolution.py",
        "package_group.py",
    }
    shared = {"aiperf_results", "recommended_configurations.py"}  # library code the asset build copies in
    assert handlers | shared | {"boto3", "botocore", "urllib3", "dateutil", "jmespath"} <= names
    services = {p.name for p in (asset / "botocore" / "data").iterdir() if p.is_dir()}
    assert services == set(SERVICES)
    size = sum(p.stat().st_size for p in asset.rglob("*") if p.is_file())
    assert size < 10 * 1024 * 1024, f"asset is {size / 1e6:.1f} MB"
    assert not list(asset.rglob("__pycache__"))


def test_asset_is_built_once_and_reused(asset: Path) -> None:
    assert handler_asset() == asset


def test_the_parser_package_is_copied_whole_and_its_every_module_keys_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asset: Path
) -> None:
    from cdk_genai_inference.jobs import asset as assets

    package = Path(assets.LIBRARY_CODE["aiperf_results"])
    copied = sorted(p.name for p in (asset / "aiperf_results").glob("*.py"))
    assert copied == sorted(p.name for p in package.glob("*.py")) and "gate.py" in copied
    before = assets._cache_key(assets.handler_source())
    fake = tmp_path / "aiperf"
    shutil.copytree(package, fake, ignore=shutil.ignore_patterns("__pycache__"))
    (fake / "gate.py").write_text((fake / "gate.py").read_text() + "\n# changed\n")
    monkeypatch.setitem(assets.LIBRARY_CODE, "aiperf_results", fake)
    assert assets._cache_key(assets.handler_source()) != before  # a change in any module rebuilds the asset
