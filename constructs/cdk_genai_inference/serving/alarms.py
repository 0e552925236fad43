"""The default alarms that roll a guarded deployment back."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from aws_cdk import Annotations, ArnFormat, CfnResource, Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam

from constructs import Construct

from .._core.arns import outside_stack
from .._core.lazy import at_synth
from .._core.roles import depend_on_policy
from .._core.validation import (
    check_duration,
    check_duration_ms,
    check_range,
    duration_seconds,
    milliseconds_and_words,
    seconds,
    unresolved,
)
from ..errors import ValidationError
from ..scanners import NagFinding, Waiver
from .metrics import INVOCATION_5XX_ERRORS, INVOCATIONS, MODEL_LATENCY, EndpointMetrics, Series
from .pools import InstancePool

SIMPLE_STATISTICS = frozenset({"Average", "Minimum", "Maximum", "SampleCount", "Sum"})
"""CloudWatch's ``Statistic``; any other (a percentile) is an ``ExtendedStatistic``."""
LATENCY_STATISTIC = re.compile(r"^(Average|Minimum|Maximum|p(100|[1-9]?[0-9])(\.[0-9]+)?)$")
MAX_ROLLBACK_ALARMS = 10
"""``AutoRollbackConfiguration.Alarms`` holds 1 to 10 alarms."""
NO_ACTION_WAIVER = Waiver(
    "A rollback alarm: the endpoint's deployment configuration names it, and SageMaker rolls the update "
    "back when it fires; it needs no action of its own.",
    nag=(NagFinding.ALARM_WITHOUT_ACTIONS,),
)


@dataclass(frozen=True)
class RollbackAlarms:
    """The alarms the endpoint defines for a guarded deployment.

    - ``ErrorRate``: ``Invocation5XXErrors / Invocations`` of the whole variant above
      ``error_rate_percent``. Errors are a fault whichever instance type served them, so one alarm.
    - ``ModelLatency-<type>``: ``ModelLatency`` (``latency_statistic``) of each instance type above its
      threshold. Per type because a fallback type is legitimately slower than the preferred one: an
      aggregate alarm would trip when traffic shifts to the fallback, or be too loose to catch a
      regression on the fast type. Created only when a threshold is given.

    All treat missing data as not breaching: an empty fallback pool and an idle endpoint publish
    nothing, and neither is a reason to roll back.

    Args:
        error_rate_percent: 5XX share of invocations that trips the error alarm. Default: 1
        model_latency: Threshold for every pool's latency alarm, whole milliseconds from 1 ms (a
            deploy-time one as ``Duration.millis``; a pool's ``model_latency_threshold`` overrides it).
            Default: - no latency alarms
        latency_statistic: Statistic of ``ModelLatency``. Default: p90
        period: Evaluation period, a multiple of a minute. Default: 1 minute
        evaluation_periods: Periods evaluated. Default: 3
        datapoints_to_alarm: Breaching periods, of ``evaluation_periods``, that trip an alarm. Default: 2
    """

    error_rate_percent: float = 1.0
    model_latency: Duration | None = None
    latency_statistic: str = "p90"
    period: Duration = Duration.minutes(1)  # noqa: RUF009 - a Duration is immutable
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 2
    DEFAULT: ClassVar[RollbackAlarms]
    """What an endpoint with a deployment policy defines when ``rollback_alarms`` is not given; told
    apart from alarms a caller asks for, which without a deployment policy would not exist."""

    def validate(self, arg: str) -> None:
        check_range(f"{arg}.error_rate_percent", self.error_rate_percent, 0, 100)
        check_duration(f"{arg}.period", self.period, 60, 86400)
        period = duration_seconds(self.period)
        if not unresolved(period) and period % 60:
            # SageMaker publishes these metrics once a minute: a shorter period reads nothing in most
            # periods, which counting as not breaching never trips.
            raise ValidationError(
                f"{arg}.period must be a multiple of 60 s (SageMaker publishes ModelLatency, Invocations and "
                f"Invocation5XXErrors once a minute), got {period:g} s"
            )
        if not unresolved(self.latency_statistic) and not LATENCY_STATISTIC.match(self.latency_statistic):
            raise ValidationError(
                f"{arg}.latency_statistic must be Average, Minimum, Maximum or a percentile such as p90 "
                f"or p99.9, got {self.latency_statistic!r}"
            )
        check_duration_ms(f"{arg}.model_latency", self.model_latency, 1)
        check_range(f"{arg}.evaluation_periods", self.evaluation_periods, 1, None)
        check_range(f"{arg}.datapoints_to_alarm", self.datapoints_to_alarm, 1, None)
        if not unresolved(period) and not unresolved(self.evaluation_periods):
            window = period * self.evaluation_periods
            # CloudWatch's PutMetricAlarm: seven days at most, one day below an hourly period.
            limit, bound = (86400, "one day for a period under an hour") if period < 3600 else (604800, "seven days")
            if window > limit:
                raise ValidationError(
                    f"{arg}: period x evaluation_periods must be at most {limit} s ({bound}), "
                    f"got {period:g} s x {self.evaluation_periods} = {window:g} s"
                )
        if not unresolved(self.evaluation_periods) and self.datapoints_to_alarm > self.evaluation_periods:
            raise ValidationError(
                f"{arg}.datapoints_to_alarm must not exceed evaluation_periods ({self.evaluation_periods}), "
                f"got {self.datapoints_to_alarm}"
            )


