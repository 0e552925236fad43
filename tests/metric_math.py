"""A small evaluator for the CloudWatch metric-math subset our expressions use, at one timestamp.

Operators: numbers, metric ids, ``+ - * /``, parentheses and ``FILL(series, value)``. A metric is
either a number or ``None`` (no datapoint at this timestamp: its pool has no instances).

Three readings of missing data, so that a formula is shown right under each:
- ``documented``: CloudWatch's rule for arithmetic between two time series: a value missing on one
  side counts as 0 (missing on both sides stays missing); arithmetic with a scalar keeps it missing.
- ``strict``: any missing operand makes the result missing.
- ``fill-needs-data``: as ``documented``, but ``FILL`` of a series with no data in the whole window
  yields nothing (an unverified possibility the AWS documentation leaves open).
Division by zero drops the datapoint (missing), as CloudWatch does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(.))")


@dataclass(frozen=True)
class Value:
    number: float | None
    series: bool


def evaluate(expression: str, metrics: dict[str, float | None], mode: str = "documented") -> float | None:
    parser = _Parser(expression, metrics, mode)
    result = parser.sum()
    if parser.peek() is not None:
        raise SyntaxError(f"unexpected {parser.peek()!r} in {expression!r}")
    return result.number


class _Parser:
    def __init__(self, expression: str, metrics: dict[str, float | None], mode: str) -> None:
        self.tokens = [m.group(1) or m.group(2) or m.group(3) for m in TOKEN.finditer(expression)]
        self.tokens = [t for t in self.tokens if t and not t.isspace()]
        self.position = 0
        self.metrics = metrics
        self.mode = mode

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise SyntaxError(f"expected {expected!r}, got {token!r}")
        self.position += 1
        return token

    def sum(self) -> Value:
        left = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()
            left = self.combine(op, left, self.product())
        return left

    def product(self) -> Value:
        left = self.atom()
        while self.peek() in ("*", "/"):
            op = self.take()
            left = self.combine(op, left, self.atom())
        return left

    def atom(self) -> Value:
        token = self.take()
        if token == "(":
            inner = self.sum()
            self.take(")")
            return inner
        if token == "FILL":
            self.take("(")
            series = self.sum()
            self.take(",")
            fill = self.sum()
            self.take(")")
            if series.number is None and self.mode == "fill-needs-data":
                return Value(None, True)
            return Value(fill.number if series.number is None else series.number, True)
        if re.fullmatch(r"\d+(?:\.\d+)?", token):
            return Value(float(token), False)
        if token in self.metrics:
            return Value(self.metrics[token], True)
        raise SyntaxError(f"unknown metric or function {token!r}")

    def combine(self, op: str, left: Value, right: Value) -> Value:
        series = left.series or right.series
        a, b = left.number, right.number
        if a is None and b is None:
            return Value(None, series)
        if a is None or b is None:
            both_series = left.series and right.series
            if self.mode == "strict" or not both_series:
                return Value(None, series)
            a, b = (0.0 if a is None else a), (0.0 if b is None else b)
        if op == "+":
            return Value(a + b, series)
        if op == "-":
            return Value(a - b, series)
        if op == "*":
            return Value(a * b, series)
        return Value(None if b == 0 else a / b, series)
