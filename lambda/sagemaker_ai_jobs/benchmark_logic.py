"""Turning a finished AI benchmark job into results: find its output, parse it, gate on the SLA,
compare with the baseline, derive capacity, publish. Pure logic: the AWS clients come in as arguments."""

from __future__ import annotations

from functools import partial
from typing import Any

import aiperf_results as results
from aws_calls import JobError, attribute_text, error_code, with_retries
from botocore.exceptions import ClientError
from job_lifecycle import JOB_APIS, describe

NOT_MEASURED = "n/a"
"""The value of a figure the run did not produce (every figure is always returned: the stack reads them all)."""
UNITS = {
    "OutputTokenThroughput": "Count/Second",
    "RequestThroughput": "Count/Second",
    "ErrorCount": "Count",
    "RequestCount": "Count",
    "ErrorRate": "None",
}
"""CloudWatch units of the headline figures; every other figure is a latency in milliseconds."""


def thresholds(specs: list[dict[str, Any]] | None) -> list[results.Threshold]:
    """Thresholds as the construct sends them (CloudFormation turns every value into a string)."""
    return [
        results.Threshold(
            spec["Metric"],
            float(spec["Limit"]),
            _true(spec.get("AtMost", "true")),
            _true(spec.get("OnBound", "false")),
        )
        for spec in specs or []
    ]


def _true(value: Any) -> bool:
    return str(value).lower() == "true"


def find_output(s3: Any, output_location: str, job_name: str = "", created: Any = None) -> tuple[str, str]:
    """The job's ``output.tar.gz`` (see ``aiperf_results.find_archive``), listed with retries."""
    try:
        return results.find_archive(s3, output_location, job_name, created, call=with_retries)
    except results.ResultsError as error:
        raise JobError(str(error)) from error


def benchmark_results(sm: Any, s3: Any, cloudwatch: Any, ssm: Any, props: dict[str, Any]) -> dict[str, Any]:
    """The custom-resource response of a ``BenchmarkResults`` resource."""
    name = props["JobName"]
    api = JOB_APIS["BenchmarkJob"]
    job = describe(sm, api, name)
    if job is None:
        raise JobError(f"AI benchmark job {name} does not exist")
    status = job[api.status_field]
    if status not in ("Completed", "Failed"):
        raise JobError(f"AI benchmark job {name} is {status}; its results exist once it has finished")
    try:
        bucket, key = find_output(s3, job["OutputConfig"]["S3OutputLocation"], name, job.get("CreationTime"))
        body = with_retries(lambda: s3.get_object(Bucket=bucket, Key=key))["Body"]
        output = results.load_tarball(body)
    except (JobError, results.ResultsError, ClientError) as error:
        if status == "Failed":  # a job that failed before writing its output: its reason matters most
            reason = job.get("FailureReason") or "no reason given"
            raise JobError(f"AI benchmark job {name} Failed: {reason} ({error})") from error
        if isinstance(error, JobError):
            raise
        raise JobError(f"AI benchmark job {name}: {error}") from error
    level = output.primary_level()
    estimates = level.estimates()
    figures = {name: e.mean if e is not None else None for name, e in estimates.items()}
    failure = job.get("FailureReason") or output.failure_reason
    data = {k: NOT_MEASURED if v is None else attribute_text(v) for k, v in figures.items()}
    data.update(intervals(estimates))
    data.update(
        {
            "JobName": name,
            "JobStatus": status,
            "FailureReason": (failure or "none")[:500],
            "Output": f"s3://{bucket}/{key}",
            "Runs": str(len(output.runs)),
            "Concurrency": str(level.concurrency) if level.concurrency is not None else NOT_MEASURED,
        }
    )
    if status == "Failed" and not _true(props.get("AllowFailedJob", "false")):
        raise JobError(f"AI benchmark job {name} Failed: {failure or 'no reason given'}; measured {_summary(figures)}")
    verdict = results.gate(level, thresholds(props.get("Thresholds")))
    if not verdict.passed:
        raise JobError(verdict.message(f"AI benchmark job {name}"))
    settings = props.get("Publish") or {}
    baseline = read_baseline(ssm, settings.get("Baseline"))
    # The run the baseline replaced, read again: CloudFormation rolls back the deployment that accepted
    # the newer run by updating this resource to its old properties, and then deletes the newer results,
    # which restores this run as the baseline (a revert to this run's definition does the same). It was
    # accepted once: compared again with the newer run it could fail the rollback itself.
    returning = baseline is not None and baseline.previous is not None and baseline.previous.job == name
    data["BaselineJob"] = (
        "none" if returning else compare_with_baseline(name, job, estimates, baseline, settings.get("Baseline"))
    )

    capacity = props.get("Capacity")
    if capacity:
        try:
            sustained = results.sustainable_concurrency(output, thresholds(capacity.get("Thresholds")))
        except results.ResultsError as error:
            raise JobError(f"AI benchmark job {name}: {error}") from error
        data["MaxConcurrencyPerInstance"] = attribute_text(sustained / float(capacity.get("Instances", 1)))

    publish(cloudwatch, ssm, settings, {k: v for k, v in figures.items() if v is not None}, name)
    if settings.get("Baseline") and status == "Completed" and not returning:  # an accepted run becomes the baseline
        accepted = str(job.get("EndTime") or job.get("CreationTime") or "")
        workload = job.get("AIWorkloadConfigIdentifier")
        new = (
            baseline.succeeded_by(name, estimates, workload, accepted)
            if baseline is not None
            else results.accept(name, estimates, workload, accepted)
        )
        write_baseline(ssm, settings["Baseline"]["ParameterName"], new)
    return {"PhysicalResourceId": f"{name}:results", "Data": data}


