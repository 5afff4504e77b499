"""The SidewalkDevice lifecycle through the real provider process and the emulator over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from providers.wireless_device import WirelessDeviceProvider
from tests.cli.project import wait_until
from tests.engine import wire
from tests.engine.engine import Engine, EngineError, Registration
from tests.operations import (
    DEVICE_CREATE_CALLS,
    DEVICE_DELETE_CALLS,
    DEVICE_READ_CALLS,
    DEVICE_TAKE_OVER_CALLS,
    DEVICE_UPDATE_CALLS,
    LIST_TAGS,
    TAG,
    UNTAG,
)
from tests.support import (
    SMSN,
    assert_failures_name,
    assert_pickled_by_reference,
    live_owner,
    live_tags,
    refused_at_check,
    wireless_device,
)

CREATE = "CreateWirelessDevice"
GET = "GetWirelessDevice"
UPDATE = "UpdateWirelessDevice"
DELETE = "DeleteWirelessDevice"
OWNER_KEY = "pulumi-sidewalk:owner"
OTHER_SMSN = "f" * 64
ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk-destination"


@pytest.fixture
def profile_id(iotwireless: Any) -> str:
    """Make the destinations `uplinks` and `other` and a Sidewalk device profile; return its id."""
    for name in ("uplinks", "other"):
        iotwireless.create_destination(
            Name=name, Expression="rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
        )
    return str(iotwireless.create_device_profile(Name="sensors", Sidewalk={})["Id"])


@pytest.fixture
def other_profile_id(iotwireless: Any, profile_id: str) -> str:
    """Make a second Sidewalk device profile; return its id."""
    return str(iotwireless.create_device_profile(Name="other", Sidewalk={})["Id"])


def outputs_of(engine: Engine, reg: Registration) -> dict[str, Any]:
    """Return a resource's outputs in the checkpoint, secret marks kept."""
    return engine.resources[reg.urn].outputs


def device_id(engine: Engine, reg: Registration) -> str:
    """Return a resource's id in the checkpoint: the WirelessDeviceId."""
    return engine.resources[reg.urn].id


def live_device(iotwireless: Any, smsn: str = SMSN) -> dict[str, Any]:
    """Return GetWirelessDevice of the device of an SMSN."""
    answer: dict[str, Any] = iotwireless.get_wireless_device(
        Identifier=smsn, IdentifierType="SidewalkManufacturingSn"
    )
    return answer


def private_key_values(iotwireless: Any, smsn: str = SMSN) -> list[str]:
    """Return the values of the live device's private keys."""
    return [key["Value"] for key in live_device(iotwireless, smsn)["Sidewalk"]["PrivateKeys"]]


def sweep(engine: Engine, keys: list[str]) -> None:
    """Assert that no artefact of the run (encrypted checkpoint, provider output, errors) holds a key."""
    assert keys
    checkpoint = json.dumps(wire.to_checkpoint({k: vars(v) for k, v in engine.resources.items()}, "x"))
    for text in (checkpoint, engine.provider.output(), "\n".join(engine.errors)):
        for key in keys:
            assert key.lower() not in text.lower(), "a device private key appears in plaintext"


