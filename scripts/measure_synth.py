"""Measure what the library costs a stack: resources, template bytes and synth time for 1, 10 and 25
instance-pool endpoints (plus one recommendation job, so the shared provider is counted once), and
the library's synth overhead against the same template loaded with ``CfnInclude``.

Usage: .venv/bin/python scripts/measure_synth.py [--counts 1 10 25]
(Node 24 must be first on PATH, as ./dev arranges: ``./dev`` shell or ``PATH=... python ...``.)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import cloudformation_include as cfn_inc

from cdk_genai_inference import (
    DeploymentPolicy,
    InstancePool,
    InstancePoolEndpoint,
    Model,
    RecommendationGoal,
    RecommendationJob,
    RollbackAlarms,
    S3Location,
    WorkloadConfig,
)

ENV = cdk.Environment(account="111122223333", region="us-west-2")
IMAGE = "763104351884.dkr.ecr.us-west-2.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"


def build(endpoints: int) -> tuple[dict, float]:
    """Synthesize a stack with ``endpoints`` endpoints; return its template and the seconds it took."""
    started = time.perf_counter()
    app = cdk.App()
    stack = cdk.Stack(app, "Measured", env=ENV)
    model = Model(stack, "Model", image_uri=IMAGE, model_data_url="s3://models/llama/")
    for index in range(endpoints):
        endpoint = InstancePoolEndpoint(
            stack,
            f"Endpoint{index}",
            model=model,
            instance_pools=[
                InstancePool("ml.p5.48xlarge", max_concurrency=20),
                InstancePool("ml.g6.48xlarge", max_concurrency=8),
            ],
            deployment=DeploymentPolicy.rolling(),
            rollback_alarms=RollbackAlarms(model_latency=cdk.Duration.seconds(30)),
        )
        endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
    RecommendationJob(
        stack,
        "Job",
        model_source=S3Location.from_uri("s3://models/llama/"),
        workload_config=WorkloadConfig(stack, "Workload"),
        goal=RecommendationGoal.THROUGHPUT,
        output=S3Location.from_uri("s3://artifacts/out/"),
    )
    template = app.synth().get_stack_by_name("Measured").template
    return template, time.perf_counter() - started


def baseline(template: dict) -> float:
    """Seconds to synthesize the same template without the library (loaded with CfnInclude)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.json"
        # The including stack adds CDK's bootstrap check itself.
        plain = {k: v for k, v in template.items() if k not in ("Parameters", "Rules")}
        path.write_text(json.dumps(plain))
        started = time.perf_counter()
        app = cdk.App()
        stack = cdk.Stack(app, "Baseline", env=ENV)
        cfn_inc.CfnInclude(stack, "Template", template_file=str(path))
        app.synth()
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 25])
    args = parser.parse_args(argv)
    build(1)  # warm the jsii runtime and the handler asset cache
    rows = []
    for count in args.counts:
        template, seconds = build(count)
        resources = len(template["Resources"])
        size = len(json.dumps(template))
        rows.append((count, resources, size, seconds, baseline(template)))
    print(f"{'endpoints':>9}  {'resources':>9}  {'bytes':>9}  {'synth s':>7}  {'CfnInclude s':>12}  {'ratio':>5}")
    for count, resources, size, seconds, base in rows:
        print(f"{count:>9}  {resources:>9}  {size:>9,}  {seconds:>7.2f}  {base:>12.2f}  {seconds / base:>5.2f}")
    if len(rows) > 1:
        (n0, r0, b0, *_), (n1, r1, b1, *_) = rows[0], rows[-1]
        per_resources, per_bytes = (r1 - r0) / (n1 - n0), (b1 - b0) / (n1 - n0)
        print(
            f"per added endpoint: {per_resources:.1f} resources, {per_bytes:,.0f} bytes; "
            f"fixed overhead: {r0 - per_resources * n0:.0f} resources, {b0 - per_bytes * n0:,.0f} bytes"
        )
        print(f"average bytes per resource: {b1 / r1:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