RollbackAlarms.DEFAULT = RollbackAlarms()


class RollbackAlarmList:
    """The alarms that roll one endpoint's deployments back (10 at most), and their readers.

    SageMaker's deployment-guardrails guide: "Ensure that your IAM execution role has permission to
    perform the cloudwatch:DescribeAlarms action on the auto-rollback alarms you specify." Every role a
    guarded update may run as (``readers``: the models' roles and, with inference components, the
    endpoint configuration's, as the guide does not say which one a component update uses) gets
    ``cloudwatch:DescribeAlarms`` on exactly these alarms, and ``guarded`` (the endpoint) waits for
    those grants: an update reads the alarms as soon as it starts.
    """

    def __init__(
        self, scope: Construct, *, readers: Sequence[iam.IRole], unreadable: bool, guarded: CfnResource
    ) -> None:
        self._scope = scope
        self._readers = list(readers)
        self._unreadable = unreadable
        self._guarded = guarded
        self._grants: list[iam.Grant] | None = None
        self._statements: list[iam.PolicyStatement] | None = None  # read from the grants at the first later add
        self.alarms: list[cw.IAlarm] = []
        self.names: list[str] = []

    def add(self, *alarms: cw.IAlarm) -> None:
        """Roll deployments back on ``alarms`` too, and let every reader describe them."""
        if not alarms:
            return
        check_alarm_count(len(self.alarms) + len(alarms))
        self.alarms.extend(alarms)
        self.names.extend(alarm.alarm_name for alarm in alarms)
        arns = [alarm.alarm_arn for alarm in alarms]
        if self._grants is None:
            self._grants = self._grant(arns)
        else:
            if self._statements is None:
                self._statements = [statement for grant in self._grants for statement in grant.principal_statements]
            for statement in self._statements:
                statement.add_resources(*arns)

    def _grant(self, alarm_arns: list[str]) -> list[iam.Grant]:
        """One ``cloudwatch:DescribeAlarms`` statement per reader, defined with the first alarms.

        ``iam.Grant.add_to_principal`` defines and adds each in one round trip to the jsii runtime, where a
        ``PolicyStatement`` added with ``add_to_principal_policy`` takes four (the result's two fields are
        read back)."""
        if self._unreadable:
            Annotations.of(self._scope).add_warning_v2(
                "cdk-genai-inference:rollback-alarms-unreadable",
                "a model imported by name has no role this app can grant: allow its execution role "
                "cloudwatch:DescribeAlarms on the rollback alarms, or SageMaker cannot watch them",
            )
        grants = []
        actions = ["cloudwatch:DescribeAlarms"]
        for role in self._readers:
            grants.append(iam.Grant.add_to_principal(grantee=role, actions=actions, resource_arns=alarm_arns))
            depend_on_policy(self._guarded, role)
        return grants


