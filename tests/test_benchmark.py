"""BenchmarkJob and BenchmarkResults: the job, the gate, capacities, publishing, IAM, validation."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match

from cdk_genai_inference import (
    HEADLINE_FIGURES,
    AsyncInference,
    BenchmarkJob,
    BenchmarkNetwork,
    BenchmarkResults,
    BenchmarkSla,
    CapacityMeasurement,
    InferenceComponents,
    InstancePool,
    InstancePoolEndpoint,
    JobWait,
    MlflowTracking,
    Model,
    ResultsPublishing,
    S3Location,
    TokenDistribution,
    ValidationError,
    WorkloadConfig,
)
from synthesis import ENV, IMAGE, check_with_nag, lint, new_stack, synth

OUTPUT = "s3://genai-artifacts-111122223333/benchmarks/"
SLA = BenchmarkSla(
    request_latency_p99_ms=15000, time_to_first_token_p90_ms=800, min_output_tokens_per_second=900, max_error_rate=0.01
)


def serving(stack: cdk.Stack, **kwargs: Any) -> InstancePoolEndpoint:
    model = stack.node.try_find_child("Model") or Model(stack, "Model", image_uri=IMAGE)
    pools = kwargs.pop("instance_pools", [InstancePool("ml.g6e.12xlarge", max_concurrency=16)])
    return InstancePoolEndpoint(
        stack, kwargs.pop("id", "Endpoint"), model=model, instance_pools=pools, dashboard=False, **kwargs
    )


def workload(stack: cdk.Stack) -> WorkloadConfig:
    return stack.node.try_find_child("Workload") or WorkloadConfig(
        stack,
        "Workload",
        input_tokens=TokenDistribution(3500),
        output_tokens=TokenDistribution(200),
        concurrency=[4, 8, 16],
    )


def minimal_job(stack: cdk.Stack, endpoint: InstancePoolEndpoint | None = None, **kwargs: Any) -> BenchmarkJob:
    """A job ``B`` of ``endpoint`` (by default a new one) and a new workload in ``stack``, writing to
    ``OUTPUT``, with ``kwargs``."""
    return BenchmarkJob(
        stack,
        "B",
        endpoint=endpoint or serving(stack),
        workload_config=workload(stack),
        output=S3Location.from_uri(OUTPUT),
        **kwargs,
    )


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "Bench", env=ENV)
    endpoint = serving(stack)
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-0a1b2c3d", availability_zones=["us-west-2a"], private_subnet_ids=["subnet-0a1b2c3d"]
    )
    group = ec2.SecurityGroup.from_security_group_id(stack, "Group", "sg-0a1b2c3d")
    bench = BenchmarkJob(
        stack,
        "Nightly",
        endpoint=endpoint,
        workload_config=workload(stack),
        output=S3Location.from_uri(OUTPUT),
        sla=SLA,
        capacity=CapacityMeasurement(sla=BenchmarkSla(request_latency_p99_ms=15000), instances=1),
        publish=ResultsPublishing(metric_namespace="GenAI/Benchmarks", parameter_prefix="/genai/benchmarks/nightly"),
        network=BenchmarkNetwork(subnets=vpc.private_subnets, security_groups=[group]),
        run_token="build-42",
        tags={"team": "ml-platform"},
    )
    sized = serving(
        stack,
        id="Sized",
        instance_pools=[InstancePool("ml.g6e.12xlarge", max_concurrency=bench.results.max_concurrency_per_instance)],
    )
    scaling = sized.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
    components = serving(
        stack,
        id="Components",
        instance_pools=[InstancePool("ml.g6.12xlarge", min_memory_mb=32768, accelerators=4)],
        inference_components=InferenceComponents(component_name="llm"),
    )
    on_components = BenchmarkJob(
        stack,
        "OnComponents",
        endpoint=components,
        workload_config=workload(stack),
        output=S3Location.from_uri(OUTPUT),
        wait=JobWait.none(),
    )
    check_with_nag(app)
    template = app.synth().get_stack_by_name("Bench").template  # raises on a cdk-nag finding
    return {
        "stack": stack,
        "bench": bench,
        "scaling": scaling,
        "on_components": on_components,
        "endpoint": endpoint,
        "template": template,
    }


def logical(built: dict[str, Any], construct: Any) -> str:
    element = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
    return built["stack"].get_logical_id(element)


def resource(built: dict[str, Any], construct: Any) -> dict[str, Any]:
    return built["template"]["Resources"][logical(built, construct)]


def test_template_passes_cfn_lint(built: dict[str, Any]) -> None:
    assert lint(built["template"]) == []


def test_job_targets_the_endpoint_after_it_is_in_service(built: dict[str, Any]) -> None:
    job = resource(built, built["bench"].resource)
    request = job["Properties"]["Request"]
    assert request["BenchmarkTarget"] == {"Endpoint": {"Identifier": built["endpoint"].endpoint_name}}
    # Each run in a folder of its own, so a run's results read again are never a later run's.
    assert request["OutputConfig"] == {"S3OutputLocation": f"{OUTPUT}{built['bench'].job_name}/"}
    assert request["NetworkConfig"] == {
        "VpcConfig": {"SecurityGroupIds": ["sg-0a1b2c3d"], "Subnets": ["subnet-0a1b2c3d"]}
    }
    assert request["Tags"] == [{"Key": "team", "Value": "ml-platform"}]
    assert logical(built, built["endpoint"].resource) in job["DependsOn"]


def test_an_inference_component_endpoint_lists_its_component(built: dict[str, Any]) -> None:
    request = resource(built, built["on_components"].resource)["Properties"]["Request"]
    assert request["BenchmarkTarget"]["Endpoint"]["InferenceComponents"] == [{"Identifier": "llm"}]
    assert built["on_components"].results is None


def test_results_wait_for_the_job_and_carry_the_gate(built: dict[str, Any]) -> None:
    results = resource(built, built["bench"].results.resource)
    assert results["Type"] == "Custom::AIBenchmarkResults"
    (condition,) = [
        k for k, r in built["template"]["Resources"].items() if r["Type"] == "AWS::CloudFormation::WaitCondition"
    ]
    assert condition in results["DependsOn"]
    props = results["Properties"]
    assert props["Thresholds"] == [
        {"Metric": "RequestLatencyP99", "Limit": 15000, "AtMost": True},
        {"Metric": "TimeToFirstTokenP90", "Limit": 800, "AtMost": True},
        {"Metric": "OutputTokenThroughput", "Limit": 900, "AtMost": False},
        {"Metric": "ErrorRate", "Limit": 0.01, "AtMost": True},
    ]
    assert props["Capacity"] == {
        "Thresholds": [{"Metric": "RequestLatencyP99", "Limit": 15000, "AtMost": True}],
        "Instances": 1,
    }
    assert props["Publish"]["Namespace"] == "GenAI/Benchmarks"
    assert props["Publish"]["ParameterPrefix"] == "/genai/benchmarks/nightly"


def test_figures_are_stack_outputs(built: dict[str, Any]) -> None:
    outputs = built["template"]["Outputs"]
    results_id = logical(built, built["bench"].results.resource)
    values = {
        o["Value"]["Fn::GetAtt"][1] for o in outputs.values() if o["Value"].get("Fn::GetAtt", [None])[0] == results_id
    }
    assert values == {
        "RequestLatencyP50",
        "RequestLatencyP90",
        "RequestLatencyP99",
        "TimeToFirstTokenP50",
        "TimeToFirstTokenP90",
        "TimeToFirstTokenP99",
        "InterTokenLatencyP50",
        "InterTokenLatencyP90",
        "InterTokenLatencyP99",
        "OutputTokenThroughput",
        "RequestThroughput",
        "ErrorCount",
        "ErrorRate",
        "RequestCount",
        "JobStatus",
        "FailureReason",
    }


def test_measured_capacity_feeds_weighted_scaling(built: dict[str, Any]) -> None:
    expression = built["stack"].resolve(built["scaling"].expression)
    results_id = logical(built, built["bench"].results.resource)
    assert {"Fn::GetAtt": [results_id, "MaxConcurrencyPerInstance"]} in expression["Fn::Join"][1]


@pytest.mark.parametrize(
    ("uri", "folder"),
    [
        ("s3://b/bench/", "s3://b/bench/job-1/"),
        ("s3://b/bench", "s3://b/bench/job-1/"),
        ("s3://b", "s3://b/job-1/"),
        ("s3://b/", "s3://b/job-1/"),
    ],
)
def test_a_locations_folder_is_one_slash_inside_it(uri: str, folder: str) -> None:
    assert S3Location.from_uri(uri).folder("job-1").uri == folder


def test_a_buckets_folder_keeps_the_bucket_and_a_deploy_time_uri_is_followed_by_a_slash_and_the_name() -> None:
    stack = new_stack()
    bucket = s3.Bucket(stack, "Bucket")
    for prefix, key in (("", "job-1/"), ("bench", "bench/job-1/"), ("bench/", "bench/job-1/")):
        inside = S3Location.from_bucket(bucket, prefix).folder("job-1")
        assert (inside.bucket, inside.prefix) == (bucket, key)
        assert stack.resolve(inside.uri) == stack.resolve(bucket.s3_url_for_object(key))
    parameter = cdk.CfnParameter(stack, "Output").value_as_string
    assert stack.resolve(S3Location.from_uri(parameter).folder("job-1").uri) == {
        "Fn::Join": ["", [{"Ref": "Output"}, "/job-1/"]]
    }


def test_a_folder_keeps_the_key_and_a_token_inside_the_uri() -> None:
    stack = new_stack()
    key = kms.Key(stack, "Key")
    bucket_name = cdk.CfnParameter(stack, "Bucket").value_as_string
    inside = S3Location.from_uri(f"s3://{bucket_name}/bench", encryption_key=key).folder("job-1")
    assert inside.encryption_key is key
    assert stack.resolve(inside.uri) == {"Fn::Join": ["", ["s3://", {"Ref": "Bucket"}, "/bench/job-1/"]]}


def test_an_output_whose_job_folder_the_api_would_refuse_is_refused_at_synth() -> None:
    """``S3OutputLocation`` holds at most 1024 characters: the location and the job's folder in it."""
    stack = new_stack()
    near_limit = "s3://b/" + "p" * (1024 - len("s3://b/") - 20)  # fits alone, not with a folder of 64
    with pytest.raises(ValidationError, match="S3OutputLocation"):
        BenchmarkJob(
            stack,
            "B",
            endpoint=serving(stack),
            workload_config=workload(stack),
            output=S3Location.from_uri(near_limit),
        )


