"""Values rendered when the template is written, so later calls add to them instead of rewriting a resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsii
from aws_cdk import IResolvable, IResolveContext, IStableListProducer, IStringProducer, Lazy, ResolutionTypeHint


@jsii.implements(IResolvable)
class _AtSynth:
    """A token of its own rather than ``Lazy.uncached_any`` over a producer: one object for the jsii
    runtime to know instead of two, and the same value whenever it is resolved."""

    def __init__(self, produce: Callable[[], Any]) -> None:
        self._produce = produce

    @property
    def creation_stack(self) -> list[str]:
        return []

    @property
    def type_hint(self) -> ResolutionTypeHint | None:
        return None

    def resolve(self, context: IResolveContext) -> Any:
        return self._produce()

    def to_string(self) -> str:
        return "<rendered at synth>"


@jsii.implements(IStringProducer)
class _StringProducer:
    def __init__(self, produce: Callable[[], str | None]) -> None:
        self._produce = produce

    def produce(self, context: IResolveContext) -> str | None:
        return self._produce()


@jsii.implements(IStableListProducer)
class _ListProducer:
    def __init__(self, produce: Callable[[], list[str]]) -> None:
        self._produce = produce

    def produce(self) -> list[str]:
        return self._produce()


def lazy_list(produce: Callable[[], list[str]]) -> list[str]:
    """A list of strings that ``produce`` returns once, when the template is rendered."""
    return Lazy.list(_ListProducer(produce))


def at_synth(produce: Callable[[], Any]) -> IResolvable:
    """A value that ``produce`` renders each time it is resolved (uncached, so it includes whatever was
    added after the resource was defined); ``None`` leaves the property out."""
    return _AtSynth(produce)


def string_at_synth(produce: Callable[[], str | None]) -> str:
    """``at_synth`` for a string property (a string token)."""
    return Lazy.uncached_string(_StringProducer(produce))
