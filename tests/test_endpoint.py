"""Template assertions for every InstancePoolEndpoint option (one synthesis for the module)."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import botocore.session
import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template
from hypothesis import example, given, settings
from hypothesis import strategies as st
from simulation.harness import denied, statements_of_role
from simulation.iam import Request
from simulation.intrinsics import Environment

from cdk_genai_inference import (
    AsyncInference,
    CapacitySize,
    DeploymentPolicy,
    InstancePool,
    InstancePoolEndpoint,
    Model,
    PrefixAwareRouting,
    RollbackAlarms,
    RoutingStrategy,
)
from cdk_genai_inference._core.validation import milliseconds_and_words
from synthesis import ENV, IMAGE, MODEL_DATA, new_stack, synth

P5, G6E, G6, INF2 = "ml.p5.48xlarge", "ml.g6e.48xlarge", "ml.g6.48xlarge", "ml.inf2.48xlarge"


class Built:
    """The endpoints of the module's stack, and its one synthesized template."""

    def __init__(self) -> None:
        stack = new_stack("Endpoints")
        self.stack = stack
        model = Model(stack, "Model", image_uri=IMAGE, model_data_url=MODEL_DATA)
        optimized = Model(stack, "G6Model", image_uri=IMAGE, model_data_url=MODEL_DATA + "g6/")
        self.minimal = InstancePoolEndpoint(stack, "Minimal", model=model, instance_pools=[InstancePool(G6)])
        self.key = kms.Key(stack, "Key", enable_key_rotation=True)
        self.full = InstancePoolEndpoint(
            stack,
            "Full",
            endpoint_name="llm-full",
            variant_name="Primary",
            model=model,
            instance_pools=[
                InstancePool(G6, model=optimized, max_concurrency=8, priority=3),
                InstancePool(P5, max_concurrency=20, priority=1, model_latency_threshold=Duration.seconds(10)),
                InstancePool(G6E, max_concurrency=12, priority=2, scaling_weight=2),
            ],
            initial_instance_count=2,
            provisioning_timeout=Duration.minutes(15),
            routing_strategy=RoutingStrategy.PREFIX_AWARE,
            prefix_aware_routing=PrefixAwareRouting(prefix_length=4096, concurrency_threshold=16),
            model_data_download_timeout=Duration.minutes(30),
            container_startup_health_check_timeout=Duration.minutes(10),
            deployment=DeploymentPolicy.rolling(
                max_batch=CapacitySize.instances(1),
                wait_interval=Duration.minutes(10),
                rollback_max_batch=CapacitySize.percent(100),
                max_execution_timeout=Duration.hours(4),
            ),
            rollback_alarms=RollbackAlarms(error_rate_percent=2, model_latency=Duration.seconds(30)),
            alarms=[cw.Alarm.from_alarm_name(stack, "Slo", "team-slo-burn")],
            variant_overrides={"InferenceAmiVersion": "al2-ami-sagemaker-inference-gpu-3-1"},
            tags={"team": "ml-platform"},
        )
        self.full.add_rollback_alarm(cw.Alarm.from_alarm_name(stack, "Late", "added-later"))
        self.scaling = self.full.scale_on_weighted_utilization(
            min_capacity=1,
            max_capacity=8,
            target_utilization=0.6,
            scale_in_cooldown=Duration.minutes(10),
            scale_out_cooldown=Duration.seconds(30),
            disable_scale_in=True,
        )
        self.canary = InstancePoolEndpoint(
            stack,
            "Canary",
            model=model,
            instance_pools=[InstancePool(P5), InstancePool(G6)],
            deployment=DeploymentPolicy.canary(
                size=CapacitySize.percent(20),
                termination_wait=Duration.minutes(5),
                max_execution_timeout=Duration.hours(1),
            ),
            rollback_alarms=None,
            dashboard=False,
        )
        self.linear = InstancePoolEndpoint(
            stack,
            "Linear",
            model=model,
            instance_pools=[InstancePool(P5)],
            deployment=DeploymentPolicy.linear(step=CapacitySize.percent(25)),
            dashboard=False,
        )
        self.all_at_once = InstancePoolEndpoint(
            stack,
            "AllAtOnce",
            model=model,
            instance_pools=[InstancePool(P5)],
            deployment=DeploymentPolicy.all_at_once(wait_interval=Duration.seconds(0)),
            dashboard=False,
        )
        self.ebs_backed = InstancePoolEndpoint(
            stack,
            "EbsBacked",
            model=model,
            instance_pools=[InstancePool(INF2), InstancePool("ml.p3.16xlarge")],
            encryption_key=self.key,
            volume_size_gb=200,
            dashboard=False,
        )
        self.bucket = s3.Bucket(stack, "Out", enforce_ssl=True)
        self.ok_topic = sns.Topic(stack, "Ok")
        self.error_topic = sns.Topic(stack, "Err")
        paged = self.linear.rollback_alarms[0]
        assert isinstance(paged, cw.AlarmBase)
        paged.add_alarm_action(cw_actions.SnsAction(self.error_topic))
        paged.add_alarm_action(cw_actions.SnsAction(self.ok_topic))
        paged.add_ok_action(cw_actions.SnsAction(self.ok_topic))
        paged.add_insufficient_data_action(cw_actions.SnsAction(self.error_topic))
        self.asynchronous = InstancePoolEndpoint(
            stack,
            "Async",
            model=model,
            instance_pools=[InstancePool(G6)],
            async_inference=AsyncInference(
                output_bucket=self.bucket,
                success_topic=self.ok_topic,
                error_topic=self.error_topic,
                max_concurrent_invocations_per_instance=4,
                encryption_key=self.key,
                input_bucket=s3.Bucket.from_bucket_name(stack, "Requests", "genai-requests"),
            ),
            dashboard=False,
        )
        self.template: Template = synth(stack)
        self.json: dict[str, Any] = self.template.to_json()

    def logical_id(self, construct: Any) -> str:
        element = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
        return self.stack.get_logical_id(element)

    def props(self, construct: Any) -> dict[str, Any]:
        return self.json["Resources"][self.logical_id(construct)]["Properties"]

    def config(self, endpoint: InstancePoolEndpoint) -> dict[str, Any]:
        return self.props(endpoint.endpoint_config)

    def variant(self, endpoint: InstancePoolEndpoint) -> dict[str, Any]:
        return self.config(endpoint)["ProductionVariants"][0]

    def endpoint(self, endpoint: InstancePoolEndpoint) -> dict[str, Any]:
        return self.props(endpoint.resource)

    def ref(self, construct: Any) -> dict[str, Any]:
        return {"Ref": self.logical_id(construct)}


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def test_minimal_endpoint_has_one_pool_lor_routing_and_no_instance_type(built: Built) -> None:
    variant = built.variant(built.minimal)
    assert variant["InstancePools"] == [{"InstanceType": G6, "Priority": 1}]
    assert "InstanceType" not in variant
    assert variant["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}
    assert variant["VariantName"] == "AllTraffic"
    assert variant["InitialInstanceCount"] == 1
    assert variant["ModelName"] == {"Fn::GetAtt": [built.logical_id(built.stack.node.find_child("Model")), "ModelName"]}
    endpoint = built.endpoint(built.minimal)
    assert "DeploymentConfig" not in endpoint
    assert "RetainAllVariantProperties" not in endpoint
    assert endpoint["EndpointName"] == built.minimal.endpoint_name
    assert built.minimal.rollback_alarms == []


def test_generated_endpoint_names_are_valid_and_known_at_synth(built: Built) -> None:
    name = built.minimal.endpoint_name
    assert not cdk.Token.is_unresolved(name)
    assert len(name) <= 63 and name.replace("-", "").isalnum()


def test_pools_carry_priorities_and_per_pool_models(built: Built) -> None:
    pools = built.variant(built.full)["InstancePools"]
    optimized = built.logical_id(built.stack.node.find_child("G6Model"))
    assert pools == [
        {"InstanceType": P5, "Priority": 1},
        {"InstanceType": G6E, "Priority": 2},
        {"InstanceType": G6, "Priority": 3, "ModelNameOverride": {"Fn::GetAtt": [optimized, "ModelName"]}},
    ]
    assert built.full.instance_types == [P5, G6E, G6]


def test_endpoint_options_reach_the_variant(built: Built) -> None:
    variant = built.variant(built.full)
    assert variant["VariantName"] == "Primary"
    assert variant["InitialInstanceCount"] == 2
    assert variant["VariantInstanceProvisionTimeoutInSeconds"] == 900
    assert variant["RoutingConfig"] == {
        "RoutingStrategy": "PREFIX_AWARE",
        "PrefixAwareRoutingConfig": {"PrefixLength": 4096, "ConcurrencyThreshold": 16},
    }
    assert "VolumeSizeInGB" not in variant  # its pools store on local NVMe
    assert built.variant(built.ebs_backed)["VolumeSizeInGB"] == 200
    assert variant["ModelDataDownloadTimeoutInSeconds"] == 1800
    assert variant["ContainerStartupHealthCheckTimeoutInSeconds"] == 600
    assert variant["InferenceAmiVersion"] == "al2-ami-sagemaker-inference-gpu-3-1"
    assert built.config(built.ebs_backed)["KmsKeyId"] == {"Fn::GetAtt": [built.logical_id(built.key), "Arn"]}
    assert "KmsKeyId" not in built.config(built.full)
    assert built.endpoint(built.full)["EndpointName"] == "llm-full"


def test_tags_reach_every_taggable_resource(built: Built) -> None:
    for props in (built.config(built.full), built.endpoint(built.full)):
        assert {"Key": "team", "Value": "ml-platform"} in props["Tags"]
    assert "Tags" not in built.endpoint(built.minimal)


def test_rolling_deployment_with_every_field_and_all_rollback_alarms(built: Built) -> None:
    deployment = built.endpoint(built.full)["DeploymentConfig"]
    assert deployment["RollingUpdatePolicy"] == {
        "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 600,
        "RollbackMaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 100},
        "MaximumExecutionTimeoutInSeconds": 14400,
    }
    names = [a["AlarmName"] for a in deployment["AutoRollbackConfiguration"]["Alarms"]]
    defaults = [built.ref(a) for a in built.full.rollback_alarms[:4]]
    assert names == [*defaults, "team-slo-burn", "added-later"]


def test_error_rate_alarm_watches_5xx_share_of_the_whole_variant(built: Built) -> None:
    alarm = built.json["Resources"][built.ref(built.full.rollback_alarms[0])["Ref"]]["Properties"]
    assert alarm["Threshold"] == 2
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 2)
    expression = next(m for m in alarm["Metrics"] if "Expression" in m)
    assert expression["Expression"] == "100 * FILL(errors, 0) / invocations"
    errors = next(m for m in alarm["Metrics"] if m["Id"] == "errors")["MetricStat"]
    assert errors["Metric"]["MetricName"] == "Invocation5XXErrors"
    assert {d["Name"] for d in errors["Metric"]["Dimensions"]} == {"EndpointName", "VariantName"}


