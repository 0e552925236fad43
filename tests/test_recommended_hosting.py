"""Recommendations deployed as recommended: hosting as inference components with per-copy sizing and scaling,
approval of versioned packages, and deploying packages another account shares (the shared group itself:
test_shared_package_group). The deploy-time check at the end runs the real resolver (Stubber-validated
responses) and substitutes its attributes into the template."""

from __future__ import annotations

import json
import re
from typing import Any

import ai_jobs_handler
import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import Duration
from botocore.stub import Stubber
from simulation.intrinsics import Environment, resolve
from test_recommendation_resolution import STACK, TWO_COPIES, described, package

from cdk_genai_inference import (
    BenchmarkJob,
    InferenceComponents,
    InstancePool,
    InstancePoolEndpoint,
    JobWait,
    LoraAdapter,
    Model,
    PackageApproval,
    PoolOrder,
    RecommendationGoal,
    RecommendationHosting,
    RecommendationJob,
    RecommendedModels,
    S3Location,
    TokenDistribution,
    ValidationError,
    WorkloadConfig,
)
from synthesis import ENV, check_with_nag, lint, new_stack, synth

G6E, G6 = "ml.g6e.12xlarge", "ml.g6.12xlarge"
PRODUCTION = "333333333333"
SOURCE = "s3://genai-models-111122223333/gpt-oss-20b/"
OUTPUT = "s3://genai-artifacts-111122223333/recommendations/"


def workload(stack: cdk.Stack) -> WorkloadConfig:
    return stack.node.try_find_child("Workload") or WorkloadConfig(  # type: ignore[return-value]
        stack, "Workload", input_tokens=TokenDistribution(3500), output_tokens=TokenDistribution(200)
    )


def job(stack: cdk.Stack, id: str = "Job", **overrides: Any) -> RecommendationJob:
    props: dict[str, Any] = {
        "model_source": S3Location.from_uri(SOURCE),
        "workload_config": workload(stack),
        "goal": RecommendationGoal.THROUGHPUT,
        "output": S3Location.from_uri(OUTPUT),
        "instance_types": [G6E, G6],
        "job_name_prefix": "gpt-oss-20b-sizing",
        "wait": JobWait.in_deployment(Duration.hours(6)),
        **overrides,
    }
    return RecommendationJob(stack, id, **props)


def hosting(
    stack: cdk.Stack, models: RecommendedModels, counts: RecommendedModels | None = None, **kwargs: Any
) -> InstancePoolEndpoint:
    """An endpoint ``Endpoint`` serving ``models`` as recommended (with the counts of ``counts``, if given)."""
    counts = counts or models
    return InstancePoolEndpoint(
        stack,
        "Endpoint",
        instance_pools=models.instance_pools,
        inference_components=counts.inference_components,
        initial_instance_count=counts.initial_instance_count,
        dashboard=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "Hosting", env=ENV)
    recommendation = job(stack, share_packages_with=[PRODUCTION])
    models = RecommendedModels(stack, "Models", job=recommendation, approval=PackageApproval.APPROVE_ON_RESOLVE)
    endpoint = hosting(stack, models, endpoint_name="gpt-oss-20b")
    scaling = endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=8)
    check_with_nag(app)
    template = app.synth().get_stack_by_name("Hosting").template
    return {
        "stack": stack,
        "job": recommendation,
        "models": models,
        "endpoint": endpoint,
        "scaling": scaling,
        "template": template,
    }


def logical_id(built: dict[str, Any], construct: Any) -> str:
    element = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
    return built["stack"].get_logical_id(element)


def resource(built: dict[str, Any], construct: Any) -> dict[str, Any]:
    return built["template"]["Resources"][logical_id(built, construct)]  # type: ignore[no-any-return]


