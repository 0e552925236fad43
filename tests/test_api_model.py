"""The API-model validator (api_model): every kind of fault it must catch, planted into a real synthesized
template; how deploy-time values count; and each place a resource's properties differ from its API request."""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cfnlint
import pytest
import regex

from api_model import MAPPINGS, Finding, requests_of, validate_template
from api_validator import ABSENT, _python_pattern, operation
from cdk_genai_inference import (
    DeploymentPolicy,
    InferenceComponents,
    InstancePool,
    InstancePoolEndpoint,
    Model,
    RecommendationGoal,
    RecommendationJob,
    S3Location,
    WorkloadConfig,
)
from cfn_values import Unknown, resolve
from synthesis import IGNORED_RULES, IMAGE, MODEL_DATA, cfn_lint_matches, new_stack, synth

Template = dict[str, Any]


@pytest.fixture(scope="module")
def template() -> Template:
    """A canary-deployed, scaled endpoint, an inference-component endpoint and a recommendation job."""
    stack = new_stack("Planted")
    model = Model(stack, "Model", image_uri=IMAGE, model_data_url=MODEL_DATA, environment={"OPTION_DTYPE": "fp16"})
    canary = InstancePoolEndpoint(
        stack,
        "Canary",
        model=model,
        instance_pools=[
            InstancePool("ml.g6.12xlarge", max_concurrency=8),
            InstancePool("ml.g5.12xlarge", max_concurrency=6),
        ],
        deployment=DeploymentPolicy.canary(),
        dashboard=False,
    )
    canary.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
    InstancePoolEndpoint(
        stack,
        "Components",
        model=model,
        instance_pools=[InstancePool("ml.g6.12xlarge", accelerators=4, min_memory_mb=65536)],
        inference_components=InferenceComponents(),
        deployment=DeploymentPolicy.rolling(),
        dashboard=False,
    )
    RecommendationJob(
        stack,
        "Job",
        model_source=S3Location.from_uri(MODEL_DATA),
        workload_config=WorkloadConfig(stack, "Workload"),
        goal=RecommendationGoal.THROUGHPUT,
        output=S3Location.from_uri("s3://artifacts-111122223333/recommendations/"),
    )
    return synth(stack).to_json()


def logical_id(template: Template, kind: str, containing: str = "") -> str:
    return next(k for k, r in template["Resources"].items() if r["Type"] == kind and containing in k)


def props(template: Template, kind: str, containing: str = "") -> dict[str, Any]:
    return template["Resources"][logical_id(template, kind, containing)]["Properties"]


def planted(template: Template, plant: Callable[[Template], None]) -> Template:
    copied = copy.deepcopy(template)
    plant(copied)
    return copied


def test_the_synthesized_template_is_clean(template: Template) -> None:
    assert validate_template(template) == []


