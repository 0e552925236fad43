"""What a template's resource refers to: the resources its properties name (``Ref``, ``Fn::GetAtt``,
``Fn::Sub``) and those its ``DependsOn`` lists; and the policies that refer to a role to attach to it."""

from __future__ import annotations

from typing import Any


def references(resource: dict[str, Any], resources: dict[str, Any]) -> set[str]:
    found = set(
        resource.get("DependsOn", [])
        if isinstance(resource.get("DependsOn"), list)
        else [resource["DependsOn"]]
        if "DependsOn" in resource
        else []
    )

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "Ref" in value and value["Ref"] in resources:
                found.add(value["Ref"])
            if "Fn::GetAtt" in value:
                target = value["Fn::GetAtt"]
                found.add(target[0] if isinstance(target, list) else target.split(".", 1)[0])
            if "Fn::Sub" in value:
                text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
                for name in _sub_names(text):
                    if name.split(".", 1)[0] in resources:
                        found.add(name.split(".", 1)[0])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(resource.get("Properties", {}))
    return {name for name in found if name in resources}


POLICY_ROLES = {"AWS::IAM::Policy": "Roles", "AWS::IAM::ManagedPolicy": "Roles", "AWS::IAM::RolePolicy": "RoleName"}
"""The policy types a template defines itself, and the property that names the roles each attaches to."""


def policies_of_roles(resources: dict[str, Any]) -> dict[str, set[str]]:
    """Role logical id -> the template's policies attached to it: by their own ``Roles`` (``RoleName`` for
    an ``AWS::IAM::RolePolicy``), or by the role's ``ManagedPolicyArns``."""
    policies: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] in POLICY_ROLES:
            named = props.get(POLICY_ROLES[resource["Type"]], [])
            for role in named if isinstance(named, list) else [named]:
                if isinstance(role, dict) and role.get("Ref") in resources:
                    policies.setdefault(role["Ref"], set()).add(logical_id)
        elif resource["Type"] == "AWS::IAM::Role":
            for arn in props.get("ManagedPolicyArns", []):
                if isinstance(arn, dict) and arn.get("Ref") in resources:
                    policies.setdefault(logical_id, set()).add(arn["Ref"])
    return policies


def _sub_names(text: str) -> list[str]:
    names, start = [], 0
    while (begin := text.find("${", start)) != -1:
        end = text.find("}", begin)
        names.append(text[begin + 2 : end])
        start = end + 1
    return names
