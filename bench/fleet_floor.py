"""The fleet's floor: the least a boto3 provider of SidewalkDeviceProfile and SidewalkDevice does.

Each makes the calls of our create and delete (providers/device_profile.py and
providers/wireless_device.py), with an owner tag as ours writes (providers/_ownership.py), and nothing
around them: no checks of inputs, no translated errors, no take-over, two outputs in the state.
This module is what the server imports to unpickle the providers: it imports nothing else.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider

__all__ = ["FloorDeviceProfileProvider", "FloorDeviceProvider", "KeptDeviceProvider"]

# providers._tags.OWNER_KEY, spelled out: importing providers would add its imports to the floor's.
OWNER_KEY = "pulumi-sidewalk:owner"
_REGION = "us-east-1"

_client: Any = None
_client_lock = threading.Lock()


class FloorDeviceProfileProvider(ResourceProvider):
    """Make the calls of our device profile's Create and Delete with nothing around them."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Make the profile with its tags and an owner tag inline, then read it."""
        marker = _marker(props["owner"])
        client = _iotwireless()
        profile_id = client.create_device_profile(
            Name=props["name"], Sidewalk={}, Tags=_tag_list({**props["tags"], OWNER_KEY: marker})
        )["Id"]
        arn = client.get_device_profile(Id=profile_id)["Arn"]
        return CreateResult(profile_id, {"arn": arn, "ownerMarker": marker})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Remove the profile while the live owner tag is the one this resource recorded."""
        client = _iotwireless()
        if _owner_tag(client, props["arn"]) == props["ownerMarker"]:
            client.delete_device_profile(Id=id_)


class FloorDeviceProvider(ResourceProvider):
    """Make the calls of our device's Create and Delete with nothing around them."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Make the device with its tags and an owner tag inline, then read its Sidewalk block."""
        marker = _marker(props["owner"])
        client = _iotwireless()
        device_id = client.create_wireless_device(
            Type="Sidewalk",
            Name=props["name"],
            DestinationName=props["destinationName"],
            Positioning="Disabled",
            Sidewalk={
                "DeviceProfileId": props["deviceProfileId"],
                "SidewalkManufacturingSn": props["sidewalkManufacturingSn"],
            },
            Tags=_tag_list({**props["tags"], OWNER_KEY: marker}),
        )["Id"]
        live = client.get_wireless_device(Identifier=device_id, IdentifierType="WirelessDeviceId")
        return CreateResult(device_id, {**self.kept(props, live), "arn": live["Arn"], "ownerMarker": marker})

    def kept(self, props: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
        """Return the outputs kept beyond the ARN and the owner marker: none."""
        return {}

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Remove the device while the live owner tag is the one this resource recorded."""
        client = _iotwireless()
        if _owner_tag(client, props["arn"]) == props["ownerMarker"]:
            client.delete_wireless_device(Id=id_)


class KeptDeviceProvider(FloorDeviceProvider):
    """The floor's device, keeping in the state what SidewalkDevice keeps: its inputs and AWS's answer.

    The same calls as the floor; the outputs are the inputs echoed, the ARN, SidewalkId, status,
    certificates and private keys of the GetWirelessDevice answer, and the owner marker, as
    providers/wireless_device.py returns them, so that the state is as large as the device's.
    """

    def kept(self, props: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
        """Return the inputs echoed and what the GetWirelessDevice answer generated."""
        sidewalk = live.get("Sidewalk") or {}
        return {
            **{k: v for k, v in props.items() if k != "__provider"},
            "sidewalkId": sidewalk.get("SidewalkId", ""),
            "status": sidewalk.get("Status", ""),
            "deviceCertificates": sidewalk.get("DeviceCertificates", []),
            "privateKeys": sidewalk.get("PrivateKeys", []),
        }


def _marker(owner: str) -> str:
    return f"{owner}#{uuid.uuid4().hex[:16]}"


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _owner_tag(client: Any, arn: str) -> str | None:
    listed = client.list_tags_for_resource(ResourceArn=arn)["Tags"]
    return next((t.get("Value") for t in listed if t["Key"] == OWNER_KEY), None)


def _iotwireless() -> Any:
    global _client
    with _client_lock:
        if _client is None:
            # Imported here, at the first Create: the import is part of what the floor measures.
            import boto3
            from botocore.config import Config

            # Standard retries and attempts, as ours: they are what absorbs throttling.
            config = Config(retries={"mode": "standard", "total_max_attempts": 5})
            _client = boto3.session.Session(region_name=_REGION).client("iotwireless", config=config)
        return _client
