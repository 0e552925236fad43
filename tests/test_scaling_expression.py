"""The weighted-utilization expression reports the true utilization in every occupancy state.

The oracle simulates instances, not pools: each instance of a pool publishes its own concurrency
samples to its type's series, and CloudWatch aggregates them into Sum and SampleCount per period.
The true utilization is the mean, over those instances, of concurrency / max_concurrency.
"""

from __future__ import annotations

import itertools
import random

import pytest

from cdk_genai_inference import InstancePool, InstancePoolEndpoint, Model, ValidationError
from cdk_genai_inference.serving.scaling import (
    MAX_EXPRESSION_LENGTH,
    UtilizationTerm,
    format_number,
    metric_id,
    weighted_utilization_expression,
)
from metric_math import evaluate
from synthesis import IMAGE, new_stack, only, synth

POOLS = [
    InstancePool("ml.p5.48xlarge", max_concurrency=20),
    InstancePool("ml.g6e.48xlarge", max_concurrency=12),
    InstancePool("ml.g6.48xlarge", max_concurrency=8),
]
SAMPLES_PER_PERIOD = 6  # ConcurrentRequestsPerModel is published every 10 s; the alarm period is 60 s
MODES = ["documented", "strict", "fill-needs-data"]


@pytest.fixture(scope="module")
def policy_metrics() -> list[dict]:
    """The metric queries of a synthesized 3-pool endpoint's scaling policy."""
    stack = new_stack()
    endpoint = InstancePoolEndpoint(
        stack, "Endpoint", model=Model(stack, "Model", image_uri=IMAGE), instance_pools=POOLS, dashboard=False
    )
    endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=6)
    policy = only(synth(stack), "AWS::ApplicationAutoScaling::ScalingPolicy")
    return policy["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]["Metrics"]


def published(pools: list[InstancePool], loads: list[list[float]]) -> dict[str, float | None]:
    """What CloudWatch holds for one period: per pool, Sum and SampleCount of its instances' samples."""
    metrics: dict[str, float | None] = {}
    for position, (pool, instances) in enumerate(zip(pools, loads, strict=True), start=1):
        stem = metric_id(pool.instance_type, position)
        samples = [load for load in instances for _ in range(SAMPLES_PER_PERIOD)]
        metrics[f"{stem}_sum"] = sum(samples) if samples else None
        metrics[f"{stem}_n"] = float(len(samples)) if samples else None
    return metrics


def true_utilization(pools: list[InstancePool], loads: list[list[float]]) -> float | None:
    """Mean over the instances that exist of concurrency / max_concurrency (scaling weights applied)."""
    weighted = [
        (pool.scaling_weight, load / pool.max_concurrency)  # type: ignore[operator]
        for pool, instances in zip(pools, loads, strict=True)
        for load in instances
    ]
    if not weighted:
        return None
    return sum(w * u for w, u in weighted) / sum(w for w, _ in weighted)


def fleets(pool_count: int, max_instances: int = 3) -> list[tuple[int, ...]]:
    """Every instance count per pool from 0 to ``max_instances``: all occupancy states, all sizes."""
    return list(itertools.product(range(max_instances + 1), repeat=pool_count))


@pytest.mark.parametrize("mode", MODES)
def test_expression_equals_true_utilization_in_every_occupancy_state(policy_metrics, mode):
    expression = next(m["Expression"] for m in policy_metrics if m.get("ReturnData"))
    ids = [m["Id"] for m in policy_metrics if "MetricStat" in m]
    assert ids == [f"{stem}_{kind}" for stem in ("p5_48xlarge", "g6e_48xlarge", "g6_48xlarge") for kind in ("sum", "n")]
    rng = random.Random(7)
    states = fleets(len(POOLS))
    assert len(states) == 64  # 8 occupancy states (which pools have instances) times fleet sizes
    for counts in states:
        for trial in range(10):
            loads = [[0.0 if trial == 0 else rng.uniform(0, 30) for _ in range(count)] for count in counts]
            got = evaluate(expression, published(POOLS, loads), mode)
            want = true_utilization(POOLS, loads)
            if want is None:
                assert got is None, f"{counts}: expected no datapoint, got {got}"
            else:
                assert got == pytest.approx(want), f"{counts} ({mode}): {got} != {want}"


def test_weights_favour_a_pool_as_documented():
    pools = [
        InstancePool("ml.p5.48xlarge", max_concurrency=20),
        InstancePool("ml.g6.48xlarge", max_concurrency=8, scaling_weight=3),
    ]
    terms = [
        UtilizationTerm(metric_id(p.instance_type, i), p.instance_type, p.max_concurrency, p.scaling_weight)
        for i, p in enumerate(pools, 1)
    ]  # type: ignore[arg-type]
    expression = weighted_utilization_expression(terms)
    loads = [[10.0, 14.0], [6.0]]
    assert evaluate(expression, published(pools, loads)) == pytest.approx(true_utilization(pools, loads))
    assert true_utilization(pools, loads) == pytest.approx((0.5 + 0.7 + 3 * 0.75) / 5)


def test_the_published_formulas_under_report():
    """The evaluator can tell a wrong formula: the blog's average halves a lone pool's load, and a
    per-pool mean ignores how many instances each pool has."""
    only_p5 = {"p5": 20.0, "g6": None}
    assert evaluate("(p5/20 + g6/8) / 2", only_p5, "documented") == pytest.approx(0.5)  # truly 1.0
    pool_mean = "(FILL(p5,0)/20 + FILL(g6,0)/8) / (FILL(p5*0+1,0) + FILL(g6*0+1,0))"
    three_p5_one_g6 = published(
        [
            InstancePool("ml.p5.48xlarge", max_concurrency=20),
            InstancePool("ml.g6.48xlarge", max_concurrency=8),
        ],
        [[14.0, 14.0, 14.0], [2.0]],
    )
    averages = {"p5": 14.0, "g6": 2.0}
    assert evaluate(pool_mean, averages) == pytest.approx(0.475)  # the 4 instances truly run at 0.5875
    ours = weighted_utilization_expression(
        [
            UtilizationTerm("p5_48xlarge", "ml.p5.48xlarge", 20),
            UtilizationTerm("g6_48xlarge", "ml.g6.48xlarge", 8),
        ]
    )
    assert evaluate(ours, three_p5_one_g6) == pytest.approx((3 * 0.7 + 0.25) / 4)


def test_every_pool_feeds_sum_and_sample_count_of_its_own_per_type_metric(policy_metrics):
    stats = [m for m in policy_metrics if "MetricStat" in m]
    for (sum_query, count_query), pool in zip(zip(stats[::2], stats[1::2], strict=True), POOLS, strict=True):
        assert (sum_query["MetricStat"]["Stat"], count_query["MetricStat"]["Stat"]) == ("Sum", "SampleCount")
        for query in (sum_query, count_query):
            metric = query["MetricStat"]["Metric"]
            assert query["ReturnData"] is False
            assert metric["Namespace"] == "AWS/SageMaker"
            assert metric["MetricName"] == "ConcurrentRequestsPerModel"
            dims = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
            assert set(dims) == {"EndpointName", "VariantName", "InstanceType"}
            assert dims["InstanceType"] == pool.instance_type
        assert sum_query["Label"] == f"{pool.instance_type} (max {pool.max_concurrency:g} concurrent): Sum"
    assert [m["ReturnData"] for m in policy_metrics].count(True) == 1


def test_ids_are_readable_and_start_lower_case():
    assert metric_id("ml.p5.48xlarge", 1) == "p5_48xlarge"
    assert metric_id("ml.inf2.xlarge", 2) == "inf2_xlarge"
    assert metric_id("ml.g6e.12xlarge", 3) == "g6e_12xlarge"


def test_weights_and_fractions_are_written_as_plain_decimals():
    expression = weighted_utilization_expression(
        [
            UtilizationTerm("a", "ml.g5.xlarge", 2.5, weight=0.00005),
            UtilizationTerm("b", "ml.g5.2xlarge", 1234567.5),
        ]
    )
    assert expression == ("(FILL(a_sum,0)*0.00005/2.5 + FILL(b_sum,0)/1234567.5) / (FILL(a_n,0)*0.00005 + FILL(b_n,0))")
    assert "e" not in format_number(1e-7).replace("0.0000001", "")


def test_five_pools_use_exactly_the_ten_metrics_cloudwatch_allows():
    terms = [UtilizationTerm(f"m{i}", f"ml.t{i}", 1) for i in range(5)]
    assert weighted_utilization_expression(terms).count("FILL(") == 10
    with pytest.raises(ValidationError, match="at most 10 metrics in one expression, got 6 pools \\(12 metrics\\)"):
        weighted_utilization_expression([*terms, UtilizationTerm("m5", "ml.t5", 1)])


def test_fails_when_the_expression_is_too_long():
    long_id = "a" * 500
    terms = [UtilizationTerm(f"{long_id}{i}", "ml.g5.xlarge", 1) for i in range(3)]
    with pytest.raises(ValidationError, match=f"Application Auto Scaling allows at most {MAX_EXPRESSION_LENGTH}"):
        weighted_utilization_expression(terms)


def test_fails_on_an_id_that_does_not_start_lower_case():
    with pytest.raises(ValidationError, match="must start with a lower-case letter"):
        weighted_utilization_expression([UtilizationTerm("P5", "ml.p5.48xlarge", 20)])
