"""The integration tests, offline: their snapshots are current, their templates lint, their assertions ask the
services what their models define, and ``./dev integ`` runs them as integ-runner would (against a fake CLI).

Nothing here deploys: ``tests/integ/`` holds apps a user runs on a real account (README, "Integration tests on a
real account"); the suite synthesizes them, in this process, with every ``GENAI_INTEG_*`` setting at its default.
"""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import botocore.session
import integ_run
import integ_snapshots
import pytest
from botocore.validate import ParamValidator

import cfn_values
from cdk_genai_inference import InstancePoolEndpoint
from conftest import REPO
from synthesis import lint

sys.path.insert(0, str(integ_snapshots.INTEG))  # the apps' shared module, as the apps import it
from common import Settings

TESTS = integ_snapshots.tests()
SDK_CALL = "Custom::DeployAssert@SdkCall"
SERVICES = {
    "SageMaker": "sagemaker",
    "SageMakerRuntime": "sagemaker-runtime",
    "ApplicationAutoScaling": "application-autoscaling",
    "CloudWatch": "cloudwatch",
}
IAM_PREFIXES = {"monitoring": "cloudwatch"}
"""IAM's prefix for a service whose requests are signed under another name (CloudWatch signs as monitoring)."""


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every integration app, synthesized once: its snapshot files, by test file name."""
    work = tmp_path_factory.mktemp("integ")
    started = time.perf_counter()
    found = {test.name: integ_snapshots.read(integ_snapshots.synthesize(test, work / test.stem)) for test in TESTS}
    print(f"\nsynthesized {len(found)} integration apps in {time.perf_counter() - started:.2f} s")
    return found


def templates(assemblies: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: t for files in assemblies.values() for name, t in files.items() if name.endswith(".template.json")}


def test_the_tests_are_the_ones_the_readme_documents() -> None:
    readme = (REPO / "README.md").read_text()
    assert [t.name for t in TESTS] == [
        "integ_benchmark_breach.py",
        "integ_benchmark_gate.py",
        "integ_pool_endpoint.py",
        "integ_recommendation_job.py",
        "integ_recommended_models.py",
    ]
    for test in TESTS:
        assert f"`{test.stem}`" in readme, test.stem


@pytest.mark.parametrize("test", TESTS, ids=[t.stem for t in TESTS])
def test_snapshot_is_current(test: Path, assemblies: dict[str, dict[str, Any]]) -> None:
    """What integ-runner's snapshot verification checks: the app synthesizes to its committed snapshot (asset
    hashes and assertion salts masked). Refresh with ``./dev integ-snapshots``."""
    snapshot = integ_snapshots.snapshot_dir(test)
    assert snapshot.is_dir(), f"{snapshot.name} is missing: run ./dev integ-snapshots"
    found = integ_snapshots.differences(integ_snapshots.read(snapshot), assemblies[test.name])
    if found:
        stale = f"{test.name}'s snapshot is stale; review the change, then run ./dev integ-snapshots"
        pytest.fail("\n".join([stale, *found]), pytrace=False)


def test_a_changed_construct_default_makes_a_snapshot_stale(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, assemblies: dict[str, dict[str, Any]]
) -> None:
    """The check catches what it is for: a library change that reaches a real deployment."""
    monkeypatch.setitem(InstancePoolEndpoint.__init__.__kwdefaults__, "variant_name", "Primary")
    test = integ_snapshots.INTEG / "integ_pool_endpoint.py"
    changed = integ_snapshots.read(integ_snapshots.synthesize(test, tmp_path / "changed"))
    found = integ_snapshots.differences(integ_snapshots.read(integ_snapshots.snapshot_dir(test)), changed)
    assert found, "a new variant name went unnoticed"
    report = "\n".join(found)
    assert "snapshot/GenAiIntegPoolEndpoint.template.json" in report and "Primary" in report
    assert "snapshot/GenAiIntegPoolEndpointAssertions.template.json" in report  # the asserted variant too


def test_masking_hides_only_asset_hashes_and_salts(assemblies: dict[str, dict[str, Any]]) -> None:
    files = assemblies["integ_recommended_models.py"]
    masked = json.dumps(integ_snapshots.canonical(files))
    assert "<asset 1>" in masked and "<synth time>" in masked
    raw = json.dumps(files)
    for asset_id in files["GenAiIntegRecommendedModels.assets.json"]["files"]:
        assert asset_id in raw and asset_id not in masked
    assert "genai-integ-" in masked  # job, endpoint and model names stay compared


def test_templates_pass_cfn_lint(assemblies: dict[str, dict[str, Any]]) -> None:
    empty = []
    for file, template in templates(assemblies).items():
        if not template.get("Resources"):
            empty.append(file)  # the CLI skips a stack without resources
            continue
        findings = lint(template)
        assert findings == [], f"{file}:\n" + "\n".join(findings)
    # The breach test's assertion stack: its pass is a failed deployment, after which nothing is left to assert.
    assert empty == ["GenAiIntegBenchmarkBreachAssertions.template.json"]


def test_part_two_resolves_the_job_part_one_starts(assemblies: dict[str, dict[str, Any]]) -> None:
    """``integ_recommended_models.py`` finds the job by the name its definition gives it in part 1."""
    part_one = assemblies["integ_recommendation_job.py"]["GenAiIntegRecommendationJob.template.json"]
    part_two = assemblies["integ_recommended_models.py"]["GenAiIntegRecommendedModels.template.json"]
    (job,) = [r for r in part_one["Resources"].values() if r["Type"] == "Custom::AIRecommendationJob"]
    (resolver,) = [r for r in part_two["Resources"].values() if r["Type"] == "Custom::RecommendedModels"]
    assert resolver["Properties"]["JobName"] == job["Properties"]["Request"]["AIRecommendationJobName"]
    assert resolver["Properties"]["Approval"] == "approve"  # PackageApproval.APPROVE_ON_RESOLVE
    assert resolver["Properties"]["Hosting"] == "inference-components"
    integ = assemblies["integ_recommendation_job.py"]["integ.json"]
    assert integ["testCases"]["RecommendationJob/DefaultTest"]["cdkCommandOptions"]["destroy"] == {"enabled": False}


def test_settings_come_from_the_environment() -> None:
    defaults = Settings.from_environment({})
    assert defaults.region == "us-west-2" and "dkr.ecr.us-west-2." in defaults.image_uri
    assert defaults.pools == (("ml.g6.xlarge", 8), ("ml.g5.xlarge", 8))
    mine = Settings.from_environment(
        {
            "GENAI_INTEG_REGION": "us-east-1",
            "GENAI_INTEG_BUCKET": "my-artifacts",
            "GENAI_INTEG_POOLS": "ml.g6e.xlarge=12, ml.g6.xlarge=6",
            "GENAI_INTEG_RECOMMENDATION_TYPES": "ml.g6e.xlarge,ml.g6.xlarge",
            "GENAI_INTEG_RECOMMENDATION_JOB": "genai-integ-0123456789",
        }
    )
    assert (
        "dkr.ecr.us-east-1." in mine.image_uri
        and mine.model_data.uri == "s3://my-artifacts/models/qwen2.5-1.5b-instruct/"
    )
    assert mine.pools == (("ml.g6e.xlarge", 12), ("ml.g6.xlarge", 6))
    assert mine.recommendation_types == ("ml.g6e.xlarge", "ml.g6.xlarge")
    assert mine.output("benchmarks").uri == "s3://my-artifacts/integ/benchmarks/"


def sdk_calls(assemblies: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [
        (f"{name}/{logical_id}", resource["Properties"], template)
        for name, template in templates(assemblies).items()
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"].startswith(SDK_CALL)
    ]


def test_every_assertion_call_matches_the_service_model(assemblies: dict[str, dict[str, Any]]) -> None:
    """The assertions run only on a real account, so check them against botocore's models here: the operation
    exists, its parameters validate, every path and key the assertion reads is in the response, and the
    assertion provider may call it. (The provider calls with the Node.js SDK of its Lambda runtime: a runtime SDK
    older than the operation or its newest members fails the assertion rather than passing it.)"""
    calls = sdk_calls(assemblies)
    assert len(calls) == 13
    session = botocore.session.get_session()
    for where, properties, template in calls:
        model = session.get_service_model(SERVICES[properties["service"]])
        api = properties["api"]
        operation = model.operation_model(api[0].upper() + api[1:])
        parameters = {k: _decoded(v) for k, v in properties.get("parameters", {}).items()}
        report = ParamValidator().validate(parameters, operation.input_shape)
        assert not report.has_errors(), f"{where}: {report.generate_report()}"
        expected = _decoded(properties["expected"])
        shape = operation.output_shape
        if "actualPath" in properties:
            shape = _at_path(shape, properties["actualPath"].split("."), where)
        _check_expected(shape, expected, where)
        action = f"{IAM_PREFIXES.get(model.signing_name, model.signing_name)}:{operation.name}"
        granted = [
            a
            for r in template["Resources"].values()
            if r["Type"] == "AWS::IAM::Role"
            for p in r["Properties"].get("Policies", [])
            for s in p["PolicyDocument"]["Statement"]
            for a in s["Action"]
        ]
        assert action in granted, f"{where}: {action} is not granted"


DEPLOY_TIME = "value-resolved-at-deploy"


def _decoded(value: Any) -> Any:
    """A parameter or expected result as the provider decodes it from JSON; a deploy-time value, whole or
    joined into the JSON (another stack's name or ARN), stands for a string."""
    text = cfn_values.resolve(value)
    if isinstance(text, cfn_values.Unknown):
        if not text.parts:
            return DEPLOY_TIME
        text = "".join(part if isinstance(part, str) else DEPLOY_TIME for part in text.parts)
    return json.loads(text)


def _at_path(shape: Any, path: list[str], where: str) -> Any:
    for step in path:
        if shape is None:  # under a blob the handler parsed as JSON (an invocation's body): the model stops
            return None
        if shape.type_name == "list":
            assert step.isdigit(), f"{where}: {step} indexes a list"
            shape = shape.member
        elif shape.type_name == "blob":
            return None
        else:
            assert step in shape.members, f"{where}: {step} is not a member of {shape.name}"
            shape = shape.members[step]
    return shape


def _check_expected(shape: Any, expected: Any, where: str) -> None:
    if shape is None or not isinstance(expected, dict | list):
        return
    if isinstance(expected, list):
        assert shape.type_name == "list", f"{where}: a list where {shape.name} is a {shape.type_name}"
        for item in expected:
            _check_expected(shape.member, item, where)
        return
    matcher = next(iter(expected), "")
    if matcher in ("$ObjectLike", "$ArrayWith"):
        _check_expected(shape, expected[matcher], where)
        return
    if matcher in ("$StringLike", "$Exact", "$SerializedJson"):
        return
    assert shape.type_name == "structure", f"{where}: keys {sorted(expected)} under {shape.name} ({shape.type_name})"
    for key, value in expected.items():
        assert key in shape.members, f"{where}: {key} is not a member of {shape.name}"
        _check_expected(shape.members[key], value, where)


FAKE_CDK = textwrap.dedent(
    """
    import json, shutil, sys
    from pathlib import Path

    args = sys.argv[1:]
    scenario = json.loads(Path({scenario!r}).read_text())
    with open({log!r}, "a") as log:
        log.write(json.dumps(args) + "\\n")
    if args[0] == "synth":
        shutil.copytree(scenario["assembly"], args[args.index("--output") + 1])
    elif args[0] == "deploy" and "--outputs-file" in args:
        stack = args[3]
        Path(args[args.index("--outputs-file") + 1]).write_text(json.dumps({{stack: scenario["outputs"]}}))
    elif args[0] == "deploy":
        print(scenario.get("deploy_output", "deployed"))
        sys.exit(scenario.get("deploy_code", 0))
    """
)


@pytest.fixture
def fake_cdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, assemblies: dict[str, dict[str, Any]]) -> Any:
    """``./dev integ`` against a CLI that records its arguments and plays a scenario."""
    log, scenario = tmp_path / "calls.jsonl", tmp_path / "scenario.json"
    script = tmp_path / "cdk.py"
    script.write_text(FAKE_CDK.format(scenario=str(scenario), log=str(log)))
    monkeypatch.setenv("CDK", f"{sys.executable} {script}")
    monkeypatch.setattr(integ_run, "OUT", tmp_path / "out")

    def run(test: str, **play: Any) -> tuple[int, list[list[str]]]:
        assembly = tmp_path / "assemblies" / test
        if not assembly.exists():
            assembly.mkdir(parents=True)
            for name, content in assemblies[f"{test}.py"].items():
                (assembly / name).write_text(json.dumps(content))
        scenario.write_text(json.dumps({"assembly": str(assembly), **play}))
        log.unlink(missing_ok=True)
        code = integ_run.main([test])
        return code, [
            [a for a in json.loads(line) if a not in integ_run.COMMON_FLAGS] for line in log.read_text().splitlines()
        ]

    return run


