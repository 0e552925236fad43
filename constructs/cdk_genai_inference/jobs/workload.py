"""``WorkloadConfig``: the traffic an AI recommendation or benchmark job generates (AIPerf settings)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aws_cdk import Annotations, Duration, Names, Resource, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker

from constructs import Construct

from .._core.arns import sagemaker_arn
from .._core.validation import check_choice, check_tags, unresolved
from ..errors import ValidationError
from .repeated_runs import UNDOCUMENTED_PARAMETERS, RepeatedRuns, check_tooling_for_repeated_runs
from .s3 import grant_s3
from .workload_options import (
    AIPERF_PARAMETERS,
    SlaSearch,
    TokenDistribution,
    check_extra_parameters,
    typed_parameters,
)

__all__ = ["AIPERF_PARAMETERS", "IWorkloadConfig", "SlaSearch", "TokenDistribution", "WorkloadConfig"]

NAME_PATTERN = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,62}$")
"""CloudFormation's rule: lower case only, because DeleteAIWorkloadConfig lower-cases the name."""

CHANNEL_PATTERN = re.compile(r"^[A-Za-z0-9.\-_]{1,64}$")


@runtime_checkable
class IWorkloadConfig(Protocol):
    """An AI workload configuration, referenced by recommendation and benchmark jobs."""

    @property
    def workload_config_name(self) -> str: ...

    @property
    def workload_config_arn(self) -> str: ...

    @property
    def spec(self) -> Mapping[str, Any] | None:
        """The inline specification (None: defined elsewhere, unknown here)."""
        ...

    @property
    def repeated_runs(self) -> RepeatedRuns | None:
        """How the profile repeats (None: it runs once, or ``spec`` is unknown)."""
        ...

    def grant_read(self, grantee: iam.IGrantable) -> None:
        """Let a job's role read what the configuration names: its datasets and its secrets."""
        ...


class WorkloadConfig(Resource):
    """An ``AWS::SageMaker::AIWorkloadConfig``: the traffic a recommendation or benchmark job sends.

    Rendered to the inline JSON specification (``benchmark.type = aiperf``). The configuration is
    immutable: every property change creates a new one (CloudFormation replaces it), and jobs that
    reference it are replaced with it.

    Args:
        workload_config_name: Lower-case physical name; give a new one with every change (CloudFormation
            replaces the configuration and cannot reuse a name). Default: - generated from the path and
            a hash of the definition, so every change gets a new name
        input_tokens: Prompt length. Default: - AIPerf's default
        output_tokens: Response length. Default: - AIPerf default
        concurrency: One level, or a list to sweep (results per level). Default: - AIPerf default
        request_count: Requests per level. Default: - AIPerf default
        request_rate: Requests per second instead of a fixed concurrency. Default: - none
        benchmark_duration: Run for this long instead of a request count. Default: - none
        streaming: Stream responses (needed for TTFT, inter-token latency, goodput). Default: - true
        tokenizer: Hugging Face tokenizer id or path. Default: - the model's
        goodput: SLOs per metric in ms, e.g. ``{"time_to_first_token": 100}``. Default: - none
        sla_search: Search the highest concurrency that meets an SLA. Default: - none
        repeated_runs: Run the profile several times for a mean and confidence interval per figure,
            optionally until a metric converges. Renders AIPerf 0.13 options that the SageMaker
            documentation does not list (a synth warning says so). Default: - one run
        datasets: S3 channels by name (``/opt/ml/input/data/<name>/``). Default: - synthetic prompts
        secrets: Secrets Manager ARNs by parameter name, e.g. ``{"hf_token": arn}``. Default: - none
        tooling_version: AIPerf version to run. Default: - the latest the service offers
        parameters: Further AIPerf parameters by their documented name. Default: - none
        tags: Tags. Default: - none
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        workload_config_name: str | None = None,
        input_tokens: TokenDistribution | None = None,
        output_tokens: TokenDistribution | None = None,
        concurrency: int | Sequence[int] | None = None,
        request_count: int | None = None,
        request_rate: float | None = None,
        benchmark_duration: Duration | None = None,
        streaming: bool | None = None,
        tokenizer: str | None = None,
        goodput: Mapping[str, float] | None = None,
        sla_search: SlaSearch | None = None,
        repeated_runs: RepeatedRuns | None = None,
        datasets: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        tooling_version: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        _check_name(workload_config_name)
        typed = typed_parameters(
            input_tokens,
            output_tokens,
            concurrency,
            request_count,
            request_rate,
            benchmark_duration,
            streaming,
            tokenizer,
            goodput,
            sla_search,
            repeated_runs,
        )
        check_tooling_for_repeated_runs(repeated_runs, tooling_version)
        check_extra_parameters(parameters or {})
        _check_datasets(datasets or {})
        check_tags("tags", tags)
        for key in secrets or {}:
            check_choice("secrets", key, AIPERF_PARAMETERS, "AIPerf parameter")
        super().__init__(scope, id, physical_name=workload_config_name)
        self.repeated_runs = repeated_runs
        if repeated_runs is not None:
            Annotations.of(self).add_warning_v2(
                "cdk-genai-inference:undocumentedParameters",
                f"repeated_runs renders {', '.join(sorted(UNDOCUMENTED_PARAMETERS & set(typed)))}: AIPerf 0.13 "
                "options that the SageMaker documentation does not list for workload parameters; the service "
                "rejects names it does not know, so check a job accepts them before you rely on it",
            )
            if tooling_version is None:
                Annotations.of(self).add_warning_v2(
                    "cdk-genai-inference:repeated-runs-unpinned",
                    "repeated_runs renders AIPerf 0.13 options, and without tooling_version the job runs the "
                    "service's default AIPerf (0.8.0.dev in a managed job of June 2026), which may not know them: "
                    'pin tooling_version="0.13.0" or later',
                )

        spec: dict[str, Any] = {"benchmark": {"type": "aiperf"}}
        merged = {**typed, **(parameters or {})}
        if merged:
            spec["parameters"] = dict(sorted(merged.items()))
        if secrets:
            spec["secrets"] = dict(sorted(secrets.items()))
        if tooling_version:
            spec["tooling"] = {"version": tooling_version}
        self.spec: dict[str, Any] | None = spec
        self._reads = _Reads(list((datasets or {}).values()), list((secrets or {}).values()))

        name = workload_config_name or _generated_name(self, spec, datasets or {})
        resource = sagemaker.CfnAIWorkloadConfig(
            self,
            "Resource",
            ai_workload_config_name=name,
            ai_workload_configs=sagemaker.CfnAIWorkloadConfig.AIWorkloadConfigsProperty(
                workload_spec=sagemaker.CfnAIWorkloadConfig.WorkloadSpecProperty(
                    inline=Stack.of(self).to_json_string(spec)
                )
            ),
            dataset_config=_dataset_config(datasets) if datasets else None,
        )
        for key, value in (tags or {}).items():
            Tags.of(self).add(key, value)
        self.resource = resource
        self.workload_config_name = name
        self.workload_config_arn = resource.attr_ai_workload_config_arn

    def grant_read(self, grantee: iam.IGrantable) -> None:
        """Let a job's role read the datasets and the secrets."""
        self._reads.grant(grantee)

    @staticmethod
    def from_workload_config_name(
        scope: Construct,
        id: str,
        workload_config_name: str,
        *,
        dataset_uris: Sequence[str] = (),
        secret_arns: Sequence[str] = (),
    ) -> IWorkloadConfig:
        """A workload configuration created elsewhere; give its datasets and secrets for the jobs' roles
        to read them (this stack cannot see them)."""
        return _ImportedWorkloadConfig(scope, id, workload_config_name, _Reads(list(dataset_uris), list(secret_arns)))


