"""The Destination lifecycle through the real provider process and the emulator over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from providers.destination import DestinationProvider
from tests.engine import wire
from tests.engine.engine import Engine, EngineError, Registration
from tests.operations import LIST_TAGS, UNTAG
from tests.support import (
    ROLE_ARN,
    assert_failures_name,
    assert_pickled_by_reference,
    destination,
    live_owner,
    live_tags,
    refused_at_check,
)

CREATE = "CreateDestination"
GET = "GetDestination"
UPDATE = "UpdateDestination"
DELETE = "DeleteDestination"
ARN = "arn:aws:iotwireless:us-east-1:123456789012:Destination/uplinks"


def outputs_of(engine: Engine, reg: Registration) -> dict[str, Any]:
    """Return a resource's outputs in the checkpoint."""
    return engine.resources[reg.urn].outputs


def test_create_is_one_call_with_tags_inline(engine: Engine, emulator: Any, iotwireless: Any) -> None:
    """Create makes one CreateDestination with the tags and owner tag inline, and outputs the ARN."""
    reg = destination(tags={"team": "iot"}, description="uplinks of the fleet")
    emulator.clear_log()
    assert [s.op for s in engine.up([reg])] == ["create"]
    assert emulator.calls() == [CREATE]
    marker = outputs_of(engine, reg)["ownerMarker"]
    assert marker.startswith("sidewalk-partner-account/dev/uplinks#")
    assert emulator.log[0]["body"]["Tags"] == [
        {"Key": "pulumi-sidewalk:owner", "Value": marker},
        {"Key": "team", "Value": "iot"},
    ]
    assert engine.resources[reg.urn].id == "uplinks"
    assert {k: v for k, v in outputs_of(engine, reg).items() if k != "__provider"} == {
        "name": "uplinks",
        "expression": "sidewalk_uplinks",
        "expressionType": "RuleName",
        "roleArn": ROLE_ARN,
        "description": "uplinks of the fleet",
        "tags": {"team": "iot"},
        "region": "us-east-1",
        "owner": "sidewalk-partner-account/dev/uplinks",
        "arn": ARN,
        "ownerMarker": marker,
    }
    assert live_owner(iotwireless, ARN) == marker
    live = iotwireless.get_destination(Name="uplinks")
    assert (live["Expression"], live["ExpressionType"], live["RoleArn"]) == (
        "sidewalk_uplinks",
        "RuleName",
        ROLE_ARN,
    )


def test_up_without_changes_makes_no_api_call(engine: Engine, emulator: Any) -> None:
    """An up with nothing changed answers no change and calls AWS zero times."""
    engine.up([destination(tags={"team": "iot"})])
    emulator.clear_log()
    assert [s.op for s in engine.up([destination(tags={"team": "iot"})])] == ["same"]
    assert emulator.calls() == []


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"expression": "other_rule"}, id="expression"),
        pytest.param({"expressionType": "MqttTopic", "expression": "sidewalk/uplinks"}, id="expression-type"),
        pytest.param({"roleArn": "arn:aws:iam::123456789012:role/other"}, id="role-arn"),
        pytest.param({"description": "now described"}, id="description"),
    ],
)
def test_routing_change_updates_in_place(
    engine: Engine, emulator: Any, iotwireless: Any, change: dict[str, str]
) -> None:
    """A new expression, expression type, role or description is one UpdateDestination, no replacement."""
    reg = destination()
    engine.up([reg])
    emulator.clear_log()
    preview = engine.preview([destination(**change)])
    assert [(s.op, s.diffs) for s in preview] == [("update", sorted(change))]
    assert [s.op for s in engine.up([destination(**change)], skip_preview=True)] == ["update"]
    assert emulator.calls() == [UPDATE]
    live = iotwireless.get_destination(Name="uplinks")
    members = {"expression": "Expression", "expressionType": "ExpressionType", "roleArn": "RoleArn"}
    for prop, value in change.items():
        assert live[members.get(prop, "Description")] == value
        assert outputs_of(engine, reg)[prop] == value
    assert outputs_of(engine, reg)["arn"] == ARN