def _drop_wait_interval(t: Template) -> None:
    routing = props(t, "AWS::SageMaker::Endpoint", "Canary")["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    del routing["TrafficRoutingConfiguration"]["WaitIntervalInSeconds"]


def _unknown_member(t: Template) -> None:
    props(t, "AWS::SageMaker::InferenceComponent")["RuntimeConfig"]["CurrentCopyCount"] = 1


def _bad_enum(t: Template) -> None:
    props(t, "Custom::AIRecommendationJob")["Request"]["PerformanceTarget"]["Constraints"][0]["Metric"] = "speed"


def _out_of_range(t: Template) -> None:
    props(t, "AWS::SageMaker::EndpointConfig", "Canary")["ProductionVariants"][0]["InstancePools"][1]["Priority"] = 6


def _too_long(t: Template) -> None:
    props(t, "AWS::SageMaker::Model")["PrimaryContainer"]["Environment"]["OPTION_DTYPE"] = "x" * 1025


def _pattern_mismatch(t: Template) -> None:
    environment = props(t, "AWS::SageMaker::Model")["PrimaryContainer"]["Environment"]
    environment["OPTION-DTYPE"] = environment.pop("OPTION_DTYPE")


# (plant, resource type and id fragment, operation, path, value, rule, what the detail says, cfn-lint sees it)
PLANTS = {
    "missing required": (
        _drop_wait_interval,
        ("AWS::SageMaker::Endpoint", "Canary"),
        "sagemaker:CreateEndpoint",
        "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds",
        ABSENT,
        "required",
        "TrafficRoutingConfig requires WaitIntervalInSeconds",
        False,
    ),
    "unknown member": (
        _unknown_member,
        ("AWS::SageMaker::InferenceComponent", ""),
        "sagemaker:CreateInferenceComponent",
        "RuntimeConfig.CurrentCopyCount",
        1,
        "unknown member",
        "InferenceComponentRuntimeConfig has no member CurrentCopyCount (members: CopyCount)",
        False,  # read-only in the schema, which cfn-lint lets through
    ),
    "bad enum": (
        _bad_enum,
        ("Custom::AIRecommendationJob", ""),
        "sagemaker:CreateAIRecommendationJob",
        "Request.PerformanceTarget.Constraints[0].Metric",
        "speed",
        "enum",
        "AIRecommendationMetric is one of ttft-ms, throughput, cost",
        False,
    ),
    "out of range": (
        _out_of_range,
        ("AWS::SageMaker::EndpointConfig", "Canary"),
        "sagemaker:CreateEndpointConfig",
        "ProductionVariants[0].InstancePools[1].Priority",
        6,
        "range",
        "InstancePoolPriority takes at most 5",
        True,
    ),
    "too long": (
        _too_long,
        ("AWS::SageMaker::Model", ""),
        "sagemaker:CreateModel",
        "PrimaryContainer.Environment.OPTION_DTYPE",
        "x" * 1025,
        "length",
        "EnvironmentValue takes at most 1024 characters, got 1025",
        False,
    ),
    "pattern mismatch": (
        _pattern_mismatch,
        ("AWS::SageMaker::Model", ""),
        "sagemaker:CreateModel",
        "PrimaryContainer.Environment (key: OPTION-DTYPE)",
        "OPTION-DTYPE",
        "pattern",
        "EnvironmentKey must match [a-zA-Z_][a-zA-Z0-9_]*",
        False,
    ),
}


@pytest.mark.parametrize("kind", list(PLANTS))
def test_a_planted_fault_is_reported_with_resource_path_value_and_rule(template: Template, kind: str) -> None:
    plant, (resource_type, fragment), call, path, value, rule, detail, _lint_sees_it = PLANTS[kind]
    faulty = planted(template, plant)
    resource = logical_id(faulty, resource_type, fragment)
    findings = [f for f in validate_template(faulty) if f.operation == call]
    assert findings == [Finding(resource, resource_type, call, path, value, rule, detail)]
    shown = str(findings[0])
    assert resource in shown and path in shown and f"breaks {rule}" in shown


def test_cfn_lint_sees_one_of_the_six_planted_faults(template: Template) -> None:
    """What this validator adds: with all six faults planted, cfn-lint (one run) reports only the priority
    above its schema's maximum; the API-model validator reports a fault of every kind."""
    faulty = planted(template, lambda t: [plant[0](t) for plant in PLANTS.values()])
    matches = cfn_lint_matches(faulty)
    seen = {
        (m.path[1], "/".join(map(str, m.path[3:])))
        for m in matches
        if m.rule.id[0] in "EW" and m.rule.id not in IGNORED_RULES
    }
    expected = {
        (logical_id(faulty, *where), re.sub(r"\[(\d+)\]", r".\1", path).replace(".", "/"))
        for _, where, _, path, _, _, _, lint_sees_it in PLANTS.values()
        if lint_sees_it
    }
    assert seen == expected and len(expected) == 1
    assert {f.rule for f in validate_template(faulty)} == {plant[5] for plant in PLANTS.values()}


def test_every_call_of_a_resource_is_checked(template: Template) -> None:
    """A fault in a property both Endpoint calls take is reported for CreateEndpoint and UpdateEndpoint."""
    findings = validate_template(planted(template, _drop_wait_interval))
    assert [f.operation for f in findings] == ["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"]


# --- deploy-time values ----------------------------------------------------------------------------------


def test_an_intrinsic_satisfies_presence_and_type_but_no_value_rule(template: Template) -> None:
    def plant(t: Template) -> None:
        variant = props(t, "AWS::SageMaker::EndpointConfig", "Canary")["ProductionVariants"][0]
        variant["InitialInstanceCount"] = {"Ref": "Count"}  # an integer member
        variant["InstancePools"][0]["InstanceType"] = {"Fn::ImportValue": "PoolType"}  # an enum
        variant["RoutingConfig"] = {"Fn::If": ["Lor", {"RoutingStrategy": "RANDOM"}, {"Ref": "AWS::NoValue"}]}
        props(t, "AWS::SageMaker::Model")["ModelName"] = {"Fn::GetAtt": ["Name", "Value"]}  # a pattern

    assert validate_template(planted(template, plant)) == []


def test_no_value_removes_the_property(template: Template) -> None:
    def plant(t: Template) -> None:
        props(t, "AWS::SageMaker::EndpointConfig", "Canary")["ProductionVariants"][0]["VariantName"] = {
            "Ref": "AWS::NoValue"
        }

    (finding,) = validate_template(planted(template, plant))
    assert (finding.path, finding.value, finding.rule) == ("ProductionVariants[0].VariantName", ABSENT, "required")


def test_a_join_of_literal_parts_is_checked_as_the_whole_string(template: Template) -> None:
    def plant(t: Template) -> None:
        pool = props(t, "AWS::SageMaker::EndpointConfig", "Canary")["ProductionVariants"][0]["InstancePools"][0]
        pool["InstanceType"] = {"Fn::Join": [".", ["ml", "g6", "huge"]]}

    (finding,) = validate_template(planted(template, plant))
    assert (finding.value, finding.rule) == ("ml.g6.huge", "enum")


def test_a_partial_string_meets_the_maximum_length_and_the_enum_but_no_pattern(template: Template) -> None:
    def plant(t: Template) -> None:
        variant = props(t, "AWS::SageMaker::EndpointConfig", "Canary")["ProductionVariants"][0]
        variant["InstancePools"][0]["InstanceType"] = {"Fn::Join": ["", ["ml.", {"Ref": "Family"}, ".12xlarge"]]}
        variant["InstancePools"][1]["InstanceType"] = {"Fn::Sub": "ml.${Family}.huge"}  # no type ends so
        variant["VariantName"] = {"Fn::Join": ["-", ["x" * 40, {"Ref": "AWS::Region"}, "y" * 30]]}  # 72 > 63
        props(t, "AWS::SageMaker::Model")["ModelName"] = {"Fn::Sub": "bad_name_${AWS::Region}"}  # pattern: unknown

    findings = {(f.path, f.rule): str(f.value) for f in validate_template(planted(template, plant))}
    assert findings == {
        ("ProductionVariants[0].InstancePools[1].InstanceType", "enum"): "ml.<Ref Family>.huge",
        ("ProductionVariants[0].VariantName", "length"): "x" * 40 + "-<Ref AWS::Region>-" + "y" * 30,
    }


def test_sub_substitutes_its_variables_and_keeps_escaped_placeholders() -> None:
    assert resolve({"Fn::Sub": ["a-${X}-${!Literal}", {"X": "b"}]}) == "a-b-${Literal}"
    partial = resolve({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket.Arn}"})
    assert partial == Unknown(
        "Fn::Sub", ("arn:", Unknown("Ref AWS::Partition"), ":s3:::", Unknown("Fn::GetAtt Bucket.Arn"))
    )
    assert partial.literal_length == 10 and partial.may_be("arn:aws:s3:::b") and not partial.may_be("arn:aws:s4:::b")


def test_numeric_strings_are_converted_as_cloudformation_does(template: Template) -> None:
    def plant(t: Template) -> None:
        props(t, "AWS::SageMaker::EndpointConfig", "Canary")["ProductionVariants"][0]["InitialInstanceCount"] = "2"
        props(t, "AWS::SageMaker::Model")["EnableNetworkIsolation"] = "true"

    assert validate_template(planted(template, plant)) == []
    too_many = planted(
        template,
        lambda t: props(t, "AWS::SageMaker::EndpointConfig", "Canary")["ProductionVariants"][0]["InstancePools"][
            0
        ].update(Priority="7"),
    )
    assert [(f.value, f.rule) for f in validate_template(too_many)] == [(7, "range")]


# --- where the template's properties and the API's members differ ---------------------------------------


def test_names_cloudformation_generates_are_not_missing(template: Template) -> None:
    """CreateModel and CreateEndpointConfig require a name the templates leave to CloudFormation."""
    model = props(template, "AWS::SageMaker::Model")
    assert "ModelName" not in model
    (request,), _ = requests_of(template["Resources"][logical_id(template, "AWS::SageMaker::Model")], {})
    assert isinstance(request.params["ModelName"], Unknown)


def test_the_endpoint_calls_take_their_own_members(template: Template) -> None:
    endpoint = template["Resources"][logical_id(template, "AWS::SageMaker::Endpoint", "Canary")]
    endpoint = copy.deepcopy(endpoint)
    endpoint["Properties"]["Tags"] = [{"Key": "team", "Value": "ml"}]
    (create, update), unknown = requests_of(endpoint, {})
    assert unknown == []
    assert "Tags" in create.params and "RetainAllVariantProperties" not in create.params
    assert "RetainAllVariantProperties" in update.params and "Tags" not in update.params


def test_a_value_the_documentation_marks_unsupported_is_reported(template: Template) -> None:
    """botocore's VariantPropertyType lists DataCaptureConfig as "(Not currently supported.)": the enum
    admits it, the documentation does not."""
    endpoint_type = "AWS::SageMaker::Endpoint"

    def plant(t: Template) -> None:
        props(t, endpoint_type, "Canary")["ExcludeRetainedVariantProperties"] = [
            {"VariantPropertyType": "DesiredWeight"},
            {"VariantPropertyType": "DataCaptureConfig"},
        ]

    faulty = planted(template, plant)
    findings = [f for f in validate_template(faulty) if f.operation == "sagemaker:UpdateEndpoint"]
    assert findings == [
        Finding(
            logical_id(faulty, endpoint_type, "Canary"),
            endpoint_type,
            "sagemaker:UpdateEndpoint",
            "ExcludeRetainedVariantProperties[1].VariantPropertyType",
            "DataCaptureConfig",
            "unsupported",
            "VariantPropertyType documents DataCaptureConfig: (Not currently supported.)",
        )
    ]


def test_component_deployment_config_reaches_only_the_update(template: Template) -> None:
    component = template["Resources"][logical_id(template, "AWS::SageMaker::InferenceComponent")]
    (create, update), _ = requests_of(component, {})
    assert "DeploymentConfig" in update.params and "DeploymentConfig" not in create.params
    assert {"EndpointName", "VariantName"} <= set(create.params) and "EndpointName" not in update.params
    with_arn = copy.deepcopy(component)
    with_arn["Properties"]["EndpointArn"] = "arn:aws:sagemaker:us-west-2:111122223333:endpoint/x"
    assert requests_of(with_arn, {})[1] == []  # a property of the schema only, not an unknown member


def test_the_scaling_policy_names_its_target_through_the_scalable_target(template: Template) -> None:
    target = logical_id(template, "AWS::ApplicationAutoScaling::ScalableTarget")

    def plant(t: Template) -> None:
        t["Resources"][target]["Properties"]["ScalableDimension"] = "sagemaker:variant:DesiredCount"

    on_policy = [
        f
        for f in validate_template(planted(template, plant))
        if f.operation == "application-autoscaling:PutScalingPolicy"
    ]
    assert [(f.path, f.value, f.rule) for f in on_policy] == [
        (f"ScalingTargetId -> {target}.ScalableDimension", "sagemaker:variant:DesiredCount", "enum")
    ]
    policy = template["Resources"][logical_id(template, "AWS::ApplicationAutoScaling::ScalingPolicy")]
    by_id = copy.deepcopy(policy)
    by_id["Properties"]["ScalingTargetId"] = "endpoint/e/variant/v|sagemaker:variant:DesiredInstanceCount|sagemaker"
    ((request,), _) = requests_of(by_id, {})
    assert request.params["ResourceId"] == "endpoint/e/variant/v" and request.params["ServiceNamespace"] == "sagemaker"
    imported = copy.deepcopy(policy)
    imported["Properties"]["ScalingTargetId"] = {"Fn::ImportValue": "Target"}
    ((request,), _) = requests_of(imported, {})
    assert all(isinstance(request.params[k], Unknown) for k in ("ResourceId", "ScalableDimension", "ServiceNamespace"))


def test_scalable_target_tags_are_a_map_and_scheduled_actions_are_their_own_calls(template: Template) -> None:
    target = copy.deepcopy(template["Resources"][logical_id(template, "AWS::ApplicationAutoScaling::ScalableTarget")])
    target["Properties"]["Tags"] = [{"Key": "team", "Value": "ml"}, {"Key": "long", "Value": "v" * 257}]
    target["Properties"]["ScheduledActions"] = [
        {"ScheduledActionName": "night", "Schedule": "cron(0 22 * * ? *)", "ScalableTargetAction": {"MaxCapacity": 1}},
        {"ScheduledActionName": " leading space", "Schedule": "cron(0 6 * * ? *)"},
    ]
    findings = validate_template({"Resources": {"Target": target}})
    assert [(f.operation, f.path, f.rule) for f in findings] == [
        ("application-autoscaling:RegisterScalableTarget", "Tags[1].Value", "length"),
        ("application-autoscaling:PutScheduledAction", "ScheduledActions[1].ScheduledActionName", "pattern"),
    ]


def test_a_package_group_policy_is_a_call_of_its_own_with_json_text() -> None:
    group = {
        "Type": "AWS::SageMaker::ModelPackageGroup",
        "Properties": {
            "ModelPackageGroupName": "recommended",
            "ModelPackageGroupPolicy": {
                "Statement": [{"Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${Other}:root"}}}]
            },
        },
    }
    ((_create, put), unknown) = requests_of(group, {})
    assert unknown == [] and put.operation == "PutModelPackageGroupPolicy"
    assert isinstance(put.params["ResourcePolicy"], Unknown) and put.params["ResourcePolicy"].may_be(
        '{"Statement": [{"Principal": {"AWS": "arn:aws:iam::111122223333:root"}}]}'
    )
    group["Properties"]["ModelPackageGroupPolicy"] = {"Statement": ["x" * 20480]}
    (finding,) = validate_template({"Resources": {"Group": group}})
    assert (finding.operation, finding.path, finding.rule) == (
        "sagemaker:PutModelPackageGroupPolicy",
        "ModelPackageGroupPolicy",
        "length",
    )


