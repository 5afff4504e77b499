"""SidewalkDeviceProfile: the Pulumi resource for an AWS IoT Wireless Sidewalk device profile."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi.dynamic

from components.partner_account import owner_of
from providers.device_profile import (
    ADOPT_EXISTING,
    ADOPT_EXISTING_ID,
    APPLICATION_SERVER_PUBLIC_KEY,
    ARN,
    DAK_CERTIFICATE_METADATA,
    NAME,
    OWNER,
    OWNER_MARKER,
    QUALIFICATION_STATUS,
    REGION,
    TAGS,
    DeviceProfileProvider,
)

__all__ = ["SidewalkDeviceProfile", "SidewalkDeviceProfileArgs"]


@dataclass(frozen=True, kw_only=True)
class SidewalkDeviceProfileArgs:
    """The inputs of a SidewalkDeviceProfile."""

    name: pulumi.Input[str] | None = None
    """The profile's name, up to 256 characters; changing it replaces the profile."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    """Tags of the profile, updated in place."""
    region: pulumi.Input[str] | None = None
    """The AWS region; default `aws:region`, then AWS_REGION, then us-east-1. Changing it replaces."""
    adopt_existing_id: pulumi.Input[str] | None = None
    """The id of a profile made elsewhere to take instead of creating one; a later change does nothing."""
    adopt_existing: pulumi.Input[bool] | None = None
    """With adopt_existing_id: take the profile even when another stack or resource holds it."""


class SidewalkDeviceProfile(pulumi.dynamic.Resource, module="iotwireless", name="SidewalkDeviceProfile"):
    """Create a Sidewalk device profile: the DAK certificate that Sidewalk devices are made with."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    region: pulumi.Output[str]
    tags: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        resource_name: str,
        args: SidewalkDeviceProfileArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = args or SidewalkDeviceProfileArgs()
        props: dict[str, Any] = {
            NAME: args.name,
            TAGS: args.tags,
            REGION: args.region,
            ADOPT_EXISTING_ID: args.adopt_existing_id,
            ADOPT_EXISTING: args.adopt_existing,
            # Who holds the profile: the owner tag written on it names this stack's resource.
            OWNER: owner_of(resource_name),
            # Outputs computed by the provider, declared so that they become attributes.
            ARN: None,
            APPLICATION_SERVER_PUBLIC_KEY: None,
            DAK_CERTIFICATE_METADATA: None,
            QUALIFICATION_STATUS: None,
            OWNER_MARKER: None,
        }
        super().__init__(DeviceProfileProvider(), resource_name, props, opts)

    @property
    def application_server_public_key(self) -> pulumi.Output[str]:
        """The public key of the application server, in hex, that devices of the profile trust."""
        return cast(pulumi.Output[str], self.__dict__[APPLICATION_SERVER_PUBLIC_KEY])

    @property
    def dak_certificate_metadata(self) -> pulumi.Output[list[dict[str, Any]]]:
        """The DAK certificates of the profile, in the shape GetDeviceProfile answers them."""
        return cast(pulumi.Output[list[dict[str, Any]]], self.__dict__[DAK_CERTIFICATE_METADATA])

    @property
    def qualification_status(self) -> pulumi.Output[bool]:
        """Whether the profile is qualified by Amazon."""
        return cast(pulumi.Output[bool], self.__dict__[QUALIFICATION_STATUS])