def test_name_change_replaces_creating_before_deleting(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """A new name replaces the destination: the new one is created before the old one is deleted."""
    reg = destination()
    engine.up([reg])
    emulator.clear_log()
    renamed = destination(name="uplinks-v2")
    assert [(s.op, s.replaces) for s in engine.preview([renamed])] == [("replace", ["name"])]
    steps = engine.up([renamed], skip_preview=True)
    assert [s.op for s in steps] == ["replace", "delete"]
    assert emulator.calls() == [CREATE, LIST_TAGS, DELETE]
    assert [(e["operation"], e["path"]) for e in emulator.log][2] == (DELETE, "/destinations/uplinks")
    assert engine.resources[reg.urn].id == "uplinks-v2"
    iotwireless.get_destination(Name="uplinks-v2")
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_destination(Name="uplinks")


def test_region_change_replaces(engine: Engine, emulator: Any) -> None:
    """A new region replaces the destination: created in the new region, deleted from the old."""
    emulator.backend.update_settings(sidewalk_regions={"us-east-1", "us-west-2"})
    reg = destination()
    engine.up([reg])
    emulator.clear_log()
    steps = engine.up([destination(region="us-west-2")], skip_preview=True)
    assert [(s.op, s.replaces) for s in steps] == [("replace", ["region"]), ("delete", [])]
    assert [(e["operation"], e["region"]) for e in emulator.log] == [
        (CREATE, "us-west-2"),
        (LIST_TAGS, "us-east-1"),
        (DELETE, "us-east-1"),
    ]
    assert outputs_of(engine, reg)["arn"] == ARN.replace("us-east-1", "us-west-2")


def test_refresh_after_out_of_band_delete_drops_the_resource(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Refresh of a destination deleted outside Pulumi drops it; the next up creates it again."""
    reg = destination()
    engine.up([reg])
    iotwireless.delete_destination(Name="uplinks")
    emulator.clear_log()
    assert [s.op for s in engine.refresh()] == ["delete"]
    assert emulator.calls() == [GET]
    assert engine.resources == {}
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["create"]
    iotwireless.get_destination(Name="uplinks")


def test_refresh_reads_changes_made_outside_and_up_puts_them_back(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Refresh reads a routing and tags changed outside Pulumi; the next up restores the configured ones."""
    reg = destination(tags={"team": "iot"})
    engine.up([reg])
    iotwireless.update_destination(Name="uplinks", Expression="hijacked", Description="changed")
    iotwireless.tag_resource(ResourceArn=ARN, Tags=[{"Key": "x", "Value": "y"}])
    emulator.clear_log()
    steps = engine.refresh()
    assert emulator.calls() == [GET, LIST_TAGS]
    assert [(s.op, s.diffs) for s in steps] == [("refresh", ["description", "expression", "tags"])]
    assert outputs_of(engine, reg)["expression"] == "hijacked"
    emulator.clear_log()
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == [UPDATE, UNTAG]
    live = iotwireless.get_destination(Name="uplinks")
    assert (live["Expression"], live.get("Description")) == ("sidewalk_uplinks", "")
    assert live_tags(iotwireless, ARN) == {"team": "iot"}


def test_destroy_deletes(engine: Engine, emulator: Any, iotwireless: Any) -> None:
    """Destroy reads the owner tag, then deletes the destination it still holds."""
    engine.up([destination()])
    emulator.clear_log()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert emulator.calls() == [LIST_TAGS, DELETE]
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_destination(Name="uplinks")


def test_delete_of_a_destination_already_gone_succeeds(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Destroy counts a destination deleted outside Pulumi as deleted: AWS answered not found."""
    engine.up([destination()])
    iotwireless.delete_destination(Name="uplinks")
    emulator.clear_log()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert [(e["operation"], e["status"]) for e in emulator.log] == [(LIST_TAGS, 404)]
    assert engine.resources == {}


def test_delete_of_a_destination_still_in_use_fails_and_keeps_it(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Destroy of a destination devices send to fails in one sentence; once they leave, it deletes."""
    reg = destination()
    engine.up([reg])
    emulator.backend.use_destination("123456789012", "us-east-1", "uplinks")
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        engine.destroy()
    assert exc.value.op == "delete"
    assert exc.value.message.strip().splitlines()[-1] == (
        "providers._aws.PartnerAccountError: DeleteDestination failed for destination 'uplinks' in us-east-1 "
        "(ConflictException: Destination uplinks is used by wireless devices and cannot be deleted): "
        "wireless devices still send to this destination: give them another destination first."
    )
    assert emulator.calls() == [LIST_TAGS, DELETE]
    assert reg.urn in engine.resources
    assert iotwireless.get_destination(Name="uplinks")["Arn"] == ARN
    emulator.backend.use_destination("123456789012", "us-east-1", "uplinks", in_use=False)
    assert [s.op for s in engine.destroy()] == ["delete"]
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_destination(Name="uplinks")


def test_delete_refused_by_aws_fails_and_keeps_the_destination(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Destroy refused with AccessDeniedException fails at its first call naming it; state keeps it."""
    reg = destination()
    engine.up([reg])
    # The emulator refuses every call in a region it does not serve, as AWS answers a missing grant.
    emulator.backend.update_settings(sidewalk_regions={"us-west-2"})
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        engine.destroy()
    assert exc.value.op == "delete"
    last_line = exc.value.message.strip().splitlines()[-1]
    assert last_line.startswith(
        "providers._aws.PartnerAccountError: ListTagsForResource failed for destination 'uplinks' in "
        "us-east-1 (AccessDeniedException: "
    )
    assert last_line.endswith("grant iotwireless:ListTagsForResource to the credentials in use.")
    assert emulator.calls() == [LIST_TAGS]
    assert reg.urn in engine.resources
    emulator.backend.update_settings(sidewalk_regions={"us-east-1"})
    assert iotwireless.get_destination(Name="uplinks")["Arn"] == ARN


def test_name_taken_fails_with_one_sentence(engine: Engine, iotwireless: Any) -> None:
    """Creating over a destination of the same name fails naming it, the code and what to do."""
    iotwireless.create_destination(
        Name="uplinks", Expression="someone_else", ExpressionType="RuleName", RoleArn=ROLE_ARN
    )
    with pytest.raises(EngineError) as exc:
        engine.up([destination()], skip_preview=True)
    assert exc.value.op == "create"
    message = exc.value.message
    assert "CreateDestination failed for destination 'uplinks' in us-east-1 (ConflictException" in message
    assert "choose another name" in message
    assert "ClientError" not in message
    assert engine.resources == {}
    assert iotwireless.get_destination(Name="uplinks")["Expression"] == "someone_else"


@pytest.mark.parametrize(
    ("inputs", "failing"),
    [
        pytest.param({"name": None}, ["name"], id="name-missing"),
        pytest.param({"name": "up links"}, ["name"], id="name-bad-character"),
        pytest.param({"name": "a" * 129}, ["name"], id="name-too-long"),
        pytest.param({"name": ""}, ["name"], id="name-empty"),
        pytest.param({"expression": None}, ["expression"], id="expression-missing"),
        pytest.param({"expression": ""}, ["expression"], id="expression-empty"),
        pytest.param({"expression": "r" * 2049}, ["expression"], id="expression-too-long"),
        pytest.param({"expressionType": "Lambda"}, ["expressionType"], id="expression-type-not-in-enum"),
        pytest.param({"expressionType": None}, ["expressionType"], id="expression-type-missing"),
        pytest.param({"roleArn": "arn:aws:iam::1:role"}, ["roleArn"], id="role-arn-too-short"),
        pytest.param({"roleArn": "a" * 2049}, ["roleArn"], id="role-arn-too-long"),
        pytest.param({"roleArn": 7.0}, ["roleArn"], id="role-arn-not-string"),
        pytest.param({"description": "d" * 2049}, ["description"], id="description-too-long"),
        pytest.param({"tags": {"aws:owner": "v"}}, ["tags"], id="tag-key-reserved"),
        pytest.param({"tags": {f"k{i}": "v" for i in range(201)}}, ["tags"], id="tags-201"),
        pytest.param({"region": "moon-1"}, ["region"], id="region-unknown-form"),
        pytest.param({"rulename": "x"}, ["rulename"], id="unknown-input"),
        pytest.param(
            {"name": "", "expressionType": "x", "roleArn": "short"},
            ["name", "expressionType", "roleArn"],
            id="several-at-once",
        ),
    ],
)
def test_check_refuses_bad_input_before_any_call(
    engine: Engine, emulator: Any, inputs: dict[str, Any], failing: list[str]
) -> None:
    """Check refuses each broken rule with a failure naming the input, and nothing reaches AWS."""
    reg = destination()
    reg.inputs = {k: v for k, v in {**reg.inputs, **inputs}.items() if v is not None}
    assert_failures_name(refused_at_check(engine, emulator, reg).failures, failing)


def test_preview_with_unknown_values_plans_a_create(engine: Engine, emulator: Any) -> None:
    """A preview whose role and tags are not yet known checks cleanly and plans a create."""
    reg = destination(roleArn=wire.UNKNOWN, tags={"team": wire.UNKNOWN})
    assert [s.op for s in engine.preview([reg])] == ["create"]
    assert emulator.calls() == []


def test_preview_with_unknown_name_plans_a_replacement(engine: Engine, emulator: Any) -> None:
    """A name not yet known may change the identity, so the preview plans a replacement."""
    engine.up([destination()])
    emulator.clear_log()
    steps = engine.preview([destination(name=wire.UNKNOWN)])
    assert [(s.op, s.replaces) for s in steps] == [("replace", ["name"])]
    assert emulator.calls() == []


def test_get_reads_an_existing_destination(engine: Engine, emulator: Any, iotwireless: Any) -> None:
    """Resource.get reads a destination by name with its tags, and destroy leaves it alone."""
    iotwireless.create_destination(
        Name="existing",
        Expression="rule_x",
        ExpressionType="RuleName",
        RoleArn=ROLE_ARN,
        Tags=[{"Key": "a", "Value": "b"}],
    )
    reg = destination("existing")
    reg.inputs = {"__provider": reg.inputs["__provider"]}
    reg.id = "existing"
    emulator.clear_log()
    state = engine.read(reg)
    assert emulator.calls() == [GET, LIST_TAGS]
    assert (state.outputs["name"], state.outputs["expression"]) == ("existing", "rule_x")
    assert state.outputs["tags"] == {"a": "b"}
    engine.destroy()
    iotwireless.get_destination(Name="existing")


def test_provider_pickles_by_reference_and_small() -> None:
    """The pickled provider names the importable class instead of carrying bytecode."""
    assert_pickled_by_reference(DestinationProvider(), "providers.destination")