def test_latency_alarms_are_per_instance_type_with_pool_overrides(built: Built) -> None:
    alarms = [built.json["Resources"][built.ref(a)["Ref"]]["Properties"] for a in built.full.rollback_alarms[1:4]]
    by_type = {next(d["Value"] for d in a["Dimensions"] if d["Name"] == "InstanceType"): a for a in alarms}
    assert set(by_type) == {P5, G6E, G6}
    assert by_type[P5]["Threshold"] == 10_000_000  # the pool's own 10 s, in microseconds
    assert by_type[G6]["Threshold"] == 30_000_000
    for alarm in alarms:
        assert alarm["MetricName"] == "ModelLatency"
        assert alarm["ExtendedStatistic"] == "p90"
        assert alarm["TreatMissingData"] == "notBreaching"


def test_rollback_alarms_render_what_cw_alarm_renders_for_the_same_metrics(built: Built) -> None:
    """The alarms are L1 resources built without a cw.Metric per operand; their properties are the L2's."""
    stack = new_stack("L2Alarms")
    endpoint, period = built.full, Duration.minutes(1)
    common: dict[str, Any] = {
        "evaluation_periods": 3,
        "datapoints_to_alarm": 2,
        "treat_missing_data": cw.TreatMissingData.NOT_BREACHING,
        "comparison_operator": cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
    }
    error_rate = cw.MathExpression(
        expression="100 * FILL(errors, 0) / invocations",
        using_metrics={
            "errors": endpoint.metric_invocation5xx_errors(period=period),
            "invocations": endpoint.metric_invocations(period=period),
        },
        label="5XX error rate (%)",
        period=period,
    )
    cw.Alarm(
        stack,
        "ErrorRate",
        metric=error_rate,
        threshold=2,
        alarm_description="Rolls back a deployment when more than 2 % of invocations return a 5XX error",
        **common,
    )
    cw.Alarm(
        stack,
        "Latency",
        metric=endpoint.metric_model_latency(instance_type=G6, period=period),
        threshold=30_000_000,
        alarm_description="Rolls back a deployment when p90 ModelLatency on ml.g6.48xlarge exceeds 30 seconds",
        **common,
    )
    expected = [r["Properties"] for r in Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values()]
    ours = [built.props(built.full.rollback_alarms[i]) for i in (0, 3)]  # the error rate, and g6's latency
    untagged = [{k: v for k, v in props.items() if k != "Tags"} for props in ours]  # the full endpoint has tags
    assert json.dumps(untagged) == json.dumps(expected)  # key order included


