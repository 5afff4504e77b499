"""The PartnerAccount lifecycle through the real provider process and the emulator over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.engine import wire
from tests.engine.engine import Engine, EngineError, Registration
from tests.operations import (
    ASSOCIATE,
    CREATE_CALLS,
    DELETE_CALLS,
    DISASSOCIATE,
    GET,
    LIST_TAGS,
    TAG,
    TAKE_OVER_CALLS,
    UNTAG,
    UPDATE,
)
from tests.support import (
    KEY,
    OTHER_KEY,
    assert_failures_name,
    assert_no_key,
    live_owner,
    live_tags,
    partner_account,
    refused_at_check,
)


def outputs_of(engine: Engine, reg: Registration) -> dict[str, Any]:
    """Return a resource's outputs in the checkpoint, secret marks kept."""
    return engine.resources[reg.urn].outputs


def sweep(engine: Engine, *keys: str) -> None:
    """Assert that no artefact of the run holds the key in plaintext."""
    checkpoint = json.dumps(wire.to_checkpoint({k: vars(v) for k, v in engine.resources.items()}, "x"))
    for text in (checkpoint, engine.provider.output(), "\n".join(engine.errors)):
        assert_no_key(text, *(keys or (KEY,)))


def test_create_associates_with_tags_inline_then_reads_once(engine: Engine, emulator: Any) -> None:
    """Create: one Associate with the tags and owner tag inline, one Get, one look at the owner tag."""
    reg = partner_account(tags={"team": "iot"})
    emulator.clear_log()
    steps = engine.up([reg])
    assert [s.op for s in steps] == ["create"]
    assert emulator.calls() == CREATE_CALLS
    associate = emulator.log[0]
    outs = outputs_of(engine, reg)
    marker = outs["ownerMarker"]
    assert marker.startswith("sidewalk-partner-account/dev/sidewalk#")
    assert associate["body"]["Tags"] == [
        {"Key": "pulumi-sidewalk:owner", "Value": marker},
        {"Key": "team", "Value": "iot"},
    ]
    assert outs["tags"] == {"team": "iot"}
    assert (
        outs["arn"] == f"arn:aws:iotwireless:us-east-1:123456789012:SidewalkAccount/{reg.inputs['amazonId']}"
    )
    assert len(outs["fingerprint"]) == 64
    assert outs["accountLinked"] is False
    assert outs["partnerAccountId"] == reg.inputs["amazonId"]
    assert outs["region"] == "us-east-1"
    assert outs["appServerPrivateKey"] == wire.Secret(KEY)
    assert engine.resources[reg.urn].id == reg.inputs["amazonId"]
    sweep(engine)


def test_up_without_changes_makes_no_api_call(engine: Engine, emulator: Any) -> None:
    """An up with nothing changed answers no change and calls AWS zero times."""
    reg = partner_account(tags={"team": "iot"})
    engine.up([reg])
    emulator.clear_log()
    steps = engine.up([partner_account(tags={"team": "iot"})])
    assert [s.op for s in steps] == ["same"]
    assert emulator.calls() == []


def test_key_rotation_updates_in_place(engine: Engine, emulator: Any, iotwireless: Any) -> None:
    """A new key is one UpdatePartnerAccount (and a Get for the new fingerprint), not a replacement."""
    reg = partner_account()
    engine.up([reg])
    before = outputs_of(engine, reg)["fingerprint"]
    emulator.clear_log()
    preview = engine.preview([partner_account(appServerPrivateKey=OTHER_KEY)])
    assert [(s.op, s.diffs) for s in preview] == [
        ("update", ["appServerPrivateKey", "appServerPrivateKeyDigest"])
    ]
    assert emulator.calls() == []
    steps = engine.up([partner_account(appServerPrivateKey=OTHER_KEY)], skip_preview=True)
    assert [s.op for s in steps] == ["update"]
    assert emulator.calls() == [UPDATE, GET]
    after = outputs_of(engine, reg)
    assert after["fingerprint"] != before
    assert after["appServerPrivateKey"] == wire.Secret(OTHER_KEY)
    live = iotwireless.get_partner_account(PartnerAccountId=reg.inputs["amazonId"], PartnerType="Sidewalk")
    assert live["Sidewalk"]["Fingerprint"] == after["fingerprint"]
    sweep(engine, KEY, OTHER_KEY)