class _RollbackAlarm(cw.AlarmBase):
    """An alarm defined as its ``Resource`` (an ``AWS::CloudWatch::Alarm`` with the properties
    ``cw.Alarm`` would render for the same metrics, rendered here in CloudFormation's own shape: no jsii
    round trip per metric, and no typed struct to serialize), with the ``IAlarm`` face users pass on.

    Actions added to it (to be told that a deployment is rolling back) reach the template as
    ``cw.Alarm`` renders them: ``AlarmBase`` only records them, and the first action of each kind
    gives the resource that list, rendered at synth (later actions add to it).
    """

    def __init__(self, scope: Construct, id: str, properties: dict[str, Any], *, arn_prefix: str) -> None:
        super().__init__(scope, id)
        self._resource = CfnResource(self, "Resource", type="AWS::CloudWatch::Alarm", properties=properties)
        self._alarm_name = self._resource.ref
        # The ARN its GetAtt returns, spelled from its name: two round trips to the jsii runtime fewer
        # per alarm (the GetAtt and its string).
        self._alarm_arn = arn_prefix + self._alarm_name
        self._rendered_actions: set[str] = set()

    def add_alarm_action(self, *actions: cw.IAlarmAction) -> None:
        super().add_alarm_action(*actions)
        self._render_actions("AlarmActions", lambda: self._alarm_action_arns)

    def add_ok_action(self, *actions: cw.IAlarmAction) -> None:
        super().add_ok_action(*actions)
        self._render_actions("OKActions", lambda: self._ok_action_arns)

    def add_insufficient_data_action(self, *actions: cw.IAlarmAction) -> None:
        super().add_insufficient_data_action(*actions)
        self._render_actions("InsufficientDataActions", lambda: self._insufficient_data_action_arns)

    def _render_actions(self, key: str, arns: Callable[[], list[str] | None]) -> None:
        if key not in self._rendered_actions:
            self._rendered_actions.add(key)
            self._resource.add_property_override(key, at_synth(arns))

    @property
    def alarm_arn(self) -> str:
        return self._alarm_arn

    @property
    def alarm_name(self) -> str:
        return self._alarm_name


def _properties(**properties: Any) -> dict[str, Any]:
    """Properties of ``AWS::CloudWatch::Alarm`` (or of one of its structures) without the unset ones, in
    the order ``cw.CfnAlarm`` renders them: by name."""
    return {key: properties[key] for key in sorted(properties) if properties[key] is not None}


def create_rollback_alarms(
    scope: Construct,
    endpoint: EndpointMetrics,
    pools: Sequence[InstancePool],
    options: RollbackAlarms,
    *,
    stack: Stack,
) -> list[cw.IAlarm]:
    """Define the default rollback alarms under ``scope``, whose stack is ``stack`` (their ARNs are
    spelled in it)."""
    period = seconds(options.period)
    new_alarm = partial(_RollbackAlarm, scope, arn_prefix=alarm_arn_prefix(stack))
    common: dict[str, Any] = {
        "ComparisonOperator": "GreaterThanThreshold",
        "DatapointsToAlarm": options.datapoints_to_alarm,
        "EvaluationPeriods": options.evaluation_periods,
        "TreatMissingData": "notBreaching",
    }
    alarms: list[cw.IAlarm] = [
        new_alarm(
            "ErrorRate",
            _properties(
                AlarmDescription=(
                    f"Rolls back a deployment when more than {options.error_rate_percent:g} % of invocations "
                    "return a 5XX error"
                ),
                Metrics=[
                    {
                        "Expression": "100 * FILL(errors, 0) / invocations",
                        "Id": "expr_1",
                        "Label": "5XX error rate (%)",
                        "ReturnData": True,
                    },
                    {
                        "Id": "errors",
                        "MetricStat": _metric_stat(endpoint.series(INVOCATION_5XX_ERRORS), period),
                        "ReturnData": False,
                    },
                    {
                        "Id": "invocations",
                        "MetricStat": _metric_stat(endpoint.series(INVOCATIONS), period),
                        "ReturnData": False,
                    },
                ],
                Threshold=options.error_rate_percent,
                **common,
            ),
        )
    ]
    for pool in pools:
        threshold = pool.model_latency_threshold or options.model_latency
        if threshold is None:
            continue
        milliseconds, human = milliseconds_and_words(threshold)
        series = endpoint.series(MODEL_LATENCY, instance_type=pool.instance_type, statistic=options.latency_statistic)
        simple = series.statistic in SIMPLE_STATISTICS
        alarms.append(
            new_alarm(
                f"ModelLatency-{_id_part(pool.instance_type, pool.priority)}",
                _properties(
                    AlarmDescription=(
                        f"Rolls back a deployment when {options.latency_statistic} ModelLatency on "
                        f"{pool.instance_type} exceeds {human}"
                    ),
                    Dimensions=_dimensions(series),
                    MetricName=series.metric_name,
                    Namespace=series.namespace,
                    Period=period,
                    Statistic=series.statistic if simple else None,
                    ExtendedStatistic=None if simple else series.statistic,
                    Threshold=milliseconds * 1000,  # ModelLatency is published in microseconds
                    **common,
                ),
            )
        )
    for alarm in alarms:  # each on its own: on the endpoint, it would also cover an alarm a user put there
        NO_ACTION_WAIVER.apply(alarm)
    return alarms