@settings(max_examples=150, deadline=None)
@example(Duration.millis(0))  # the words name the unit it was given: left to aws-cdk-lib
@example(Duration.seconds(0))
@example(Duration.minutes(0.5))
@example(Duration.days(1.5))
@example(Duration.parse("P1DT2H3M4.005S"))
@example(Duration.millis(2**53 + 2))  # past a float's whole numbers: left to aws-cdk-lib
@example(Duration.millis(2.3937281476459957e21))  # where float division and divmod part
@example(Duration.millis(cdk.Token.as_number({"Ref": "Threshold"})))  # a token: left to aws-cdk-lib
@given(
    st.one_of(
        st.integers(1, 10**11).map(Duration.millis),
        st.integers(1, 10**5).map(Duration.seconds),
        st.integers(1, 10**4).map(Duration.minutes),
        st.integers(1, 10**3).map(Duration.hours),
        st.integers(1, 400).map(Duration.days),
    )
)
def test_a_latency_threshold_is_described_in_the_words_of_to_human_string(threshold: Duration) -> None:
    """The alarm's description writes its threshold as aws-cdk-lib would (the library writes the words
    itself to save a round trip to the jsii runtime per endpoint)."""
    assert milliseconds_and_words(threshold) == (threshold.to_milliseconds(), threshold.to_human_string())