def test_create_is_one_call_with_tags_inline_then_one_read(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str
) -> None:
    """Create: one CreateWirelessDevice, tags and owner tag inline, one GetWirelessDevice; keys secret."""
    reg = wireless_device(deviceProfileId=profile_id, tags={"team": "iot"}, description="in the lab")
    emulator.clear_log()
    assert [s.op for s in engine.up([reg])] == ["create"]
    assert emulator.calls() == DEVICE_CREATE_CALLS == [CREATE, GET]
    outs = outputs_of(engine, reg)
    marker = outs["ownerMarker"]
    assert marker.startswith("sidewalk-partner-account/dev/sensor-1#")
    body = emulator.log[0]["body"]
    assert {k: v for k, v in body.items() if k != "ClientRequestToken"} == {
        "Type": "Sidewalk",
        "Name": "sensor-1",
        "Description": "in the lab",
        "DestinationName": "uplinks",
        "Positioning": "Disabled",
        "Sidewalk": {"DeviceProfileId": profile_id, "SidewalkManufacturingSn": SMSN},
        "Tags": [{"Key": OWNER_KEY, "Value": marker}, {"Key": "team", "Value": "iot"}],
    }
    live = live_device(iotwireless)
    assert device_id(engine, reg) == live["Id"]
    assert {k: v for k, v in outs.items() if k not in ("__provider", "privateKeys")} == {
        "name": "sensor-1",
        "description": "in the lab",
        "sidewalkManufacturingSn": SMSN,
        "deviceProfileId": profile_id,
        "destinationName": "uplinks",
        "positioning": "Disabled",
        "tags": {"team": "iot"},
        "region": "us-east-1",
        "adoptExisting": False,
        "owner": "sidewalk-partner-account/dev/sensor-1",
        "arn": live["Arn"],
        "sidewalkId": live["Sidewalk"]["SidewalkId"],
        "status": "PROVISIONED",
        "deviceCertificates": live["Sidewalk"]["DeviceCertificates"],
        "ownerMarker": marker,
    }
    assert outs["privateKeys"] == wire.Secret(live["Sidewalk"]["PrivateKeys"])
    assert live_owner(iotwireless, live["Arn"]) == marker
    sweep(engine, private_key_values(iotwireless))


def test_up_without_changes_makes_no_api_call(engine: Engine, emulator: Any, profile_id: str) -> None:
    """An up with nothing changed answers no change and calls AWS zero times."""
    engine.up([wireless_device(deviceProfileId=profile_id, tags={"team": "iot"})])
    emulator.clear_log()
    assert [s.op for s in engine.up([wireless_device(deviceProfileId=profile_id, tags={"team": "iot"})])] == [
        "same"
    ]
    assert emulator.calls() == []


@pytest.mark.parametrize(
    ("change", "member"),
    [
        pytest.param({"name": "renamed"}, {"Name": "renamed"}, id="name"),
        pytest.param({"description": "moved"}, {"Description": "moved"}, id="description"),
        pytest.param({"destinationName": "other"}, {"DestinationName": "other"}, id="destination"),
        pytest.param({"positioning": "Enabled"}, {"Positioning": "Enabled"}, id="positioning"),
    ],
)
def test_change_updates_in_place_sending_only_that_member(
    engine: Engine,
    emulator: Any,
    iotwireless: Any,
    profile_id: str,
    change: dict[str, str],
    member: dict[str, str],
) -> None:
    """A new name, description, destination or positioning is one UpdateWirelessDevice of that member."""
    reg = wireless_device(deviceProfileId=profile_id)
    engine.up([reg])
    before = device_id(engine, reg)
    emulator.clear_log()
    changed = wireless_device(deviceProfileId=profile_id, **change)
    assert [(s.op, s.diffs) for s in engine.preview([changed])] == [("update", sorted(change))]
    assert emulator.calls() == []
    assert [s.op for s in engine.up([changed], skip_preview=True)] == ["update"]
    assert emulator.calls() == DEVICE_UPDATE_CALLS
    assert emulator.log[0]["body"] == member
    assert device_id(engine, reg) == before
    live = live_device(iotwireless)
    for key, value in member.items():
        assert live[key] == value
    for key, value in change.items():
        assert outputs_of(engine, reg)[key] == value


def test_tag_change_updates_in_place(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str
) -> None:
    """Changed and removed tags are one TagResource and one UntagResource, and nothing else."""
    reg = wireless_device(deviceProfileId=profile_id, tags={"team": "iot", "env": "dev"})
    engine.up([reg])
    emulator.clear_log()
    engine.up([wireless_device(deviceProfileId=profile_id, tags={"team": "radio"})], skip_preview=True)
    assert emulator.calls() == [TAG, UNTAG]
    assert live_tags(iotwireless, outputs_of(engine, reg)["arn"]) == {"team": "radio"}


