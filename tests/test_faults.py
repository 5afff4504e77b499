"""Throttling and server errors: each lifecycle step ends correct within boto3's bounded retries."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from providers._aws import MAX_ATTEMPTS
from tests.convergence import assert_converged, associated, attempts
from tests.emulator import Emulator
from tests.engine.engine import Engine, EngineError
from tests.operations import (
    ASSOCIATE,
    CREATE_CALLS,
    DELETE_CALLS,
    GET,
    LIST_TAGS,
    TAG,
    TAKE_OVER_CALLS,
    UNTAG,
    UPDATE,
)
from tests.support import KEY, OTHER_KEY, live_tags, partner_account

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

THROTTLING = "ThrottlingException"
INTERNAL = "InternalServerException"
TAGS = {"team": "iot", "env": "dev"}
NEW_TAGS = {"team": "radio", "owner": "ops"}  # one changed, one added, one removed
# Burst lengths up to MAX_ATTEMPTS - 1, the longest a call can absorb. Throttling backs off from
# 1 s and server errors from 50 ms, so the long throttling bursts are the slow cases.
BURSTS = [
    pytest.param(INTERNAL, 1, id="500x1"),
    pytest.param(INTERNAL, 2, id="500x2"),
    pytest.param(INTERNAL, MAX_ATTEMPTS - 1, id=f"500x{MAX_ATTEMPTS - 1}"),
    pytest.param(THROTTLING, 1, id="429x1"),
    pytest.param(THROTTLING, 2, id="429x2"),
]
# botocore's standard backoff before attempt i+1 is at most base * 2**i: 1 s for throttling, 50 ms
# otherwise, so a call that never succeeds waits at most 15 s, resp. 0.75 s, plus its requests.
NEVER_CLEARS = [
    pytest.param(THROTTLING, 15 + 5, id="429"),
    pytest.param(INTERNAL, 0.75 + 5, id="500"),
]


def burst_then(calls: list[str], n: int) -> list[str]:
    """Return the log of calls whose first call was faulted n times before it was answered."""
    return [calls[0]] * n + calls


def assert_bounded(emulator: Emulator, faults: int) -> None:
    """Check that the log holds exactly `faults` faults and no call over the budget."""
    log = emulator.log
    assert sum(entry["faulted"] for entry in log) == faults
    assert all(count <= MAX_ATTEMPTS for _, count, _ in attempts(log))


@pytest.mark.parametrize(("code", "n"), BURSTS)
def test_create_absorbs_a_burst(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient, code: str, n: int
) -> None:
    """A burst on Associate is retried with the same token: one association, as configured."""
    reg = partner_account(tags=TAGS)
    emulator.faults.fail_next(n, code)
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == burst_then(CREATE_CALLS, n)
    assert_bounded(emulator, n)
    tokens = {e["body"]["ClientRequestToken"] for e in emulator.log if e["operation"] == ASSOCIATE}
    assert len(tokens) == 1
    assert_converged(engine, reg, iotwireless, KEY, TAGS)


@pytest.mark.parametrize(("code", "n"), BURSTS)
def test_key_update_absorbs_a_burst(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient, code: str, n: int
) -> None:
    """A burst on UpdatePartnerAccount is retried: the new key is set and its fingerprint recorded."""
    engine.up([partner_account(tags=TAGS)], skip_preview=True)
    emulator.clear_log()
    emulator.faults.fail_next(n, code)
    reg = partner_account(tags=TAGS, appServerPrivateKey=OTHER_KEY)
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == burst_then([UPDATE, GET], n)
    assert_bounded(emulator, n)
    assert_converged(engine, reg, iotwireless, OTHER_KEY, TAGS)


@pytest.mark.parametrize(("code", "n"), BURSTS)
def test_tag_update_absorbs_a_burst(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient, code: str, n: int
) -> None:
    """A burst on TagResource is retried: the live tags are exactly the new ones."""
    engine.up([partner_account(tags=TAGS)], skip_preview=True)
    emulator.clear_log()
    emulator.faults.fail_next(n, code)
    reg = partner_account(tags=NEW_TAGS)
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == burst_then([TAG, UNTAG], n)
    assert_bounded(emulator, n)
    assert_converged(engine, reg, iotwireless, KEY, NEW_TAGS)


@pytest.mark.parametrize(("code", "n"), BURSTS)
def test_refresh_absorbs_a_burst(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient, code: str, n: int
) -> None:
    """A burst on GetPartnerAccount during refresh is retried: the tags changed outside are read."""
    reg = partner_account(tags=TAGS)
    engine.up([reg], skip_preview=True)
    arn = engine.resources[reg.urn].outputs["arn"]
    iotwireless.tag_resource(ResourceArn=arn, Tags=[{"Key": "outside", "Value": "x"}])
    emulator.clear_log()
    emulator.faults.fail_next(n, code)
    steps = engine.refresh()
    assert [(s.op, s.diffs) for s in steps] == [("refresh", ["tags"])]
    assert emulator.calls() == burst_then([GET, LIST_TAGS], n)
    assert_bounded(emulator, n)
    assert engine.resources[reg.urn].outputs["tags"] == {**TAGS, "outside": "x"}


@pytest.mark.parametrize(("code", "n"), BURSTS)
def test_destroy_absorbs_a_burst(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient, code: str, n: int
) -> None:
    """A burst on the delete's first call is retried: the association is gone and so is the resource."""
    engine.up([partner_account(tags=TAGS)], skip_preview=True)
    emulator.clear_log()
    emulator.faults.fail_next(n, code)
    engine.destroy()
    assert emulator.calls() == burst_then(DELETE_CALLS, n)
    assert_bounded(emulator, n)
    assert associated(iotwireless) == []
    assert engine.resources == {}


