"""The reference stacks deployed as CloudFormation would deploy them, minus AWS (tests/simulation): every
custom resource's handler runs from its synthesized asset, on the SDK the asset bundles, against fake
services whose requests and responses botocore validates; its attributes go back into the template, which
must then pass the API-model validation and say what was recommended. Every call a handler makes must be
allowed by the statements the template gives its role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aiperf_fixtures import tarball
from simulation.execution_roles import expected_requests
from simulation.harness import Simulation, Step, denied, denied_handler_calls, role_statements, simulate
from test_recommendation_resolution import recommendation

from api_model import validate_template
from conftest import REPO
from stacks.config import BenchmarkConfig, RecommendationConfig, ServingConfig
from stacks.recommendation_stacks import RecommendToServeStack
from stacks.serving_stack import ServingStack
from synthesis import ENV, of_type

CONTEXT: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]
ENVIRONMENT = {"account": ENV.account, "region": ENV.region, "stack_name": "Simulated"}
ARCHIVE = REPO / "tests" / "fixtures" / "aiperf-0.13-mock"
G6E, G6, G5 = "ml.g6e.12xlarge", "ml.g6.12xlarge", "ml.g5.12xlarge"


def package(version: int) -> str:
    return f"arn:aws:sagemaker:{{region}}:{{account}}:model-package/{{group}}/{version}"  # the job's account


def deploys_the_jobs_artifacts(recommendation: dict[str, Any]) -> dict[str, Any]:
    """The S3 channels a recommendation deploys are the job's own: the original weights and its output."""
    channels = [
        {"ChannelName": "base_model", "Uri": "{model_source}"},
        {"ChannelName": "model-output", "Uri": "{output}{group}/"},
    ]
    return {**recommendation, "DeploymentConfiguration": {**recommendation["DeploymentConfiguration"], "S3": channels}}


RECOMMENDATIONS = [  # the job's ranking, in the shape of the AWS sample's real response
    recommendation(
        G6E,
        spec="high-otps-on-g6e-12xlarge",
        copies=2,
        concurrency="88",
        environment={"SM_VLLM_TENSOR_PARALLEL_SIZE": "2"},
        package=package(1),
    ),
    recommendation(
        G6,
        spec="high-otps-on-g6-12xlarge",
        instances=2,
        concurrency="60",
        environment={"SM_VLLM_TENSOR_PARALLEL_SIZE": "4"},
        package=package(1),
    ),
    recommendation(G5, spec="high-otps-on-g5-12xlarge", copies=2, concurrency="40", package=package(2)),
]
RECOMMENDATIONS = [deploys_the_jobs_artifacts(r) for r in RECOMMENDATIONS]


def synthesize(outdir: Path, *, serving_only: bool = False, **context: Any) -> Path:
    app = cdk.App(outdir=str(outdir), context={**CONTEXT, **context})
    serving = ServingConfig.from_context(app.node)
    if not serving_only:
        RecommendToServeStack(
            app,
            "RecommendToServe",
            recommendation=RecommendationConfig.from_context(app.node),
            serving=serving,
            env=ENV,
        )
    ServingStack(app, "Serving", config=serving, benchmark=BenchmarkConfig.from_context(app.node), env=ENV)
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    strict = {"benchmark:minOutputTokensPerSecond": 1000000}
    return {
        "first": synthesize(tmp_path_factory.mktemp("first")),
        "changed": synthesize(tmp_path_factory.mktemp("changed"), **{"recommendation:inputTokensMean": 4000}),
        "strict": synthesize(tmp_path_factory.mktemp("strict"), serving_only=True, **strict),
    }


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The benchmark job's output.tar.gz: the real AIPerf 0.13 run of the fixtures."""
    path = tmp_path_factory.mktemp("output") / "output.tar.gz"
    path.write_bytes(tarball({"profile_export_aiperf.json": (ARCHIVE / "profile_export_aiperf.json").read_bytes()}))
    return str(path)


@pytest.fixture(scope="module")
def gated(assemblies: dict[str, Path], archive: str, tmp_path_factory: pytest.TempPathFactory) -> Simulation:
    """The serving stack: the endpoint, then a benchmark of it whose results gate the deployment."""
    return simulate(
        assemblies["first"],
        "Serving.template.json",
        {"benchmark_archive": archive, "polls_until_done": 1},
        [{"op": "create"}, {"op": "delete"}],
        environment=ENVIRONMENT,
        workdir=tmp_path_factory.mktemp("gated"),
    )


