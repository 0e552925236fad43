"""Property-based tests: arguments drawn across each construct's whole domain either raise our
ValidationError (naming an argument) or synthesize a template that passes cfn-lint. Nothing else
may escape. Example counts are set per construct (FUZZ_EXAMPLES scales them all)."""

from __future__ import annotations

import inspect
import os
import re
from collections import Counter
from typing import Any

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdk_genai_inference import (
    BenchmarkJob,
    BenchmarkSla,
    CapacitySize,
    CapacityUnit,
    DeploymentPolicy,
    InferenceComponents,
    InstancePool,
    InstancePoolEndpoint,
    JobWait,
    Model,
    PackageApproval,
    PoolOrder,
    RecommendationGoal,
    RecommendationHosting,
    RecommendationJob,
    RecommendedModels,
    RollbackAlarms,
    RoutingStrategy,
    S3Location,
    SlaSearch,
    TokenDistribution,
    ValidationError,
    WorkloadConfig,
)
from synthesis import ENV, IMAGE, lint

SCALE = float(os.environ.get("FUZZ_EXAMPLES", "1"))
TYPES = [
    "ml.p5.48xlarge",
    "ml.g6.48xlarge",
    "ml.g6e.12xlarge",
    "ml.g5.2xlarge",
    "ml.inf2.xlarge",
    "ml.bogus.xlarge",
    "p5",
]
REC_TYPES = ["ml.g6e.12xlarge", "ml.g6.12xlarge", "ml.g5.12xlarge", "ml.p5.48xlarge", "ml.m5.large"]


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=True,  # the same examples every run: CI stays reproducible
        database=None,
    )


OUTCOMES: Counter[tuple[str, str]] = Counter()
ARGUMENTS = {
    name
    for target in (
        InstancePoolEndpoint,
        InstancePoolEndpoint.scale_on_weighted_utilization,
        InstancePool,
        Model,
        RollbackAlarms,
        DeploymentPolicy.rolling,
        DeploymentPolicy.canary,
        DeploymentPolicy.linear,
        CapacitySize,
        WorkloadConfig,
        SlaSearch,
        TokenDistribution,
        RecommendationJob,
        RecommendedModels,
        BenchmarkJob,
        BenchmarkSla,
        JobWait.in_deployment,
    )
    for name in inspect.signature(target.__init__ if isinstance(target, type) else target).parameters
    if name not in ("self", "scope", "id")
}
"""Every argument a user can pass: an error message must name at least one."""
ARGUMENT = re.compile(r"\b(" + "|".join(sorted(ARGUMENTS, key=len, reverse=True)) + r")\b")


def holds(construct: str, build: Any) -> None:
    """Run ``build(stack)``: it must raise our ValidationError naming an argument, or synthesize a
    template that passes cfn-lint. Any other exception fails the example."""
    stack = cdk.Stack(cdk.App(), "Fuzz", env=ENV)
    try:
        build(stack)
    except ValidationError as error:
        message = str(error)
        assert ARGUMENT.search(message), f"names no argument: {message}"
        assert not message.endswith("."), message
        OUTCOMES[construct, "rejected"] += 1
        return
    template = Template.from_stack(stack).to_json()
    assert lint(template) == []
    OUTCOMES[construct, "synthesized"] += 1


def mostly(valid: Any, anything: Any) -> Any:
    """Seven draws in eight from the valid part of a domain, so that examples with several
    arguments still get past validation often; the rest roam the whole domain."""
    return st.sampled_from([True] * 7 + [False]).flatmap(lambda pick_valid: valid if pick_valid else anything)


seconds = st.integers(min_value=0, max_value=40000)
durations = seconds.map(Duration.seconds)
valid_types = st.sampled_from(TYPES[:5])