def test_actions_added_to_a_rollback_alarm_reach_its_template(built: Built) -> None:
    """A rollback alarm is a full ``AlarmBase``: the actions a user adds (to be paged when a deployment
    rolls back) are rendered, in order, and the other alarms keep none."""
    paged, *others = built.linear.rollback_alarms
    alarm = built.props(paged)
    err, ok = built.ref(built.error_topic.node.default_child), built.ref(built.ok_topic.node.default_child)
    assert alarm["AlarmActions"] == [err, ok]
    assert alarm["OKActions"] == [ok]
    assert alarm["InsufficientDataActions"] == [err]
    for other in others:
        assert not {"AlarmActions", "OKActions", "InsufficientDataActions"} & set(built.props(other))


def test_scaling_policy_is_target_tracking_on_the_weighted_expression(built: Built) -> None:
    policy = built.props(built.scaling.policy)
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert tracking["TargetValue"] == 0.6
    assert (tracking["ScaleInCooldown"], tracking["ScaleOutCooldown"]) == (600, 30)
    assert tracking["DisableScaleIn"] is True
    expression = tracking["CustomizedMetricSpecification"]["Metrics"][-1]
    assert expression == {
        "Id": "utilization",
        "Label": "Weighted utilization",
        "Expression": built.scaling.expression,
        "ReturnData": True,
    }
    assert built.scaling.expression == (
        "(FILL(p5_48xlarge_sum,0)/20 + FILL(g6e_48xlarge_sum,0)*2/12 + FILL(g6_48xlarge_sum,0)/8) / "
        "(FILL(p5_48xlarge_n,0) + FILL(g6e_48xlarge_n,0)*2 + FILL(g6_48xlarge_n,0))"
    )


def test_scalable_target_uses_the_service_linked_role_and_follows_the_endpoint(built: Built) -> None:
    target = built.json["Resources"][built.logical_id(built.scaling.scalable_target)]
    assert target["Properties"] == {
        "MaxCapacity": 8,
        "MinCapacity": 1,
        "ResourceId": "endpoint/llm-full/variant/Primary",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "ServiceNamespace": "sagemaker",
        "Tags": [{"Key": "team", "Value": "ml-platform"}],
    }
    assert built.logical_id(built.full.resource) in target["DependsOn"]


def test_autoscaled_capacity_survives_endpoint_updates(built: Built) -> None:
    endpoint = built.endpoint(built.full)
    assert endpoint["RetainAllVariantProperties"] is True
    assert endpoint["ExcludeRetainedVariantProperties"] == [{"VariantPropertyType": "DesiredWeight"}]


