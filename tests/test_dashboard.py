"""The fleet dashboard: one per stack, a section per endpoint, the widgets cw.GraphWidget would render."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_s3 as s3

from cdk_genai_inference import (
    AsyncInference,
    DeploymentPolicy,
    InstancePool,
    InstancePoolEndpoint,
    Model,
    RollbackAlarms,
)
from cdk_genai_inference.serving.dashboard import MAX_WIDGETS, FleetDashboard
from cdk_genai_inference.serving.dashboard import _Section as dashboard_section
from cdk_genai_inference.serving.metrics import CONCURRENT_REQUESTS_PER_MODEL, INVOCATION_NAMESPACE, Series
from synthesis import IMAGE, new_stack, synth

P5, G6E, G6 = "ml.p5.48xlarge", "ml.g6e.48xlarge", "ml.g6.48xlarge"


def _l2_section(scope: cdk.Stack, endpoint: InstancePoolEndpoint) -> cw.Dashboard:
    """The same section drawn with aws-cdk's L2 widgets, as the endpoint drew its own dashboard before."""
    types = endpoint.instance_types

    def per_type(title: str, metric: Any, **options: str) -> cw.GraphWidget:
        lines = [metric(instance_type=t, label=t, **options) for t in types]
        return cw.GraphWidget(title=title, left=lines, width=8, height=6)

    markdown = f"### {endpoint.endpoint_name} (variant {endpoint.variant_name}): {', '.join(types)}, by priority"
    dashboard = cw.Dashboard(scope, "L2")
    dashboard.add_widgets(cw.TextWidget(markdown=markdown, width=24, height=1))
    utilization = cw.GraphWidget(
        title="Weighted utilization (what scaling tracks)",
        left=[endpoint.metric_weighted_utilization()],
        left_y_axis=cw.YAxisProps(min=0),
        width=8,
        height=6,
    )
    dashboard.add_widgets(
        utilization,
        per_type("Concurrent requests per instance type", endpoint.concurrency_metric),
        per_type("Invocations per instance type", endpoint.metric_invocations),
    )
    errors = [endpoint.metric_invocation5xx_errors(label="5XX"), endpoint.metric_invocation4xx_errors(label="4XX")]
    dashboard.add_widgets(
        per_type("Model latency p50 (µs)", endpoint.metric_model_latency, statistic="p50"),
        per_type("Model latency p90 (µs)", endpoint.metric_model_latency, statistic="p90"),
        cw.GraphWidget(title="Errors", left=errors, width=8, height=6),
    )
    dashboard.add_widgets(
        per_type("GPU utilization (%, 100 per GPU)", endpoint.metric_gpu_utilization),
        per_type("GPU memory utilization (%, 100 per GPU)", endpoint.metric_gpu_memory_utilization),
        per_type("CPU utilization (%, 100 per core)", endpoint.metric_cpu_utilization),
    )
    dashboard.add_widgets(cw.AlarmStatusWidget(alarms=endpoint.rollback_alarms, title="Rollback alarms", width=24))
    return dashboard


def test_a_section_is_what_aws_cdks_widgets_render_for_the_same_metrics() -> None:
    """The body is built in Python (no cw.Metric per line); character for character it is the L2's."""
    stack = new_stack("Dashboards")
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=Model(stack, "Model", image_uri=IMAGE),
        instance_pools=[
            InstancePool(P5, max_concurrency=20),
            InstancePool(G6E, max_concurrency=12, scaling_weight=2),
            InstancePool(G6, max_concurrency=8),
        ],
        deployment=DeploymentPolicy.rolling(),
        rollback_alarms=RollbackAlarms(model_latency=Duration.seconds(30)),
    )
    endpoint.add_rollback_alarm(cw.Alarm.from_alarm_name(stack, "Slo", "team-slo"))
    assert endpoint.dashboard is not None
    ours = stack.resolve(endpoint.dashboard.dashboards[0].dashboard_body)
    theirs = stack.resolve(_l2_section(stack, endpoint).node.default_child.dashboard_body)  # type: ignore[union-attr]
    assert ours == theirs
    assert synth(stack).find_resources("AWS::CloudWatch::Dashboard")  # and it passes cfn-lint


def test_an_asynchronous_section_shows_its_queue_instead_of_the_metrics_it_never_publishes() -> None:
    """An asynchronous endpoint publishes no concurrency and no Invocations: its load row is the
    backlog and the requests processed and failed, as aws-cdk's widgets render the helpers' metrics."""
    stack = new_stack("AsyncDashboards")
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=Model(stack, "Model", image_uri=IMAGE),
        instance_pools=[InstancePool(G6E, max_concurrency=12), InstancePool(G6, max_concurrency=8)],
        async_inference=AsyncInference(output_bucket=s3.Bucket.from_bucket_name(stack, "Out", "results")),
    )
    assert endpoint.dashboard is not None
    widgets = _widgets(stack, endpoint.dashboard.dashboards[0])
    names = {line[1] for w in widgets if w["type"] == "metric" for line in w["properties"]["metrics"]}
    assert names.isdisjoint({"Invocations", "ConcurrentRequestsPerModel"})
    load = [w for w in widgets if w["type"] == "metric"][:2]
    queue = cw.GraphWidget(
        title="Queued requests", left=[endpoint.metric_approximate_backlog_size(label="backlog")], width=8, height=6
    )
    processed = cw.GraphWidget(
        title="Requests processed",
        left=[
            endpoint.metric_invocations_processed(label="processed"),
            endpoint.metric_invocation_failures(label="failed"),
        ],
        width=8,
        height=6,
    )
    queue.position(0, 1)
    processed.position(8, 1)
    theirs = stack.resolve([*queue.to_json(), *processed.to_json()])
    for widget in theirs:
        widget["properties"]["region"] = "T"  # as _widgets reads a token
    assert load == theirs
    assert load[0]["properties"]["metrics"][0][2:4] == ["EndpointName", endpoint.endpoint_name]  # and nothing else
    assert len(load[0]["properties"]["metrics"][0]) == 5
    section = dashboard_section(endpoint)  # what it counts against CloudWatch's limits
    assert (section.widgets, section.metrics) == (
        len(widgets) + 1,  # the rollback-alarm row kept free
        sum(len(w["properties"].get("metrics", [])) for w in widgets),
    )


