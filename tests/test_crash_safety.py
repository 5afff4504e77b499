"""A provider that dies, or an answer that is lost, after AWS has acted: the next run still converges."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.convergence import assert_converged, associated
from tests.emulator import Emulator
from tests.engine.engine import Engine, EngineError
from tests.engine.provider import ProviderProcess
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
from tests.support import KEY, OTHER_KEY, PASSPHRASE, emulator_env, partner_account

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

CONFIG = {"aws:region": "us-east-1"}
TAGS = {"team": "iot", "env": "dev"}
NEW_TAGS = {"team": "radio", "owner": "ops"}
# Long enough that only the kill ends the wait; the test wakes the request afterwards.
HOLD_SECONDS = 120


class Crash:
    """Kill the provider while AWS holds the answer to a call it has applied, then restart it."""

    def __init__(
        self, engine: Engine, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, checkpoint: Path
    ) -> None:
        self.engine = engine
        self.emulator = emulator
        self.monkeypatch = monkeypatch
        self.checkpoint = checkpoint
        self.processes: list[ProviderProcess] = []

    def during(self, operation: str, step: Callable[[], object], after: int = 0) -> EngineError:
        """Run a step, kill the provider once AWS has applied the operation's call, and save.

        `after` calls of the operation are answered first; the next one is applied and held.
        """
        applied = self._hold(operation, after)
        outcome: list[BaseException] = []

        def run() -> None:
            try:
                step()
            except BaseException as err:  # the step must fail; the test asserts how
                outcome.append(err)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert applied.wait(30), "the operation never reached the emulator"
        self.engine.provider.kill()
        thread.join(30)
        self.emulator.faults.wake()
        assert not thread.is_alive()
        self.engine.save(self.checkpoint, PASSPHRASE)
        [error] = outcome
        assert isinstance(error, EngineError)
        return error

    def next_engine(self) -> Engine:
        """Start a new provider process and an engine on the saved checkpoint."""
        process = ProviderProcess(emulator_env(self.emulator.url)).start()
        self.processes.append(process)
        return Engine(process, CONFIG, Engine.load(self.checkpoint, PASSPHRASE))

    def _hold(self, operation: str, after: int) -> threading.Event:
        """Arm the emulator; the event is set once the held call has been applied."""
        applied = threading.Event()
        seen = [0]
        after_commit = self.emulator.faults.after_commit

        def spy(name: str) -> tuple[bool, Any]:
            if name == operation:
                seen[0] += 1
                if seen[0] == after + 1:
                    applied.set()
            return after_commit(name)

        self.monkeypatch.setattr(self.emulator.faults, "after_commit", spy)
        if after:
            self.emulator.faults.hang_after_commit(operation, 0, after)
        self.emulator.faults.hang_after_commit(operation, HOLD_SECONDS)
        return applied


@pytest.fixture
def crash(
    engine: Engine, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Crash]:
    """A crash helper on this test's engine, its checkpoint in a temporary folder."""
    helper = Crash(engine, emulator, monkeypatch, tmp_path / "state.json")
    yield helper
    for process in helper.processes:
        process.stop()


def test_crash_after_associate_applied_converges_on_next_up(
    engine: Engine,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    crash: Crash,
) -> None:
    """The provider dies after Associate went through: the next up converges on that one association."""
    reg = partner_account(tags=TAGS)
    error = crash.during(ASSOCIATE, lambda: engine.up([reg], skip_preview=True))
    assert error.op == "create"
    assert associated(iotwireless) == [reg.inputs["amazonId"]]
    assert engine.resources == {}
    engine = crash.next_engine()
    emulator.clear_log()
    assert [s.op for s in engine.up([reg])] == ["create"]
    # A new create writes a new owner tag, so AWS refuses the token; the owner tag names this resource.
    assert emulator.calls() == TAKE_OVER_CALLS
    assert_converged(engine, reg, iotwireless, KEY, TAGS)


def test_crash_after_associate_answered_converges_on_next_up(
    engine: Engine,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    crash: Crash,
) -> None:
    """The provider dies while reading back a fresh association: the next up converges on it."""
    reg = partner_account(tags=TAGS)
    error = crash.during(GET, lambda: engine.up([reg], skip_preview=True))
    assert error.op == "create"
    engine = crash.next_engine()
    engine.up([reg])
    assert_converged(engine, reg, iotwireless, KEY, TAGS)


def test_crash_after_key_update_applied_converges_on_next_up(
    engine: Engine,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    crash: Crash,
) -> None:
    """The provider dies after UpdatePartnerAccount went through: the next up records the new key."""
    engine.up([partner_account(tags=TAGS)], skip_preview=True)
    reg = partner_account(tags=TAGS, appServerPrivateKey=OTHER_KEY)
    error = crash.during(UPDATE, lambda: engine.up([reg], skip_preview=True))
    assert error.op == "update"
    engine = crash.next_engine()
    assert [s.op for s in engine.up([reg])] == ["update"]
    assert_converged(engine, reg, iotwireless, OTHER_KEY, TAGS)
    assert [s.op for s in engine.up([reg])] == ["same"]


