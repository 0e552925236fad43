"""Values rendered at synth from what callers added later, instead of L1 properties rewritten after the fact."""

from __future__ import annotations

from collections.abc import Callable

import jsii
from aws_cdk import IStableListProducer, Lazy


@jsii.implements(IStableListProducer)
class _ListProducer:
    def __init__(self, produce: Callable[[], list[str]]) -> None:
        self._produce = produce

    def produce(self) -> list[str]:
        return self._produce()


def lazy_list(produce: Callable[[], list[str]]) -> list[str]:
    """A list of strings that ``produce`` returns when the template is rendered."""
    return Lazy.list(_ListProducer(produce))