def alarm_arn_prefix(stack: Stack) -> str:
    """``arn:<partition>:cloudwatch:<region>:<account>:alarm:``: with the name of an alarm in ``stack``
    appended, the alarm's ARN."""
    return stack.format_arn(
        service="cloudwatch", resource="alarm", resource_name="", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def _metric_stat(series: Series, period: int | None) -> dict[str, Any]:
    """A metric-math operand."""
    metric = {"Dimensions": _dimensions(series), "MetricName": series.metric_name, "Namespace": series.namespace}
    return _properties(Metric=metric, Period=period, Stat=series.statistic)


def _dimensions(series: Series) -> list[dict[str, str]]:
    """Sorted by name, as ``cw.Alarm`` renders them."""
    return [{"Name": name, "Value": series.dimensions[name]} for name in sorted(series.dimensions)]


def _id_part(instance_type: str, priority: int | None) -> str:
    return f"Pool{priority}" if unresolved(instance_type) else instance_type.removeprefix("ml.")


def check_alarm_count(count: int) -> None:
    if count > MAX_ROLLBACK_ALARMS:
        raise ValidationError(
            f"a deployment can be rolled back by at most {MAX_ROLLBACK_ALARMS} alarms, got {count} "
            "(default rollback alarms included)"
        )


def check_guarded_alarms(
    scope: Construct,
    pools: Sequence[InstancePool],
    *,
    guarded: bool,
    defaults: RollbackAlarms | None,
    alarms: Sequence[cw.IAlarm],
) -> None:
    """An endpoint's alarm arguments, before it has children: ``guarded`` (a deployment policy) for any
    default alarm, 10 alarms at most, each in the endpoint's account and region."""
    if not guarded and any(p.model_latency_threshold is not None for p in pools):
        raise ValidationError(
            "instance_pools[].model_latency_threshold sets a rollback alarm of a guarded deployment; "
            "it needs deployment"
        )
    for index, pool in enumerate(pools):
        # Zero would breach on every request and roll every deployment back.
        check_duration_ms(f"instance_pools[{index}].model_latency_threshold", pool.model_latency_threshold, 1)
    if defaults is not None:
        defaults.validate("rollback_alarms")
        if not guarded and defaults is not RollbackAlarms.DEFAULT:
            raise ValidationError(
                "rollback_alarms sets the default rollback alarms of a guarded deployment; it needs "
                "deployment (or rollback_alarms=None)"
            )
    check_alarm_count(len(alarms) + (default_alarm_count(pools, defaults) if guarded else 0))
    if alarms:
        check_local_alarms("alarms", alarms, Stack.of(scope))


def check_local_alarms(arg: str, alarms: Sequence[cw.IAlarm], stack: Stack) -> None:
    """Fail for an alarm of another account or region: SageMaker looks rollback alarms up by name in the
    endpoint's own, where such a name finds nothing or an unrelated alarm."""
    for index, alarm in enumerate(alarms):
        # The ARN's own region and account where it spells them (an alarm imported by ARN has its scope's
        # env, whatever the ARN says); otherwise the alarm's stack.
        parts = alarm.alarm_arn.split(":")
        home = alarm.stack if len(parts) < 6 or unresolved(parts[3]) or unresolved(parts[4]) else None
        region, account = (home.region, home.account) if home is not None else (parts[3], parts[4])
        outside = outside_stack(stack, account=account, region=region)
        if outside is not None:
            part, theirs, ours = outside
            # A name CloudFormation generates is a token: the alarm's path says which one it is.
            name = alarm.node.path if unresolved(alarm.alarm_name) else alarm.alarm_name
            raise ValidationError(
                f"{arg}[{index}] ({name}) is an alarm of {part} {theirs}; SageMaker reads "
                f"rollback alarms by name in the endpoint's {part}, {ours}"
            )


def default_alarm_count(pools: Sequence[InstancePool], options: RollbackAlarms | None) -> int:
    if options is None:
        return 0
    latency = sum(1 for p in pools if (p.model_latency_threshold or options.model_latency) is not None)
    return 1 + latency
