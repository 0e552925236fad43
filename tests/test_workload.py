"""WorkloadConfig: the typed traffic description, its inline JSON spec, and every validation rule."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Template
from simulation.intrinsics import Environment, resolve

from cdk_genai_inference import SlaSearch, TokenDistribution, ValidationError, WorkloadConfig
from synthesis import new_stack, synth

SECRET = "arn:aws:secretsmanager:us-west-2:111122223333:secret:hf-token-AbCdEf"


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    stack = new_stack("Workloads")
    launch = WorkloadConfig(
        stack,
        "Launch",
        input_tokens=TokenDistribution(3500, 350),
        output_tokens=TokenDistribution(200, 20),
        concurrency=[4, 16, 32],
        request_count=400,
        streaming=True,
        tokenizer="meta-llama/Llama-3.1-8B-Instruct",
        goodput={"time_to_first_token": 500, "inter_token_latency": 25},
        secrets={"hf_token": SECRET},
        tooling_version="0.13.0",
        parameters={"random_seed": 7, "warmup_request_count": 10},
        datasets={"prompts": "s3://genai-datasets-111122223333/sharegpt/"},
        tags={"team": "ml-platform"},
    )
    search = WorkloadConfig(
        stack,
        "Search",
        workload_config_name="sla-search",
        input_tokens=TokenDistribution(550),
        sla_search=SlaSearch(
            ttft_ms=300, e2e_ms=12000, error_rate=0.01, statistic="p90", concurrency_min=1, concurrency_max=128
        ),
        benchmark_duration=Duration.minutes(5),
    )
    minimal = WorkloadConfig(stack, "Minimal")
    return {"stack": stack, "template": synth(stack), "launch": launch, "search": search, "minimal": minimal}


def spec_of(built: dict[str, Any], construct: WorkloadConfig) -> dict[str, Any]:
    logical_id = built["stack"].get_logical_id(construct.resource)
    props = built["template"].to_json()["Resources"][logical_id]["Properties"]
    inline = props["AIWorkloadConfigs"]["WorkloadSpec"]["Inline"]
    return json.loads(inline) if isinstance(inline, str) else inline


def test_typed_arguments_render_to_the_documented_parameter_names(built: dict[str, Any]) -> None:
    assert spec_of(built, built["launch"]) == {
        "benchmark": {"type": "aiperf"},
        "parameters": {
            "concurrency": [4, 16, 32],
            "goodput": "time_to_first_token:500 inter_token_latency:25",
            "output_tokens_mean": 200,
            "output_tokens_stddev": 20,
            "prompt_input_tokens_mean": 3500,
            "prompt_input_tokens_stddev": 350,
            "random_seed": 7,
            "request_count": 400,
            "streaming": True,
            "tokenizer": "meta-llama/Llama-3.1-8B-Instruct",
            "warmup_request_count": 10,
        },
        "secrets": {"hf_token": SECRET},
        "tooling": {"version": "0.13.0"},
    }


def test_sla_search_renders_the_search_recipe(built: dict[str, Any]) -> None:
    parameters = spec_of(built, built["search"])["parameters"]
    assert parameters == {
        "benchmark_duration": 300,
        "concurrency_max": 128,
        "concurrency_min": 1,
        "e2e_sla_ms": 12000,
        "error_rate_sla": 0.01,
        "prompt_input_tokens_mean": 550,
        "search_recipe": "max-concurrency-under-sla",
        "search_stat": "p90",
        "ttft_sla_ms": 300,
    }


def test_minimal_config_is_the_documented_minimum(built: dict[str, Any]) -> None:
    assert spec_of(built, built["minimal"]) == {"benchmark": {"type": "aiperf"}}


def test_names_are_lower_case_and_datasets_become_channels(built: dict[str, Any]) -> None:
    resources = built["template"].find_resources("AWS::SageMaker::AIWorkloadConfig")
    names = [r["Properties"]["AIWorkloadConfigName"] for r in resources.values()]
    assert "sla-search" in names
    assert all(re.fullmatch(r"[a-z0-9](-*[a-z0-9]){0,62}", n) for n in names), names
    launch = built["template"].to_json()["Resources"][built["stack"].get_logical_id(built["launch"].resource)][
        "Properties"
    ]
    assert launch["DatasetConfig"] == {
        "InputDataConfig": [
            {
                "ChannelName": "prompts",
                "DataSource": {"S3DataSource": {"S3Uri": "s3://genai-datasets-111122223333/sharegpt/"}},
            }
        ]
    }
    assert launch["Tags"] == [{"Key": "team", "Value": "ml-platform"}]


def test_import_by_name_gives_the_lower_case_arn() -> None:
    stack = new_stack()
    imported = WorkloadConfig.from_workload_config_name(stack, "W", "chat-3500-200")
    assert imported.workload_config_name == "chat-3500-200"
    assert stack.resolve(imported.workload_config_arn) == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:us-west-2:111122223333:ai-workload-config/chat-3500-200"],
        ]
    }


ERRORS = [
    (
        {"workload_config_name": "Chat-3500"},
        "workload_config_name must be 1-63 lower-case letters, digits and hyphens, got 'Chat-3500' "
        "(CloudFormation cannot delete a workload configuration whose name has capitals)",
    ),
    ({"parameters": {"prompt_tokens": 3}}, "parameters got 'prompt_tokens', which is not a valid AIPerf parameter"),
    ({"tags": {"aws:created-by": "me"}}, "tags keys cannot start with aws: (reserved for AWS), got 'aws:created-by'"),
    ({"parameters": {"isl": 3}}, "parameters['isl'] is set through the input_tokens argument; pass it there"),
    ({"parameters": {"ttft_sla_ms": 3}}, "parameters['ttft_sla_ms'] is set through the sla_search argument"),
    ({"secrets": {"token": SECRET}}, "secrets got 'token', which is not a valid AIPerf parameter"),
    ({"input_tokens": TokenDistribution(0)}, "input_tokens.mean must be at least 1, got 0"),
    ({"output_tokens": TokenDistribution(100, -1)}, "output_tokens.stddev must be at least 0, got -1"),
    ({"concurrency": []}, "concurrency needs at least one level, got an empty list"),
    ({"concurrency": [4, 0]}, "concurrency must be at least 1, got 0"),
    ({"request_count": 0}, "request_count must be at least 1, got 0"),
    ({"request_rate": 0}, "request_rate must be positive (requests per second), got 0"),
    (
        {"goodput": {"time_to_first_token": 100}, "streaming": False},
        "goodput needs streaming responses; streaming is False",
    ),
    (
        {"sla_search": SlaSearch(ttft_ms=200), "concurrency": 8},
        "sla_search chooses the concurrency itself; do not also set concurrency (got 8)",
    ),
    ({"sla_search": SlaSearch()}, "sla_search needs at least one of ttft_ms, tpot_ms, e2e_ms and error_rate"),
    (
        {"sla_search": SlaSearch(tpot_ms=20), "streaming": False},
        "sla_search.ttft_ms and tpot_ms need streaming responses; streaming is False",
    ),
    (
        {"sla_search": SlaSearch(e2e_ms=9000, statistic="p75")},
        "sla_search.statistic got 'p75', which is not a valid search statistic",
    ),
    ({"sla_search": SlaSearch(error_rate=5)}, "sla_search.error_rate must be between 0 and 1, got 5"),
    (
        {"sla_search": SlaSearch(e2e_ms=9000, concurrency_min=64, concurrency_max=8)},
        "sla_search.concurrency_max must be at least concurrency_min (64), got 8",
    ),
    (
        {"datasets": {"my prompts": "s3://b/p/"}},
        "datasets channel names must be 1-64 letters, digits, '.', '-' or '_', got 'my prompts'",
    ),
    ({"datasets": {"prompts": "https://b/p/"}}, "datasets['prompts'] must be an s3:// URI, got 'https://b/p/'"),
]


@pytest.mark.parametrize(("kwargs", "message"), ERRORS, ids=[m[:50] for _, m in ERRORS])
def test_rejects(kwargs: dict[str, Any], message: str) -> None:
    stack = new_stack()
    with pytest.raises(ValidationError, match=re.escape(message)):
        WorkloadConfig(stack, "Workload", **kwargs)
    assert stack.node.try_find_child("Workload") is None


def test_a_deploy_time_goodput_threshold_reaches_the_spec_as_cloudformation_resolves_it() -> None:
    """A number token written into the goodput string: its digits (``:g``) once took its place."""
    stack = new_stack()
    ttft = cdk.CfnParameter(stack, "Ttft", type="Number").value_as_number
    workload = WorkloadConfig(stack, "W", goodput={"time_to_first_token": ttft, "inter_token_latency": 25})
    props = Template.from_stack(stack).to_json()["Resources"][stack.get_logical_id(workload.resource)]["Properties"]
    inline = resolve(props["AIWorkloadConfigs"]["WorkloadSpec"]["Inline"], Environment(refs={"Ttft": "250"}))
    assert json.loads(inline)["parameters"]["goodput"] == "time_to_first_token:250 inter_token_latency:25"