def statements(built: dict[str, Any], role: Any) -> list[dict[str, Any]]:
    role_ref = {"Ref": logical_id(built, role)}
    return [
        statement
        for r in built["template"]["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and role_ref in r["Properties"]["Roles"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
    ]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_template_passes_cfn_lint(built: dict[str, Any]) -> None:
    assert lint(built["template"]) == []


def test_the_component_sizes_every_copy_from_the_recommendation(built: dict[str, Any]) -> None:
    resolver = logical_id(built, built["models"].resource)
    component = resource(built, built["endpoint"].inference_component)["Properties"]
    specs = component["Specifications"]
    assert [s["InstanceType"] for s in specs] == [G6E, G6]
    for position, spec in enumerate(specs, start=1):
        assert spec["ComputeResourceRequirements"] == {
            "MinMemoryRequiredInMb": {"Fn::GetAtt": [resolver, f"Pool{position}.MemoryPerCopyMb"]},
            "NumberOfAcceleratorDevicesRequired": {"Fn::GetAtt": [resolver, f"Pool{position}.AcceleratorsPerCopy"]},
        }
    assert component["RuntimeConfig"] == {"CopyCount": {"Fn::GetAtt": [resolver, "Pool1.InitialCopyCount"]}}
    variant = resource(built, built["endpoint"].endpoint_config)["Properties"]["ProductionVariants"][0]
    assert variant["InitialInstanceCount"] == {"Fn::GetAtt": [resolver, "Pool1.InstanceCount"]}


def test_the_recommended_counts_are_checked_against_the_scaling_range_before_the_endpoint(
    built: dict[str, Any],
) -> None:
    """Weighted scaling cannot see counts resolved at deploy time: a check of them runs there first."""
    resolver = logical_id(built, built["models"].resource)
    (check_id,) = [k for k, r in built["template"]["Resources"].items() if r["Type"] == "Custom::ScalingRangeCheck"]
    check = built["template"]["Resources"][check_id]["Properties"]
    common = {"Min": 1, "Max": 8, "MaxName": "max_capacity", "InstanceType": G6E}
    assert check["Bounds"] == [
        {
            **common,
            "Argument": "initial_instance_count",
            "Attribute": "InstanceCount",
            "Count": {"Fn::GetAtt": [resolver, "Pool1.InstanceCount"]},
            "MinName": "1",
        },
        {
            **common,
            "Argument": "inference_components.initial_copy_count",
            "Attribute": "InitialCopyCount",
            "Count": {"Fn::GetAtt": [resolver, "Pool1.InitialCopyCount"]},
            "MinName": "min_capacity",
        },
    ]
    for user in (built["endpoint"].resource, built["endpoint"].inference_component):  # both wait for it
        assert check_id in _listed(resource(built, user)["DependsOn"])


def test_without_scaling_nothing_is_checked_and_a_deploy_time_range_or_a_refused_call_is_passed_on() -> None:
    def checks(scale: Any = None) -> list[dict[str, Any]]:
        stack = cdk.Stack(cdk.App(), "Scaled", env=ENV)
        endpoint = hosting(stack, RecommendedModels(stack, "Models", job=job(stack)))
        if scale is not None:
            scale(stack, endpoint)
        resources = synth(stack).to_json()["Resources"].values()
        return [r["Properties"] for r in resources if r["Type"] == "Custom::ScalingRangeCheck"]

    assert checks() == []
    most = lambda stack: cdk.CfnParameter(stack, "MostCopies", type="Number").value_as_number  # noqa: E731
    (deploy_time,) = checks(lambda stack, e: e.scale_on_weighted_utilization(min_capacity=1, max_capacity=most(stack)))
    assert [b["Max"] for b in deploy_time["Bounds"]] == [{"Ref": "MostCopies"}] * 2

    def refused_then_scaled(stack: cdk.Stack, endpoint: InstancePoolEndpoint) -> None:
        with pytest.raises(ValidationError, match="target_utilization"):
            endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=1, target_utilization=1.5)
        endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)

    (after_refusal,) = checks(refused_then_scaled)  # the refused call left no check of its range behind
    assert [b["Max"] for b in after_refusal["Bounds"]] == [4, 4]


def _range_checks(stack: cdk.Stack) -> list[dict[str, Any]]:
    resources = synth(stack).to_json()["Resources"].values()
    return [r["Properties"] for r in resources if r["Type"] == "Custom::ScalingRangeCheck"]


def _unchecked_warnings(stack: cdk.Stack) -> list[Any]:
    return cdk.assertions.Annotations.from_stack(stack).find_warning(  # type: ignore[no-any-return]
        "*", cdk.assertions.Match.string_like_regexp("nothing checks them against the scaling range")
    )


