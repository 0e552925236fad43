"""The fake SageMaker model registry: package versions (described, listed by group, approved).

Standard library only: it runs inside the simulated Lambda.
"""

from __future__ import annotations

from typing import Any

from fake_service import EPOCH, ServiceError


class ModelRegistry:
    """Mixed into ``FakeAws``: ``state["packages"]`` (by ARN)."""

    state: dict[str, Any]
    account: str
    region: str

    def _arn(self, resource: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{resource}"

    # ------------------------------------------------------------------------------------------- packages

    def _package(self, arn: str) -> dict[str, Any]:
        package = self.state["packages"].get(arn)
        if package is None:
            raise ServiceError("ValidationException", f"Model Package {arn} does not exist.")
        return package  # type: ignore[no-any-return]

    def sagemaker_DescribeModelPackage(self, p: dict[str, Any]) -> dict[str, Any]:
        arn = p["ModelPackageName"]
        package = self._package(arn)
        response = {
            "ModelPackageName": package["group"],
            "ModelPackageGroupName": package["group"],
            "ModelPackageVersion": package["version"],
            "ModelPackageArn": arn,
            "CreationTime": EPOCH,
            "ModelPackageStatus": "Completed",
            "ModelPackageStatusDetails": {"ValidationStatuses": []},
            "ModelApprovalStatus": package["status"],
        }
        if package["metadata"]:
            response["CustomerMetadataProperties"] = package["metadata"]
        return response

    def sagemaker_UpdateModelPackage(self, p: dict[str, Any]) -> dict[str, Any]:
        package = self._package(p["ModelPackageArn"])
        package["status"] = p.get("ModelApprovalStatus", package["status"])
        package["metadata"].update(p.get("CustomerMetadataProperties", {}))
        return {"ModelPackageArn": p["ModelPackageArn"]}

    def sagemaker_ListModelPackages(self, p: dict[str, Any]) -> dict[str, Any]:
        group = p["ModelPackageGroupName"].rsplit("/", 1)[-1]
        summaries = [
            {
                "ModelPackageArn": arn,
                "ModelPackageGroupName": package["group"],
                "ModelPackageVersion": package["version"],
                "CreationTime": EPOCH,
                "ModelPackageStatus": "Completed",
                "ModelApprovalStatus": package["status"],
            }
            for arn, package in sorted(self.state["packages"].items(), key=lambda item: -item[1]["version"])
            if package["group"] == group and package["status"] == p.get("ModelApprovalStatus", package["status"])
        ]
        return {"ModelPackageSummaryList": summaries}
