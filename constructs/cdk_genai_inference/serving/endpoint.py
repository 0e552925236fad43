"""``InstancePoolEndpoint``: a capacity-aware SageMaker endpoint over up to five instance types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aws_cdk import Annotations, Duration, Names, Tags
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns

from constructs import Construct

from .._core import service_model
from .._core.arns import sagemaker_arn
from .._core.budget import watch
from .._core.roles import depend_on_policy, sagemaker_execution_role
from .._core.validation import check_duration, check_name, check_range, check_tags, seconds, unresolved
from ..errors import ValidationError
from ..scanners import NagFinding, Waiver
from .alarms import MAX_ROLLBACK_ALARMS, RollbackAlarms, create_rollback_alarms
from .dashboard import fleet_dashboard
from .deployment import DeploymentPolicy, rollback_only_config
from .metrics import INVOCATION_NAMESPACE, EndpointMetrics
from .model import IModel
from .pools import InstancePool, PrefixAwareRouting, RoutingStrategy, local_nvme_types, prioritized
from .scaling import UtilizationTerm, format_number, metric_id, weighted_utilization_expression

INVOKE_ACTIONS = ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream")

_MANAGED_VARIANT_PROPERTIES = {
    "VariantName": "variant_name",
    "ModelName": "model",
    "InitialInstanceCount": "initial_instance_count",
    "InstancePools": "instance_pools",
    "VariantInstanceProvisionTimeoutInSeconds": "provisioning_timeout",
    "RoutingConfig": "routing_strategy",
    "ManagedInstanceScaling": "scale_on_weighted_utilization (with inference_components)",
    "VolumeSizeInGB": "volume_size_gb",
    "ModelDataDownloadTimeoutInSeconds": "model_data_download_timeout",
    "ContainerStartupHealthCheckTimeoutInSeconds": "container_startup_health_check_timeout",
}
_INCOMPATIBLE_VARIANT_PROPERTIES = {
    "InstanceType": "an instance-pool variant takes its instance types from instance_pools",
    "ServerlessConfig": "a serverless variant has no instances, so it cannot use instance_pools",
}


@runtime_checkable
class IInstancePoolEndpoint(Protocol):
    """An endpoint whose variant may span several instance types."""

    endpoint_name: str
    endpoint_arn: str
    variant_name: str
    inference_component_name: str | None

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant: ...

    def metric(
        self,
        metric_name: str,
        *,
        namespace: str = ...,
        instance_type: str | None = None,
        statistic: str = ...,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric: ...


@dataclass(frozen=True)
class AsyncInference:
    """Asynchronous inference: requests are queued and results written to S3.

    When the endpoint's models are ``Model`` constructs with their own role, that role is granted
    write access to the output prefixes and publish access to the topics.

    Args:
        output_bucket: Where results go.
        output_prefix: Key prefix for results. Default: async-output/
        failure_prefix: Key prefix for failed requests. Default: async-failures/
        success_topic: Notified on success. Default: - no notification
        error_topic: Notified on failure. Default: - no notification
        max_concurrent_invocations_per_instance: Requests one instance processes at once.
            Default: - chosen by SageMaker
        encryption_key: KMS key for the results. Default: - the bucket's encryption
    """

    output_bucket: s3.IBucket
    output_prefix: str = "async-output/"
    failure_prefix: str = "async-failures/"
    success_topic: sns.ITopic | None = None
    error_topic: sns.ITopic | None = None
    max_concurrent_invocations_per_instance: int | None = None
    encryption_key: kms.IKey | None = None


@dataclass(frozen=True)
class InferenceComponents:
    """Host the model as one inference component with a specification per pool.

    Each pool then needs ``min_memory_mb`` (and usually ``accelerators``); its ``model`` (or the
    endpoint's) runs on that instance type. ``scale_on_weighted_utilization`` then tracks the copy
    count and turns on managed instance scaling, so instances follow the copies.

    Args:
        initial_copy_count: Copies started at creation. Default: 1
        component_name: Physical name of the inference component. Default: - derived from the path
        execution_role: Role of the endpoint configuration. Default: - a role that may write
            SageMaker's logs and metrics
    """

    initial_copy_count: int = 1
    component_name: str | None = None
    execution_role: iam.IRole | None = None


@dataclass(frozen=True)
class WeightedUtilizationScaling:
    """What ``scale_on_weighted_utilization`` created."""

    scalable_target: appscaling.CfnScalableTarget
    policy: appscaling.CfnScalingPolicy
    expression: str


class _EndpointBase(EndpointMetrics):
    endpoint_arn: str

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``sagemaker:InvokeEndpoint`` and ``sagemaker:InvokeEndpointWithResponseStream`` on
        this endpoint only."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(INVOKE_ACTIONS), resource_arns=[self.endpoint_arn]
        )


class InstancePoolEndpoint(_EndpointBase):
    """A real-time (or asynchronous) SageMaker endpoint whose one variant spans 1-5 instance pools.

    SageMaker provisions the first pool by priority and, on insufficient capacity, falls back to the
    next; scale-in removes the lowest-priority instances first. Routing defaults to
    least-outstanding-requests so faster instance types take more traffic.

    Args:
        instance_pools: The instance types, highest priority first (or with explicit priorities).
        model: The model of every pool that has none of its own. Default: - the first pool's model;
            then every pool needs one
        endpoint_name: Physical name. Default: - generated by CloudFormation
        variant_name: The production variant. Default: AllTraffic
        initial_instance_count: Instances at creation. Default: 1
        provisioning_timeout: How long SageMaker may look for capacity across all pools,
            5-60 minutes. Default: - service default
        routing_strategy: Default: LEAST_OUTSTANDING_REQUESTS
        prefix_aware_routing: Settings of ``RoutingStrategy.PREFIX_AWARE`` (required with it).
            Default: - none
        volume_size_gb: Storage volume per instance, 1-512 GB (EBS-only instance types).
            Default: - service default
        model_data_download_timeout: 60-3600 s. Default: - service default
        container_startup_health_check_timeout: 60-3600 s. Default: - service default
        encryption_key: KMS key for the instances' EBS storage volumes; not allowed with instance types whose
            storage is local NVMe (g5, g6, g6e, p4d, p5 and more), which their hardware encrypts.
            Default: - SageMaker's AWS managed key
        async_inference: Makes the endpoint asynchronous. Default: - real-time
        inference_components: Hosts the model(s) as an inference component. Default: - models
            are deployed directly on the variant
        deployment: How updates replace the fleet. Default: - SageMaker's default (blue/green,
            all at once, no bake), rolled back only by ``alarms`` if any
        rollback_alarms: The default rollback alarms of a guarded deployment; ``None`` for none.
            Default: - ``RollbackAlarms()`` when ``deployment`` is set
        alarms: More alarms that roll a deployment back (10 in all). Default: - none
        dashboard: Create a CloudWatch dashboard with per-instance-type widgets. Default: True
        variant_overrides: Further ``ProductionVariant`` properties by their CloudFormation name,
            e.g. ``{"InferenceAmiVersion": "al2-ami-sagemaker-inference-gpu-3-1"}``. Default: - none
        tags: Tags for every resource of the endpoint. Default: - none
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        instance_pools: Sequence[InstancePool],
        model: IModel | None = None,
        endpoint_name: str | None = None,
        variant_name: str = "AllTraffic",
        initial_instance_count: int = 1,
        provisioning_timeout: Duration | None = None,
        routing_strategy: RoutingStrategy = RoutingStrategy.LEAST_OUTSTANDING_REQUESTS,
        prefix_aware_routing: PrefixAwareRouting | None = None,
        volume_size_gb: int | None = None,
        model_data_download_timeout: Duration | None = None,
        container_startup_health_check_timeout: Duration | None = None,
        encryption_key: kms.IKey | None = None,
        async_inference: AsyncInference | None = None,
        inference_components: InferenceComponents | None = None,
        deployment: DeploymentPolicy | None = None,
        rollback_alarms: RollbackAlarms | None = RollbackAlarms(),  # noqa: B008 - frozen, never mutated
        alarms: Sequence[cw.IAlarm] = (),
        dashboard: bool = True,
        variant_overrides: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        pools = prioritized(instance_pools)
        ic_mode = inference_components is not None
        _check_models(pools, model, ic_mode)
        check_name("endpoint_name", endpoint_name, "EndpointName")
        check_name("variant_name", variant_name, "VariantName")
        check_range("initial_instance_count", initial_instance_count, 1, None)
        check_duration("provisioning_timeout", provisioning_timeout, 300, 3600)
        check_range("volume_size_gb", volume_size_gb, 1, 512, "GB")
        check_duration("model_data_download_timeout", model_data_download_timeout, 60, 3600)
        check_duration("container_startup_health_check_timeout", container_startup_health_check_timeout, 60, 3600)
        _check_routing(routing_strategy, prefix_aware_routing)
        _check_encryption_key(pools, encryption_key)
        if deployment is not None:
            deployment.validate("deployment", inference_components=ic_mode)
        elif any(p.model_latency_threshold is not None for p in pools):
            raise ValidationError(
                "instance_pools[].model_latency_threshold sets a rollback alarm of a guarded deployment; "
                "it needs deployment"
            )
        if rollback_alarms is not None:
            rollback_alarms.validate("rollback_alarms")
        _check_variant_overrides(variant_overrides or {})
        check_tags("tags", tags)
        if ic_mode:
            assert inference_components is not None
            check_name(
                "inference_components.component_name",
                inference_components.component_name,
                "InferenceComponentName",
            )
            check_range("inference_components.initial_copy_count", inference_components.initial_copy_count, 1, None)
            if async_inference is not None:
                raise ValidationError(
                    "async_inference cannot be combined with inference_components: "
                    "inference components serve real-time endpoints only"
                )
        planned_alarms = len(alarms) + (_default_alarm_count(pools, rollback_alarms) if deployment is not None else 0)
        _check_alarm_count(planned_alarms)

        super().__init__(scope, id, physical_name=endpoint_name)
        watch(self)
        # A name known at synth keeps metrics and alarms independent of the endpoint resource, which
        # itself depends on the rollback alarms (a GetAtt would close a cycle).
        physical_name = endpoint_name or Names.unique_resource_name(self, max_length=63, separator="-")
        self.instance_pools: list[InstancePool] = pools
        self.models: list[IModel] = list(dict.fromkeys(m for m in [model, *(p.model for p in pools)] if m is not None))
        self.variant_name = variant_name
        self.initial_instance_count = initial_instance_count
        self._deployment = deployment
        self._rollback_alarm_names: list[str] = []
        self._model = model
        self._alarm_readers: list[iam.IRole] = []
        self._alarm_statements: list[iam.PolicyStatement] = []
        self._execution_role: iam.IRole | None = self._component_role(inference_components) if ic_mode else None
        self._scaling: WeightedUtilizationScaling | None = None
        self._inference_components = inference_components

        self._variant: dict[str, Any] = dict(
            variant_name=variant_name,
            model_name=None if ic_mode else (model or pools[0].model).model_name,  # type: ignore[union-attr]
            initial_instance_count=initial_instance_count,
            instance_pools=[
                sagemaker.CfnEndpointConfig.InstancePoolProperty(
                    instance_type=pool.instance_type,
                    priority=pool.priority,  # type: ignore[arg-type]
                    model_name_override=(pool.model.model_name if pool.model is not None and not ic_mode else None),
                )
                for pool in pools
            ],
            variant_instance_provision_timeout_in_seconds=seconds(provisioning_timeout),
            routing_config=_routing(routing_strategy, prefix_aware_routing),
            volume_size_in_gb=volume_size_gb,
            model_data_download_timeout_in_seconds=seconds(model_data_download_timeout),
            container_startup_health_check_timeout_in_seconds=seconds(container_startup_health_check_timeout),
        )
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[sagemaker.CfnEndpointConfig.ProductionVariantProperty(**self._variant)],
            kms_key_id=encryption_key.key_arn if encryption_key else None,
            async_inference_config=self._async_config(async_inference, pools, model),
            execution_role_arn=self._execution_role.role_arn if self._execution_role is not None else None,
        )
        for key, value in (variant_overrides or {}).items():
            self.endpoint_config.add_property_override(f"ProductionVariants.0.{key}", value)
        nvme = [t for p in pools for t in local_nvme_types(p.possible_instance_types)]
        if encryption_key is None and nvme:
            _hardware_encryption_waiver(nvme).apply(self.endpoint_config)

        resource = sagemaker.CfnEndpoint(
            self,
            "Resource",
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            endpoint_name=physical_name,
        )
        self.resource = resource
        self.endpoint_name = physical_name
        # Built from the name (not GetAtt) so grants in other stacks need no cross-stack export.
        self.endpoint_arn = (
            sagemaker_arn(self, "endpoint", physical_name)
            if not unresolved(physical_name)
            else resource.attr_endpoint_arn
        )

        self.inference_component: sagemaker.CfnInferenceComponent | None = None
        self.inference_component_name = None
        if inference_components is not None:
            self._create_inference_component(inference_components, pools, model)

        self.rollback_alarms: list[cw.IAlarm] = []
        self._render_deployment()
        if deployment is not None and rollback_alarms is not None:
            for alarm in create_rollback_alarms(self, self, pools, rollback_alarms):
                self.add_rollback_alarm(alarm)
        for extra in alarms:
            self.add_rollback_alarm(extra)

        self.dashboard: cw.Dashboard | None = fleet_dashboard(self) if dashboard else None
        for key, value in (tags or {}).items():
            Tags.of(self).add(key, value)

    @staticmethod
    def from_endpoint_name(scope: Construct, id: str, endpoint_name: str) -> IInstancePoolEndpoint:
        """An endpoint created elsewhere, with the default variant ``AllTraffic``."""
        return InstancePoolEndpoint.from_endpoint_attributes(scope, id, endpoint_name=endpoint_name)

    @staticmethod
    def from_endpoint_attributes(
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        variant_name: str = "AllTraffic",
        inference_component_name: str | None = None,
    ) -> IInstancePoolEndpoint:
        """An endpoint created elsewhere, by name (and variant, and inference component if any)."""
        check_name("endpoint_name", endpoint_name, "EndpointName")
        check_name("variant_name", variant_name, "VariantName")
        return _ImportedEndpoint(scope, id, endpoint_name, variant_name, inference_component_name)

    @property
    def instance_types(self) -> list[str]:
        """The pools' instance types, highest priority first."""
        return [pool.instance_type for pool in self.instance_pools]

    def add_rollback_alarm(self, alarm: cw.IAlarm) -> None:
        """Roll a deployment back when ``alarm`` fires (10 alarms at most), and let the roles SageMaker
        runs the deployment with read it (``cloudwatch:DescribeAlarms`` on this alarm)."""
        _check_alarm_count(len(self._rollback_alarm_names) + 1)
        self.rollback_alarms.append(alarm)
        self._rollback_alarm_names.append(alarm.alarm_name)
        self._render_deployment()
        self._grant_describe_alarm(alarm)
        if getattr(self, "dashboard", None) is not None:
            self.dashboard.add_widgets(cw.AlarmStatusWidget(alarms=[alarm], title="Rollback alarm", width=24))  # type: ignore[union-attr]

    def metric_weighted_utilization(self, *, period: Duration | None = None) -> cw.MathExpression:
        """The utilization that ``scale_on_weighted_utilization`` tracks, for dashboards and alarms."""
        terms = self._utilization_terms("metric_weighted_utilization")
        return cw.MathExpression(
            expression=weighted_utilization_expression(terms),
            using_metrics={
                query_id: self.concurrency_metric(instance_type=t.instance_type, statistic=stat, period=period)
                for t in terms
                for query_id, stat in ((t.sum_id, "Sum"), (t.count_id, "SampleCount"))
            },
            label="Weighted utilization",
            period=period or Duration.minutes(1),
        )

    def scale_on_weighted_utilization(
        self,
        *,
        min_capacity: int,
        max_capacity: int,
        target_utilization: float = 0.7,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> WeightedUtilizationScaling:
        """Track the fleet's weighted utilization with target tracking on metric math.

        Each pool's ``ConcurrentRequestsPerModel`` (per copy with inference components) is divided
        by its ``max_concurrency``; empty pools drop out instead of diluting the result (see
        ``cdk_genai_inference.scaling``). Capacity is the instance count, or the copy count with
        inference components. The endpoint then retains its scaled instance count across updates.

        Args:
            min_capacity: At least 1 instance (0 copies allowed with inference components).
            max_capacity: At least ``min_capacity``.
            target_utilization: The utilization to hold, above 0 and at most 1. Default: 0.7
            scale_in_cooldown: 0-3600 s. Default: 5 minutes
            scale_out_cooldown: 0-3600 s. Default: 1 minute
            disable_scale_in: Only ever scale out. Default: False
        """
        ic_mode = self._inference_components is not None
        if self._scaling is not None:
            raise ValidationError("scale_on_weighted_utilization was already called for this endpoint")
        check_range("min_capacity", min_capacity, 1, None)
        check_range("max_capacity", max_capacity, 1, None)
        if not unresolved(min_capacity) and not unresolved(max_capacity) and max_capacity < min_capacity:
            raise ValidationError(f"max_capacity must be at least min_capacity ({min_capacity}), got {max_capacity}")
        count = self.initial_instance_count
        low = 1 if ic_mode else min_capacity  # with components, instances range over 1..max_capacity
        if not unresolved(count) and not unresolved(max_capacity) and not low <= count <= max_capacity:
            raise ValidationError(
                f"initial_instance_count ({count}) must lie between {'1' if ic_mode else 'min_capacity'} "
                f"({low}) and max_capacity ({max_capacity})"
            )
        if not unresolved(target_utilization) and not 0 < target_utilization <= 1:
            raise ValidationError(f"target_utilization must be above 0 and at most 1, got {target_utilization:g}")
        check_duration("scale_in_cooldown", scale_in_cooldown, 0, 3600)
        check_duration("scale_out_cooldown", scale_out_cooldown, 0, 3600)
        terms = self._utilization_terms("scale_on_weighted_utilization")
        expression = weighted_utilization_expression(terms)

        if ic_mode:
            resource_id = f"inference-component/{self.inference_component_name}"
            dimension = "sagemaker:inference-component:DesiredCopyCount"
        else:
            resource_id = f"endpoint/{self.endpoint_name}/variant/{self.variant_name}"
            dimension = "sagemaker:variant:DesiredInstanceCount"
        # No RoleARN: Application Auto Scaling uses its SageMaker service-linked role.
        target = appscaling.CfnScalableTarget(
            self,
            "ScalableTarget",
            service_namespace="sagemaker",
            resource_id=resource_id,
            scalable_dimension=dimension,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
        )
        # The resource id names the endpoint by its synth-time name: declare the dependency.
        target.node.add_dependency(self.inference_component if ic_mode else self.resource)
        policy = appscaling.CfnScalingPolicy(
            self,
            "WeightedUtilizationScaling",
            policy_name=f"{Names.unique_resource_name(self, max_length=200)}-weighted-utilization",
            policy_type="TargetTrackingScaling",
            scaling_target_id=target.ref,
            target_tracking_scaling_policy_configuration=_target_tracking(
                self,
                terms,
                expression,
                target_utilization,
                scale_in_cooldown or Duration.minutes(5),
                scale_out_cooldown or Duration.minutes(1),
                disable_scale_in,
            ),
        )
        if ic_mode:
            # Instances follow the copies: SageMaker adds an instance when a copy has no room.
            self._variant["managed_instance_scaling"] = sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty(
                status="ENABLED", min_instance_count=1, max_instance_count=max_capacity
            )
            self.endpoint_config.production_variants = [
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(**self._variant)
            ]
        self._scaling = WeightedUtilizationScaling(target, policy, expression)
        # Keep the scaled instance count across updates; weight and data capture follow the config.
        self.resource.retain_all_variant_properties = True
        self.resource.exclude_retained_variant_properties = [
            sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type=kind)
            for kind in ("DesiredWeight", "DataCaptureConfig")
        ]
        return self._scaling

    def _utilization_terms(self, caller: str) -> list[UtilizationTerm]:
        missing = [p.instance_type for p in self.instance_pools if p.max_concurrency is None]
        if missing:
            raise ValidationError(
                f"{caller} needs max_concurrency on every instance pool, missing for {', '.join(missing)}"
            )
        return [
            UtilizationTerm(
                metric_id(pool.instance_type, position),
                pool.instance_type,
                pool.max_concurrency,  # type: ignore[arg-type]
                pool.scaling_weight,
            )
            for position, pool in enumerate(self.instance_pools, start=1)
        ]

    def _render_deployment(self) -> None:
        """(Re)write the deployment configuration after the policy or the alarm list changed."""
        names = self._rollback_alarm_names
        if self.inference_component is not None:
            if self._deployment is not None or names:
                policy = self._deployment or DeploymentPolicy.rolling()
                self.inference_component.deployment_config = policy.to_inference_component_config(names)
        elif self._deployment is not None:
            self.resource.deployment_config = self._deployment.to_endpoint_config(names)
        elif names:
            self.resource.deployment_config = rollback_only_config(names)

    def _grant_describe_alarm(self, alarm: cw.IAlarm) -> None:
        """SageMaker's deployment-guardrails guide: "Ensure that your IAM execution role has permission to
        perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms you specify." The execution
        role is the models' (and, with inference components, the endpoint configuration's too: the guide
        does not say which one a component update uses)."""
        if not self._alarm_readers:
            self._alarm_readers = [
                *([self._execution_role] if self._execution_role is not None else []),
                *_model_roles(self.instance_pools, self._model),
            ]
            if any(model.role is None for model in self.models):
                Annotations.of(self).add_warning_v2(
                    "cdk-genai-inference:rollback-alarms-unreadable",
                    "a model imported by name has no role this app can grant: allow its execution role "
                    "cloudwatch:DescribeAlarms on the rollback alarms, or SageMaker cannot watch them",
                )
            for role in self._alarm_readers:
                statement = iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=[])
                role.add_to_principal_policy(statement)
                self._alarm_statements.append(statement)
                depend_on_policy(self.resource, role)  # an update reads the alarms as soon as it starts
        for statement in self._alarm_statements:
            statement.add_resources(alarm.alarm_arn)

    def _component_role(self, options: InferenceComponents | None) -> iam.IRole:
        if options is not None and options.execution_role is not None:
            return options.execution_role
        return sagemaker_execution_role(
            self, "ExecutionRole", "Execution role of an inference-component endpoint (cdk-genai-inference)"
        )

    def _create_inference_component(
        self, options: InferenceComponents, pools: Sequence[InstancePool], model: IModel | None
    ) -> None:
        ic = sagemaker.CfnInferenceComponent
        name = options.component_name or Names.unique_resource_name(self, max_length=63, separator="-")
        component = ic(
            self,
            "InferenceComponent",
            endpoint_name=self.endpoint_name,
            variant_name=self.variant_name,
            inference_component_name=name,
            # CloudFormation takes one instance type as the singular Specification, 2-5 as Specifications.
            specification=(
                ic.InferenceComponentSpecificationProperty(
                    model_name=(pools[0].model or model).model_name,  # type: ignore[union-attr]
                    compute_resource_requirements=_requirements(pools[0]),
                )
                if len(pools) == 1
                else None
            ),
            specifications=[
                ic.InferenceComponentSpecificationForInstanceTypeProperty(
                    instance_type=pool.instance_type,
                    model_name=(pool.model or model).model_name,  # type: ignore[union-attr]
                    compute_resource_requirements=_requirements(pool),
                )
                for pool in pools
            ]
            if len(pools) > 1
            else None,
            runtime_config=ic.InferenceComponentRuntimeConfigProperty(copy_count=options.initial_copy_count),
        )
        component.node.add_dependency(self.resource)
        self.inference_component = component
        self.inference_component_name = name

    def _async_config(
        self, options: AsyncInference | None, pools: Sequence[InstancePool], model: IModel | None
    ) -> sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty | None:
        if options is None:
            return None
        bucket = options.output_bucket
        for role in _model_roles(pools, model):
            bucket.grant_put(role, f"{options.output_prefix}*")
            bucket.grant_put(role, f"{options.failure_prefix}*")
            for topic in (options.success_topic, options.error_topic):
                if topic is not None:
                    topic.grant_publish(role)
            if options.encryption_key is not None:
                options.encryption_key.grant_encrypt(role)
        cfg = sagemaker.CfnEndpointConfig
        notifications = (
            cfg.AsyncInferenceNotificationConfigProperty(
                success_topic=options.success_topic.topic_arn if options.success_topic else None,
                error_topic=options.error_topic.topic_arn if options.error_topic else None,
            )
            if options.success_topic or options.error_topic
            else None
        )
        return cfg.AsyncInferenceConfigProperty(
            output_config=cfg.AsyncInferenceOutputConfigProperty(
                s3_output_path=bucket.s3_url_for_object(options.output_prefix),
                s3_failure_path=bucket.s3_url_for_object(options.failure_prefix),
                notification_config=notifications,
                kms_key_id=options.encryption_key.key_arn if options.encryption_key else None,
            ),
            client_config=cfg.AsyncInferenceClientConfigProperty(
                max_concurrent_invocations_per_instance=options.max_concurrent_invocations_per_instance
            )
            if options.max_concurrent_invocations_per_instance
            else None,
        )


