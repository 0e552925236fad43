"""BenchmarkJob and BenchmarkResults with repeated runs: the gate on bounds, interval outputs, and the
baseline's SSM parameter with exactly the permissions it needs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_benchmark import OUTPUT, serving

from cdk_genai_inference import (
    BenchmarkBaseline,
    BenchmarkJob,
    BenchmarkResults,
    BenchmarkSla,
    CapacityMeasurement,
    RepeatedRuns,
    S3Location,
    SlaStatistic,
    TokenDistribution,
    ValidationError,
    WorkloadConfig,
)
from synthesis import lint, new_stack, synth

BOUND_SLA = BenchmarkSla(
    time_to_first_token_p99_ms=900, min_output_tokens_per_second=400, judged_on=SlaStatistic.CONFIDENCE_BOUND
)
TOLERANCES = {"TimeToFirstTokenP99": 0.10, "OutputTokenThroughput": 0.05}


def repeated(stack: Any, runs: int | None = 3) -> WorkloadConfig:
    return WorkloadConfig(
        stack,
        "Workload",
        input_tokens=TokenDistribution(3500),
        output_tokens=TokenDistribution(200),
        concurrency=8,
        repeated_runs=RepeatedRuns(runs) if runs else None,
    )


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    stack = new_stack("Stats")
    endpoint = serving(stack, endpoint_name="genai-serving")
    bench = BenchmarkJob(
        stack,
        "Bench",
        endpoint=endpoint,
        workload_config=repeated(stack),
        output=S3Location.from_uri(OUTPUT),
        sla=BOUND_SLA,
        baseline=BenchmarkBaseline(TOLERANCES),
    )
    template = synth(stack).to_json()
    return {"stack": stack, "bench": bench, "template": template}


def results_props(built: dict[str, Any]) -> dict[str, Any]:
    (props,) = [
        r["Properties"] for r in built["template"]["Resources"].values() if r["Type"] == "Custom::AIBenchmarkResults"
    ]
    return props


def ssm_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for res in template["Resources"].values():
        if res["Type"] == "AWS::IAM::Policy":
            for statement in res["Properties"]["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if any(a.startswith("ssm:") for a in actions):
                    found.append(statement)
    return found


def test_thresholds_carry_the_bound_and_the_baseline_its_parameter(built: dict[str, Any]) -> None:
    props = results_props(built)
    assert props["Thresholds"] == [
        {"Metric": "TimeToFirstTokenP99", "Limit": 900, "AtMost": True, "OnBound": True},
        {"Metric": "OutputTokenThroughput", "Limit": 400, "AtMost": False, "OnBound": True},
    ]
    assert props["Publish"] == {
        "Baseline": {
            "ParameterName": "/cdk-genai-inference/baselines/genai-serving",
            "Tolerances": {"TimeToFirstTokenP99": 0.1, "OutputTokenThroughput": 0.05},
        }
    }


def test_the_handler_may_read_write_and_remove_exactly_the_baseline_parameter(built: dict[str, Any]) -> None:
    (statement,) = ssm_statements(built["template"])
    assert sorted(statement["Action"]) == ["ssm:DeleteParameter", "ssm:GetParameter", "ssm:PutParameter"]
    resource = built["stack"].resolve(statement["Resource"])
    joined = "".join(p if isinstance(p, str) else "<" + next(iter(p.values())) + ">" for p in resource["Fn::Join"][1])
    assert (
        joined
        == "arn:<AWS::Partition>:ssm:us-west-2:111122223333:parameter/cdk-genai-inference/baselines/genai-serving"
    )
    assert "*" not in joined


def test_every_actual_call_of_the_handler_is_granted(built: dict[str, Any]) -> None:
    """The handler calls get_parameter, put_parameter and delete_parameter on the baseline (see
    test_benchmark_handler_stats): each is in the grant, and nothing else of SSM."""
    import inspect

    import benchmark_logic

    source = inspect.getsource(benchmark_logic.read_baseline) + inspect.getsource(benchmark_logic.write_baseline)
    source += inspect.getsource(benchmark_logic.restore_baseline)
    called = {f"ssm:{''.join(w.capitalize() for w in m.split('_'))}" for m in re.findall(r"ssm\.(\w+)\(", source)}
    (statement,) = ssm_statements(built["template"])
    assert called == set(statement["Action"])


def test_intervals_run_count_and_baseline_are_outputs_and_attributes(built: dict[str, Any]) -> None:
    outputs = built["template"]["Outputs"]
    attributes = {o["Value"]["Fn::GetAtt"][1] for o in outputs.values() if "Fn::GetAtt" in o["Value"]}
    assert {"TimeToFirstTokenP99CiLow", "TimeToFirstTokenP99CiHigh", "ProfileRuns", "ConfidenceLevel"} <= attributes
    assert "BaselineJob" in attributes
    results = built["bench"].results
    low, high = results.interval("RequestLatencyP99")
    assert built["stack"].resolve(low)["Fn::GetAtt"][1] == "RequestLatencyP99CiLow"
    assert built["stack"].resolve(high)["Fn::GetAtt"][1] == "RequestLatencyP99CiHigh"
    with pytest.raises(ValidationError, match="figure got 'P99'"):
        results.interval("P99")


def test_template_passes_cfn_lint(built: dict[str, Any]) -> None:
    assert lint(built["template"]) == []


def test_a_single_run_workload_gets_no_interval_outputs() -> None:
    stack = new_stack()
    bench = BenchmarkJob(
        stack,
        "Bench",
        endpoint=serving(stack),
        workload_config=repeated(stack, None),
        output=S3Location.from_uri(OUTPUT),
    )
    outputs = synth(stack).to_json()["Outputs"]
    assert not [k for k in outputs if "CiLow" in k or "ProfileRuns" in k]
    assert bench.results is not None


def test_results_of_an_imported_job_name_their_baseline_and_may_ask_for_intervals() -> None:
    stack = new_stack()
    job = BenchmarkJob.from_job_name(stack, "Nightly", "nightly-1", output=S3Location.from_uri(OUTPUT))
    with pytest.raises(ValidationError, match=r"baseline\.parameter_name is needed for the results of an imported job"):
        BenchmarkResults(stack, "Results", job=job, baseline=BenchmarkBaseline(TOLERANCES))
    BenchmarkResults(
        stack,
        "Results",
        job=job,
        sla=BOUND_SLA,  # unknown workload: the handler judges it at deploy time
        baseline=BenchmarkBaseline(TOLERANCES, parameter_name="/genai/baselines/prod"),
        intervals=True,
    )
    template = synth(stack).to_json()
    assert any("ProfileRuns" in k for k in template["Outputs"])
    (statement,) = ssm_statements(template)
    assert "parameter/genai/baselines/prod" in str(stack.resolve(statement["Resource"]))


ERRORS = [
    (
        {"sla": BOUND_SLA, "workload_runs": None},
        "sla.judged_on is SlaStatistic.CONFIDENCE_BOUND, but the workload runs once and a single run has no "
        "confidence interval; give the workload repeated_runs=RepeatedRuns(count=3) or judge on the mean",
    ),
    (
        {"capacity": CapacityMeasurement(sla=BOUND_SLA), "workload_runs": None},
        "capacity.sla.judged_on is SlaStatistic.CONFIDENCE_BOUND, but the workload runs once",
    ),
    ({"baseline": BenchmarkBaseline({})}, "baseline.tolerances needs at least one figure"),
    (
        {"baseline": BenchmarkBaseline({"ErrorRate": 0.1})},
        "baseline.tolerances got 'ErrorRate', which is not a figure a baseline compares; allowed: RequestLatencyP50",
    ),
    (
        {"baseline": BenchmarkBaseline({"TimeToFirstTokenP99": -0.1})},
        "baseline.tolerances['TimeToFirstTokenP99'] must be at least 0, got -0.1",
    ),
    (
        {"baseline": BenchmarkBaseline({"OutputTokenThroughput": 1.0})},
        "baseline.tolerances['OutputTokenThroughput'] must be below 1 (a throughput cannot fall by 100 % or more), got 1",
    ),
    (
        {"baseline": BenchmarkBaseline(TOLERANCES, parameter_name="baselines/prod")},
        "baseline.parameter_name must be an SSM parameter path: '/' then letters, digits, '_', '.', '-' and '/', "
        "at most 1011 characters, not under /aws or /ssm, got 'baselines/prod'",
    ),
    (
        {"baseline": BenchmarkBaseline(TOLERANCES, parameter_name="/aws/reserved")},
        "not under /aws or /ssm, got '/aws/reserved'",
    ),
    (
        {"sla": BenchmarkSla(judged_on="bound")},  # type: ignore[arg-type]
        "sla.judged_on must be SlaStatistic.MEAN or SlaStatistic.CONFIDENCE_BOUND, got 'bound'",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), ERRORS, ids=[m[:60] for _, m in ERRORS])
def test_rejects(kwargs: dict[str, Any], message: str) -> None:
    stack = new_stack()
    runs = kwargs.pop("workload_runs", 3)
    endpoint, workload = serving(stack), repeated(stack, runs)
    with pytest.raises(ValidationError, match=re.escape(message)):
        BenchmarkJob(
            stack, "Bench", endpoint=endpoint, workload_config=workload, output=S3Location.from_uri(OUTPUT), **kwargs
        )
    assert stack.node.try_find_child("Bench") is None
