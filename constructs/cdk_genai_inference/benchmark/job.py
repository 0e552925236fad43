"""``BenchmarkJob``: an AIPerf benchmark of an endpoint as part of a deployment."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Resource
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

from constructs import Construct, IDependable

from .._core.arns import sagemaker_arn
from .._core.roles import grant_image_pull, sagemaker_execution_role
from .._core.validation import check_tags
from ..errors import ValidationError
from ..jobs.job import (
    JOB_NAME_MAX,
    JOB_ROLE_ARN,
    AiJob,
    JobKind,
    check_job_naming,
    check_removal_policy,
    check_request,
    imported_job_family,
)
from ..jobs.mlflow import MlflowTracking
from ..jobs.s3 import S3Location
from ..jobs.wait import JobWait
from ..jobs.workload import IWorkloadConfig
from ..scanners import acknowledge_wildcards
from ..serving.endpoint_base import IInstancePoolEndpoint
from .baseline import BenchmarkBaseline, default_parameter_name
from .results import (
    BenchmarkResults,
    BenchmarkSla,
    CapacityMeasurement,
    IBenchmarkJob,
    ResultsPublishing,
    SlaStatistic,
    check_results_options,
)


@dataclass(frozen=True)
class BenchmarkNetwork:
    """Run the benchmark inside a VPC (to reach a VPC-only endpoint).

    Args:
        subnets: 1-16 subnets.
        security_groups: 1-5 security groups.
    """

    subnets: Sequence[ec2.ISubnet]
    security_groups: Sequence[ec2.ISecurityGroup]


class BenchmarkJob(AiJob):
    """An AI benchmark job: NVIDIA AIPerf against an endpoint, results in S3.

    Runs after the endpoint is in service (it depends on it). The job is named after its definition,
    including the endpoint's configuration, so a changed endpoint is benchmarked again; ``run_token``
    forces a new run without any change (a pipeline can pass its execution id to benchmark every
    deploy). A Create finds a job of its name that exists (a retry, or a definition you return to).
    Delete stops a running job and deletes it once terminal, but keeps one that completed, unless a
    failed operation started it (a rollback: its retry measures again; README, "Delete", says when
    the handler cannot tell and keeps it); a job already gone is fine.

    With ``JobWait.in_deployment`` (the default, 2 hours) the deployment waits, then ``results``
    reads the output: its figures become attributes and stack outputs, and a breach of ``sla``
    fails the deployment (CloudFormation rolls the stack back, endpoint update included).

    Args:
        endpoint: The endpoint to benchmark; its inference component, if any, is listed for the job.
        workload_config: The traffic to send.
        output: The location the job writes under: each run in a folder of its own,
            ``<output>/<job name>/``. A URI known only at deploy time is followed by ``/<job name>/``.
        sla: Thresholds that gate the deployment (on the mean, or on the interval's bound with
            repeated runs). Default: - no gate
        baseline: Fail on a regression against the endpoint's last accepted run, kept in SSM.
            Default: - no comparison
        capacity: Derive the concurrency one instance sustains. Default: - none
        publish: CloudWatch metrics and/or SSM parameters. Default: - none
        allow_failed_job: Report a job AIPerf's validity gate failed instead of failing the
            deployment (its figures are complete). Default: False
        network: Subnets and security groups for a VPC endpoint. Default: - no VPC
        mlflow: Stream results to SageMaker MLflow. Default: - none
        role: The job's execution role. A given role gets no grants: it must be able to invoke the
            endpoint (``endpoint.grant_invoke``), read what the workload names
            (``workload_config.grant_read``), read and write under the output (``grant_read_write``), pull the
            service's images, manage the job's network interfaces with ``network``, and use MLflow
            (``mlflow.grant``) if used. Default: - a least-privilege role with all of these
        job_name_prefix: Stem of the job name. Default: - from the construct path
        run_token: Any value; a new one starts a new benchmark. Default: - none
        wait: Default: - wait up to 2 hours
        tags: Tags of the job. Default: - none
        removal_policy: What deleting the job's resource does with a job that completed: ``RETAIN`` keeps
            it (a reader of its results in another stack, or that reader's rollback, still finds it),
            ``DESTROY`` deletes it; an unfinished job, and one a rolled-back deployment made, is stopped
            and deleted either way. Default: RemovalPolicy.RETAIN
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint: IInstancePoolEndpoint,
        workload_config: IWorkloadConfig,
        output: S3Location,
        sla: BenchmarkSla | None = None,
        baseline: BenchmarkBaseline | None = None,
        capacity: CapacityMeasurement | None = None,
        publish: ResultsPublishing | None = None,
        allow_failed_job: bool = False,
        network: BenchmarkNetwork | None = None,
        mlflow: MlflowTracking | None = None,
        role: iam.IRole | None = None,
        job_name_prefix: str | None = None,
        run_token: str | None = None,
        wait: JobWait | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy | None = None,
    ) -> None:
        check_removal_policy(removal_policy)
        if endpoint.asynchronous:  # AIPerf sends its requests as real-time (streaming) invocations
            raise ValidationError(
                f"endpoint must be a real-time endpoint (AIPerf invokes it with InvokeEndpoint or "
                f"InvokeEndpointWithResponseStream), got asynchronous endpoint {endpoint.endpoint_name}"
            )
        check_job_naming(job_name_prefix, run_token)
        check_tags("tags", tags)
        check_results_options(sla, capacity, publish, baseline)
        _check_bound_needs_repeats(sla, capacity, workload_config)
        if capacity is not None and capacity.sla is None and not _searches(workload_config):
            raise ValidationError(
                "capacity without an sla needs a workload with sla_search (the search answers it); give "
                "capacity=CapacityMeasurement(sla=...) to pick from a concurrency sweep"
            )
        if network is not None and not (1 <= len(network.subnets) <= 16 and 1 <= len(network.security_groups) <= 5):
            raise ValidationError(
                f"network needs 1-16 subnets and 1-5 security groups, got {len(network.subnets)} and "
                f"{len(network.security_groups)}"
            )
        wait = wait or JobWait.in_deployment(Duration.hours(2))
        if wait.timeout is None and (sla or capacity or publish or baseline):
            raise ValidationError(
                "sla, baseline, capacity and publish apply to results read in this deployment; with JobWait.none() "
                "read them in a later stage with BenchmarkResults(job=BenchmarkJob.from_job_name(...))"
            )
        target: dict[str, Any] = {"Identifier": endpoint.endpoint_name}
        if endpoint.inference_component_name:
            target["InferenceComponents"] = [{"Identifier": endpoint.inference_component_name}]
        request: dict[str, Any] = {
            "BenchmarkTarget": {"Endpoint": target},
            "OutputConfig": {"S3OutputLocation": output.uri, **({"MlflowConfig": mlflow.request()} if mlflow else {})},
            "AIWorkloadConfigIdentifier": workload_config.workload_config_name,
            "RoleArn": JOB_ROLE_ARN,
        }
        if network is not None:
            request["NetworkConfig"] = {
                "VpcConfig": {
                    "SecurityGroupIds": [g.security_group_id for g in network.security_groups],
                    "Subnets": [s.subnet_id for s in network.subnets],
                }
            }
        if tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        # Checked as it is sent: in the job's folder, as long as a job name makes it.
        longest = output.folder("j" * JOB_NAME_MAX).uri
        check_request(
            JobKind.BENCHMARK,
            {**request, "OutputConfig": {**request["OutputConfig"], "S3OutputLocation": longest}},
            role,
        )
        super().__init__(scope, id, kind=JobKind.BENCHMARK, workload_config=workload_config)
        self.role = role or self._default_role(endpoint, workload_config, network, mlflow)
        # Each run writes in a folder of its own, named after the job (and the name says so): reading a run's
        # results again, as a rollback does, never finds a later run's archive, whatever the service's layout.
        # The results' handler may read every run's folder: a rollback reads the older one under the newer policy.
        name = self._name(
            request, job_name_prefix, run_token, EndpointDefinition=endpoint.served_definition, OutputFolder="job"
        )
        self.output = output
        folder = output.folder(name)
        request["OutputConfig"]["S3OutputLocation"] = folder.uri
        if role is None:
            folder.grant_read_write(self.role)
        # The endpoint first: the job benchmarks an endpoint in service.
        self._start(request, name=name, wait=wait, targets=[endpoint.endpoint_arn], after=[endpoint])
        if removal_policy is RemovalPolicy.DESTROY:
            self.apply_removal_policy(removal_policy)

        self.results: BenchmarkResults | None = None
        if self.waits_in_deployment:
            if baseline is not None and baseline.parameter_name is None:
                baseline = dataclasses.replace(baseline, parameter_name=default_parameter_name(endpoint.endpoint_name))
            self.results = BenchmarkResults(
                self,
                "Results",
                job=self,
                sla=sla,
                capacity=capacity,
                publish=publish,
                allow_failed_job=allow_failed_job,
                metric_name=job_name_prefix or name.rsplit("-", 1)[0],
                baseline=baseline,
            )

    @staticmethod
    def from_job_name(
        scope: Construct, id: str, job_name: str, *, output: S3Location, job_name_prefix: str | None = None
    ) -> IBenchmarkJob:
        """A job created elsewhere (another stack or pipeline stage).

        Args:
            output: Its output location (the location it was given, or its own folder there).
            job_name_prefix: The stem of a ``BenchmarkJob`` of another app that named the job: a rollback
                of a reader to the run before reads it under the new policy, so the reader may read every
                run of the stem (``<prefix>-??????????``). Default: - the stem of this app's job of that
                name; for any other name, the job alone
        """
        family = imported_job_family(scope, JobKind.BENCHMARK, job_name, job_name_prefix)
        return _ImportedBenchmarkJob(scope, id, job_name, output, family)

    def _default_role(
        self,
        endpoint: IInstancePoolEndpoint,
        workload: IWorkloadConfig,
        network: BenchmarkNetwork | None,
        mlflow: MlflowTracking | None,
    ) -> iam.Role:
        role = sagemaker_execution_role(
            self, "ExecutionRole", "Execution role of an AI benchmark job (cdk-genai-inference)"
        )
        grant_image_pull(role)  # AIPerf runs as a training job under this role
        endpoint.grant_invoke(role)
        workload.grant_read(role)
        if mlflow is not None:
            mlflow.grant(role)
        if network is not None:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeVpcs",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                    ],
                    resources=["*"],
                )
            )
            acknowledge_wildcards(
                role,
                ["*"],
                "The job's network interfaces are created in the given subnets at run time; EC2 grants "
                "these interface actions on no narrower resource known before then.",
            )
        return role