valid_pool = st.builds(
    InstancePool,
    instance_type=valid_types,
    max_concurrency=st.floats(min_value=0.5, max_value=64, allow_nan=False),
)
any_pool = st.builds(
    InstancePool,
    instance_type=st.sampled_from(TYPES),
    max_concurrency=st.none() | st.floats(-5, 500, allow_nan=False),
    priority=st.none() | st.integers(min_value=-1, max_value=7),
    scaling_weight=st.floats(min_value=-1, max_value=10, allow_nan=False),
    model_latency_threshold=st.none() | st.integers(min_value=1, max_value=600).map(Duration.seconds),
)
pools = mostly(
    st.lists(valid_pool, min_size=1, max_size=3, unique_by=lambda pool: pool.instance_type),
    st.lists(st.one_of(valid_pool, any_pool), max_size=7),
)
capacity = st.builds(
    CapacitySize, unit=st.sampled_from(list(CapacityUnit)), value=st.integers(min_value=-1, max_value=120)
)
percent = st.builds(CapacitySize.percent, st.integers(min_value=10, max_value=50))
deployments = mostly(
    st.none(),
    st.one_of(
        st.builds(
            DeploymentPolicy.rolling,
            max_batch=st.none() | percent | capacity,
            wait_interval=st.none() | durations,
            rollback_max_batch=st.none() | capacity,
            max_execution_timeout=st.none() | durations,
        ),
        st.builds(
            DeploymentPolicy.all_at_once, wait_interval=st.none() | durations, termination_wait=st.none() | durations
        ),
        st.builds(DeploymentPolicy.canary, size=st.none() | capacity, wait_interval=st.none() | durations),
        st.builds(
            DeploymentPolicy.linear, step=st.none() | percent | capacity, max_execution_timeout=st.none() | durations
        ),
    ),
)
alarms = mostly(
    st.just(RollbackAlarms()),
    st.none()
    | st.builds(
        RollbackAlarms,
        error_rate_percent=st.floats(min_value=-1, max_value=150, allow_nan=False),
        model_latency=st.none() | st.integers(min_value=1, max_value=120).map(Duration.seconds),
        latency_statistic=st.sampled_from(["p90", "p99.9", "Average", "p101", "median"]),
        period=st.sampled_from([10, 30, 45, 60, 120, 3600]).map(Duration.seconds),
        evaluation_periods=st.integers(min_value=0, max_value=5) | st.just(1441),
        datapoints_to_alarm=st.integers(min_value=0, max_value=5),
    ),
)


@fuzz(20)
@given(
    pools=pools,
    count=mostly(st.just(1), st.integers(min_value=0, max_value=6)),
    timeout=mostly(st.none(), seconds),
    volume=mostly(st.none(), st.integers(min_value=0, max_value=600)),
    routing=st.sampled_from([RoutingStrategy.LEAST_OUTSTANDING_REQUESTS, RoutingStrategy.RANDOM]),
    deployment=deployments,
    rollback=alarms,
    components=mostly(st.just(False), st.booleans()),
    overrides=mostly(
        st.just({}),
        st.dictionaries(st.sampled_from(["EnableSSMAccess", "InstanceType", "Bogus"]), st.just(True), max_size=2),
    ),
    scaling=mostly(
        st.none() | st.tuples(st.just(1), st.integers(min_value=1, max_value=8), st.just(0.7)),
        st.tuples(st.integers(-1, 5), st.integers(-1, 8), st.floats(min_value=-0.5, max_value=1.5, allow_nan=False)),
    ),
    encrypted=mostly(st.just(False), st.booleans()),
    isolated=st.booleans(),
    hub_model=mostly(st.just(False), st.booleans()),
)
def test_instance_pool_endpoint(
    pools,
    count,
    timeout,
    volume,
    routing,
    deployment,
    rollback,
    components,
    overrides,
    scaling,
    encrypted,
    isolated,
    hub_model,
) -> None:
    def build(stack: cdk.Stack) -> None:
        environment = {"HF_MODEL_ID": "org/model" if hub_model else "/opt/ml/model"}
        model = Model(stack, "Model", image_uri=IMAGE, environment=environment, network_isolation=isolated)
        sized = [
            InstancePool(
                p.instance_type,
                max_concurrency=p.max_concurrency,
                priority=p.priority,
                scaling_weight=p.scaling_weight,
                model_latency_threshold=p.model_latency_threshold,
                min_memory_mb=4096 if components else None,
            )
            for p in pools
        ]
        endpoint = InstancePoolEndpoint(
            stack,
            "Endpoint",
            model=model,
            instance_pools=sized,
            initial_instance_count=count,
            provisioning_timeout=None if timeout is None else Duration.seconds(timeout),
            volume_size_gb=volume,
            routing_strategy=routing,
            deployment=deployment,
            rollback_alarms=rollback,
            inference_components=InferenceComponents() if components else None,
            variant_overrides=overrides,
            encryption_key=kms.Key(stack, "Key", enable_key_rotation=True) if encrypted else None,
        )
        if scaling is not None:
            endpoint.scale_on_weighted_utilization(
                min_capacity=scaling[0], max_capacity=scaling[1], target_utilization=scaling[2]
            )

    holds("InstancePoolEndpoint", build)