def intervals(estimates: dict[str, results.Estimate | None]) -> dict[str, str]:
    """Each figure's interval bounds (``n/a`` without one), the runs and the confidence level."""
    data = {}
    runs, confidence = 1, None
    for name, estimate in estimates.items():
        has = estimate is not None and estimate.has_interval
        low, high = (estimate.low, estimate.high) if estimate is not None and has else (None, None)
        data[f"{name}CiLow"] = attribute_text(low) if low is not None else NOT_MEASURED
        data[f"{name}CiHigh"] = attribute_text(high) if high is not None else NOT_MEASURED
        if estimate is not None:
            runs = max(runs, estimate.runs)
            confidence = confidence or estimate.confidence
    data["ProfileRuns"] = str(runs)
    data["ConfidenceLevel"] = attribute_text(confidence) if confidence is not None else NOT_MEASURED
    return data


def read_baseline(ssm: Any, settings: dict[str, Any] | None) -> results.Baseline | None:
    """The stored baseline, or None before the first accepted run."""
    if not settings:
        return None
    parameter = settings["ParameterName"]
    try:
        value: str = with_retries(lambda: ssm.get_parameter(Name=parameter))["Parameter"]["Value"]
    except ClientError as error:
        if error_code(error) == "ParameterNotFound":
            return None
        raise
    try:
        return results.loads(value, f"the baseline parameter {parameter}")
    except results.ResultsError as error:
        raise JobError(f"{error}; delete it to start a new baseline") from error


def compare_with_baseline(
    name: str,
    job: dict[str, Any],
    estimates: dict[str, results.Estimate | None],
    baseline: results.Baseline | None,
    settings: dict[str, Any] | None,
) -> str:
    """Fail on a regression; return the job compared with (``none`` when this run establishes the baseline)."""
    if not settings or baseline is None:
        return "none"
    workload = job.get("AIWorkloadConfigIdentifier")
    if baseline.workload and workload and baseline.workload != workload:
        return "none"  # another workload: not comparable, this run starts a new baseline
    reference = baseline.previous if baseline.job == name and baseline.previous is not None else baseline
    if reference.job == name:
        return "none"  # this job is the baseline (a re-read of the first run)
    tolerances = {metric: float(value) for metric, value in (settings.get("Tolerances") or {}).items()}
    verdict = results.regressions(estimates, reference, tolerances)
    if not verdict.passed:
        raise JobError(verdict.message(f"AI benchmark job {name}", "regressed against its baseline"))
    return reference.job


def write_baseline(ssm: Any, parameter: str, baseline: results.Baseline) -> None:
    value = baseline.dumps()
    with_retries(lambda: ssm.put_parameter(Name=parameter, Value=value, Type="String", Overwrite=True))


def restore_baseline(ssm: Any, settings: dict[str, Any], job_name: str) -> None:
    """Deleting the results of the job that is the baseline (the deployment that accepted it rolled
    back, or the stack is deleted) restores the baseline before it, or removes it after a first run.
    Results of another job (a replaced, older run) leave it alone."""
    parameter = settings["ParameterName"]
    baseline = read_baseline(ssm, settings)
    if baseline is None or baseline.job != job_name:
        return
    if baseline.previous is not None:
        write_baseline(ssm, parameter, baseline.previous)
        return
    try:
        with_retries(lambda: ssm.delete_parameter(Name=parameter))
    except ClientError as error:
        if error_code(error) != "ParameterNotFound":
            raise


def publish(cloudwatch: Any, ssm: Any, settings: dict[str, Any], figures: dict[str, float], job_name: str) -> None:
    """Publish the figures as CloudWatch metrics and/or SSM parameters, as configured. The parameters
    include ``JobName``: the run they came from, so replacing a results resource never loses them."""
    namespace = settings.get("Namespace")
    if namespace:
        dimensions = [{"Name": d["Name"], "Value": d["Value"]} for d in settings.get("Dimensions", [])]
        metric_data = [
            {"MetricName": name, "Dimensions": dimensions, "Value": value, "Unit": UNITS.get(name, "Milliseconds")}
            for name, value in sorted(figures.items())
        ]
        with_retries(lambda: cloudwatch.put_metric_data(Namespace=namespace, MetricData=metric_data))
    prefix = settings.get("ParameterPrefix")
    if prefix:
        values = {**{name: attribute_text(value) for name, value in figures.items()}, "JobName": job_name}
        for name, value in sorted(values.items()):
            with_retries(
                partial(ssm.put_parameter, Name=f"{prefix}/{name}", Value=value, Type="String", Overwrite=True)
            )


def unpublish(ssm: Any, settings: dict[str, Any], job_name: str) -> None:
    """Remove the SSM parameters this job's results wrote, and restore the baseline before it. When a
    re-run replaced the results, the parameters and the baseline name the new job and stay."""
    if (settings or {}).get("Baseline"):
        restore_baseline(ssm, settings["Baseline"], job_name)
    prefix = (settings or {}).get("ParameterPrefix")
    if not prefix:
        return
    try:
        owner = with_retries(lambda: ssm.get_parameter(Name=f"{prefix}/JobName"))["Parameter"]["Value"]
    except ClientError as error:
        if error_code(error) == "ParameterNotFound":
            return
        raise
    if owner != job_name:
        return
    names = [f"{prefix}/{name}" for name in [*results.FIGURES, "JobName"]]
    for start in range(0, len(names), 10):
        try:
            with_retries(partial(ssm.delete_parameters, Names=names[start : start + 10]))
        except ClientError as error:
            if error_code(error) != "ParameterNotFound":
                raise


def _summary(figures: dict[str, float | None]) -> str:
    shown = [f"{k} {v:g}" for k, v in figures.items() if v is not None]
    return ", ".join(shown) if shown else "nothing (no figures in the output)"
