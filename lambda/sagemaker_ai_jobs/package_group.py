"""The model package group a recommendation job shares with other accounts, behind a custom resource.

Create makes the group, or adopts it when it exists: the group is retained, so the retry of a failed first
deployment, or a deployment after ``cdk destroy``, finds the one an earlier attempt left (its name is the
job's, a definition hash). Once the service reports the group ``Completed`` (isComplete, as CloudFormation's
own handler waits), the resource policy is put on it, on every Create and Update. Delete keeps the group:
models in the other accounts keep using its packages. Pure logic: the SageMaker client comes in as an argument.
"""

from __future__ import annotations

import json
from typing import Any

from aws_calls import JobError, error_code, explain, with_retries
from botocore.exceptions import ClientError

READY = "Completed"
SETTLING = frozenset({"Pending", "InProgress"})


def already_exists(error: ClientError) -> bool:
    """CreateModelPackageGroup's answer for a name in use: ``ValidationException`` "Model Package Group
    already exists" (botocore's model lists only ``ResourceLimitExceeded``); CloudFormation's own handler
    for the type also takes ``ResourceInUse`` as such."""
    message = str(error.response.get("Error", {}).get("Message", ""))
    code = error_code(error)
    return code == "ResourceInUse" or (code == "ValidationException" and "already exists" in message)


def on_event(sm: Any, event: dict[str, Any]) -> dict[str, Any]:
    """Create (or adopt) the group on Create and on an Update that renames it (a new physical id: the old
    group's Delete keeps it); Delete keeps the group."""
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    request = event["ResourceProperties"]["Request"]
    name = request["ModelPackageGroupName"]
    if event["RequestType"] == "Create" or event.get("PhysicalResourceId") != name:
        try:
            with_retries(lambda: sm.create_model_package_group(**request))
        except ClientError as error:
            if not already_exists(error):
                raise explain(error, f"creating model package group {name}") from error
    return {"PhysicalResourceId": name}


def is_complete(sm: Any, event: dict[str, Any]) -> dict[str, Any]:
    """Put the resource policy once the group is ``Completed``; the group's name and ARN are the attributes."""
    if event["RequestType"] == "Delete":
        return {"IsComplete": True}
    props = event["ResourceProperties"]
    name = props["Request"]["ModelPackageGroupName"]
    try:
        group = with_retries(lambda: sm.describe_model_package_group(ModelPackageGroupName=name))
    except ClientError as error:
        raise explain(error, f"describing model package group {name}") from error
    status = group["ModelPackageGroupStatus"]
    if status in SETTLING:
        return {"IsComplete": False}
    if status != READY:
        raise JobError(f"model package group {name} is {status}, not {READY}: its resource policy cannot be put")
    policy = json.dumps(props["ResourcePolicy"], separators=(",", ":"))
    try:
        with_retries(lambda: sm.put_model_package_group_policy(ModelPackageGroupName=name, ResourcePolicy=policy))
    except ClientError as error:
        raise explain(error, f"putting the resource policy of model package group {name}") from error
    return {
        "IsComplete": True,
        "Data": {"ModelPackageGroupName": name, "ModelPackageGroupArn": group["ModelPackageGroupArn"]},
    }
