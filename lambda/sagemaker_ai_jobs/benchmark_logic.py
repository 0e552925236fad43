"""Turning a finished AI benchmark job into results: find its output, parse it, gate on the SLA,
derive capacity, publish. Pure logic: the AWS clients come in as arguments."""

from __future__ import annotations

from typing import Any

import aiperf_results as results
from ai_jobs_logic import JOB_APIS, JobError, describe, error_code, with_retries
from botocore.exceptions import ClientError

OUTPUT_ARCHIVE = "output.tar.gz"
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


def find_output(s3: Any, output_location: str, job_name: str) -> tuple[str, str]:
    """The job's ``output.tar.gz``: listed under its output location, never assumed at a fixed key.
    With several, the one whose key names the job wins, then the newest."""
    bucket, _, prefix = output_location.removeprefix("s3://").partition("/")
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        paging = {"ContinuationToken": token} if token else {}
        page = with_retries(lambda paging=paging: s3.list_objects_v2(Bucket=bucket, Prefix=prefix, **paging))
        found += [obj for obj in page.get("Contents", []) if obj["Key"].endswith(OUTPUT_ARCHIVE)]
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            break
    if not found:
        raise JobError(f"AI benchmark job {job_name} left no {OUTPUT_ARCHIVE} under {output_location}")
    best = max(found, key=lambda obj: (job_name in obj["Key"], obj["LastModified"]))
    return bucket, best["Key"]


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
    bucket, key = find_output(s3, job["OutputConfig"]["S3OutputLocation"], name)
    body = with_retries(lambda: s3.get_object(Bucket=bucket, Key=key))["Body"]
    try:
        output = results.load_tarball(body)
    except results.ResultsError as error:
        raise JobError(f"AI benchmark job {name}: s3://{bucket}/{key}: {error}") from error
    run = output.primary()
    figures = run.headline()
    data = {k: _text(v) for k, v in figures.items() if v is not None}
    data.update({"JobName": name, "JobStatus": status, "Output": f"s3://{bucket}/{key}", "Runs": str(len(output.runs))})
    if run.concurrency is not None:
        data["Concurrency"] = str(run.concurrency)

    failure = job.get("FailureReason") or output.failure_reason
    if status == "Failed" and str(props.get("AllowFailedJob", "false")).lower() != "true":
        raise JobError(f"AI benchmark job {name} Failed: {failure or 'no reason given'}; measured {_summary(figures)}")
    if failure:
        data["FailureReason"] = failure[:500]

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

    publish(cloudwatch, ssm, props.get("Publish") or {}, {k: v for k, v in figures.items() if v is not None})
    return {"PhysicalResourceId": f"{name}:results", "Data": data}


def publish(cloudwatch: Any, ssm: Any, settings: dict[str, Any], figures: dict[str, float]) -> None:
    """Publish the figures as CloudWatch metrics and/or SSM parameters, as configured."""
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
        for name, value in sorted(figures.items()):
            with_retries(
                lambda name=name, value=value: ssm.put_parameter(
                    Name=f"{prefix}/{name}", Value=_text(value), Type="String", Overwrite=True
                )
            )


def unpublish(ssm: Any, settings: dict[str, Any]) -> None:
    """Remove the SSM parameters a results resource wrote (absent ones are fine)."""
    prefix = (settings or {}).get("ParameterPrefix")
    if not prefix:
        return
    names = [f"{prefix}/{name}" for name in [*results.HEADLINE, "ErrorCount", "ErrorRate", "RequestCount"]]
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
