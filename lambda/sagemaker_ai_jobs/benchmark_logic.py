"""Turning a finished AI benchmark job into results: find its output, parse it, gate on the SLA,
derive capacity, publish. Pure logic: the AWS clients come in as arguments."""

from __future__ import annotations

from typing import Any

import aiperf_results as results
from aws_calls import JobError, error_code, with_retries
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
        results.Threshold(spec["Metric"], float(spec["Limit"]), str(spec.get("AtMost", "true")).lower() == "true")
        for spec in specs or []
    ]


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
    run = output.primary()
    figures = run.headline()
    failure = job.get("FailureReason") or output.failure_reason
    data = {k: NOT_MEASURED if v is None else _text(v) for k, v in figures.items()}
    data.update(
        {
            "JobName": name,
            "JobStatus": status,
            "FailureReason": (failure or "none")[:500],
            "Output": f"s3://{bucket}/{key}",
            "Runs": str(len(output.runs)),
            "Concurrency": str(run.concurrency) if run.concurrency is not None else NOT_MEASURED,
        }
    )
    if status == "Failed" and str(props.get("AllowFailedJob", "false")).lower() != "true":
        raise JobError(f"AI benchmark job {name} Failed: {failure or 'no reason given'}; measured {_summary(figures)}")
    verdict = results.gate(run, thresholds(props.get("Thresholds")))
    if not verdict.passed:
        raise JobError(verdict.message(f"AI benchmark job {name}"))

    capacity = props.get("Capacity")
    if capacity:
        try:
            sustained = results.sustainable_concurrency(output, thresholds(capacity.get("Thresholds")))
        except results.ResultsError as error:
            raise JobError(f"AI benchmark job {name}: {error}") from error
        data["MaxConcurrencyPerInstance"] = _text(sustained / float(capacity.get("Instances", 1)))

    publish(cloudwatch, ssm, props.get("Publish") or {}, {k: v for k, v in figures.items() if v is not None}, name)
    return {"PhysicalResourceId": f"{name}:results", "Data": data}


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
        values = {**{name: _text(value) for name, value in figures.items()}, "JobName": job_name}
        for name, value in sorted(values.items()):
            with_retries(
                lambda name=name, value=value: ssm.put_parameter(
                    Name=f"{prefix}/{name}", Value=value, Type="String", Overwrite=True
                )
            )


def unpublish(ssm: Any, settings: dict[str, Any], job_name: str) -> None:
    """Remove the SSM parameters this job's results wrote. When a re-run replaced the results, the
    parameters name the new job and stay."""
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
            with_retries(lambda start=start: ssm.delete_parameters(Names=names[start : start + 10]))
        except ClientError as error:
            if error_code(error) != "ParameterNotFound":
                raise


def _summary(figures: dict[str, float | None]) -> str:
    shown = [f"{k} {v:g}" for k, v in figures.items() if v is not None]
    return ", ".join(shown) if shown else "nothing (no figures in the output)"


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"
