"""Growing gracefully: one provider per stack, a warning before CloudFormation's limits, and the
measuring script itself."""

from __future__ import annotations

import re
from dataclasses import replace

import aws_cdk as cdk
import measure_include_per_endpoint
import measure_synth
import pytest
from aws_cdk.assertions import Annotations, Match

from cdk_genai_inference import (
    DeploymentPolicy,
    InstancePool,
    InstancePoolEndpoint,
    Model,
    RecommendationGoal,
    RecommendationJob,
    RecommendedModels,
    RollbackAlarms,
    S3Location,
    WorkloadConfig,
)
from cdk_genai_inference._core.budget import count_resources
from permission_order import unwaited_policies
from synthesis import ENV, IMAGE, api_findings


def endpoint_stack(extra_resources: int) -> cdk.Stack:
    stack = cdk.Stack(cdk.App(), "Big", env=ENV)
    InstancePoolEndpoint(
        stack, "Endpoint", model=Model(stack, "Model", image_uri=IMAGE), instance_pools=[InstancePool("ml.g6.12xlarge")]
    )
    for index in range(extra_resources):
        cdk.CfnWaitConditionHandle(stack, f"Filler{index}")
    return stack


def test_a_stack_near_cloudformations_limits_is_warned_about() -> None:
    near = Annotations.from_stack(endpoint_stack(445))
    near.has_warning(
        "/Big", Match.string_like_regexp("this stack has 45\\d resources .* CloudFormation allows 500 resources")
    )
    calm_stack = endpoint_stack(10)
    calm = Annotations.from_stack(calm_stack)
    assert calm.find_warning("/Big", Match.string_like_regexp("this stack has")) == []
    assert api_findings(cdk.Stage.of(calm_stack).synth().get_stack_by_name("Big").template) == []


def test_the_budget_counts_the_stacks_own_resources_once_per_synth() -> None:
    """A nested stack's resources are in its own template; the check visits one marker, not every construct."""
    stack = endpoint_stack(3)
    nested = cdk.NestedStack(stack, "Nested")
    for index in range(7):
        cdk.CfnWaitConditionHandle(nested, f"Inner{index}")
    own = len(cdk.App.of(stack).synth().get_stack_by_name("Big").template["Resources"])
    assert count_resources(stack) == own
    assert count_resources(nested) == 7


def test_one_provider_serves_any_number_of_jobs_and_resolvers() -> None:
    def functions(jobs: int) -> int:
        app = cdk.App()
        stack = cdk.Stack(app, "Jobs", env=ENV)
        workload = WorkloadConfig(stack, "Workload")
        for index in range(jobs):
            job = RecommendationJob(
                stack,
                f"Job{index}",
                model_source=S3Location.from_uri(f"s3://models/m{index}/"),
                workload_config=workload,
                goal=RecommendationGoal.COST,
                instance_types=["ml.g6.12xlarge"],
                output=S3Location.from_uri("s3://artifacts/out/"),
            )
            RecommendedModels(stack, f"Models{index}", job=job)
        template = app.synth().get_stack_by_name("Jobs").template
        assert api_findings(template) == []
        return sum(
            1
            for r in template["Resources"].values()
            if r["Type"] in ("AWS::Lambda::Function", "AWS::StepFunctions::StateMachine")
        )

    assert functions(1) == functions(4)


def test_every_part_of_a_role_too_large_for_one_policy_is_waited_for() -> None:
    """Twenty guarded endpoints share one model's role: CDK moves what exceeds an inline policy into managed
    policies, and the model and every endpoint wait for those too (or an update could start before its
    rollback alarms are readable)."""
    stack = cdk.Stack(cdk.App(), "Large", env=ENV)
    model = Model(stack, "Model", image_uri=IMAGE)
    for index in range(20):
        InstancePoolEndpoint(
            stack,
            f"Endpoint{index}",
            model=model,
            instance_pools=[InstancePool("ml.p5.48xlarge"), InstancePool("ml.g6.48xlarge")],
            deployment=DeploymentPolicy.rolling(),
            rollback_alarms=RollbackAlarms(model_latency=cdk.Duration.seconds(30)),  # three alarms to read
            dashboard=False,
        )
    template = cdk.App.of(stack).synth().get_stack_by_name("Large").template
    split = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    assert split and all(
        r["Properties"]["Roles"] == [{"Ref": stack.get_logical_id(model.role.node.default_child)}] for r in split
    )
    assert unwaited_policies(template) == []