def test_the_shared_group_resource_is_its_create_call_and_a_policy_call_with_json_text() -> None:
    """``Custom::ModelPackageGroup``: the handler sends ``Request`` as CreateModelPackageGroup, then
    ``ResourcePolicy`` as PutModelPackageGroupPolicy's JSON text on the group of that name."""
    group = {
        "Type": "Custom::ModelPackageGroup",
        "Properties": {
            "ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]},
            "Kind": "ModelPackageGroup",
            "Request": {"ModelPackageGroupName": "shared-0123456789", "ModelPackageGroupDescription": "shared"},
            "ResourcePolicy": {"Statement": [{"Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${Other}:root"}}}]},
        },
    }
    ((create, put), unknown) = requests_of(group, {})
    assert unknown == [] and (create.operation, put.operation) == (
        "CreateModelPackageGroup",
        "PutModelPackageGroupPolicy",
    )
    assert create.params == group["Properties"]["Request"]
    assert put.params["ModelPackageGroupName"] == "shared-0123456789"
    assert isinstance(put.params["ResourcePolicy"], Unknown)
    assert validate_template({"Resources": {"Group": group}}) == []
    group["Properties"]["Request"]["ModelPackageGroupName"] = "shared_0123456789"
    group["Properties"]["ResourcePolicy"] = {"Statement": ["x" * 20480]}
    findings = validate_template({"Resources": {"Group": group}})
    assert sorted((f.operation, f.path, f.rule) for f in findings) == [
        ("sagemaker:CreateModelPackageGroup", "Request.ModelPackageGroupName", "pattern"),
        ("sagemaker:PutModelPackageGroupPolicy", "Request.ModelPackageGroupName", "pattern"),
        ("sagemaker:PutModelPackageGroupPolicy", "ResourcePolicy", "length"),
    ]