def test_smsn_change_replaces_creating_before_deleting(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str
) -> None:
    """A new SMSN replaces the device: the new one is created, then the old one deleted."""
    reg = wireless_device(deviceProfileId=profile_id)
    engine.up([reg])
    old_id = device_id(engine, reg)
    emulator.clear_log()
    changed = wireless_device(deviceProfileId=profile_id, sidewalkManufacturingSn=OTHER_SMSN)
    preview = engine.preview([changed])
    assert [(s.op, s.replaces, s.delete_before_replace) for s in preview] == [
        ("replace", ["sidewalkManufacturingSn"], False)
    ]
    assert [s.op for s in engine.up([changed], skip_preview=True)] == ["replace", "delete"]
    assert emulator.calls() == [*DEVICE_CREATE_CALLS, *DEVICE_DELETE_CALLS]
    assert emulator.log[-1]["path"] == f"/wireless-devices/{old_id}"
    assert live_device(iotwireless, OTHER_SMSN)["Id"] == device_id(engine, reg)
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        live_device(iotwireless)


def test_profile_change_replaces_deleting_first(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str, other_profile_id: str
) -> None:
    """A new profile replaces the device, deleting first: AWS holds one device per SMSN."""
    reg = wireless_device(deviceProfileId=profile_id)
    engine.up([reg])
    old_id = device_id(engine, reg)
    emulator.clear_log()
    changed = wireless_device(deviceProfileId=other_profile_id)
    assert [(s.op, s.replaces, s.delete_before_replace) for s in engine.preview([changed])] == [
        ("replace", ["deviceProfileId"], True)
    ]
    assert [s.op for s in engine.up([changed], skip_preview=True)] == ["replace"]
    assert emulator.calls() == [*DEVICE_DELETE_CALLS, *DEVICE_CREATE_CALLS]
    live = live_device(iotwireless)
    assert live["Id"] == device_id(engine, reg) != old_id
    assert live["Sidewalk"]["DeviceProfileId"] == other_profile_id


def test_targeted_replace_takes_its_own_device_over_and_keeps_it(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str
) -> None:
    """`up --replace` with the same SMSN takes the device over (new owner tag); the old delete leaves it."""
    reg = wireless_device(deviceProfileId=profile_id)
    engine.up([reg])
    old_marker = outputs_of(engine, reg)["ownerMarker"]
    engine.replace_targets.add(reg.urn)
    emulator.clear_log()
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["replace", "delete"]
    assert [(e["operation"], e["status"]) for e in emulator.log] == [
        (CREATE, 409),
        (GET, 200),
        (LIST_TAGS, 200),
        (TAG, 204),
        (LIST_TAGS, 200),
    ]
    new_marker = outputs_of(engine, reg)["ownerMarker"]
    assert new_marker != old_marker
    live = live_device(iotwireless)
    assert live["Id"] == device_id(engine, reg)
    assert live_owner(iotwireless, live["Arn"]) == new_marker
    # The warning goes to the provider's stderr, which a thread of the harness reads: wait for it.
    wait_until(lambda: "left in place for its holder" in engine.provider.output(), "the provider's warning")
    sweep(engine, private_key_values(iotwireless))


def test_refresh_reads_changes_made_outside_and_up_puts_them_back(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str
) -> None:
    """Refresh reads a name and destination changed outside Pulumi; the next up restores them."""
    reg = wireless_device(deviceProfileId=profile_id)
    engine.up([reg])
    id_ = device_id(engine, reg)
    iotwireless.update_wireless_device(Id=id_, Name="hijacked", DestinationName="other")
    emulator.clear_log()
    steps = engine.refresh()
    assert emulator.calls() == DEVICE_READ_CALLS
    assert [(s.op, s.diffs) for s in steps] == [("refresh", ["destinationName", "name"])]
    assert outputs_of(engine, reg)["name"] == "hijacked"
    assert outputs_of(engine, reg)["privateKeys"] == wire.Secret(
        live_device(iotwireless)["Sidewalk"]["PrivateKeys"]
    )
    emulator.clear_log()
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == DEVICE_UPDATE_CALLS
    assert emulator.log[0]["body"] == {"Name": "sensor-1", "DestinationName": "uplinks"}
    sweep(engine, private_key_values(iotwireless))


