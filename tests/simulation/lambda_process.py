"""The simulated Lambda: one process that runs the handler from its asset (the asset first on the import
path, no site-packages, as Lambda orders them) against the fake services, and deploys the stack through the
CloudFormation simulation (and, between its steps, other stacks of the same account: ``op`` ``other``). Run by
``harness.simulate``; reads a plan, writes a report (both JSON).

Usage: python -S -B lambda_process.py PLAN REPORT
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any


def main(plan_path: str, report_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text())
    sys.path[:0] = [plan["asset"], str(Path(__file__).parent)]  # the function's code, then the simulation's
    import ai_jobs_handler  # from the asset
    import aws_calls
    import boto3
    import botocore
    from cloudformation import Deployment, DeploymentFailed
    from fake_aws import FakeAws
    from intrinsics import Environment

    state: dict[str, Any] = {**(plan.get("state") or {}), "calls": []}  # what earlier deployments left
    environment = plan["environment"]
    fake = FakeAws(state, plan["scenario"], account=environment["account"], region=environment["region"])
    boto3.client = lambda service, **_: fake.client(service)  # the handler builds its own clients, as in Lambda
    aws_calls.backoff = lambda seconds: None  # retries of injected faults: the fake's clock is its call count
    signals: dict[str, str] = {}
    ai_jobs_handler._put = lambda url, body: signals.__setitem__(url, body.decode())

    def invoke(entry: str, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = getattr(ai_jobs_handler, entry)(json.loads(json.dumps(event)), None)
        return result

    env = Environment(**plan["environment"])
    deployment = Deployment(
        json.loads(Path(plan["template"]).read_text()),
        env,
        invoke,
        waiters=lambda: list(state["executions"].values()),
        signals=signals,
        statuses=state["stacks"],
        clock=lambda: len(state["calls"]),
        permissions=state.setdefault("permissions", []),
    )
    others: dict[str, Any] = {}  # other stacks of the account, deployed between this one's steps

    def other(step: dict[str, Any]) -> None:
        template = json.loads(Path(step["template"]).read_text()) if "template" in step else None
        if step["action"] == "create":
            stack_env = Environment(**{**plan["environment"], "stack_name": step["stack"]})
            others[step["stack"]] = Deployment(
                template,
                stack_env,
                invoke,
                deployment.waiters,
                signals,
                statuses=state["stacks"],
                clock=deployment.clock,
                permissions=deployment.permissions,
            )
            others[step["stack"]].create()
        elif step["action"] == "update":
            others[step["stack"]].update(template)
        else:
            others[step["stack"]].delete()

    steps: list[dict[str, Any]] = []
    for step in plan["steps"]:
        outcome: dict[str, Any] = {"op": step["op"]}
        try:
            if step["op"] == "create":
                deployment.create(retry=tuple(step.get("retry", ())))
            elif step["op"] == "update":
                deployment.update(json.loads(Path(step["template"]).read_text()))
            elif step["op"] == "delete":
                deployment.delete()
            elif step["op"] == "other":
                other(step)
            outcome["failed"] = None
        except DeploymentFailed as failure:
            outcome["failed"] = str(failure)
        outcome.update(
            refs=dict(env.refs),
            attributes={k: dict(v) for k, v in env.attributes.items()},
            events=list(deployment.events),
            state=json.loads(json.dumps(state, default=str)),
        )
        steps.append(outcome)
        if outcome["failed"] and not step.get("may_fail"):  # a step that may fail leaves a rolled-back stack
            break
    report = {
        "steps": steps,
        "sdk": {"boto3": boto3.__version__, "botocore": botocore.__version__, "from": botocore.__file__},
    }
    Path(report_path).write_text(json.dumps(report, default=str))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(*sys.argv[1:]))
    except Exception:
        traceback.print_exc()
        sys.exit(2)
