"""Whether IAM statements allow a request: actions and resources with wildcards, the condition operators the
library's policies use, explicit denies first. And what each handler call asks IAM for."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """One authorization IAM makes: an action on a resource, with the request's condition keys."""

    action: str
    resource: str
    context: Mapping[str, str | list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        where = f" ({', '.join(f'{k}={v}' for k, v in self.context.items())})" if self.context else ""
        return f"{self.action} on {self.resource}{where}"


def allowed(statements: Iterable[Mapping[str, Any]], request: Request) -> bool:
    """IAM's evaluation within one account: an explicit deny wins, else some allow must match."""
    matching = [s for s in statements if _matches(s, request)]
    return any(s["Effect"] == "Allow" for s in matching) and not any(s["Effect"] == "Deny" for s in matching)


def _matches(statement: Mapping[str, Any], request: Request) -> bool:
    actions = _listed(statement.get("Action", []))
    if "NotAction" in statement or "NotResource" in statement:
        raise ValueError(f"NotAction/NotResource are not evaluated here: {statement}")
    if not any(fnmatch.fnmatchcase(request.action.lower(), a.lower()) for a in actions):
        return False
    if not any(_resource_matches(str(r), request.resource) for r in _listed(statement.get("Resource", []))):
        return False
    return all(_condition(op, values, request.context) for op, values in statement.get("Condition", {}).items())


def _resource_matches(pattern: str, resource: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, resource) is not None


def _condition(operator: str, values: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    qualifier, _, test = operator.rpartition(":")
    if_exists = test.endswith("IfExists")
    test = test.removesuffix("IfExists")
    for key, expected in values.items():
        actual = context.get(key)
        if actual is None:
            if if_exists:
                continue
            return False
        candidates, present = _listed(expected), _listed(actual)  # a multivalued key: any (or all) of them
        if test in ("StringEquals", "ArnEquals"):
            results = [any(a == c for c in candidates) for a in present]
        elif test in ("StringLike", "ArnLike"):
            results = [any(fnmatch.fnmatchcase(a, c) for c in candidates) for a in present]
        elif test == "StringNotEquals":
            results = [all(a != c for c in candidates) for a in present]
        else:
            raise ValueError(f"condition operator {operator} is not evaluated here")
        if qualifier not in ("", "ForAnyValue", "ForAllValues"):
            raise ValueError(f"condition qualifier {qualifier} is not evaluated here")
        if not (any(results) if qualifier == "ForAnyValue" else all(results)):
            return False
    return True


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def requests_of_call(call: Mapping[str, Any], partition: str, region: str, account: str) -> list[Request]:
    """What IAM authorizes for one SDK call the handlers made (the service authorization reference's
    resources, and the permissions a call implies, such as passing the job's role)."""
    service, operation, params = call["service"], call["operation"], call["params"]

    def sagemaker(resource: str) -> str:
        return f"arn:{partition}:sagemaker:{region}:{account}:{resource}"

    if service == "sagemaker":
        action = f"sagemaker:{operation}"
        if operation.endswith(("AIRecommendationJob", "AIBenchmarkJob")):
            kind = "ai-recommendation-job" if "Recommendation" in operation else "ai-benchmark-job"
            name = params.get("AIRecommendationJobName") or params["AIBenchmarkJobName"]
            found = [Request(action, sagemaker(f"{kind}/{name.lower()}"))]
            if operation.startswith("Create"):
                found.append(
                    Request(action, sagemaker(f"ai-workload-config/{params['AIWorkloadConfigIdentifier'].lower()}"))
                )
                found.append(
                    Request("iam:PassRole", params["RoleArn"], {"iam:PassedToService": "sagemaker.amazonaws.com"})
                )
                if "BenchmarkTarget" in params:
                    endpoint = params["BenchmarkTarget"]["Endpoint"]["Identifier"]
                    found.append(
                        Request(
                            action,
                            endpoint if endpoint.startswith("arn:") else sagemaker(f"endpoint/{endpoint.lower()}"),
                        )
                    )
                if params.get("Tags"):
                    found.append(Request("sagemaker:AddTags", found[0].resource))
            return found
        if operation in ("DescribeModelPackage", "UpdateModelPackage"):
            return [Request(action, params.get("ModelPackageName") or params["ModelPackageArn"])]
        if operation == "ListModelPackages":
            return [Request(action, "*")]
        if operation in ("CreateModelPackageGroup", "DescribeModelPackageGroup", "PutModelPackageGroupPolicy"):
            return [Request(action, sagemaker(f"model-package-group/{params['ModelPackageGroupName'].lower()}"))]
        if operation in ("AddTags", "DeleteTags"):
            return [Request(action, params["ResourceArn"])]
    if service == "stepfunctions" and operation == "StartExecution":
        return [Request("states:StartExecution", params["stateMachineArn"])]
    if service == "s3":
        if operation == "ListObjectsV2":
            return [
                Request(
                    "s3:ListBucket", f"arn:{partition}:s3:::{params['Bucket']}", {"s3:prefix": params.get("Prefix", "")}
                )
            ]
        if operation == "GetObject":
            return [Request("s3:GetObject", f"arn:{partition}:s3:::{params['Bucket']}/{params['Key']}")]
    if service == "ssm":
        names = params.get("Names") or [params["Name"]]
        return [
            Request(f"ssm:{operation}", f"arn:{partition}:ssm:{region}:{account}:parameter/{n.lstrip('/')}")
            for n in names
        ]
    if service == "cloudformation" and operation in ("DescribeStacks", "ListStackResources"):
        return [Request(f"cloudformation:{operation}", params["StackName"])]  # a stack id: the stack's ARN
    if service == "cloudwatch" and operation == "PutMetricData":
        return [Request("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": params["Namespace"]})]
    raise ValueError(f"no IAM mapping for {service}:{operation}; add one")