class _ImportedBenchmarkJob(Resource):
    def __init__(self, scope: Construct, id: str, name: str, output: S3Location, family: str | None) -> None:
        super().__init__(scope, id)
        self.job_name = name
        self.job_family = family
        self.output = output
        self.job_arn = sagemaker_arn(scope, "ai-benchmark-job", name)
        self.workload_config: IWorkloadConfig | None = None
        self.waits_in_deployment = False
        self.completion: IDependable | None = None


def _searches(workload: IWorkloadConfig) -> bool:
    """Whether the workload runs an SLA search (unknown for an imported one: assume it does)."""
    spec = workload.spec
    return spec is None or "search_recipe" in spec.get("parameters", {})


def _check_bound_needs_repeats(
    sla: BenchmarkSla | None, capacity: CapacityMeasurement | None, workload: IWorkloadConfig
) -> None:
    """A gate on interval bounds needs intervals: refuse it at synth for a workload known to run once."""
    if workload.spec is None or workload.repeated_runs is not None:
        return  # imported: unknown here, the handler says so at deploy time
    for arg, rule in (("sla", sla), ("capacity.sla", capacity.sla if capacity else None)):
        if rule is not None and rule.judged_on is SlaStatistic.CONFIDENCE_BOUND:
            raise ValidationError(
                f"{arg}.judged_on is SlaStatistic.CONFIDENCE_BOUND, but the workload runs once and a single run has "
                "no confidence interval; give the workload repeated_runs=RepeatedRuns(count=3) or judge on the mean"
            )