class _ImportedWorkloadConfig(Resource):
    def __init__(self, scope: Construct, id: str, name: str, reads: _Reads) -> None:
        super().__init__(scope, id)
        self.workload_config_name = name
        self.workload_config_arn = sagemaker_arn(self, "ai-workload-config", name)
        self.spec: Mapping[str, Any] | None = None
        self.repeated_runs: RepeatedRuns | None = None
        self._reads = reads

    def grant_read(self, grantee: iam.IGrantable) -> None:
        self._reads.grant(grantee)


@dataclass(frozen=True)
class _Reads:
    """What a job's role reads because a workload configuration names it."""

    dataset_uris: list[str]
    secret_arns: list[str]

    def grant(self, grantee: iam.IGrantable) -> None:
        for uri in self.dataset_uris:
            grant_s3(grantee, uri, write=False)
        if self.secret_arns:
            grantee.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=self.secret_arns)
            )


def _generated_name(scope: Construct, spec: dict[str, Any], datasets: Mapping[str, str]) -> str:
    """``<path>-<hash of the definition>``: CloudFormation replaces the configuration on any change,
    and a replacement needs a new name."""
    definition = json.dumps(Stack.of(scope).resolve({"spec": spec, "datasets": dict(datasets)}), sort_keys=True)
    digest = hashlib.sha256(definition.encode()).hexdigest()[:8]
    stem = Names.unique_resource_name(scope, max_length=54, separator="-").lower().strip("-")
    return f"{stem}-{digest}"


def _check_name(name: str | None) -> None:
    if name is None or unresolved(name) or NAME_PATTERN.match(name):
        return
    raise ValidationError(
        f"workload_config_name must be 1-63 lower-case letters, digits and hyphens, got {name!r} "
        "(CloudFormation cannot delete a workload configuration whose name has capitals)"
    )


def _check_datasets(datasets: Mapping[str, str]) -> None:
    for channel, uri in datasets.items():
        if not CHANNEL_PATTERN.match(channel):
            raise ValidationError(
                f"datasets channel names must be 1-64 letters, digits, '.', '-' or '_', got {channel!r}"
            )
        if not unresolved(uri) and not uri.startswith("s3://"):
            raise ValidationError(f"datasets[{channel!r}] must be an s3:// URI, got {uri!r}")


def _dataset_config(datasets: Mapping[str, str]) -> sagemaker.CfnAIWorkloadConfig.AIDatasetConfigProperty:
    cfn = sagemaker.CfnAIWorkloadConfig
    return cfn.AIDatasetConfigProperty(
        input_data_config=[
            cfn.AIWorkloadInputDataConfigProperty(
                channel_name=channel,
                data_source=cfn.AIWorkloadDataSourceProperty(
                    s3_data_source=cfn.AIWorkloadS3DataSourceProperty(s3_uri=uri)
                ),
            )
            for channel, uri in datasets.items()
        ]
    )
