"""The fake SageMaker model registry: model package groups (created Pending, Completed once described; their
resource policies) and package versions. Another account's packages are read only as their group's policy
allows the caller's account (``DescribeModelPackage``, and ``ListModelPackages`` by the group's ARN), the way a
stage of a pipeline deploys packages that staging shares; a group the state does not hold allows nothing.

Standard library only (and the simulation's IAM evaluation): it runs inside the simulated Lambda.
"""

from __future__ import annotations

import json
from typing import Any

from fake_service import EPOCH, ServiceError
from iam import Request, allowed


class ModelRegistry:
    """Mixed into ``FakeAws``: ``state["groups"]`` (by name) and ``state["packages"]`` (by ARN)."""

    state: dict[str, Any]
    account: str
    region: str

    def _arn(self, resource: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{resource}"

    # ------------------------------------------------------------------------------------------- groups

    def _group(self, name: str) -> dict[str, Any]:
        group = self.state["groups"].get(name)
        if group is None:
            raise ServiceError("ValidationException", f"ModelPackageGroup {name} does not exist.")
        return group  # type: ignore[no-any-return]

    def sagemaker_CreateModelPackageGroup(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["ModelPackageGroupName"]
        arn = self._arn(f"model-package-group/{name.lower()}")
        if name in self.state["groups"]:
            raise ServiceError("ValidationException", f"Model Package Group already exists: {arn}")
        self.state["groups"][name] = {
            "arn": arn,
            "description": p.get("ModelPackageGroupDescription"),
            "status": "Pending",
            "policy": None,
        }
        return {"ModelPackageGroupArn": arn}

    def sagemaker_DescribeModelPackageGroup(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["ModelPackageGroupName"]
        group = self._group(name)
        response = {
            "ModelPackageGroupName": name,
            "ModelPackageGroupArn": group["arn"],
            "CreationTime": EPOCH,
            "CreatedBy": {},
            "ModelPackageGroupStatus": group["status"],
        }
        if group["description"] is not None:
            response["ModelPackageGroupDescription"] = group["description"]
        if group["status"] == "Pending":
            group["status"] = "Completed"  # ready by the next description
        return response

    def sagemaker_PutModelPackageGroupPolicy(self, p: dict[str, Any]) -> dict[str, Any]:
        group = self._group(p["ModelPackageGroupName"])
        group["policy"] = json.loads(p["ResourcePolicy"])
        return {"ModelPackageGroupArn": group["arn"]}

    def _shared(self, action: str, resource: str, owner: str, group_name: str) -> None:
        """Another account's ``resource`` (``owner``'s), read as its group's resource policy allows this account."""
        if owner == self.account:
            return
        group = self.state["groups"].get(group_name)
        statements = (group or {}).get("policy") or {"Statement": []}
        callers = {f"arn:aws:iam::{self.account}:root", self.account}
        granted = [s for s in statements["Statement"] if callers & set(_listed(s.get("Principal", {}).get("AWS", [])))]
        if group is None or f":{owner}:" not in group["arn"] or not allowed(granted, Request(action, resource)):
            raise ServiceError(
                "AccessDeniedException",
                f"{self.account} is not authorized to perform: {action} on resource: {resource} because no "
                "resource-based policy allows the action",
            )

    # ------------------------------------------------------------------------------------------- packages

    def _package(self, arn: str) -> dict[str, Any]:
        package = self.state["packages"].get(arn)
        if package is None:
            raise ServiceError("ValidationException", f"Model Package {arn} does not exist.")
        return package  # type: ignore[no-any-return]

    def sagemaker_DescribeModelPackage(self, p: dict[str, Any]) -> dict[str, Any]:
        arn = p["ModelPackageName"]
        package = self._package(arn)
        self._shared("sagemaker:DescribeModelPackage", arn, arn.split(":")[4], package["group"])
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
        identifier = p["ModelPackageGroupName"]
        group = identifier.rsplit("/", 1)[-1]
        if identifier.startswith("arn:"):
            owner = identifier.split(":")[4]
            versions = f"{identifier.split(':model-package-group/')[0]}:model-package/{group}/*"
            self._shared("sagemaker:ListModelPackages", versions, owner, group)
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


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
