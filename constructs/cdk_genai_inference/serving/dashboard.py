"""The fleet dashboard of an instance-pool endpoint: one line per instance type on every graph."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aws_cdk import aws_cloudwatch as cw

from constructs import Construct

from .metrics import EndpointMetrics
from .pools import InstancePool

_WIDTH = 8
_HEIGHT = 6


def fleet_dashboard(
    scope: Construct,
    endpoint: EndpointMetrics,
    pools: Sequence[InstancePool],
    *,
    utilization: cw.IMetric | None,
    alarms: Sequence[cw.IAlarm],
) -> cw.Dashboard:
    """A dashboard whose rows read: load, latency, traffic and errors, accelerators, alarms.

    Rollback alarms added after the dashboard exists are appended as a row of their own.
    """
    types = [pool.instance_type for pool in pools]

    def per_type(title: str, metric: Callable[..., cw.Metric], **kw: str) -> cw.GraphWidget:
        return cw.GraphWidget(
            title=title,
            left=[metric(instance_type=t, label=t, **kw) for t in types],
            width=_WIDTH,
            height=_HEIGHT,
        )

    dashboard = cw.Dashboard(scope, "Dashboard")
    load: list[cw.IWidget] = [per_type("Concurrent requests per instance type", endpoint.concurrency_metric)]
    if utilization is not None:
        load.insert(
            0,
            cw.GraphWidget(
                title="Weighted utilization (what scaling tracks)",
                left=[utilization],
                left_y_axis=cw.YAxisProps(min=0),
                width=_WIDTH,
                height=_HEIGHT,
            ),
        )
    load.append(per_type("Invocations per instance type", endpoint.metric_invocations))
    dashboard.add_widgets(*load)
    dashboard.add_widgets(
        per_type("Model latency p50 (µs)", endpoint.metric_model_latency, statistic="p50"),
        per_type("Model latency p90 (µs)", endpoint.metric_model_latency, statistic="p90"),
        cw.GraphWidget(
            title="Errors",
            left=[
                endpoint.metric_invocation5xx_errors(label="5XX"),
                endpoint.metric_invocation4xx_errors(label="4XX"),
            ],
            width=_WIDTH,
            height=_HEIGHT,
        ),
    )
    dashboard.add_widgets(
        per_type("GPU utilization (%, 100 per GPU)", endpoint.metric_gpu_utilization),
        per_type("GPU memory utilization (%, 100 per GPU)", endpoint.metric_gpu_memory_utilization),
        per_type("CPU utilization (%, 100 per core)", endpoint.metric_cpu_utilization),
    )
    if alarms:
        dashboard.add_widgets(cw.AlarmStatusWidget(alarms=list(alarms), title="Rollback alarms", width=24))
    return dashboard
