"""``BenchmarkResults``: a finished benchmark's figures, its SLA gate, measured capacity and publishing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aws_cdk import ArnFormat, CfnOutput, CustomResource, Resource, Stack, Token
from aws_cdk import aws_iam as iam

from constructs import Construct, IDependable

from .._core.roles import depend_on_policy
from .._core.validation import check_range, unresolved
from ..errors import ValidationError
from ..jobs.provider import AiJobsProvider
from ..jobs.s3 import S3Location
from ..scanners import acknowledge_wildcards
from ..serving.metrics import INVOCATION_NAMESPACE
from .aiperf import FIGURES

HEADLINE_FIGURES: tuple[str, ...] = FIGURES
"""The figures a results resource exposes (latencies in ms, throughput per second, error rate a
fraction), as the results handler computes them; ``n/a`` when the run did not produce one."""


@dataclass(frozen=True)
class BenchmarkSla:
    """Thresholds a benchmark must meet; a breach fails (and rolls back) the deployment.

    Equality passes. A threshold on a metric the run did not produce (TTFT without streaming, say)
    fails with a message rather than passing silently.

    Args:
        request_latency_p50_ms: Default: - none
        request_latency_p90_ms: Default: - none
        request_latency_p99_ms: Default: - none
        time_to_first_token_p50_ms: Default: - none
        time_to_first_token_p90_ms: Default: - none
        inter_token_latency_p50_ms: Default: - none
        inter_token_latency_p90_ms: Default: - none
        min_output_tokens_per_second: Default: - none
        min_requests_per_second: Default: - none
        max_error_rate: Failed requests as a fraction, e.g. 0.01. Default: - none
    """

    request_latency_p50_ms: float | None = None
    request_latency_p90_ms: float | None = None
    request_latency_p99_ms: float | None = None
    time_to_first_token_p50_ms: float | None = None
    time_to_first_token_p90_ms: float | None = None
    inter_token_latency_p50_ms: float | None = None
    inter_token_latency_p90_ms: float | None = None
    min_output_tokens_per_second: float | None = None
    min_requests_per_second: float | None = None
    max_error_rate: float | None = None

    _FIGURES = {
        "request_latency_p50_ms": ("RequestLatencyP50", True),
        "request_latency_p90_ms": ("RequestLatencyP90", True),
        "request_latency_p99_ms": ("RequestLatencyP99", True),
        "time_to_first_token_p50_ms": ("TimeToFirstTokenP50", True),
        "time_to_first_token_p90_ms": ("TimeToFirstTokenP90", True),
        "inter_token_latency_p50_ms": ("InterTokenLatencyP50", True),
        "inter_token_latency_p90_ms": ("InterTokenLatencyP90", True),
        "min_output_tokens_per_second": ("OutputTokenThroughput", False),
        "min_requests_per_second": ("RequestThroughput", False),
        "max_error_rate": ("ErrorRate", True),
    }

    def validate(self, arg: str) -> None:
        for name in self._FIGURES:
            check_range(f"{arg}.{name}", getattr(self, name), 0, None)
        check_range(f"{arg}.max_error_rate", self.max_error_rate, 0, 1)

    def thresholds(self) -> list[dict[str, Any]]:
        """As the results handler reads them."""
        return [
            {"Metric": metric, "Limit": getattr(self, name), "AtMost": at_most}
            for name, (metric, at_most) in self._FIGURES.items()
            if getattr(self, name) is not None
        ]


@dataclass(frozen=True)
class CapacityMeasurement:
    """Derive the concurrency one instance sustains from a concurrency sweep or an SLA search.

    Args:
        sla: Picks the highest sweep level that meets it (an SLA search already answers).
            Default: - none (an SLA search is then required)
        instances: Instances the benchmarked endpoint ran; the result is divided by it. Default: 1
    """

    sla: BenchmarkSla | None = None
    instances: int = 1


@dataclass(frozen=True)
class ResultsPublishing:
    """Where results go besides the resource's attributes and the stack's outputs.

    Args:
        metric_namespace: Publish each figure as a CloudWatch metric (dimension ``Benchmark``).
            Default: - no metrics
        parameter_prefix: Write each figure to SSM Parameter Store under this path, e.g.
            ``/genai/benchmarks/nightly``. Default: - no parameters
    """

    metric_namespace: str | None = None
    parameter_prefix: str | None = None


@runtime_checkable
class IBenchmarkJob(Protocol):
    """An AI benchmark job, created by this stack or elsewhere."""

    @property
    def job_name(self) -> str: ...

    @property
    def job_arn(self) -> str: ...

    @property
    def output(self) -> S3Location: ...


class BenchmarkResults(Resource):
    """The results of a finished benchmark job: its headline figures as attributes and stack outputs,
    an SLA gate, a measured capacity, and optional CloudWatch metrics or SSM parameters.

    The handler lists the job's output location, finds ``output.tar.gz`` and reads
    ``profile_export_aiperf.json`` (and ``search_history.json`` or per-level ``concurrency_N/``
    folders). For a sweep the headline figures are the highest level's.

    Args:
        job: A ``BenchmarkJob`` (read after it finished) or one imported by name.
        sla: Thresholds; a breach fails the deployment with each metric, value and threshold.
            Default: - no gate
        capacity: Derive ``max_concurrency_per_instance``. Default: - none
        publish: CloudWatch metrics and/or SSM parameters. Default: - none
        allow_failed_job: Accept a job AIPerf's validity gate failed. Default: False
        outputs: Add the figures, the job's status and its failure reason to the stack's outputs.
            Default: True
        metric_name: Value of the ``Benchmark`` dimension of published metrics; keep it stable
            across runs so alarms and dashboards follow it. Default: - the job name without its hash
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        job: IBenchmarkJob,
        sla: BenchmarkSla | None = None,
        capacity: CapacityMeasurement | None = None,
        publish: ResultsPublishing | None = None,
        allow_failed_job: bool = False,
        outputs: bool = True,
        metric_name: str | None = None,
    ) -> None:
        check_results_options(sla, capacity, publish)
        super().__init__(scope, id)
        provider = AiJobsProvider.of(self)
        provider.grant(["sagemaker:DescribeAIBenchmarkJob"], [job.job_arn])
        job.output.grant_read(provider.role)
        properties: dict[str, Any] = {
            "Kind": "BenchmarkResults",
            "JobName": job.job_name,
            "Thresholds": sla.thresholds() if sla else [],
            "AllowFailedJob": allow_failed_job,
        }
        if capacity is not None:
            properties["Capacity"] = {
                "Thresholds": capacity.sla.thresholds() if capacity.sla else [],
                "Instances": capacity.instances,
            }
        if publish is not None:
            stable = metric_name or job.job_name.rsplit("-", 1)[0]
            properties["Publish"] = self._grant_publishing(provider, publish, stable)
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type="Custom::AIBenchmarkResults",
            properties=properties,
        )
        completion: IDependable | None = getattr(job, "completion", None)
        if completion is not None:
            self.resource.node.add_dependency(completion)
        depend_on_policy(self.resource, provider.role)
        self._capacity = capacity
        if outputs:
            for figure in HEADLINE_FIGURES:
                CfnOutput(self, figure, value=self.figure(figure), description=f"Benchmark {figure}")
            CfnOutput(self, "JobStatus", value=self.job_status, description="Benchmark job status")
            CfnOutput(self, "FailureReason", value=self.failure_reason, description="Benchmark failure reason")

    def figure(self, name: str) -> str:
        """A headline figure (see ``HEADLINE_FIGURES``) as a deploy-time string."""
        if name not in HEADLINE_FIGURES:
            raise ValidationError(f"figure got {name!r}; allowed: {', '.join(HEADLINE_FIGURES)}")
        return self.resource.get_att_string(name)

    @property
    def job_status(self) -> str:
        """``Completed``, or ``Failed`` when ``allow_failed_job`` accepted a run AIPerf failed."""
        return self.resource.get_att_string("JobStatus")

    @property
    def failure_reason(self) -> str:
        """The job's (or AIPerf's) failure reason, or ``none``."""
        return self.resource.get_att_string("FailureReason")

    @property
    def max_concurrency_per_instance(self) -> float:
        """The measured concurrency one instance sustains under the SLA: a deploy-time number for
        ``InstancePool(max_concurrency=...)``."""
        if self._capacity is None:
            raise ValidationError("max_concurrency_per_instance needs capacity=CapacityMeasurement(...)")
        return Token.as_number(self.resource.get_att("MaxConcurrencyPerInstance"))

    def _grant_publishing(
        self, provider: AiJobsProvider, publish: ResultsPublishing, metric_name: str
    ) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        if publish.metric_namespace:
            settings["Namespace"] = publish.metric_namespace
            settings["Dimensions"] = [{"Name": "Benchmark", "Value": metric_name}]
            provider.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": publish.metric_namespace}},
                )
            )
        if publish.parameter_prefix:
            prefix = publish.parameter_prefix.rstrip("/")
            settings["ParameterPrefix"] = prefix
            parameters = Stack.of(self).format_arn(
                service="ssm",
                resource="parameter",
                resource_name=f"{prefix.lstrip('/')}/*",
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )
            provider.grant(["ssm:PutParameter", "ssm:GetParameter", "ssm:DeleteParameters"], [parameters])
            acknowledge_wildcards(provider, [parameters], "The figures are written under this one parameter path.")
        return settings


def check_results_options(
    sla: BenchmarkSla | None, capacity: CapacityMeasurement | None, publish: ResultsPublishing | None
) -> None:
    if sla is not None:
        sla.validate("sla")
    if capacity is not None:
        check_range("capacity.instances", capacity.instances, 1, None)
        if capacity.sla is not None:
            capacity.sla.validate("capacity.sla")
    if publish is not None:
        if not publish.metric_namespace and not publish.parameter_prefix:
            raise ValidationError("publish needs metric_namespace, parameter_prefix or both")
        namespace = publish.metric_namespace
        if (
            namespace
            and not unresolved(namespace)
            and (namespace.startswith("AWS/") or namespace == INVOCATION_NAMESPACE)
        ):
            raise ValidationError(f"publish.metric_namespace cannot be an AWS namespace, got {namespace!r}")
        prefix = publish.parameter_prefix
        if prefix and not unresolved(prefix) and not prefix.startswith("/"):
            raise ValidationError(f"publish.parameter_prefix must start with '/', got {prefix!r}")
