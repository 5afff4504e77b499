"""Sidewalk device profiles and devices through the real CLI: their lifecycles and their secrets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli.project import PulumiProject
from tests.emulator import Emulator
from tests.operations import LIST_TAGS, PROFILE_ADOPT_CALLS, PROFILE_DELETE_CALLS, PROFILE_READ_CALLS, TAG
from tests.support import DEVICE_PROFILE_TYPE, SMSN, WIRELESS_DEVICE_TYPE, live_owner, live_tags

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

PROGRAM = Path(__file__).parent / "programs" / "devices"
DEVICE_URN = f"urn:pulumi:dev::sidewalk-devices::{WIRELESS_DEVICE_TYPE}::sensor-1"
CREATE_PROFILE = "CreateDeviceProfile"
GET_PROFILE = "GetDeviceProfile"
DELETE_PROFILE = "DeleteDeviceProfile"
CREATE_DEVICE = "CreateWirelessDevice"
GET_DEVICE = "GetWirelessDevice"
UPDATE_DEVICE = "UpdateWirelessDevice"
DELETE_DEVICE = "DeleteWirelessDevice"
OTHER_SMSN = "f" * 64
ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk-destination"
# Pulumi's signature key, and its value for a secret, in state and exports.
SIGNATURE = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"


@pytest.fixture
def devices(make_project: Callable[..., PulumiProject], iotwireless: IoTWirelessClient) -> PulumiProject:
    """Return a new stack of the devices program, the destinations `uplinks` and `other` made outside it."""
    for name in ("uplinks", "other"):
        iotwireless.create_destination(
            Name=name, Expression="rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
        )
    project = make_project().copy_program(PROGRAM).init()
    project.config_set("aws:region", "us-east-1")
    return project


@pytest.fixture
def with_device(devices: PulumiProject) -> PulumiProject:
    """Return the devices stack configured for one device on the profile, not yet deployed."""
    devices.config_set("devices:smsn", SMSN)
    devices.config_set("devices:destinationName", "uplinks")
    devices.config_set("devices:deviceName", "sensor-1")
    return devices


def up(project: PulumiProject, emulator: Emulator, *flags: str) -> list[str]:
    """Run `pulumi up --yes` and return the AWS calls it made."""
    emulator.clear_log()
    project.run("up", "--yes", "--skip-preview", *flags)
    return emulator.calls()


def live_device(iotwireless: IoTWirelessClient, smsn: str = SMSN) -> dict[str, Any]:
    """Return GetWirelessDevice of the device of an SMSN."""
    return dict(iotwireless.get_wireless_device(Identifier=smsn, IdentifierType="SidewalkManufacturingSn"))


def private_key_values(iotwireless: IoTWirelessClient, smsn: str = SMSN) -> list[str]:
    """Return the values of a live device's private keys."""
    return [key["Value"] for key in live_device(iotwireless, smsn)["Sidewalk"].get("PrivateKeys", [])]


