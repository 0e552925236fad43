"""Streaming an AI job's results to SageMaker MLflow."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_iam as iam

from ..scanners import acknowledge


@dataclass(frozen=True)
class MlflowTracking:
    """Stream metrics to a SageMaker MLflow App or tracking server (self-hosted MLflow is not supported).

    Args:
        resource_arn: The MLflow App or tracking server ARN.
        experiment_name: Default: - chosen by the service
        run_name: Default: - chosen by the service
    """

    resource_arn: str
    experiment_name: str | None = None
    run_name: str | None = None

    def request(self) -> dict[str, str]:
        values = {
            "MlflowResourceArn": self.resource_arn,
            "MlflowExperimentName": self.experiment_name,
            "MlflowRunName": self.run_name,
        }
        return {k: v for k, v in values.items() if v is not None}

    def grant(self, role: iam.IRole) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sagemaker-mlflow:*", "sagemaker:CallMlflowAppApi", "sagemaker:DescribeMlflowApp"],
                resources=[self.resource_arn],
            )
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "The job logs runs, metrics and artifacts through the MLflow API of this one MLflow resource; "
            "SageMaker documents sagemaker-mlflow:* for it.",
            action="sagemaker-mlflow:*",
        )