def test_execution_role_may_invoke_only_this_endpoint(built: dict[str, Any]) -> None:
    role_id = logical(built, built["bench"].role)
    statements = [
        s
        for p in built["template"]["Resources"].values()
        if p["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    invoke = next(s for s in statements if "sagemaker:InvokeEndpoint" in s["Action"])
    assert invoke["Resource"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":sagemaker:us-west-2:111122223333:endpoint/{built['endpoint'].endpoint_name.lower()}",
            ],
        ]
    }
    writes = next(s for s in statements if "s3:PutObject" in s["Action"])  # its own folder only
    assert json.dumps(writes["Resource"]).endswith(f'benchmarks/{built["bench"].job_name}/*"]]}}')
    listing = next(s for s in statements if s["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"benchmarks/{built['bench'].job_name}/*"]}}


def test_handler_role_reads_the_output_and_writes_only_its_figures(built: dict[str, Any]) -> None:
    provider = built["stack"].node.find_child("CdkGenAiInferenceAiJobs")
    role_id = logical(built, provider.role)
    statements = [
        s
        for p in built["template"]["Resources"].values()
        if p["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    metrics = next(s for s in statements if s["Action"] == "cloudwatch:PutMetricData")
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "GenAI/Benchmarks"}}
    ssm = next(s for s in statements if "ssm:PutParameter" in s["Action"])
    assert json.dumps(ssm["Resource"]).endswith(':parameter/genai/benchmarks/nightly/*"]]}')
    # Every run's folder: a rollback reads an older run's results under the newer run's policy.
    assert any(
        s["Action"] == "s3:GetObject" and json.dumps(s["Resource"]).endswith('benchmarks/*"]]}') for s in statements
    )


def test_the_job_name_follows_the_endpoint_and_the_run_token() -> None:
    def name(pools: list[InstancePool], token: str | None) -> str:
        stack = new_stack()
        return minimal_job(stack, serving(stack, instance_pools=pools), run_token=token, wait=JobWait.none()).job_name

    base = name([InstancePool("ml.g6e.12xlarge")], None)
    assert base == name([InstancePool("ml.g6e.12xlarge")], None)
    assert base != name([InstancePool("ml.g6e.12xlarge")], "2")
    assert base != name([InstancePool("ml.g6e.12xlarge"), InstancePool("ml.g6.12xlarge")], None)


def test_a_benchmark_with_removal_policy_destroy_deletes_its_completed_job() -> None:
    stack = new_stack()
    destroy = minimal_job(stack, wait=JobWait.none(), removal_policy=cdk.RemovalPolicy.DESTROY)
    (found,) = synth(stack).find_resources("Custom::AIBenchmarkJob").values()
    assert found["Properties"]["RemovalPolicy"] == "destroy"
    assert destroy.job_name == minimal_job(new_stack(), wait=JobWait.none()).job_name


def job_resource(stack: cdk.Stack) -> cdk.CfnResource:
    return stack.node.find_child("B").node.find_child("Resource").node.default_child  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("retain", "warned"),
    [
        (lambda stack: cdk.RemovalPolicies.of(stack).retain(), True),
        (lambda stack: cdk.RemovalPolicies.of(stack).retain_on_update_or_delete(), True),
        (lambda stack: job_resource(stack).apply_removal_policy(cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE), True),
        (
            lambda stack: cdk.RemovalPolicies.of(stack).retain(
                exclude_resource_types=["Custom::AIRecommendationJob", "Custom::AIBenchmarkJob"]
            ),
            False,
        ),
        (lambda stack: None, False),
    ],
)
def test_a_stack_wide_retain_that_reaches_the_job_is_warned_about(retain: Any, warned: bool) -> None:
    """A retained job resource gets no Delete: a running job CloudFormation replaces or deletes runs on."""
    stack = new_stack()
    minimal_job(stack, wait=JobWait.none())
    retain(stack)
    found = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("is retained .* a job it replaces or deletes while the job runs is never stopped")
    )
    assert bool(found) is warned, found


def test_an_imported_endpoint_is_benchmarked_anew_for_a_new_served_definition() -> None:
    def name(**attributes: Any) -> str:
        stack = new_stack()
        endpoint = InstancePoolEndpoint.from_endpoint_attributes(stack, "Imported", endpoint_name="genai", **attributes)
        return minimal_job(stack, endpoint, wait=JobWait.none()).job_name  # type: ignore[arg-type]

    base = name()
    assert base == name(served_definition="genai")  # the default: its name stands for what it serves
    defined = name(served_definition={"Endpoint": [{"InstanceType": "ml.g6e.12xlarge"}]})
    assert defined not in (base, name(served_definition={"Endpoint": [{"InstanceType": "ml.g6.12xlarge"}]}))
    assert defined == name(served_definition={"Endpoint": [{"InstanceType": "ml.g6e.12xlarge"}]})


def described_runs(template: dict[str, Any]) -> list[Any]:
    return [
        s["Resource"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "sagemaker:DescribeAIBenchmarkJob"
    ]


@pytest.mark.parametrize(
    ("prefix", "granted"),
    [
        # The rollback of an update to a new run reads the run before, under the new policy.
        ("nightly", ':ai-benchmark-job/nightly-??????????"]]}]'),
        # A name that only looks like one this library makes is no family: the job alone.
        (None, ':ai-benchmark-job/nightly-4d5e6f7a8b"]]}]'),
    ],
)
def test_results_of_an_imported_job_are_read_in_a_later_stage(prefix: str | None, granted: str) -> None:
    stack = new_stack("Gate")
    output = S3Location.from_uri(OUTPUT)
    job = BenchmarkJob.from_job_name(stack, "Job", "nightly-4d5e6f7a8b", output=output, job_name_prefix=prefix)
    results = BenchmarkResults(stack, "Results", job=job, sla=SLA, outputs=False)
    template = synth(stack).to_json()
    props = template["Resources"][stack.get_logical_id(results.resource.node.default_child)]["Properties"]
    assert props["JobName"] == "nightly-4d5e6f7a8b"
    assert "Outputs" not in template
    assert json.dumps(described_runs(template)).endswith(granted)


def test_an_import_is_of_the_family_of_this_apps_job_of_its_name() -> None:
    app = cdk.App()
    made = minimal_job(cdk.Stack(app, "Serving", env=ENV))
    gate = cdk.Stack(app, "Gate", env=ENV)
    imported = BenchmarkJob.from_job_name(gate, "Job", made.job_name, output=S3Location.from_uri(OUTPUT))
    assert imported.job_family == made.job_family == f"{made.job_name[:-10]}{'?' * 10}"


def test_a_job_name_prefix_the_name_does_not_start_with_is_refused() -> None:
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "job_name 'nightly-2026061509' is not job_name_prefix 'weekly' followed by '-' and a 10-character "
            "definition hash"
        ),
    ):
        BenchmarkJob.from_job_name(
            new_stack(), "Job", "nightly-2026061509", output=S3Location.from_uri(OUTPUT), job_name_prefix="weekly"
        )


ERRORS = [
    ({"sla": BenchmarkSla(max_error_rate=2)}, "sla.max_error_rate must be between 0 and 1, got 2"),
    ({"sla": BenchmarkSla(request_latency_p99_ms=-1)}, "sla.request_latency_p99_ms must be at least 0, got -1"),
    ({"capacity": CapacityMeasurement(instances=0)}, "capacity.instances must be at least 1, got 0"),
    ({"publish": ResultsPublishing()}, "publish needs metric_namespace, parameter_prefix or both"),
    (
        {"publish": ResultsPublishing(metric_namespace="AWS/SageMaker")},
        "publish.metric_namespace cannot be an AWS namespace, got 'AWS/SageMaker'",
    ),
    (
        {"publish": ResultsPublishing(parameter_prefix="genai/b")},
        "publish.parameter_prefix must start with '/', got 'genai/b'",
    ),
    (
        {"sla": SLA, "wait": JobWait.none()},
        "sla, baseline, capacity and publish apply to results read in this deployment",
    ),
    (
        {"network": BenchmarkNetwork(subnets=[], security_groups=[])},
        "network needs 1-16 subnets and 1-5 security groups, got 0 and 0",
    ),
    ({"job_name_prefix": "-bad"}, "job_name_prefix must be 1-52 lower-case letters, digits and hyphens"),
    ({"tags": {"run": "nightly,1"}}, "tags values must be 0-256 letters, digits, spaces and _.:/=+-@, got 'nightly,1'"),
    (  # only the API model knows this one: the request is checked before the job defines its role
        {
            "mlflow": MlflowTracking(
                "arn:aws:sagemaker:us-west-2:111122223333:mlflow-app/app-abc123", experiment_name="a b"
            )
        },
        "the CreateAIBenchmarkJob request would be rejected: OutputConfig.MlflowConfig.MlflowExperimentName must match",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), ERRORS, ids=[m[:50] for _, m in ERRORS])
def test_rejects(kwargs: dict[str, Any], message: str) -> None:
    stack = new_stack()
    with pytest.raises(ValidationError, match=re.escape(message)):
        minimal_job(stack, **kwargs)
    assert stack.node.try_find_child("B") is None, "a rejected job leaves nothing half-built in the tree"


def test_an_asynchronous_endpoint_is_refused_as_no_endpoint_aiperf_can_call() -> None:
    stack = new_stack()
    output = s3.Bucket.from_bucket_name(stack, "Out", "results")
    endpoint = serving(stack, endpoint_name="queued", async_inference=AsyncInference(output_bucket=output))
    with pytest.raises(
        ValidationError, match=r"endpoint must be a real-time endpoint .* got asynchronous endpoint queued"
    ):
        minimal_job(stack, endpoint)


def test_capacity_and_figures_need_what_they_read() -> None:
    stack = new_stack()
    job = BenchmarkJob.from_job_name(stack, "Job", "j", output=S3Location.from_uri(OUTPUT))
    results = BenchmarkResults(stack, "Results", job=job, outputs=False)
    with pytest.raises(
        ValidationError, match=re.escape("max_concurrency_per_instance needs capacity=CapacityMeasurement(...)")
    ):
        _ = results.max_concurrency_per_instance
    with pytest.raises(ValidationError, match="figure got 'P99'; allowed: RequestLatencyP50"):
        results.figure("P99")


def test_wait_bound_defaults_to_two_hours(built: dict[str, Any]) -> None:
    wait = resource(built, built["bench"].resource)["Properties"]["Wait"]
    assert wait["TimeoutSeconds"] == int(Duration.hours(2).to_seconds())


def test_the_figures_are_the_ones_the_handler_computes() -> None:
    import aiperf_results  # the copy in the handler asset

    assert HEADLINE_FIGURES == aiperf_results.FIGURES


def test_a_changed_model_or_component_is_benchmarked_again() -> None:
    def name(image: str, copies: int = 1, overrides: dict[str, str] | None = None) -> tuple[str, str]:
        stack = new_stack()
        model = Model(stack, "Model", image_uri=image)
        direct = InstancePoolEndpoint(
            stack,
            "Direct",
            model=model,
            instance_pools=[InstancePool("ml.g6e.12xlarge")],
            dashboard=False,
            variant_overrides=overrides,
        )
        components = InstancePoolEndpoint(
            stack,
            "Components",
            model=model,
            dashboard=False,
            instance_pools=[InstancePool("ml.g6.12xlarge", min_memory_mb=32768)],
            inference_components=InferenceComponents(initial_copy_count=copies),
        )
        common = {"workload_config": workload(stack), "output": S3Location.from_uri(OUTPUT), "wait": JobWait.none()}
        return (
            BenchmarkJob(stack, "A", endpoint=direct, **common).job_name,
            BenchmarkJob(stack, "B", endpoint=components, **common).job_name,
        )

    base = name(IMAGE)
    assert base == name(IMAGE)
    newer_image = name(IMAGE.replace("0.33.0", "0.34.0"))
    assert newer_image[0] != base[0] and newer_image[1] != base[1]
    assert name(IMAGE, copies=2)[1] != base[1]
    # A property the variant gets through its overrides changes what the endpoint serves too.
    newer_ami = name(IMAGE, overrides={"InferenceAmiVersion": "al2-ami-sagemaker-inference-gpu-3-1"})
    assert newer_ami[0] != base[0] and newer_ami[1] == base[1]
    assert name(IMAGE, overrides={}) == base


def test_published_metrics_keep_one_name_across_runs(built: dict[str, Any]) -> None:
    publish = resource(built, built["bench"].results.resource)["Properties"]["Publish"]
    assert publish["Dimensions"] == [{"Name": "Benchmark", "Value": built["bench"].job_name.rsplit("-", 1)[0]}]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"run_token": "token"}, "run_token must be known at synth (it names the job)"),
        ({"job_name_prefix": "token"}, "job_name_prefix must be known at synth (it names the job)"),
        ({"capacity": CapacityMeasurement()}, "capacity without an sla needs a workload with sla_search"),
    ],
)
def test_deploy_time_tokens_and_capacity_without_a_rule_are_refused(kwargs: dict[str, Any], message: str) -> None:
    stack = new_stack()
    for argument in ("run_token", "job_name_prefix"):
        if kwargs.get(argument) == "token":
            kwargs[argument] = cdk.CfnParameter(stack, "Run").value_as_string
    with pytest.raises(ValidationError, match=re.escape(message)):
        minimal_job(stack, **kwargs)


def test_a_refused_job_leaves_nothing_behind() -> None:
    """Arguments are checked before the construct exists: a caught error leaves no half-built job."""
    stack = new_stack()
    with pytest.raises(ValidationError, match="apply to results read in this deployment"):
        minimal_job(stack, sla=SLA, wait=JobWait.none())
    assert stack.node.try_find_child("B") is None


def test_results_of_a_job_this_deployment_does_not_wait_for_are_refused() -> None:
    stack = new_stack()
    job = minimal_job(stack, wait=JobWait.none())
    with pytest.raises(ValidationError, match=re.escape("job Test/B does not wait (JobWait.none())")):
        BenchmarkResults(stack, "Results", job=job)


def test_the_role_reads_what_an_imported_workload_names() -> None:
    stack = new_stack()
    imported = WorkloadConfig.from_workload_config_name(
        stack,
        "Imported",
        "shared-workload",
        dataset_uris=["s3://datasets/sharegpt/"],
        secret_arns=["arn:aws:secretsmanager:us-west-2:111122223333:secret:hf-AbCdEf"],
    )
    job = BenchmarkJob(
        stack,
        "B",
        endpoint=serving(stack),
        workload_config=imported,
        output=S3Location.from_uri(OUTPUT),
        wait=JobWait.none(),
    )
    policy = next(
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in synth(stack).to_json()["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        and r["Properties"]["Roles"] == [{"Ref": stack.get_logical_id(job.role.node.default_child)}]
    )
    granted = {(json.dumps(s["Action"]), json.dumps(s["Resource"])) for s in policy}
    assert (
        '"secretsmanager:GetSecretValue"',
        '"arn:aws:secretsmanager:us-west-2:111122223333:secret:hf-AbCdEf"',
    ) in granted
    assert any(action == '"s3:GetObject"' and ":s3:::datasets/sharegpt/*" in arn for action, arn in granted)


@pytest.mark.parametrize("components", [False, True], ids=["single-model", "inference-components"])
def test_the_job_name_does_not_depend_on_when_scaling_was_added(components: bool) -> None:
    def name(scaling_first: bool) -> str:
        stack = new_stack()
        sizes = {"min_memory_mb": 32768, "accelerators": 4} if components else {}
        pool = InstancePool("ml.g6.12xlarge", max_concurrency=8, **sizes)
        endpoint = serving(
            stack, instance_pools=[pool], inference_components=InferenceComponents() if components else None
        )
        if scaling_first:
            endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
        job = minimal_job(stack, endpoint, wait=JobWait.none())
        if not scaling_first:
            endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
        return job.job_name

    assert name(scaling_first=True) == name(scaling_first=False)
