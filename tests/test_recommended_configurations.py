"""Reading a recommendation as a deployment: the GPU table, the tensor-parallel size, copies and shares."""

from __future__ import annotations

import pytest
from test_recommendation_resolution import NO_TP, TWO_COPIES, described

from cdk_genai_inference._core import service_model
from cdk_genai_inference.recommendation import configurations as recommended


def test_the_gpu_table_covers_exactly_the_types_a_recommendation_may_name() -> None:
    recommendable = service_model.enum("AIRecommendationInstanceType")
    assert set(recommended.ACCELERATORS_PER_INSTANCE) == recommendable
    assert set(recommended.ACCELERATORS_PER_INSTANCE) <= service_model.hosting_instance_types()
    assert all(gpus in (1, 2, 4, 8) for gpus in recommended.ACCELERATORS_PER_INSTANCE.values())


@pytest.mark.parametrize(
    ("environment", "size"),
    [
        ({"SM_VLLM_TENSOR_PARALLEL_SIZE": "2"}, 2),
        ({"OPTION_TENSOR_PARALLEL_DEGREE": "4"}, 4),
        ({"OPTION_TENSOR_PARALLEL_DEGREE": "max"}, None),  # LMI's "all of them": not a number here
        ({"SM_NUM_GPUS": "8"}, 8),
        ({"SM_VLLM_TENSOR_PARALLEL_SIZE": "0"}, None),
        ({}, None),
    ],
)
def test_the_tensor_parallel_size_comes_from_the_serving_containers_variables(environment, size) -> None:
    assert recommended.tensor_parallel_size(environment) == size


def test_a_recommendation_reads_as_instances_copies_and_shares_of_its_concurrency() -> None:
    (two_copies, no_tp) = recommended.read(described(TWO_COPIES, NO_TP))
    assert (two_copies.rank, two_copies.instance_type, two_copies.total_copies) == (1, "ml.g6e.12xlarge", 2)
    assert (
        two_copies.accelerators_per_copy(),
        two_copies.concurrency_per_copy,
        two_copies.concurrency_per_instance,
    ) == (
        2,
        44,
        88,
    )
    assert (no_tp.accelerators_per_copy(), no_tp.total_copies, no_tp.concurrency_per_copy) == (2, 4, 10)
    assert two_copies.performance["OutputTokenThroughput"] == 2950.5 and two_copies.min_memory_mb == 65536


def test_both_spellings_of_the_average_are_read_and_unreadable_values_skipped() -> None:
    assert recommended.expected_performance(
        [
            {"Metric": "RequestThroughput", "Stat": "avg", "Value": "3.5"},
            {"Metric": "OutputTokenThroughput", "Stat": "average", "Value": "700"},
            {"Metric": "TimeToFirstToken", "Stat": "p50", "Value": "210.5"},
            {"Metric": "ClientSideConcurrency", "Value": "16"},
            {"Metric": "Cost", "Value": "n/a"},
        ]
    ) == {
        "RequestThroughput": 3.5,
        "OutputTokenThroughput": 700.0,
        "TimeToFirstTokenP50": 210.5,
        "ClientSideConcurrency": 16.0,
    }


def test_a_recorded_resolution_reads_back_as_the_same_deployment() -> None:
    (configuration,) = recommended.read(described(TWO_COPIES))
    key, value = recommended.record(configuration, priority=2, accelerators=configuration.accelerators_per_copy())
    ((priority, read_back),) = recommended.recorded("arn:pkg/1", {key: value, "team": "ml"})
    assert priority == 2
    assert (read_back.instance_type, read_back.total_copies, read_back.accelerators_per_copy()) == (
        "ml.g6e.12xlarge",
        2,
        2,
    )
    assert (read_back.concurrency_per_copy, read_back.min_memory_mb, read_back.model_package_arn) == (
        44,
        65536,
        "arn:pkg/1",
    )
    with pytest.raises(recommended.ConfigurationError, match=r"holds an unreadable cdk-genai-inference:ml\.g6\.xlarge"):
        recommended.recorded("arn:pkg/1", {"cdk-genai-inference:ml.g6.xlarge": "spec=x rank=one"})
