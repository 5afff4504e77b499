"""A probe program: a SidewalkDeviceProfile and, with `devices:smsn` set, one SidewalkDevice on it.

With `devices:managedDestination` set, the stack also manages a Destination of that name (role
`devices:destinationRoleArn`, tags `devices:destinationTags`), which the device uses when its
`devices:destinationName` is the same.
"""

from __future__ import annotations

import pulumi

from components.destination import Destination, DestinationArgs
from components.device_profile import SidewalkDeviceProfile, SidewalkDeviceProfileArgs
from components.wireless_device import SidewalkDevice, SidewalkDeviceArgs

config = pulumi.Config("devices")

profile = SidewalkDeviceProfile(
    "sensors",
    SidewalkDeviceProfileArgs(
        name=config.get("profileName"),
        tags=config.get_object("profileTags"),
        adopt_existing_id=config.get("profileAdoptExistingId"),
    ),
)
pulumi.export("profileId", profile.id)
pulumi.export("profileArn", profile.arn)
pulumi.export("applicationServerPublicKey", profile.application_server_public_key)

destination_name: pulumi.Input[str] | None = config.get("destinationName")
managed = config.get("managedDestination")
if managed is not None:
    destination = Destination(
        "uplinks",
        DestinationArgs(
            name=managed,
            expression="sidewalk_uplinks",
            expression_type="RuleName",
            role_arn=config.require("destinationRoleArn"),
            tags=config.get_object("destinationTags"),
        ),
    )
    if managed == destination_name:
        # The output, not the string: the device is then created after its Destination.
        destination_name = destination.name

smsn = config.get("smsn")
if smsn is not None:
    if destination_name is None:
        destination_name = config.require("destinationName")
    device = SidewalkDevice(
        "sensor-1",
        SidewalkDeviceArgs(
            sidewalk_manufacturing_sn=smsn,
            device_profile_id=profile.id,
            destination_name=destination_name,
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