class _ImportedEndpoint(_EndpointBase):
    def __init__(
        self,
        scope: Construct,
        id: str,
        endpoint_name: str,
        variant_name: str,
        inference_component_name: str | None,
    ) -> None:
        super().__init__(scope, id)
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
        self.inference_component_name = inference_component_name
        self.endpoint_arn = sagemaker_arn(self, "endpoint", endpoint_name)


def _requirements(
    pool: InstancePool,
) -> sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty:
    return sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty(
        min_memory_required_in_mb=pool.min_memory_mb,
        number_of_accelerator_devices_required=pool.accelerators,
        number_of_cpu_cores_required=pool.cpu_cores,
    )


def _routing(
    strategy: RoutingStrategy, prefix_aware: PrefixAwareRouting | None
) -> sagemaker.CfnEndpointConfig.RoutingConfigProperty:
    return sagemaker.CfnEndpointConfig.RoutingConfigProperty(
        routing_strategy=strategy.value,
        prefix_aware_routing_config=sagemaker.CfnEndpointConfig.PrefixAwareRoutingConfigProperty(
            prefix_length=prefix_aware.prefix_length, concurrency_threshold=prefix_aware.concurrency_threshold
        )
        if prefix_aware
        else None,
    )


def _target_tracking(
    endpoint: InstancePoolEndpoint,
    terms: Sequence[UtilizationTerm],
    expression: str,
    target: float,
    scale_in_cooldown: Duration,
    scale_out_cooldown: Duration,
    disable_scale_in: bool,
) -> appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty:
    policy = appscaling.CfnScalingPolicy
    queries = []
    for term in terms:
        metric = endpoint.concurrency_metric(instance_type=term.instance_type)
        capacity = f"max {format_number(term.max_concurrency)} concurrent"
        for query_id, stat in ((term.sum_id, "Sum"), (term.count_id, "SampleCount")):
            queries.append(
                policy.TargetTrackingMetricDataQueryProperty(
                    id=query_id,
                    label=f"{term.instance_type} ({capacity}): {stat}",
                    return_data=False,
                    metric_stat=policy.TargetTrackingMetricStatProperty(
                        stat=stat,
                        metric=policy.TargetTrackingMetricProperty(
                            namespace=INVOCATION_NAMESPACE,
                            metric_name=metric.metric_name,
                            dimensions=[
                                policy.TargetTrackingMetricDimensionProperty(name=k, value=v)
                                for k, v in (metric.dimensions or {}).items()
                            ],
                        ),
                    ),
                )
            )
    queries.append(
        policy.TargetTrackingMetricDataQueryProperty(
            id="utilization", label="Weighted utilization", expression=expression, return_data=True
        )
    )
    return policy.TargetTrackingScalingPolicyConfigurationProperty(
        target_value=target,
        scale_in_cooldown=seconds(scale_in_cooldown),
        scale_out_cooldown=seconds(scale_out_cooldown),
        disable_scale_in=disable_scale_in or None,
        customized_metric_specification=policy.CustomizedMetricSpecificationProperty(metrics=queries),
    )


