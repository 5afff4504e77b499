"""One owner per association through the harness: who holds it is read from AWS, never remembered.

The engine starts a provider process per pass, and so does the harness: each case below crosses
passes (a replacement stopped half-way, then another command), where process memory cannot help.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.emulator import Emulator
from tests.engine.engine import Engine, EngineError
from tests.operations import CREATE_CALLS, DELETE_CALLS, DISASSOCIATE, GET, LIST_TAGS, TAKE_OVER_CALLS
from tests.support import KEY, OTHER_KEY, destination, live_owner, live_tags, partner_account

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

AMAZON_ID = "amzn1.account.sidewalk"


def later_failure() -> Any:
    """Return a Destination whose create fails: it is in a region the emulator refuses."""
    return destination("later", region="us-west-2")


def holder_marker(engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """Assert one association, held by the one resource recorded, by its owner tag."""
    [association] = emulator.backend.associations()
    accounts = [s for s in engine.resources.values() if s.outputs.get("partnerAccountId")]
    [state] = accounts
    assert not state.pending_delete
    assert live_owner(iotwireless, association["Arn"]) == state.outputs["ownerMarker"]


def test_pending_delete_of_a_stopped_replacement_leaves_the_association(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A targeted replace stopped by a later failure; the next up's delete, in a new process, keeps it."""
    reg = partner_account()
    engine.up([reg], skip_preview=True)
    engine.replace_targets = {reg.urn}
    with pytest.raises(EngineError):
        engine.up([reg, later_failure()], skip_preview=True)
    assert sorted(s.pending_delete for s in engine.resources.values()) == [False, True]
    engine.replace_targets = set()
    emulator.clear_log()
    steps = engine.up([reg], skip_preview=True)
    assert [s.op for s in steps] == ["same", "delete"]
    assert emulator.calls() == [LIST_TAGS]
    holder_marker(engine, emulator, iotwireless)
    engine.destroy()
    assert emulator.backend.associations() == []


def test_refresh_drops_the_pending_delete_of_a_stopped_replacement(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """Refresh finds the condemned resource no longer holds the association: it leaves the state."""
    reg = partner_account()
    engine.up([reg], skip_preview=True)
    engine.replace_targets = {reg.urn}
    with pytest.raises(EngineError):
        engine.up([reg, later_failure()], skip_preview=True)
    engine.replace_targets = set()
    engine.refresh()
    assert [s.pending_delete for s in engine.resources.values()] == [False]
    holder_marker(engine, emulator, iotwireless)


def test_targeted_replace_after_a_key_rotation_takes_the_association_over(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """After a rotation the token differs; the owner tag still tells the predecessor: one association."""
    engine.up([partner_account()], skip_preview=True)
    rotated = partner_account(appServerPrivateKey=OTHER_KEY)
    engine.up([rotated], skip_preview=True)
    engine.replace_targets = {rotated.urn}
    emulator.clear_log()
    assert [s.op for s in engine.up([rotated], skip_preview=True)] == ["replace", "delete"]
    assert emulator.calls() == [*TAKE_OVER_CALLS, LIST_TAGS]
    holder_marker(engine, emulator, iotwireless)


def test_another_stack_is_refused_then_adopts_and_the_first_cannot_remove_it(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient, provider: Any
) -> None:
    """A second stack's create is refused naming the holder; with adoptExisting it holds it for good."""
    engine.up([partner_account()], skip_preview=True)
    staging = Engine(provider, {"aws:region": "us-east-1"})
    other = partner_account(owner="sidewalk-partner-account/staging/sidewalk")
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        staging.up([other], skip_preview=True)
    assert "held by resource 'sidewalk' of stack 'dev'" in exc.value.message
    assert emulator.calls() == CREATE_CALLS
    adopting = partner_account(owner="sidewalk-partner-account/staging/sidewalk", adoptExisting=True)
    staging.up([adopting], skip_preview=True)
    emulator.clear_log()
    engine.destroy()
    assert emulator.calls() == [LIST_TAGS]
    holder_marker(staging, emulator, iotwireless)


@pytest.mark.parametrize("token_reuse", ["replay", "associate"])
def test_up_after_destroy_refuses_an_association_made_elsewhere(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient, token_reuse: str
) -> None:
    """The same token after a destroy meets another key's association: refused, that one untouched."""
    emulator.backend.update_settings(token_reuse_after_delete=token_reuse)
    reg = partner_account(tags={"team": "iot"})
    engine.up([reg], skip_preview=True)
    engine.destroy()
    arn = iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": OTHER_KEY},
        Tags=[{"Key": "made", "Value": "x"}],
    )["Arn"]
    before = iotwireless.get_partner_account(PartnerAccountId=AMAZON_ID, PartnerType="Sidewalk")
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        engine.up([reg], skip_preview=True)
    assert "held by no Pulumi stack" in exc.value.message
    assert DISASSOCIATE not in emulator.calls() and "UpdatePartnerAccount" not in emulator.calls()
    after = iotwireless.get_partner_account(PartnerAccountId=AMAZON_ID, PartnerType="Sidewalk")
    assert after["Sidewalk"]["Fingerprint"] == before["Sidewalk"]["Fingerprint"]
    assert live_tags(iotwireless, arn) == {"made": "x"}
    assert engine.resources == {}


def test_delete_leaves_an_association_whose_owner_tag_is_gone(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """Disassociated and associated anew outside Pulumi (no owner tag): destroy leaves that one alone."""
    reg = partner_account()
    engine.up([reg], skip_preview=True)
    iotwireless.disassociate_aws_account_from_partner_account(
        PartnerAccountId=AMAZON_ID, PartnerType="Sidewalk"
    )
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY}
    )
    emulator.clear_log()
    engine.destroy()
    assert emulator.calls() == [LIST_TAGS]
    assert len(emulator.backend.associations()) == 1
    assert engine.resources == {}


def test_destination_targeted_replace_keeps_the_destination(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A Destination replaced by name onto itself is taken over; the old delete leaves it in place."""
    reg = destination(tags={"team": "iot"})
    engine.up([reg], skip_preview=True)
    engine.replace_targets = {reg.urn}
    emulator.clear_log()
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["replace", "delete"]
    assert emulator.calls() == [
        "CreateDestination",
        "GetDestination",
        LIST_TAGS,
        "UpdateDestination",
        "TagResource",
        LIST_TAGS,
    ]
    live = iotwireless.get_destination(Name="uplinks")
    assert live_owner(iotwireless, live["Arn"]) == engine.resources[reg.urn].outputs["ownerMarker"]
    assert live_tags(iotwireless, live["Arn"]) == {"team": "iot"}
    engine.destroy()
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_destination(Name="uplinks")


def test_calls_of_each_operation(engine: Engine, emulator: Emulator) -> None:
    """Create, delete and a same-identity replace make the calls README's table gives, in order."""
    reg = partner_account()
    emulator.clear_log()
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == CREATE_CALLS == ["AssociateAwsAccountWithPartnerAccount", GET, LIST_TAGS]
    engine.replace_targets = {reg.urn}
    emulator.clear_log()
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == [*TAKE_OVER_CALLS, LIST_TAGS]
    engine.replace_targets = set()
    emulator.clear_log()
    engine.destroy()
    assert emulator.calls() == DELETE_CALLS