def test_counts_from_another_recommendation_than_the_pools_are_checked_by_the_one_that_resolves_them() -> None:
    stack = new_stack()
    pools = RecommendedModels(stack, "Models", job=job(stack))
    counts = RecommendedModels(stack, "Other", job=job(stack, "OtherJob", instance_types=[G6]))
    hosting(stack, pools, counts).scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
    (check,) = _range_checks(stack)
    assert check["Recommendation"] == counts.node.path
    assert [(b["Argument"], b["InstanceType"]) for b in check["Bounds"]] == [
        ("initial_instance_count", G6),
        ("inference_components.initial_copy_count", G6),
    ]
    assert _unchecked_warnings(stack) == []


def test_counts_on_pools_built_by_hand_are_checked_by_the_recommendation_they_come_from() -> None:
    """Nothing but the count links a hand-built pool to its recommendation: the count's token is enough."""
    stack = new_stack()
    models = RecommendedModels(stack, "Models", job=job(stack))
    (first, *_) = models.pools
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        instance_pools=[InstancePool(G6E, model=first.model, max_concurrency=8)],
        initial_instance_count=first.instance_count,  # type: ignore[arg-type]
        dashboard=False,
    )
    endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
    (check,) = _range_checks(stack)
    resolver = stack.get_logical_id(models.resource.node.default_child)  # type: ignore[arg-type]
    assert check["Bounds"] == [
        {
            "Argument": "initial_instance_count",
            "Count": {"Fn::GetAtt": [resolver, "Pool1.InstanceCount"]},
            "Min": 1,
            "MinName": "min_capacity",
            "Max": 4,
            "MaxName": "max_capacity",
            "InstanceType": G6E,
            "Attribute": "InstanceCount",
        }
    ]


def test_a_count_known_at_synth_is_checked_against_a_recommended_bound() -> None:
    """``max_capacity`` may be the recommended count: an ``initial_instance_count`` above it would be cut."""
    stack = new_stack()
    models = RecommendedModels(stack, "Models", job=job(stack), hosting=RecommendationHosting.SINGLE_MODEL)
    endpoint = InstancePoolEndpoint(
        stack, "Endpoint", instance_pools=models.instance_pools, initial_instance_count=3, dashboard=False
    )
    endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=models.initial_instance_count)
    (check,) = _range_checks(stack)
    resolver = stack.get_logical_id(models.resource.node.default_child)  # type: ignore[arg-type]
    assert check["Bounds"] == [
        {
            "Argument": "initial_instance_count",
            "Count": 3,
            "Min": 1,
            "MinName": "min_capacity",
            "Max": {"Fn::GetAtt": [resolver, "Pool1.InstanceCount"]},
            "MaxName": "max_capacity",
        }
    ]


def test_a_range_from_parameters_alone_is_the_users_to_choose_and_goes_unchecked_without_a_warning() -> None:
    stack = new_stack()
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=Model.from_model_name(stack, "Model", "served"),
        instance_pools=[InstancePool(G6E, max_concurrency=8)],
        initial_instance_count=cdk.CfnParameter(stack, "Count", type="Number").value_as_number,  # type: ignore[arg-type]
        dashboard=False,
    )
    endpoint.scale_on_weighted_utilization(
        min_capacity=1, max_capacity=cdk.CfnParameter(stack, "Most", type="Number").value_as_number
    )
    assert _range_checks(stack) == []
    assert _unchecked_warnings(stack) == []


def test_a_count_the_pools_recommendation_does_not_resolve_is_said_to_go_unchecked_beside_one_checked() -> None:
    stack = new_stack()
    models = RecommendedModels(stack, "Models", job=job(stack))
    copies = cdk.CfnParameter(stack, "Copies", type="Number").value_as_number
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        instance_pools=models.instance_pools,
        inference_components=InferenceComponents(initial_copy_count=copies),  # type: ignore[arg-type]
        initial_instance_count=models.initial_instance_count,
        dashboard=False,
    )
    endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
    resources = synth(stack).to_json()["Resources"]
    (check,) = [r["Properties"] for r in resources.values() if r["Type"] == "Custom::ScalingRangeCheck"]
    assert [b["Argument"] for b in check["Bounds"]] == ["initial_instance_count"]
    found = cdk.assertions.Annotations.from_stack(stack).find_warning(
        "*", cdk.assertions.Match.string_like_regexp(r"^inference_components.initial_copy_count resolve at deploy")
    )
    assert len(found) == 1