def _check_models(pools: Sequence[InstancePool], model: IModel | None, ic_mode: bool) -> None:
    if model is None and any(p.model is None for p in pools) and (ic_mode or pools[0].model is None):
        missing = [p.instance_type for p in pools if p.model is None]
        raise ValidationError(
            f"model is required unless every instance pool has its own; missing for {', '.join(missing)}"
        )
    for index, pool in enumerate(pools):
        ic_fields = {
            "accelerators": pool.accelerators,
            "min_memory_mb": pool.min_memory_mb,
            "cpu_cores": pool.cpu_cores,
        }
        if not ic_mode:
            given = [name for name, value in ic_fields.items() if value is not None]
            if given:
                raise ValidationError(
                    f"instance_pools[{index}].{given[0]} sizes an inference-component copy; "
                    "it needs inference_components"
                )
            continue
        if pool.min_memory_mb is None:
            raise ValidationError(
                f"instance_pools[{index}].min_memory_mb is required with inference_components ({pool.instance_type})"
            )
        check_range(f"instance_pools[{index}].min_memory_mb", pool.min_memory_mb, 128, None, "MiB")
        check_range(f"instance_pools[{index}].accelerators", pool.accelerators, 1, None)
        check_range(f"instance_pools[{index}].cpu_cores", pool.cpu_cores, 0.25, None)


