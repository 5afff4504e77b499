"""A probe program: a SidewalkDeviceProfile and, with `devices:smsn` set, one SidewalkDevice on it."""

from __future__ import annotations

import pulumi

from components.device_profile import SidewalkDeviceProfile, SidewalkDeviceProfileArgs
from components.wireless_device import SidewalkDevice, SidewalkDeviceArgs

config = pulumi.Config("devices")

profile = SidewalkDeviceProfile(
    "sensors",
    SidewalkDeviceProfileArgs(name=config.get("profileName"), tags=config.get_object("profileTags")),
)
pulumi.export("profileId", profile.id)
pulumi.export("profileArn", profile.arn)
pulumi.export("applicationServerPublicKey", profile.application_server_public_key)

smsn = config.get("smsn")
if smsn is not None:
    device = SidewalkDevice(
        "sensor-1",
        SidewalkDeviceArgs(
            sidewalk_manufacturing_sn=smsn,
            device_profile_id=profile.id,
            destination_name=config.require("destinationName"),
            name=config.get("deviceName"),
            description=config.get("description"),
            positioning=config.get("positioning"),
            tags=config.get_object("deviceTags"),
            adopt_existing=config.get_bool("adoptExisting"),
        ),
    )
    pulumi.export("deviceId", device.id)
    pulumi.export("deviceArn", device.arn)
    pulumi.export("sidewalkId", device.sidewalk_id)
    pulumi.export("status", device.status)
    # A secret output: `pulumi stack output` shows it as [secret], and state holds it encrypted.
    pulumi.export("privateKeys", device.private_keys)