@pytest.mark.parametrize("before_scaling", [True, False], ids=["before", "after"])
def test_a_retain_setting_of_your_own_wins_whenever_it_is_made(before_scaling: bool) -> None:
    """The README: scaling sets both properties on ``endpoint.resource`` unless they are set, and a
    value set there after the call wins."""
    stack = new_stack()
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=Model(stack, "Model", image_uri=IMAGE, model_data_url=MODEL_DATA),
        instance_pools=[InstancePool(P5, max_concurrency=20)],
        dashboard=False,
    )
    kept = [sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type="DesiredInstanceCount")]

    def set_own() -> None:
        endpoint.resource.retain_all_variant_properties = False
        endpoint.resource.exclude_retained_variant_properties = kept

    if before_scaling:
        set_own()
    endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=2)
    if not before_scaling:
        set_own()
    template = synth(stack).to_json()
    (properties,) = (r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Endpoint")
    assert properties["RetainAllVariantProperties"] is False
    assert properties["ExcludeRetainedVariantProperties"] == [{"VariantPropertyType": "DesiredInstanceCount"}]


def test_blue_green_policies(built: Built) -> None:
    canary = built.endpoint(built.canary)["DeploymentConfig"]
    assert canary == {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "WaitIntervalInSeconds": 300,
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 20},
            },
            "TerminationWaitInSeconds": 300,
            "MaximumExecutionTimeoutInSeconds": 3600,
        }
    }
    linear = built.endpoint(built.linear)["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert linear["TrafficRoutingConfiguration"] == {
        "Type": "LINEAR",
        "WaitIntervalInSeconds": 300,
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
    }
    assert len(built.endpoint(built.linear)["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]) == 1
    all_at_once = built.endpoint(built.all_at_once)["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert all_at_once["TrafficRoutingConfiguration"] == {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}


def test_async_inference_writes_to_s3_and_notifies_and_grants_the_model_role(built: Built) -> None:
    config = built.config(built.asynchronous)["AsyncInferenceConfig"]
    bucket = built.logical_id(built.bucket)
    assert config["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 4}
    output = config["OutputConfig"]
    assert output["S3OutputPath"] == {"Fn::Join": ["", ["s3://", {"Ref": bucket}, "/async-output/"]]}
    assert output["S3FailurePath"] == {"Fn::Join": ["", ["s3://", {"Ref": bucket}, "/async-failures/"]]}
    assert output["NotificationConfig"] == {
        "SuccessTopic": built.ref(built.ok_topic),
        "ErrorTopic": built.ref(built.error_topic),
    }
    policy = json.dumps(built.template.find_resources("AWS::IAM::Policy"))
    assert '"sns:Publish"' in policy and "/async-output/*" in policy and "/async-failures/*" in policy
    # SageMaker reads each request's InputLocation with the model's role.
    statements = built.props(built.stack.node.find_child("Model").role.node.find_child("DefaultPolicy"))
    reads = [s for s in statements["PolicyDocument"]["Statement"] if "s3:GetObject*" in _list(s["Action"])]
    assert json.dumps([s["Resource"] for s in reads]).count(":s3:::genai-requests/async-input/*") == 1


@pytest.mark.parametrize(
    ("prefix", "under"),
    [
        (None, "async-input/"),
        ("requests/", "requests/"),
        (f"{cdk.Aws.ACCOUNT_ID}/requests/", "111122223333/requests/"),  # a token with literal text around it
    ],
    ids=["default", "given", "token-inside"],
)
def test_the_model_role_reads_the_payloads_under_the_input_prefix_alone(prefix: str | None, under: str) -> None:
    """SageMaker reads a request's ``InputLocation`` with the model's role: under the prefix, nowhere else."""
    stack = new_stack()
    model = Model(stack, "Model", image_uri=IMAGE, model_data_url=MODEL_DATA)
    InstancePoolEndpoint(
        stack,
        "Async",
        model=model,
        instance_pools=[InstancePool(G6)],
        async_inference=AsyncInference(
            output_bucket=s3.Bucket.from_bucket_name(stack, "Out", "results"),
            input_bucket=s3.Bucket.from_bucket_name(stack, "Requests", "genai-requests"),
            **({} if prefix is None else {"input_prefix": prefix}),
        ),
        dashboard=False,
    )
    resources = synth(stack).to_json()["Resources"]
    env = Environment(account=ENV.account, region=ENV.region)
    statements = statements_of_role(resources, stack.get_logical_id(model.role.node.default_child), env)
    assert denied(statements, [Request("s3:GetObject", f"arn:aws:s3:::genai-requests/{under}request.json")]) == []
    assert denied(statements, [Request("s3:GetObject", "arn:aws:s3:::genai-requests/other/request.json")]) != []


def test_model_role_is_least_privilege(built: Built) -> None:
    model = built.stack.node.find_child("Model")
    policy = built.props(model.role.node.find_child("DefaultPolicy"))
    statements = {tuple(sorted(_list(s["Action"]))): s for s in policy["PolicyDocument"]["Statement"]}
    ecr = statements[("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")]
    assert ecr["Resource"] == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":ecr:us-west-2:763104351884:repository/djl-inference"],
        ]
    }
    assert statements[("s3:GetObject",)]["Resource"] == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":s3:::genai-models-111122223333/llama-3.1-8b/*"],
        ]
    }
    assert statements[("s3:ListBucket",)]["Condition"] == {"StringLike": {"s3:prefix": ["llama-3.1-8b/*"]}}
    assert statements[("cloudwatch:PutMetricData",)]["Condition"]["StringLike"]["cloudwatch:namespace"]
    wildcard = [s for s in statements.values() if s["Resource"] == "*"]
    assert sorted(a for s in wildcard for a in _list(s["Action"])) == [
        "cloudwatch:PutMetricData",
        "ecr:GetAuthorizationToken",
    ]


