"""The SidewalkDeviceProfile lifecycle through the real provider process and the emulator over HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest

from providers.device_profile import DeviceProfileProvider
from tests.cli.project import wait_until
from tests.engine import wire
from tests.engine.engine import Engine, EngineError, Registration
from tests.operations import (
    LIST_TAGS,
    PROFILE_ADOPT_CALLS,
    PROFILE_CREATE_CALLS,
    PROFILE_DELETE_CALLS,
    PROFILE_READ_CALLS,
    TAG,
    UNTAG,
)
from tests.support import (
    assert_failures_name,
    assert_pickled_by_reference,
    device_profile,
    live_owner,
    live_tags,
    refused_at_check,
)

CREATE = "CreateDeviceProfile"
GET = "GetDeviceProfile"
DELETE = "DeleteDeviceProfile"
OWNER_KEY = "pulumi-sidewalk:owner"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def outputs_of(engine: Engine, reg: Registration) -> dict[str, Any]:
    """Return a resource's outputs in the checkpoint."""
    return engine.resources[reg.urn].outputs


def profile_id(engine: Engine, reg: Registration) -> str:
    """Return a resource's id in the checkpoint: the profile's Id."""
    return engine.resources[reg.urn].id


def test_create_is_one_call_with_tags_inline_then_one_read(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Create makes one CreateDeviceProfile with tags and owner tag inline, then one GetDeviceProfile."""
    reg = device_profile(tags={"team": "iot"})
    emulator.clear_log()
    assert [s.op for s in engine.up([reg])] == ["create"]
    assert emulator.calls() == PROFILE_CREATE_CALLS == [CREATE, GET]
    outs = outputs_of(engine, reg)
    marker = outs["ownerMarker"]
    assert marker.startswith("sidewalk-partner-account/dev/sensors#")
    body = emulator.log[0]["body"]
    assert body["Name"] == "sensors"
    assert body["Sidewalk"] == {}
    assert body["Tags"] == [{"Key": OWNER_KEY, "Value": marker}, {"Key": "team", "Value": "iot"}]
    # botocore fills in a token of its own per call: none derived from the inputs.
    assert UUID.fullmatch(body["ClientRequestToken"])
    id_ = profile_id(engine, reg)
    live = iotwireless.get_device_profile(Id=id_)
    assert {k: v for k, v in outs.items() if k != "__provider"} == {
        "name": "sensors",
        "tags": {"team": "iot"},
        "region": "us-east-1",
        "owner": "sidewalk-partner-account/dev/sensors",
        "arn": live["Arn"],
        "applicationServerPublicKey": live["Sidewalk"]["ApplicationServerPublicKey"],
        "dakCertificateMetadata": live["Sidewalk"]["DakCertificateMetadata"],
        "qualificationStatus": False,
        "ownerMarker": marker,
    }
    assert live_owner(iotwireless, live["Arn"]) == marker


def test_create_without_a_name_sends_none(engine: Engine, emulator: Any, iotwireless: Any) -> None:
    """A profile without a name is created without Name, and its name output is empty."""
    reg = device_profile(name=None)
    emulator.clear_log()
    engine.up([reg])
    assert "Name" not in emulator.log[0]["body"]
    assert outputs_of(engine, reg)["name"] == ""
    assert "Name" not in iotwireless.get_device_profile(Id=profile_id(engine, reg))
    emulator.clear_log()
    assert [s.op for s in engine.up([device_profile(name=None)])] == ["same"]
    assert emulator.calls() == []


def test_up_without_changes_makes_no_api_call(engine: Engine, emulator: Any) -> None:
    """An up with nothing changed answers no change and calls AWS zero times."""
    engine.up([device_profile(tags={"team": "iot"})])
    emulator.clear_log()
    assert [s.op for s in engine.up([device_profile(tags={"team": "iot"})])] == ["same"]
    assert emulator.calls() == []


def test_tag_change_updates_in_place_sending_only_the_changes(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Changed and removed tags are one TagResource and one UntagResource; the profile stays."""
    reg = device_profile(tags={"team": "iot", "env": "dev"})
    engine.up([reg])
    before = profile_id(engine, reg)
    emulator.clear_log()
    changed = device_profile(tags={"team": "radio"})
    assert [(s.op, s.diffs) for s in engine.preview([changed])] == [("update", ["tags"])]
    assert emulator.calls() == []
    assert [s.op for s in engine.up([changed], skip_preview=True)] == ["update"]
    assert emulator.calls() == [TAG, UNTAG]
    assert emulator.log[0]["body"]["Tags"] == [{"Key": "team", "Value": "radio"}]
    assert emulator.log[1]["query"]["tagKeys"] == ["env"]
    assert profile_id(engine, reg) == before
    arn = outputs_of(engine, reg)["arn"]
    assert live_tags(iotwireless, arn) == {"team": "radio"}
    assert live_owner(iotwireless, arn) == outputs_of(engine, reg)["ownerMarker"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"name": "sensors-v2"}, "name", id="name"),
        pytest.param({"region": "us-west-2"}, "region", id="region"),
    ],
)
def test_name_or_region_change_replaces_creating_before_deleting(
    engine: Engine, emulator: Any, iotwireless: Any, change: dict[str, str], reason: str
) -> None:
    """A new name or region replaces the profile: a new one is created, then the old one deleted."""
    emulator.backend.update_settings(sidewalk_regions={"us-east-1", "us-west-2"})
    reg = device_profile()
    engine.up([reg])
    old_id = profile_id(engine, reg)
    emulator.clear_log()
    assert [(s.op, s.replaces) for s in engine.preview([device_profile(**change)])] == [("replace", [reason])]
    steps = engine.up([device_profile(**change)], skip_preview=True)
    assert [s.op for s in steps] == ["replace", "delete"]
    assert emulator.calls() == [*PROFILE_CREATE_CALLS, *PROFILE_DELETE_CALLS]
    assert emulator.log[-1]["path"] == f"/device-profiles/{old_id}"
    new_id = profile_id(engine, reg)
    assert new_id != old_id
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_device_profile(Id=old_id)


