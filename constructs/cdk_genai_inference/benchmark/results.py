"""``BenchmarkResults``: a finished benchmark's figures, its SLA gate, measured capacity and publishing."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aws_cdk import ArnFormat, CfnOutput, CustomResource, Resource, Stack, Token
from aws_cdk import aws_iam as iam

from constructs import Construct, IDependable

from .._core.arns import sagemaker_arn
from .._core.validation import check_range, unresolved
from ..errors import ValidationError
from ..jobs.job import AiJob
from ..jobs.provider import AiJobsProvider
from ..jobs.s3 import S3Location
from ..jobs.workload import IWorkloadConfig
from ..scanners import acknowledge_wildcards
from .aiperf import FIGURES
from .baseline import BenchmarkBaseline, grant_baseline

HEADLINE_FIGURES: tuple[str, ...] = FIGURES
"""The figures a results resource exposes (latencies in ms, throughput per second, error rate a
fraction), as the results handler computes them; ``n/a`` when the run did not produce one. With
repeated runs each is the mean over the runs."""


class SlaStatistic(enum.Enum):
    """What an SLA threshold is judged on."""

    MEAN = "mean"
    """The figure: a single run's value, or the mean over repeated runs."""
    CONFIDENCE_BOUND = "bound"
    """The conservative end of the figure's confidence interval: the upper bound under a latency
    limit or error-rate maximum, the lower bound over a throughput floor. Needs repeated runs; a
    single run has no interval, and the gate then fails saying so."""


