"""The reference pipeline's promotion deployed stage after stage (tests/simulation): the Recommend stage
starts the job in the staging account; the Serve stage resolves it, approves and records the packages it
deploys; the Production stage, in the production account, deploys those packages from their shared group as
staging recorded them (as the group's policy allows it), and resolves no job. Each stage's handler calls must
be allowed by its own role. The Recommend stage's shared group is adopted by the retry of a failed first
create, by a deployment after the stack's deletion, and by the upgrade from its old resource type."""

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
from constructs import Construct
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
    # Production shares nothing with staging but the packages, which it reads as their group's policy (put by
    # the Recommend stage's handler) allows it: the fake answers other accounts' reads by that policy.
    shared = {key: serve.last.state[key] for key in ("packages", "groups")}
    production = deploy("Production", PRODUCTION, shared)
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


def group_of(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The Recommend stage's shared model package group: its logical id and resource."""
    (found,) = [(k, r) for k, r in template["Resources"].items() if r["Type"] == "Custom::ModelPackageGroup"]
    return found


def group_calls(simulation: Simulation, index: int) -> list[str]:
    return [c["operation"] for c in simulation.calls_of(index) if "ModelPackageGroup" in c["operation"]]


def grants_production(group: dict[str, Any]) -> bool:
    principals = {p for s in group["policy"]["Statement"] for p in s["Principal"]["AWS"]}
    return principals == {f"arn:aws:iam::{PRODUCTION}:root"}


def test_a_failed_first_create_keeps_the_group_and_the_retry_adopts_it(
    assembly: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The job's Create fails after the group exists; the rollback keeps the group (retained: another account
    may use its packages), and the retry of the same definition adopts it. So does a deployment after the
    stack's deletion, and the retried job is the same job."""
    template = stage_template(assembly, "Recommend")
    recommend = simulate(
        assembly,
        template,
        {
            "recommendations": RECOMMENDATIONS,
            "polls_until_done": 0,
            "faults": {"CreateAIRecommendationJob": ["ResourceLimitExceeded"]},
        },
        [{"op": "create", "may_fail": True}, {"op": "create"}, {"op": "delete"}, {"op": "create"}],
        environment={"account": STAGING, "region": REGION, "stack_name": "Recommend"},
        workdir=tmp_path_factory.mktemp("retried"),
    )
    failed = recommend.steps[0].failed or ""
    assert "ResourceLimitExceeded" in failed and failed.endswith("ROLLBACK_COMPLETE"), failed
    assert [s.failed for s in recommend.steps[1:]] == [None, None, None], [s.failed for s in recommend.steps]
    group_id, group = group_of(recommend.template)
    name = group["Properties"]["Request"]["ModelPackageGroupName"]
    assert list(recommend.steps[0].state["groups"]) == [name]  # kept by the rollback
    requests = {e["request"] for e in recommend.last.events if e["resource"] == group_id}
    assert requests == {"Create"}  # retained: neither the rollback nor the deletion sends it a Delete
    created = ["CreateModelPackageGroup", "DescribeModelPackageGroup", "DescribeModelPackageGroup"]
    assert group_calls(recommend, 0) == [*created, "PutModelPackageGroupPolicy"]  # Pending, then Completed
    adopted = ["CreateModelPackageGroup", "DescribeModelPackageGroup", "PutModelPackageGroupPolicy"]
    assert group_calls(recommend, 1) == adopted and group_calls(recommend, 3) == adopted
    assert group_calls(recommend, 2) == [] and list(recommend.steps[2].state["groups"]) == [name]
    assert grants_production(recommend.last.state["groups"][name])
    assert len(recommend.last.state["jobs"]) == 1  # the job the first retry started, adopted by the last
    for index in range(len(recommend.steps)):
        assert denied_handler_calls(recommend, index) == [], index


def legacy(template: dict[str, Any], legacy_id: str) -> dict[str, Any]:
    """The Recommend stage as the library defined it before: the group an ``AWS::SageMaker::ModelPackageGroup``
    (retained) under the logical id CDK gave ``RecommendationJob/ModelPackageGroup``, which the job depended
    on; the provider had no grant on it."""
    old = json.loads(json.dumps(template))
    group_id, group = group_of(old)
    del old["Resources"][group_id]
    props = group["Properties"]
    old["Resources"][legacy_id] = {
        "Type": "AWS::SageMaker::ModelPackageGroup",
        "Properties": {**props["Request"], "ModelPackageGroupPolicy": props["ResourcePolicy"]},
        "UpdateReplacePolicy": "Retain",
        "DeletionPolicy": "Retain",
    }
    for resource in old["Resources"].values():
        if group_id in resource.get("DependsOn", []):
            resource["DependsOn"] = sorted(legacy_id if d == group_id else d for d in resource["DependsOn"])
        if resource["Type"] == "AWS::IAM::Policy":
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [
                s for s in document["Statement"] if "sagemaker:PutModelPackageGroupPolicy" not in s["Action"]
            ]
    return old


def test_an_upgrade_adopts_the_group_the_old_resource_type_left(
    assembly: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The update removes the ``AWS::SageMaker::ModelPackageGroup``, which its DeletionPolicy retains, and
    creates the custom resource, whose Create adopts the group and puts the policy; the job is untouched."""
    template_file = stage_template(assembly, "Recommend")
    template = json.loads((assembly / template_file).read_text())
    before = cdk.Stack(cdk.App(), "Recommendation")
    legacy_id = before.get_logical_id(
        cdk.CfnResource(
            Construct(before, "RecommendationJob"), "ModelPackageGroup", type="AWS::SageMaker::ModelPackageGroup"
        )
    )
    assert legacy_id != group_of(template)[0] and legacy_id in json.dumps(legacy(template, legacy_id)["Resources"])
    work = tmp_path_factory.mktemp("upgrade")
    (work / "legacy.template.json").write_text(json.dumps(legacy(template, legacy_id)))
    request = group_of(template)[1]["Properties"]["Request"]
    name = request["ModelPackageGroupName"]
    # What CloudFormation's own handler made of the old resource (the simulation does not run it).
    made = {
        "arn": f"arn:aws:sagemaker:{REGION}:{STAGING}:model-package-group/{name}",
        "description": request["ModelPackageGroupDescription"],
        "status": "Completed",
        "policy": {"Statement": []},
    }
    upgrade = simulate(
        assembly,
        str(work / "legacy.template.json"),
        {"recommendations": RECOMMENDATIONS, "polls_until_done": 0},
        [{"op": "create"}, {"op": "update", "template": template_file}],
        environment={"account": STAGING, "region": REGION, "stack_name": "Recommend"},
        workdir=work,
        state={"groups": {name: made}},
    )
    assert [s.failed for s in upgrade.steps] == [None, None], [s.failed for s in upgrade.steps]
    assert [c["operation"] for c in upgrade.calls_of(1)] == [
        "CreateModelPackageGroup",  # answered "already exists"
        "DescribeModelPackageGroup",
        "PutModelPackageGroupPolicy",
    ]
    assert list(upgrade.last.state["groups"]) == [name] and grants_production(upgrade.last.state["groups"][name])
    assert denied_handler_calls(upgrade, 1) == []


def test_production_reads_no_package_its_group_does_not_share(
    assembly: Path, promotion: dict[str, Simulation], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The fake answers another account's reads by the group's policy: a policy for another account, or no
    group, denies production's first read, so the Production stage above deploys through the policy."""
    shared = promotion["Serve"].last.state
    (name,) = shared["groups"]
    group = shared["groups"][name]
    elsewhere = json.loads(json.dumps(group["policy"]).replace(PRODUCTION, "999999999999"))
    for groups in ({name: {**group, "policy": elsewhere}}, {}):
        production = simulate(
            assembly,
            stage_template(assembly, "Production"),
            {"polls_until_done": 0},
            [{"op": "create", "may_fail": True}],
            environment={"account": PRODUCTION, "region": REGION, "stack_name": "Production"},
            workdir=tmp_path_factory.mktemp("unshared"),
            state={"packages": shared["packages"], "groups": groups},
        )
        failure = production.last.failed or ""
        assert "AccessDeniedException" in failure and "sagemaker:ListModelPackages" in failure, failure