@pytest.fixture(scope="module")
def recommend_to_serve(assemblies: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Simulation:
    """Create (the job's Create retried once), update to a changed workload (a new job replaces the old), delete."""
    changed = tmp_path_factory.mktemp("changed-template")
    (changed / "RecommendToServe.template.json").write_text(
        (assemblies["changed"] / "RecommendToServe.template.json").read_text()
    )
    template = json.loads((assemblies["first"] / "RecommendToServe.template.json").read_text())
    job_id = next(k for k, r in template["Resources"].items() if r["Type"] == "Custom::AIRecommendationJob")
    return simulate(
        assemblies["first"],
        "RecommendToServe.template.json",
        {"recommendations": RECOMMENDATIONS, "polls_until_done": 2},
        [
            {"op": "create", "retry": [job_id]},
            {"op": "update", "template": str(changed / "RecommendToServe.template.json")},
            {"op": "delete"},
        ],
        environment=ENVIRONMENT,
        workdir=tmp_path_factory.mktemp("simulation"),
    )


def test_the_handlers_ran_on_the_sdk_the_asset_bundles(recommend_to_serve: Simulation) -> None:
    assert "/asset." in recommend_to_serve.sdk["from"]
    assert [s.failed for s in recommend_to_serve.steps] == [None, None, None]


def test_the_deployed_template_passes_the_api_model_validation(recommend_to_serve: Simulation) -> None:
    deployed = recommend_to_serve.steps[0].resolved(recommend_to_serve.template)
    assert [str(f) for f in validate_template(deployed)] == []


def test_the_recommendation_is_deployed_as_recommended(recommend_to_serve: Simulation) -> None:
    deployed = recommend_to_serve.steps[0].resolved(recommend_to_serve.template)
    (component,) = of_type(deployed, "AWS::SageMaker::InferenceComponent")
    props = component["Properties"]
    assert props["RuntimeConfig"]["CopyCount"] == "2"  # 1 instance x 2 copies of the first pool
    needs = {s["InstanceType"]: s["ComputeResourceRequirements"] for s in props["Specifications"]}
    assert {t: n["NumberOfAcceleratorDevicesRequired"] for t, n in needs.items()} == {G6E: "2", G6: "4", G5: "2"}
    (config,) = of_type(deployed, "AWS::SageMaker::EndpointConfig")
    assert config["Properties"]["ProductionVariants"][0]["InitialInstanceCount"] == "1"
    (policy,) = of_type(deployed, "AWS::ApplicationAutoScaling::ScalingPolicy")
    metrics = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"][
        "Metrics"
    ]
    expression = next(m["Expression"] for m in metrics if m.get("ReturnData"))
    # per copy: 88 / (1 x 2), 60 / (2 x 1), 40 / (1 x 2)
    assert expression.startswith(
        "(FILL(g6e_12xlarge_sum,0)/44 + FILL(g6_12xlarge_sum,0)/30 + FILL(g5_12xlarge_sum,0)/20)"
    )
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in metrics if "MetricStat" in m} == {
        "ConcurrentRequestsPerCopy"
    }
    (target,) = of_type(deployed, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["Properties"]["ResourceId"] == f"inference-component/{props['InferenceComponentName']}"


def test_the_rollback_alarms_the_endpoint_names_exist(recommend_to_serve: Simulation) -> None:
    deployed = recommend_to_serve.steps[0].resolved(recommend_to_serve.template)
    (component,) = of_type(deployed, "AWS::SageMaker::InferenceComponent")
    named = {a["AlarmName"] for a in component["Properties"]["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]}
    defined = {json.dumps(a["Properties"].get("AlarmName")) for a in of_type(deployed, "AWS::CloudWatch::Alarm")}
    refs = recommend_to_serve.steps[0].refs
    alarms = {
        refs[k] for k, r in recommend_to_serve.template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert len(named) == 4 and named <= alarms, (named, defined)


def test_the_packages_were_approved_and_the_resolution_recorded(recommend_to_serve: Simulation) -> None:
    packages = recommend_to_serve.steps[0].state["packages"]
    resolved = {arn: p for arn, p in packages.items() if p["status"] == "Approved"}
    assert len(resolved) == 2  # the two versions the resolution uses, and only those
    recorded = {key for p in resolved.values() for key in p["metadata"]}
    assert recorded == {f"cdk-genai-inference:{t}" for t in (G6E, G6, G5)}


def test_a_retried_create_adopts_the_job_and_the_waiter_runs_once(recommend_to_serve: Simulation) -> None:
    first = recommend_to_serve.steps[0]
    creates = [c for c in first.state["calls"] if c["operation"] == "CreateAIRecommendationJob"]
    assert len(creates) == 2  # the second got ResourceInUse and adopted the job
    starts = [c for c in first.state["calls"] if c["operation"] == "StartExecution"]
    assert len(starts) == 2 and len(first.state["executions"]) == 1  # a retried start is no second waiter
    (signal,) = [e for e in first.events if e["request"] == "Signal"]
    assert signal["status"] == "SUCCESS"


def test_a_poll_throttled_past_its_retries_is_polled_again_and_the_deployment_goes_on(
    assemblies: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The waiter's first poll is throttled at every attempt the handler makes: the state machine polls again
    and the job's outcome, not the throttling, signals the wait condition."""
    throttled = simulate(
        assemblies["first"],
        "RecommendToServe.template.json",
        {
            "recommendations": RECOMMENDATIONS,
            "polls_until_done": 2,
            "faults": {"DescribeAIRecommendationJob": ["ThrottlingException"] * 6},
        },
        [{"op": "create"}],
        environment=ENVIRONMENT,
        workdir=tmp_path_factory.mktemp("throttled"),
    )
    (step,) = throttled.steps
    assert step.failed is None, step.failed
    assert step.state["faults"] == {"DescribeAIRecommendationJob": []}  # all six were served
    (signal,) = [e for e in step.events if e["request"] == "Signal"]
    assert signal["status"] == "SUCCESS"


def test_a_job_whose_waiter_cannot_start_is_stopped_and_deleted_by_the_failed_create(
    assemblies: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The provider framework never passes on the Delete of a failed Create, so the Create itself stops and
    deletes its job, with calls the handler's role allows, and the stack event keeps the first failure."""
    denied_start = simulate(
        assemblies["first"],
        "RecommendToServe.template.json",
        {
            "recommendations": RECOMMENDATIONS,
            "polls_until_done": 2,
            "faults": {"StartExecution": ["AccessDeniedException"]},
        },
        [{"op": "create"}],
        environment=ENVIRONMENT,
        workdir=tmp_path_factory.mktemp("denied-start"),
    )
    (step,) = denied_start.steps
    (job,) = [
        c["params"]["AIRecommendationJobName"]
        for c in step.state["calls"]
        if c["operation"] == "CreateAIRecommendationJob"
    ]
    assert (
        step.failed is not None
        and (
            f"starting the waiter for AI recommendation job {job} failed: AccessDeniedException: injected by the "
            f"scenario; AI recommendation job {job} was stopped and deleted"
        )
        in step.failed
    ), step.failed
    operations = [c["operation"] for c in step.state["calls"] if c["service"] == "sagemaker"]
    assert operations[-4:] == [
        "DescribeAIRecommendationJob",
        "StopAIRecommendationJob",
        "DescribeAIRecommendationJob",
        "DeleteAIRecommendationJob",
    ]
    assert step.state["jobs"] == {}
    assert denied_handler_calls(denied_start, 0) == []


def test_an_update_that_replaces_the_job_keeps_the_old_one_it_completed(recommend_to_serve: Simulation) -> None:
    """CloudFormation deletes the replaced job's resource after the update; a completed job stays, for a
    later stage that still reads it (and that stage's rollback)."""
    first, update = recommend_to_serve.steps[0], recommend_to_serve.steps[1]
    old_jobs = set(first.state["jobs"])
    assert len(old_jobs) == 1
    assert old_jobs < set(update.state["jobs"]) and len(update.state["jobs"]) == 2
    deletes = {e["physical"] for e in update.events[len(first.events) :] if e["request"] == "Delete"}
    old_name = next(iter(old_jobs)).split("/", 1)[1]
    assert deletes == {old_name, f"{old_name}:priority"}  # the old job, and the resolution of it (a no-op)
    calls = [c["operation"] for c in update.state["calls"][len(first.state["calls"]) :] if old_name in str(c["params"])]
    assert "DescribeAIRecommendationJob" in calls and "DeleteAIRecommendationJob" not in calls


def test_delete_stops_nothing_and_keeps_the_completed_jobs(recommend_to_serve: Simulation) -> None:
    update, delete = recommend_to_serve.steps[1], recommend_to_serve.steps[2]
    assert delete.state["jobs"].keys() == update.state["jobs"].keys()
    assert {j["status"] for j in delete.state["jobs"].values()} == {"Completed"}
    calls = {c["operation"] for c in delete.state["calls"][len(update.state["calls"]) :]}
    assert not calls & {"StopAIRecommendationJob", "DeleteAIRecommendationJob"}, calls


def test_every_call_the_handlers_made_is_allowed_by_their_role(recommend_to_serve: Simulation) -> None:
    """Also the old job's delete after the update that replaced it: by then the role's policy names the new
    job, so the grant must cover every job this construct names, not only the current one."""
    for index in range(len(recommend_to_serve.steps)):
        assert denied_handler_calls(recommend_to_serve, index) == [], recommend_to_serve.steps[index].op


def test_every_role_sagemaker_assumes_may_do_what_sagemaker_does_with_it(recommend_to_serve: Simulation) -> None:
    """The models' role (image pulls, the packages' S3 channels, logs, metrics, the rollback alarms), the
    component endpoint's role, and the recommendation job's role (model, output, quotas, packages, images)."""
    step = recommend_to_serve.steps[0]
    deployed = step.resolved(recommend_to_serve.template)
    needs = expected_requests(recommend_to_serve.template, deployed, step.state["recommendations"], ENVIRONMENT)
    kinds = {recommend_to_serve.template["Resources"][role]["Properties"]["Description"] for role in needs}
    assert len(kinds) == 3, kinds  # the models' role, the endpoint's role, the job's role
    for role, requests in needs.items():
        assert denied(role_statements(recommend_to_serve.template, step, role), requests) == [], role


def test_the_benchmark_gate_reads_the_results_into_the_stack(gated: Simulation) -> None:
    assert [s.failed for s in gated.steps] == [None, None]
    (results_id,) = [k for k, r in gated.template["Resources"].items() if r["Type"] == "Custom::AIBenchmarkResults"]
    figures = gated.steps[0].attributes[results_id]
    assert figures["JobStatus"] == "Completed" and figures["FailureReason"] == "none"
    assert float(figures["OutputTokenThroughput"]) > 500 and float(figures["RequestLatencyP99"]) < 30000
    deployed = gated.steps[0].resolved(gated.template)
    assert [str(f) for f in validate_template(deployed)] == []
    outputs = {k: v["Value"] for k, v in gated.template.get("Outputs", {}).items()}
    assert any(value == {"Fn::GetAtt": [results_id, "RequestLatencyP99"]} for value in outputs.values())


def test_a_stopped_job_of_the_same_definition_is_started_again(
    gated: Simulation, assemblies: dict[str, Path], archive: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A stopped job of the run's name (a cleanup that could not finish) exists: the create deletes it and
    starts the run again, instead of adopting it and failing on its status, with the calls its role allows."""
    stopped = {name: {**job, "status": "Stopped"} for name, job in gated.steps[0].state["jobs"].items()}
    (name,) = [key.split("/", 1)[1] for key in stopped]
    again = simulate(
        assemblies["first"],
        "Serving.template.json",
        {"benchmark_archive": archive, "polls_until_done": 1},
        [{"op": "create"}],
        environment=ENVIRONMENT,
        workdir=tmp_path_factory.mktemp("stopped"),
        state={"jobs": stopped},
    )
    assert again.last.failed is None, again.last.failed
    calls = [(c["operation"], c["params"].get("AIBenchmarkJobName")) for c in again.calls_of(0)]
    lifecycle = [c for c in calls if c[0] in ("CreateAIBenchmarkJob", "DeleteAIBenchmarkJob")]
    assert lifecycle == [("CreateAIBenchmarkJob", name), ("DeleteAIBenchmarkJob", name), ("CreateAIBenchmarkJob", name)]
    assert again.last.state["jobs"][f"benchmark/{name}"]["status"] == "Completed"
    assert denied_handler_calls(again, 0) == []


def test_a_gate_the_benchmark_breaches_fails_the_deployment_with_the_figures(
    assemblies: dict[str, Path], archive: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    strict = simulate(
        assemblies["strict"],
        "Serving.template.json",
        {"benchmark_archive": archive, "polls_until_done": 1},
        [{"op": "create"}],
        environment=ENVIRONMENT,
        workdir=tmp_path_factory.mktemp("strict"),
    )
    failure = strict.steps[0].failed
    assert failure is not None and "breaches its SLA" in failure, failure
    assert "OutputTokenThroughput measured" in failure, failure
    # The rollback deletes what the create made (the provider framework drops the failed Create's Delete).
    (job_id,) = [k for k, r in strict.template["Resources"].items() if r["Type"] == "Custom::AIBenchmarkJob"]
    deleted = [e["resource"] for e in strict.steps[0].events if e["request"] == "Delete"]
    assert failure.endswith("; ROLLBACK_COMPLETE") and deleted == [job_id], (failure, deleted)


def slow_rerun(work: Path) -> tuple[Path, Path]:
    """A run's archive under the gate's 500 tokens/s, and the assembly of a changed workload (a new run)."""
    profile = json.loads((ARCHIVE / "profile_export_aiperf.json").read_text())
    profile["output_token_throughput"]["avg"] = 50.0
    slow = work / "slow.tar.gz"
    slow.write_bytes(tarball({"profile_export_aiperf.json": json.dumps(profile).encode()}))
    return slow, synthesize(work / "changed", serving_only=True, **{"benchmark:outputTokensMean": 300})


def test_a_rerun_that_breaches_the_gate_rolls_back_to_the_first_runs_results_and_a_retry_measures_again(
    assemblies: dict[str, Path], archive: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A changed workload benchmarks again; the new run breaches the gate, and CloudFormation updates the
    results back to the first run's job. They are read again from that job's output, which the second run
    must not have replaced, whatever key the service writes (the fake writes the same key for every run).
    The rollback deletes the breaching run, so the retried update measures again (and this time passes)."""
    work = tmp_path_factory.mktemp("rerun")
    slow, changed = slow_rerun(work)
    update = {"op": "update", "template": str(changed / "Serving.template.json")}
    rerun = simulate(
        assemblies["first"],
        "Serving.template.json",
        {"benchmark_archive": [archive, str(slow)], "polls_until_done": 1},  # the third run is fast again
        [{"op": "create"}, {**update, "may_fail": True}, update],
        environment=ENVIRONMENT,
        workdir=work,
    )
    first, breached, retried = rerun.steps
    failure = breached.failed or ""
    assert "breaches its SLA" in failure and "OutputTokenThroughput measured 50" in failure, failure
    assert failure.endswith("UPDATE_ROLLBACK_COMPLETE"), failure
    (results_id,) = [k for k, r in rerun.template["Resources"].items() if r["Type"] == "Custom::AIBenchmarkResults"]
    results_events = [e for e in breached.events[len(first.events) :] if e["resource"] == results_id]
    assert ["failed" in e for e in results_events] == [True, False]  # the re-run's Update, then the one back
    (first_job,) = [name.split("/", 1)[1] for name in first.state["jobs"]]
    calls = rerun.calls_of(1)
    reads = [c["params"]["Key"] for c in calls if c["operation"] == "GetObject"]
    assert len(reads) == 2 and first_job not in reads[0] and first_job in reads[1], (
        reads
    )  # the re-run's, then the first's
    assert breached.attributes[results_id] == first.attributes[results_id]
    (second_job,) = [c["params"]["AIBenchmarkJobName"] for c in calls if c["operation"] == "CreateAIBenchmarkJob"]
    deleted = [c["params"]["AIBenchmarkJobName"] for c in calls if c["operation"] == "DeleteAIBenchmarkJob"]
    assert deleted == [second_job] and set(breached.state["jobs"]) == set(first.state["jobs"]), deleted
    assert denied_handler_calls(rerun, 1) == []  # the older run's folder is readable under the newer policy
    created = [c["params"]["AIBenchmarkJobName"] for c in rerun.calls_of(2) if c["operation"] == "CreateAIBenchmarkJob"]
    assert retried.failed is None and created == [second_job], (retried.failed, created)
    assert float(retried.attributes[results_id]["OutputTokenThroughput"]) > 500
    # The update's cleanup deletes the first run's resource, and its completed job is kept.
    assert set(retried.state["jobs"]) == {f"benchmark/{first_job}", f"benchmark/{second_job}"}


def test_the_rollback_cleanup_runs_under_the_old_policy(
    assemblies: dict[str, Path], archive: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """CloudFormation puts the provider's old policy back before the cleanup deletes the failed update's
    run. A stack deployed before the provider could read its stack's status and resources (planted: the
    statement taken out of the first template) cannot tell in that first rollback, so it keeps the run
    (README, Delete)."""
    work = tmp_path_factory.mktemp("old-policy")
    template = json.loads((assemblies["first"] / "Serving.template.json").read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            statements = resource["Properties"]["PolicyDocument"]["Statement"]
            statements[:] = [s for s in statements if "cloudformation:DescribeStacks" not in s["Action"]]
    (assemblies["first"] / "BeforeUpgrade.template.json").write_text(json.dumps(template))
    slow, changed = slow_rerun(work)
    upgraded = simulate(
        assemblies["first"],
        "BeforeUpgrade.template.json",
        {"benchmark_archive": [archive, str(slow)], "polls_until_done": 1},
        [{"op": "create"}, {"op": "update", "template": str(changed / "Serving.template.json"), "may_fail": True}],
        environment=ENVIRONMENT,
        workdir=work,
    )
    assert "breaches its SLA" in (upgraded.last.failed or "")
    denied_calls = denied_handler_calls(upgraded, 1)
    denied_actions = sorted(call.split(" ")[0] for call in denied_calls)
    assert denied_actions == ["cloudformation:DescribeStacks", "cloudformation:ListStackResources"], denied_calls


def test_the_gated_stacks_roles_may_do_what_their_calls_and_sagemaker_need(gated: Simulation) -> None:
    for index in range(len(gated.steps)):
        assert denied_handler_calls(gated, index) == [], gated.steps[index].op
    step = gated.steps[0]
    needs = expected_requests(gated.template, step.resolved(gated.template), [], ENVIRONMENT)
    kinds = {gated.template["Resources"][role]["Properties"]["Description"] for role in needs}
    assert len(kinds) == 2, kinds  # the model's role, the benchmark job's role
    for role, requests in needs.items():
        assert denied(role_statements(gated.template, step, role), requests) == [], role


def test_a_roles_statements_include_every_policy_attached_to_it() -> None:
    """A role whose statements CDK split past an inline policy's size keeps the rest in managed policies
    (``OverflowPolicyN``), and a template may attach an ``AWS::IAM::RolePolicy`` too: what the simulation
    allows a role comes from all of its policies, and from no other role's."""

    def document(action: str) -> dict[str, Any]:
        return {"Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}

    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "ManagedPolicyArns": [{"Ref": "Attached"}],
                    "Policies": [{"PolicyName": "Inline", "PolicyDocument": document("a:Inline")}],
                },
            },
            "Default": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": document("a:Default")}},
            "Overflow": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": document("a:Overflow")}},
            "Attached": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": document("a:Attached")}},
            "Other": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Another": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Roles": [{"Ref": "Other"}], "PolicyDocument": document("a:Other")}},
            "Single": {"Type": "AWS::IAM::RolePolicy", "Properties": {"RoleName": {"Ref": "Role"}, "PolicyName": "Single", "PolicyDocument": document("a:Single")}},
            "Elsewhere": {"Type": "AWS::IAM::RolePolicy", "Properties": {"RoleName": {"Ref": "Other"}, "PolicyName": "Elsewhere", "PolicyDocument": document("a:Elsewhere")}},
        }
    }  # fmt: skip
    step = Step(op="create", failed=None, refs={}, attributes={}, events=[], state={}, environment=ENVIRONMENT)
    actions = sorted(s["Action"] for s in role_statements(template, step, "Role"))
    assert actions == ["a:Attached", "a:Default", "a:Inline", "a:Overflow", "a:Single"]