def test_key_in_other_case_is_no_change(engine: Engine, emulator: Any) -> None:
    """The same key written in upper case is the same key: no update."""
    engine.up([partner_account()])
    emulator.clear_log()
    steps = engine.up([partner_account(appServerPrivateKey=KEY.upper())])
    assert [s.op for s in steps] == ["same"]
    assert emulator.calls() == []


def test_amazon_id_change_replaces_creating_before_deleting(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """A new amazonId replaces the association: the new one is associated before the old is removed."""
    old = partner_account(amazonId="amzn1.account.OLD")
    engine.up([old])
    emulator.clear_log()
    new = partner_account(amazonId="amzn1.account.NEW")
    preview = engine.preview([new])
    assert [(s.op, s.replaces) for s in preview] == [("replace", ["amazonId"])]
    steps = engine.up([new], skip_preview=True)
    assert [s.op for s in steps] == ["replace", "delete"]
    assert emulator.calls() == CREATE_CALLS + DELETE_CALLS
    assert [e["body"]["Sidewalk"]["AmazonId"] for e in emulator.log if e["operation"] == ASSOCIATE] == [
        "amzn1.account.NEW"
    ]
    listed = iotwireless.list_partner_accounts()["Sidewalk"]
    assert [a["AmazonId"] for a in listed] == ["amzn1.account.NEW"]
    assert engine.resources[new.urn].id == "amzn1.account.NEW"
    assert list(engine.resources) == [new.urn]


def test_rename_without_alias_is_refused_then_adopted_explicitly(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """A renamed resource is another resource: refused naming the holder; adoptExisting moves it over."""
    before = partner_account("before", amazonId="amzn1.account.SAME")
    engine.up([before])
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        engine.up([partner_account("after", amazonId="amzn1.account.SAME")], skip_preview=True)
    assert "held by resource 'before' of stack 'dev'" in exc.value.message
    assert emulator.calls() == [ASSOCIATE, GET, LIST_TAGS]
    assert list(engine.resources) == [before.urn]
    renamed = partner_account("after", amazonId="amzn1.account.SAME", adoptExisting=True)
    emulator.clear_log()
    steps = engine.up([renamed], skip_preview=True)
    assert [s.op for s in steps] == ["create", "delete"]
    # The old resource's delete finds the new owner tag and leaves the association in place.
    assert emulator.calls() == [*TAKE_OVER_CALLS, LIST_TAGS]
    [association] = emulator.backend.associations()
    assert outputs_of(engine, renamed)["arn"] == association["Arn"]
    assert live_owner(iotwireless, association["Arn"]) == outputs_of(engine, renamed)["ownerMarker"]
    assert list(engine.resources) == [renamed.urn]
    engine.destroy()
    assert emulator.backend.associations() == []


def test_region_change_replaces(engine: Engine, emulator: Any) -> None:
    """A new region replaces the association: associated in the new region, removed from the old."""
    emulator.backend.update_settings(sidewalk_regions={"us-east-1", "us-west-2"})
    reg = partner_account()
    engine.up([reg])
    emulator.clear_log()
    steps = engine.up([partner_account(region="us-west-2")], skip_preview=True)
    assert [(s.op, s.replaces) for s in steps] == [("replace", ["region"]), ("delete", [])]
    assert [(e["operation"], e["region"]) for e in emulator.log] == [
        (ASSOCIATE, "us-west-2"),
        (GET, "us-west-2"),
        (LIST_TAGS, "us-west-2"),
        (LIST_TAGS, "us-east-1"),
        (DISASSOCIATE, "us-east-1"),
    ]
    assert outputs_of(engine, reg)["region"] == "us-west-2"
    assert outputs_of(engine, reg)["arn"].startswith("arn:aws:iotwireless:us-west-2:")


def test_refresh_after_out_of_band_delete_drops_the_resource(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """Refresh of an association deleted outside Pulumi drops it; the next up associates it again."""
    reg = partner_account()
    engine.up([reg])
    iotwireless.disassociate_aws_account_from_partner_account(
        PartnerAccountId=reg.inputs["amazonId"], PartnerType="Sidewalk"
    )
    emulator.clear_log()
    assert [s.op for s in engine.refresh()] == ["delete"]
    assert emulator.calls() == [GET]
    assert engine.resources == {}
    steps = engine.up([reg], skip_preview=True)
    assert [s.op for s in steps] == ["create"]
    iotwireless.get_partner_account(PartnerAccountId=reg.inputs["amazonId"], PartnerType="Sidewalk")


def test_refresh_reports_tags_changed_outside(engine: Engine, emulator: Any, iotwireless: Any) -> None:
    """Refresh reads tags changed outside Pulumi; the next up puts the configured ones back."""
    reg = partner_account(tags={"team": "iot"})
    engine.up([reg])
    arn = outputs_of(engine, reg)["arn"]
    iotwireless.tag_resource(
        ResourceArn=arn, Tags=[{"Key": "team", "Value": "other"}, {"Key": "x", "Value": "y"}]
    )
    emulator.clear_log()
    steps = engine.refresh()
    assert emulator.calls() == [GET, LIST_TAGS]
    assert [(s.op, s.diffs) for s in steps] == [("refresh", ["tags"])]
    assert outputs_of(engine, reg)["tags"] == {"team": "other", "x": "y"}
    assert [(s.op, s.diffs) for s in engine.preview([reg])] == [("update", ["tags"])]
    emulator.clear_log()
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == [TAG, UNTAG]
    assert live_tags(iotwireless, arn) == {"team": "iot"}


def test_refresh_after_key_rotated_outside_sets_the_key_again(
    engine: Engine, emulator: Any, iotwireless: Any
) -> None:
    """A key rotated outside Pulumi shows after refresh as a pending key update, which up applies."""
    reg = partner_account()
    engine.up([reg])
    iotwireless.update_partner_account(
        Sidewalk={"AppServerPrivateKey": OTHER_KEY},
        PartnerAccountId=reg.inputs["amazonId"],
        PartnerType="Sidewalk",
    )
    engine.refresh()
    assert "appServerPrivateKey" not in outputs_of(engine, reg)
    assert [(s.op, s.diffs) for s in engine.preview([reg])] == [
        ("update", ["appServerPrivateKey", "appServerPrivateKeyDigest"])
    ]
    emulator.clear_log()
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == [UPDATE, GET]
    assert outputs_of(engine, reg)["appServerPrivateKey"] == wire.Secret(KEY)
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["same"]
    sweep(engine, KEY, OTHER_KEY)


def test_destroy_disassociates(engine: Engine, emulator: Any, iotwireless: Any) -> None:
    """Destroy is one Disassociate, and the association is gone."""
    engine.up([partner_account()])
    emulator.clear_log()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert emulator.calls() == DELETE_CALLS
    assert iotwireless.list_partner_accounts()["Sidewalk"] == []


def test_delete_of_an_association_already_gone_succeeds(engine: Engine, iotwireless: Any) -> None:
    """Destroy counts an association removed outside Pulumi as deleted."""
    reg = partner_account()
    engine.up([reg])
    iotwireless.disassociate_aws_account_from_partner_account(
        PartnerAccountId=reg.inputs["amazonId"], PartnerType="Sidewalk"
    )
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert engine.resources == {}


def test_existing_association_fails_naming_adopt_existing(engine: Engine, iotwireless: Any) -> None:
    """Creating over an existing association fails with a message that names adoptExisting."""
    reg = partner_account()
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": reg.inputs["amazonId"], "AppServerPrivateKey": OTHER_KEY}
    )
    with pytest.raises(EngineError) as exc:
        engine.up([reg], skip_preview=True)
    assert exc.value.op == "create"
    assert "adoptExisting" in exc.value.message
    assert "ConflictException" in exc.value.message
    assert engine.resources == {}
    sweep(engine, KEY, OTHER_KEY)


def test_adopt_existing_takes_over_key_and_tags(engine: Engine, emulator: Any, iotwireless: Any) -> None:
    """With adoptExisting, an existing association is taken over: key set, tags reconciled."""
    reg = partner_account(adoptExisting=True, tags={"team": "iot", "env": "dev"})
    arn = iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": reg.inputs["amazonId"], "AppServerPrivateKey": OTHER_KEY},
        Tags=[{"Key": "team", "Value": "old"}, {"Key": "stale", "Value": "x"}],
    )["Arn"]
    emulator.clear_log()
    steps = engine.up([reg], skip_preview=True)
    assert [s.op for s in steps] == ["create"]
    assert emulator.calls() == [*TAKE_OVER_CALLS, UNTAG]
    assert live_tags(iotwireless, arn) == {"team": "iot", "env": "dev"}
    live = iotwireless.get_partner_account(PartnerAccountId=reg.inputs["amazonId"], PartnerType="Sidewalk")
    assert outputs_of(engine, reg)["fingerprint"] == live["Sidewalk"]["Fingerprint"]
    emulator.clear_log()
    assert [s.op for s in engine.up([reg])] == ["same"]
    assert emulator.calls() == []
    sweep(engine, KEY, OTHER_KEY)


def test_adopt_existing_without_an_existing_association_creates(engine: Engine, emulator: Any) -> None:
    """AdoptExisting on a new AmazonId simply associates it."""
    emulator.clear_log()
    engine.up([partner_account(adoptExisting=True)])
    assert emulator.calls() == CREATE_CALLS


@pytest.mark.parametrize(
    ("inputs", "failing"),
    [
        pytest.param({"amazonId": None}, ["amazonId"], id="amazon-id-missing"),
        pytest.param({"amazonId": ""}, ["amazonId"], id="amazon-id-empty"),
        pytest.param({"amazonId": "a" * 2049}, ["amazonId"], id="amazon-id-too-long"),
        pytest.param({"amazonId": 7.0}, ["amazonId"], id="amazon-id-not-string"),
        pytest.param({"appServerPrivateKey": None}, ["appServerPrivateKey"], id="key-missing"),
        pytest.param({"appServerPrivateKey": KEY[:-1]}, ["appServerPrivateKey"], id="key-63-digits"),
        pytest.param({"appServerPrivateKey": KEY + "0"}, ["appServerPrivateKey"], id="key-65-digits"),
        pytest.param({"appServerPrivateKey": "g" + KEY[1:]}, ["appServerPrivateKey"], id="key-not-hex"),
        pytest.param({"appServerPrivateKey": KEY + "\n"}, ["appServerPrivateKey"], id="key-trailing-newline"),
        pytest.param({"tags": {f"k{i}": "v" for i in range(201)}}, ["tags"], id="tags-201"),
        pytest.param({"tags": {"": "v"}}, ["tags"], id="tag-key-empty"),
        pytest.param({"tags": {"k" * 129: "v"}}, ["tags"], id="tag-key-too-long"),
        pytest.param({"tags": {"aws:owner": "v"}}, ["tags"], id="tag-key-reserved"),
        pytest.param({"tags": {"k": "v" * 257}}, ["tags"], id="tag-value-too-long"),
        pytest.param({"tags": ["a"]}, ["tags"], id="tags-not-map"),
        pytest.param({"region": "moon-1"}, ["region"], id="region-unknown-form"),
        pytest.param({"clientRequestToken": ""}, ["clientRequestToken"], id="token-empty"),
        pytest.param({"clientRequestToken": "a" * 65}, ["clientRequestToken"], id="token-too-long"),
        pytest.param({"clientRequestToken": "a b"}, ["clientRequestToken"], id="token-bad-character"),
        pytest.param({"adoptExisting": "yes"}, ["adoptExisting"], id="adopt-not-bool"),
        pytest.param({"amazonID": "x"}, ["amazonID"], id="unknown-input"),
        pytest.param(
            {"amazonId": "", "appServerPrivateKey": "short", "tags": {"aws:x": "v"}},
            ["amazonId", "appServerPrivateKey", "tags"],
            id="several-at-once",
        ),
    ],
)
def test_check_refuses_bad_input_before_any_call(
    engine: Engine, emulator: Any, inputs: dict[str, Any], failing: list[str]
) -> None:
    """Check refuses each broken rule with a failure naming the input, and nothing reaches AWS."""
    refused = refused_at_check(engine, emulator, partner_account(**inputs))
    assert_failures_name(refused.failures, failing)
    assert_no_key(refused.message)


def test_preview_with_unknown_values_passes_check(engine: Engine, emulator: Any) -> None:
    """A preview with values not yet known checks cleanly and plans a create."""
    reg = partner_account(tags={"team": wire.UNKNOWN}, amazonId=wire.UNKNOWN)
    steps = engine.preview([reg])
    assert [s.op for s in steps] == ["create"]
    assert emulator.calls() == []


def test_preview_with_unknown_amazon_id_plans_a_replacement(engine: Engine, emulator: Any) -> None:
    """An amazonId not yet known may change the identity, so the preview plans a replacement."""
    engine.up([partner_account(amazonId="amzn1.account.A")])
    emulator.clear_log()
    steps = engine.preview([partner_account(amazonId=wire.UNKNOWN)])
    assert [(s.op, s.replaces) for s in steps] == [("replace", ["amazonId"])]
    assert emulator.calls() == []


def test_get_reads_an_existing_association(engine: Engine, emulator: Any, iotwireless: Any) -> None:
    """Resource.get reads an association by AmazonId, and destroy leaves it alone."""
    amazon_id = "amzn1.account.EXISTING"
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": amazon_id, "AppServerPrivateKey": OTHER_KEY}, Tags=[{"Key": "a", "Value": "b"}]
    )
    reg = partner_account("existing")
    reg.inputs = {"__provider": reg.inputs["__provider"]}
    reg.id = amazon_id
    emulator.clear_log()
    state = engine.read(reg)
    assert emulator.calls() == [GET, LIST_TAGS]
    assert state.outputs["amazonId"] == amazon_id
    assert state.outputs["tags"] == {"a": "b"}
    engine.destroy()
    iotwireless.get_partner_account(PartnerAccountId=amazon_id, PartnerType="Sidewalk")


