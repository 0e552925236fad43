"""Template values as CloudFormation will pass them: literals where the template knows them, ``Unknown``
where only the deployment does.

- An intrinsic (``Ref``, ``Fn::GetAtt``, ``Fn::ImportValue``, ``Fn::If``, ``Fn::Select``, ...) is an
  ``Unknown`` value: it satisfies presence and type, and no constraint that needs its value applies.
  ``Ref: AWS::NoValue`` removes the property, as CloudFormation does.
- A ``Fn::Join`` or ``Fn::Sub`` whose parts are all literal is that string, checked in full. One that mixes
  literal and unknown parts is a partial string: its literal characters are a lower bound on its length
  (checked against a maximum length), and its literal parts, in order with anything in the gaps, must
  fit at least one value of an enum. A pattern or a minimum needs the whole value, so neither applies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Unknown:
    """A value CloudFormation knows only at deploy time; ``parts`` of a partial string (a Join or Sub)."""

    source: str
    parts: tuple[str | Unknown, ...] = ()

    def __str__(self) -> str:
        if not self.parts:
            return f"<{self.source}>"
        return "".join(p if isinstance(p, str) else str(p) for p in self.parts)

    @property
    def literal_length(self) -> int:
        return sum(len(p) for p in self.parts if isinstance(p, str))

    def may_be(self, value: str) -> bool:
        """Whether the partial string could be ``value`` (an unknown part may be any string)."""
        shape = "".join(re.escape(p) if isinstance(p, str) else ".*" for p in self.parts)
        return re.fullmatch(shape, value, re.DOTALL) is not None


NO_VALUE = object()
"""``Ref: AWS::NoValue``: the property is absent."""


def resolve(value: Any) -> Any:
    """The template value with intrinsics replaced by literals where they are known, else ``Unknown``."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return NO_VALUE if arg == "AWS::NoValue" else Unknown(f"Ref {arg}")
            if key == "Fn::Join":
                return _join(arg)
            if key == "Fn::Sub":
                return _sub(arg)
            if key == "Fn::GetAtt":
                return Unknown(f"Fn::GetAtt {arg if isinstance(arg, str) else '.'.join(map(str, arg))}")
            if key.startswith("Fn::"):
                return Unknown(key)
        return {k: v for k, v in ((k, resolve(v)) for k, v in value.items()) if v is not NO_VALUE}
    if isinstance(value, list):
        return [v for v in (resolve(item) for item in value) if v is not NO_VALUE]
    return value


def _partial(pieces: list[Any], source: str) -> str | Unknown:
    parts: list[str | Unknown] = []
    for piece in pieces:
        if isinstance(piece, Unknown) and piece.parts:
            parts.extend(piece.parts)
        elif isinstance(piece, Unknown):
            parts.append(piece)
        else:
            parts.append(piece if isinstance(piece, str) else json.dumps(piece))
    merged: list[str | Unknown] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    if all(isinstance(p, str) for p in merged):
        return "".join(merged)  # type: ignore[arg-type]
    return Unknown(source, tuple(merged))


def _join(arg: Any) -> str | Unknown:
    delimiter, items = arg
    items = resolve(items)
    if not isinstance(items, list):
        return Unknown("Fn::Join of a list known at deploy time")
    pieces: list[Any] = []
    for index, item in enumerate(items):
        pieces.extend([delimiter, item] if index else [item])
    return _partial(pieces, "Fn::Join")


def _sub(arg: Any) -> str | Unknown:
    text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], resolve(arg[1]))
    pieces: list[Any] = []
    position = 0
    for match in re.finditer(r"\$\{([^}]*)\}", text):
        pieces.append(text[position : match.start()])
        name = match.group(1)
        if name.startswith("!"):
            pieces.append("${" + name[1:] + "}")
        elif name in variables:
            pieces.append(variables[name])
        else:
            pieces.append(Unknown(f"Fn::GetAtt {name}" if "." in name else f"Ref {name}"))
        position = match.end()
    pieces.append(text[position:])
    return _partial(pieces, "Fn::Sub")


def json_text(value: Any) -> str | Unknown:
    """``value`` as JSON text; a partial string when parts of it are known only at deploy time (each
    unknown is a JSON string there, as the ARNs and names in a policy are)."""
    unknowns: list[Unknown] = []

    def mark(item: Any) -> str:
        unknowns.append(item)
        return "\0"

    text = json.dumps(value, default=mark)
    pieces: list[Any] = []
    for index, literal in enumerate(text.split('"\\u0000"')):
        if index:
            unknown = unknowns[index - 1]
            inner = [json.dumps(p)[1:-1] if isinstance(p, str) else p for p in unknown.parts] or [unknown]
            pieces.extend(['"', *inner, '"'])
        pieces.append(literal)
    return _partial(pieces, "a JSON document with deploy-time values")
