"""Synth-time checks shared by every construct. Unresolved tokens always pass."""

from __future__ import annotations

import difflib
import math
import re
import struct
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
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


_DURATIONS: WeakKeyDictionary[Duration, dict[str, float]] = WeakKeyDictionary()


def duration_seconds(value: Duration) -> float:
    """``value.to_seconds()``, asked of the jsii runtime once per ``Duration`` (they are immutable, and a
    synth reads the same ones while validating and again whenever a Lazy value renders)."""
    return _converted(value, "seconds", value.to_seconds)


def duration_milliseconds(value: Duration) -> float:
    """``value.to_milliseconds()``, asked once per ``Duration``."""
    return _converted(value, "milliseconds", value.to_milliseconds)


_UNITS = (("days", 86_400_000), ("hours", 3_600_000), ("minutes", 60_000), ("seconds", 1000), ("millis", 1))


def milliseconds_and_words(value: Duration) -> tuple[float, str]:
    """``value`` in milliseconds and in the words of its ``to_human_string()`` (its two largest
    units), in one round trip to the jsii runtime instead of two (none once validation has read it). The
    words are written here for a positive count below 2**53 (``to_milliseconds`` only answers whole
    ones) and asked for otherwise: zero (whose words name the unit it was given), a count past a float's
    whole numbers, a token."""
    milliseconds = duration_milliseconds(value)
    if not 0 < milliseconds < 2**53:
        return milliseconds, value.to_human_string()
    rest, parts = int(milliseconds), []
    for unit, size in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count} {unit[:-1] if count == 1 else unit}")
    return milliseconds, " ".join(parts[:2])


def _converted(value: Duration, unit: str, convert: Callable[[], float]) -> float:
    readings = _DURATIONS.setdefault(value, {})
    if unit not in readings:
        readings[unit] = convert()
    return readings[unit]


def check_duration(arg: str, value: Duration | None, low_s: int, high_s: int | None) -> None:
    """Range-check a ``Duration`` in whole seconds."""
    if value is None:
        return
    try:
        total = duration_seconds(value)
    except RuntimeError as error:  # jsii: not a whole number of seconds
        raise ValidationError(f"{arg} must be a whole number of seconds, got {value.to_human_string()}") from error
    check_range(arg, total, low_s, high_s, "seconds")


def check_duration_ms(arg: str, value: Duration | None, low_ms: int) -> None:
    """Range-check a ``Duration`` in whole milliseconds; a deploy-time one must be ``Duration.millis``, the
    only unit aws-cdk converts a token from."""
    if value is None:
        return
    try:
        total = duration_milliseconds(value)
    except RuntimeError as error:  # jsii: a fraction of a millisecond, or a token in another unit
        raise ValidationError(
            f"{arg} must be a whole number of milliseconds, got {value.to_human_string()} (a deploy-time "
            "value must be given as Duration.millis)"
        ) from error
    check_range(arg, total, low_ms, None, "ms")


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


def request_violations(shape: Any, value: Any, path: str = "") -> list[str]:
    """What botocore's ParamValidator does not check in a request: enums, maximum values, lengths and
    item counts, and patterns (matched in full, as the service does; a pattern Python's ``re`` cannot
    read, such as the tag patterns' Unicode classes, is left to the service). Values resolved at deploy
    time pass."""
    if value is None or unresolved(value):
        return []
    kind, meta = shape.type_name, shape.metadata
    found: list[str] = []
    if kind == "structure" and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:
                found += request_violations(shape.members[key], item, f"{path}.{key}" if path else key)
        return found
    if kind == "list" and isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += request_violations(shape.member, item, f"{path}[{index}]")
    if kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            found += request_violations(shape.key, key, f"{path} (key {key!r})")
            found += request_violations(shape.value, item, f"{path}.{key}")
    most = meta.get("max")
    if isinstance(value, str) and kind == "string":
        if shape.enum and value not in shape.enum:
            allowed = ", ".join(shape.enum) if len(shape.enum) <= 12 else f"one of {len(shape.enum)} values"
            found.append(f"{path} got {value!r}; allowed: {allowed}")
        pattern = _compiled(meta.get("pattern"))
        if pattern is not None and not pattern.fullmatch(value):
            found.append(f"{path} must match {meta['pattern']}, got {value!r}")
        if most is not None and len(value) > most:
            found.append(f"{path} allows at most {most} characters, got {len(value)}")
    elif isinstance(value, list | tuple | dict) and most is not None and len(value) > most:
        found.append(f"{path} allows at most {most} items, got {len(value)}")
    elif isinstance(value, int | float) and not isinstance(value, bool) and most is not None and value > most:
        found.append(f"{path} must be at most {most:g}, got {value:g}")
    return found


def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


MAX_TAGS = 50
TAG_PUNCTUATION = "_.:/=+-@"
TAG_CHARACTERS = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"
"""SageMaker's TagKey and TagValue pattern: letters, separators (spaces), digits and ``_.:/=+-@``."""


def check_tags(arg: str, tags: Mapping[str, str] | None) -> None:
    """SageMaker's tag rules (TagList, TagKey and TagValue in the service model): at most 50 tags, keys of
    1-128 and values of up to 256 letters, digits, spaces and ``_.:/=+-@``; no key may start with the
    reserved ``aws:``. A job's tags reach SageMaker through the custom resource, past any schema."""
    if not tags or unresolved(tags):
        return
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"{arg} allows at most {MAX_TAGS} tags, got {len(tags)}")
    for key, value in tags.items():
        for what, text, low, high in (("key", key, 1, 128), ("value", value, 0, 256)):
            if unresolved(text):
                continue
            bad = [c for c in text if c not in TAG_PUNCTUATION and unicodedata.category(c)[0] not in "LZN"]
            if bad or not low <= len(text) <= high:
                raise ValidationError(
                    f"{arg} {what}s must be {low}-{high} letters, digits, spaces and {TAG_PUNCTUATION}, got {text!r}"
                )
        if not unresolved(key) and key.lower().startswith("aws:"):
            raise ValidationError(f"{arg} keys cannot start with aws: (reserved for AWS), got {key!r}")