def test_the_measuring_script_reports_per_endpoint_cost_and_paired_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    """Run in this process (its jsii runtime is started already): a subprocess would start another."""
    assert measure_synth.main(["--counts", "1", "2", "--runs", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2 paired runs; seconds are medians, ratios min / median"
    assert lines[1].split() == [
        "endpoints", "resources", "bytes", "synth", "s", "L1", "s", "CfnInclude", "s", "vs", "L1", "vs", "CfnInclude"
    ]  # fmt: skip
    one, two = (line.split() for line in lines[2:4])
    assert int(two[1]) - int(one[1]) == 7  # resources per added endpoint (the dashboard is shared)
    for row in (one, two):
        low, slash, median = row[6:9]
        assert slash == "/" and 0 < float(low) <= float(median)
    assert lines[4].startswith("per added endpoint: 7.0 resources")


def test_the_measuring_script_can_count_cpu_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    assert measure_synth.main(["--counts", "1", "--runs", "1", "--clock", "cpu"]) == 0
    header, _, row = capsys.readouterr().out.splitlines()[:3]
    assert header == "1 paired runs; CPU seconds (this process and Node) are medians, ratios min / median"
    assert float(row.split()[3]) > float(row.split()[4]) > 0  # the library's synth costs more than the L1 replay


def test_the_measuring_script_leaves_features_out(capsys: pytest.CaptureFixture[str]) -> None:
    """Without every feature an endpoint is its configuration and itself: two resources each, beside the
    model's three (the model, its role and the role's policy)."""
    assert measure_synth.main(["--counts", "1", "2", "--runs", "1", "--without", *measure_synth.FEATURES]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "endpoints without: alarms, scaling, deployment, dashboard"
    assert [line.split()[:2] for line in lines[3:5]] == [["1", "5"], ["2", "7"]]


def test_the_measuring_script_leaves_out_the_deployment_and_so_its_alarms(capsys: pytest.CaptureFixture[str]) -> None:
    """Rollback alarms guard a deployment: without the deployment policy an endpoint has no alarms either,
    rather than the error the library gives for alarms without a deployment."""
    assert measure_synth.main(["--counts", "1", "--runs", "1", "--without", "deployment"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "endpoints without: deployment (and so without rollback alarms)"
    assert lines[3].split()[:2] == ["1", "8"]  # the 11 of a full endpoint less its 3 rollback alarms


ROUND_TRIPS_PER_ENDPOINT = 46
"""What one more endpoint with every feature takes in round trips to the jsii runtime: most of what the
library adds to a synth over the L1 replay of its template is these round trips (docs/performance.md)."""


def test_each_endpoint_takes_a_known_number_of_round_trips_to_the_jsii_runtime(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Counted, not timed, so the figure is the same on every run and every machine with the locked
    aws-cdk-lib and jsii: a change that adds a round trip per endpoint, or saves one, changes it here and
    in docs/performance.md on purpose. Afterwards the jsii runtime is spoken to uncounted again."""
    assert measure_synth.main(["--counts", "1", "2", "--runs", "1", "--clock", "round-trips"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "1 paired runs; round trips to the jsii runtime are medians, ratios min / median"
    assert lines[1].split()[3:] == ["synth", "L1", "CfnInclude", "vs", "L1"]  # no ratio to CfnInclude's few
    assert all(len(row.split()) == 9 for row in lines[2:4])
    per_endpoint = re.fullmatch(r"round trips per added endpoint: (\S+) \(the L1 replay: (\S+)\)", lines[-1])
    assert per_endpoint, lines[-1]
    library, replay = (float(n) for n in per_endpoint.groups())
    assert library == ROUND_TRIPS_PER_ENDPOINT, (
        f"{library:g} round trips per endpoint, not {ROUND_TRIPS_PER_ENDPOINT}: if a change (or a new aws-cdk-lib "
        "or jsii in requirements.lock) moved it, say so here and in docs/performance.md"
    )
    assert replay == 16  # a CfnResource and a logical id per resource, and two DependsOn
    assert "send" not in vars(measure_synth.jsii_runtime())


def test_the_measuring_script_times_nothing_in_its_warm_up_round(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every count is built and replayed once untimed, so Node's first compiling of each side is charged
    to no clock; then each of the runs is recorded."""
    built: list[int] = []

    def build(endpoints: int, **_: object) -> tuple[dict[str, object], float]:
        built.append(endpoints)
        return {"Resources": {}}, float(len(built))  # the n-th build takes n seconds

    monkeypatch.setattr(measure_synth, "build", build)
    monkeypatch.setattr(measure_synth, "replay_l1", lambda template, clock: 1.0)
    monkeypatch.setattr(measure_synth, "replay_include", lambda template, clock: 1.0)
    rows = measure_synth.measure([1, 10], runs=2)
    assert built == [1, 10, 1, 10, 1, 10]
    assert [row["synth"] for row in rows] == [[3.0, 5.0], [4.0, 6.0]]


def test_the_measuring_script_measures_aws_cdk_l2s_as_a_yardstick(capsys: pytest.CaptureFixture[str]) -> None:
    """Each set of aws-cdk-lib L2s is synthesized and its template replayed, like the endpoints."""
    assert measure_synth.main(["--counts", "1", "--runs", "1", "--aws-cdk"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("aws-cdk-lib's own L2s against their L1 replay, measured the same way:")
    rows = lines[start + 2 :]
    assert [row[:38].rstrip() for row in rows] == list(measure_synth.AWS_CDK_L2S)
    resources = [int(row[38:].split()[0]) for row in rows]
    assert resources == [30, 12, 20, 10]  # the alarms; the topics and their role and policy; buckets and policies
    for row in rows:
        low, slash, median = row.split()[-3:]
        assert slash == "/" and 0 < float(low) <= float(median)


def test_the_include_measurement_times_only_a_loading_that_gives_the_same_resources(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The template loaded as one ``CfnInclude`` per endpoint is timed only once the loaded stack
    synthesizes to the same resources: leaving out the dependencies across groups fails the check."""
    assert measure_include_per_endpoint.main(["--endpoints", "2", "--runs", "1", "--clock", "round-trips"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2 endpoints in 4 groups; 1 paired runs, round trips to the jsii runtime, medians"
    counts = {line[:22].rstrip(): float(line[22:].split()[0]) for line in lines[1:]}
    assert counts["CfnInclude per group"] < counts["L1 replay"] < counts["library"]

    written = measure_include_per_endpoint.fragments
    monkeypatch.setattr(
        measure_include_per_endpoint, "fragments", lambda *args: [replace(f, depends={}) for f in written(*args)]
    )
    assert measure_include_per_endpoint.main(["--endpoints", "2", "--runs", "1", "--clock", "round-trips"]) == 1
    assert capsys.readouterr().err == "the groups loaded with CfnInclude synthesize to other resources\n"