@fuzz(20)
@given(
    name=mostly(st.none(), st.sampled_from(["chat-3500-200", "Chat", "a" * 64, "-x"])),
    input_mean=mostly(st.none() | st.integers(min_value=1, max_value=20000), st.integers(min_value=-1, max_value=0)),
    stddev=mostly(
        st.floats(min_value=0, max_value=500, allow_nan=False), st.floats(min_value=-1, max_value=0, allow_nan=False)
    ),
    concurrency=mostly(
        st.none() | st.lists(st.integers(1, 64), min_size=1, max_size=4),
        st.integers(-1, 64) | st.lists(st.integers(0, 64), max_size=4),
    ),
    streaming=st.none() | st.booleans(),
    goodput=mostly(
        st.none(),
        st.dictionaries(
            st.sampled_from(["time_to_first_token", "inter_token_latency"]), st.integers(-1, 500), max_size=2
        ),
    ),
    search=mostly(
        st.none(),
        st.builds(
            SlaSearch,
            ttft_ms=st.none() | st.integers(0, 900),
            e2e_ms=st.none() | st.integers(0, 20000),
            error_rate=st.none() | st.floats(-0.5, 2, allow_nan=False),
            statistic=st.sampled_from(["avg", "p90", "p75"]),
        ),
    ),
    parameters=mostly(
        st.just({}),
        st.dictionaries(
            st.sampled_from(["random_seed", "isl", "warmup_request_count", "made_up"]), st.integers(0, 50), max_size=2
        ),
    ),
    datasets=mostly(
        st.just({}),
        st.dictionaries(
            st.sampled_from(["prompts", "bad channel"]), st.sampled_from(["s3://d/p/", "https://d/p"]), max_size=1
        ),
    ),
)
def test_workload_config(
    name, input_mean, stddev, concurrency, streaming, goodput, search, parameters, datasets
) -> None:
    def build(stack: cdk.Stack) -> None:
        WorkloadConfig(
            stack,
            "Workload",
            workload_config_name=name,
            input_tokens=None if input_mean is None else TokenDistribution(input_mean, stddev),
            concurrency=concurrency,
            streaming=streaming,
            goodput=goodput,
            sla_search=search,
            parameters=parameters,
            datasets=datasets,
        )

    holds("WorkloadConfig", build)


@fuzz(10)
@given(
    types=mostly(
        st.lists(st.sampled_from(REC_TYPES[:3]), max_size=3, unique=True),
        st.lists(st.sampled_from(REC_TYPES), max_size=4),
    ),
    goal=mostly(st.sampled_from(list(RecommendationGoal)), st.just("throughput")),
    prefix=mostly(st.none(), st.sampled_from(["llama-sizing", "Llama", "x" * 60])),
    wait=mostly(st.none(), st.integers(min_value=0, max_value=50000)),
)
def test_recommendation_job(types, goal, prefix, wait) -> None:
    def build(stack: cdk.Stack) -> None:
        RecommendationJob(
            stack,
            "Job",
            model_source=S3Location.from_uri("s3://models/m/"),
            workload_config=WorkloadConfig(stack, "W"),
            goal=goal,
            output=S3Location.from_uri("s3://artifacts/o/"),
            instance_types=types,
            job_name_prefix=prefix,
            wait=None if wait is None else JobWait.in_deployment(Duration.seconds(wait)),
        )

    holds("RecommendationJob", build)


