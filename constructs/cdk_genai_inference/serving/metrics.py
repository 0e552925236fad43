"""CloudWatch metrics of an endpoint, each optionally narrowed to one instance type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration, Resource
from aws_cdk import aws_cloudwatch as cw

INVOCATION_NAMESPACE = "AWS/SageMaker"
"""Invocation metrics: Invocations, errors, latencies, concurrency."""
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
"""Instance utilization metrics: CPU, memory, disk, GPU."""


@dataclass(frozen=True)
class EndpointMetric:
    """One metric SageMaker publishes for an endpoint, and the statistic its helper reads by default."""

    name: str
    namespace: str = INVOCATION_NAMESPACE
    statistic: str = "Average"
    keys: tuple[str, ...] = ()
    """The dimensions it is always published with, whatever the endpoint hosts (an asynchronous
    endpoint's metrics); none: those of ``metric_dimensions``."""


INVOCATIONS = EndpointMetric("Invocations", statistic="Sum")
INVOCATION_4XX_ERRORS = EndpointMetric("Invocation4XXErrors", statistic="Sum")
INVOCATION_5XX_ERRORS = EndpointMetric("Invocation5XXErrors", statistic="Sum")
MODEL_LATENCY = EndpointMetric("ModelLatency", statistic="p90")
OVERHEAD_LATENCY = EndpointMetric("OverheadLatency", statistic="p90")
CONCURRENT_REQUESTS_PER_MODEL = EndpointMetric("ConcurrentRequestsPerModel")
CONCURRENT_REQUESTS_PER_COPY = EndpointMetric("ConcurrentRequestsPerCopy")
CPU_UTILIZATION = EndpointMetric("CPUUtilization", INSTANCE_NAMESPACE)
MEMORY_UTILIZATION = EndpointMetric("MemoryUtilization", INSTANCE_NAMESPACE)
DISK_UTILIZATION = EndpointMetric("DiskUtilization", INSTANCE_NAMESPACE)
GPU_UTILIZATION = EndpointMetric("GPUUtilization", INSTANCE_NAMESPACE)
GPU_MEMORY_UTILIZATION = EndpointMetric("GPUMemoryUtilization", INSTANCE_NAMESPACE)
# Asynchronous endpoints publish these instead of Invocations and the concurrency metrics.
_ENDPOINT, _VARIANT = ("EndpointName",), ("EndpointName", "VariantName")
APPROXIMATE_BACKLOG_SIZE = EndpointMetric("ApproximateBacklogSize", keys=_ENDPOINT)
APPROXIMATE_BACKLOG_SIZE_PER_INSTANCE = EndpointMetric("ApproximateBacklogSizePerInstance", keys=_ENDPOINT)
HAS_BACKLOG_WITHOUT_CAPACITY = EndpointMetric("HasBacklogWithoutCapacity", keys=_ENDPOINT)
INVOCATIONS_PROCESSED = EndpointMetric("InvocationsProcessed", statistic="Sum", keys=_VARIANT)
INVOCATION_FAILURES = EndpointMetric("InvocationFailures", statistic="Sum", keys=_VARIANT)


@dataclass(frozen=True)
class Series:
    """One series of an endpoint's metric: what a dashboard widget or an alarm renders without a
    ``cw.Metric`` (one jsii round trip each)."""

    namespace: str
    metric_name: str
    dimensions: Mapping[str, str]
    statistic: str
    label: str | None = None


class EndpointMetrics(Resource):
    """Metric helpers shared by created and imported instance-pool endpoints.

    SageMaker publishes every endpoint metric twice: for the whole variant, and per instance type
    (an ``InstanceType`` dimension). Pass ``instance_type`` to get the per-type series. With inference
    components, invocation metrics are keyed by ``InferenceComponentName`` instead of endpoint/variant.
    Only an asynchronous endpoint publishes the backlog metrics (keyed by ``EndpointName`` alone) and
    ``InvocationsProcessed`` and ``InvocationFailures``; a real-time endpoint's series of them stay empty.
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
        return self._helper(EndpointMetric(metric_name, namespace, statistic), instance_type, None, period, label)

    def metric_invocations(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Requests sent to the model (Sum)."""
        return self._helper(INVOCATIONS, instance_type, statistic, period, label)

    def metric_invocation4xx_errors(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Requests that returned a 4XX error (Sum)."""
        return self._helper(INVOCATION_4XX_ERRORS, instance_type, statistic, period, label)

    def metric_invocation5xx_errors(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Requests that returned a 5XX error (Sum)."""
        return self._helper(INVOCATION_5XX_ERRORS, instance_type, statistic, period, label)

    def metric_model_latency(
        self,
        *,
        instance_type: str | None = None,
        statistic: str = "p90",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Time the model took to respond, in microseconds (p90 by default)."""
        return self._helper(MODEL_LATENCY, instance_type, statistic, period, label)

    def metric_overhead_latency(
        self,
        *,
        instance_type: str | None = None,
        statistic: str = "p90",
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Time SageMaker added on top of the model, in microseconds (p90 by default)."""
        return self._helper(OVERHEAD_LATENCY, instance_type, statistic, period, label)

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
        return self._helper(CONCURRENT_REQUESTS_PER_MODEL, instance_type, statistic, period, label)

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
        return self._helper(CONCURRENT_REQUESTS_PER_COPY, instance_type, statistic, period, label)

    def concurrency_metric(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """The concurrency metric scaling reads (``concurrency``)."""
        return self._helper(self.concurrency, instance_type, statistic, period, label)

    def metric_cpu_utilization(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """CPU utilization summed over cores, in percent (100 % per core)."""
        return self._helper(CPU_UTILIZATION, instance_type, statistic, period, label)

    def metric_memory_utilization(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Host memory utilization, in percent."""
        return self._helper(MEMORY_UTILIZATION, instance_type, statistic, period, label)

    def metric_disk_utilization(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """Storage volume utilization, in percent."""
        return self._helper(DISK_UTILIZATION, instance_type, statistic, period, label)

    def metric_gpu_utilization(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """GPU utilization summed over GPUs, in percent (100 % per GPU)."""
        return self._helper(GPU_UTILIZATION, instance_type, statistic, period, label)

    def metric_gpu_memory_utilization(
        self,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric:
        """GPU memory utilization summed over GPUs, in percent (100 % per GPU)."""
        return self._helper(GPU_MEMORY_UTILIZATION, instance_type, statistic, period, label)

    def metric_approximate_backlog_size(
        self, *, statistic: str | None = None, period: Duration | None = None, label: str | None = None
    ) -> cw.Metric:
        """Requests queued on an asynchronous endpoint, in its whole (Average)."""
        return self._helper(APPROXIMATE_BACKLOG_SIZE, None, statistic, period, label)

    def metric_approximate_backlog_size_per_instance(
        self, *, statistic: str | None = None, period: Duration | None = None, label: str | None = None
    ) -> cw.Metric:
        """Queued requests per instance of an asynchronous endpoint (Average): what AWS's guidance
        scales it on."""
        return self._helper(APPROXIMATE_BACKLOG_SIZE_PER_INSTANCE, None, statistic, period, label)

    def metric_has_backlog_without_capacity(
        self, *, statistic: str | None = None, period: Duration | None = None, label: str | None = None
    ) -> cw.Metric:
        """1 while an asynchronous endpoint has queued requests and no instance, else 0 (Average):
        what scales it out from zero."""
        return self._helper(HAS_BACKLOG_WITHOUT_CAPACITY, None, statistic, period, label)

    def metric_invocations_processed(
        self, *, statistic: str | None = None, period: Duration | None = None, label: str | None = None
    ) -> cw.Metric:
        """Requests an asynchronous endpoint processed (Sum)."""
        return self._helper(INVOCATIONS_PROCESSED, None, statistic, period, label)

    def metric_invocation_failures(
        self, *, statistic: str | None = None, period: Duration | None = None, label: str | None = None
    ) -> cw.Metric:
        """Requests an asynchronous endpoint failed to process (Sum)."""
        return self._helper(INVOCATION_FAILURES, None, statistic, period, label)

    @property
    def concurrency(self) -> EndpointMetric:
        """What scaling reads: ``ConcurrentRequestsPerCopy`` with inference components, else
        ``ConcurrentRequestsPerModel``."""
        return CONCURRENT_REQUESTS_PER_COPY if self.inference_component_name else CONCURRENT_REQUESTS_PER_MODEL

    def series(
        self,
        metric: EndpointMetric,
        *,
        instance_type: str | None = None,
        statistic: str | None = None,
        label: str | None = None,
    ) -> Series:
        """This endpoint's series of ``metric`` (one instance type's, with ``instance_type``), with the
        dimensions and default statistic of the matching ``metric_...`` helper."""
        return Series(
            metric.namespace, metric.name, self._dimensions(metric, instance_type), statistic or metric.statistic, label
        )

    def _helper(
        self,
        metric: EndpointMetric,
        instance_type: str | None,
        statistic: str | None,
        period: Duration | None,
        label: str | None,
    ) -> cw.Metric:
        return cw.Metric(
            namespace=metric.namespace,
            metric_name=metric.name,
            dimensions_map=self._dimensions(metric, instance_type),
            statistic=statistic or metric.statistic,
            period=period or Duration.minutes(1),
            label=label,
        )

    def _dimensions(self, metric: EndpointMetric, instance_type: str | None) -> dict[str, str]:
        if metric.keys:  # no instance type, no component: an asynchronous endpoint has neither
            names = {"EndpointName": self.endpoint_name, "VariantName": self.variant_name}
            return {key: names[key] for key in metric.keys}
        return self.metric_dimensions(metric.namespace, instance_type)

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