def _check_encryption_key(pools: Sequence[InstancePool], key: kms.IKey | None) -> None:
    if key is None:
        return
    for index, pool in enumerate(pools):
        nvme = local_nvme_types(pool.possible_instance_types)
        if nvme:
            subject = (
                f"instance_pools[{index}].instance_type, which resolves at deploy time to one of "
                f"{', '.join(nvme)}: these store"
                if unresolved(pool.instance_type)
                else f"instance_pools[{index}].instance_type {pool.instance_type!r}: it stores"
            )
            raise ValidationError(
                f"encryption_key cannot be used with {subject} on local NVMe that a hardware module on the "
                "instance encrypts, and SageMaker rejects a KMS key for an endpoint with such a type; drop "
                "encryption_key, or use only EBS-backed instance types"
            )


def _hardware_encryption_waiver(nvme_types: Sequence[str]) -> Waiver:
    return Waiver(
        f"The pools run (or may run) {', '.join(dict.fromkeys(nvme_types))}, whose storage is local NVMe that a "
        "hardware module on the instance encrypts (XTS-AES-256); SageMaker rejects a KMS key for an endpoint "
        "configuration with any such type.",
        nag=(NagFinding.ENDPOINT_CONFIG_WITHOUT_KMS_KEY,),
    )


def _check_routing(strategy: RoutingStrategy, prefix_aware: PrefixAwareRouting | None) -> None:
    if not isinstance(strategy, RoutingStrategy):
        raise ValidationError(
            f"routing_strategy must be a RoutingStrategy, got {strategy!r}; "
            f"allowed: {', '.join(r.name for r in RoutingStrategy)}"
        )
    if (strategy is RoutingStrategy.PREFIX_AWARE) != (prefix_aware is not None):
        raise ValidationError(
            "prefix_aware_routing goes with routing_strategy=RoutingStrategy.PREFIX_AWARE and is required by it, "
            f"got routing_strategy={strategy.name}, prefix_aware_routing={prefix_aware!r}"
        )
    if prefix_aware is not None:
        check_range("prefix_aware_routing.prefix_length", prefix_aware.prefix_length, 1024, 65536)
        check_range("prefix_aware_routing.concurrency_threshold", prefix_aware.concurrency_threshold, 1, 1024)