def test_model_reads_uncompressed_weights_from_the_prefix(built: Built) -> None:
    model = built.props(built.stack.node.find_child("Model"))
    assert model["PrimaryContainer"]["ModelDataSource"] == {
        "S3DataSource": {"S3Uri": MODEL_DATA, "S3DataType": "S3Prefix", "CompressionType": "None"}
    }


def test_models_run_network_isolated_unless_opted_out(built: Built) -> None:
    assert built.props(built.stack.node.find_child("Model"))["EnableNetworkIsolation"] is True
    stack = new_stack()
    local = Model(stack, "Local", image_uri=IMAGE, environment={"HF_MODEL_ID": "/opt/ml/model"})
    hub = Model(stack, "Hub", image_uri=IMAGE, environment={"HF_MODEL_ID": "org/model"}, network_isolation=False)
    assert [m.node.default_child.enable_network_isolation for m in (local, hub)] == [True, None]  # type: ignore[union-attr]


def test_the_stacks_endpoints_share_one_fleet_dashboard_a_section_each(built: Built) -> None:
    dashboards = built.template.find_resources("AWS::CloudWatch::Dashboard")
    assert len(dashboards) == 1  # minimal and full share it; the others opted out
    assert built.full.dashboard is built.minimal.dashboard
    body = json.dumps(built.props(built.full.dashboard))
    for instance_type in (P5, G6E, G6):
        assert body.count(f'\\"InstanceType\\",\\"{instance_type}\\"') >= 7
    for title in ("### llm-full (variant Primary)", "Weighted utilization", "Model latency p90", "GPU utilization"):
        assert title in body
    assert body.count("Rollback alarms") == 1  # the full endpoint's; the minimal one has none
    assert ":cloudwatch:us-west-2:111122223333:alarm:added-later" in body  # added after the endpoint


RUNTIME_OPERATIONS = frozenset(botocore.session.get_session().get_service_model("sagemaker-runtime").operation_names)
"""SageMaker Runtime's calls, each authorized by IAM as the action of its name on the endpoint."""
REAL_TIME_CALLS = {"InvokeEndpoint", "InvokeEndpointWithResponseStream"}
ASYNC_CALLS = {"InvokeEndpointAsync"}


@pytest.fixture(scope="module")
def invokers() -> dict[str, tuple[list[dict[str, Any]], str]]:
    """A role granted ``grant_invoke`` on each kind of endpoint: the statements it gets, and the endpoint's ARN."""
    stack = new_stack("Invokers")
    model = Model(stack, "Model", image_uri=IMAGE, model_data_url=MODEL_DATA)
    output = s3.Bucket.from_bucket_name(stack, "Out", "results")
    endpoints = {
        "real-time": InstancePoolEndpoint(stack, "RealTime", model=model, instance_pools=[InstancePool(G6)]),
        "asynchronous": InstancePoolEndpoint(
            stack,
            "Async",
            model=model,
            instance_pools=[InstancePool(G6)],
            async_inference=AsyncInference(output_bucket=output),
            dashboard=False,
        ),
        "imported": InstancePoolEndpoint.from_endpoint_name(stack, "Imported", "My-Endpoint"),
        "imported asynchronous": InstancePoolEndpoint.from_endpoint_attributes(
            stack, "ImportedAsync", endpoint_name="My-Queue", asynchronous=True
        ),
    }
    roles = {}
    for kind, endpoint in endpoints.items():
        roles[kind] = iam.Role(stack, f"Caller{len(roles)}", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        endpoint.grant_invoke(roles[kind])
    resources = synth(stack).to_json()["Resources"]
    env = Environment(ENV.account, ENV.region)
    return {
        kind: (
            statements_of_role(resources, stack.get_logical_id(roles[kind].node.default_child), env),
            f"arn:aws:sagemaker:us-west-2:111122223333:endpoint/{endpoint.endpoint_name.lower()}",
        )
        for kind, endpoint in endpoints.items()
    }


@pytest.mark.parametrize(
    ("kind", "calls"),
    [
        ("real-time", REAL_TIME_CALLS),
        ("asynchronous", ASYNC_CALLS),
        ("imported", REAL_TIME_CALLS),
        ("imported asynchronous", ASYNC_CALLS),
    ],
)
def test_grant_invoke_allows_the_calls_the_endpoint_takes_and_no_other(
    invokers: dict[str, tuple[list[dict[str, Any]], str]], kind: str, calls: set[str]
) -> None:
    """An asynchronous endpoint is called with InvokeEndpointAsync ("Get inferences from the model hosted at
    your asynchronous endpoint with InvokeEndpointAsync", SageMaker's "Invoke an Asynchronous Endpoint"), its
    own IAM action; a real-time one with InvokeEndpoint and its streaming form. Each call is checked with
    IAM's evaluation against the role's statements, on this endpoint and on another."""
    assert calls <= RUNTIME_OPERATIONS  # the calls are SageMaker Runtime's, as botocore's model names them
    statements, arn = invokers[kind]
    allowed = {op for op in RUNTIME_OPERATIONS if not denied(statements, [Request(f"sagemaker:{op}", arn)])}
    assert allowed == calls
    other = arn.rsplit("/", 1)[0] + "/other"
    assert denied(statements, [Request(f"sagemaker:{op}", other) for op in calls]) == [
        str(Request(f"sagemaker:{op}", other)) for op in calls
    ]


def test_grant_invoke_names_the_endpoint_by_its_lower_cased_name() -> None:
    stack = new_stack()
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    imported = InstancePoolEndpoint.from_endpoint_name(stack, "Imported", "My-Endpoint")
    imported.grant_invoke(role)
    template = synth(stack)
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"],
                        "Effect": "Allow",
                        "Resource": {
                            "Fn::Join": [
                                "",
                                [
                                    "arn:",
                                    {"Ref": "AWS::Partition"},
                                    ":sagemaker:us-west-2:111122223333:endpoint/my-endpoint",
                                ],
                            ]
                        },
                    }
                ]
            }
        },
    )