@pytest.mark.parametrize("operation", [TAG, UNTAG])
def test_crash_after_tag_change_applied_converges_on_next_up(
    engine: Engine,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    crash: Crash,
    operation: str,
) -> None:
    """The provider dies after one of the tag calls went through: the next up makes the tags exact."""
    engine.up([partner_account(tags=TAGS)], skip_preview=True)
    reg = partner_account(tags=NEW_TAGS)
    error = crash.during(operation, lambda: engine.up([reg], skip_preview=True))
    assert error.op == "update"
    engine = crash.next_engine()
    assert [s.op for s in engine.up([reg])] == ["update"]
    assert_converged(engine, reg, iotwireless, KEY, NEW_TAGS)


def test_crash_after_disassociate_applied_converges_on_next_destroy(
    engine: Engine,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    crash: Crash,
) -> None:
    """The provider dies after Disassociate went through: the next destroy completes without error."""
    reg = partner_account(tags=TAGS)
    engine.up([reg], skip_preview=True)
    error = crash.during(DISASSOCIATE, engine.destroy)
    assert error.op == "delete"
    assert list(engine.resources) == [reg.urn]
    engine = crash.next_engine()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert engine.resources == {}
    assert associated(iotwireless) == []


def test_crash_after_replay_fallback_associate_converges_on_next_up(
    engine: Engine,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    crash: Crash,
) -> None:
    """Where AWS replays a reused token, a crash after the fresh-token Associate still converges."""
    emulator.backend.update_settings(token_reuse_after_delete="replay")
    reg = partner_account(tags=TAGS)
    engine.up([reg], skip_preview=True)
    engine.destroy()
    # The first Associate after the destroy is refused (its token went with other tags) and commits
    # nothing; the second, under a fresh token, is held.
    error = crash.during(ASSOCIATE, lambda: engine.up([reg], skip_preview=True))
    assert error.op == "create"
    engine = crash.next_engine()
    engine.up([reg])
    assert_converged(engine, reg, iotwireless, KEY, TAGS)


@pytest.mark.parametrize(
    ("operation", "step", "calls"),
    [
        pytest.param(ASSOCIATE, "create", [ASSOCIATE, *CREATE_CALLS], id="associate"),
        pytest.param(GET, "create", [ASSOCIATE, GET, GET, LIST_TAGS], id="get"),
        pytest.param(UPDATE, "update", [UPDATE, UPDATE, GET, TAG, UNTAG], id="update"),
        pytest.param(TAG, "update", [UPDATE, GET, TAG, TAG, UNTAG], id="tag"),
        pytest.param(UNTAG, "update", [UPDATE, GET, TAG, UNTAG, UNTAG], id="untag"),
        pytest.param(DISASSOCIATE, "destroy", [*DELETE_CALLS, DISASSOCIATE], id="disassociate"),
    ],
)
def test_answer_lost_after_apply_is_retried_to_the_same_end(
    engine: Engine,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    operation: str,
    step: str,
    calls: list[str],
) -> None:
    """An answer lost after AWS acted (a 500 after commit) is retried by boto3 and ends correct."""
    emulator.faults.fail_after_commit(operation)
    made: dict[str, list[str]] = {}
    reg = partner_account(tags=TAGS)
    engine.up([reg], skip_preview=True)
    made["create"] = emulator.calls()
    assert_converged(engine, reg, iotwireless, KEY, TAGS)
    emulator.clear_log()
    rotated = partner_account(tags=NEW_TAGS, appServerPrivateKey=OTHER_KEY)
    engine.up([rotated], skip_preview=True)
    made["update"] = emulator.calls()
    assert_converged(engine, rotated, iotwireless, OTHER_KEY, NEW_TAGS)
    emulator.clear_log()
    engine.destroy()
    made["destroy"] = emulator.calls()
    assert associated(iotwireless) == []
    assert engine.resources == {}
    assert made[step] == calls


@pytest.mark.parametrize("token_reuse", ["replay", "associate"])
def test_destroy_then_up_associates_again(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient, token_reuse: str
) -> None:
    """After a destroy, the same inputs truly associate again, whatever AWS does with a reused token.

    The new create's owner tag makes its request differ from the first one's under the same token, so
    AWS refuses the token either way; nothing is associated, so it associates under a token of its own.
    """
    emulator.backend.update_settings(token_reuse_after_delete=token_reuse)
    reg = partner_account(tags=TAGS)
    engine.up([reg], skip_preview=True)
    engine.destroy()
    assert associated(iotwireless) == []
    emulator.clear_log()
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["create"]
    assert emulator.calls() == [ASSOCIATE, GET, ASSOCIATE, GET]
    assert_converged(engine, reg, iotwireless, KEY, TAGS)