@fuzz(10)
@given(
    latency=mostly(
        st.none() | st.floats(min_value=0, max_value=50000, allow_nan=False), st.floats(-10, 0, allow_nan=False)
    ),
    error_rate=mostly(
        st.none() | st.floats(min_value=0, max_value=1, allow_nan=False), st.floats(-0.5, 2, allow_nan=False)
    ),
    tokens=mostly(
        st.none() | st.floats(min_value=0, max_value=5000, allow_nan=False), st.floats(-10, 0, allow_nan=False)
    ),
    waiting=st.booleans(),
)
def test_benchmark_job(latency, error_rate, tokens, waiting) -> None:
    def build(stack: cdk.Stack) -> None:
        endpoint = InstancePoolEndpoint(
            stack,
            "Endpoint",
            model=Model(stack, "Model", image_uri=IMAGE),
            instance_pools=[InstancePool("ml.g6.12xlarge")],
            dashboard=False,
        )
        BenchmarkJob(
            stack,
            "Benchmark",
            endpoint=endpoint,
            workload_config=WorkloadConfig(stack, "W"),
            output=S3Location.from_uri("s3://artifacts/b/"),
            sla=BenchmarkSla(
                request_latency_p99_ms=latency, max_error_rate=error_rate, min_output_tokens_per_second=tokens
            ),
            wait=JobWait.in_deployment() if waiting else JobWait.none(),
        )

    holds("BenchmarkJob", build)


GROUPS = [
    "arn:aws:sagemaker:us-west-2:222222222222:model-package-group/llama-sizing-0123456789",
    "llama-sizing-0123456789",
]


@fuzz(10)
@given(
    shared=st.booleans(),
    group=mostly(st.just(GROUPS[0]), st.sampled_from(GROUPS)),
    types=mostly(
        st.lists(st.sampled_from(REC_TYPES[:3]), min_size=1, max_size=3, unique=True),
        st.lists(st.sampled_from(REC_TYPES), max_size=6),
    ),
    order=mostly(st.sampled_from(list(PoolOrder)), st.just("priority")),
    pool_count=mostly(st.none(), st.integers(min_value=0, max_value=7)),
    hosting=mostly(st.sampled_from(list(RecommendationHosting)), st.just("single-model")),
    approval=mostly(st.sampled_from(list(PackageApproval)), st.just("approve")),
    share_with=mostly(
        st.lists(st.just("333333333333"), max_size=1), st.lists(st.sampled_from(["3333", "x"]), max_size=1)
    ),
    overrides=mostly(st.none(), st.dictionaries(st.sampled_from(REC_TYPES[:4]), st.integers(1, 64), max_size=1)),
    model_data=st.booleans(),
    components=mostly(st.none(), st.booleans()),
)
def test_recommended_models(
    shared, group, types, order, pool_count, hosting, approval, share_with, overrides, model_data, components
) -> None:
    def build(stack: cdk.Stack) -> None:
        data = [S3Location.from_uri("s3://artifacts-222222222222/o/")] if model_data else []
        if shared:
            models = RecommendedModels(
                stack,
                "Models",
                model_package_group_arn=group,
                instance_types=types,
                order=order,
                hosting=hosting,
                approval=approval,
                max_concurrency=overrides,
                model_data=data,
            )
        else:
            job = RecommendationJob(
                stack,
                "Job",
                model_source=S3Location.from_uri("s3://models/m/"),
                workload_config=WorkloadConfig(stack, "W"),
                goal=RecommendationGoal.THROUGHPUT,
                output=S3Location.from_uri("s3://artifacts/o/"),
                instance_types=REC_TYPES[:3],
                share_packages_with=share_with,
            )
            models = RecommendedModels(
                stack,
                "Models",
                job=job,
                instance_types=types,
                order=order,
                pool_count=pool_count,
                hosting=hosting,
                approval=approval,
                max_concurrency=overrides,
                model_data=data,
            )
        # As documented (None: follow the hosting), or deliberately the other way round.
        follow = components is None or components == (models.inference_components is not None)
        endpoint = InstancePoolEndpoint(
            stack,
            "Endpoint",
            instance_pools=models.instance_pools,
            inference_components=models.inference_components if follow else InferenceComponents(),
            initial_instance_count=models.initial_instance_count,
            dashboard=False,
        )
        endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=8)

    holds("RecommendedModels", build)


def test_every_construct_was_both_rejected_and_synthesized() -> None:
    """The strategies reach both sides of each construct's validation (run after the fuzz tests)."""
    for construct in (
        "InstancePoolEndpoint",
        "WorkloadConfig",
        "RecommendationJob",
        "RecommendedModels",
        "BenchmarkJob",
    ):
        assert OUTCOMES[construct, "rejected"] > 0, construct
        assert OUTCOMES[construct, "synthesized"] > 0, construct
    print("fuzz examples:", dict(OUTCOMES))
