"""Destination: the Pulumi resource for an AWS IoT Wireless destination."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi.dynamic

from components.partner_account import owner_of
from providers.destination import (
    ARN,
    DESCRIPTION,
    EXPRESSION,
    EXPRESSION_TYPE,
    NAME,
    OWNER,
    OWNER_MARKER,
    REGION,
    ROLE_ARN,
    TAGS,
    DestinationProvider,
)

__all__ = ["Destination", "DestinationArgs"]


@dataclass(frozen=True, kw_only=True)
class DestinationArgs:
    """The inputs of a Destination."""

    name: pulumi.Input[str]
    """The destination's name, its id: 1 to 128 of A-Z, a-z, 0-9, _ and -. Changing it replaces."""
    expression: pulumi.Input[str]
    """The AWS IoT rule name (expression type RuleName) or MQTT topic (MqttTopic) uplinks go to."""
    expression_type: pulumi.Input[str]
    """RuleName or MqttTopic."""
    role_arn: pulumi.Input[str]
    """The IAM role IoT Wireless assumes to deliver uplinks."""
    description: pulumi.Input[str] | None = None
    """A description of up to 2048 characters."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    """Tags of the destination, updated in place."""
    region: pulumi.Input[str] | None = None
    """The AWS region; default `aws:region`, then AWS_REGION, then us-east-1. Changing it replaces."""


class Destination(pulumi.dynamic.Resource, module="iotwireless", name="Destination"):
    """Route the uplinks of wireless devices to an AWS IoT rule or MQTT topic."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    expression: pulumi.Output[str]
    description: pulumi.Output[str]
    region: pulumi.Output[str]
    tags: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        resource_name: str,
        args: DestinationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            NAME: args.name,
            EXPRESSION: args.expression,
            EXPRESSION_TYPE: args.expression_type,
            ROLE_ARN: args.role_arn,
            DESCRIPTION: args.description,
            TAGS: args.tags,
            REGION: args.region,
            # Who holds the destination: the owner tag written on it names this stack's resource.
            OWNER: owner_of(resource_name),
            # Outputs computed by the provider, declared so that they become attributes.
            ARN: None,
            OWNER_MARKER: None,
        }
        super().__init__(DestinationProvider(), resource_name, props, opts)

    @property
    def expression_type(self) -> pulumi.Output[str]:
        """RuleName or MqttTopic."""
        return cast(pulumi.Output[str], self.__dict__[EXPRESSION_TYPE])

    @property
    def role_arn(self) -> pulumi.Output[str]:
        """The IAM role IoT Wireless assumes to deliver uplinks."""
        return cast(pulumi.Output[str], self.__dict__[ROLE_ARN])