def verbs(calls: list[list[str]]) -> list[str]:
    return [
        " ".join(c[:1] + [a for a in c[1:] if a.startswith("GenAi") or a in ("--all", "--no-rollback")]) for c in calls
    ]


SUCCESS = {"AssertionResultsAwsApiCallX": json.dumps({"status": "success"})}


def test_run_deploys_the_stacks_then_the_assertions_then_destroys(fake_cdk: Any) -> None:
    code, calls = fake_cdk("integ_pool_endpoint", outputs=SUCCESS)
    assert code == 0
    assert verbs(calls) == [
        "synth",
        "deploy GenAiIntegPoolEndpoint",
        "deploy GenAiIntegPoolEndpointAssertions --no-rollback",
        "destroy --all",
    ]
    assert calls[0][:3] == ["synth", "--app", f"{sys.executable} tests/integ/integ_pool_endpoint.py"]
    assert set(integ_run.SYNTH_FLAGS) <= set(calls[0])
    assert calls[1][-2:] == ["--require-approval", "never"]


def test_a_failed_assertion_fails_the_run_and_still_destroys(fake_cdk: Any, capsys: pytest.CaptureFixture[str]) -> None:
    failed = {**SUCCESS, "AssertionResultsAwsApiCallY": json.dumps({"status": "fail", "message": "Expected InService"})}
    code, calls = fake_cdk("integ_pool_endpoint", outputs=failed)
    assert code == 1
    assert verbs(calls)[-1] == "destroy --all"
    assert "Expected InService" in capsys.readouterr().out


