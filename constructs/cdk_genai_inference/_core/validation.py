"""Synth-time checks shared by every construct. Unresolved tokens always pass."""

from __future__ import annotations

import difflib
import math
import re
import struct
from collections.abc import Collection, Iterable
from typing import Any
from weakref import WeakKeyDictionary

from aws_cdk import Duration, Token

from ..errors import ValidationError

_TOKEN_MARKER = "Token["
"""Every string token holds it (``${Token[...]}``); a string without it is never one."""
_NUMBER_TOKEN_BITS = 0xFBFF0000
"""The top 16 bits of a number token's IEEE 754 encoding (aws-cdk-lib's ``extractTokenDouble``)."""


def unresolved(value: Any) -> bool:
    """True when ``value`` is (or contains) a token that only resolves at deploy time.

    The answer is ``Token.is_unresolved``'s, without asking the jsii runtime for plain numbers and for
    strings with no token marker (every call of a synth asks this a few times per argument).
    """
    if value is None:
        return False
    if isinstance(value, str):
        return _TOKEN_MARKER in value and Token.is_unresolved(value)
    if isinstance(value, int) and abs(value) < 2**53:  # bool included; a number token is near -2**960
        return False
    if isinstance(value, float):  # infinities and NaN are no tokens (and JSON cannot carry them to jsii)
        (bits,) = struct.unpack("<Q", struct.pack("<d", value))
        return math.isfinite(value) and (bits >> 32) & 0xFFFF0000 == _NUMBER_TOKEN_BITS
    return Token.is_unresolved(value)


def check_range(arg: str, value: float | None, low: float, high: float | None, unit: str = "") -> None:
    """Fail unless ``low <= value <= high`` (``high=None`` means no upper bound)."""
    if value is None or unresolved(value):
        return
    if value < low or (high is not None and value > high):
        allowed = f"at least {low:g}" if high is None else f"between {low:g} and {high:g}"
        suffix = f" {unit}" if unit else ""
        raise ValidationError(f"{arg} must be {allowed}{suffix}, got {value:g}{suffix}")


_SECONDS: WeakKeyDictionary[Duration, float] = WeakKeyDictionary()


def duration_seconds(value: Duration) -> float:
    """``value.to_seconds()``, asked of the jsii runtime once per ``Duration`` (they are immutable, and a
    synth reads the same ones while validating and again whenever a Lazy value renders)."""
    cached = _SECONDS.get(value)
    if cached is None:
        cached = _SECONDS[value] = value.to_seconds()
    return cached


def check_duration(arg: str, value: Duration | None, low_s: int, high_s: int | None) -> None:
    """Range-check a ``Duration`` in whole seconds."""
    if value is None:
        return
    try:
        total = duration_seconds(value)
    except RuntimeError as error:  # jsii: not a whole number of seconds
        raise ValidationError(f"{arg} must be a whole number of seconds, got {value.to_human_string()}") from error
    check_range(arg, total, low_s, high_s, "seconds")


def check_choice(arg: str, value: str | None, allowed: Collection[str], what: str = "") -> None:
    """Fail unless ``value`` is one of ``allowed``."""
    if value is None or unresolved(value) or value in allowed:
        return
    listing = ", ".join(sorted(allowed)) if len(allowed) <= 12 else _sample(value, allowed)
    noun = f" {what}" if what else ""
    raise ValidationError(f"{arg} got {value!r}, which is not a valid{noun}; allowed: {listing}")


def check_unique(arg: str, values: Iterable[Any]) -> None:
    """Fail when a (resolved) value appears twice."""
    seen: set[Any] = set()
    for value in values:
        if unresolved(value):
            continue
        if value in seen:
            raise ValidationError(f"{arg} must be unique, got {value!r} more than once")
        seen.add(value)


def seconds(value: Duration | None) -> int | None:
    """A Duration as whole seconds for a CloudFormation property (tokens pass through)."""
    return None if value is None else int(duration_seconds(value))


def _sample(value: str, allowed: Collection[str]) -> str:
    close = difflib.get_close_matches(value, list(allowed), n=5, cutoff=0.6)
    hint = f" (closest: {', '.join(close)})" if close else ""
    return f"one of the {len(allowed)} values in botocore's SageMaker service model{hint}"


def check_name(arg: str, value: str | None, shape_name: str) -> None:
    """Check a physical name against the SageMaker service model's pattern and length for ``shape_name``."""
    if value is None or unresolved(value):
        return
    from . import service_model  # local: keeps botocore off the import path of pure helpers

    pattern, max_length = service_model.name_rule(shape_name)
    if not value or len(value) > max_length or not re.fullmatch(pattern, value):
        raise ValidationError(f"{arg} must be 1-{max_length} characters matching {pattern}, got {value!r}")
