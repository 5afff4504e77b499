"""SidewalkDevice: the Pulumi resource for an AWS IoT Wireless Sidewalk device."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi.dynamic

from components.partner_account import owner_of
from providers.wireless_device import (
    ADOPT_EXISTING,
    DESCRIPTION,
    DESTINATION_NAME,
    DEVICE_CERTIFICATES,
    DEVICE_PROFILE_ID,
    NAME,
    OUTPUTS,
    OWNER,
    POSITIONING,
    PRIVATE_KEYS,
    REGION,
    SIDEWALK_ID,
    SIDEWALK_MANUFACTURING_SN,
    TAGS,
    WirelessDeviceProvider,
)

__all__ = ["SidewalkDevice", "SidewalkDeviceArgs"]


@dataclass(frozen=True, kw_only=True)
class SidewalkDeviceArgs:
    """The inputs of a SidewalkDevice."""

    sidewalk_manufacturing_sn: pulumi.Input[str]
    """The device's Sidewalk manufacturing serial number (SMSN), unique in the account; replaces."""
    device_profile_id: pulumi.Input[str]
    """The id of the SidewalkDeviceProfile the device is made with; changing it replaces the device."""
    destination_name: pulumi.Input[str]
    """The Destination the device's uplinks go to; updated in place."""
    name: pulumi.Input[str] | None = None
    """The device's name, up to 256 characters; updated in place."""
    description: pulumi.Input[str] | None = None
    """A description of up to 2048 characters; updated in place."""
    positioning: pulumi.Input[str] | None = None
    """Enabled or Disabled (the default); updated in place."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    """Tags of the device, updated in place."""
    region: pulumi.Input[str] | None = None
    """The AWS region; default `aws:region`, then AWS_REGION, then us-east-1. Changing it replaces."""
    adopt_existing: pulumi.Input[bool] | None = None
    """Take over a device of this SMSN that another stack or no stack holds, instead of failing."""


class SidewalkDevice(pulumi.dynamic.Resource, module="iotwireless", name="SidewalkDevice"):
    """Create a Sidewalk wireless device whose uplinks go to a Destination; its private keys stay secret."""

    name: pulumi.Output[str]
    description: pulumi.Output[str]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]
    positioning: pulumi.Output[str]
    region: pulumi.Output[str]
    tags: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        resource_name: str,
        args: SidewalkDeviceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            NAME: args.name,
            DESCRIPTION: args.description,
            SIDEWALK_MANUFACTURING_SN: args.sidewalk_manufacturing_sn,
            DEVICE_PROFILE_ID: args.device_profile_id,
            DESTINATION_NAME: args.destination_name,
            POSITIONING: args.positioning,
            TAGS: args.tags,
            REGION: args.region,
            ADOPT_EXISTING: args.adopt_existing,
            # Who holds the device: the owner tag written on it names this stack's resource.
            OWNER: owner_of(resource_name),
            # Outputs computed by the provider, declared so that they become attributes.
            **dict.fromkeys(OUTPUTS),
        }
        # The keys have no secret input of the same name to make them secret: this option is what does.
        secret = pulumi.ResourceOptions(additional_secret_outputs=[PRIVATE_KEYS])
        super().__init__(
            WirelessDeviceProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret, opts)
        )

    @property
    def sidewalk_manufacturing_sn(self) -> pulumi.Output[str]:
        """The device's Sidewalk manufacturing serial number."""
        return cast(pulumi.Output[str], self.__dict__[SIDEWALK_MANUFACTURING_SN])

    @property
    def device_profile_id(self) -> pulumi.Output[str]:
        """The id of the device's profile."""
        return cast(pulumi.Output[str], self.__dict__[DEVICE_PROFILE_ID])

    @property
    def destination_name(self) -> pulumi.Output[str]:
        """The Destination the device's uplinks go to."""
        return cast(pulumi.Output[str], self.__dict__[DESTINATION_NAME])

    @property
    def sidewalk_id(self) -> pulumi.Output[str]:
        """The device's id in the Sidewalk network."""
        return cast(pulumi.Output[str], self.__dict__[SIDEWALK_ID])

    @property
    def device_certificates(self) -> pulumi.Output[list[dict[str, str]]]:
        """The device's certificates, in the shape GetWirelessDevice answers them."""
        return cast(pulumi.Output[list[dict[str, str]]], self.__dict__[DEVICE_CERTIFICATES])

    @property
    def private_keys(self) -> pulumi.Output[list[dict[str, str]]]:
        """The device's private keys, always a secret output."""
        return cast(pulumi.Output[list[dict[str, str]]], self.__dict__[PRIVATE_KEYS])