@pytest.mark.parametrize(
    ("code", "fraction", "seed"),
    [
        pytest.param(THROTTLING, 0.3, 7, id="429-30%"),
        pytest.param(INTERNAL, 0.5, 11, id="500-50%"),
    ],
)
def test_lifecycle_absorbs_a_seeded_fraction_of_faults(
    engine: Engine,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    code: str,
    fraction: float,
    seed: int,
) -> None:
    """With a seeded share of requests failing, create, update, refresh and destroy all end correct."""
    emulator.faults.fail_fraction(fraction, seed, code)
    reg = partner_account(tags=TAGS)
    engine.up([reg], skip_preview=True)
    rotated = partner_account(tags=NEW_TAGS, appServerPrivateKey=OTHER_KEY)
    engine.up([rotated], skip_preview=True)
    assert [s.op for s in engine.refresh()] == ["refresh"]
    emulator.faults.clear()
    assert_converged(engine, rotated, iotwireless, OTHER_KEY, NEW_TAGS)
    emulator.faults.fail_fraction(fraction, seed + 1, code)
    engine.destroy()
    faults = sum(entry["faulted"] for entry in emulator.log)
    print(f"faults injected and absorbed: {faults}")  # a figure for the reliability report (-rP)
    assert faults >= 3
    assert all(ok and count <= MAX_ATTEMPTS for _, count, ok in attempts(emulator.log))
    emulator.faults.clear()
    assert associated(iotwireless) == []


@pytest.mark.parametrize(("code", "bound"), NEVER_CLEARS)
@pytest.mark.serial
def test_fault_that_never_clears_fails_create_in_bounded_time(
    engine: Engine,
    emulator: Emulator,
    code: str,
    bound: float,
) -> None:
    """A fault that never clears ends the create after MAX_ATTEMPTS attempts with one clear sentence."""
    emulator.faults.fail_fraction(1.0, code=code)
    started = time.monotonic()
    with pytest.raises(EngineError) as exc:
        engine.up([partner_account(tags=TAGS)], skip_preview=True)
    elapsed = time.monotonic() - started
    print(f"seconds to fail: {elapsed:.2f}")  # a figure for the reliability report (-rP)
    assert elapsed < bound
    assert exc.value.op == "create"
    assert emulator.calls() == [ASSOCIATE] * MAX_ATTEMPTS
    last_line = exc.value.message.strip().splitlines()[-1]
    assert last_line.startswith("providers._aws.PartnerAccountError: AssociateAwsAccountWithPartnerAccount")
    assert code in last_line
    assert f"after {MAX_ATTEMPTS} attempts" in last_line
    assert "ClientError" not in exc.value.message