def test_a_range_bound_from_the_recommendation_itself_deploys() -> None:
    """min_capacity may be the recommended count: the check reads it, the resolver does not depend on itself."""
    stack = cdk.Stack(cdk.App(), "AtLeastRecommended", env=ENV)
    models = RecommendedModels(stack, "Models", job=job(stack))
    endpoint = hosting(stack, models)
    assert models.inference_components is not None
    endpoint.scale_on_weighted_utilization(min_capacity=models.inference_components.initial_copy_count, max_capacity=8)
    template = synth(stack).to_json()  # lint includes cfn-lint's circular-dependency check
    (check,) = [r for r in template["Resources"].values() if r["Type"] == "Custom::ScalingRangeCheck"]
    assert check["Properties"]["Bounds"][1]["Min"] == check["Properties"]["Bounds"][1]["Count"]


def test_approve_on_resolve_may_update_exactly_the_package_versions_of_the_jobs_family(built: dict[str, Any]) -> None:
    """The job's group, and those of the jobs its construct names for other definitions: the rollback of an
    update to a new job resolves (and approves) the one before, under the new policy."""
    provider = built["stack"].node.find_child("CdkGenAiInferenceAiJobs")
    updates = [s for s in statements(built, provider.role) if "sagemaker:UpdateModelPackage" in _listed(s["Action"])]
    (statement,) = updates
    family = built["job"].job_name[:-10] + "?" * 10
    assert json.dumps(statement["Resource"]).endswith(f':model-package/{family}/*"]]}}')


def test_require_approved_never_updates_a_package() -> None:
    stack = new_stack()
    RecommendedModels(stack, "Models", job=job(stack))
    assert "sagemaker:UpdateModelPackage" not in json.dumps(cdk.assertions.Template.from_stack(stack).to_json())


def test_a_benchmark_of_recommended_models_runs_again_for_a_new_recommendation() -> None:
    """The packages' ARNs are GetAtts of one resource whatever job they come from; what they are resolved
    from must decide the benchmark's name, or a new recommendation would keep the old job's figures."""
    group = "arn:aws:sagemaker:us-west-2:222222222222:model-package-group/gpt-oss-20b-sizing-0123456789"

    def name(shared: str | None = None, approval: PackageApproval | None = None, **job_overrides: Any) -> str:
        stack = new_stack()
        source: dict[str, Any] = (
            {
                "model_package_group_arn": shared,
                "instance_types": [G6E, G6],
                "model_data": [S3Location.from_uri(OUTPUT)],
            }
            if shared
            else {"job": job(stack, **job_overrides), **({"approval": approval} if approval else {})}
        )
        return BenchmarkJob(
            stack,
            "Benchmark",
            endpoint=hosting(stack, RecommendedModels(stack, "Models", **source)),
            workload_config=workload(stack),
            output=S3Location.from_uri(OUTPUT.replace("recommendations", "benchmarks")),
            wait=JobWait.none(),
        ).job_name

    base = name()
    assert base == name()
    assert name(goal=RecommendationGoal.COST) != base  # another job: other packages behind the same GetAtts
    assert name(approval=PackageApproval.APPROVE_ON_RESOLVE) == base  # the same packages, approved
    assert name(shared=group) not in (base, name(shared=group.replace("0123456789", "9876543210")))
    assert name(shared=group) == name(shared=group)


def test_a_job_named_at_deploy_time_is_said_to_hide_a_new_recommendation_from_benchmarks() -> None:
    """The warning; and the grants on the imported name's ARNs pass cdk-nag as acknowledged."""

    def warnings(job_name: str) -> list[Any]:
        stack = new_stack()
        check_with_nag(stack.node.scope)  # type: ignore[arg-type]
        imported = RecommendationJob.from_job_name(stack, "Job", job_name)
        RecommendedModels(stack, "Models", job=imported, instance_types=[G6E], model_data=[S3Location.from_uri(OUTPUT)])
        stack.node.scope.synth()  # type: ignore[union-attr]
        return cdk.assertions.Annotations.from_stack(stack).find_warning(
            "*", cdk.assertions.Match.string_like_regexp("cannot tell a new job from the last")
        )

    assert warnings("gpt-oss-20b-sizing-0123456789") == []
    assert len(warnings(cdk.Fn.import_value("RecommendationJobName"))) == 1