@dataclass(frozen=True)
class BenchmarkSla:
    """Thresholds a benchmark must meet; a breach fails (and rolls back) the deployment.

    Equality passes. A threshold on a metric the run did not produce (TTFT without streaming, say)
    fails with a message rather than passing silently. With repeated runs the failure message shows
    the mean, the interval, its confidence level and the run count.

    Args:
        request_latency_p50_ms: Default: - none
        request_latency_p90_ms: Default: - none
        request_latency_p99_ms: Default: - none
        time_to_first_token_p50_ms: Default: - none
        time_to_first_token_p90_ms: Default: - none
        time_to_first_token_p99_ms: Default: - none
        inter_token_latency_p50_ms: Default: - none
        inter_token_latency_p90_ms: Default: - none
        inter_token_latency_p99_ms: Default: - none
        min_output_tokens_per_second: Default: - none
        min_requests_per_second: Default: - none
        max_error_rate: Failed requests as a fraction, e.g. 0.01. Default: - none
        judged_on: Judge every threshold on the mean or on the conservative bound of the confidence
            interval. Default: SlaStatistic.MEAN
    """

    request_latency_p50_ms: float | None = None
    request_latency_p90_ms: float | None = None
    request_latency_p99_ms: float | None = None
    time_to_first_token_p50_ms: float | None = None
    time_to_first_token_p90_ms: float | None = None
    time_to_first_token_p99_ms: float | None = None
    inter_token_latency_p50_ms: float | None = None
    inter_token_latency_p90_ms: float | None = None
    inter_token_latency_p99_ms: float | None = None
    min_output_tokens_per_second: float | None = None
    min_requests_per_second: float | None = None
    max_error_rate: float | None = None
    judged_on: SlaStatistic = SlaStatistic.MEAN

    _FIGURES = {
        "request_latency_p50_ms": ("RequestLatencyP50", True),
        "request_latency_p90_ms": ("RequestLatencyP90", True),
        "request_latency_p99_ms": ("RequestLatencyP99", True),
        "time_to_first_token_p50_ms": ("TimeToFirstTokenP50", True),
        "time_to_first_token_p90_ms": ("TimeToFirstTokenP90", True),
        "time_to_first_token_p99_ms": ("TimeToFirstTokenP99", True),
        "inter_token_latency_p50_ms": ("InterTokenLatencyP50", True),
        "inter_token_latency_p90_ms": ("InterTokenLatencyP90", True),
        "inter_token_latency_p99_ms": ("InterTokenLatencyP99", True),
        "min_output_tokens_per_second": ("OutputTokenThroughput", False),
        "min_requests_per_second": ("RequestThroughput", False),
        "max_error_rate": ("ErrorRate", True),
    }

    def validate(self, arg: str) -> None:
        for name in self._FIGURES:
            check_range(f"{arg}.{name}", getattr(self, name), 0, None)
        check_range(f"{arg}.max_error_rate", self.max_error_rate, 0, 1)
        if not isinstance(self.judged_on, SlaStatistic):
            raise ValidationError(
                f"{arg}.judged_on must be SlaStatistic.MEAN or SlaStatistic.CONFIDENCE_BOUND, got {self.judged_on!r}"
            )

    def thresholds(self) -> list[dict[str, Any]]:
        """As the results handler reads them."""
        bound = {"OnBound": True} if self.judged_on is SlaStatistic.CONFIDENCE_BOUND else {}
        return [
            {"Metric": metric, "Limit": getattr(self, name), "AtMost": at_most, **bound}
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
    def job_family(self) -> str | None:
        """``<stem>-??????????``: every run its construct may name, one per definition (None: this job alone)."""
        ...

    @property
    def output(self) -> S3Location:
        """The location it writes under (each run in its own folder there); the results' handler may read it."""
        ...

    @property
    def workload_config(self) -> IWorkloadConfig | None:
        """The traffic it sends (None: unknown here, for a job created elsewhere)."""
        ...

    @property
    def waits_in_deployment(self) -> bool:
        """Whether this deployment holds until the job completes."""
        ...

    @property
    def completion(self) -> IDependable | None:
        """What reading its results in this deployment waits for (None: the job completes outside it)."""
        ...


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
        baseline: Compare with the last accepted run and fail on a regression; an accepted run becomes
            the new baseline. Default: - no comparison
        intervals: Add each figure's confidence interval (``<Figure>CiLow``, ``<Figure>CiHigh``), the run
            count and the confidence level to the stack's outputs (the attributes exist either way).
            Default: - when the job's workload repeats its runs; False for an imported job
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
        baseline: BenchmarkBaseline | None = None,
        intervals: bool | None = None,
    ) -> None:
        check_results_options(sla, capacity, publish, baseline, needs_name=True)
        if isinstance(job, AiJob) and not job.waits_in_deployment:
            raise ValidationError(
                f"job {job.node.path} does not wait (JobWait.none()), so this deployment cannot read its results; "
                "wait for it, or read them in a later stage with BenchmarkResults(job=BenchmarkJob.from_job_name(...))"
            )
        super().__init__(scope, id)
        provider = AiJobsProvider.of(self)
        # The rollback of a later stage's update to a new run reads the run before under the new policy: an
        # imported job of a known family (this app's job, or its job_name_prefix) is granted with the family.
        family = None if isinstance(job, AiJob) else job.job_family  # this stack's job: the lifecycle grant
        job_arns = [job.job_arn] if family is None else [sagemaker_arn(self, "ai-benchmark-job", family)]
        provider.grant(["sagemaker:DescribeAIBenchmarkJob"], job_arns)
        if family is not None:
            acknowledge_wildcards(
                provider, job_arns, "The runs the job's construct names: its stem and a definition hash."
            )
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
        if baseline is not None:  # under Publish: the accepted run is published there, and unpublished on Delete
            grant_baseline(self, provider, baseline.parameter_name or "")
            properties.setdefault("Publish", {})["Baseline"] = baseline.settings()
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type="Custom::AIBenchmarkResults",
            properties=properties,
        )
        if job.completion is not None:
            self.resource.node.add_dependency(job.completion)
        provider.serve(self, self.resource)
        self._capacity = capacity
        if outputs:
            for figure in HEADLINE_FIGURES:
                CfnOutput(self, figure, value=self.figure(figure), description=f"Benchmark {figure}")
            CfnOutput(self, "JobStatus", value=self.job_status, description="Benchmark job status")
            CfnOutput(self, "FailureReason", value=self.failure_reason, description="Benchmark failure reason")
            repeats = job.workload_config is not None and job.workload_config.repeated_runs is not None
            if intervals if intervals is not None else repeats:
                for figure in HEADLINE_FIGURES:
                    low, high = self.interval(figure)
                    CfnOutput(self, f"{figure}CiLow", value=low, description=f"Benchmark {figure}, interval low")
                    CfnOutput(self, f"{figure}CiHigh", value=high, description=f"Benchmark {figure}, interval high")
                CfnOutput(self, "ProfileRuns", value=self.profile_runs, description="Benchmark profile runs")
                CfnOutput(self, "ConfidenceLevel", value=self.confidence_level, description="Of the intervals")
            if baseline is not None:
                CfnOutput(self, "BaselineJob", value=self.baseline_job, description="Benchmark compared with")

    def figure(self, name: str) -> str:
        """A headline figure (see ``HEADLINE_FIGURES``) as a deploy-time string."""
        if name not in HEADLINE_FIGURES:
            raise ValidationError(f"figure got {name!r}; allowed: {', '.join(HEADLINE_FIGURES)}")
        return self.resource.get_att_string(name)

    def interval(self, name: str) -> tuple[str, str]:
        """A figure's confidence interval (low, high) as deploy-time strings; ``n/a`` for a single run."""
        self.figure(name)
        return self.resource.get_att_string(f"{name}CiLow"), self.resource.get_att_string(f"{name}CiHigh")

    @property
    def profile_runs(self) -> str:
        """How many profile runs the figures are over (``1`` for a single run)."""
        return self.resource.get_att_string("ProfileRuns")

    @property
    def confidence_level(self) -> str:
        """The intervals' confidence level, e.g. ``0.95``; ``n/a`` for a single run."""
        return self.resource.get_att_string("ConfidenceLevel")

    @property
    def baseline_job(self) -> str:
        """The job this run was compared with, or ``none`` when it established the baseline or was the
        baseline's predecessor read again (a rollback of the deployment that accepted the newer run)."""
        return self.resource.get_att_string("BaselineJob")

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
            provider.grant_through_delete(
                self, ["ssm:PutParameter", "ssm:GetParameter", "ssm:DeleteParameters"], [parameters]
            )
            acknowledge_wildcards(
                provider.grants_of(self), [parameters], "The figures are written under this one parameter path."
            )
        return settings


def check_results_options(
    sla: BenchmarkSla | None,
    capacity: CapacityMeasurement | None,
    publish: ResultsPublishing | None,
    baseline: BenchmarkBaseline | None = None,
    *,
    needs_name: bool = False,
) -> None:
    if baseline is not None:
        baseline.validate("baseline", needs_name=needs_name)
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
        if namespace and not unresolved(namespace) and namespace.startswith("AWS/"):
            raise ValidationError(f"publish.metric_namespace cannot be an AWS namespace, got {namespace!r}")
        prefix = publish.parameter_prefix
        if prefix and not unresolved(prefix) and not prefix.startswith("/"):
            raise ValidationError(f"publish.parameter_prefix must start with '/', got {prefix!r}")
