"""The reference pipeline's promotion deployed stage after stage (tests/simulation): the Recommend stage
starts the job in the staging account; the Serve stage resolves it, approves and records the packages it
deploys; the Production stage, in the production account, deploys those packages from their shared group as
staging recorded them, and resolves no job. Each stage's handler calls must be allowed by its own role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from simulation.execution_roles import expected_requests
from simulation.harness import Simulation, denied, denied_handler_calls, role_statements, simulate
from simulation.iam import Request
from test_deploy_simulation import RECOMMENDATIONS

from conftest import REPO
from stacks.config import BenchmarkConfig, PipelineConfig, RecommendationConfig, ServingConfig
from stacks.pipeline_stack import PipelineStack
from stacks.promotion import ARTIFACTS_KEY_ALIAS

CONTEXT: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]
STAGING, PRODUCTION, REGION = (CONTEXT[f"pipeline:{k}"] for k in ("stagingAccount", "productionAccount", "region"))


def synthesize(outdir: Path, **context: Any) -> Path:
    app = cdk.App(outdir=str(outdir), context={**CONTEXT, **context})
    pipeline = PipelineConfig.from_context(app.node)
    PipelineStack(
        app,
        "GenAiPipeline",
        pipeline=pipeline,
        recommendation=RecommendationConfig.from_context(app.node),
        serving=ServingConfig.from_context(app.node),
        benchmark=BenchmarkConfig.from_context(app.node),
        env=cdk.Environment(account=pipeline.pipelineAccount, region=pipeline.region),
    )
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize(tmp_path_factory.mktemp("pipeline"))


def stage_template(assembly: Path, stage: str) -> str:
    (template,) = (assembly / f"assembly-GenAiPipeline-{stage}").glob("*.template.json")
    return str(template.relative_to(assembly))


@pytest.fixture(scope="module")
def promotion(assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Simulation]:
    def deploy(stage: str, account: str, state: dict[str, Any] | None) -> Simulation:
        return simulate(
            assembly,
            stage_template(assembly, stage),
            {"recommendations": RECOMMENDATIONS, "polls_until_done": 0},
            [{"op": "create"}],
            environment={"account": account, "region": REGION, "stack_name": stage},
            workdir=tmp_path_factory.mktemp(stage),
            state=state,
        )

    recommend = deploy("Recommend", STAGING, None)
    serve = deploy("Serve", STAGING, recommend.last.state)
    # Production shares nothing with staging but the packages (their group's policy grants it).
    production = deploy("Production", PRODUCTION, {"packages": serve.last.state["packages"]})
    return {"Recommend": recommend, "Serve": serve, "Production": production}


def component(simulation: Simulation) -> dict[str, Any]:
    deployed = simulation.last.resolved(simulation.template)
    (found,) = [r for r in deployed["Resources"].values() if r["Type"] == "AWS::SageMaker::InferenceComponent"]
    return found["Properties"]  # type: ignore[no-any-return]


def test_every_stage_deploys(promotion: dict[str, Simulation]) -> None:
    assert {stage: s.last.failed for stage, s in promotion.items()} == {
        "Recommend": None,
        "Serve": None,
        "Production": None,
    }


def test_production_serves_exactly_what_staging_resolved_and_recorded(promotion: dict[str, Simulation]) -> None:
    staging, production = component(promotion["Serve"]), component(promotion["Production"])
    assert production["Specifications"] == [
        {**spec, "ModelName": production_spec["ModelName"]}
        for spec, production_spec in zip(staging["Specifications"], production["Specifications"], strict=True)
    ]
    assert production["RuntimeConfig"] == staging["RuntimeConfig"]

    def packages(simulation: Simulation) -> set[str]:
        deployed = simulation.last.resolved(simulation.template)
        models = [r for r in deployed["Resources"].values() if r["Type"] == "AWS::SageMaker::Model"]
        return {m["Properties"]["PrimaryContainer"]["ModelPackageName"] for m in models}

    assert packages(promotion["Production"]) == packages(promotion["Serve"])
    assert all(f":{STAGING}:model-package/" in arn for arn in packages(promotion["Production"]))


def test_production_resolves_no_job_and_approves_nothing(promotion: dict[str, Simulation]) -> None:
    operations = {c["operation"] for c in promotion["Production"].last.state["calls"]}
    assert operations == {"ListModelPackages", "DescribeModelPackage"}


def test_each_stage_is_allowed_what_its_handlers_do(promotion: dict[str, Simulation]) -> None:
    for stage, simulation in promotion.items():
        assert denied_handler_calls(simulation, 0) == [], stage


def test_the_staging_roles_may_use_the_artifacts_key_and_production_may_decrypt_with_it(
    promotion: dict[str, Simulation],
) -> None:
    """KMS where keys are used: the job's role encrypts and decrypts its artifacts through S3 with the bucket's
    key; production's models decrypt them with the key behind the artifacts alias, and only through S3."""
    recommend = promotion["Recommend"]
    step = recommend.last
    needs = expected_requests(
        recommend.template, step.resolved(recommend.template), [], {"account": STAGING, "region": REGION}
    )
    (job_role,) = needs
    assert any(r.action.startswith("kms:") for r in needs[job_role])
    assert denied(role_statements(recommend.template, step, job_role), needs[job_role]) == []
    production = promotion["Production"]
    (model_role,) = [
        k
        for k, r in production.template["Resources"].items()
        if r["Type"] == "AWS::IAM::Role" and "recommended models" in r["Properties"].get("Description", "")
    ]
    statements = role_statements(production.template, production.last, model_role)
    key = f"arn:aws:kms:{REGION}:{STAGING}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:ResourceAliases": [ARTIFACTS_KEY_ALIAS]}
    assert denied(statements, [Request("kms:Decrypt", key, via_s3)]) == []
    assert (
        denied(
            statements, [Request("kms:Decrypt", key, {**via_s3, "kms:ViaService": "lambda.us-west-2.amazonaws.com"})]
        )
        != []
    )
    assert denied(statements, [Request("kms:Decrypt", key, {**via_s3, "kms:ResourceAliases": ["alias/other"]})]) != []