@pytest.mark.parametrize("adapters", [[], [LoraAdapter("sql", s3_uri="s3://genai-adapters/sql/")]])
def test_a_job_with_adapters_is_said_to_be_served_without_them(adapters: list[Any]) -> None:
    """AWS recommends one inference component per adapter beside the base model; the resolver deploys
    the base model alone, so a synth warning says the adapters are not served."""
    stack = new_stack()
    RecommendedModels(stack, "Models", job=job(stack, adapters=adapters))
    found = cdk.assertions.Annotations.from_stack(stack).find_warning(
        "*", cdk.assertions.Match.string_like_regexp(r"1 LoRA adapter\(s\) \(sql\).*serve the base model only")
    )
    assert len(found) == len(adapters)


def test_a_model_of_its_own_names_where_its_package_comes_from() -> None:
    def name(source: dict[str, Any] | None) -> str:
        stack = new_stack()
        arn = cdk.Fn.import_value("ApprovedPackageArn")
        model = Model(stack, "Model", model_package_arn=arn, package_source=source)
        endpoint = InstancePoolEndpoint(
            stack, "Endpoint", model=model, instance_pools=[InstancePool(G6E)], dashboard=False
        )
        return BenchmarkJob(
            stack,
            "Benchmark",
            endpoint=endpoint,
            workload_config=workload(stack),
            output=S3Location.from_uri(OUTPUT),
            wait=JobWait.none(),
        ).job_name

    assert name(None) == name(None)
    assert name({"Release": "1"}) not in (name(None), name({"Release": "2"}))
    assert name({"Release": "1"}) == name({"Release": "1"})