def test_no_assertion_result_is_no_pass(fake_cdk: Any) -> None:
    code, _ = fake_cdk("integ_pool_endpoint", outputs={})
    assert code == 1


def test_a_failed_deployment_skips_the_assertions(fake_cdk: Any) -> None:
    code, calls = fake_cdk("integ_pool_endpoint", deploy_code=1, outputs=SUCCESS)
    assert code == 1
    assert verbs(calls) == ["synth", "deploy GenAiIntegPoolEndpoint", "destroy --all"]


@pytest.mark.parametrize(
    ("code", "output", "passed"),
    [
        (1, "Received response status [FAILED]: ... breaches its SLA: OutputTokenThroughput measured 3120.5", True),
        (1, "CREATE_FAILED AWS::SageMaker::Endpoint: insufficient capacity", False),
        (0, "deployed", False),
    ],
)
def test_the_breach_test_passes_only_on_the_gates_failure(fake_cdk: Any, code: int, output: str, passed: bool) -> None:
    exit_code, calls = fake_cdk("integ_benchmark_breach", deploy_code=code, deploy_output=output, outputs={})
    assert exit_code == (0 if passed else 1)
    assert verbs(calls) == ["synth", "deploy GenAiIntegBenchmarkBreach", "destroy --all"]


def test_the_recommendation_job_is_kept_for_part_two(fake_cdk: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, calls = fake_cdk("integ_recommendation_job", outputs=SUCCESS)
    assert code == 0
    assert "destroy --all" not in verbs(calls)
    assert "./dev integ integ_recommendation_job --destroy" in capsys.readouterr().out
    code, calls = fake_cdk("integ_recommendation_job", outputs={"AssertionResultsX": json.dumps({"status": "fail"})})
    assert code == 1 and verbs(calls)[-1] == "destroy --all"  # a failed start leaves nothing running
