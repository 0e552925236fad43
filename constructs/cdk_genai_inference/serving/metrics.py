"""CloudWatch metrics of an endpoint, each optionally narrowed to one instance type."""

from __future__ import annotations

from aws_cdk import Duration, Resource
from aws_cdk import aws_cloudwatch as cw

INVOCATION_NAMESPACE = "AWS/SageMaker"
"""Invocation metrics: Invocations, errors, latencies, concurrency."""
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
"""Instance utilization metrics: CPU, memory, disk, GPU."""


class EndpointMetrics(Resource):
    """Metric helpers shared by created and imported instance-pool endpoints.

    SageMaker publishes every endpoint metric twice: for the whole variant, and per instance type
    (an ``InstanceType`` dimension). Pass ``instance_type`` to get the per-type series. With inference
    components, invocation metrics are keyed by ``InferenceComponentName`` instead of endpoint/variant.
    """

    endpoint_name: str
    variant_name: str
    inference_component_name: str | None = None

    def metric(
        self,
        metric_name: str,
        *,
        namespace: str = INVOCATION_NAMESPACE,
        instance_type: str | None = None,
        statistic: str = "Average",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Any SageMaker endpoint metric, with this endpoint's dimensions."""
        return cw.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map=self.metric_dimensions(namespace, instance_type),
            statistic=statistic,
            period=period or Duration.minutes(1),
            label=label,
        )

    def metric_invocations(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Requests sent to the model (Sum)."""
        return self.metric(
            "Invocations",
            instance_type=instance_type,
            statistic=statistic or "Sum",
            period=period,
            label=label,
        )

    def metric_invocation4xx_errors(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Requests that returned a 4XX error (Sum)."""
        return self.metric(
            "Invocation4XXErrors",
            instance_type=instance_type,
            statistic=statistic or "Sum",
            period=period,
            label=label,
        )

    def metric_invocation5xx_errors(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Requests that returned a 5XX error (Sum)."""
        return self.metric(
            "Invocation5XXErrors",
            instance_type=instance_type,
            statistic=statistic or "Sum",
            period=period,
            label=label,
        )

    def metric_model_latency(
        self,
        *,
        instance_type: str | None = None,
        statistic: str = "p90",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Time the model took to respond, in microseconds (p90 by default)."""
        return self.metric(
            "ModelLatency",
            instance_type=instance_type,
            statistic=statistic,
            period=period,
            label=label,
        )

    def metric_overhead_latency(
        self,
        *,
        instance_type: str | None = None,
        statistic: str = "p90",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Time SageMaker added on top of the model, in microseconds (p90 by default)."""
        return self.metric(
            "OverheadLatency",
            instance_type=instance_type,
            statistic=statistic,
            period=period,
            label=label,
        )

    def metric_concurrent_requests_per_model(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """In-flight plus queued requests per instance, until the last streamed token; published
        every 10 s (Average by default)."""
        return self.metric(
            "ConcurrentRequestsPerModel",
            instance_type=instance_type,
            statistic=statistic or "Average",
            period=period,
            label=label,
        )

    def metric_concurrent_requests_per_copy(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """In-flight plus queued requests per inference-component copy; published every 10 s
        (Average by default). Only endpoints with inference components publish it."""
        return self.metric(
            "ConcurrentRequestsPerCopy",
            instance_type=instance_type,
            statistic=statistic or "Average",
            period=period,
            label=label,
        )

    def concurrency_metric(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """The concurrency metric scaling reads (``concurrency_metric_name``)."""
        helper = (
            self.metric_concurrent_requests_per_copy
            if self.inference_component_name
            else self.metric_concurrent_requests_per_model
        )
        return helper(instance_type=instance_type, statistic=statistic, period=period, label=label)

    def metric_cpu_utilization(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """CPU utilization summed over cores, in percent (100 % per core)."""
        return self.metric(
            "CPUUtilization",
            namespace=INSTANCE_NAMESPACE,
            instance_type=instance_type,
            statistic=statistic or "Average",
            period=period,
            label=label,
        )

    def metric_memory_utilization(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Host memory utilization, in percent."""
        return self.metric(
            "MemoryUtilization",
            namespace=INSTANCE_NAMESPACE,
            instance_type=instance_type,
            statistic=statistic or "Average",
            period=period,
            label=label,
        )

    def metric_disk_utilization(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Storage volume utilization, in percent."""
        return self.metric(
            "DiskUtilization",
            namespace=INSTANCE_NAMESPACE,
            instance_type=instance_type,
            statistic=statistic or "Average",
            period=period,
            label=label,
        )

    def metric_gpu_utilization(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """GPU utilization summed over GPUs, in percent (100 % per GPU)."""
        return self.metric(
            "GPUUtilization",
            namespace=INSTANCE_NAMESPACE,
            instance_type=instance_type,
            statistic=statistic or "Average",
            period=period,
            label=label,
        )

    def metric_gpu_memory_utilization(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """GPU memory utilization summed over GPUs, in percent (100 % per GPU)."""
        return self.metric(
            "GPUMemoryUtilization",
            namespace=INSTANCE_NAMESPACE,
            instance_type=instance_type,
            statistic=statistic or "Average",
            period=period,
            label=label,
        )

    @property
    def concurrency_metric_name(self) -> str:
        """What scaling reads: ``ConcurrentRequestsPerCopy`` with inference components, else
        ``ConcurrentRequestsPerModel``."""
        return "ConcurrentRequestsPerCopy" if self.inference_component_name else "ConcurrentRequestsPerModel"

    def metric_dimensions(
        self, namespace: str = INVOCATION_NAMESPACE, instance_type: str | None = None
    ) -> dict[str, str]:
        """The dimensions of this endpoint's series in ``namespace`` (of one instance type's, with
        ``instance_type``), as every ``metric_...`` helper sets them."""
        if namespace == INVOCATION_NAMESPACE and self.inference_component_name:
            dims = {"InferenceComponentName": self.inference_component_name}
        else:
            dims = {"EndpointName": self.endpoint_name, "VariantName": self.variant_name}
        if instance_type is not None:
            dims["InstanceType"] = instance_type
        return dims