def test_targeted_replace_makes_a_new_profile_then_deletes_the_old(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """`up --replace` with the same inputs creates a new profile (a new id), then deletes the old one."""
    reg = device_profile()
    engine.up([reg])
    old_id = profile_id(engine, reg)
    engine.replace_targets.add(reg.urn)
    emulator.clear_log()
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["replace", "delete"]
    assert emulator.calls() == [*PROFILE_CREATE_CALLS, *PROFILE_DELETE_CALLS]
    assert [p["Id"] for p in iotwireless.list_device_profiles()["DeviceProfileList"]] == [
        profile_id(engine, reg)
    ]
    assert profile_id(engine, reg) != old_id


def test_refresh_reads_tags_changed_outside_and_up_puts_them_back(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Refresh reads tags changed outside Pulumi (one Get, one ListTags); the next up restores them."""
    reg = device_profile(tags={"team": "iot"})
    engine.up([reg])
    arn = outputs_of(engine, reg)["arn"]
    iotwireless.tag_resource(
        ResourceArn=arn, Tags=[{"Key": "x", "Value": "y"}, {"Key": "team", "Value": "z"}]
    )
    emulator.clear_log()
    steps = engine.refresh()
    assert emulator.calls() == PROFILE_READ_CALLS
    assert [(s.op, s.diffs) for s in steps] == [("refresh", ["tags"])]
    assert outputs_of(engine, reg)["tags"] == {"team": "z", "x": "y"}
    emulator.clear_log()
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == [TAG, UNTAG]
    assert live_tags(iotwireless, arn) == {"team": "iot"}


def test_refresh_after_an_outside_delete_drops_it_and_up_creates_it_again(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Refresh of a profile deleted outside Pulumi drops it after one Get; the next up creates a new one."""
    reg = device_profile()
    engine.up([reg])
    old_id = profile_id(engine, reg)
    iotwireless.delete_device_profile(Id=old_id)
    emulator.clear_log()
    assert [s.op for s in engine.refresh()] == ["delete"]
    assert emulator.calls() == [GET]
    assert engine.resources == {}
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["create"]
    assert profile_id(engine, reg) != old_id


def test_refresh_drops_a_profile_another_resource_holds_and_destroy_leaves_it(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """A profile whose owner tag another resource rewrote is not this one's: refresh drops it only."""
    reg = device_profile()
    engine.up([reg])
    arn = outputs_of(engine, reg)["arn"]
    iotwireless.tag_resource(ResourceArn=arn, Tags=[{"Key": OWNER_KEY, "Value": "p/other/sensors#00"}])
    emulator.clear_log()
    assert [s.op for s in engine.refresh()] == ["delete"]
    assert emulator.calls() == [GET, LIST_TAGS]
    iotwireless.get_device_profile(Id=arn.rsplit("/", 1)[1])


def test_destroy_checks_the_owner_tag_then_deletes(engine: Engine, emulator: Any, iotwireless: Any) -> None:
    """Destroy reads the owner tag, then makes one DeleteDeviceProfile, and the profile is gone."""
    reg = device_profile()
    engine.up([reg])
    id_ = profile_id(engine, reg)
    emulator.clear_log()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert emulator.calls() == PROFILE_DELETE_CALLS
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_device_profile(Id=id_)


def test_destroy_leaves_a_profile_another_resource_holds(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Destroy of a profile whose owner tag names another resource removes it from the stack only, warning."""
    reg = device_profile()
    engine.up([reg])
    arn = outputs_of(engine, reg)["arn"]
    iotwireless.tag_resource(ResourceArn=arn, Tags=[{"Key": OWNER_KEY, "Value": "p/other/sensors#00"}])
    emulator.clear_log()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert emulator.calls() == [LIST_TAGS]
    # The warning goes to the provider's stderr, which a thread of the harness reads: wait for it.
    warning = "is now held by resource 'sensors' of stack 'other' in project 'p'"
    wait_until(lambda: warning in engine.provider.output(), "the provider's warning")
    iotwireless.get_device_profile(Id=arn.rsplit("/", 1)[1])


def test_destroy_of_a_profile_already_gone_succeeds(engine: Engine, emulator: Any, iotwireless: Any) -> None:
    """Destroy counts a profile deleted outside Pulumi as deleted: AWS answered not found."""
    reg = device_profile()
    engine.up([reg])
    iotwireless.delete_device_profile(Id=profile_id(engine, reg))
    emulator.clear_log()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert [(e["operation"], e["status"]) for e in emulator.log] == [(LIST_TAGS, 404)]
    assert engine.resources == {}


def test_destroy_of_a_profile_in_use_fails_in_one_sentence_and_keeps_it(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Destroy of a profile that devices use fails saying so; once they are gone, it deletes."""
    reg = device_profile()
    engine.up([reg])
    id_ = profile_id(engine, reg)
    iotwireless.create_destination(
        Name="uplinks", Expression="rule", ExpressionType="RuleName", RoleArn="arn:aws:iam::1:role/r"
    )
    device = iotwireless.create_wireless_device(
        Type="Sidewalk",
        DestinationName="uplinks",
        Sidewalk={"DeviceProfileId": id_, "SidewalkManufacturingSn": "a" * 64},
    )
    with pytest.raises(EngineError) as exc:
        engine.destroy()
    assert exc.value.op == "delete"
    assert exc.value.message.strip().splitlines()[-1] == (
        f"providers._aws.PartnerAccountError: DeleteDeviceProfile failed for device profile {id_!r} in "
        f"us-east-1 (ConflictException: Device profile {id_} is used by wireless devices and cannot be "
        "deleted): wireless devices still use this device profile: delete them or give them another "
        "profile first."
    )
    assert reg.urn in engine.resources
    iotwireless.delete_wireless_device(Id=device["Id"])
    assert [s.op for s in engine.destroy()] == ["delete"]


def test_get_adopts_a_profile_made_outside_and_the_next_up_marks_it(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Resource.get reads a profile made outside Pulumi (one Get, one ListTags), and destroy leaves it."""
    made = iotwireless.create_device_profile(Name="factory", Sidewalk={}, Tags=[{"Key": "a", "Value": "b"}])
    reg = device_profile("factory")
    reg.inputs = {"__provider": reg.inputs["__provider"]}
    reg.id = made["Id"]
    emulator.clear_log()
    state = engine.read(reg)
    assert emulator.calls() == [GET, LIST_TAGS]
    assert (state.outputs["name"], state.outputs["arn"], state.outputs["tags"]) == (
        "factory",
        made["Arn"],
        {"a": "b"},
    )
    assert len(state.outputs["dakCertificateMetadata"]) == 1
    engine.destroy()
    iotwireless.get_device_profile(Id=made["Id"])


def test_profile_recorded_without_a_marker_gets_one_on_the_next_up(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """A profile whose state records no owner marker (imported) is marked by one TagResource, in place."""
    reg = device_profile()
    engine.up([reg])
    state = engine.resources[reg.urn]
    arn = state.outputs["arn"]
    iotwireless.untag_resource(ResourceArn=arn, TagKeys=[OWNER_KEY])
    state.outputs = {k: v for k, v in state.outputs.items() if k != "ownerMarker"}
    emulator.clear_log()
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["update"]
    assert emulator.calls() == [TAG]
    assert emulator.log[0]["body"]["Tags"] == [{"Key": OWNER_KEY, "Value": state.outputs["ownerMarker"]}]
    assert live_owner(iotwireless, arn) == state.outputs["ownerMarker"]


@pytest.mark.parametrize(
    ("inputs", "failing"),
    [
        pytest.param({"name": "n" * 257}, ["name"], id="name-too-long"),
        pytest.param({"name": 7.0}, ["name"], id="name-not-string"),
        pytest.param({"tags": {"aws:owner": "v"}}, ["tags"], id="tag-key-reserved"),
        pytest.param({"tags": {OWNER_KEY: "v"}}, ["tags"], id="tag-key-owner"),
        pytest.param({"tags": {f"k{i}": "v" for i in range(200)}}, ["tags"], id="tags-200"),
        pytest.param({"region": "moon-1"}, ["region"], id="region-unknown-form"),
        pytest.param({"owner": "nobody"}, ["owner"], id="owner-not-a-path"),
        pytest.param({"sidewalk": {}}, ["sidewalk"], id="unknown-input"),
        pytest.param({"name": "n" * 300, "region": "x"}, ["name", "region"], id="several-at-once"),
    ],
)
def test_check_refuses_bad_input_before_any_call(
    engine: Engine, emulator: Any, inputs: dict[str, Any], failing: list[str]
) -> None:
    """Check refuses each broken rule with one sentence naming the input, and nothing reaches AWS."""
    reg = device_profile()
    reg.inputs = {**reg.inputs, **inputs}
    assert_failures_name(refused_at_check(engine, emulator, reg).failures, failing, one_sentence=True)


def test_name_rule_comes_from_the_model(engine: Engine) -> None:
    """The name's limit is the model's DeviceProfileName: 256 characters pass, 257 fail saying so."""
    engine.preview([device_profile(name="n" * 256)])
    reg = device_profile(name="n" * 257)
    with pytest.raises(EngineError) as exc:
        engine.preview([reg])
    assert exc.value.failures == [("name", "name must be 0 to 256 characters")]


def test_preview_with_unknown_values_plans_a_create(engine: Engine, emulator: Any) -> None:
    """A preview whose name and tags are not yet known checks cleanly and plans a create."""
    reg = device_profile(name=wire.UNKNOWN, tags={"team": wire.UNKNOWN})
    assert [s.op for s in engine.preview([reg])] == ["create"]
    assert emulator.calls() == []


def test_provider_pickles_by_reference_and_small() -> None:
    """The pickled provider names the importable class instead of carrying bytecode."""
    assert_pickled_by_reference(DeviceProfileProvider(), "providers.device_profile")


def made_outside(iotwireless: Any, name: str = "factory", **tags: str) -> dict[str, Any]:
    """Create a profile as a script does, outside Pulumi; return CreateDeviceProfile's answer."""
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
    return dict(iotwireless.create_device_profile(Name=name, Sidewalk={}, Tags=tag_list))


def refusal(exc: pytest.ExceptionInfo[EngineError]) -> str:
    """Return the one sentence a refused create ends with, the error's class cut off."""
    last = exc.value.message.strip().splitlines()[-1]
    return last.removeprefix("providers._aws.PartnerAccountError: ")


def test_adopt_existing_id_takes_a_profile_made_outside_then_owns_it(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """adoptExistingId makes no profile: Get, ListTags, one Tag; then no-op, refresh and destroy as made."""
    made = made_outside(iotwireless)
    reg = device_profile(name="factory", adoptExistingId=made["Id"])
    emulator.clear_log()
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["create"]
    assert emulator.calls() == PROFILE_ADOPT_CALLS == [GET, LIST_TAGS, TAG]
    assert profile_id(engine, reg) == made["Id"]
    assert [p["Id"] for p in iotwireless.list_device_profiles()["DeviceProfileList"]] == [made["Id"]]
    outs = outputs_of(engine, reg)
    marker = outs["ownerMarker"]
    assert marker.startswith("sidewalk-partner-account/dev/sensors#")
    assert emulator.log[2]["body"]["Tags"] == [{"Key": OWNER_KEY, "Value": marker}]
    live = iotwireless.get_device_profile(Id=made["Id"])
    assert (outs["name"], outs["arn"], outs["tags"], outs["adoptExistingId"]) == (
        "factory",
        made["Arn"],
        {},
        made["Id"],
    )
    assert outs["applicationServerPublicKey"] == live["Sidewalk"]["ApplicationServerPublicKey"]
    assert live_owner(iotwireless, made["Arn"]) == marker

    emulator.clear_log()
    assert [s.op for s in engine.up([reg])] == ["same"]
    assert [(s.op, s.diffs) for s in engine.refresh()] == [("refresh", [])]
    assert emulator.calls() == PROFILE_READ_CALLS
    emulator.clear_log()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert emulator.calls() == PROFILE_DELETE_CALLS
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_device_profile(Id=made["Id"])


def test_adoption_sets_the_tags_sending_only_the_differences(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """The adopted profile's tags become the input's: changed ones with the owner tag, removed ones after."""
    made = made_outside(iotwireless, team="old", keep="same", drop="me")
    reg = device_profile(name="factory", adoptExistingId=made["Id"], tags={"team": "iot", "keep": "same"})
    emulator.clear_log()
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == [*PROFILE_ADOPT_CALLS, UNTAG]
    marker = outputs_of(engine, reg)["ownerMarker"]
    assert emulator.log[2]["body"]["Tags"] == [
        {"Key": OWNER_KEY, "Value": marker},
        {"Key": "team", "Value": "iot"},
    ]
    assert emulator.log[3]["query"]["tagKeys"] == ["drop"]
    assert live_tags(iotwireless, made["Arn"]) == {"team": "iot", "keep": "same"}
    assert live_owner(iotwireless, made["Arn"]) == marker


def test_adopt_inputs_changed_after_create_cause_no_update(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Changing or removing adoptExistingId and adoptExisting later plans nothing; tags still update alone."""
    made = made_outside(iotwireless)
    engine.up([device_profile(name="factory", adoptExistingId=made["Id"])], skip_preview=True)
    emulator.clear_log()
    for later in (
        device_profile(name="factory", adoptExistingId="another-id", adoptExisting=True),
        device_profile(name="factory", adoptExistingId=wire.UNKNOWN),
        device_profile(name="factory"),
    ):
        assert [(s.op, s.diffs, s.replaces) for s in engine.preview([later])] == [("same", [], [])]
    assert [s.op for s in engine.up([device_profile(name="factory")], skip_preview=True)] == ["same"]
    assert emulator.calls() == []
    tagged = device_profile(name="factory", tags={"team": "iot"})
    assert [s.op for s in engine.up([tagged], skip_preview=True)] == ["update"]
    assert emulator.calls() == [TAG]
    assert [s.op for s in engine.up([tagged])] == ["same"]
    assert engine.resources[tagged.urn].id == made["Id"]


def test_adopting_a_profile_that_does_not_exist_fails_in_one_sentence(engine: Engine, emulator: Any) -> None:
    """An id that names no profile fails the create after one GetDeviceProfile, saying what to do."""
    missing = "00000000-0000-4000-8000-000000000000"
    reg = device_profile(name="factory", adoptExistingId=missing)
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        engine.up([reg], skip_preview=True)
    assert exc.value.op == "create"
    assert refusal(exc) == (
        f"Adopting device profile {missing!r} in us-east-1 failed (ResourceNotFoundException): "
        "adoptExistingId names no device profile of this account and region; correct it, or remove it "
        "to create a new profile."
    )
    assert emulator.calls() == [GET]
    assert engine.resources == {}


@pytest.mark.parametrize(
    ("name", "wanted"),
    [pytest.param("sensors", "name 'sensors'", id="other-name"), pytest.param(None, "no name", id="no-name")],
)
def test_adopting_a_profile_of_another_name_is_refused_before_any_change(
    engine: Engine, emulator: Any, iotwireless: Any, name: str | None, wanted: str
) -> None:
    """A profile whose name is not the input's is refused after one Get: a name cannot change in place."""
    made = made_outside(iotwireless)
    reg = device_profile(name=name, adoptExistingId=made["Id"])
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        engine.up([reg], skip_preview=True)
    assert refusal(exc) == (
        f"Adopting device profile {made['Id']!r} in us-east-1 failed: the profile's name is 'factory' and "
        f"this resource asks for {wanted}, and a profile's name cannot change in place; set name to "
        "'factory', or remove adoptExistingId to create a new profile."
    )
    assert emulator.calls() == [GET]
    assert live_owner(iotwireless, made["Arn"]) is None


def test_a_profile_another_stack_holds_is_refused_unless_adopt_existing_says_so(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Another stack's owner tag refuses the adoption unchanged; adoptExisting takes it over, explicitly."""
    made = made_outside(iotwireless, **{OWNER_KEY: "p/other/sensors#00"})
    reg = device_profile(name="factory", adoptExistingId=made["Id"])
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        engine.up([reg], skip_preview=True)
    assert refusal(exc) == (
        f"Adopting device profile {made['Id']!r} in us-east-1 failed: it is held by resource 'sensors' of "
        "stack 'other' in project 'p'; set adoptExisting to true as well to take it over (its holder's "
        "`pulumi destroy` then leaves it in place), or remove it from the stack that holds it, if one does."
    )
    assert emulator.calls() == [GET, LIST_TAGS]
    assert live_owner(iotwireless, made["Arn"]) == "p/other/sensors#00"
    assert engine.resources == {}

    taking = device_profile(name="factory", adoptExistingId=made["Id"], adoptExisting=True)
    emulator.clear_log()
    assert [s.op for s in engine.up([taking], skip_preview=True)] == ["create"]
    assert emulator.calls() == PROFILE_ADOPT_CALLS
    assert live_owner(iotwireless, made["Arn"]) == outputs_of(engine, taking)["ownerMarker"]


def test_a_profile_marked_by_this_resources_owner_is_taken_without_adopt_existing(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """A profile an interrupted create or a predecessor of this resource marked is taken with the id alone."""
    made = made_outside(iotwireless, **{OWNER_KEY: "sidewalk-partner-account/dev/sensors#0123"})
    reg = device_profile(name="factory", adoptExistingId=made["Id"])
    emulator.clear_log()
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == PROFILE_ADOPT_CALLS
    marker = outputs_of(engine, reg)["ownerMarker"]
    assert marker != "sidewalk-partner-account/dev/sensors#0123"
    assert live_owner(iotwireless, made["Arn"]) == marker


def test_targeted_replace_of_an_adopted_profile_keeps_it(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """`up --replace` with adoptExistingId set adopts the same profile anew; the old delete leaves it."""
    made = made_outside(iotwireless)
    reg = device_profile(name="factory", adoptExistingId=made["Id"])
    engine.up([reg], skip_preview=True)
    old_marker = outputs_of(engine, reg)["ownerMarker"]
    engine.replace_targets.add(reg.urn)
    emulator.clear_log()
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["replace", "delete"]
    assert emulator.calls() == [*PROFILE_ADOPT_CALLS, LIST_TAGS]
    assert profile_id(engine, reg) == made["Id"]
    new_marker = outputs_of(engine, reg)["ownerMarker"]
    assert new_marker != old_marker
    assert live_owner(iotwireless, made["Arn"]) == new_marker


@pytest.mark.parametrize(
    ("inputs", "reason"),
    [
        pytest.param({"adoptExistingId": ""}, "adoptExistingId must be 1 to 256 characters", id="id-empty"),
        pytest.param(
            {"adoptExistingId": "i" * 257}, "adoptExistingId must be 1 to 256 characters", id="id-too-long"
        ),
        pytest.param({"adoptExistingId": 7.0}, "adoptExistingId must be a string", id="id-not-string"),
        pytest.param({"adoptExisting": "yes"}, "adoptExisting must be true or false", id="adopt-not-bool"),
    ],
)
def test_check_refuses_bad_adopt_inputs_before_any_call(
    engine: Engine, emulator: Any, inputs: dict[str, Any], reason: str
) -> None:
    """The adopt inputs follow the model's DeviceProfileId, or are a bool, before anything reaches AWS."""
    reg = device_profile()
    reg.inputs = {**reg.inputs, **inputs}
    assert refused_at_check(engine, emulator, reg).failures == [(next(iter(inputs)), reason)]
