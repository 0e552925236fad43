"""What the fake services share: their error response and their clock. Standard library only."""

from __future__ import annotations

import datetime as dt

EPOCH = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)


class ServiceError(Exception):
    """An error response of the fake service (becomes botocore's ClientError)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