def test_next_up_after_a_create_that_never_got_through_converges(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """After a create failed on a fault that never cleared, the next up associates exactly once."""
    reg = partner_account(tags=TAGS)
    emulator.faults.fail_fraction(1.0, code=INTERNAL)
    with pytest.raises(EngineError):
        engine.up([reg], skip_preview=True)
    assert engine.resources == {}
    emulator.faults.clear()
    emulator.clear_log()
    engine.up([reg], skip_preview=True)
    assert emulator.calls() == CREATE_CALLS
    assert_converged(engine, reg, iotwireless, KEY, TAGS)


def test_next_up_after_get_never_answered_following_associate_converges(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """Associate went through but every Get failed: the next up finds its own association, takes it over."""
    reg = partner_account(tags=TAGS)
    emulator.faults.fail_after_commit(GET, MAX_ATTEMPTS)
    with pytest.raises(EngineError) as exc:
        engine.up([reg], skip_preview=True)
    assert exc.value.op == "create"
    assert emulator.calls() == [ASSOCIATE] + [GET] * MAX_ATTEMPTS
    assert engine.resources == {}
    emulator.clear_log()
    engine.up([reg], skip_preview=True)
    # Its owner tag names this resource: the new create (a new owner tag, so a new request) takes it over.
    assert emulator.calls() == TAKE_OVER_CALLS
    assert_converged(engine, reg, iotwireless, KEY, TAGS)


def test_next_up_after_key_update_never_got_through_converges(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A key update that kept failing leaves the old key recorded; the next up sets the new one."""
    engine.up([partner_account(tags=TAGS)], skip_preview=True)
    reg = partner_account(tags=TAGS, appServerPrivateKey=OTHER_KEY)
    emulator.faults.fail_fraction(1.0, code=INTERNAL)
    with pytest.raises(EngineError) as exc:
        engine.up([reg], skip_preview=True)
    assert exc.value.op == "update"
    assert_converged_after_clearing(engine, emulator, lambda: engine.up([reg], skip_preview=True))
    assert_converged(engine, reg, iotwireless, OTHER_KEY, TAGS)


def test_tag_update_meeting_another_change_says_so_and_the_next_up_converges(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A TagResource conflict is another change under way: its sentence says to run again, not adopt."""
    engine.up([partner_account(tags=TAGS)], skip_preview=True)
    emulator.clear_log()
    reg = partner_account(tags=NEW_TAGS)
    emulator.faults.fail_next(1, "ConflictException")
    with pytest.raises(EngineError) as exc:
        engine.up([reg], skip_preview=True)
    assert exc.value.op == "update"
    assert emulator.calls() == [TAG]
    last_line = exc.value.message.strip().splitlines()[-1]
    assert last_line.startswith("providers._aws.PartnerAccountError: TagResource failed for Sidewalk account")
    assert last_line.endswith(
        "AWS reports another change to this resource in progress: run the command again once it is done."
    )
    assert "adoptExisting" not in last_line
    engine.up([reg], skip_preview=True)
    assert_converged(engine, reg, iotwireless, KEY, NEW_TAGS)


def test_next_up_after_tag_update_half_done_converges(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """TagResource went through but UntagResource kept failing: the next up removes the old tag."""
    engine.up([partner_account(tags=TAGS)], skip_preview=True)
    reg = partner_account(tags=NEW_TAGS)
    emulator.faults.fail_after_commit(UNTAG, MAX_ATTEMPTS)
    with pytest.raises(EngineError) as exc:
        engine.up([reg], skip_preview=True)
    assert exc.value.op == "update"
    assert_converged_after_clearing(engine, emulator, lambda: engine.up([reg], skip_preview=True))
    assert_converged(engine, reg, iotwireless, KEY, NEW_TAGS)


def test_next_refresh_after_refresh_never_got_through_reads_the_tags(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A refresh that kept failing leaves the checkpoint as it was; the next refresh reads AWS."""
    reg = partner_account(tags=TAGS)
    engine.up([reg], skip_preview=True)
    before = dict(engine.resources[reg.urn].outputs)
    iotwireless.tag_resource(ResourceArn=before["arn"], Tags=[{"Key": "outside", "Value": "x"}])
    emulator.faults.fail_fraction(1.0, code=INTERNAL)
    with pytest.raises(EngineError) as exc:
        engine.refresh()
    assert exc.value.op == "refresh"
    assert engine.resources[reg.urn].outputs == before
    assert_converged_after_clearing(engine, emulator, engine.refresh)
    assert engine.resources[reg.urn].outputs["tags"] == live_tags(iotwireless, before["arn"])


def test_next_destroy_after_destroy_never_got_through_disassociates(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A destroy that kept failing keeps the resource in the checkpoint; the next destroy removes it."""
    reg = partner_account(tags=TAGS)
    engine.up([reg], skip_preview=True)
    emulator.faults.fail_fraction(1.0, code=INTERNAL)
    with pytest.raises(EngineError) as exc:
        engine.destroy()
    assert exc.value.op == "delete"
    assert list(engine.resources) == [reg.urn]
    assert [a["AmazonId"] for a in emulator.backend.associations()] == [reg.inputs["amazonId"]]
    assert_converged_after_clearing(engine, emulator, engine.destroy)
    assert associated(iotwireless) == []
    assert engine.resources == {}


def assert_converged_after_clearing(engine: Engine, emulator: Emulator, step: Callable[[], object]) -> None:
    """Clear the faults and run the step again, which must succeed."""
    faulted = [entry["operation"] for entry in emulator.log if entry["faulted"]]
    assert faulted, "the fault was never injected"
    assert all(count <= MAX_ATTEMPTS for _, count, _ in attempts(emulator.log))
    emulator.faults.clear()
    emulator.clear_log()
    step()
    assert not any(entry["faulted"] for entry in emulator.log)


def test_fault_while_adopting_is_told_alone(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A fault while adopting an existing association is told alone, not after the conflict before it."""
    reg = partner_account(tags=TAGS, adoptExisting=True)
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": reg.inputs["amazonId"], "AppServerPrivateKey": OTHER_KEY}
    )
    emulator.faults.fail_after_commit(UPDATE, MAX_ATTEMPTS)
    with pytest.raises(EngineError) as exc:
        engine.up([reg], skip_preview=True)
    message = exc.value.message
    last_line = message.strip().splitlines()[-1]
    assert last_line.startswith("providers._aws.PartnerAccountError: UpdatePartnerAccount")
    assert "During handling of the above exception" not in message
    assert "ConflictException" not in message
    assert_converged_after_clearing(engine, emulator, lambda: engine.up([reg], skip_preview=True))
    assert_converged(engine, reg, iotwireless, KEY, TAGS)