def test_profile_lifecycle_create_update_replace_refresh_destroy(
    devices: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A profile is created, changes nothing twice, updates tags in place, replaces on a name, then goes."""
    devices.config_set("devices:profileName", "sensors")
    devices.config_set("devices:profileTags", {"team": "iot"})
    assert up(devices, emulator) == [CREATE_PROFILE, GET_PROFILE]
    first = devices.outputs()
    live = iotwireless.get_device_profile(Id=first["profileId"])
    assert (live["Arn"], live["Name"]) == (first["profileArn"], "sensors")
    assert first["applicationServerPublicKey"] == live["Sidewalk"]["ApplicationServerPublicKey"]
    [state] = devices.resources(DEVICE_PROFILE_TYPE)
    marker = state["outputs"]["ownerMarker"]
    assert marker.startswith("sidewalk-devices/dev/sensors#")
    assert live_owner(iotwireless, live["Arn"]) == marker
    assert live_tags(iotwireless, live["Arn"]) == {"team": "iot"}

    # Nothing to do: no call, and a preview expecting no changes agrees.
    emulator.clear_log()
    run = devices.run("up", "--yes", "--skip-preview")
    assert "Resources:\n    2 unchanged" in run.stdout
    assert devices.run("preview", "--expect-no-changes", check=False).returncode == 0
    assert emulator.calls() == []

    # Tags update in place: the same profile.
    devices.config_set("devices:profileTags", {"team": "radio"})
    assert up(devices, emulator) == [TAG]
    assert devices.outputs()["profileId"] == first["profileId"]
    assert live_tags(iotwireless, live["Arn"]) == {"team": "radio"}

    # A new name replaces: the new profile is created before the old one is deleted.
    devices.config_set("devices:profileName", "sensors-v2")
    preview = devices.run("preview", "--json").json()
    [step] = [s for s in preview["steps"] if s["urn"].endswith("::sensors")]
    assert (step["op"], step["replaceReasons"]) == ("replace", ["name"])
    assert up(devices, emulator) == [CREATE_PROFILE, GET_PROFILE, LIST_TAGS, DELETE_PROFILE]
    second = devices.outputs()
    assert second["profileId"] != first["profileId"]
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_device_profile(Id=first["profileId"])
    assert iotwireless.get_device_profile(Id=second["profileId"])["Name"] == "sensors-v2"

    # Refresh reads a tag set outside; the next up takes it away again.
    iotwireless.tag_resource(ResourceArn=second["profileArn"], Tags=[{"Key": "x", "Value": "y"}])
    emulator.clear_log()
    devices.run("refresh", "--yes", "--skip-preview")
    assert emulator.calls() == [GET_PROFILE, LIST_TAGS]
    [state] = devices.resources(DEVICE_PROFILE_TYPE)
    assert state["outputs"]["tags"] == {"team": "radio", "x": "y"}
    assert up(devices, emulator) == ["UntagResource"]

    # Destroy: the owner tag is checked, then the profile deleted.
    emulator.clear_log()
    devices.run("destroy", "--yes")
    assert emulator.calls() == [LIST_TAGS, DELETE_PROFILE]
    assert iotwireless.list_device_profiles()["DeviceProfileList"] == []
    assert devices.resources(DEVICE_PROFILE_TYPE) == []


def test_profile_deleted_outside_is_dropped_by_refresh_and_made_again(
    devices: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """Refresh after an outside delete drops the profile (one Get); the next up creates a new one."""
    devices.run("up", "--yes", "--skip-preview")
    old = devices.outputs()["profileId"]
    iotwireless.delete_device_profile(Id=old)
    emulator.clear_log()
    devices.run("refresh", "--yes", "--skip-preview")
    assert emulator.calls() == [GET_PROFILE]
    assert devices.resources(DEVICE_PROFILE_TYPE) == []
    assert up(devices, emulator) == [CREATE_PROFILE, GET_PROFILE]
    assert devices.outputs()["profileId"] != old


def test_device_lifecycle_create_update_replace_destroy(
    with_device: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A device is created on its profile, updates in place, replaces on a new SMSN or profile, then goes."""
    project = with_device
    assert up(project, emulator) == [CREATE_PROFILE, GET_PROFILE, CREATE_DEVICE, GET_DEVICE]
    outputs = project.outputs()
    live = live_device(iotwireless)
    assert (outputs["deviceId"], outputs["deviceArn"]) == (live["Id"], live["Arn"])
    assert (outputs["sidewalkId"], outputs["status"]) == (live["Sidewalk"]["SidewalkId"], "PROVISIONED")
    assert live["Sidewalk"]["DeviceProfileId"] == outputs["profileId"]
    assert live_owner(iotwireless, live["Arn"]).startswith("sidewalk-devices/dev/sensor-1#")  # type: ignore[union-attr]

    # Nothing to do.
    assert up(project, emulator) == []

    # Name and destination update in place, in one call.
    project.config_set("devices:deviceName", "renamed")
    project.config_set("devices:destinationName", "other")
    project.config_set("devices:positioning", "Enabled")
    assert up(project, emulator) == [UPDATE_DEVICE]
    assert emulator.log[0]["body"] == {
        "Name": "renamed",
        "DestinationName": "other",
        "Positioning": "Enabled",
    }
    live = live_device(iotwireless)
    assert (live["Id"], live["Name"], live["DestinationName"]) == (outputs["deviceId"], "renamed", "other")

    # A new SMSN replaces, creating first.
    project.config_set("devices:smsn", OTHER_SMSN)
    assert up(project, emulator) == [CREATE_DEVICE, GET_DEVICE, LIST_TAGS, DELETE_DEVICE]
    replaced = project.outputs()
    assert replaced["deviceId"] == live_device(iotwireless, OTHER_SMSN)["Id"] != outputs["deviceId"]
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        live_device(iotwireless)

    # A new profile replaces the profile, then the device deleting first (one device per SMSN), then
    # the old profile goes once no device uses it.
    project.config_set("devices:profileName", "sensors-v2")
    assert up(project, emulator) == [
        CREATE_PROFILE,
        GET_PROFILE,
        LIST_TAGS,
        DELETE_DEVICE,
        CREATE_DEVICE,
        GET_DEVICE,
        LIST_TAGS,
        DELETE_PROFILE,
    ]
    final = project.outputs()
    assert live_device(iotwireless, OTHER_SMSN)["Sidewalk"]["DeviceProfileId"] == final["profileId"]
    assert [p["Id"] for p in iotwireless.list_device_profiles()["DeviceProfileList"]] == [final["profileId"]]

    # Destroy: the device, then its profile, each after a look at its owner tag.
    emulator.clear_log()
    project.run("destroy", "--yes")
    assert emulator.calls() == [LIST_TAGS, DELETE_DEVICE, LIST_TAGS, DELETE_PROFILE]
    assert iotwireless.list_wireless_devices()["WirelessDeviceList"] == []
    assert iotwireless.list_device_profiles()["DeviceProfileList"] == []


def test_targeted_replace_of_a_device_takes_it_over_and_keeps_it(
    with_device: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """`pulumi up --replace` of the device keeps the one device of its SMSN, now marked by the new one."""
    project = with_device
    project.run("up", "--yes", "--skip-preview")
    before = project.outputs()["deviceId"]
    emulator.clear_log()
    run = project.run("up", "--yes", "--skip-preview", "--replace", DEVICE_URN)
    assert [(e["operation"], e["status"]) for e in emulator.log] == [
        (CREATE_DEVICE, 409),
        (GET_DEVICE, 200),
        (LIST_TAGS, 200),
        (TAG, 204),
        (LIST_TAGS, 200),
    ]
    assert "left in place for its holder" in run.output
    live = live_device(iotwireless)
    assert live["Id"] == before == project.outputs()["deviceId"]
    [state] = project.resources(WIRELESS_DEVICE_TYPE)
    assert live_owner(iotwireless, live["Arn"]) == state["outputs"]["ownerMarker"]
    assert project.run("preview", "--expect-no-changes", check=False).returncode == 0


def test_device_refresh_after_outside_change_and_delete(
    with_device: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """Refresh reads a name changed outside (the next up puts it back), and drops a device deleted outside."""
    project = with_device
    project.run("up", "--yes", "--skip-preview")
    device_id = project.outputs()["deviceId"]
    iotwireless.update_wireless_device(Id=device_id, Name="hijacked")
    emulator.clear_log()
    project.run("refresh", "--yes", "--skip-preview")
    assert sorted(emulator.calls()) == sorted([GET_PROFILE, LIST_TAGS, GET_DEVICE, LIST_TAGS])
    [state] = project.resources(WIRELESS_DEVICE_TYPE)
    assert state["outputs"]["name"] == "hijacked"
    assert up(project, emulator) == [UPDATE_DEVICE]
    assert live_device(iotwireless)["Name"] == "sensor-1"

    iotwireless.delete_wireless_device(Id=device_id)
    project.run("refresh", "--yes", "--skip-preview")
    assert project.resources(WIRELESS_DEVICE_TYPE) == []
    assert up(project, emulator) == [CREATE_DEVICE, GET_DEVICE]
    assert live_device(iotwireless)["Id"] == project.outputs()["deviceId"] != device_id


def test_device_made_outside_is_refused_then_adopted(
    with_device: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A device of the SMSN made outside fails the up in one sentence; with adoptExisting the up takes it."""
    project = with_device
    project.run(
        "up", "--yes", "--target", f"urn:pulumi:dev::sidewalk-devices::{DEVICE_PROFILE_TYPE}::sensors"
    )
    profile_id = project.outputs()["profileId"]
    made = iotwireless.create_wireless_device(
        Type="Sidewalk",
        Name="factory",
        DestinationName="other",
        Sidewalk={"DeviceProfileId": profile_id, "SidewalkManufacturingSn": SMSN},
    )
    run = project.run("up", "--yes", "--skip-preview", check=False)
    assert run.returncode != 0
    assert (
        f"CreateWirelessDevice failed for Sidewalk device {SMSN!r} in us-east-1 "
        "(ConflictException: it exists already): it is held by no Pulumi stack"
    ) in run.output
    assert "Traceback" not in run.output
    assert live_device(iotwireless)["Name"] == "factory"

    project.config_set("devices:adoptExisting", True)
    assert up(project, emulator) == [CREATE_DEVICE, GET_DEVICE, LIST_TAGS, UPDATE_DEVICE, TAG]
    assert project.outputs()["deviceId"] == made["Id"]
    live = live_device(iotwireless)
    assert (live["Name"], live["DestinationName"]) == ("sensor-1", "uplinks")
    emulator.clear_log()
    project.run("destroy", "--yes")
    assert emulator.calls() == [LIST_TAGS, DELETE_DEVICE, LIST_TAGS, DELETE_PROFILE]


def test_device_private_keys_are_secret_everywhere(
    with_device: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """No transcript, stack output, export or state file holds a device private key in plaintext."""
    project = with_device
    transcripts = [project.run("up", "--yes", "--skip-preview").output]
    keys = private_key_values(iotwireless)
    assert len(keys) == 2
    project.config_set("devices:description", "in the lab")
    transcripts.append(project.run("preview", "--diff").output)
    transcripts.append(project.run("up", "--yes", "--skip-preview", "--diff").output)
    transcripts.append(project.run("refresh", "--yes", "--diff").output)
    transcripts.append(project.run("stack", "output", "--json").output)
    transcripts.append(project.run("stack", "export").output)
    transcripts.append(project.run("stack", "history", "--json").output)
    assert project.outputs()["privateKeys"] == "[secret]"
    [envelope] = [r["outputs"]["privateKeys"] for r in project.resources(WIRELESS_DEVICE_TYPE)]
    assert envelope[SIGNATURE] == SECRET_SIGNATURE
    assert envelope["ciphertext"].startswith("v1:")
    files = [p for folder in (project.backend, project.home) for p in folder.rglob("*") if p.is_file()]
    assert files
    texts = transcripts + [p.read_bytes().decode(errors="replace") for p in files]
    for text in texts:
        for key in keys:
            assert key.lower() not in text.lower(), "a device private key appears in plaintext"
    # The sweep can fail: with --show-secrets the keys are there, under `privateKeys` alone.
    shown = project.outputs(show_secrets=True)["privateKeys"]
    assert [k["Value"] for k in shown] == keys
    [state] = [
        r
        for r in project.export(show_secrets=True)["deployment"]["resources"]
        if r["type"] == WIRELESS_DEVICE_TYPE
    ]
    revealed = state["outputs"]["privateKeys"]
    assert revealed[SIGNATURE] == SECRET_SIGNATURE
    assert [k["Value"] for k in json.loads(revealed["plaintext"])] == keys
    assert state["additionalSecretOutputs"] == ["privateKeys"]


def test_profile_made_outside_is_adopted_by_id_then_owned(
    devices: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A profile a script made is adopted by `up` (no create), then changes nothing, refreshes, and goes."""
    made = iotwireless.create_device_profile(Name="factory", Sidewalk={})
    devices.config_set("devices:profileName", "factory")
    devices.config_set("devices:profileTags", {"team": "iot"})
    devices.config_set("devices:profileAdoptExistingId", made["Id"])
    assert up(devices, emulator) == PROFILE_ADOPT_CALLS
    assert devices.outputs()["profileId"] == made["Id"]
    assert [p["Id"] for p in iotwireless.list_device_profiles()["DeviceProfileList"]] == [made["Id"]]
    [state] = devices.resources(DEVICE_PROFILE_TYPE)
    assert state["id"] == made["Id"]
    assert live_owner(iotwireless, made["Arn"]) == state["outputs"]["ownerMarker"]
    assert live_tags(iotwireless, made["Arn"]) == {"team": "iot"}

    # The second up changes nothing, and no call is made; neither does dropping the adopt id.
    emulator.clear_log()
    run = devices.run("up", "--yes", "--skip-preview")
    assert "Resources:\n    2 unchanged" in run.stdout
    devices.config_rm("devices:profileAdoptExistingId")
    assert devices.run("preview", "--expect-no-changes", check=False).returncode == 0
    assert emulator.calls() == []

    # Refresh agrees with the state.
    emulator.clear_log()
    devices.run("refresh", "--yes", "--skip-preview", "--expect-no-changes")
    assert emulator.calls() == PROFILE_READ_CALLS

    # Destroy deletes the adopted profile, as one the stack made.
    emulator.clear_log()
    devices.run("destroy", "--yes")
    assert emulator.calls() == PROFILE_DELETE_CALLS
    assert iotwireless.list_device_profiles()["DeviceProfileList"] == []