def test_refresh_after_an_outside_delete_drops_it_and_up_creates_it_again(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str
) -> None:
    """Refresh of a device deleted outside Pulumi drops it after one Get; the next up creates it again."""
    reg = wireless_device(deviceProfileId=profile_id)
    engine.up([reg])
    iotwireless.delete_wireless_device(Id=device_id(engine, reg))
    emulator.clear_log()
    assert [s.op for s in engine.refresh()] == ["delete"]
    assert emulator.calls() == [GET]
    assert engine.resources == {}
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["create"]
    assert live_device(iotwireless)["Id"] == device_id(engine, reg)


def test_destroy_checks_the_owner_tag_then_deletes(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str
) -> None:
    """Destroy reads the owner tag, then makes one DeleteWirelessDevice; the SMSN is free again."""
    engine.up([wireless_device(deviceProfileId=profile_id)])
    emulator.clear_log()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert emulator.calls() == DEVICE_DELETE_CALLS
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        live_device(iotwireless)


def test_destroy_of_a_device_already_gone_succeeds(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str
) -> None:
    """Destroy counts a device deleted outside Pulumi as deleted: AWS answered not found."""
    reg = wireless_device(deviceProfileId=profile_id)
    engine.up([reg])
    iotwireless.delete_wireless_device(Id=device_id(engine, reg))
    emulator.clear_log()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert [(e["operation"], e["status"]) for e in emulator.log] == [(LIST_TAGS, 404)]


def made_outside(iotwireless: Any, profile_id: str, owner: str | None = None) -> dict[str, Any]:
    """Create the device of SMSN outside Pulumi, with an owner tag if given; return its id and ARN."""
    tags = [{"Key": OWNER_KEY, "Value": owner}] if owner else []
    answer: dict[str, Any] = iotwireless.create_wireless_device(
        Type="Sidewalk",
        Name="factory",
        DestinationName="other",
        Sidewalk={"DeviceProfileId": profile_id, "SidewalkManufacturingSn": SMSN},
        Tags=[{"Key": "batch", "Value": "7"}, *tags],
    )
    return answer


@pytest.mark.parametrize(
    ("owner", "holder"),
    [
        pytest.param(None, "no Pulumi stack (it has no owner tag: it was made outside Pulumi", id="unmarked"),
        pytest.param(
            "p/other/sensor-1#00", "resource 'sensor-1' of stack 'other' in project 'p'", id="other-stack"
        ),
    ],
)
def test_create_over_a_device_held_elsewhere_fails_in_one_sentence(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str, owner: str | None, holder: str
) -> None:
    """A create meeting a device of its SMSN that it does not own is refused, changing nothing."""
    made = made_outside(iotwireless, profile_id, owner)
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        engine.up([wireless_device(deviceProfileId=profile_id)], skip_preview=True)
    assert exc.value.op == "create"
    last = exc.value.message.strip().splitlines()[-1]
    assert last.startswith(
        f"providers._aws.PartnerAccountError: CreateWirelessDevice failed for Sidewalk device {SMSN!r} in "
        f"us-east-1 (ConflictException: it exists already): it is held by {holder}"
    )
    assert last.endswith(
        "; set adoptExisting to true to take it over (its holder's `pulumi destroy` then leaves it "
        "in place), or remove it from the stack that holds it, if one does, and delete it."
    )
    assert emulator.calls() == DEVICE_TAKE_OVER_CALLS
    assert engine.resources == {}
    live = live_device(iotwireless)
    assert (live["Id"], live["Name"], live["DestinationName"]) == (made["Id"], "factory", "other")
    assert live_owner(iotwireless, made["Arn"]) == owner