def test_imported_endpoint_metrics_use_its_names() -> None:
    stack = new_stack()
    imported = InstancePoolEndpoint.from_endpoint_attributes(stack, "I", endpoint_name="ep", variant_name="V")
    latency = imported.metric_model_latency(instance_type=P5)
    assert (latency.namespace, latency.metric_name, latency.statistic) == (
        "AWS/SageMaker",
        "ModelLatency",
        "p90",
    )
    assert latency.dimensions == {"EndpointName": "ep", "VariantName": "V", "InstanceType": P5}
    gpu = imported.metric_gpu_utilization()
    assert gpu.namespace == "/aws/sagemaker/Endpoints"
    assert gpu.dimensions == {"EndpointName": "ep", "VariantName": "V"}


@pytest.mark.parametrize(
    ("helper", "name", "namespace", "statistic"),
    [
        ("metric_invocations", "Invocations", "AWS/SageMaker", "Sum"),
        ("metric_invocation4xx_errors", "Invocation4XXErrors", "AWS/SageMaker", "Sum"),
        ("metric_invocation5xx_errors", "Invocation5XXErrors", "AWS/SageMaker", "Sum"),
        ("metric_model_latency", "ModelLatency", "AWS/SageMaker", "p90"),
        ("metric_overhead_latency", "OverheadLatency", "AWS/SageMaker", "p90"),
        ("metric_concurrent_requests_per_model", "ConcurrentRequestsPerModel", "AWS/SageMaker", "Average"),
        ("metric_concurrent_requests_per_copy", "ConcurrentRequestsPerCopy", "AWS/SageMaker", "Average"),
        ("metric_cpu_utilization", "CPUUtilization", "/aws/sagemaker/Endpoints", "Average"),
        ("metric_memory_utilization", "MemoryUtilization", "/aws/sagemaker/Endpoints", "Average"),
        ("metric_disk_utilization", "DiskUtilization", "/aws/sagemaker/Endpoints", "Average"),
        ("metric_gpu_utilization", "GPUUtilization", "/aws/sagemaker/Endpoints", "Average"),
        ("metric_gpu_memory_utilization", "GPUMemoryUtilization", "/aws/sagemaker/Endpoints", "Average"),
    ],
)
def test_metric_helpers(built: Built, helper: str, name: str, namespace: str, statistic: str) -> None:
    metric = getattr(built.full, helper)(instance_type=G6)
    assert (metric.metric_name, metric.namespace, metric.statistic) == (name, namespace, statistic)
    assert metric.dimensions == {"EndpointName": "llm-full", "VariantName": "Primary", "InstanceType": G6}
    aggregate = getattr(built.full, helper)()
    assert "InstanceType" not in aggregate.dimensions


@pytest.mark.parametrize(
    ("helper", "name", "statistic", "per_variant"),
    [
        ("metric_approximate_backlog_size", "ApproximateBacklogSize", "Average", False),
        ("metric_approximate_backlog_size_per_instance", "ApproximateBacklogSizePerInstance", "Average", False),
        ("metric_has_backlog_without_capacity", "HasBacklogWithoutCapacity", "Average", False),
        ("metric_invocations_processed", "InvocationsProcessed", "Sum", True),
        ("metric_invocation_failures", "InvocationFailures", "Sum", True),
    ],
)
def test_asynchronous_metric_helpers(built: Built, helper: str, name: str, statistic: str, per_variant: bool) -> None:
    """AWS's list of an asynchronous endpoint's metrics: the backlog by EndpointName alone, the
    requests by EndpointName and VariantName."""
    endpoint = built.asynchronous
    metric = getattr(endpoint, helper)()
    assert (metric.metric_name, metric.namespace, metric.statistic) == (name, "AWS/SageMaker", statistic)
    variant = {"VariantName": endpoint.variant_name} if per_variant else {}
    assert metric.dimensions == {"EndpointName": endpoint.endpoint_name, **variant}
    # Keyed the same on an import that names a component: no asynchronous endpoint hosts one.
    imported = InstancePoolEndpoint.from_endpoint_attributes(
        new_stack(), "Imported", endpoint_name="ep", variant_name="V", inference_component_name="ic"
    )
    assert getattr(imported, helper)().dimensions == {
        "EndpointName": "ep",
        **({"VariantName": "V"} if per_variant else {}),
    }


