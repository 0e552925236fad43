"""A fake AWS for the handlers, served through botocore's own ``before-call`` hook: the handlers' clients
validate every request against the service model as usual (botocore's parameter validation), and every
response this fake returns is validated against the operation's output shape before the handler sees it.
Its world (jobs, model package groups and packages, output archives, parameters) is a JSON state, so it
persists across invocations. The model registry is ``fake_registry``'s.

Standard library plus botocore only: it runs inside the simulated Lambda, on the SDK the asset bundles.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.response import StreamingBody
from botocore.validate import ParamValidator
from fake_registry import ModelRegistry
from fake_service import EPOCH, ServiceError

ACCOUNT, REGION = "111122223333", "us-west-2"


class FakeAws(ModelRegistry):
    """The services the handlers call. ``state`` is plain JSON: jobs, groups, packages, executions, objects, parameters,
    and every call made (service, operation, parameters) for the permission check. The scenario's ``faults``
    (operation name to a list of error codes) answer that operation's next calls, one code each, in order."""

    def __init__(
        self, state: dict[str, Any], scenario: dict[str, Any], *, account: str = ACCOUNT, region: str = REGION
    ) -> None:
        self.state = state
        self.scenario = scenario
        self.account, self.region = account, region
        for key in ("jobs", "packages", "groups", "executions", "parameters", "metrics", "calls", "tags", "stacks"):
            state.setdefault(key, [] if key in ("calls", "metrics") else {})
        state.setdefault("faults", json.loads(json.dumps(scenario.get("faults", {}))))
        for arn, package in scenario.get("packages", {}).items():
            state["packages"].setdefault(arn, json.loads(json.dumps(package)))
        self._session = botocore.session.get_session()

    def client(self, service: str) -> Any:
        client = self._session.create_client(
            service,
            region_name=self.region,
            aws_access_key_id="simulated",
            aws_secret_access_key="simulated",
            config=Config(retries={"max_attempts": 1}),
        )
        service_id = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-parameter-build.{service_id}", self._take_parameters)
        client.meta.events.register(f"before-call.{service_id}", self._answer)
        return client

    # ------------------------------------------------------------------------------------------- plumbing

    def _take_parameters(self, params: dict[str, Any], **_: Any) -> None:
        """The call's parameters as the handler passed them (``before-call`` sees the serialized request)."""
        self._pending = _plain(params)

    def _answer(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        service = model.service_model.service_name
        operation = model.name
        arguments = self._pending
        self.state["calls"].append({"service": service, "operation": operation, "params": arguments})
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(self, f"{service}_{operation}", None)
        if handler is None:
            raise AssertionError(f"the fake has no {service}:{operation}; the handler called it with {arguments}")
        try:
            if self.state["faults"].get(operation):
                raise ServiceError(self.state["faults"][operation].pop(0), "injected by the scenario")
            response = handler(arguments)
        except ServiceError as error:
            return AWSResponse("https://simulated", error.status, {}, None), {
                "Error": {"Code": error.code, "Message": error.message},
                "ResponseMetadata": {"HTTPStatusCode": error.status},
            }
        if model.output_shape is not None:
            report = ParamValidator().validate(response, model.output_shape)
            if report.has_errors():
                raise AssertionError(
                    f"the fake's {operation} response breaks the service model: {report.generate_report()}"
                )
        return AWSResponse("https://simulated", 200, {}, None), {
            **response,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    def _job(self, kind: str, name: str) -> dict[str, Any]:
        job = self.state["jobs"].get(f"{kind}/{name}")
        if job is None:
            raise ServiceError("ResourceNotFound", f"{kind} {name} does not exist")
        return job  # type: ignore[no-any-return]

    def _advance(self, job: dict[str, Any]) -> None:
        """A job completes after the scenario's number of descriptions (or fails, or stops once asked to);
        a list of numbers gives each job of its kind its own, in the order they were started."""
        job["describes"] += 1
        polls = self.scenario.get("polls_until_done", 1)
        if isinstance(polls, list):
            polls = polls[min(job["position"], len(polls) - 1)]
        if job["status"] == "Stopping":
            job["status"] = "Stopped"
        elif job["status"] == "InProgress" and job["describes"] > polls:
            job["status"] = self.scenario.get("final_status", {}).get(job["kind"], "Completed")
            if job["kind"] == "benchmark":
                self._write_archive(job["request"])

    def _write_archive(self, request: dict[str, Any]) -> None:
        """A finished benchmark's ``output.tar.gz``, at the fixed key one AWS notebook reads: every run given
        the same location writes the same key, the last run's archive replacing the one before. The scenario's
        ``benchmark_archive`` is a file, or a list of them, one per run in the order the runs finish."""
        archives = self.scenario.get("benchmark_archive")
        if not archives:
            return
        archives = [archives] if isinstance(archives, str) else archives
        run = self.state["benchmark_runs"] = self.state.get("benchmark_runs", 0) + 1
        bucket, _, prefix = request["OutputConfig"]["S3OutputLocation"].removeprefix("s3://").partition("/")
        key = f"{bucket}/{prefix}output/output.tar.gz"
        self.state.setdefault("objects", {})[key] = archives[(run - 1) % len(archives)]

    # ------------------------------------------------------------------------------------------- SageMaker

    def _create(self, kind: str, name_field: str, params: dict[str, Any]) -> dict[str, Any]:
        name = params[name_field]
        key = f"{kind}/{name}"
        if key in self.state["jobs"]:
            raise ServiceError("ResourceInUse", f"{kind} {name} already exists")
        position = sum(job["kind"] == kind for job in self.state["jobs"].values())
        self.state["jobs"][key] = {"kind": kind, "request": params, "status": "InProgress", "describes": 0}
        self.state["jobs"][key]["position"] = position
        self.state["jobs"][key]["created"] = len(self.state["calls"])  # the clock: calls made so far
        return {"arn": self._arn(f"{_RESOURCE[kind]}/{name.lower()}")}

    def sagemaker_CreateAIRecommendationJob(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"AIRecommendationJobArn": self._create("recommendation", "AIRecommendationJobName", p)["arn"]}

    def sagemaker_CreateAIBenchmarkJob(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"AIBenchmarkJobArn": self._create("benchmark", "AIBenchmarkJobName", p)["arn"]}

    def sagemaker_DescribeAIRecommendationJob(self, p: dict[str, Any]) -> dict[str, Any]:
        job = self._job("recommendation", p["AIRecommendationJobName"])
        self._advance(job)
        request, name = job["request"], p["AIRecommendationJobName"]
        group = request["OutputConfig"].get("ModelPackageGroupIdentifier") or name
        response = {
            "AIRecommendationJobName": name,
            "AIRecommendationJobArn": self._arn(f"ai-recommendation-job/{name.lower()}"),
            "AIRecommendationJobStatus": job["status"],
            "ModelSource": request["ModelSource"],
            "OutputConfig": {**request["OutputConfig"], "ModelPackageGroupIdentifier": group},
            "AIWorkloadConfigIdentifier": request["AIWorkloadConfigIdentifier"],
            "RoleArn": request["RoleArn"],
            "CreationTime": _at(job.get("created", 0)),
        }
        if job["status"] == "Completed":
            response["Recommendations"] = self._recommendations(group, request)
        return response

    def _recommendations(self, group: str, request: dict[str, Any]) -> list[dict[str, Any]]:
        """The scenario's recommendations, registered in the job's group (and its packages made known); their
        ``{group}``, ``{model_source}``, ``{output}``, ``{account}`` and ``{region}`` become the job's."""
        found = []
        for index, recommendation in enumerate(self.scenario.get("recommendations", []), start=1):
            text = json.dumps(recommendation).replace("{group}", group).replace("{account}", self.account)
            text = text.replace("{region}", self.region)
            text = text.replace("{model_source}", request["ModelSource"]["S3"]["S3Uri"])
            text = text.replace("{output}", request["OutputConfig"]["S3OutputLocation"])
            recommendation = json.loads(text)
            arn = recommendation["ModelDetails"]["ModelPackageArn"]
            self.state["packages"].setdefault(
                arn,
                {
                    "status": self.scenario.get("package_status", "PendingManualApproval"),
                    "group": group,
                    "version": index,
                    "metadata": {},
                },
            )
            found.append(recommendation)
        self.state["recommendations"] = found  # as the job described them, for the checks that follow
        return found

    def sagemaker_DescribeAIBenchmarkJob(self, p: dict[str, Any]) -> dict[str, Any]:
        job = self._job("benchmark", p["AIBenchmarkJobName"])
        self._advance(job)
        request, name = job["request"], p["AIBenchmarkJobName"]
        response = {
            "AIBenchmarkJobName": name,
            "AIBenchmarkJobArn": self._arn(f"ai-benchmark-job/{name.lower()}"),
            "AIBenchmarkJobStatus": job["status"],
            "BenchmarkTarget": request["BenchmarkTarget"],
            "OutputConfig": {"S3OutputLocation": request["OutputConfig"]["S3OutputLocation"]},
            "AIWorkloadConfigIdentifier": request["AIWorkloadConfigIdentifier"],
            "RoleArn": request["RoleArn"],
            "CreationTime": _at(job.get("created", 0)),
        }
        return response

    def _stop(self, kind: str, name: str) -> None:
        job = self._job(kind, name)
        if job["status"] == "InProgress":
            job["status"] = "Stopping"

    def sagemaker_StopAIRecommendationJob(self, p: dict[str, Any]) -> dict[str, Any]:
        self._stop("recommendation", p["AIRecommendationJobName"])
        return {"AIRecommendationJobArn": self._arn(f"ai-recommendation-job/{p['AIRecommendationJobName'].lower()}")}

    def sagemaker_StopAIBenchmarkJob(self, p: dict[str, Any]) -> dict[str, Any]:
        self._stop("benchmark", p["AIBenchmarkJobName"])
        return {"AIBenchmarkJobArn": self._arn(f"ai-benchmark-job/{p['AIBenchmarkJobName'].lower()}")}

    def _delete(self, kind: str, name: str) -> dict[str, Any]:
        job = self._job(kind, name)
        if job["status"] not in ("Completed", "Failed", "Stopped"):
            raise ServiceError(
                "ConflictException", f"{kind} {name} is {job['status']}; only a finished job can be deleted"
            )
        del self.state["jobs"][f"{kind}/{name}"]
        return {}

    def sagemaker_DeleteAIRecommendationJob(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._delete("recommendation", p["AIRecommendationJobName"])

    def sagemaker_DeleteAIBenchmarkJob(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._delete("benchmark", p["AIBenchmarkJobName"])

    def sagemaker_AddTags(self, p: dict[str, Any]) -> dict[str, Any]:
        self.state["tags"].setdefault(p["ResourceArn"], {}).update({t["Key"]: t["Value"] for t in p["Tags"]})
        return {"Tags": p["Tags"]}

    def sagemaker_DeleteTags(self, p: dict[str, Any]) -> dict[str, Any]:
        for key in p["TagKeys"]:
            self.state["tags"].get(p["ResourceArn"], {}).pop(key, None)
        return {}

    # ------------------------------------------------------------------------------------------- the rest

    def cloudformation_DescribeStacks(self, p: dict[str, Any]) -> dict[str, Any]:
        """A stack by its id, in the status its simulated deployment is in."""
        stack = self._stack(p)
        statuses = self._session.get_service_model("cloudformation").shape_for("StackStatus").enum
        assert stack["StackStatus"] in statuses, f"{stack['StackStatus']} is no stack status: {statuses}"
        described = {k: _at(v) if k.endswith("Time") else v for k, v in stack.items() if not k.startswith("_")}
        found = {"StackId": p["StackName"], "StackName": p["StackName"].split("/")[1], **described}
        return {"Stacks": [found]}

    def cloudformation_ListStackResources(self, p: dict[str, Any]) -> dict[str, Any]:
        """The stack's custom resources as its simulated deployment holds them now, the scenario's
        ``stack_resources_per_page`` at a time (CloudFormation's own page is 100)."""
        stack = self._stack(p)
        summaries = [{**r, "LastUpdatedTimestamp": EPOCH} for r in stack.get("_resources", {}).values()]
        size, start = self.scenario.get("stack_resources_per_page", 100), int(p.get("NextToken", "0"))
        page = {"StackResourceSummaries": summaries[start : start + size]}
        return page | ({"NextToken": str(start + size)} if start + size < len(summaries) else {})

    def _stack(self, p: dict[str, Any]) -> dict[str, Any]:
        """The stack the request's ``StackName`` (a stack id) names, as its simulated deployment holds it."""
        stack: dict[str, Any] | None = self.state["stacks"].get(p.get("StackName", ""))
        if stack is None:
            raise ServiceError("ValidationError", f"Stack with id {p.get('StackName')} does not exist")
        return stack

    def stepfunctions_StartExecution(self, p: dict[str, Any]) -> dict[str, Any]:
        if p["name"] in self.state["executions"]:
            raise ServiceError("ExecutionAlreadyExists", f"execution {p['name']} already exists")
        self.state["executions"][p["name"]] = {
            "stateMachineArn": p["stateMachineArn"],
            "input": p["input"],
            "done": False,
        }
        return {"executionArn": f"{p['stateMachineArn']}:{p['name']}", "startDate": EPOCH}

    def s3_ListObjectsV2(self, p: dict[str, Any]) -> dict[str, Any]:
        contents = [
            {"Key": key.split("/", 1)[1], "LastModified": EPOCH + dt.timedelta(hours=1), "Size": 1, "ETag": '"x"'}
            for key in sorted(self.state.get("objects", {}))
            if key.startswith(f"{p['Bucket']}/{p.get('Prefix', '')}")
        ]
        return {"Contents": contents, "IsTruncated": False, "KeyCount": len(contents), "Name": p["Bucket"]}

    def s3_GetObject(self, p: dict[str, Any]) -> dict[str, Any]:
        path = self.state.get("objects", {}).get(f"{p['Bucket']}/{p['Key']}")
        if path is None:
            raise ServiceError("NoSuchKey", f"{p['Key']} does not exist", 404)
        body = Path(path).read_bytes()
        return {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentLength": len(body)}

    def ssm_GetParameter(self, p: dict[str, Any]) -> dict[str, Any]:
        value = self.state["parameters"].get(p["Name"])
        if value is None:
            raise ServiceError("ParameterNotFound", f"{p['Name']} does not exist")
        return {"Parameter": {"Name": p["Name"], "Type": "String", "Value": value, "Version": 1}}

    def ssm_PutParameter(self, p: dict[str, Any]) -> dict[str, Any]:
        self.state["parameters"][p["Name"]] = p["Value"]
        return {"Version": 1}

    def ssm_DeleteParameter(self, p: dict[str, Any]) -> dict[str, Any]:
        self.state["parameters"].pop(p["Name"], None)
        return {}

    def ssm_DeleteParameters(self, p: dict[str, Any]) -> dict[str, Any]:
        deleted = [name for name in p["Names"] if self.state["parameters"].pop(name, None) is not None]
        return {"DeletedParameters": deleted, "InvalidParameters": [n for n in p["Names"] if n not in deleted]}

    def cloudwatch_PutMetricData(self, p: dict[str, Any]) -> dict[str, Any]:
        self.state["metrics"].append(p)
        return {}


_RESOURCE = {"recommendation": "ai-recommendation-job", "benchmark": "ai-benchmark-job"}


def _at(seconds: int) -> dt.datetime:
    """A time on the fake's clock."""
    return EPOCH + dt.timedelta(seconds=seconds)


def _plain(value: Any) -> Any:
    """Request parameters as JSON (botocore hands streaming bodies and datetimes in some operations)."""
    return json.loads(json.dumps(value, default=str))
