"""A stack deployed the way CloudFormation deploys it, minus AWS: resources in dependency order, every custom
resource's handler called with the event the provider framework sends (every property a string, as
CloudFormation passes them; isComplete until complete), each wait condition held until its waiter's state
machine signals it, updates that replace followed by the old resource's delete, deletes in reverse order
(none for a resource its DeletionPolicy, or after a replacement its UpdateReplacePolicy, retains), and a
failed create rolled back. The stack's status at each phase is what DescribeStacks answers, and ``permissions``
records when each IAM resource took which definition, so that each call can be checked against the policies
that existed when it was made.

Standard library only: it runs inside the simulated Lambda beside the handler it calls.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from intrinsics import Environment, resolve
from references import references

OUR_TYPES = (
    "Custom::AIRecommendationJob",
    "Custom::AIBenchmarkJob",
    "Custom::RecommendedModels",
    "Custom::AIBenchmarkResults",
    "Custom::ScalingRangeCheck",
    "Custom::ModelPackageGroup",
)
"""The custom resources the library's provider serves."""
NAME_PROPERTIES = (
    "EndpointName",
    "EndpointConfigName",
    "ModelName",
    "InferenceComponentName",
    "AlarmName",
    "AIWorkloadConfigName",
    "ModelPackageGroupName",
    "RoleName",
    "FunctionName",
    "StateMachineName",
    "BucketName",
    "PolicyName",
)
"""Properties that, when literal, are a resource's physical name (its Ref)."""
IAM_TYPES = ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy")
"""The resources whose definitions make up what a role may do."""


class DeploymentFailed(Exception):
    """What the stack events would show: the resource and the reason."""


Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]
"""Call a handler entry point (``on_event``, ``is_complete``, ``poll``) with an event."""


