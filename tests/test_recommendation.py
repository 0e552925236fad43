"""RecommendationJob and RecommendedModels: the custom resources, waiting, IAM and per-pool models."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match

from cdk_genai_inference import (
    Framework,
    InstancePoolEndpoint,
    JobWait,
    LoraAdapter,
    MlflowTracking,
    PackageApproval,
    PoolOrder,
    RecommendationGoal,
    RecommendationHosting,
    RecommendationJob,
    RecommendedModels,
    S3Location,
    TokenDistribution,
    ValidationError,
    WorkloadConfig,
)
from synthesis import ENV, check_with_nag, lint, new_stack, synth

TYPES = ["ml.g6e.12xlarge", "ml.g6.12xlarge", "ml.g5.12xlarge"]
SOURCE = "s3://genai-models-111122223333/llama-3.1-8b/"
OUTPUT = "s3://genai-artifacts-111122223333/recommendations/"
MLFLOW = "arn:aws:sagemaker:us-west-2:111122223333:mlflow-app/app-abc123"


def job_props(stack: cdk.Stack, **overrides: Any) -> dict[str, Any]:
    workload = stack.node.try_find_child("Workload") or WorkloadConfig(
        stack, "Workload", input_tokens=TokenDistribution(3500), output_tokens=TokenDistribution(200)
    )
    props = {
        "model_source": S3Location.from_uri(SOURCE),
        "workload_config": workload,
        "goal": RecommendationGoal.THROUGHPUT,
        "output": S3Location.from_uri(OUTPUT),
        "instance_types": TYPES,
    }
    props.update(overrides)
    return props


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "Recommend", env=ENV)
    job = RecommendationJob(
        stack,
        "Job",
        **job_props(
            stack,
            framework=Framework.VLLM,
            optimize_model=True,
            capacity_reservation_arns=["arn:aws:sagemaker:us-west-2:111122223333:ml-reservation/rc-1"],
            adapters=[LoraAdapter("sql", s3_uri="s3://genai-adapters-111122223333/sql/")],
            mlflow=MlflowTracking(MLFLOW, experiment_name="llama-sizing"),
            tags={"team": "ml-platform"},
            wait=JobWait.in_deployment(Duration.hours(6), poll_interval=Duration.minutes(10)),
        ),
    )
    second = RecommendationJob(stack, "NoWait", **job_props(stack, goal=RecommendationGoal.COST, wait=JobWait.none()))
    models = RecommendedModels(stack, "Models", job=job, max_concurrency={"ml.g5.12xlarge": 6})
    ranked = RecommendedModels(
        stack,
        "Ranked",
        job=job,
        instance_types=TYPES[:2],
        order=PoolOrder.RANKING,
        hosting=RecommendationHosting.SINGLE_MODEL,
        approval=PackageApproval.APPROVE_ON_RESOLVE,
    )
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        instance_pools=models.instance_pools,
        inference_components=models.inference_components,
        initial_instance_count=models.initial_instance_count,
        dashboard=False,
    )
    scaling = endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
    ranked_endpoint = InstancePoolEndpoint(
        stack, "RankedEndpoint", instance_pools=ranked.instance_pools, dashboard=False
    )
    ranked_scaling = ranked_endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
    check_with_nag(app)
    template = app.synth().get_stack_by_name("Recommend").template  # raises on any cdk-nag finding
    return {
        "stack": stack,
        "job": job,
        "second": second,
        "models": models,
        "ranked": ranked,
        "scaling": scaling,
        "endpoint": endpoint,
        "ranked_endpoint": ranked_endpoint,
        "ranked_scaling": ranked_scaling,
        "template": template,
    }


def resources(built: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in built["template"]["Resources"].items() if v["Type"] == kind}


def props_of(built: dict[str, Any], construct: Any) -> dict[str, Any]:
    return built["template"]["Resources"][built["stack"].get_logical_id(construct.node.default_child)]["Properties"]


def test_template_passes_cfn_lint(built: dict[str, Any]) -> None:
    assert lint(built["template"]) == []


def test_job_request_carries_every_option(built: dict[str, Any]) -> None:
    job = built["job"]
    request = props_of(built, job.resource)["Request"]
    stack = built["stack"]
    assert request == {
        "AIRecommendationJobName": job.job_name,
        "ModelSource": {"S3": {"S3Uri": SOURCE}},
        "OutputConfig": {
            "S3OutputLocation": OUTPUT,
            "MlflowConfig": {"MlflowResourceArn": MLFLOW, "MlflowExperimentName": "llama-sizing"},
        },
        "AIWorkloadConfigIdentifier": stack.node.find_child("Workload").workload_config_name,
        "PerformanceTarget": {"Constraints": [{"Metric": "throughput"}]},
        "RoleArn": {"Fn::GetAtt": [stack.get_logical_id(job.role.node.default_child), "Arn"]},
        "InferenceSpecification": {"Framework": "VLLM"},
        "OptimizeModel": True,
        "ComputeSpec": {
            "InstanceTypes": TYPES,
            "CapacityReservationConfig": {
                "CapacityReservationPreference": "capacity-reservations-only",
                "MlReservationArns": ["arn:aws:sagemaker:us-west-2:111122223333:ml-reservation/rc-1"],
            },
        },
        "AdapterSource": {"S3Uris": [{"AdapterId": "sql", "S3Uri": "s3://genai-adapters-111122223333/sql/"}]},
        "Tags": [{"Key": "team", "Value": "ml-platform"}],
    }
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", job.job_name)


def test_waiting_job_has_a_wait_condition_bounded_as_asked(built: dict[str, Any]) -> None:
    job = built["job"]
    wait = props_of(built, job.resource)["Wait"]
    assert (wait["TimeoutSeconds"], wait["PollSeconds"]) == (21600, 600)
    conditions = resources(built, "AWS::CloudFormation::WaitCondition")
    assert len(conditions) == 1  # the second job does not wait
    (condition,) = conditions.values()
    assert condition["Properties"]["Timeout"] == "21600"
    assert condition["DependsOn"] == [built["stack"].get_logical_id(job.resource.node.default_child)]
    assert "Wait" not in props_of(built, built["second"].resource)


def test_models_wait_for_the_job_to_complete(built: dict[str, Any]) -> None:
    resolution = built["template"]["Resources"][
        built["stack"].get_logical_id(built["models"].resource.node.default_child)
    ]
    (condition_id,) = resources(built, "AWS::CloudFormation::WaitCondition")
    assert condition_id in resolution["DependsOn"]
    assert resolution["Properties"]["InstanceTypes"] == TYPES
    assert resolution["Properties"]["Order"] == "priority"


def test_job_name_follows_the_definition(built: dict[str, Any]) -> None:
    stack = new_stack()
    first = RecommendationJob(stack, "A", **job_props(stack))
    same = RecommendationJob(new_stack(), "A", **job_props(new_stack()))
    other = RecommendationJob(stack, "B", **job_props(stack, job_name_prefix="llama-sizing", optimize_model=True))
    rerun = RecommendationJob(
        stack, "C", **job_props(stack, job_name_prefix="llama-sizing", optimize_model=True, run_token="2")
    )
    assert first.job_name == same.job_name
    assert other.job_name.startswith("llama-sizing-") and len(other.job_name) == len("llama-sizing-") + 10
    assert rerun.job_name != other.job_name


def test_two_jobs_of_a_stack_may_not_name_the_same_job() -> None:
    """A job_name_prefix and a role of one's own make the name follow the definition alone; two constructs of
    that definition would share one job, which both would drive."""
    stack = new_stack()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    first = RecommendationJob(stack, "A", **job_props(stack, job_name_prefix="llama-sizing", role=role))
    RecommendationJob(stack, "C", **job_props(stack, job_name_prefix="llama-sizing", role=role, run_token="2"))
    with pytest.raises(ValidationError) as refused:
        RecommendationJob(stack, "B", **job_props(stack, job_name_prefix="llama-sizing", role=role))
    assert str(refused.value) == (
        f"job_name_prefix 'llama-sizing' of Test/B names job {first.job_name}, which Test/A names already (the "
        "same definition and role): give one of them another job_name_prefix or run_token"
    )


def test_one_provider_serves_every_job_and_resolver(built: dict[str, Any]) -> None:
    functions = resources(built, "AWS::Lambda::Function")
    ours = [f for f in functions.values() if f["Properties"].get("Handler", "").startswith("ai_jobs_handler.")]
    assert sorted(f["Properties"]["Handler"] for f in ours) == [
        "ai_jobs_handler.is_complete",
        "ai_jobs_handler.on_event",
        "ai_jobs_handler.poll",
    ]
    assert all(f["Properties"]["Runtime"] == "python3.14" for f in ours)
    assert len(resources(built, "AWS::StepFunctions::StateMachine")) == 2  # our waiter, the framework's retry loop
    tokens = {
        json.dumps(r["Properties"]["ServiceToken"])
        for r in built["template"]["Resources"].values()
        if r["Type"].startswith("Custom::")
    }
    assert len(tokens) == 1


def statements(built: dict[str, Any], role: Any) -> list[dict[str, Any]]:
    role_id = built["stack"].get_logical_id(role.node.default_child)
    found = []
    for policy in resources(built, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def test_handler_role_acts_only_on_this_stacks_jobs(built: dict[str, Any]) -> None:
    provider = built["stack"].node.find_child("CdkGenAiInferenceAiJobs")
    granted = statements(built, provider.role)
    sagemaker = [s for s in granted if any(a.startswith("sagemaker:") for a in _list(s["Action"]))]
    assert sagemaker and all(s["Resource"] != "*" for s in sagemaker)
    job_arns = {
        json.dumps(r) for s in sagemaker for r in _list(s["Resource"]) if "ai-recommendation-job" in json.dumps(r)
    }
    for job in (built["job"], built["second"]):  # each construct's jobs: its stem and any definition hash
        family = f"ai-recommendation-job/{job.job_name[:-10]}??????????"
        assert any(family in arn for arn in job_arns), (family, job_arns)
    passes = [s for s in granted if s["Action"] == "iam:PassRole"]
    assert len(passes) == 2
    for statement in passes:
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
        assert "Fn::GetAtt" in statement["Resource"]


def test_execution_role_reads_the_model_writes_the_output_and_nothing_broader(built: dict[str, Any]) -> None:
    granted = statements(built, built["job"].role)
    by_action = {tuple(sorted(_list(s["Action"]))): s for s in granted}
    reads = [json.dumps(s["Resource"]) for s in granted if _list(s["Action"]) == ["s3:GetObject"]]
    assert sorted(re.search(r':s3:::([^"]+)"', r)[1] for r in reads) == [  # the model and its LoRA adapter
        "genai-adapters-111122223333/sql/*",
        SOURCE.removeprefix("s3://") + "*",
    ]
    writes = by_action[("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject")]
    assert json.dumps(writes["Resource"]).endswith('recommendations/*"]]}')
    assert not any("s3:DeleteObject" in json.dumps(s["Action"]) for s in granted)
    assert (
        by_action[("sagemaker-mlflow:*", "sagemaker:CallMlflowAppApi", "sagemaker:DescribeMlflowApp")]["Resource"]
        == MLFLOW
    )
    quotas = by_action[("servicequotas:GetAWSDefaultServiceQuota", "servicequotas:GetServiceQuota")]
    assert by_action[("servicequotas:ListServiceQuotas",)]["Resource"] == "*"  # no resource ARNs exist for it
    assert ":servicequotas:us-west-2:111122223333:sagemaker/*" in json.dumps(quotas["Resource"])


def test_one_model_per_pool_runs_the_package_and_its_specification(built: dict[str, Any]) -> None:
    resolution_id = built["stack"].get_logical_id(built["models"].resource.node.default_child)
    for position, pool in enumerate(built["models"].pools, start=1):
        container = props_of(built, pool.model)["PrimaryContainer"]
        assert container == {
            "ModelPackageName": {"Fn::GetAtt": [resolution_id, f"Pool{position}.ModelPackageArn"]},
            "InferenceSpecificationName": {"Fn::GetAtt": [resolution_id, f"Pool{position}.InferenceSpecificationName"]},
        }


def test_pools_take_the_recommendations_concurrency_per_copy_unless_overridden(built: dict[str, Any]) -> None:
    resolution_id = built["stack"].get_logical_id(built["models"].resource.node.default_child)
    expression = built["stack"].resolve(built["scaling"].expression)
    parts = expression["Fn::Join"][1]
    assert {"Fn::GetAtt": [resolution_id, "Pool1.MaxConcurrencyPerCopy"]} in parts
    assert {"Fn::GetAtt": [resolution_id, "Pool2.MaxConcurrencyPerCopy"]} in parts
    assert "FILL(g5_12xlarge_sum,0)/6)" in "".join(p for p in parts if isinstance(p, str))


def test_single_model_pools_divide_by_the_concurrency_per_instance(built: dict[str, Any]) -> None:
    ranked_id = built["stack"].get_logical_id(built["ranked"].resource.node.default_child)
    parts = built["stack"].resolve(built["ranked_scaling"].expression)["Fn::Join"][1]
    assert {"Fn::GetAtt": [ranked_id, "Pool1.MaxConcurrencyPerInstance"]} in parts
    assert not any("PerCopy" in json.dumps(p) for p in parts)


def test_ranking_order_resolves_instance_types_at_deploy_time(built: dict[str, Any]) -> None:
    ranked_id = built["stack"].get_logical_id(built["ranked"].resource.node.default_child)
    config = built["template"]["Resources"][built["stack"].get_logical_id(built["ranked_endpoint"].endpoint_config)][
        "Properties"
    ]
    pools = config["ProductionVariants"][0]["InstancePools"]
    assert [p["InstanceType"] for p in pools] == [
        {"Fn::GetAtt": [ranked_id, "Pool1.InstanceType"]},
        {"Fn::GetAtt": [ranked_id, "Pool2.InstanceType"]},
    ]
    assert [p["Priority"] for p in pools] == [1, 2]


def test_an_imported_job_is_resolved_by_name(built: dict[str, Any]) -> None:
    stack = new_stack("Serving")
    job = RecommendationJob.from_job_name(stack, "Job", "llama-sizing-0123456789")
    models = RecommendedModels(
        stack, "Models", job=job, instance_types=["ml.g6e.12xlarge"], model_data=[S3Location.from_uri(OUTPUT)]
    )
    InstancePoolEndpoint(
        stack,
        "Endpoint",
        instance_pools=models.instance_pools,
        inference_components=models.inference_components,
        dashboard=False,
    )
    template = synth(stack).to_json()
    resolution = next(r for r in template["Resources"].values() if r["Type"] == "Custom::RecommendedModels")
    assert resolution["Properties"]["JobName"] == "llama-sizing-0123456789"
    assert "DependsOn" not in resolution or not any("Completion" in d for d in resolution["DependsOn"])
    assert not [r for r in template["Resources"].values() if r["Type"] == "Custom::AIRecommendationJob"]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


ERRORS = [
    (
        {"instance_types": [*TYPES, "ml.g6.2xlarge"]},
        "instance_types allows at most 3 instance types per recommendation job, got 4",
    ),
    (
        {"instance_types": ["ml.m5.large"]},
        "instance_types[0] got 'ml.m5.large', which is not a valid instance type for AI recommendation jobs",
    ),
    (
        {"instance_types": ["ml.g6.12xlarge", "ml.g6.12xlarge"]},
        "instance_types must be unique, got 'ml.g6.12xlarge' more than once",
    ),
    ({"goal": "throughput"}, "goal must be a RecommendationGoal, got 'throughput'; allowed: COST, LATENCY, THROUGHPUT"),
    ({"adapters": [LoraAdapter("sql")]}, "adapters[0] needs exactly one of s3_uri and model_package_arn"),
    (
        {"adapters": [LoraAdapter("sql_v2", s3_uri="s3://a/b/")]},
        "adapters[0].adapter_id must be letters, digits and inner hyphens, got 'sql_v2'",
    ),
    # The grants and the resolver name the group's packages in the stack's account and region.
    (
        {"model_package_group": "arn:aws:sagemaker:us-west-2:999999999999:model-package-group/registry"},
        "model_package_group 'arn:aws:sagemaker:us-west-2:999999999999:model-package-group/registry' is in "
        "account 999999999999, not in this stack's (111122223333)",
    ),
    (
        {"model_package_group": "arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/registry"},
        "is in region eu-west-1, not in this stack's (us-west-2)",
    ),
    (
        {"adapters": [LoraAdapter(f"a{i}", s3_uri="s3://a/b/") for i in range(11)]},
        "adapters allows at most 10 LoRA adapters, got 11",
    ),
    (
        {"job_name_prefix": "my_job"},
        "job_name_prefix must be 1-52 lower-case letters, digits and hyphens (not at the ends), got 'my_job'",
    ),
    # Both name the job: a deploy-time value would be hashed or mangled into a name that never follows it.
    ({"job_name_prefix": cdk.Aws.STACK_NAME}, "job_name_prefix must be known at synth (it names the job)"),
    ({"run_token": cdk.Aws.STACK_NAME}, "run_token must be known at synth (it names the job)"),
    (
        {"mlflow": MlflowTracking("arn:short")},
        "the CreateAIRecommendationJob request would be rejected: Invalid length for parameter "
        "OutputConfig.MlflowConfig.MlflowResourceArn, value: 9, valid min length: 20",
    ),
    # What ParamValidator leaves out, and the API-model validator found reaching the service:
    (
        {"mlflow": MlflowTracking(MLFLOW, experiment_name="llama sizing")},
        "the CreateAIRecommendationJob request would be rejected: OutputConfig.MlflowConfig.MlflowExperimentName "
        "must match [a-zA-Z0-9\\-_./]+, got 'llama sizing'",
    ),
    (
        {"mlflow": MlflowTracking("arn:aws:sagemaker:us-west-2:111122223333:mlflow-server/x")},
        "OutputConfig.MlflowConfig.MlflowResourceArn must match arn:aws[a-z\\-]*:sagemaker:",
    ),
    (
        # An ML reservation's ARN names an ml-reservation (at most 14 characters of resource type), not reserved capacity
        {"capacity_reservation_arns": ["arn:aws:sagemaker:us-west-2:111122223333:reserved-capacity/rc-1"]},
        "ComputeSpec.CapacityReservationConfig.MlReservationArns[0] must match "
        "arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:[a-z0-9\\-]{1,14}/.*, got 'arn:aws:sagemaker:us-west-2:111122223333:reserved-capacity/rc-1'",
    ),
    ({"tags": {"owner": "ml!"}}, "tags values must be 0-256 letters, digits, spaces and _.:/=+-@, got 'ml!'"),
    (
        {"removal_policy": cdk.RemovalPolicy.SNAPSHOT},
        "removal_policy must be RemovalPolicy.RETAIN or RemovalPolicy.DESTROY, got RemovalPolicy.SNAPSHOT",
    ),
    (
        {"model_source": S3Location.from_uri("s3://models/" + "m" * 1100 + "/")},
        "ModelSource.S3.S3Uri allows at most 1024 characters, got 1113",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), ERRORS, ids=[m[:50] for _, m in ERRORS])
def test_job_rejects(overrides: dict[str, Any], message: str) -> None:
    stack = new_stack()
    with pytest.raises(ValidationError, match=re.escape(message)):
        RecommendationJob(stack, "Job", **job_props(stack, **overrides))
    assert stack.node.try_find_child("Job") is None, "a rejected job leaves nothing half-built in the tree"


def test_a_job_of_this_account_is_imported_with_a_group_of_this_account() -> None:
    stack = new_stack()
    group = "arn:aws:sagemaker:us-west-2:111122223333:model-package-group/registry"
    assert (
        RecommendationJob.from_job_name(stack, "Own", "job", model_package_group=group).model_package_group
        == "registry"
    )
    with pytest.raises(ValidationError, match=re.escape("RecommendedModels(model_package_group_arn=...)")):
        RecommendationJob.from_job_name(
            stack, "Other", "job", model_package_group=group.replace("111122223333", "999999999999")
        )


def test_an_imported_job_is_of_a_family_only_when_its_prefix_says_so() -> None:
    """A name that only looks like ``<stem>-<hash>`` (a date, say) must not widen the readers' grants to
    its whole stem; ``job_name_prefix`` says it is one this library named."""
    stack = new_stack()
    assert RecommendationJob.from_job_name(stack, "Dated", "nightly-2026061509").job_family is None
    named = RecommendationJob.from_job_name(stack, "Named", "nightly-2026061509", job_name_prefix="nightly")
    assert named.job_family == "nightly-??????????"
    # The dated one is warned about: a job this library named, imported before its job or from another
    # app without its prefix, would lose its readers' rollback.
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("import-family-unknown"))
    assert [w.id for w in warnings] == ["/Test"], warnings  # once: the named import is not warned about


@pytest.mark.parametrize("own_role", [False, True])
def test_an_adapter_location_is_checked_by_its_argument(own_role: bool) -> None:
    stack = new_stack()
    # A role of the caller's is never granted, so the grant's own parsing would not catch it.
    role = iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/jobs") if own_role else None
    adapters = [LoraAdapter("sql", s3_uri="s3://a/b/"), LoraAdapter("chat", s3_uri="https://a/b/")]
    with pytest.raises(ValidationError, match=re.escape("adapters[1].s3_uri must be an s3:// URI, got 'https://a/b/'")):
        RecommendationJob(stack, "Job", **job_props(stack, adapters=adapters, role=role))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: JobWait.in_deployment(Duration.hours(13)),
            "JobWait.in_deployment timeout must be between 60 and 43200 seconds, got 46800 seconds",
        ),
        (
            lambda: JobWait.in_deployment(poll_interval=Duration.seconds(30)),
            "JobWait.in_deployment poll_interval must be between 60 and 3600 seconds, got 30 seconds",
        ),
        (
            lambda: JobWait.in_deployment(Duration.minutes(10), poll_interval=Duration.minutes(5)),
            "JobWait.in_deployment timeout must be at least twice poll_interval plus 60 seconds, got timeout 600 "
            "seconds and poll_interval 300 seconds: the waiter gives up a poll interval and a minute before the "
            "timeout, so a shorter timeout fails a job still running before its first poll interval has passed",
        ),
        (
            lambda: S3Location.from_uri("https://bucket/key"),
            "S3 location must be an s3:// URI, got 'https://bucket/key'",
        ),
    ],
)
def test_wait_and_location_reject(call: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        call()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"instance_types": ["ml.p5.48xlarge"]},
            "instance_types[0] got 'ml.p5.48xlarge', which is not a valid instance type of this job",
        ),
        (
            {"max_concurrency": {"ml.p5.48xlarge": 3}},
            "max_concurrency names instance types that are not pools: ml.p5.48xlarge",
        ),
        ({"order": "ranking"}, "order must be a PoolOrder, got 'ranking'"),
        # What the template's shape depends on: the number of pools, and the pools max_concurrency names.
        ({"pool_count": "parameter"}, "pool_count must be known at synth: it is the number of pools"),
        ({"instance_types": "list parameter"}, "instance_types must be a list known at synth"),
        (
            {"instance_types": ["parameter", "ml.g6.12xlarge"], "max_concurrency": {"ml.g5.12xlarge": 3}},
            "max_concurrency names instance types that are not pools: ml.g5.12xlarge (instance_types[0] known "
            "only at deploy time cannot be named)",
        ),
    ],
)
def test_resolver_rejects(kwargs: dict[str, Any], message: str) -> None:
    stack, kwargs = new_stack(), dict(kwargs)
    deploy_time = {
        "parameter": cdk.CfnParameter(stack, "Type").value_as_string,
        "list parameter": cdk.CfnParameter(stack, "Types", type="CommaDelimitedList").value_as_list,
    }
    if kwargs.get("pool_count") == "parameter":
        kwargs["pool_count"] = cdk.CfnParameter(stack, "Count", type="Number").value_as_number
    if kwargs.get("instance_types") == "list parameter":
        kwargs["instance_types"] = deploy_time["list parameter"]
    elif "instance_types" in kwargs:
        kwargs["instance_types"] = [deploy_time.get(t, t) for t in kwargs["instance_types"]]
    job = RecommendationJob(stack, "Job", **job_props(stack))
    with pytest.raises(ValidationError, match=re.escape(message)):
        RecommendedModels(stack, "Models", job=job, **kwargs)
    assert stack.node.try_find_child("Models") is None, "a refused resolver leaves nothing in the tree"


def test_resolving_an_imported_job_needs_instance_types() -> None:
    stack = new_stack()
    job = RecommendationJob.from_job_name(stack, "Job", "elsewhere")
    with pytest.raises(ValidationError, match="instance_types is required"):
        RecommendedModels(stack, "Models", job=job, model_data=[S3Location.from_uri(OUTPUT)])


def test_resolving_an_imported_job_needs_the_model_data_its_default_role_reads() -> None:
    """Without them the models' role may read no S3 at all, and the endpoint fails to load the model."""
    stack = new_stack()
    job = RecommendationJob.from_job_name(stack, "Job", "elsewhere")
    with pytest.raises(ValidationError, match=r"model_data is required with a job imported by name .* and no role"):
        RecommendedModels(stack, "Models", job=job, instance_types=TYPES[:1])
    assert stack.node.try_find_child("Models") is None
    role = iam.Role(stack, "Own", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    RecommendedModels(stack, "Models", job=job, instance_types=TYPES[:1], role=role)  # yours to grant


def test_a_changed_workload_gets_a_new_name_and_so_does_its_job() -> None:
    def names(tokens: int) -> tuple[str, str]:
        stack = new_stack()
        workload = WorkloadConfig(stack, "Workload", input_tokens=TokenDistribution(tokens))
        job = RecommendationJob(stack, "Job", **job_props(stack))
        return workload.workload_config_name, job.job_name

    first, second = names(3500), names(550)
    assert first[0] != second[0] and first[1] != second[1]
    assert names(3500) == first


def test_tags_change_in_place_without_a_new_job() -> None:
    stack = new_stack()
    plain = RecommendationJob(stack, "Job", **job_props(stack))
    other = new_stack()
    tagged = RecommendationJob(other, "Job", **job_props(other, tags={"team": "ml"}))
    assert plain.job_name == tagged.job_name


def test_a_completed_job_is_kept_unless_its_removal_policy_is_destroy() -> None:
    """The policy rides beside the request: changing it names no new job and starts none."""

    def resource(stack: cdk.Stack) -> dict[str, Any]:
        (found,) = synth(stack).find_resources("Custom::AIRecommendationJob").values()
        return found["Properties"]  # type: ignore[no-any-return]

    kept, destroyed, applied = new_stack(), new_stack(), new_stack()
    default = RecommendationJob(kept, "Job", **job_props(kept))
    destroy = cdk.RemovalPolicy.DESTROY
    deleted = RecommendationJob(destroyed, "Job", **job_props(destroyed, removal_policy=destroy))
    RecommendationJob(applied, "Job", **job_props(applied)).apply_removal_policy(destroy)
    assert "RemovalPolicy" not in resource(kept)
    assert resource(destroyed)["RemovalPolicy"] == resource(applied)["RemovalPolicy"] == "destroy"
    assert default.job_name == deleted.job_name


def test_expected_figures_are_requested_from_the_resolver() -> None:
    stack = new_stack()
    job = RecommendationJob(stack, "Job", **job_props(stack))
    models = RecommendedModels(stack, "Models", job=job, max_concurrency={"ml.g5.12xlarge": 6})
    throughput = models.expected(1, "OutputTokenThroughput")
    models.expected(3, "RequestLatencyP90")
    props = synth(stack).to_json()["Resources"][stack.get_logical_id(models.resource.node.default_child)]["Properties"]
    assert props["ExpectedMetrics"] == ["OutputTokenThroughput", "RequestLatencyP90"]
    assert props["ConcurrencyFor"] == [1, 2]  # pool 3 has its own max_concurrency
    assert stack.resolve(throughput) == {
        "Fn::GetAtt": [stack.get_logical_id(models.resource.node.default_child), "Pool1.OutputTokenThroughput"]
    }


def test_the_services_own_choice_of_instance_types_is_resolved_by_rank() -> None:
    stack = new_stack()
    job = RecommendationJob(stack, "Job", **job_props(stack, instance_types=[]))
    models = RecommendedModels(stack, "Models", job=job, order=PoolOrder.RANKING, pool_count=2)
    InstancePoolEndpoint(
        stack,
        "Endpoint",
        instance_pools=models.instance_pools,
        inference_components=models.inference_components,
        dashboard=False,
    )
    template = synth(stack).to_json()
    props = template["Resources"][stack.get_logical_id(models.resource.node.default_child)]["Properties"]
    assert (props["InstanceTypes"], props["PoolCount"], props["Order"]) == ([], 2, "ranking")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda s, job: RecommendedModels(
                s, "M", job=job, order=PoolOrder.RANKING, max_concurrency={"ml.g6.12xlarge": 4}
            ),
            "max_concurrency cannot be combined with order=PoolOrder.RANKING",
        ),
        (
            lambda s, job: RecommendedModels(s, "M", job=job, pool_count=2),
            "pool_count (2) must match the 3 instance types",
        ),
        (
            lambda s, job: RecommendedModels(
                s,
                "M",
                job=RecommendationJob.from_job_name(s, "I", "x"),
                order=PoolOrder.RANKING,
                model_data=[S3Location.from_uri(OUTPUT)],
            ),
            "instance_types is required, unless order=PoolOrder.RANKING and pool_count",
        ),
        (
            lambda s, job: InstancePoolEndpoint(
                s,
                "E",
                instance_pools=RecommendedModels(
                    s, "M", job=job, order=PoolOrder.RANKING, hosting=RecommendationHosting.SINGLE_MODEL
                ).instance_pools,
                encryption_key=kms.Key(s, "K", enable_key_rotation=True),
            ),
            "encryption_key cannot be used with instance_pools[0].instance_type, which resolves at deploy time to "
            "one of ml.g6e.12xlarge, ml.g6.12xlarge, ml.g5.12xlarge: these store on local NVMe",
        ),
        (
            lambda s, job: RecommendedModels(s, "M", job=job).expected(4, "RequestLatencyP90"),
            "position must be between 1 and 3, got 4",
        ),
        (
            lambda s, job: RecommendedModels(s, "M", job=job).expected(1, "p90"),
            "metric must be a name such as OutputTokenThroughput",
        ),
    ],
)
def test_resolution_rules(build: Any, message: str) -> None:
    stack = new_stack()
    job = RecommendationJob(stack, "Job", **job_props(stack))
    with pytest.raises(ValidationError, match=re.escape(message)):
        build(stack, job)


def test_a_job_this_deployment_does_not_wait_for_cannot_be_resolved_in_it() -> None:
    stack = new_stack()
    job = RecommendationJob(stack, "Job", **job_props(stack, wait=JobWait.none()))
    with pytest.raises(
        ValidationError, match=re.escape("job does not wait (JobWait.none()), so this deployment cannot resolve it")
    ):
        RecommendedModels(stack, "Models", job=job)
