"""Whether every resource that runs as a role waits for all of that role's permissions.

CloudFormation creates in parallel whatever nothing orders, and a role's permissions are separate
resources (``AWS::IAM::Policy``, ``AWS::IAM::ManagedPolicy``, ``AWS::IAM::RolePolicy``): a resource
created before one of them can be denied what that policy allows. CDK keeps a role's statements in its
``DefaultPolicy`` up to what IAM allows an inline policy and moves the rest into managed policies
(``OverflowPolicy1``...), so a dependency on the ``DefaultPolicy`` alone leaves a large role's later
statements unordered.

Checked are the resources whose creation or update uses a role while CloudFormation waits (``USES_ROLES``),
and the roles are those named in a property of ``ROLE_PROPERTIES`` (at any depth) of the resource or of a
resource it refers to: an endpoint uses its models' roles and its configuration's; a custom resource the
roles of the functions behind its service token, and the role it passes to a job it runs. (A CodeBuild
project or a pipeline uses its roles later, when it runs.)

A custom resource shares its provider's role with the provider's other custom resources, each of which
may keep statements in a policy of its own that it waits for, so that the policy outlives it: a policy
that one custom resource and nothing else waits for is that one's, and no other resource need wait for
it (one that reads the custom resource's attributes waits for it through them). The role's own policies,
which its functions wait for, stay everyone's.

A circular dependency is not reported here: ``lint`` runs cfn-lint first, whose E3004 names it.
"""

from __future__ import annotations

from typing import Any

from simulation.references import policies_of_roles, references

ROLE_PROPERTIES = frozenset({"Role", "RoleArn", "ExecutionRoleArn", "ServiceRole", "ServiceRoleArn"})
"""Properties that name the identity a resource (or the service acting for it) runs as."""
USES_ROLES = frozenset(
    {
        "AWS::SageMaker::Model",
        "AWS::SageMaker::Endpoint",
        "AWS::SageMaker::InferenceComponent",
        "AWS::CloudFormation::CustomResource",
    }
)
"""Besides every ``Custom::`` type. CreateModel reads the model data and image as its role; an endpoint and
an inference component pull, download and read their rollback alarms as theirs; a custom resource runs its
handler."""


def unwaited_policies(template: dict[str, Any]) -> list[str]:
    """One line per resource and role it runs as, naming the role's policies it does not wait for."""
    resources = template.get("Resources", {})
    policies = policies_of_roles(resources)
    if not policies:
        return []
    waits = {logical_id: references(resource, resources) for logical_id, resource in resources.items()}
    refers = {  # what the properties name, followed to find the roles a resource runs as (not IAM's own)
        logical_id: set() if resource["Type"].startswith("AWS::IAM::") else references(_properties(resource), resources)
        for logical_id, resource in resources.items()
    }
    runs_as = {
        logical_id: {r for r in _named_in_role_properties(resource.get("Properties", {}), resources) if r in policies}
        for logical_id, resource in resources.items()
        if not resource["Type"].startswith("AWS::IAM::")
    }
    custom = {logical_id for logical_id, resource in resources.items() if resource["Type"].startswith("Custom::")}
    owners = {policy: [r for r in resources if policy in waits[r]] for policy in set().union(*policies.values())}
    owned = {policy: by[0] for policy, by in owners.items() if len(by) == 1 and by[0] in custom}
    findings = []
    for logical_id, resource in resources.items():
        if resource["Type"] not in USES_ROLES and logical_id not in custom:
            continue
        roles = set().union(*(runs_as.get(r, set()) for r in {logical_id} | _closure(logical_id, refers)))
        waited = _closure(logical_id, waits)
        others = {policy for policy, owner in owned.items() if owner != logical_id}
        for role in sorted(roles):
            if missing := sorted(policies[role] - waited - others):
                findings.append(f"{logical_id} runs as {role} without waiting for {', '.join(missing)}")
    return findings


def _properties(resource: dict[str, Any]) -> dict[str, Any]:
    return {"Properties": resource.get("Properties", {})}


def _named_in_role_properties(value: Any, resources: dict[str, Any]) -> set[str]:
    """The resources that ``ROLE_PROPERTIES`` anywhere in ``value`` refer to."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ROLE_PROPERTIES:
                found |= references({"Properties": item}, resources)
            found |= _named_in_role_properties(item, resources)
    elif isinstance(value, list):
        for item in value:
            found |= _named_in_role_properties(item, resources)
    return found


def _closure(start: str, edges: dict[str, set[str]]) -> set[str]:
    """Every logical id reachable from ``start`` along ``edges`` (``start`` itself only on a cycle)."""
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(edges.get(current, ()))
    return seen
