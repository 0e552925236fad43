"""How the handlers call AWS: retries of throttling and transient faults, and failures worded for CloudFormation."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

RETRYABLE = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalServerError",
        "SlowDown",
        "RequestTimeout",
    }
)
TRANSIENT = (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)
"""Network faults worth another attempt (botocore retries them too, a few times, before they reach us)."""

backoff: Callable[[float], None] = time.sleep
"""How retries wait (tests replace it)."""


class JobError(Exception):
    """A failure to report to CloudFormation as it is (it becomes the stack event's reason)."""


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def with_retries(call: Callable[[], Any], *, attempts: int = 6, base_delay: float = 1.0) -> Any:
    """Call ``call``, retrying throttling and transient service errors with jittered exponential backoff."""
    for attempt in range(attempts):
        try:
            return call()
        except (ClientError, *TRANSIENT) as error:
            retryable = not isinstance(error, ClientError) or error_code(error) in RETRYABLE
            if not retryable or attempt == attempts - 1:
                raise
            backoff(min(60.0, base_delay * 2**attempt) * (0.5 + random.random() / 2))
    raise AssertionError("unreachable")


def explain(error: ClientError, action: str) -> JobError:
    """``<action> failed: <code>: <message>``, the way a stack event should read."""
    message = error.response.get("Error", {}).get("Message", "")
    return JobError(f"{action} failed: {error_code(error)}: {message}")


def attribute_text(value: Any) -> str:
    """A custom-resource attribute value: CloudFormation passes every attribute as a string. Whole
    numbers lose their ``.0`` (a copy count reads ``2``); others keep six significant digits, never in
    exponent notation (metric math reads some of them)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.6g}"
    return text if "e" not in text else f"{value:.6f}".rstrip("0").rstrip(".")
