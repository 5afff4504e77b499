"""The fleet benchmark's program: one device profile and `fleet:count` devices of the kind `fleet:kind`.

Kinds: `device` (SidewalkDeviceProfile and SidewalkDevices, as a fleet program registers them),
`floor` (the least boto3 providers making the same calls, bench/fleet_floor.py) and `kept` (the floor
keeping the inputs and outputs SidewalkDevice keeps). The devices' uplinks go to the Destination
`fleet:destination`, made outside the stack.
"""

from __future__ import annotations

import pulumi
from pulumi.dynamic import Resource

from bench.fleet_floor import FloorDeviceProfileProvider, FloorDeviceProvider, KeptDeviceProvider
from components.device_profile import SidewalkDeviceProfile, SidewalkDeviceProfileArgs
from components.partner_account import owner_of
from components.wireless_device import SidewalkDevice, SidewalkDeviceArgs
from providers.wireless_device import OUTPUTS, PRIVATE_KEYS


class FloorDeviceProfile(Resource, module="bench", name="FloorDeviceProfile"):
    """A device profile of the least boto3 provider."""


class FloorDevice(Resource, module="bench", name="FloorDevice"):
    """A device of the least boto3 provider."""


config = pulumi.Config("fleet")
kind, count = config.require("kind"), config.require_int("count")
destination = config.require("destination")
tags = {"team": "iot"}
PROFILE = "fleet-profile"

if kind == "device":
    profile = SidewalkDeviceProfile(PROFILE, SidewalkDeviceProfileArgs(name=PROFILE, tags=tags))
    for i in range(count):
        name = f"device-{i:04d}"
        SidewalkDevice(
            name,
            SidewalkDeviceArgs(
                name=name,
                sidewalk_manufacturing_sn=f"{i + 1:064x}",
                device_profile_id=profile.id,
                destination_name=destination,
                tags=tags,
            ),
        )
elif kind in ("floor", "kept"):
    floor_profile = FloorDeviceProfile(
        FloorDeviceProfileProvider(), PROFILE, {"name": PROFILE, "tags": tags, "owner": owner_of(PROFILE)}
    )
    # The kept floor has the inputs SidewalkDevice has once its Check fills the defaults, and its outputs.
    kept = {"description": "", "positioning": "Disabled", "region": "us-east-1", "adoptExisting": False}
    kept |= dict.fromkeys(OUTPUTS)
    provider = KeptDeviceProvider() if kind == "kept" else FloorDeviceProvider()
    secret = pulumi.ResourceOptions(additional_secret_outputs=[PRIVATE_KEYS] if kind == "kept" else [])
    for i in range(count):
        name = f"device-{i:04d}"
        inputs = {
            "name": name,
            "sidewalkManufacturingSn": f"{i + 1:064x}",
            "deviceProfileId": floor_profile.id,
            "destinationName": destination,
            "tags": tags,
            "owner": owner_of(name),
            **(kept if kind == "kept" else {}),
        }
        FloorDevice(provider, name, inputs, secret)
else:
    raise pulumi.RunError(f"fleet:kind must be device, floor or kept, not {kind!r}")
