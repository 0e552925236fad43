"""Whether a deployment waits for its AI job to finish."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration

from .._core.validation import check_duration
from .provider import MAX_WAIT


@dataclass(frozen=True)
class JobWait:
    """Whether a deployment waits for its job to finish. Build with ``in_deployment`` or ``none``."""

    timeout: Duration | None
    poll_interval: Duration = Duration.minutes(5)  # noqa: RUF009 - a Duration is immutable

    @staticmethod
    def in_deployment(timeout: Duration | None = None, poll_interval: Duration | None = None) -> JobWait:
        """Hold the deployment until the job completes; fail it (with the job's ``FailureReason``)
        when the job fails, stops, or is still running at ``timeout``.

        Args:
            timeout: At most 12 hours (CloudFormation's wait-condition limit). Default: 12 hours
            poll_interval: Between status checks, 1-60 minutes. Default: 5 minutes
        """
        wait = JobWait(timeout or MAX_WAIT, poll_interval or Duration.minutes(5))
        check_duration("JobWait.in_deployment timeout", wait.timeout, 60, int(MAX_WAIT.to_seconds()))
        check_duration("JobWait.in_deployment poll_interval", wait.poll_interval, 60, 3600)
        return wait

    @staticmethod
    def none() -> JobWait:
        """Start the job and move on; a later stack or pipeline stage resolves it."""
        return JobWait(None)
