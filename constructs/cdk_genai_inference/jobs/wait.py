"""Whether a deployment waits for its AI job to finish."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration

from .._core.validation import check_duration
from ..errors import ValidationError
from .provider import MAX_WAIT, WAITER_MARGIN_SECONDS


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
            poll_interval: Between status checks, 1-60 minutes. The waiter checks at once and then
                every ``poll_interval``, and fails a job still running at its first check past
                ``timeout`` less a poll interval and a minute (so that the job's status, not
                CloudFormation's own time-out, explains it); ``timeout`` must leave at least one poll
                interval before that: twice ``poll_interval`` plus a minute. Default: 5 minutes
        """
        timeout, poll_interval = timeout or MAX_WAIT, poll_interval or Duration.minutes(5)
        check_duration("JobWait.in_deployment timeout", timeout, 60, int(MAX_WAIT.to_seconds()))
        check_duration("JobWait.in_deployment poll_interval", poll_interval, 60, 3600)
        timeout_s, poll_s = int(timeout.to_seconds()), int(poll_interval.to_seconds())
        if timeout_s < 2 * poll_s + WAITER_MARGIN_SECONDS:
            raise ValidationError(
                f"JobWait.in_deployment timeout must be at least twice poll_interval plus {WAITER_MARGIN_SECONDS} "
                f"seconds, got timeout {timeout_s} seconds and poll_interval {poll_s} seconds: the waiter gives "
                "up a poll interval and a minute before the timeout, so a shorter timeout fails a job still "
                "running before its first poll interval has passed"
            )
        return JobWait(timeout, poll_interval)

    @staticmethod
    def none() -> JobWait:
        """Start the job and move on; a later stack or pipeline stage resolves it."""
        return JobWait(None)