def test_weighted_utilization_metric_matches_the_policy(built: Built) -> None:
    metric = built.full.metric_weighted_utilization()
    assert metric.expression == built.scaling.expression
    stems = ("p5_48xlarge", "g6e_48xlarge", "g6_48xlarge")
    assert set(metric.using_metrics) == {f"{stem}_{kind}" for stem in stems for kind in ("sum", "n")}
    assert metric.using_metrics["p5_48xlarge_n"].statistic == "SampleCount"


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _describe_alarms_resources(built: Built, role: iam.IRole) -> list[Any]:
    """Every resource the role's policies allow ``cloudwatch:DescribeAlarms`` on."""
    role_ref = built.ref(role)
    found: list[Any] = []
    for resource in built.template.find_resources("AWS::IAM::Policy").values():
        if role_ref not in resource["Properties"]["Roles"]:
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            if "cloudwatch:DescribeAlarms" in (
                statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            ):
                found += statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    return found


def test_the_models_roles_may_read_exactly_the_rollback_alarms_of_their_endpoints(built: Built) -> None:
    """SageMaker's deployment-guardrails guide: "Ensure that your IAM execution role has permission to perform
    the cloudwatch:DescribeAlarms action on the auto-rollback alarms you specify." For a model-per-pool
    endpoint, the execution roles are the models'."""
    stack = built.stack
    full_alarms = [stack.resolve(a.alarm_arn) for a in built.full.rollback_alarms]
    assert len(full_alarms) == 6  # error rate, three latency alarms, the user's two
    optimized = stack.node.find_child("G6Model").role
    assert _describe_alarms_resources(built, optimized) == full_alarms  # it serves only the full endpoint's g6 pool
    shared = stack.node.find_child("Model").role
    guarded = [built.full, built.linear, built.all_at_once]
    expected = [stack.resolve(a.alarm_arn) for endpoint in guarded for a in endpoint.rollback_alarms]
    assert sorted(map(json.dumps, _describe_alarms_resources(built, shared))) == sorted(map(json.dumps, expected))


def test_an_endpoint_without_rollback_alarms_grants_no_alarm_reads() -> None:
    stack = new_stack()
    model = Model(stack, "Model", image_uri=IMAGE, model_data_url=MODEL_DATA)
    InstancePoolEndpoint(stack, "Endpoint", model=model, instance_pools=[InstancePool(G6)], dashboard=False)
    assert "cloudwatch:DescribeAlarms" not in json.dumps(synth(stack).to_json())


def test_an_imported_models_role_cannot_be_granted_and_synth_says_so() -> None:
    stack = new_stack()
    imported = Model.from_model_name(stack, "Imported", "llama-70b")
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=imported,
        instance_pools=[InstancePool(G6)],
        deployment=DeploymentPolicy.rolling(),
        dashboard=False,
    )
    warnings = [m.data for m in endpoint.node.metadata if m.type == "aws:cdk:warning"]
    assert any("cloudwatch:DescribeAlarms" in str(w) for w in warnings), warnings


def test_models_sharing_one_role_are_readable_and_synth_does_not_warn() -> None:
    """The warning is for a model without a role this app defines, not for two models with one role."""
    stack = new_stack()
    role = iam.Role(stack, "Shared", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    tp8 = Model(stack, "Tp8", image_uri=IMAGE, role=role)
    tp4 = Model(stack, "Tp4", image_uri=IMAGE, role=role)
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=tp8,
        instance_pools=[InstancePool(P5), InstancePool(G6, model=tp4)],
        deployment=DeploymentPolicy.rolling(),
        dashboard=False,
    )
    warnings = [m.data for m in endpoint.node.metadata if m.type == "aws:cdk:warning"]
    assert not any("cloudwatch:DescribeAlarms" in str(w) for w in warnings), warnings
    template = Template.from_stack(stack).to_json()
    granted = [
        s["Resource"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "cloudwatch:DescribeAlarms"
    ]
    assert len(granted) == 1  # one statement for the one role
