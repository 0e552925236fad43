"""A request checked against botocore's model of its operation: botocore's ``ParamValidator`` for
required and unknown members, types and minimums, then what it leaves out (enums, maximum values,
lengths and item counts, patterns, and enum values the member's documentation marks "Not currently
supported").

- An ``Unknown`` value passes; a partial string still meets a maximum length and an enum (``cfn_values``).
- A numeric or boolean string where the API takes a number or a boolean is converted first, as
  CloudFormation converts a property to the type its resource schema declares before the handler runs.
- Patterns are the services' (Java) regular expressions and must match the whole value, as the services
  apply them; ``_python_pattern`` translates the few Java constructs they use.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import botocore.session
import regex
from botocore.validate import ParamValidator

from cfn_values import Unknown

ABSENT = object()
"""The value of a required member that is missing."""

_INTEGERS = ("integer", "long")
_FLOATS = ("float", "double")


class RequestValidator(ParamValidator):
    """botocore's ParamValidator, with unknowns let through, CloudFormation's scalar conversion, and the
    constraints it leaves out (enums, maximums, patterns) checked after its own."""

    def __init__(self) -> None:
        self.findings: list[tuple[str, Any, str, str]] = []
        self._values: dict[str, Any] = {}
        self._shapes: dict[str, Any] = {}

    def check(self, params: dict[str, Any], shape: Any) -> list[tuple[str, Any, str, str]]:
        """(path, value, rule, detail) for every fault of ``params`` against ``shape``."""
        self.findings, self._values, self._shapes = [], {}, {}
        self._validate(params, shape, self, "")
        return self.findings

    # ParamValidator reports through ``errors.report``; this object is its own error collector.
    def report(self, name: str, reason: str, **details: Any) -> None:
        if reason == "missing required field":
            member = details["required_name"]
            self._add(f"{name}.{member}", ABSENT, "required", f"{self._shapes[name].name} requires {member}")
        elif reason == "unknown field":
            member = details["unknown_param"]
            members = ", ".join(details["valid_names"])
            detail = f"{self._shapes[name].name} has no member {member} (members: {members})"
            self._add(f"{name}.{member}", self._values[name][member], "unknown member", detail)
        elif reason == "invalid type":
            kinds = ", ".join(t.split("'")[1] if "'" in t else t for t in details["valid_types"])
            self._add(name, details["param"], "type", f"{self._shapes[name].name} takes {kinds}")
        elif reason in ("invalid range", "invalid length"):
            self._minimum(name, details["min_allowed"])
        elif reason in ("more than one input", "empty input"):
            members = ", ".join(details["members"])
            self._add(name, self._values[name], "union", f"{self._shapes[name].name} takes exactly one of {members}")
        else:
            self._add(name, self._values.get(name), reason, str(details))

    def _add(self, name: str, value: Any, rule: str, detail: str) -> None:
        self.findings.append((name.lstrip("."), value, rule, detail))

    def _minimum(self, name: str, minimum: Any) -> None:
        value, shape = self._values[name], self._shapes[name]
        if shape.type_name in ("string", "list", "map"):
            unit = "characters" if shape.type_name == "string" else "items"
            self._add(name, value, "length", f"{shape.name} takes at least {minimum} {unit}, got {len(value)}")
        else:
            self._add(name, value, "range", f"{shape.name} takes at least {minimum}")

    def _shape_has_constraints(self, shape: Any) -> bool:
        return True  # every list item through _validate: unknowns, conversion, enums and patterns

    def _validate(self, params: Any, shape: Any, errors: Any, name: str) -> None:
        if isinstance(params, Unknown):
            if params.parts and shape.type_name == "string":
                self._constraints(params, shape, name)
            return
        params = _convert(params, shape.type_name)
        self._values[name], self._shapes[name] = params, shape
        super()._validate(params, shape, errors, name)
        self._constraints(params, shape, name)

    def _constraints(self, value: Any, shape: Any, name: str) -> None:
        meta, kind, most = shape.metadata, shape.type_name, shape.metadata.get("max")
        if isinstance(value, Unknown):  # a partial string
            if most is not None and value.literal_length > most:
                detail = (
                    f"{shape.name} takes at most {most} characters; the literal parts alone have {value.literal_length}"
                )
                self._add(name, value, "length", detail)
            if shape.enum and not any(value.may_be(v) for v in shape.enum):
                self._add(name, value, "enum", f"no {shape.name} value fits: {_listing(shape.enum)}")
            return
        if kind == "string" and isinstance(value, str):
            if shape.enum and value not in shape.enum:
                self._add(name, value, "enum", f"{shape.name} is one of {_listing(shape.enum)}")
            elif value in _unsupported(shape.documentation):
                self._add(name, value, "unsupported", f"{shape.name} documents {value}: (Not currently supported.)")
            if "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
                self._add(name, value, "pattern", f"{shape.name} must match {meta['pattern']}")
        size = _size(value, kind)
        if most is None or size is None or size <= most:
            return
        if kind in _INTEGERS + _FLOATS:
            self._add(name, value, "range", f"{shape.name} takes at most {most}")
        else:
            unit = "characters" if kind == "string" else "items"
            self._add(name, value, "length", f"{shape.name} takes at most {most} {unit}, got {size}")


@cache
def _unsupported(documentation: str) -> frozenset[str]:
    """The values a member's documentation lists as ``<code>Value</code>: (Not currently supported.)``."""
    return frozenset(re.findall(r"<code>([^<]+)</code>\s*:?\s*\(Not currently supported", documentation or ""))


def _size(value: Any, kind: str) -> float | None:
    """What a maximum bounds: a number's value, a string's length, a list's or map's item count
    (None when the value is not of the shape's type: ParamValidator reports that)."""
    if kind in _INTEGERS + _FLOATS:
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    expected = {"string": str, "list": list | tuple, "map": dict}.get(kind)
    return len(value) if expected is not None and isinstance(value, expected) else None


def _convert(value: Any, kind: str) -> Any:
    if not isinstance(value, str):
        return value
    if kind in _INTEGERS and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    if kind in _FLOATS and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value):
        return float(value)
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _listing(values: list[str]) -> str:
    return ", ".join(values) if len(values) <= 12 else f"{', '.join(values[:8])}, ... ({len(values)} values)"


@cache
def _pattern(java: str) -> Any:
    return regex.compile(_python_pattern(java))


def _python_pattern(java: str) -> str:
    """The Java constructs the services' patterns use, in Python's ``regex`` dialect: ``\\p{Print}``
    (Java: printable ASCII) and a surrogate-pair range (Java: the supplementary code points)."""
    return java.replace(r"\p{Print}", r"[\x20-\x7E]").replace(r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")


@cache
def operation(service: str, name: str) -> Any:
    """botocore's model of ``service``'s operation ``name`` (loaded once per run)."""
    return _session().get_service_model(service).operation_model(name)


@cache
def _session() -> Any:
    return botocore.session.get_session()