def test_a_property_no_call_takes_is_an_unknown_member(template: Template) -> None:
    faulty = planted(template, lambda t: props(t, "AWS::CloudWatch::Alarm").update(Bogus=1))
    (finding,) = validate_template(faulty)
    assert (finding.path, finding.value, finding.rule, finding.operation) == (
        "Bogus",
        1,
        "unknown member",
        "cloudwatch:PutMetricAlarm",
    )


# --- the mapping table against CloudFormation's schemas --------------------------------------------------

SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"


def schema(kind: str) -> dict[str, Any]:
    providers = json.loads((SCHEMAS / "providers" / "us-west-2.json").read_text())
    reference = providers[kind]["$ref"] if isinstance(providers[kind], dict) else providers[kind]
    name = os.path.basename(reference)
    return json.loads((SCHEMAS / "resources" / (name if name.endswith(".json") else name + ".json")).read_text())


FROM_ADAPTERS = {"AWS::ApplicationAutoScaling::ScalingPolicy": {"ServiceNamespace", "ResourceId", "ScalableDimension"}}
"""Required members an adapter supplies (from the policy's scalable target)."""


@pytest.mark.parametrize("kind", [k for k in MAPPINGS if k.startswith("AWS::")])
def test_every_schema_property_is_a_call_member_or_documented(kind: str) -> None:
    """Each writable property of the resource's schema is a member of one of its calls or a documented
    CloudFormation-only property; every required member the schema leaves optional is one CloudFormation
    supplies (a generated name, or one the mapping adapts in)."""
    resource_schema = schema(kind)
    mapping = MAPPINGS[kind]
    read_only = {p.split("/")[2] for p in resource_schema.get("readOnlyProperties", []) if p.count("/") == 2}
    members = {m for call in mapping.calls for m in operation(mapping.service, call).input_shape.members}
    writable = set(resource_schema["properties"]) - read_only
    assert writable - members == set(mapping.cfn_only), kind
    required = set(resource_schema.get("required", []))
    for call in mapping.calls:
        shape = operation(mapping.service, call).input_shape
        supplied = set(mapping.generated) | FROM_ADAPTERS.get(kind, set())
        assert set(shape.required_members) - required <= supplied, (kind, call)


