"""What every instance-pool endpoint offers its callers, and an endpoint imported by name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam

from constructs import Construct

from .._core.arns import sagemaker_arn
from .metrics import EndpointMetrics

INVOKE_ACTIONS = ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream")
"""How a real-time endpoint is called (SageMaker Runtime's InvokeEndpoint and its streaming form)."""
ASYNC_INVOKE_ACTIONS = ("sagemaker:InvokeEndpointAsync",)
"""How an asynchronous endpoint is called: SageMaker Runtime's InvokeEndpointAsync, the only invocation it takes."""


@runtime_checkable
class IInstancePoolEndpoint(Protocol):
    """An endpoint whose variant may span several instance types."""

    endpoint_name: str
    variant_name: str
    inference_component_name: str | None
    asynchronous: bool
    """Invoked with ``InvokeEndpointAsync`` (it has ``AsyncInferenceConfig``), not ``InvokeEndpoint``."""

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN."""
        ...

    @property
    def served_definition(self) -> Any:
        """What the endpoint serves, as synthesized; a benchmark of it is named after it."""
        ...

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant: ...

    def metric(
        self,
        metric_name: str,
        *,
        namespace: str = ...,
        instance_type: str | None = None,
        statistic: str = ...,
        period: Duration | None = None,
        label: str | None = None,
    ) -> cw.Metric: ...


class EndpointBase(EndpointMetrics):
    """What a defined and an imported endpoint share: their metrics and the invoke grant."""

    asynchronous: bool

    if TYPE_CHECKING:  # each kind defines its own: an attribute, or a property built when first read

        @property
        def endpoint_arn(self) -> str: ...

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow calling this endpoint, on its ARN only: ``sagemaker:InvokeEndpoint`` and
        ``sagemaker:InvokeEndpointWithResponseStream`` for a real-time endpoint,
        ``sagemaker:InvokeEndpointAsync`` for an asynchronous one."""
        actions = ASYNC_INVOKE_ACTIONS if self.asynchronous else INVOKE_ACTIONS
        return iam.Grant.add_to_principal(grantee=grantee, actions=list(actions), resource_arns=[self.endpoint_arn])


class ImportedEndpoint(EndpointBase):
    """An endpoint created elsewhere, known by its names."""

    endpoint_arn: str

    def __init__(
        self,
        scope: Construct,
        id: str,
        endpoint_name: str,
        variant_name: str,
        inference_component_name: str | None,
        served_definition: Any = None,
        asynchronous: bool = False,
    ) -> None:
        super().__init__(scope, id)
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
        self.inference_component_name = inference_component_name
        self.asynchronous = asynchronous
        self.endpoint_arn = sagemaker_arn(self, "endpoint", endpoint_name)
        self._served_definition = served_definition

    @property
    def served_definition(self) -> Any:
        """As given where the endpoint was imported; else its name stands for it."""
        return self.endpoint_name if self._served_definition is None else self._served_definition
