"""The test side of the deploy simulation: synthesize, run the simulated Lambda process, and read its report:
the template as deployed (every intrinsic resolved), the calls the handlers made, and the permissions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.iam import Request, allowed, requests_of_call
from simulation.intrinsics import Environment, resolve
from simulation.references import policies_of_roles

PROCESS = Path(__file__).with_name("lambda_process.py")


@dataclass
class Step:
    """What one step of the deployment left: the refs and attributes CloudFormation knows, the stack events,
    and the fake services' state (with every call made so far)."""

    op: str
    failed: str | None
    refs: dict[str, Any]
    attributes: dict[str, dict[str, Any]]
    events: list[dict[str, Any]]
    state: dict[str, Any]
    environment: dict[str, Any]

    def env(self, placeholders: bool = False) -> Environment:
        return Environment(**self.environment, refs=self.refs, attributes=self.attributes, placeholders=placeholders)

    def resolved(self, template: dict[str, Any]) -> dict[str, Any]:
        """The template as deployed: every property with its deploy-time values (native resources' attributes
        that no handler returns are placeholders such as ``<LogicalId.Arn>``)."""
        env = self.env(placeholders=True)
        return {
            **template,
            "Resources": {
                logical_id: {**resource, "Properties": resolve(resource.get("Properties", {}), env)}
                for logical_id, resource in template["Resources"].items()
            },
        }


@dataclass
class Simulation:
    template: dict[str, Any]
    steps: list[Step]
    sdk: dict[str, str]
    templates: list[dict[str, Any]]
    """The template each step left deployed (an update's is the new one)."""

    @property
    def last(self) -> Step:
        return self.steps[-1]

    def calls_of(self, index: int) -> list[dict[str, Any]]:
        """The calls the handlers made during step ``index``."""
        before = len(self.steps[index - 1].state["calls"]) if index else 0
        return list(self.steps[index].state["calls"][before:])


def asset_of(assembly: Path, template: dict[str, Any]) -> Path:
    """The directory of the handlers' asset the template's function runs (``cdk.out/asset.<hash>``)."""
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function" and props.get("Handler") == "ai_jobs_handler.on_event":
            return assembly / f"asset.{props['Code']['S3Key'].removesuffix('.zip')}"
    raise AssertionError("the template has no AI-job handler")


def simulate(
    assembly: Path,
    template_file: str,
    scenario: dict[str, Any],
    steps: list[dict[str, Any]],
    *,
    environment: dict[str, Any],
    workdir: Path,
    state: dict[str, Any] | None = None,
) -> Simulation:
    """Deploy ``template_file`` of the synthesized ``assembly`` through ``steps`` (create, update, delete;
    ``{"op": "other", "stack": ..., "action": ..., "template": ...}`` deploys another stack of the account
    in between; a step with ``"may_fail": True`` does not end the run), in a world where ``state`` (the fake services' state another simulation left) already exists."""
    template = json.loads((assembly / template_file).read_text())
    plan = {
        "asset": str(asset_of(assembly, template)),
        "template": str(assembly / template_file),
        "scenario": scenario,
        "steps": [{**s, "template": str(assembly / s["template"])} if "template" in s else s for s in steps],
        "environment": environment,
        "state": state or {},
    }
    plan_path, report_path = workdir / "plan.json", workdir / "report.json"
    plan_path.write_text(json.dumps(plan))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_"))}
    result = subprocess.run(
        [sys.executable, "-S", "-B", str(PROCESS), str(plan_path), str(report_path)],
        capture_output=True,
        text=True,
        env=clean,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(report_path.read_text())
    deployed, current = [], template
    for step in steps[: len(report["steps"])]:
        if "template" in step and step["op"] != "other":
            current = json.loads((assembly / step["template"]).read_text())
        deployed.append(current)
    return Simulation(
        template=template,
        steps=[Step(environment=environment, **s) for s in report["steps"]],
        sdk=report["sdk"],
        templates=deployed,
    )


def role_statements(template: dict[str, Any], step: Step, role_id: str) -> list[dict[str, Any]]:
    """``statements_of_role`` as ``step`` deployed them."""
    return statements_of_role(template["Resources"], role_id, step.env(placeholders=True))


def statements_of_role(resources: dict[str, Any], role_id: str, env: Environment) -> list[dict[str, Any]]:
    """Every statement the template's ``resources`` give role ``role_id`` (the policies attached to it, among
    them the managed policies CDK splits off a large role's policy, and its inline policies), resolved in
    ``env``."""
    statements: list[dict[str, Any]] = []
    for policy_id in sorted(policies_of_roles(resources).get(role_id, set())):
        statements += resolve(resources[policy_id]["Properties"]["PolicyDocument"], env)["Statement"]
    for policy in resources[role_id]["Properties"].get("Policies", []):
        statements += resolve(policy["PolicyDocument"], env)["Statement"]
    return statements


def handler_role(template: dict[str, Any]) -> str:
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function" and props.get("Handler") == "ai_jobs_handler.on_event":
            return str(props["Role"]["Fn::GetAtt"][0])
    raise AssertionError("the template has no AI-job handler")


def denied_handler_calls(simulation: Simulation, index: int) -> list[str]:
    """The calls of step ``index`` (with the permissions they imply) that the statements the handler role had
    when each was made do not allow: the IAM resources of the stack as CloudFormation had defined them by
    then (``Deployment.permissions``), so an update's new policy, a rolled-back policy, and a policy deleted
    before the resource whose Delete needs it each count from the call after it changed."""
    env = simulation.steps[0].environment
    step = simulation.steps[index]
    role = handler_role(simulation.templates[index])
    stack_id = Environment(**env).pseudo("AWS::StackId")
    timeline = [entry for entry in step.state.get("permissions", []) if entry["stack"] == stack_id]
    first = len(simulation.steps[index - 1].state["calls"]) if index else 0
    denied, cache = [], {}
    for number, call in enumerate(simulation.calls_of(index), start=first):
        live: dict[str, Any] = {}
        for entry in timeline:
            if entry["at"] <= number:
                live[entry["id"]] = entry["resource"]
        resources = {k: v for k, v in live.items() if v is not None}
        key = json.dumps(resources, sort_keys=True)
        if key not in cache:
            cache[key] = statements_of_role(resources, role, step.env(placeholders=True)) if role in resources else []
        for request in requests_of_call(call, env.get("partition", "aws"), env["region"], env["account"]):
            if not allowed(cache[key], request):
                denied.append(f"{call['service']}:{call['operation']} needs {request}")
    return sorted(set(denied))


def denied(statements: list[dict[str, Any]], requests: list[Request]) -> list[str]:
    return [str(r) for r in requests if not allowed(statements, r)]
