"""Print a short, readable summary of a synthesized cloud assembly (used by ``./dev synth``).

Usage: python scripts/summarize.py cdk.out
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

CAPACITY_LABEL = re.compile(r"^(?P<type>\S+) \(max (?P<max>.+?) concurrent\)")


def main(assembly: str) -> int:
    root = Path(assembly)
    manifest = json.loads((root / "manifest.json").read_text())
    stacks = {
        name: artifact
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    print(
        f"Synthesized {len(stacks)} stack(s) into {root}/ (cdk-nag AwsSolutions and NIST 800-53 R5: no open findings)"
    )
    for name, artifact in stacks.items():
        template = json.loads((root / artifact["properties"]["templateFile"]).read_text())
        print()
        print(summarize_stack(name, template))
    return 0


def summarize_stack(name: str, template: dict[str, Any]) -> str:
    resources: dict[str, Any] = template.get("Resources", {})
    lines = [f"{name}: {len(resources)} resources, {len(json.dumps(template)):,} template bytes"]
    for job in _of_type(resources, "Custom::AIRecommendationJob"):
        lines += _job_lines(job)
    for resolution in _of_type(resources, "Custom::RecommendedModels"):
        props = resolution["Properties"]
        source = (
            f"job {_text(props['JobName'])}"
            if "JobName" in props
            else f"the approved packages shared by {_text(props['ModelPackageGroupArn'])}"
        )
        hosting = (
            "on inference components" if props.get("Hosting") == "inference-components" else "one model per instance"
        )
        approval = "approving what it resolves" if props.get("Approval") == "approve" else "only Approved packages"
        lines.append(
            f"  Resolves {source} into one model per pool "
            f"({', '.join(props['InstanceTypes'])}; {props['Order']} order), hosted {hosting}, {approval}"
        )
    for endpoint in _of_type(resources, "AWS::SageMaker::Endpoint"):
        lines += _endpoint_lines(resources, endpoint)
    for benchmark in _of_type(resources, "Custom::AIBenchmarkJob"):
        lines += _benchmark_lines(resources, benchmark)
    for pipeline in _of_type(resources, "AWS::CodePipeline::Pipeline"):
        stages = [stage["Name"] for stage in pipeline["Properties"]["Stages"]]
        lines.append(f"  Pipeline stages: {' -> '.join(stages)} (a failed stage stops promotion)")
    return "\n".join(lines)


def _benchmark_lines(resources: dict[str, Any], benchmark: dict[str, Any]) -> list[str]:
    props = benchmark["Properties"]
    request = props["Request"]
    target = _text(request["BenchmarkTarget"]["Endpoint"]["Identifier"])
    lines = [f"  Benchmark job {request['AIBenchmarkJobName']} against {target} (AIPerf), after every endpoint change"]
    results = [
        r
        for r in _of_type(resources, "Custom::AIBenchmarkResults")
        if r["Properties"]["JobName"] == request["AIBenchmarkJobName"]
    ]
    gates = [t for r in results for t in r["Properties"].get("Thresholds", [])]
    if gates:
        bounds = ", ".join(f"{t['Metric']} {'<=' if t['AtMost'] else '>='} {t['Limit']:g}" for t in gates)
        lines.append(f"    gate (a breach rolls the deployment back): {bounds}")
    return lines


def _job_lines(job: dict[str, Any]) -> list[str]:
    props = job["Properties"]
    request = props["Request"]
    goal = request["PerformanceTarget"]["Constraints"][0]["Metric"]
    types = ", ".join(request.get("ComputeSpec", {}).get("InstanceTypes", [])) or "chosen by the service"
    wait = props.get("Wait")
    if wait:
        hours, minutes = wait["TimeoutSeconds"] // 3600, wait["PollSeconds"] // 60
        waits = f"the deployment waits up to {hours} h for it (checks every {minutes} min)"
    else:
        waits = "the deployment starts it and moves on"
    return [
        f"  Recommendation job {request['AIRecommendationJobName']}: goal {goal} over {types}",
        f"    {waits}",
    ]


def _endpoint_lines(resources: dict[str, Any], endpoint: dict[str, Any]) -> list[str]:
    props = endpoint["Properties"]
    config = resources[props["EndpointConfigName"]["Fn::GetAtt"][0]]["Properties"]
    variant = config["ProductionVariants"][0]
    routing = variant.get("RoutingConfig", {}).get("RoutingStrategy", "RANDOM (service default)")
    timeout = variant.get("VariantInstanceProvisionTimeoutInSeconds")
    lines = [
        f"  Endpoint {_text(props.get('EndpointName'))}, variant {variant['VariantName']}, routing {routing}"
        + (f", capacity search up to {timeout} s" if timeout else ""),
    ]
    policy = _scaling_policy(resources)
    capacities = _capacities(policy)
    component = next(
        (
            c
            for c in _of_type(resources, "AWS::SageMaker::InferenceComponent")
            if c["Properties"]["EndpointName"] == props.get("EndpointName")
        ),
        None,
    )
    unit = "copy" if component else "instance"
    if component is not None:
        specs = component["Properties"].get("Specifications") or [component["Properties"].get("Specification", {})]
        needs = specs[0].get("ComputeResourceRequirements", {})
        lines.append(
            f"  Inference component: {_text(component['Properties']['RuntimeConfig']['CopyCount'])} copies at first; "
            f"each copy {_text(needs.get('NumberOfAcceleratorDevicesRequired', 'no'))} accelerator(s), "
            f"{_text(needs.get('MinMemoryRequiredInMb'))} MiB (first pool)"
        )
    lines.append(f"  Instance pools (priority, type, concurrency one {unit} sustains; <...> resolves at deploy time):")
    for pool in sorted(variant.get("InstancePools", []), key=lambda p: p["Priority"]):
        instance_type = _text(pool["InstanceType"])
        capacity = capacities.get(instance_type, "not set")
        lines.append(f"    {pool['Priority']}  {instance_type:<18} max {capacity}")
    if policy is not None:
        target = _scalable_target(resources, policy)
        tracking = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        expression = next(
            m["Expression"] for m in tracking["CustomizedMetricSpecification"]["Metrics"] if m.get("ReturnData")
        )
        lines.append(
            f"  Scaling: {target['MinCapacity']}-{target['MaxCapacity']} {'copies' if component else 'instances'}, "
            f"target weighted utilization {tracking['TargetValue']}"
        )
        lines.append(f"    {_text(expression)}")
    deployment = (component["Properties"] if component else props).get("DeploymentConfig")
    lines += _deployment_lines(resources, deployment)
    return lines


def _deployment_lines(resources: dict[str, Any], deployment: dict[str, Any] | None) -> list[str]:
    if not deployment:
        return ["  Deployment: SageMaker default (blue/green, all at once), no rollback alarms"]
    if "RollingUpdatePolicy" in deployment:
        rolling = deployment["RollingUpdatePolicy"]
        size = rolling["MaximumBatchSize"]
        bake = rolling["WaitIntervalInSeconds"]
        kind = f"rolling, batches of {size['Value']} {_unit(size['Type'])}, bake {bake} s"
    elif "BlueGreenUpdatePolicy" in deployment:
        routing = deployment["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
        kind = f"blue/green {routing['Type'].lower()}, bake {routing.get('WaitIntervalInSeconds', 0)} s"
    else:
        kind = "SageMaker default (blue/green, all at once)"
    alarms = deployment.get("AutoRollbackConfiguration", {}).get("Alarms", [])
    lines = [f"  Deployment: {kind}; rolls back on {len(alarms)} alarm(s):"]
    for alarm in alarms:
        ref = alarm["AlarmName"]
        alarm_props = resources.get(ref.get("Ref", ""), {}).get("Properties", {}) if isinstance(ref, dict) else {}
        lines.append(f"    - {alarm_props.get('AlarmDescription', _text(ref))}")
    return lines


def _scaling_policy(resources: dict[str, Any]) -> dict[str, Any] | None:
    return next(iter(_of_type(resources, "AWS::ApplicationAutoScaling::ScalingPolicy")), None)


def _scalable_target(resources: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    return resources[policy["Properties"]["ScalingTargetId"]["Ref"]]["Properties"]


def _capacities(policy: dict[str, Any] | None) -> dict[str, str]:
    if policy is None:
        return {}
    metrics = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
    found = {}
    for metric in metrics["Metrics"]:
        match = CAPACITY_LABEL.match(_text(metric.get("Label", "")))
        if match:
            found[match["type"]] = match["max"]
    return found


def _of_type(resources: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources.values() if r.get("Type") == kind]


def _unit(kind: str) -> str:
    return {"CAPACITY_PERCENT": "%", "INSTANCE_COUNT": "instance(s)", "COPY_COUNT": "copies"}.get(kind, kind)


def _text(value: Any) -> str:
    """A template value as a reader sees it; deploy-time parts are named after what they read."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{value['Fn::GetAtt'][1]}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_text(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    return "<resolved at deploy time>"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "cdk.out"))
