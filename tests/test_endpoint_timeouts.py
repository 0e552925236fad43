"""An endpoint whose startup timeouts add up past what CloudFormation waits for its creation gets a warning.

SageMaker provisions the instances (``VariantInstanceProvisionTimeoutInSeconds``: "does not include the time
for model download or container startup"), downloads the model, then waits for the container's health
check, each up to 3600 s; CloudFormation's handler for ``AWS::SageMaker::Endpoint`` waits 160 minutes for
a creation (its schema's ``handlers.create.timeoutInMinutes``)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration

from cdk_genai_inference import InferenceComponents, InstancePool, InstancePoolEndpoint, Model
from cdk_genai_inference.serving.variant import ENDPOINT_CREATE_TIMEOUT_MINUTES
from synthesis import IMAGE, new_stack

WARNING = "cdk-genai-inference:endpoint-create-timeout"
NAMES = ("provisioning_timeout", "model_data_download_timeout", "container_startup_health_check_timeout")


def warnings(**timeouts: Any) -> list[str]:
    """The endpoint's creation-timeout warnings, for these timeouts (in seconds; a key left out is not set)."""
    stack = new_stack()
    options = {name: Duration.seconds(value) for name, value in timeouts.items() if name in NAMES}
    pools = [InstancePool("ml.g6.12xlarge", **timeouts.get("pool", {}))]
    InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=Model(stack, "Model", image_uri=IMAGE),
        instance_pools=pools,
        inference_components=timeouts.get("inference_components"),
        **options,
    )
    found = cdk.assertions.Annotations.from_stack(stack).find_warning("*", cdk.assertions.Match.any_value())
    return [str(w.entry.data) for w in found if WARNING in str(w.entry.data)]


def test_the_service_defaults_do_not_warn() -> None:
    assert warnings() == []


def test_the_three_timeouts_at_their_maximum_warn_with_the_arguments_their_total_and_the_limit() -> None:
    (warning,) = warnings(**dict.fromkeys(NAMES, 3600))
    assert warning.startswith(
        "provisioning_timeout, model_data_download_timeout and container_startup_health_check_timeout add up to "
        "10800 seconds (180 minutes), more than the 160 minutes CloudFormation waits for an "
        "AWS::SageMaker::Endpoint to be created (its resource schema's create timeout): an endpoint that needs "
        "them all fails the stack while SageMaker still starts it; keep their total at 9600 seconds or less"
    ), warning


@pytest.mark.parametrize(
    ("timeouts", "warned"),
    [
        ({"provisioning_timeout": 3600, "model_data_download_timeout": 3600, NAMES[2]: 2400}, False),
        ({"provisioning_timeout": 3600, "model_data_download_timeout": 3600, NAMES[2]: 2460}, True),
        ({"model_data_download_timeout": 3600, NAMES[2]: 3600}, False),  # an unset one's default is undocumented
    ],
    ids=["at-the-limit", "a-minute-past", "two-given"],
)
def test_only_a_total_past_the_limit_warns(timeouts: dict[str, int], warned: bool) -> None:
    found = warnings(**timeouts)
    assert len(found) == int(warned), found
    assert not warned or "9660 seconds (161 minutes)" in found[0]


def test_an_endpoint_of_inference_components_does_not_warn() -> None:
    """Its creation only provisions the instances: each component downloads and starts the model."""
    components = {"inference_components": InferenceComponents(), "pool": {"min_memory_mb": 16384, "accelerators": 1}}
    assert warnings(**dict.fromkeys(NAMES, 3600), **components) == []


def test_a_timeout_known_only_at_deploy_time_does_not_warn() -> None:
    stack = new_stack()
    token = cdk.CfnParameter(stack, "Timeout", type="Number").value_as_number
    InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=Model(stack, "Model", image_uri=IMAGE),
        instance_pools=[InstancePool("ml.g6.12xlarge")],
        provisioning_timeout=Duration.seconds(token),
        model_data_download_timeout=Duration.hours(1),
        container_startup_health_check_timeout=Duration.hours(1),
    )
    found = cdk.assertions.Annotations.from_stack(stack).find_warning("*", cdk.assertions.Match.any_value())
    assert [w for w in found if WARNING in str(w.entry.data)] == []


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2"])
def test_the_limit_is_the_create_timeout_of_the_resource_schema_cfn_lint_ships(region: str) -> None:
    schemas = resources.files("cfnlint") / "data" / "schemas"
    digest = json.loads((schemas / "providers" / f"{region}.json").read_text())["AWS::SageMaker::Endpoint"]
    schema = json.loads((schemas / "resources" / f"{digest}.json").read_text())
    assert schema["handlers"]["create"]["timeoutInMinutes"] == ENDPOINT_CREATE_TIMEOUT_MINUTES


def test_the_warning_is_acknowledged_by_its_id_as_the_readme_says() -> None:
    stack = new_stack()
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=Model(stack, "Model", image_uri=IMAGE),
        instance_pools=[InstancePool("ml.g6.12xlarge")],
        **{name: Duration.hours(1) for name in NAMES},
    )
    cdk.Annotations.of(endpoint).acknowledge_warning(WARNING)
    assert cdk.assertions.Annotations.from_stack(stack).find_warning("*", cdk.assertions.Match.any_value()) == []