def test_shared_packages_are_resolved_by_their_groups_arn_with_grants_in_the_owning_account() -> None:
    stack = new_stack("Production")
    group = "arn:aws:sagemaker:us-west-2:222222222222:model-package-group/gpt-oss-20b-sizing-0123456789"
    models = RecommendedModels(
        stack,
        "Models",
        model_package_group_arn=group,
        instance_types=[G6E],
        model_data=[S3Location.from_uri("s3://genai-artifacts-222222222222-us-west-2/")],
    )
    template = cdk.assertions.Template.from_stack(stack).to_json()
    props = next(r for r in template["Resources"].values() if r["Type"] == "Custom::RecommendedModels")["Properties"]
    assert (props["Kind"], props["ModelPackageGroupArn"]) == ("PackageResolution", group)
    assert "JobName" not in props
    granted = [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    describe = next(s for s in granted if s["Action"] == "sagemaker:DescribeModelPackage")
    assert (
        describe["Resource"] == "arn:aws:sagemaker:us-west-2:222222222222:model-package/gpt-oss-20b-sizing-0123456789/*"
    )
    assert not any("ai-recommendation-job" in json.dumps(s) for s in granted)  # the job lives only in its account
    with pytest.raises(ValidationError, match="expected\\(\\) reads the job's ExpectedPerformance"):
        models.expected(1, "RequestLatencyP90")


REJECTED = [
    (
        lambda s: RecommendedModels(s, "M"),
        "RecommendedModels needs exactly one of job (a recommendation job of this account) and model_package_group_arn",
    ),
    (
        lambda s: RecommendedModels(s, "M", job=job(s), hosting="inference-components"),
        "hosting must be a RecommendationHosting, got 'inference-components'; allowed: "
        "RecommendationHosting.INFERENCE_COMPONENTS, RecommendationHosting.SINGLE_MODEL",
    ),
    (
        lambda s: RecommendedModels(s, "M", job=job(s), approval=True),
        "approval must be a PackageApproval, got True",
    ),
    (
        lambda s: RecommendedModels(s, "M", model_package_group_arn="my-group", instance_types=[G6E]),
        "model_package_group_arn must be a model package group ARN known at synth",
    ),
    (
        lambda s: RecommendedModels(
            s,
            "M",
            model_package_group_arn="arn:aws:sagemaker:us-west-2:222222222222:model-package-group/g",
            instance_types=[G6E],
            approval=PackageApproval.APPROVE_ON_RESOLVE,
            model_data=[S3Location.from_uri(OUTPUT)],
        ),
        "approval=PackageApproval.APPROVE_ON_RESOLVE cannot be used with model_package_group_arn",
    ),
    (
        lambda s: RecommendedModels(
            s,
            "M",
            model_package_group_arn="arn:aws:sagemaker:us-west-2:222222222222:model-package-group/g",
            instance_types=[G6E],
        ),
        "model_data is required with model_package_group_arn",
    ),
    (
        lambda s: RecommendedModels(
            s,
            "M",
            model_package_group_arn="arn:aws:sagemaker:us-west-2:222222222222:model-package-group/g",
            instance_types=[G6E],
            order=PoolOrder.RANKING,
        ),
        "order must be PoolOrder.PRIORITY with model_package_group_arn, got PoolOrder.RANKING",
    ),
    (
        lambda s: RecommendedModels(
            s, "M", model_package_group_arn="arn:aws:sagemaker:us-west-2:222222222222:model-package-group/g"
        ),
        "model_package_group_arn needs instance_types (in priority order)",
    ),
    (
        lambda s: job(s, share_packages_with=["33333333333"]),
        "share_packages_with[0] must be a 12-digit account id, got '33333333333'",
    ),
    (
        lambda s: job(s, share_packages_with=[PRODUCTION], model_package_group="team-models"),
        "share_packages_with defines the job's own model package group",
    ),
]


@pytest.mark.parametrize(("build", "message"), REJECTED)
def test_synth_rejects(build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        build(new_stack())


# ---------------------------------------------------------------------------------------------- deploy time


def test_the_two_copies_case_deploys_as_recommended(built: dict[str, Any]) -> None:
    """The resolver (the asset's code, its SageMaker calls validated by Stubber) resolves the real 20B-on-4-GPU
    recommendation; its attributes, put where CloudFormation puts them, give the component 2 copies of 2
    accelerators each, and the scaling expression divides each copy's concurrency by 44, not 88."""
    template = built["template"]
    resolver = logical_id(built, built["models"].resource)
    props = json.loads(
        json.dumps(template["Resources"][resolver]["Properties"]), parse_int=str
    )  # as CloudFormation sends them
    props = {k: (v if isinstance(v, (list, dict)) else str(v)) for k, v in props.items() if k != "ServiceToken"}
    sagemaker = boto3.client("sagemaker", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    job_name = built["job"].job_name
    g6 = {
        **TWO_COPIES,
        "DeploymentConfiguration": {**TWO_COPIES["DeploymentConfiguration"], "InstanceType": G6},
        "ModelDetails": {
            **TWO_COPIES["ModelDetails"],
            "InstanceDetails": [{"InstanceType": G6, "InstanceCount": 1, "CopyCountPerInstance": 2}],
        },
    }
    with Stubber(sagemaker) as stub:
        stub.add_response(
            "describe_ai_recommendation_job",
            {**described(TWO_COPIES, g6), "AIRecommendationJobName": job_name},
            {"AIRecommendationJobName": job_name},
        )
        stub.add_response("describe_model_package", package(), {"ModelPackageName": package()["ModelPackageArn"]})
        stub.add_response("update_model_package", {"ModelPackageArn": package()["ModelPackageArn"]})
        request = {"RequestType": "Create", "StackId": STACK, "ResourceProperties": props}
        data = ai_jobs_handler.on_event(request, None, clients=type("C", (), {"sagemaker": sagemaker})())["Data"]
    env = Environment(attributes={resolver: data}, placeholders=True)
    component = resolve(
        template["Resources"][logical_id(built, built["endpoint"].inference_component)]["Properties"], env
    )
    assert component["RuntimeConfig"]["CopyCount"] == "2"
    assert [
        s["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] for s in component["Specifications"]
    ] == ["2", "2"]
    policy = resolve(resource(built, built["scaling"].policy)["Properties"], env)
    expression = policy["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]["Metrics"][-1][
        "Expression"
    ]
    assert (
        expression
        == "(FILL(g6e_12xlarge_sum,0)/44 + FILL(g6_12xlarge_sum,0)/44) / (FILL(g6e_12xlarge_n,0) + FILL(g6_12xlarge_n,0))"
    )
    metrics = policy["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]["Metrics"]
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in metrics if "MetricStat" in m} == {
        "ConcurrentRequestsPerCopy"
    }
    variant = resolve(resource(built, built["endpoint"].endpoint_config)["Properties"], env)["ProductionVariants"][0]
    assert variant["InitialInstanceCount"] == "1"