def _check_variant_overrides(overrides: Mapping[str, Any]) -> None:
    allowed = service_model.members("ProductionVariant")
    for key in overrides:
        if key in _INCOMPATIBLE_VARIANT_PROPERTIES:
            raise ValidationError(f"variant_overrides cannot set {key}: {_INCOMPATIBLE_VARIANT_PROPERTIES[key]}")
        if key in _MANAGED_VARIANT_PROPERTIES:
            raise ValidationError(
                f"variant_overrides cannot set {key}; use the {_MANAGED_VARIANT_PROPERTIES[key]} argument"
            )
        if key not in allowed:
            others = sorted(allowed - _MANAGED_VARIANT_PROPERTIES.keys() - _INCOMPATIBLE_VARIANT_PROPERTIES.keys())
            raise ValidationError(
                f"variant_overrides got unknown ProductionVariant property {key!r}; allowed: {', '.join(others)}"
            )


def _check_alarm_count(count: int) -> None:
    if count > MAX_ROLLBACK_ALARMS:
        raise ValidationError(
            f"a deployment can be rolled back by at most {MAX_ROLLBACK_ALARMS} alarms, got {count} "
            "(default rollback alarms included)"
        )


def _default_alarm_count(pools: Sequence[InstancePool], options: RollbackAlarms | None) -> int:
    if options is None:
        return 0
    latency = sum(1 for p in pools if (p.model_latency_threshold or options.model_latency) is not None)
    return 1 + latency


def _model_roles(pools: Sequence[InstancePool], model: IModel | None) -> list[iam.IRole]:
    roles: list[iam.IRole] = []
    for candidate in [model, *(p.model for p in pools)]:
        role = candidate.role if candidate is not None else None
        if role is not None and role not in roles:
            roles.append(role)
    return roles