@dataclass
class Deployment:
    """One stack's deployment. ``invoke`` runs the handler; ``waiters`` are the started executions and
    ``signals`` what was sent to wait-condition handles (both filled by the fake services and the handler)."""

    template: dict[str, Any]
    env: Environment
    invoke: Invoke
    waiters: Callable[[], list[dict[str, Any]]]
    signals: dict[str, str]
    events: list[dict[str, Any]] = field(default_factory=list)
    physical: dict[str, str] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each stack's ``StackStatus``, ``CreationTime`` and ``LastUpdatedTime`` (the start of its last update)
    by stack id, as DescribeStacks reads them, and its custom resources as ListStackResources reads them
    (``_resources``; the fake services' state; times on ``clock``)."""
    clock: Callable[[], int] = lambda: 0
    """The fake services' clock: seconds since their epoch."""
    handles: int = 0
    """Wait-condition handles created so far."""
    permissions: list[dict[str, Any]] = field(default_factory=list)
    """Each definition an IAM resource of the stack took, in order: ``{"stack", "at", "id", "resource"}``, where
    ``at`` is the ``clock`` (calls made so far) and ``resource`` None once it is deleted."""

    @property
    def stack_id(self) -> str:
        return str(self.env.pseudo("AWS::StackId"))

    def _status(self, status: str) -> None:
        """Enter ``status``; ``_phases`` keeps when (on ``clock``) each status of the current operation began."""
        if status == "CREATE_IN_PROGRESS":
            self.statuses[self.stack_id] = {"CreationTime": self.clock()}
        if status == "UPDATE_IN_PROGRESS":
            self.statuses[self.stack_id]["LastUpdatedTime"] = self.clock()
        stack = self.statuses[self.stack_id]
        if status in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS"):  # an operation begins
            stack["_phases"] = {}
        stack["StackStatus"] = status
        stack.setdefault("_phases", {})[status] = self.clock()

    # ------------------------------------------------------------------------------------ operations

    def create(self, *, retry: tuple[str, ...] = ()) -> None:
        """Create every resource; a resource in ``retry`` gets its Create twice (a retried Create). A failure
        rolls the stack back (``_roll_back_create``) and is raised with what the rollback came to."""
        created: list[str] = []
        self._status("CREATE_IN_PROGRESS")
        try:
            for logical_id in dependency_order(self.template["Resources"]):
                self._create(logical_id, retries=2 if logical_id in retry else 1)
                created.append(logical_id)
        except DeploymentFailed as failure:
            self._status("ROLLBACK_IN_PROGRESS")
            outcome = self._roll_back_create(created)
            self._status(outcome.split(":")[0])
            raise DeploymentFailed(f"{failure}; {outcome}") from failure
        self._status("CREATE_COMPLETE")

    def _roll_back_create(self, created: list[str]) -> str:
        """What CloudFormation does after a failed create: delete what it created, dependents first, but what
        its DeletionPolicy retains. The resource whose Create failed gets no Delete (the provider framework
        answers a failed Create with a marker physical id and drops its Delete). The stack then holds nothing;
        the refs stay for the step's report (what its calls were allowed), and a new create sets each again."""
        try:
            for logical_id in reversed(created):
                resource = self.template["Resources"][logical_id]
                self._forget(logical_id, resource)
                if _deletes(resource) and logical_id in self.physical:
                    self._custom(
                        "Delete", logical_id, resource, self.properties[logical_id], physical=self.physical[logical_id]
                    )
        except DeploymentFailed as failure:
            return f"ROLLBACK_FAILED: {failure}"
        finally:
            self.physical.clear()
            self.properties.clear()
            self._listed().clear()
        return "ROLLBACK_COMPLETE"

    def update(self, template: dict[str, Any]) -> None:
        """Deploy ``template`` over the current one: changed custom resources get an Update; a new physical
        id is a replacement, and the old resource is deleted once every resource is updated. A failure rolls
        the stack back (``_roll_back``) and is raised with what the rollback came to."""
        old_template, self.template = self.template, template
        before = (dict(self.physical), dict(self.properties), dict(self.env.refs), dict(self.env.attributes))
        done: list[tuple[str, str, dict[str, Any]]] = []  # (logical id, what happened, the properties sent)
        self._status("UPDATE_IN_PROGRESS")
        try:
            for logical_id in dependency_order(template["Resources"]):
                resource = template["Resources"][logical_id]
                if logical_id not in old_template["Resources"]:
                    self._create(logical_id)
                    done.append((logical_id, "created", self.properties.get(logical_id, {})))
                    continue
                if resource["Type"] not in OUR_TYPES:
                    self._define(logical_id, resource)
                    if resource != old_template["Resources"][logical_id]:
                        done.append((logical_id, "redefined", old_template["Resources"][logical_id]))
                    continue
                new_props = self._strings(logical_id, resource)
                old_props = self.properties[logical_id]
                if new_props == old_props:
                    continue
                old_physical = self.physical[logical_id]
                try:
                    result = self._custom(
                        "Update", logical_id, resource, new_props, old_props=old_props, physical=old_physical
                    )
                except DeploymentFailed:
                    done.append((logical_id, "updated", new_props))  # rolled back as one updated in place
                    raise
                replaced = result["PhysicalResourceId"] != old_physical
                done.append((logical_id, "replaced" if replaced else "updated", new_props))
        except DeploymentFailed as failure:
            self.template = old_template
            self._status("UPDATE_ROLLBACK_IN_PROGRESS")
            outcome = self._roll_back(template, done, before)
            self._status(outcome.split(":")[0])
            raise DeploymentFailed(f"{failure}; {outcome}") from failure
        self._status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        for logical_id, what, _ in done:
            if what == "replaced" and _deletes(old_template["Resources"][logical_id], "UpdateReplacePolicy"):
                old_resource = old_template["Resources"][logical_id]
                self._custom("Delete", logical_id, old_resource, before[1][logical_id], physical=before[0][logical_id])
        for logical_id in reversed(dependency_order(old_template["Resources"])):
            if logical_id not in template["Resources"]:
                self._forget(logical_id, old_template["Resources"][logical_id])
            if logical_id not in template["Resources"] and _deletes(old_template["Resources"][logical_id]):
                self._custom(
                    "Delete",
                    logical_id,
                    old_template["Resources"][logical_id],
                    self.properties[logical_id],
                    physical=self.physical[logical_id],
                )
        self._status("UPDATE_COMPLETE")

    def _roll_back(
        self,
        new_template: dict[str, Any],
        done: list[tuple[str, str, dict[str, Any]]],
        before: tuple[dict[str, Any], ...],
    ) -> str:
        """What CloudFormation does after a failed update, deploying the old template again: each resource
        updated in place (or whose update failed) gets an Update back to its old properties, and each native
        resource its old definition, in dependency order; then, in the cleanup, each replacement and each new
        resource is deleted, dependents first. A replaced resource's old physical resource is kept as it was,
        attributes included."""
        physical, properties, refs, attributes = before
        try:
            for logical_id, what, props in done:
                if what == "redefined":
                    self._define(logical_id, props)
                if what == "updated":
                    resource, old = new_template["Resources"][logical_id], properties[logical_id]
                    self._custom("Update", logical_id, resource, old, old_props=props, physical=physical[logical_id])
            self._status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
            for logical_id, what, props in reversed(done):
                resource = new_template["Resources"][logical_id]
                if what == "created":
                    self._forget(logical_id, resource)
                if what in ("created", "replaced") and _deletes(resource) and logical_id in self.physical:
                    self._custom("Delete", logical_id, resource, props, physical=self.physical[logical_id])
        except DeploymentFailed as failure:
            return f"UPDATE_ROLLBACK_FAILED: {failure}"
        rolled_back = {logical_id for logical_id, what, _ in done if what == "updated"}
        for logical_id, what, _ in done:
            if what == "replaced":
                self.physical[logical_id], self.properties[logical_id] = physical[logical_id], properties[logical_id]
                self._list(logical_id, new_template["Resources"][logical_id], "UPDATE_COMPLETE", physical[logical_id])
        for logical_id in refs.keys() - rolled_back:  # every other resource as it was, attributes included
            self.env.refs[logical_id] = refs[logical_id]
            if logical_id in attributes:
                self.env.attributes[logical_id] = attributes[logical_id]
        return "UPDATE_ROLLBACK_COMPLETE"

    def delete(self) -> None:
        """Delete every custom resource, dependents first (none that its DeletionPolicy retains)."""
        self._status("DELETE_IN_PROGRESS")
        for logical_id in reversed(dependency_order(self.template["Resources"])):
            resource = self.template["Resources"][logical_id]
            self._forget(logical_id, resource)
            if _deletes(resource) and logical_id in self.physical:
                self._custom(
                    "Delete", logical_id, resource, self.properties[logical_id], physical=self.physical[logical_id]
                )
        self._status("DELETE_COMPLETE")

    # ------------------------------------------------------------------------------------ resources

    def _create(self, logical_id: str, retries: int = 1) -> None:
        resource = self.template["Resources"][logical_id]
        kind = resource["Type"]
        if kind in OUR_TYPES:
            props = self._strings(logical_id, resource)
            for _ in range(retries):
                self._custom("Create", logical_id, resource, props)
        elif kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource":
            raise DeploymentFailed(f"{logical_id}: {kind} is not a resource the simulation knows how to create")
        elif kind == "AWS::CloudFormation::WaitConditionHandle":
            # Presigned anew for each handle CloudFormation creates, so a handle recreated under the same logical
            # id (a retried update) is another URL.
            self.handles += 1
            host = f"https://cloudformation-waitcondition-{self.env.region}.s3.amazonaws.com"
            self.env.refs[logical_id] = (
                f"{host}/{self.env.stack_name}/{logical_id}?Expires={self.handles}&sig=simulated"
            )
        elif kind == "AWS::CloudFormation::WaitCondition":
            self._wait(logical_id, resource)
        else:
            self._define(logical_id, resource)

    def _define(self, logical_id: str, resource: dict[str, Any]) -> None:
        """A native resource: its Ref (its literal name, or a generated one) and the attributes others read."""
        props = resolve(resource.get("Properties", {}), self._lenient())
        name = next((props[p] for p in NAME_PROPERTIES if isinstance(props.get(p), str) and "<" not in props[p]), None)
        physical = name or f"{self.env.stack_name}-{logical_id}-sim"
        self.env.refs[logical_id] = physical
        self.env.attributes[logical_id] = _attributes(resource["Type"], physical, self.env)
        if resource["Type"] in IAM_TYPES:
            self._permit(logical_id, resource)

    def _forget(self, logical_id: str, resource: dict[str, Any]) -> None:
        """A native resource deleted: an IAM resource's permissions end here."""
        if resource["Type"] in IAM_TYPES:
            self._permit(logical_id, None)

    def _permit(self, logical_id: str, resource: dict[str, Any] | None) -> None:
        entry = {"stack": self.stack_id, "at": self.clock(), "id": logical_id, "resource": resource}
        self.permissions.append(entry)

    def _custom(
        self,
        request_type: str,
        logical_id: str,
        resource: dict[str, Any],
        props: dict[str, Any],
        *,
        old_props: dict[str, Any] | None = None,
        physical: str | None = None,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": props.get("ServiceToken", ""),
            "ResponseURL": "https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com/simulated",
            "StackId": self.stack_id,
            "RequestId": f"{logical_id}-{request_type}-{len(self.events)}",
            "LogicalResourceId": logical_id,
            "ResourceType": resource["Type"],
            "ResourceProperties": props,
        }
        if physical is not None:
            event["PhysicalResourceId"] = physical
        if old_props is not None:
            event["OldResourceProperties"] = old_props
        listed = self._listed().get(logical_id, {})
        if request_type == "Create":
            self._list(logical_id, resource, "CREATE_IN_PROGRESS")
        if request_type == "Delete" and listed.get("PhysicalResourceId") == physical:  # not a replacement's old one
            self._list(logical_id, resource, "DELETE_IN_PROGRESS", physical)
        try:
            result = self.invoke("on_event", event)
            result.setdefault("PhysicalResourceId", physical or event["RequestId"])
            for _ in range(50):  # the provider framework's isComplete loop
                completion = self.invoke("is_complete", {**event, **result})
                if completion.get("IsComplete"):
                    result = {**result, "Data": {**result.get("Data", {}), **completion.get("Data", {})}}
                    break
            else:
                raise DeploymentFailed(f"{logical_id}: {request_type} never completed")
        except DeploymentFailed:
            raise
        except Exception as error:  # the handler's failure is the stack event's reason
            if request_type != "Delete":
                self._list(logical_id, resource, f"{request_type.upper()}_FAILED", listed.get("PhysicalResourceId"))
            self.events.append(
                {"resource": logical_id, "request": request_type, "failed": f"{type(error).__name__}: {error}"}
            )
            raise DeploymentFailed(f"{logical_id} {request_type} failed: {error}") from error
        self.events.append({"resource": logical_id, "request": request_type, "physical": result["PhysicalResourceId"]})
        if request_type == "Delete" and self._listed().get(logical_id, {}).get("PhysicalResourceId") == physical:
            del self._listed()[logical_id]
        if request_type != "Delete":
            self._list(logical_id, resource, f"{request_type.upper()}_COMPLETE", result["PhysicalResourceId"])
            self.physical[logical_id] = result["PhysicalResourceId"]
            self.properties[logical_id] = props
            self.env.refs[logical_id] = result["PhysicalResourceId"]
            self.env.attributes[logical_id] = dict(result.get("Data", {}))
        return result

    def _listed(self) -> dict[str, dict[str, Any]]:
        """The stack's custom resources by logical id, as ListStackResources summarizes them."""
        return self.statuses.setdefault(self.stack_id, {}).setdefault("_resources", {})

    def _list(self, logical_id: str, resource: dict[str, Any], status: str, physical: str | None = None) -> None:
        summary = {"LogicalResourceId": logical_id, "ResourceType": resource["Type"], "ResourceStatus": status}
        self._listed()[logical_id] = {**summary, **({"PhysicalResourceId": physical} if physical else {})}

    def _wait(self, logical_id: str, resource: dict[str, Any]) -> None:
        """Run the waiter executions started for this handle (the state machine: poll, wait, poll ... until
        done; a poll that fails is reported through the same function), then read the signal."""
        url = resolve(resource["Properties"]["Handle"], self.env)
        for execution in self.waiters():
            payload = json.loads(execution["input"])
            if payload["HandleUrl"] != url or execution.get("done"):
                continue
            for _ in range(100):
                try:
                    payload = self.invoke("poll", payload)
                except Exception as error:  # the state machine's catch: signal the failure
                    self.invoke("poll", {**payload, "Error": {"Error": type(error).__name__, "Cause": str(error)}})
                    break
                if payload.get("Done"):
                    break
            execution["done"] = True
        signal = self.signals.get(url)
        if signal is None:
            raise DeploymentFailed(f"{logical_id}: no signal reached the wait condition (it would time out)")
        body = json.loads(signal)
        self.events.append(
            {"resource": logical_id, "request": "Signal", "status": body["Status"], "reason": body["Reason"]}
        )
        if body["Status"] != "SUCCESS":
            raise DeploymentFailed(f"{logical_id} received a FAILURE signal: {body['Reason']}")
        self.env.refs[logical_id] = f"{logical_id}-sim"
        self.env.attributes[logical_id] = {"Data": json.dumps({body["UniqueId"]: body["Data"]})}

    # ------------------------------------------------------------------------------------ values

    def _strings(self, logical_id: str, resource: dict[str, Any]) -> dict[str, Any]:
        """The resource's properties as CloudFormation hands them to a custom resource: resolved, and every
        scalar a string."""
        return _as_strings(resolve(resource.get("Properties", {}), self.env))

    def _lenient(self) -> Environment:
        return replace(self.env, placeholders=True)  # the same refs and attributes


def dependency_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids so that each comes after what it references (Ref, GetAtt, Sub) or DependsOn names."""
    needs = {logical_id: references(resource, resources) for logical_id, resource in resources.items()}
    ordered: list[str] = []
    done: set[str] = set()

    def visit(logical_id: str, path: tuple[str, ...]) -> None:
        if logical_id in done:
            return
        if logical_id in path:
            raise DeploymentFailed(f"circular dependency: {' -> '.join((*path, logical_id))}")
        for other in sorted(needs[logical_id]):
            visit(other, (*path, logical_id))
        done.add(logical_id)
        ordered.append(logical_id)

    for logical_id in resources:
        visit(logical_id, ())
    return ordered


def _deletes(resource: dict[str, Any], policy: str = "DeletionPolicy") -> bool:
    """Whether CloudFormation sends a Delete for ``resource`` (one of ours, which ``policy`` does not retain)."""
    return resource["Type"] in OUR_TYPES and resource.get(policy, "Delete") != "Retain"


def _as_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_strings(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


ARN_FORMATS = {
    "AWS::IAM::Role": "arn:{partition}:iam::{account}:role/{name}",
    "AWS::Lambda::Function": "arn:{partition}:lambda:{region}:{account}:function:{name}",
    "AWS::CloudWatch::Alarm": "arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}",
    "AWS::StepFunctions::StateMachine": "arn:{partition}:states:{region}:{account}:stateMachine:{name}",
    "AWS::S3::Bucket": "arn:{partition}:s3:::{name}",
    "AWS::Logs::LogGroup": "arn:{partition}:logs:{region}:{account}:log-group:{name}:*",
    "AWS::KMS::Key": "arn:{partition}:kms:{region}:{account}:key/{name}",
}
"""ARNs that do not follow ``arn:<partition>:<service>:<region>:<account>:<type>/<name>``."""


def _attributes(kind: str, physical: str, env: Environment) -> dict[str, Any]:
    """The attributes of a native resource that templates of this library read."""
    _, service, type_name = kind.lower().split("::")
    default = f"arn:{{partition}}:{service}:{{region}}:{{account}}:{type_name}/{{name}}"
    arn = ARN_FORMATS.get(kind, default).format(
        partition=env.partition, region=env.region, account=env.account, name=physical
    )
    names = {f"{kind.split('::')[2]}Name": physical, "Name": physical}
    return {"Arn": arn, **names, "EndpointArn": arn, "ModelArn": arn, "AIWorkloadConfigArn": arn, "RoleId": physical}