class _Endpoint:
    """Just what a section reads."""

    def __init__(self, index: int) -> None:
        self.endpoint_name, self.variant_name = f"endpoint-{index}", "AllTraffic"
        self.instance_pools = [InstancePool(G6)]
        self.rollback_alarms: list[cw.IAlarm] = []
        self.asynchronous = False
        self.concurrency = CONCURRENT_REQUESTS_PER_MODEL

    def series(self, metric: Any, *, instance_type: str | None = None, statistic: str | None = None, label=None):
        dimensions = {"EndpointName": self.endpoint_name, "VariantName": self.variant_name}
        if instance_type:
            dimensions["InstanceType"] = instance_type
        return Series(metric.namespace, metric.name, dimensions, statistic or metric.statistic, label)


def _widgets(stack: cdk.Stack, dashboard: cw.CfnDashboard) -> list[dict[str, Any]]:
    body = stack.resolve(dashboard.dashboard_body)
    text = body if isinstance(body, str) else "".join(p if isinstance(p, str) else '"T"' for p in body["Fn::Join"][1])
    return json.loads(text.replace('""T""', '"T"'))["widgets"]


def test_sections_past_cloudwatchs_500_widgets_start_another_dashboard() -> None:
    stack = new_stack()
    fleet = FleetDashboard(stack, "Fleet")
    for index in range(51):  # 10 widgets each (header, 8 graphs, the alarm row kept free)
        fleet.add_endpoint(_Endpoint(index))  # type: ignore[arg-type]
    first, second = fleet.dashboards
    assert [second.node.id, len(_widgets(stack, first)), len(_widgets(stack, second))] == ["Page2", 450, 9]
    assert all(len(_widgets(stack, page)) <= MAX_WIDGETS for page in fleet.dashboards)
    assert _widgets(stack, second)[0]["properties"]["markdown"].startswith("### endpoint-50 ")


def test_your_own_widgets_follow_the_sections_in_rows() -> None:
    stack = new_stack()
    fleet = FleetDashboard(stack, "Fleet", dashboard_name="fleet")
    fleet.add_endpoint(_Endpoint(0))  # type: ignore[arg-type]
    fleet.add_widgets(*(cw.TextWidget(markdown=f"note {n}", width=10, height=2) for n in range(3)))
    notes = [w for w in _widgets(stack, fleet.dashboards[0]) if w["properties"].get("markdown", "").startswith("note")]
    assert [(w["x"], w["y"]) for w in notes] == [(0, 19), (10, 19), (0, 21)]  # wrapped at 24 units
    assert stack.resolve(fleet.dashboard_name) == {"Ref": stack.get_logical_id(fleet.dashboards[0])}


def test_an_endpoint_goes_on_the_stacks_dashboard_on_its_own_or_on_none() -> None:
    stack = new_stack()
    model = Model(stack, "Model", image_uri=IMAGE)
    ops = FleetDashboard(stack, "Ops", dashboard_name="ops")
    pools = [InstancePool(G6)]
    shared = InstancePoolEndpoint(stack, "Shared", model=model, instance_pools=pools)
    mine = InstancePoolEndpoint(stack, "Mine", model=model, instance_pools=pools, dashboard=ops)
    none = InstancePoolEndpoint(stack, "None", model=model, instance_pools=pools, dashboard=False)
    assert shared.dashboard is FleetDashboard.of(stack) and mine.dashboard is ops and none.dashboard is None
    bodies = {
        name: json.dumps(stack.resolve(d.dashboards[0].dashboard_body))
        for name, d in (("shared", shared.dashboard), ("ops", ops))
    }
    assert shared.endpoint_name in bodies["shared"] and mine.endpoint_name not in bodies["shared"]
    assert mine.endpoint_name in bodies["ops"] and none.endpoint_name not in bodies["shared"] + bodies["ops"]
    assert len(synth(stack).find_resources("AWS::CloudWatch::Dashboard")) == 2


def test_a_series_line_sorts_dimensions_and_omits_the_default_statistic() -> None:
    """Spot checks of the renderer behind the section test above."""
    from cdk_genai_inference.serving.dashboard import _line

    series = Series(INVOCATION_NAMESPACE, "M", {"VariantName": "v", "EndpointName": "e"}, "Average", "label")
    assert _line(series) == [
        INVOCATION_NAMESPACE,
        "M",
        "EndpointName",
        "e",
        "VariantName",
        "v",
        {"label": "label", "period": 60},
    ]
    hidden = _line(Series(INVOCATION_NAMESPACE, "M", {}, "Sum"), query_id="m_sum")
    assert hidden == [INVOCATION_NAMESPACE, "M", {"id": "m_sum", "visible": False, "period": 60, "stat": "Sum"}]