def test_adopt_existing_takes_a_device_over(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str
) -> None:
    """With adoptExisting, a create takes the device over: its fields, tags and owner tag become ours."""
    made = made_outside(iotwireless, profile_id, "p/other/sensor-1#00")
    reg = wireless_device(deviceProfileId=profile_id, adoptExisting=True, tags={"team": "iot"})
    emulator.clear_log()
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["create"]
    assert emulator.calls() == [CREATE, GET, LIST_TAGS, UPDATE, TAG, UNTAG]
    assert emulator.log[3]["body"] == {"Name": "sensor-1", "DestinationName": "uplinks"}
    assert device_id(engine, reg) == made["Id"]
    outs = outputs_of(engine, reg)
    assert live_owner(iotwireless, made["Arn"]) == outs["ownerMarker"]
    assert live_tags(iotwireless, made["Arn"]) == {"team": "iot"}
    assert (outs["name"], outs["destinationName"]) == ("sensor-1", "uplinks")
    assert outs["privateKeys"] == wire.Secret(live_device(iotwireless)["Sidewalk"]["PrivateKeys"])
    emulator.clear_log()
    assert [s.op for s in engine.up([reg])] == ["same"]
    assert emulator.calls() == []
    sweep(engine, private_key_values(iotwireless))


def test_adoption_of_a_device_of_another_profile_is_refused(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str, other_profile_id: str
) -> None:
    """A device of the SMSN made with another profile is not taken over: the sentence names its profile."""
    made_outside(iotwireless, other_profile_id)
    with pytest.raises(EngineError) as exc:
        engine.up([wireless_device(deviceProfileId=profile_id, adoptExisting=True)], skip_preview=True)
    assert f"uses device profile {other_profile_id!r}, and a device's profile cannot change in place" in (
        exc.value.message
    )
    assert live_device(iotwireless)["Name"] == "factory"


def test_missing_destination_fails_the_create_in_one_sentence(
    engine: Engine, emulator: Any, profile_id: str
) -> None:
    """A destination that does not exist fails the create naming what the device names, and what to do."""
    with pytest.raises(EngineError) as exc:
        engine.up([wireless_device(deviceProfileId=profile_id, destinationName="nowhere")], skip_preview=True)
    assert exc.value.message.strip().splitlines()[-1] == (
        f"providers._aws.PartnerAccountError: CreateWirelessDevice failed for Sidewalk device {SMSN!r} in "
        "us-east-1 (ResourceNotFoundException: Destination nowhere not found): it names destination "
        f"'nowhere' and device profile {profile_id!r}: make sure both exist in us-east-1, or correct "
        "destinationName and deviceProfileId."
    )
    assert engine.resources == {}


def test_missing_destination_fails_the_update_in_one_sentence(
    engine: Engine, emulator: Any, iotwireless: Any, profile_id: str
) -> None:
    """An update to a destination that does not exist fails saying so; the device keeps its destination."""
    reg = wireless_device(deviceProfileId=profile_id)
    engine.up([reg])
    id_ = device_id(engine, reg)
    with pytest.raises(EngineError) as exc:
        engine.up([wireless_device(deviceProfileId=profile_id, destinationName="nowhere")], skip_preview=True)
    assert exc.value.message.strip().splitlines()[-1] == (
        f"providers._aws.PartnerAccountError: UpdateWirelessDevice failed for Sidewalk device {id_!r} in "
        "us-east-1 (ResourceNotFoundException: Destination nowhere not found): destination 'nowhere' does "
        "not exist in us-east-1 (make it first, or correct destinationName), or the device itself is gone "
        "(run `pulumi refresh`)."
    )
    assert live_device(iotwireless)["DestinationName"] == "uplinks"
    assert outputs_of(engine, reg)["destinationName"] == "uplinks"


