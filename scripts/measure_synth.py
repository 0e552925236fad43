"""Measure what the library costs a stack: resources, template bytes and synth time for 1, 10 and 25
instance-pool endpoints sharing one model (with ``--with-job``, plus one recommendation job, so the
shared AI-job provider is counted once), and the library's synth overhead against the same template
built without it: replayed as plain L1 resources (one ``CfnResource`` each) and loaded with
``CfnInclude``.

Every run synthesizes the library's stack and then both baselines of its template in the same
process, so each ratio compares timings taken side by side; the table gives the median seconds of
``--runs`` runs and the minimum and median of the per-run ratios. ``--clock cpu`` counts the CPU
seconds of this process and of the jsii runtime's Node processes instead of wall-clock seconds (Linux),
which other work on a shared machine disturbs less. ``--clock round-trips`` counts the messages this
process sends the jsii runtime instead: most of what the library adds to a synth is these round trips
(each costs both processes CPU), and unlike seconds their number does not vary between runs.

``--without`` leaves features out of every endpoint, to see what each one costs against its own replay.
``--aws-cdk`` measures aws-cdk-lib's own L2 constructs against the replay of their templates the same
way, as a yardstick for the ratio: what constructs written in TypeScript, with no call crossing into
this process, cost over plain L1 resources.
Every synth on both sides includes aws-cdk-lib's built-in CloudFormation validation of the template;
``CDK_VALIDATION=false`` in the environment leaves it out of both.

Usage: .venv/bin/python scripts/measure_synth.py [--counts 1 10 25] [--runs 5] [--with-job]
       [--clock wall|cpu|round-trips]
       [--without alarms scaling deployment dashboard] [--aws-cdk]
(Node 24 must be first on PATH, as ./dev arranges: ``./dev`` shell or ``PATH=... python ...``.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
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
Clock = Callable[[], float]
"""What a timing reads (``--clock``): seconds from some fixed point, or round trips so far."""
FEATURES = ("alarms", "scaling", "deployment", "dashboard")
"""What each measured endpoint has and ``--without`` can leave out: rollback alarms, weighted scaling, a
rolling deployment policy, a section of the fleet dashboard. Rollback alarms guard a deployment, so an
endpoint without the deployment policy has none either."""
RESOURCE_ATTRIBUTES = ("DependsOn", "Metadata", "Condition", "DeletionPolicy", "UpdateReplacePolicy", "UpdatePolicy")
"""What a resource may carry besides its type and properties; the L1 replay copies each one."""


def build(
    endpoints: int,
    *,
    with_job: bool = False,
    without: frozenset[str] = frozenset(),
    clock: Clock = time.perf_counter,
) -> tuple[dict[str, Any], float]:
    """Synthesize a stack with ``endpoints`` endpoints (and a recommendation job), each without the
    ``FEATURES`` named in ``without``; return its template and what it took on ``clock``."""
    return synthesize(partial(define_endpoints, endpoints=endpoints, with_job=with_job, without=without), clock)


def synthesize(define: Callable[[cdk.Stack], None], clock: Clock = time.perf_counter) -> tuple[dict[str, Any], float]:
    """Define a stack with ``define`` and synthesize it; return its template and what both took on ``clock``.

    The clock stops at the end of ``app.synth()``, where the replays' clocks stop too: reading the
    template back into this process is the measurement's own work, not the synth's."""
    started = clock()
    app = cdk.App()
    define(cdk.Stack(app, "Measured", env=ENV))
    assembly = app.synth()
    taken = clock() - started
    return assembly.get_stack_by_name("Measured").template, taken


def define_endpoints(stack: cdk.Stack, *, endpoints: int, with_job: bool, without: frozenset[str]) -> None:
    """Define in ``stack`` what ``build`` measures: one model and ``endpoints`` endpoints serving it."""
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
            deployment=None if "deployment" in without else DeploymentPolicy.rolling(),
            rollback_alarms=None if without_alarms(without) else RollbackAlarms(model_latency=cdk.Duration.seconds(30)),
            dashboard="dashboard" not in without,
        )
        if "scaling" not in without:
            endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
    if with_job:
        RecommendationJob(
            stack,
            "Job",
            model_source=S3Location.from_uri("s3://models/llama/"),
            workload_config=WorkloadConfig(stack, "Workload"),
            goal=RecommendationGoal.THROUGHPUT,
            output=S3Location.from_uri("s3://artifacts/out/"),
        )


def without_alarms(without: frozenset[str]) -> bool:
    """Whether endpoints without ``without`` have no rollback alarms: left out themselves, or with the
    deployment policy they guard (the library rejects alarms without a deployment)."""
    return bool(without & {"alarms", "deployment"})


def _plain(template: dict[str, Any]) -> dict[str, Any]:
    """The template without what every stack adds itself (CDK's bootstrap version check)."""
    return {k: v for k, v in template.items() if k not in ("Parameters", "Rules")}


def replay_l1(template: dict[str, Any], clock: Clock = time.perf_counter) -> float:
    """Seconds to synthesize the same resources without the library: one ``CfnResource`` each."""
    started = clock()
    app = cdk.App()
    stack = cdk.Stack(app, "ReplayL1", env=ENV)
    for logical_id, resource in template["Resources"].items():
        replayed = cdk.CfnResource(stack, logical_id, type=resource["Type"], properties=resource.get("Properties"))
        replayed.override_logical_id(logical_id)
        for attribute in RESOURCE_ATTRIBUTES:
            if attribute in resource:
                replayed.add_override(attribute, resource[attribute])
    for name, output in template.get("Outputs", {}).items():
        cdk.CfnOutput(stack, name, value=output["Value"]).override_logical_id(name)
    app.synth()
    return clock() - started


def replay_include(template: dict[str, Any], clock: Clock = time.perf_counter) -> float:
    """Seconds to synthesize the same template without the library, loaded with ``CfnInclude``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.json"
        path.write_text(json.dumps(_plain(template)))
        started = clock()
        app = cdk.App()
        stack = cdk.Stack(app, "ReplayInclude", env=ENV)
        cfn_inc.CfnInclude(stack, "Template", template_file=str(path))
        app.synth()
        return clock() - started


def measure(
    counts: list[int],
    runs: int,
    *,
    with_job: bool = False,
    without: frozenset[str] = frozenset(),
    clock: Clock = time.perf_counter,
) -> list[dict[str, Any]]:
    """Per count: the template's size and, over ``runs`` paired runs, each run's three timings.

    One untimed round at every count comes first. It starts the jsii runtime, fills the asset cache
    and loads every module, and Node compiles the code each side runs in the background, which would
    otherwise be charged to whichever clock runs next: the first timed run used to be every timing's
    outlier (the library 1.6 s against about 1.0 s later, the L1 replay 0.67 s against 0.3 s)."""
    rows: list[dict[str, Any]] = [{"endpoints": count, "synth": [], "l1": [], "include": []} for count in counts]
    for run in range(runs + 1):
        for row in rows:
            template, seconds = build(row["endpoints"], with_job=with_job, without=without, clock=clock)
            l1, include = replay_l1(template, clock), replay_include(template, clock)
            if not run:
                continue
            row["resources"] = len(template["Resources"])
            row["bytes"] = len(json.dumps(template))
            row["synth"].append(seconds)
            row["l1"].append(l1)
            row["include"].append(include)
    return rows


def _math_alarms(stack: cdk.Stack) -> None:
    for index in range(30):
        dimensions = {"EndpointName": f"endpoint-{index}", "VariantName": "AllTraffic"}
        operands = {
            query_id: cw.Metric(
                namespace="AWS/SageMaker",
                metric_name=name,
                dimensions_map=dimensions,
                statistic="Sum",
                period=cdk.Duration.minutes(1),
            )
            for query_id, name in (("errors", "Invocation5XXErrors"), ("invocations", "Invocations"))
        }
        rate = cw.MathExpression(expression="100 * FILL(errors, 0) / invocations", using_metrics=operands)
        rate.create_alarm(stack, f"ErrorRate{index}", threshold=5, evaluation_periods=3, datapoints_to_alarm=2)


def _granted_topics(stack: cdk.Stack) -> None:
    role = iam.Role(stack, "Publisher", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    for index in range(10):
        sns.Topic(stack, f"Topic{index}").grant_publish(role)


def _buckets(stack: cdk.Stack) -> None:
    for index in range(10):
        s3.Bucket(stack, f"Bucket{index}", enforce_ssl=True)


def _queues(stack: cdk.Stack) -> None:
    for index in range(10):
        sqs.Queue(stack, f"Queue{index}")


AWS_CDK_L2S: dict[str, Callable[[cdk.Stack], None]] = {
    "30 cw.Alarm over metric math": _math_alarms,
    "10 sns.Topic, each granted to a role": _granted_topics,
    "10 s3.Bucket (SSL enforced)": _buckets,
    "10 sqs.Queue": _queues,
}
"""aws-cdk-lib's own L2 constructs, the yardstick ``--aws-cdk`` measures."""


def measure_aws_cdk(runs: int, clock: Clock = time.perf_counter) -> list[dict[str, Any]]:
    """Per set of ``AWS_CDK_L2S``: its resources and, over ``runs`` paired runs, its synth and L1 replay
    timings."""
    rows = []
    for name, define in AWS_CDK_L2S.items():
        row: dict[str, Any] = {"constructs": name, "synth": [], "l1": []}
        for run in range(runs + 1):  # the first run warms up
            template, seconds = synthesize(define, clock)
            replayed = replay_l1(template, clock)
            if run:
                row["synth"].append(seconds)
                row["l1"].append(replayed)
        row["resources"] = len(template["Resources"])
        rows.append(row)
    return rows


def jsii_runtime() -> Any:
    """The object through which this process speaks to the jsii runtime's Node process (not public API:
    the two clocks below are measuring aids)."""
    import jsii

    return jsii.kernel.provider._process  # type: ignore[attr-defined]


def cpu_clock() -> Clock:
    """CPU seconds of this process plus the jsii runtime's Node process tree (every thread), from
    Linux's /proc; call after the runtime has started."""

    def descendants(pid: int) -> list[int]:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [pid, *(grandchild for child in children for grandchild in descendants(int(child)))]

    node = descendants(jsii_runtime()._process.pid)

    def now() -> float:
        on_cpu = 0
        for pid in node:
            for task in Path(f"/proc/{pid}/task").iterdir():
                on_cpu += int((task / "schedstat").read_text().split()[0])  # nanoseconds on a CPU
        return time.process_time() + on_cpu / 1e9

    return now


@contextlib.contextmanager
def counting_round_trips() -> Iterator[Clock]:
    """While the block runs, a clock that reads how many messages this process has sent the jsii runtime
    (the reply to each of Node's callbacks at synth counts as one): what a synth "takes" on it is its
    round trips."""
    process = jsii_runtime()
    outer = vars(process).get("send")  # a counter this one runs inside, if any
    send = process.send
    sent = 0

    def counting_send(request: Any, response_type: Any) -> Any:
        nonlocal sent
        sent += 1
        return send(request, response_type)

    process.send = counting_send
    try:
        yield lambda: float(sent)
    finally:
        if outer is None:
            del process.send  # the class's own method again
        else:
            process.send = outer


def _ratios(row: dict[str, Any], baseline: str) -> str:
    ratios = [s / b for s, b in zip(row["synth"], row[baseline], strict=True)]
    return f"{min(ratios):.2f} / {statistics.median(ratios):.2f}"


@dataclass(frozen=True)
class ClockKind:
    """What a ``--clock`` counts: how to start reading it, what its figures are, the suffix of their
    column names, their format, and whether they are round trips (``CfnInclude`` builds any template
    inside Node in a few, so a ratio of round trips against it measures nothing)."""

    start: Callable[[], contextlib.AbstractContextManager[Clock]]
    unit: str
    suffix: str
    figure: str
    round_trips: bool = False


CLOCKS = {
    "wall": ClockKind(lambda: contextlib.nullcontext(time.perf_counter), "seconds", " s", ".2f"),
    # The jsii runtime started with `import aws_cdk`; measure() warms it up.
    "cpu": ClockKind(lambda: contextlib.nullcontext(cpu_clock()), "CPU seconds (this process and Node)", " s", ".2f"),
    "round-trips": ClockKind(counting_round_trips, "round trips to the jsii runtime", "", ".0f", round_trips=True),
}
"""Every ``--clock``, by its name."""


def _report(args: argparse.Namespace, clock: Clock) -> None:
    without = frozenset(args.without)
    rows = measure(args.counts, args.runs, with_job=args.with_job, without=without, clock=clock)
    kind = CLOCKS[args.clock]
    suffix, figure, against_include = kind.suffix, kind.figure, not kind.round_trips
    print(f"{args.runs} paired runs; {kind.unit} are medians, ratios min / median")
    if without:
        implied = " (and so without rollback alarms)" if without_alarms(without) and "alarms" not in without else ""
        print(f"endpoints without: {', '.join(f for f in FEATURES if f in without)}{implied}")
    print(
        f"{'endpoints':>9}  {'resources':>9}  {'bytes':>9}  {'synth' + suffix:>7}  {'L1' + suffix:>5}  "
        f"{'CfnInclude' + suffix:>12}  {'vs L1':>11}" + (f"  {'vs CfnInclude':>13}" if against_include else "")
    )
    for row in rows:
        median = {key: statistics.median(row[key]) for key in ("synth", "l1", "include")}
        print(
            f"{row['endpoints']:>9}  {row['resources']:>9}  {row['bytes']:>9,}  {median['synth']:>7{figure}}  "
            f"{median['l1']:>5{figure}}  {median['include']:>12{figure}}  {_ratios(row, 'l1'):>11}"
            + (f"  {_ratios(row, 'include'):>13}" if against_include else "")
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        added = last["endpoints"] - first["endpoints"]
        per_resources = (last["resources"] - first["resources"]) / added
        per_bytes = (last["bytes"] - first["bytes"]) / added
        print(
            f"per added endpoint: {per_resources:.1f} resources, {per_bytes:,.0f} bytes; fixed overhead: "
            f"{first['resources'] - per_resources * first['endpoints']:.0f} resources, "
            f"{first['bytes'] - per_bytes * first['endpoints']:,.0f} bytes"
        )
        print(f"average bytes per resource: {last['bytes'] / last['resources']:,.0f}")
        if kind.round_trips:
            per = {
                key: (statistics.median(last[key]) - statistics.median(first[key])) / added for key in ("synth", "l1")
            }
            print(f"round trips per added endpoint: {per['synth']:.1f} (the L1 replay: {per['l1']:.1f})")
    if args.aws_cdk:
        print("aws-cdk-lib's own L2s against their L1 replay, measured the same way:")
        print(f"{'constructs':<38}  {'resources':>9}  {'synth' + suffix:>7}  {'L1' + suffix:>5}  {'vs L1':>11}")
        for row in measure_aws_cdk(args.runs, clock):
            print(
                f"{row['constructs']:<38}  {row['resources']:>9}  {statistics.median(row['synth']):>7{figure}}  "
                f"{statistics.median(row['l1']):>5{figure}}  {_ratios(row, 'l1'):>11}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 25])
    parser.add_argument("--runs", type=int, default=5, help="paired runs per count (default 5)")
    parser.add_argument("--with-job", action="store_true", help="add a recommendation job to every stack")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="wall", help="what is counted (default wall)")
    parser.add_argument(
        "--without", nargs="+", choices=FEATURES, default=[], help="features to leave out (default: none)"
    )
    parser.add_argument("--aws-cdk", action="store_true", help="also measure aws-cdk-lib's own L2s, as a yardstick")
    args = parser.parse_args(argv)
    with CLOCKS[args.clock].start() as clock:
        _report(args, clock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
