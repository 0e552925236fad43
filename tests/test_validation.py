"""Every synth-time validation rule: one case per error, each naming the argument and the value."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from cdk_genai_inference import (
    AsyncInference,
    CapacitySize,
    DeploymentPolicy,
    InferenceComponents,
    InstancePool,
    InstancePoolEndpoint,
    Model,
    PrefixAwareRouting,
    RollbackAlarms,
    RoutingStrategy,
    S3Location,
    ValidationError,
)
from cdk_genai_inference._core import service_model
from cdk_genai_inference._core.validation import MAX_TAGS, TAG_CHARACTERS, unresolved
from cdk_genai_inference.serving.pools import INSTANCE_STORE_FAMILIES, local_nvme_types
from synthesis import ENV, IMAGE, MODEL_DATA, new_stack, synth

P5, G6 = "ml.p5.48xlarge", "ml.g6.48xlarge"
TWO_POOLS = [InstancePool(P5, max_concurrency=20), InstancePool(G6, max_concurrency=8)]


def endpoint(stack: cdk.Stack | None = None, **overrides: Any) -> InstancePoolEndpoint:
    stack = stack or new_stack()
    props: dict[str, Any] = {"instance_pools": TWO_POOLS, "dashboard": False}
    if "model" not in overrides and not overrides.get("no_model"):
        props["model"] = Model(stack, "Model", image_uri=IMAGE)
    overrides.pop("no_model", None)
    props.update(overrides)
    return InstancePoolEndpoint(stack, "Endpoint", **props)


def fails(message: str, **overrides: Any) -> Any:
    return pytest.param(overrides, message, id=message[:60])


NEEDS_DEPLOYMENT = (
    "rollback_alarms sets the default rollback alarms of a guarded deployment; it needs deployment "
    "(or rollback_alarms=None)"
)
"""Rollback alarms given without a deployment policy, which alone would define them."""
ENDPOINT_ERRORS = [
    fails(
        "instance_pools allows at most 5 pools, got 6",
        instance_pools=[
            InstancePool(f"ml.g5.{s}") for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
        ],
    ),
    fails("instance_pools needs at least 1 pool, got 0", instance_pools=[]),
    fails(
        "instance_pools instance types must be unique, got 'ml.p5.48xlarge' more than once",
        instance_pools=[InstancePool(P5), InstancePool(P5)],
    ),
    fails(
        "instance_pools[0].instance_type got 'ml.p5.48xlarg', which is not a valid SageMaker hosting "
        f"instance type; allowed: one of the {len(service_model.hosting_instance_types())} values in botocore's "
        "SageMaker service model (closest: ml.p5.48xlarge",
        instance_pools=[InstancePool("ml.p5.48xlarg")],
    ),
    fails(
        "instance_pools[0].instance_type got 'p5.48xlarge'",
        instance_pools=[InstancePool("p5.48xlarge")],
    ),
    fails(
        "instance_pools[1].priority must be between 1 and 5, got 6",
        instance_pools=[InstancePool(P5, priority=1), InstancePool(G6, priority=6)],
    ),
    fails(
        "instance_pools[0].priority must be between 1 and 5, got 0",
        instance_pools=[InstancePool(P5, priority=0)],
    ),
    fails(
        "instance_pools priorities must be unique, got 2 more than once",
        instance_pools=[InstancePool(P5, priority=2), InstancePool(G6, priority=2)],
    ),
    fails(
        "instance_pools: give a priority to every pool or to none (list order), got a mix",
        instance_pools=[InstancePool(P5, priority=2), InstancePool(G6)],
    ),
    fails(
        "instance_pools[0].max_concurrency must be positive, got 0",
        instance_pools=[InstancePool(P5, max_concurrency=0)],
    ),
    fails(
        "instance_pools[0].scaling_weight must be positive, got -1",
        instance_pools=[InstancePool(P5, scaling_weight=-1)],
    ),
    fails(
        "variant_overrides cannot set InstanceType: an instance-pool variant takes its instance types from instance_pools",
        variant_overrides={"InstanceType": "ml.g5.xlarge"},
    ),
    fails(
        "variant_overrides cannot set ServerlessConfig: a serverless variant has no instances, so it cannot use instance_pools",
        variant_overrides={"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}},
    ),
    fails(
        "variant_overrides cannot set RoutingConfig; use the routing_strategy argument",
        variant_overrides={"RoutingConfig": {"RoutingStrategy": "RANDOM"}},
    ),
    fails(
        "variant_overrides got unknown ProductionVariant property 'InferenceAmi'; allowed: ",
        variant_overrides={"InferenceAmi": "x"},
    ),
    fails("tags values must be 0-256 letters, digits, spaces and _.:/=+-@, got 'ml#1'", tags={"team": "ml#1"}),
    fails("tags keys must be 1-128 letters, digits, spaces and _.:/=+-@, got ''", tags={"": "ml"}),
    fails("tags keys cannot start with aws: (reserved for AWS), got 'aws:team'", tags={"aws:team": "ml"}),
    fails("tags allows at most 50 tags, got 51", tags={f"k{i}": "v" for i in range(51)}),
    fails(
        "provisioning_timeout must be between 300 and 3600 seconds, got 299 seconds",
        provisioning_timeout=Duration.seconds(299),
    ),
    fails(
        "provisioning_timeout must be between 300 and 3600 seconds, got 3660 seconds",
        provisioning_timeout=Duration.minutes(61),
    ),
    fails(
        "model_data_download_timeout must be between 60 and 3600 seconds, got 30 seconds",
        model_data_download_timeout=Duration.seconds(30),
    ),
    fails(
        "container_startup_health_check_timeout must be between 60 and 3600 seconds, got 7200 seconds",
        container_startup_health_check_timeout=Duration.hours(2),
    ),
    fails("volume_size_gb must be between 1 and 512 GB, got 1024 GB", volume_size_gb=1024),
    fails("initial_instance_count must be at least 1, got 0", initial_instance_count=0),
    fails("endpoint_name must be 1-63 characters matching", endpoint_name="my_endpoint"),
    fails("endpoint_name must be 1-63 characters matching", endpoint_name="e" * 64),
    fails("variant_name must be 1-63 characters matching", variant_name="-all"),
    fails("routing_strategy must be a RoutingStrategy, got 'RANDOM'", routing_strategy="RANDOM"),
    fails(
        "model is required unless every instance pool has its own; missing for ml.p5.48xlarge, ml.g6.48xlarge",
        no_model=True,
    ),
    fails(
        "instance_pools[0].min_memory_mb sizes an inference-component copy; it needs inference_components",
        instance_pools=[InstancePool(P5, min_memory_mb=1024)],
    ),
    fails(
        "instance_pools[0].min_memory_mb is required with inference_components (ml.p5.48xlarge)",
        inference_components=InferenceComponents(),
    ),
    fails(
        "deployment.max_batch (percent) must be between 5 and 50, got 4",
        deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.percent(4)),
    ),
    fails(
        "deployment.max_batch (percent) must be between 5 and 50, got 51",
        deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.percent(51)),
    ),
    fails(
        "deployment.max_batch (instance_count) must be at least 1, got 0",
        deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.instances(0)),
    ),
    # The API: a batch is "between 5% to 50% of the variant's total instance count" (canary at most 50 %,
    # linear steps 10-50 %, rolling copies 5-50 % of the copy count), whether given as a share or a count.
    fails(
        "deployment.max_batch must be 5-50 % of the 1 instances (initial_instance_count) it is counted in, "
        "got 1 (100 %)",
        deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.instances(1)),
    ),
    fails(
        "deployment.max_batch must be 5-50 % of the 30 instances (initial_instance_count) it is counted in, "
        "got 1 (3.33 %)",
        initial_instance_count=30,
        deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.instances(1)),
    ),
    fails(
        "deployment.size must be at most 50 % of the 2 instances (initial_instance_count) it is counted in, "
        "got 2 (100 %)",
        initial_instance_count=2,
        deployment=DeploymentPolicy.canary(size=CapacitySize.instances(2)),
    ),
    fails(
        "deployment.step must be 10-50 % of the 4 instances (initial_instance_count) it is counted in, got 3 (75 %)",
        initial_instance_count=4,
        deployment=DeploymentPolicy.linear(step=CapacitySize.instances(3)),
    ),
    fails(
        "deployment.max_batch must be 5-50 % of the 2 copies (inference_components.initial_copy_count) it is "
        "counted in, got 2 (100 %)",
        instance_pools=[InstancePool(P5, min_memory_mb=1024)],
        inference_components=InferenceComponents(initial_copy_count=2),
        deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.copies(2)),
    ),
    fails(
        "deployment.max_batch must be counted in CAPACITY_PERCENT or INSTANCE_COUNT here, got COPY_COUNT",
        deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.copies(1)),
    ),
    fails(
        "deployment.rollback_max_batch (percent) must be between 1 and 100, got 120",
        deployment=DeploymentPolicy.rolling(rollback_max_batch=CapacitySize.percent(120)),
    ),
    fails(
        "deployment.wait_interval must be between 0 and 3600 seconds, got 7200 seconds",
        deployment=DeploymentPolicy.rolling(wait_interval=Duration.hours(2)),
    ),
    fails(
        "deployment.max_execution_timeout must be between 600 and 28800 seconds, got 300 seconds",
        deployment=DeploymentPolicy.rolling(max_execution_timeout=Duration.minutes(5)),
    ),
    fails(
        "deployment.max_execution_timeout must be between 600 and 28800 seconds, got 32400 seconds",
        deployment=DeploymentPolicy.all_at_once(max_execution_timeout=Duration.hours(9)),
    ),
    fails(
        "deployment.max_execution_timeout must exceed the 4 bake wait(s) plus termination wait (2400 seconds), "
        "got 1800 seconds",
        deployment=DeploymentPolicy.rolling(
            max_batch=CapacitySize.percent(25),
            wait_interval=Duration.minutes(10),
            max_execution_timeout=Duration.minutes(30),
        ),
    ),
    fails(
        "deployment.size (percent) must be between 1 and 50, got 60",
        deployment=DeploymentPolicy.canary(size=CapacitySize.percent(60)),
    ),
    fails(
        "deployment.step (percent) must be between 10 and 50, got 5",
        deployment=DeploymentPolicy.linear(step=CapacitySize.percent(5)),
    ),
    fails(
        "deployment.termination_wait must be between 0 and 3600 seconds, got 3601 seconds",
        deployment=DeploymentPolicy.linear(termination_wait=Duration.seconds(3601)),
    ),
    fails(
        "provisioning_timeout must be a whole number of seconds, got 5 minutes 500 millis",
        provisioning_timeout=Duration.millis(300500),
    ),
    fails(
        "prefix_aware_routing goes with routing_strategy=RoutingStrategy.PREFIX_AWARE and is required by it, "
        "got routing_strategy=PREFIX_AWARE, prefix_aware_routing=None",
        routing_strategy=RoutingStrategy.PREFIX_AWARE,
    ),
    fails(
        "prefix_aware_routing goes with routing_strategy=RoutingStrategy.PREFIX_AWARE",
        prefix_aware_routing=PrefixAwareRouting(prefix_length=2048, concurrency_threshold=4),
    ),
    fails(
        "prefix_aware_routing.prefix_length must be between 1024 and 65536, got 512",
        routing_strategy=RoutingStrategy.PREFIX_AWARE,
        prefix_aware_routing=PrefixAwareRouting(prefix_length=512, concurrency_threshold=4),
    ),
    fails(
        "prefix_aware_routing.concurrency_threshold must be between 1 and 1024, got 2000",
        routing_strategy=RoutingStrategy.PREFIX_AWARE,
        prefix_aware_routing=PrefixAwareRouting(prefix_length=2048, concurrency_threshold=2000),
    ),
    fails(
        "variant_overrides cannot set ManagedInstanceScaling; use the scale_on_weighted_utilization (with inference_components) argument",
        variant_overrides={"ManagedInstanceScaling": {"Status": "ENABLED"}},
    ),
    fails(
        "instance_pools[].model_latency_threshold sets a rollback alarm of a guarded deployment; it needs deployment",
        instance_pools=[InstancePool(P5, model_latency_threshold=Duration.seconds(5))],
    ),
    fails(
        "async_inference cannot be combined with inference_components: inference components serve real-time endpoints only",
        instance_pools=[InstancePool(P5, min_memory_mb=1024)],
        inference_components=InferenceComponents(),
        async_inference=AsyncInference(output_bucket=s3.Bucket.from_bucket_name(new_stack("Other"), "B", "bucket")),
    ),
    fails(  # async endpoints publish no Invocations: the default error alarm would never trip
        "rollback_alarms: an asynchronous endpoint publishes no Invocations and no ConcurrentRequestsPerModel",
        async_inference=AsyncInference(output_bucket=s3.Bucket.from_bucket_name(new_stack("Other"), "B", "bucket")),
        deployment=DeploymentPolicy.rolling(),
    ),
    fails(  # 0 was once dropped silently (SageMaker then chose), 1001 left to the deployment
        "async_inference.max_concurrent_invocations_per_instance must be between 1 and 1000, got 0",
        async_inference=AsyncInference(
            output_bucket=s3.Bucket.from_bucket_name(new_stack("Other"), "B", "bucket"),
            max_concurrent_invocations_per_instance=0,
        ),
    ),
    fails(
        "async_inference.max_concurrent_invocations_per_instance must be between 1 and 1000, got 1001",
        async_inference=AsyncInference(
            output_bucket=s3.Bucket.from_bucket_name(new_stack("Other"), "B", "bucket"),
            max_concurrent_invocations_per_instance=1001,
        ),
    ),
    fails(  # an empty prefix once granted the model role read on the whole input bucket
        "async_inference.input_prefix must be a non-empty key prefix such as 'async-input/', got '': the model "
        "role would read the whole input bucket",
        async_inference=AsyncInference(
            output_bucket=s3.Bucket.from_bucket_name(new_stack("Other"), "B", "bucket"),
            input_bucket=s3.Bucket.from_bucket_name(new_stack("Other"), "In", "requests"),
            input_prefix="",
        ),
    ),
    fails(  # a whole token may resolve to '' and cannot be checked here
        "async_inference.input_prefix must be known at synth or hold literal text (such as "
        "f'{token}/async-input/'), got the deploy-time value '${Token[",
        async_inference=AsyncInference(
            output_bucket=s3.Bucket.from_bucket_name(new_stack("Other"), "B", "bucket"),
            input_bucket=s3.Bucket.from_bucket_name(new_stack("Other"), "In", "requests"),
            input_prefix=cdk.CfnParameter(new_stack("Other"), "Prefix").value_as_string,
        ),
    ),
    fails(  # once ignored without a word: no bucket, no grant
        "async_inference.input_prefix 'requests/' needs async_inference.input_bucket: it is the key prefix of the "
        "payloads in that bucket; pass input_bucket, or leave input_prefix out",
        async_inference=AsyncInference(
            output_bucket=s3.Bucket.from_bucket_name(new_stack("Other"), "B", "bucket"), input_prefix="requests/"
        ),
    ),
    fails(  # explicitly given, even empty
        "async_inference.input_prefix '' needs async_inference.input_bucket",
        async_inference=AsyncInference(
            output_bucket=s3.Bucket.from_bucket_name(new_stack("Other"), "B", "bucket"), input_prefix=""
        ),
    ),
    fails(
        "inference_components.component_name must be 1-63 characters matching",
        instance_pools=[InstancePool(P5, min_memory_mb=1024)],
        inference_components=InferenceComponents(component_name="llm_component"),
    ),
    fails(
        "inference_components.initial_copy_count must be at least 1, got 0",
        instance_pools=[InstancePool(P5, min_memory_mb=1024)],
        inference_components=InferenceComponents(initial_copy_count=0),
    ),
    fails(
        "instance_pools[0].min_memory_mb must be at least 128 MiB, got 64 MiB",
        instance_pools=[InstancePool(P5, min_memory_mb=64)],
        inference_components=InferenceComponents(),
    ),
    fails(
        "instance_pools[0].accelerators must be at least 1, got 0",
        instance_pools=[InstancePool(P5, min_memory_mb=1024, accelerators=0)],
        inference_components=InferenceComponents(),
    ),
    fails(
        "instance_pools[0].cpu_cores must be at least 0.25, got 0.1",
        instance_pools=[InstancePool(P5, min_memory_mb=1024, cpu_cores=0.1)],
        inference_components=InferenceComponents(),
    ),
    fails(
        "rollback_alarms.period must be a multiple of 60 s (SageMaker publishes ModelLatency, Invocations and "
        "Invocation5XXErrors once a minute), got 90 s",
        rollback_alarms=RollbackAlarms(period=Duration.seconds(90)),
    ),
    fails(
        "rollback_alarms.period must be between 60 and 86400 seconds, got 10 seconds",
        rollback_alarms=RollbackAlarms(period=Duration.seconds(10)),
    ),
    fails(
        "rollback_alarms: period x evaluation_periods must be at most 86400 s (one day for a period under an "
        "hour), got 300 s x 300 = 90000 s",
        rollback_alarms=RollbackAlarms(period=Duration.minutes(5), evaluation_periods=300),
    ),
    fails(
        "rollback_alarms: period x evaluation_periods must be at most 604800 s (seven days), "
        "got 3600 s x 169 = 608400 s",
        rollback_alarms=RollbackAlarms(period=Duration.hours(1), evaluation_periods=169),
    ),
    fails(
        "deployment: SageMaker's deployment guardrails exclude Inf1 instances (ml.inf1.6xlarge, which a pool is or "
        "may resolve to); such an endpoint "
        "updates blue/green all at once with no baking, whatever the policy says. Use another instance type "
        "(Inf2 is not excluded) or deployment=None",
        instance_pools=[InstancePool("ml.inf2.8xlarge"), InstancePool("ml.inf1.6xlarge")],
        deployment=DeploymentPolicy.rolling(),
    ),
    fails(
        "rollback_alarms.evaluation_periods must be at least 1, got 0",
        rollback_alarms=RollbackAlarms(evaluation_periods=0, datapoints_to_alarm=0),
    ),
    fails(
        "rollback_alarms.latency_statistic must be Average, Minimum, Maximum or a percentile such as p90 or p99.9, got 'p999x'",
        rollback_alarms=RollbackAlarms(latency_statistic="p999x"),
    ),
    fails(
        "rollback_alarms.datapoints_to_alarm must not exceed evaluation_periods (3), got 4",
        rollback_alarms=RollbackAlarms(datapoints_to_alarm=4),
    ),
    fails(
        "encryption_key cannot be used with instance_pools[1].instance_type 'ml.g6.48xlarge': it stores on local "
        "NVMe that a hardware module on the instance encrypts, and SageMaker rejects a KMS key for an endpoint "
        "with such a type",
        instance_pools=[InstancePool("ml.inf2.48xlarge"), InstancePool(G6)],
        encryption_key=kms.Key.from_key_arn(
            new_stack("Keys"), "Key", "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ),
    ),
    fails(
        "volume_size_gb cannot be used with instance_pools[1].instance_type 'ml.g6.48xlarge': it stores on local "
        "NVMe that a hardware module on the instance encrypts, and SageMaker rejects an EBS volume size for an "
        "endpoint with such a type",
        instance_pools=[InstancePool("ml.inf2.48xlarge"), InstancePool(G6)],
        volume_size_gb=200,
    ),
    fails(
        "rollback_alarms.error_rate_percent must be between 0 and 100, got 150",
        rollback_alarms=RollbackAlarms(error_rate_percent=150),
    ),
    fails(NEEDS_DEPLOYMENT, rollback_alarms=RollbackAlarms(model_latency=Duration.seconds(30))),
    # A latency threshold of zero breaches on every request and rolls every deployment back; aws-cdk
    # converts a fraction of a millisecond, or a deploy-time value in another unit, into no threshold.
    fails(
        "rollback_alarms.model_latency must be at least 1 ms, got 0 ms",
        deployment=DeploymentPolicy.rolling(),
        rollback_alarms=RollbackAlarms(model_latency=Duration.millis(0)),
    ),
    fails(
        "instance_pools[0].model_latency_threshold must be a whole number of milliseconds, got 0.5 millis",
        deployment=DeploymentPolicy.rolling(),
        instance_pools=[InstancePool(P5, model_latency_threshold=Duration.millis(0.5))],
    ),
    fails(
        "rollback_alarms.model_latency must be a whole number of milliseconds, got <token> seconds (a "
        "deploy-time value must be given as Duration.millis)",
        deployment=DeploymentPolicy.rolling(),
        rollback_alarms=RollbackAlarms(model_latency=Duration.seconds(cdk.Token.as_number({"Ref": "Latency"}))),
    ),
    fails(NEEDS_DEPLOYMENT, rollback_alarms=RollbackAlarms()),  # given, even as the defaults: no alarm would exist
]


@pytest.mark.parametrize(("overrides", "message"), ENDPOINT_ERRORS)
def test_endpoint_rejects(overrides: dict[str, Any], message: str) -> None:
    stack = new_stack()
    with pytest.raises(ValidationError, match=re.escape(message)):
        endpoint(stack, **overrides)
    assert stack.node.try_find_child("Endpoint") is None, "validation must run before any child is created"


def test_rejects_more_than_ten_rollback_alarms() -> None:
    stack = new_stack()
    extra = [cw.Alarm.from_alarm_name(stack, f"A{i}", f"alarm-{i}") for i in range(8)]
    with pytest.raises(ValidationError, match=re.escape("at most 10 alarms, got 11")):
        endpoint(
            stack,
            deployment=DeploymentPolicy.rolling(),
            rollback_alarms=RollbackAlarms(model_latency=Duration.seconds(5)),
            alarms=extra,
        )


def test_add_rollback_alarm_rejects_the_eleventh() -> None:
    stack = new_stack()
    ep = endpoint(stack, deployment=DeploymentPolicy.rolling(), alarms=[cw.Alarm.from_alarm_name(stack, "A", "a")])
    for i in range(8):
        ep.add_rollback_alarm(cw.Alarm.from_alarm_name(stack, f"B{i}", f"b-{i}"))
    with pytest.raises(ValidationError, match="at most 10 alarms, got 11"):
        ep.add_rollback_alarm(cw.Alarm.from_alarm_name(stack, "C", "c"))


FOREIGN_ALARM = "arn:aws:cloudwatch:{region}:{account}:alarm:team-slo-burn"


@pytest.mark.parametrize(
    ("account", "region", "message"),
    [
        (
            "999999999999",
            "us-west-2",
            "is an alarm of account 999999999999; SageMaker reads rollback alarms by "
            "name in the endpoint's account, 111122223333",
        ),
        (
            "111122223333",
            "eu-west-1",
            "is an alarm of region eu-west-1; SageMaker reads rollback alarms by name "
            "in the endpoint's region, us-west-2",
        ),
    ],
)
def test_a_rollback_alarm_of_another_account_or_region_is_refused(account: str, region: str, message: str) -> None:
    stack = new_stack()
    foreign = cw.Alarm.from_alarm_arn(stack, "Foreign", FOREIGN_ALARM.format(account=account, region=region))
    with pytest.raises(ValidationError, match=re.escape(f"alarms[0] (team-slo-burn) {message}")):
        endpoint(stack, deployment=DeploymentPolicy.rolling(), alarms=[foreign])
    assert stack.node.try_find_child("Endpoint") is None
    guarded = endpoint(deployment=DeploymentPolicy.rolling())
    with pytest.raises(ValidationError, match=re.escape(f"add_rollback_alarm(alarm)[0] (team-slo-burn) {message}")):
        guarded.add_rollback_alarm(foreign)
    local = FOREIGN_ALARM.format(account="111122223333", region="us-west-2")
    guarded.add_rollback_alarm(cw.Alarm.from_alarm_arn(guarded, "Local", local))  # the same alarm name, at home
    assert len(guarded.rollback_alarms) == 2  # the default error-rate alarm and this one


def test_a_rollback_alarm_of_a_stack_in_another_environment_is_refused() -> None:
    app = cdk.App()
    monitoring = cdk.Stack(app, "Monitoring", env=cdk.Environment(account="999999999999", region="eu-west-1"))
    by_name = cw.Alarm.from_alarm_name(monitoring, "ByName", "team-slo-burn")  # a partition token in its ARN
    defined = cw.Alarm(
        monitoring, "Defined", metric=cw.Metric(namespace="Team", metric_name="Burn"), threshold=1, evaluation_periods=1
    )  # its ARN is a token of its own
    for index, alarm in enumerate((by_name, defined)):
        serving = cdk.Stack(app, f"Serving{index}", env=ENV)
        with pytest.raises(ValidationError, match="is an alarm of account 999999999999"):
            endpoint(serving, deployment=DeploymentPolicy.rolling(), alarms=[alarm])


@pytest.mark.parametrize(
    ("env", "refusal"),
    [
        (cdk.Environment(account="111122223333", region="eu-west-1"), "is an alarm of region eu-west-1"),
        (cdk.Environment(account="999999999999", region="us-west-2"), "is an alarm of account 999999999999"),
        (ENV, None),
    ],
    ids=["region", "account", "same-environment"],
)
def test_a_default_rollback_alarm_of_another_endpoint_is_judged_by_its_spelled_arn(
    env: cdk.Environment, refusal: str | None
) -> None:
    """An endpoint's own rollback alarm spells its ARN from its name in its stack's environment: passed to an
    endpoint elsewhere, that ARN's region and account decide, as a GetAtt's stack would."""
    app = cdk.App()
    (theirs,) = endpoint(cdk.Stack(app, "Theirs", env=env), deployment=DeploymentPolicy.rolling()).rollback_alarms
    ours = cdk.Stack(app, "Ours", env=ENV)
    if refusal is None:
        assert len(endpoint(ours, deployment=DeploymentPolicy.rolling(), alarms=[theirs]).rollback_alarms) == 2
    else:
        with pytest.raises(ValidationError, match=re.escape(f"alarms[0] (Theirs/Endpoint/ErrorRate) {refusal}")):
            endpoint(ours, deployment=DeploymentPolicy.rolling(), alarms=[theirs])


@pytest.mark.parametrize(
    ("count", "policy"),
    [
        (200, DeploymentPolicy.canary(size=CapacitySize.instances(1))),  # 0.5 %: a canary count has no floor
        (20, DeploymentPolicy.rolling(max_batch=CapacitySize.instances(1))),  # 5 %, the floor
        (2, DeploymentPolicy.rolling(max_batch=CapacitySize.instances(1))),  # 50 %, the ceiling
        (10, DeploymentPolicy.linear(step=CapacitySize.instances(1))),  # 10 %, the floor
    ],
)
def test_a_count_at_the_bounds_of_its_share_is_accepted(count: int, policy: DeploymentPolicy) -> None:
    endpoint(initial_instance_count=count, deployment=policy)


def test_no_copies_is_refused_as_such_before_any_batch_share() -> None:
    with pytest.raises(ValidationError, match=re.escape("inference_components.initial_copy_count must be at least 1")):
        endpoint(
            instance_pools=[InstancePool(P5, min_memory_mb=1024)],
            inference_components=InferenceComponents(initial_copy_count=0),
            deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.copies(1)),
        )


def test_a_rollback_window_of_exactly_one_day_is_accepted() -> None:
    endpoint(deployment=DeploymentPolicy.rolling(), rollback_alarms=RollbackAlarms(evaluation_periods=1440))


def test_blue_green_is_refused_for_inference_components() -> None:
    pools = [InstancePool(P5, min_memory_mb=2048, max_concurrency=4)]
    with pytest.raises(ValidationError, match=re.escape("use DeploymentPolicy.rolling(), got CANARY")):
        endpoint(
            instance_pools=pools,
            inference_components=InferenceComponents(),
            deployment=DeploymentPolicy.canary(),
        )


def test_copy_counts_are_refused_outside_inference_components_and_instance_counts_inside() -> None:
    pools = [InstancePool(P5, min_memory_mb=2048)]
    with pytest.raises(ValidationError, match="CAPACITY_PERCENT or COPY_COUNT here, got INSTANCE_COUNT"):
        endpoint(
            instance_pools=pools,
            inference_components=InferenceComponents(),
            deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.instances(1)),
        )


SCALING_ERRORS = [
    fails("min_capacity must be at least 1, got 0", min_capacity=0, max_capacity=2),
    fails("max_capacity must be at least min_capacity (3), got 2", min_capacity=3, max_capacity=2),
    fails(
        "target_utilization must be above 0 and at most 1, got 0",
        min_capacity=1,
        max_capacity=2,
        target_utilization=0,
    ),
    fails(
        "target_utilization must be above 0 and at most 1, got 1.5",
        min_capacity=1,
        max_capacity=2,
        target_utilization=1.5,
    ),
    fails(
        "initial_instance_count (1) must lie between min_capacity (2) and max_capacity (4)",
        min_capacity=2,
        max_capacity=4,
    ),
    fails("max_capacity must be at least 1, got 0", min_capacity=1, max_capacity=0),
    fails(
        "scale_out_cooldown must be between 0 and 3600 seconds, got 3601 seconds",
        min_capacity=1,
        max_capacity=2,
        scale_out_cooldown=Duration.seconds(3601),
    ),
    fails(
        "scale_in_cooldown must be between 0 and 3600 seconds, got 7200 seconds",
        min_capacity=1,
        max_capacity=2,
        scale_in_cooldown=Duration.hours(2),
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), SCALING_ERRORS)
def test_scaling_rejects(kwargs: dict[str, Any], message: str) -> None:
    ep = endpoint()
    children = [child.node.id for child in ep.node.children]
    with pytest.raises(ValidationError, match=re.escape(message)):
        ep.scale_on_weighted_utilization(**kwargs)
    assert [child.node.id for child in ep.node.children] == children, "a refused call adds nothing to the tree"


def test_weighted_scaling_needs_max_concurrency_on_every_pool() -> None:
    ep = endpoint(instance_pools=[InstancePool(P5, max_concurrency=20), InstancePool(G6)])
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "scale_on_weighted_utilization needs max_concurrency on every instance pool, missing for ml.g6.48xlarge"
        ),
    ):
        ep.scale_on_weighted_utilization(min_capacity=1, max_capacity=2)


def test_weighted_utilization_metric_needs_max_concurrency_too() -> None:
    ep = endpoint(instance_pools=[InstancePool(P5)])
    with pytest.raises(
        ValidationError, match="metric_weighted_utilization needs max_concurrency on every instance pool"
    ):
        ep.metric_weighted_utilization()


def test_component_scaling_keeps_the_initial_instance_count_under_the_maximum() -> None:
    ep = endpoint(
        instance_pools=[InstancePool(P5, min_memory_mb=1024, max_concurrency=4)],
        inference_components=InferenceComponents(),
        initial_instance_count=5,
    )
    with pytest.raises(
        ValidationError,
        match=re.escape("initial_instance_count (5) must lie between 1 (1) and max_capacity (2)"),
    ):
        ep.scale_on_weighted_utilization(min_capacity=1, max_capacity=2)


@pytest.mark.parametrize(("copies", "low", "high"), [(5, 1, 2), (1, 2, 4)])
def test_component_scaling_starts_the_copies_inside_the_range(copies: int, low: int, high: int) -> None:
    ep = endpoint(
        instance_pools=[InstancePool(P5, min_memory_mb=1024, max_concurrency=4)],
        inference_components=InferenceComponents(initial_copy_count=copies),
    )
    with pytest.raises(
        ValidationError,
        match=re.escape(
            f"inference_components.initial_copy_count ({copies}) must lie between min_capacity ({low}) "
            f"and max_capacity ({high})"
        ),
    ):
        ep.scale_on_weighted_utilization(min_capacity=low, max_capacity=high)


@pytest.mark.parametrize("components", [False, True])
def test_scaling_checks_the_start_against_each_bound_known_at_synth(components: bool) -> None:
    """A deploy-time min_capacity leaves max_capacity to check (and the message shows no token's number)."""
    stack = new_stack()
    minimum = cdk.CfnParameter(stack, "Min", type="Number").value_as_number
    if components:
        ep = endpoint(
            stack,
            instance_pools=[InstancePool(P5, min_memory_mb=1024, max_concurrency=4)],
            inference_components=InferenceComponents(initial_copy_count=5),
        )
        message = "inference_components.initial_copy_count (5) must lie between min_capacity and max_capacity (4)"
    else:
        ep = endpoint(stack, initial_instance_count=5)
        message = "initial_instance_count (5) must lie between min_capacity and max_capacity (4)"
    with pytest.raises(ValidationError, match=re.escape(message)):
        ep.scale_on_weighted_utilization(min_capacity=minimum, max_capacity=4)


def test_component_scaling_needs_at_least_one_copy() -> None:
    ep = endpoint(
        instance_pools=[InstancePool(P5, min_memory_mb=1024, max_concurrency=4)],
        inference_components=InferenceComponents(),
    )
    with pytest.raises(ValidationError, match="min_capacity must be at least 1, got 0"):
        ep.scale_on_weighted_utilization(min_capacity=0, max_capacity=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"endpoint_name": "bad_name"}, "endpoint_name must be 1-63 characters matching"),
        ({"endpoint_name": "ok", "variant_name": "-bad"}, "variant_name must be 1-63 characters matching"),
        ({"endpoint_name": "ok", "asynchronous": "yes"}, "asynchronous must be True or False, got 'yes'"),
    ],
)
def test_imports_check_their_attributes(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        InstancePoolEndpoint.from_endpoint_attributes(new_stack(), "Imported", **kwargs)


def test_an_asynchronous_endpoint_is_guarded_by_its_own_alarms_and_not_scaled_on_concurrency() -> None:
    """The metrics an asynchronous endpoint publishes hold neither Invocations nor
    ConcurrentRequestsPerModel: its deployment is guarded by the user's alarms, and weighted scaling,
    which would track a metric that never comes, is refused."""
    stack = new_stack()
    errors = cw.Alarm.from_alarm_name(stack, "AsyncFailures", "async-invocation-failures")
    asynchronous = endpoint(
        stack,
        async_inference=AsyncInference(output_bucket=s3.Bucket.from_bucket_name(stack, "B", "bucket")),
        deployment=DeploymentPolicy.rolling(),
        rollback_alarms=None,
        alarms=[errors],
    )
    assert asynchronous.rollback_alarms == [errors]
    with pytest.raises(
        ValidationError,
        match="scale_on_weighted_utilization tracks ConcurrentRequestsPerModel, and an asynchronous endpoint publishes no Invocations",
    ):
        asynchronous.scale_on_weighted_utilization(min_capacity=1, max_capacity=2)


def test_weighted_scaling_is_configured_once() -> None:
    ep = endpoint()
    ep.scale_on_weighted_utilization(min_capacity=1, max_capacity=2)
    with pytest.raises(ValidationError, match="already called"):
        ep.scale_on_weighted_utilization(min_capacity=1, max_capacity=3)


MODEL_ERRORS = [
    fails("Model needs exactly one of image_uri and model_package_arn", image_uri=None),
    fails(
        "Model needs exactly one of image_uri and model_package_arn",
        model_package_arn="arn:aws:sagemaker:us-west-2:111122223333:model-package/job/1",
    ),
    fails(
        "inference_specification_name selects a specification of a model package",
        inference_specification_name="spec",
    ),
    fails(
        "package_source tells where a model package comes from; it needs model_package_arn",
        package_source={"JobName": "sizing-1"},
    ),
    fails(
        "model_data_url goes with image_uri; a model package carries its own data",
        image_uri=None,
        model_package_arn="arn:aws:sagemaker:us-west-2:111122223333:model-package/job/1",
        keep_model_data=True,
    ),
    fails(
        "model_data_url must be an s3:// URL, got 'https://example.com/model'",
        model_data_url="https://example.com/model",
    ),
    fails(
        "model_data and model_data_url both name the model data; give one (model_data for a location with a KMS "
        "key), got model_data='s3://genai-models-111122223333/llama-3.1-8b/' and "
        "model_data_url='s3://genai-models-111122223333/llama-3.1-8b/'",
        model_data=S3Location.from_uri(MODEL_DATA),
    ),
    fails(
        "model_data goes with image_uri; a model package carries its own data",
        image_uri=None,
        model_data_url=None,
        model_data=S3Location.from_uri(MODEL_DATA),
        model_package_arn="arn:aws:sagemaker:us-west-2:111122223333:model-package/job/1",
        keep_model_data=True,
    ),
    fails(
        "environment HF_MODEL_ID='meta-llama/Llama-3.1-8B-Instruct' makes the container download the model "
        "itself, which network_isolation=True blocks",
        environment={"HF_MODEL_ID": "meta-llama/Llama-3.1-8B-Instruct"},
    ),
    fails(
        "environment OPTION_MODEL_ID='s3://genai-models/llama/' makes the container download the model itself",
        environment={"OPTION_MODEL_ID": "s3://genai-models/llama/"},
    ),
    # CreateModel's limits, which CloudFormation's schema does not check (the API-model validator found them).
    fails(
        "environment variable names must match [a-zA-Z_][a-zA-Z0-9_]* (at most 1024 characters), got 'HF-TOKEN'",
        environment={"HF-TOKEN": "x"},
    ),
    fails(
        "environment OPTION_ROPE_SCALING allows at most 1024 characters, got 1025",
        environment={"OPTION_ROPE_SCALING": "x" * 1025},
    ),
    fails("environment allows at most 100 variables, got 101", environment={f"V{i}": "1" for i in range(101)}),
    fails("model_name must be 1-63 characters matching", model_name="llama_8b"),
    fails(
        "inference_specification_name must be 1-63 characters matching",
        image_uri=None,
        model_package_arn="arn:aws:sagemaker:us-west-2:111122223333:model-package/job/1",
        inference_specification_name="g6_12xlarge",
    ),
]


def test_model_environment_at_the_api_limits_is_accepted() -> None:
    stack = new_stack()
    environment = {f"V{i}": "x" * 1024 for i in range(99)} | {"_LONG_" + "A" * 250: cdk.Aws.REGION}
    Model(stack, "Model", image_uri=IMAGE, environment=environment, model_name="llama-8b")
    synth(stack)


@pytest.mark.parametrize(("overrides", "message"), MODEL_ERRORS)
def test_model_rejects(overrides: dict[str, Any], message: str) -> None:
    props: dict[str, Any] = {"image_uri": IMAGE, "model_data_url": MODEL_DATA}
    keep_model_data = overrides.pop("keep_model_data", False)
    props.update(overrides)
    if props["image_uri"] is None and not keep_model_data:
        props.pop("model_data_url")
    stack = new_stack()
    with pytest.raises(ValidationError, match=re.escape(message)):
        Model(stack, "Model", **props)
    assert stack.node.try_find_child("Model") is None, "validation must run before any child is created"


def test_unresolved_tokens_are_not_rejected_and_reach_the_template() -> None:
    stack = new_stack()
    instance_type = cdk.CfnParameter(stack, "InstanceType").value_as_string
    capacity = cdk.CfnParameter(stack, "Capacity", type="Number").value_as_number
    timeout = cdk.CfnParameter(stack, "Timeout", type="Number").value_as_number
    name = cdk.CfnParameter(stack, "Name").value_as_string
    ep = endpoint(
        stack,
        endpoint_name=name,
        instance_pools=[
            InstancePool(instance_type, max_concurrency=capacity),
            InstancePool("ml.inf2.48xlarge", max_concurrency=8),
        ],
        provisioning_timeout=Duration.seconds(timeout),
        volume_size_gb=cdk.CfnParameter(stack, "Volume", type="Number").value_as_number,
        deployment=DeploymentPolicy.rolling(wait_interval=Duration.seconds(timeout)),
    )
    ep.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
    template = synth(stack).to_json()
    policy = next(
        r for r in template["Resources"].values() if r["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"
    )
    metrics = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"][
        "Metrics"
    ]
    assert metrics[-1]["Expression"] == {
        "Fn::Join": [
            "",
            [
                "(FILL(pool1_sum,0)/",
                {"Ref": "Capacity"},
                " + FILL(inf2_48xlarge_sum,0)/8) / (FILL(pool1_n,0) + FILL(inf2_48xlarge_n,0))",
            ],
        ]
    }
    config = next(r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::EndpointConfig")
    variant = config["Properties"]["ProductionVariants"][0]
    assert variant["InstancePools"][0]["InstanceType"] == {"Ref": "InstanceType"}
    assert variant["VariantInstanceProvisionTimeoutInSeconds"] == {"Ref": "Timeout"}


def test_tags_follow_the_service_models_tag_rules() -> None:
    """check_tags spells out SageMaker's TagKey/TagValue pattern (Python's re has no Unicode classes):
    the model still says what it implements, and letters beyond ASCII, spaces and tokens pass."""
    model = service_model._model()
    for shape, low, high in (("TagKey", 1, 128), ("TagValue", 0, 256)):
        meta = model.shape_for(shape).metadata
        assert (meta["pattern"], meta["min"], meta["max"]) == (f"({TAG_CHARACTERS})", low, high)
    assert model.shape_for("TagList").metadata["max"] == MAX_TAGS
    stack = new_stack()
    endpoint(stack, tags={"Équipe": "ML inférence 2", "cost-center": cdk.Aws.ACCOUNT_ID, "a" * 128: "b" * 256})
    synth(stack)


def test_instance_store_families_are_hosting_families() -> None:
    """The families whose NVMe refuses a KMS key are spelled as the SageMaker service model spells them."""
    families = {instance_type.split(".")[1] for instance_type in service_model.hosting_instance_types()}
    assert families >= INSTANCE_STORE_FAMILIES, INSTANCE_STORE_FAMILIES - families
    assert local_nvme_types(["ml.g6e.12xlarge", "ml.inf2.48xlarge"]) == ["ml.g6e.12xlarge"]


def test_the_local_token_check_answers_as_the_cdk_does() -> None:
    """``unresolved`` skips the jsii runtime for plain numbers and marker-free strings; for every kind of
    value a check meets, it must say what ``Token.is_unresolved`` says."""
    stack = new_stack()
    number = cdk.CfnParameter(stack, "Number", type="Number").value_as_number
    values: list[Any] = [
        None, True, False, 0, 1, -1, 7, 2**52, 2**60, -(2**60), 0.25, -0.0, 1e300, -1e300,
        number, -number, number + 1, cdk.Token.as_number(cdk.Aws.ACCOUNT_ID),
        "", "ml.p5.48xlarge", "Token[", "${Token[", "${Token[x]}", "a ${Token[TOKEN.1]} b", "#{Token[TOKEN.2]}",
        "-1.8881545897087626e+289", cdk.Aws.REGION, f"arn:{cdk.Aws.PARTITION}:x", stack.format_arn(service="s", resource="r"),
        cdk.CfnParameter(stack, "Text").value_as_string, [cdk.Aws.REGION], cdk.Token.as_list(cdk.Fn.split(",", "a,b")),
        ["a"], ["a", "b"], [], Duration.minutes(1), cdk.Fn.ref("Number"),
    ]  # fmt: skip
    for value in values:
        assert unresolved(value) is cdk.Token.is_unresolved(value), value
    assert not unresolved(float("inf")) and not unresolved(float("nan"))  # which the jsii runtime cannot read