@pytest.mark.parametrize(
    ("inputs", "failing"),
    [
        pytest.param({"sidewalkManufacturingSn": None}, ["sidewalkManufacturingSn"], id="smsn-missing"),
        pytest.param({"sidewalkManufacturingSn": ""}, ["sidewalkManufacturingSn"], id="smsn-empty"),
        pytest.param({"sidewalkManufacturingSn": "a" * 65}, ["sidewalkManufacturingSn"], id="smsn-too-long"),
        pytest.param({"deviceProfileId": None}, ["deviceProfileId"], id="profile-missing"),
        pytest.param({"deviceProfileId": "p" * 257}, ["deviceProfileId"], id="profile-too-long"),
        pytest.param({"destinationName": None}, ["destinationName"], id="destination-missing"),
        pytest.param({"destinationName": "up links"}, ["destinationName"], id="destination-bad-character"),
        pytest.param({"destinationName": "d" * 129}, ["destinationName"], id="destination-too-long"),
        pytest.param({"name": "n" * 257}, ["name"], id="name-too-long"),
        pytest.param({"description": "d" * 2049}, ["description"], id="description-too-long"),
        pytest.param({"positioning": "On"}, ["positioning"], id="positioning-not-in-enum"),
        pytest.param({"adoptExisting": "yes"}, ["adoptExisting"], id="adopt-not-bool"),
        pytest.param({"tags": {OWNER_KEY: "v"}}, ["tags"], id="tag-key-owner"),
        pytest.param({"region": "moon-1"}, ["region"], id="region-unknown-form"),
        pytest.param({"smsn": SMSN}, ["smsn"], id="unknown-input"),
        pytest.param(
            {"sidewalkManufacturingSn": "", "destinationName": "a b"},
            ["sidewalkManufacturingSn", "destinationName"],
            id="several-at-once",
        ),
    ],
)
def test_check_refuses_bad_input_before_any_call(
    engine: Engine, emulator: Any, profile_id: str, inputs: dict[str, Any], failing: list[str]
) -> None:
    """Check refuses each broken rule with one sentence naming the input, and nothing reaches AWS."""
    reg = wireless_device(deviceProfileId=profile_id)
    reg.inputs = {k: v for k, v in {**reg.inputs, **inputs}.items() if v is not None}
    assert_failures_name(refused_at_check(engine, emulator, reg).failures, failing)


def test_smsn_rule_comes_from_the_model(engine: Engine, profile_id: str) -> None:
    """The SMSN's limit is the model's SidewalkManufacturingSn: 64 characters pass, 65 fail saying so."""
    engine.preview([wireless_device(deviceProfileId=profile_id)])
    with pytest.raises(EngineError) as exc:
        engine.preview([wireless_device(deviceProfileId=profile_id, sidewalkManufacturingSn="a" * 65)])
    assert exc.value.failures == [
        ("sidewalkManufacturingSn", "sidewalkManufacturingSn must be 1 to 64 characters")
    ]


def test_preview_with_an_unknown_profile_plans_a_replacement_deleting_first(
    engine: Engine, emulator: Any, profile_id: str
) -> None:
    """A profile id not yet known (its profile being replaced) plans a delete-first replacement."""
    engine.up([wireless_device(deviceProfileId=profile_id)])
    emulator.clear_log()
    steps = engine.preview([wireless_device(deviceProfileId=wire.UNKNOWN)])
    assert [(s.op, s.replaces, s.delete_before_replace) for s in steps] == [
        ("replace", ["deviceProfileId"], True)
    ]
    assert emulator.calls() == []


def test_provider_pickles_by_reference_and_small() -> None:
    """The pickled provider names the importable class instead of carrying bytecode."""
    assert_pickled_by_reference(WirelessDeviceProvider(), "providers.wireless_device")