def test_a_failed_serve_update_rolls_back_to_the_job_the_recommend_stage_has_since_replaced(
    assembly: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A changed workload: the Recommend stage starts job B and CloudFormation then deletes job A's
    resource; the Serve stage's update to B fails (B still runs), and its rollback resolves A again.
    That rollback needs A to exist: deleting the completed job failed it (UPDATE_ROLLBACK_FAILED)."""
    changed = synthesize(tmp_path_factory.mktemp("changed"), **{"recommendation:inputTokensMean": 4000})
    recommend = {"op": "other", "stack": "Recommend"}
    serve = simulate(
        assembly,
        stage_template(assembly, "Serve"),
        {"recommendations": RECOMMENDATIONS, "polls_until_done": [0, 9]},  # A is done at once, B runs on
        [
            {**recommend, "action": "create", "template": stage_template(assembly, "Recommend")},
            {"op": "create"},
            {**recommend, "action": "update", "template": str(changed / stage_template(changed, "Recommend"))},
            {"op": "update", "template": str(changed / stage_template(changed, "Serve")), "may_fail": True},
            {**recommend, "action": "delete"},
        ],
        environment={"account": STAGING, "region": REGION, "stack_name": "Serve"},
        workdir=tmp_path_factory.mktemp("staged"),
    )
    assert [s.failed for s in serve.steps[:3]] == [None] * 3, [s.failed for s in serve.steps]
    failure = serve.steps[3].failed or ""
    assert " is InProgress" in failure and failure.endswith("UPDATE_ROLLBACK_COMPLETE"), failure
    assert denied_handler_calls(serve, 3) == []
    first_job, _ = list(serve.steps[2].state["jobs"])
    assert serve.steps[2].state["jobs"][first_job]["status"] == "Completed"  # kept when its resource was deleted
    deleted = serve.steps[4]  # the Recommend stack's deletion stops the running job B and deletes it
    assert deleted.failed is None and set(deleted.state["jobs"]) == {first_job}