def test_get_of_a_missing_association_fails(engine: Engine, emulator: Any) -> None:
    """Resource.get of an AmazonId AWS does not know fails: Read answers an empty id after one Get."""
    reg = partner_account("missing")
    reg.id = "amzn1.account.MISSING"
    with pytest.raises(EngineError) as exc:
        engine.read(reg)
    # The harness's own message for a Read that answered an empty id; a provider error reads otherwise.
    assert (exc.value.op, exc.value.message) == ("read", "resource 'amzn1.account.MISSING' does not exist")
    assert engine.errors == []
    assert emulator.calls() == [GET]
    assert engine.resources == {}


def test_create_error_names_operation_account_and_code(engine: Engine, emulator: Any) -> None:
    """A failure is one sentence: the operation, the AmazonId, the AWS code, what to do; no key."""
    emulator.faults.fail_next(10, code="InternalServerException")
    reg = partner_account()
    with pytest.raises(EngineError) as exc:
        engine.up([reg], skip_preview=True)
    message = exc.value.message
    assert (
        "AssociateAwsAccountWithPartnerAccount failed for Sidewalk account 'amzn1.account.sidewalk'"
        in message
    )
    assert "InternalServerException" in message
    assert "run the command again later" in message
    assert "ClientError" not in message
    sweep(engine)
