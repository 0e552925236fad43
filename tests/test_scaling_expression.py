"""The weighted-utilization expression reports the true utilization in every occupancy state."""

from __future__ import annotations

import itertools
import random

import pytest

from cdk_genai_inference import InstancePool, InstancePoolEndpoint, Model, ValidationError
from cdk_genai_inference.scaling import (
    MAX_EXPRESSION_LENGTH,
    UtilizationTerm,
    metric_id,
    weighted_utilization_expression,
)
from conftest import IMAGE, new_stack, only, synth
from metric_math import evaluate

POOLS = [
    InstancePool("ml.p5.48xlarge", max_concurrency=20),
    InstancePool("ml.g6e.48xlarge", max_concurrency=12, scaling_weight=2),
    InstancePool("ml.g6.48xlarge", max_concurrency=8),
]
MODES = ["documented", "strict"]


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


def true_utilization(concurrency: dict[str, float | None], pools: list[InstancePool]) -> float | None:
    """Weighted mean of c_i / m_i over the pools that have instances."""
    present = [(p, concurrency[metric_id(p.instance_type, i)]) for i, p in enumerate(pools, 1)]
    present = [(p, c) for p, c in present if c is not None]
    if not present:
        return None
    weights = sum(p.scaling_weight for p, _ in present)
    return sum(p.scaling_weight * c / p.max_concurrency for p, c in present) / weights  # type: ignore[operator]


def occupancy_states(ids: list[str]) -> list[tuple[str, ...]]:
    """Every subset of pools that has instances, the empty fleet included."""
    return [combo for r in range(len(ids) + 1) for combo in itertools.combinations(ids, r)]


@pytest.mark.parametrize("mode", MODES)
def test_expression_equals_true_utilization_in_every_occupancy_state(policy_metrics, mode):
    expression = next(m["Expression"] for m in policy_metrics if m.get("ReturnData"))
    ids = [m["Id"] for m in policy_metrics if "MetricStat" in m]
    assert ids == ["p5_48xlarge", "g6e_48xlarge", "g6_48xlarge"]
    rng = random.Random(7)
    states = occupancy_states(ids)
    assert len(states) == 8
    for populated in states:
        for _ in range(25):
            concurrency = {i: (rng.uniform(0, 30) if i in populated else None) for i in ids}
            concurrency_idle = {i: (0.0 if i in populated else None) for i in ids}
            for sample in (concurrency, concurrency_idle):
                got = evaluate(expression, sample, mode)
                want = true_utilization(sample, POOLS)
                if want is None:
                    assert got is None, f"{populated}: expected no datapoint, got {got}"
                else:
                    assert got == pytest.approx(want), f"{populated} ({mode}): {got} != {want}"


def test_the_published_formula_under_reports_when_a_pool_is_empty():
    """The evaluator can tell a wrong formula: the blog's average halves the load of a lone pool."""
    naive = "(p5/20 + g6/8) / 2"
    only_p5 = {"p5": 20.0, "g6": None}
    assert evaluate(naive, only_p5, "documented") == pytest.approx(0.5)  # the true utilization is 1.0
    ours = weighted_utilization_expression(
        [UtilizationTerm("p5", "ml.p5.48xlarge", 20), UtilizationTerm("g6", "ml.g6.48xlarge", 8)]
    )
    assert evaluate(ours, only_p5, "documented") == pytest.approx(1.0)


def test_every_pool_feeds_the_expression_with_its_own_per_type_metric(policy_metrics):
    stats = [m for m in policy_metrics if "MetricStat" in m]
    for query, pool in zip(stats, POOLS, strict=True):
        metric = query["MetricStat"]["Metric"]
        assert query["ReturnData"] is False
        assert query["MetricStat"]["Stat"] == "Average"
        assert metric["Namespace"] == "AWS/SageMaker"
        assert metric["MetricName"] == "ConcurrentRequestsPerModel"
        dims = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        assert set(dims) == {"EndpointName", "VariantName", "InstanceType"}
        assert dims["InstanceType"] == pool.instance_type
        assert query["Label"] == f"{pool.instance_type} (max {pool.max_concurrency:g} concurrent)"
    assert [m["ReturnData"] for m in policy_metrics].count(True) == 1


def test_ids_are_readable_and_start_lower_case():
    assert metric_id("ml.p5.48xlarge", 1) == "p5_48xlarge"
    assert metric_id("ml.inf2.xlarge", 2) == "inf2_xlarge"
    assert metric_id("ml.g6e.12xlarge", 3) == "g6e_12xlarge"


def test_weights_and_fractions_are_written_compactly():
    expression = weighted_utilization_expression(
        [UtilizationTerm("a", "ml.g5.xlarge", 2.5, weight=0.5), UtilizationTerm("b", "ml.g5.2xlarge", 4)]
    )
    assert expression == "(FILL(a,0)*0.5/2.5 + FILL(b,0)/4) / (FILL(a*0+1,0)*0.5 + FILL(b*0+1,0))"


def test_fails_beyond_ten_metrics():
    terms = [UtilizationTerm(f"m{i}", f"ml.t{i}", 1) for i in range(11)]
    with pytest.raises(ValidationError, match="at most 10 metrics in one expression, got 11"):
        weighted_utilization_expression(terms)


def test_fails_when_the_expression_is_too_long():
    long_id = "a" * 500
    terms = [UtilizationTerm(f"{long_id}{i}", "ml.g5.xlarge", 1) for i in range(3)]
    with pytest.raises(
        ValidationError, match=f"Application Auto Scaling allows at most {MAX_EXPRESSION_LENGTH}"
    ):
        weighted_utilization_expression(terms)


def test_fails_on_an_id_that_does_not_start_lower_case():
    with pytest.raises(ValidationError, match="must start with a lower-case letter"):
        weighted_utilization_expression([UtilizationTerm("P5", "ml.p5.48xlarge", 20)])