def test_every_pattern_of_the_mapped_calls_compiles() -> None:
    """The Java constructs the services' patterns use are all translated (a new one fails here first)."""
    patterns: set[str] = set()

    def walk(shape: Any, seen: set[str]) -> None:
        if shape.name in seen:
            return
        seen.add(shape.name)
        if "pattern" in shape.metadata:
            patterns.add(shape.metadata["pattern"])
        children = {
            "structure": lambda: shape.members.values(),
            "list": lambda: [shape.member],
            "map": lambda: [shape.key, shape.value],
        }.get(shape.type_name, list)()
        for child in children:
            walk(child, seen)

    calls = {(m.service, c) for m in MAPPINGS.values() for c in m.calls}
    calls |= {("application-autoscaling", "PutScheduledAction"), ("sagemaker", "PutModelPackageGroupPolicy")}
    calls |= {("sagemaker", "CreateAIRecommendationJob"), ("sagemaker", "CreateAIBenchmarkJob")}
    for service, call in sorted(calls):
        walk(operation(service, call).input_shape, set())
    assert len(patterns) > 20
    for pattern in patterns:
        regex.compile(_python_pattern(pattern))
    assert regex.fullmatch(_python_pattern(r"\p{Print}+"), "weighted-utilization")
    assert not regex.fullmatch(_python_pattern(r"\p{Print}+"), "politique-pondérée")  # Java: ASCII only
    surrogates = r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*"
    assert regex.fullmatch(_python_pattern(surrogates), "endpoint/😀") and not regex.fullmatch(
        _python_pattern(surrogates), "\x00"
    )


def test_the_job_custom_resources_are_their_create_calls(template: Template) -> None:
    job = template["Resources"][logical_id(template, "Custom::AIRecommendationJob")]
    ((request,), unknown) = requests_of(job, {})
    assert (request.operation, unknown) == ("CreateAIRecommendationJob", [])
    assert request.params == resolve(job["Properties"]["Request"])
