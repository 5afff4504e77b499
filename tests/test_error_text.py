"""Errors as a user reads them: a PartnerAccountError is its sentence alone, a bug keeps its traceback.

Also what the suite itself tells: one line on a machine that cannot run it, and serial tests run alone.
"""

from __future__ import annotations

import sys
import threading
import traceback
import types
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pulumi.dynamic import CreateResult
from pulumi.dynamic.dynamic import serialize_provider

from providers import _errors
from providers._aws import PartnerAccountError
from providers.partner_account import PartnerAccountProvider
from tests.cli.project import PulumiProject
from tests.engine.engine import Engine, EngineError
from tests.operations import ASSOCIATE
from tests.support import OTHER_KEY, STACK_AMAZON_ID, Turns, linux_gaps, partner_account

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

ERROR_PREFIX = "providers._aws.PartnerAccountError: "
# How the sentence of a conflicting create begins; the rest is the remedy, told in tests/cli/test_adoption.py.
CONFLICT = f"{ASSOCIATE} failed for Sidewalk account '{{amazon_id}}' in us-east-1 (ConflictException: "
LINUX_NAMES = ("setsid", "openpty", "getpid")
TURN_WAIT_SECONDS = 10.0
REFUSAL_SECONDS = 0.3


class BuggyProvider(PartnerAccountProvider):
    """A PartnerAccount provider whose create has a bug, as a crash of our own code would show."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Fail as a bug does: with an exception that is no PartnerAccountError."""
        return CreateResult(str(props["no such property"]), {})


def associate_outside_pulumi(iotwireless: IoTWirelessClient, amazon_id: str) -> None:
    """Associate a Sidewalk account as someone else did, so that Pulumi's Associate conflicts."""
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": amazon_id, "AppServerPrivateKey": OTHER_KEY}
    )


# The check that the machine can run the tests at all.


def test_linux_with_proc_setsid_and_ptys_can_run_the_tests() -> None:
    """Linux with /proc, setsid and openpty passes the machine check."""
    assert linux_gaps("linux", has_proc=True, os_names=LINUX_NAMES) is None


@pytest.mark.parametrize(
    ("platform", "has_proc", "os_names", "missing"),
    [
        pytest.param("darwin", False, LINUX_NAMES, "missing /proc:", id="macos"),
        pytest.param("win32", False, ("getpid",), "missing /proc, os.setsid, os.openpty:", id="windows"),
        pytest.param("linux", False, LINUX_NAMES, "missing /proc:", id="linux-without-proc"),
        pytest.param("freebsd14", True, LINUX_NAMES, "missing Linux itself:", id="bsd-with-procfs"),
    ],
)
def test_a_machine_without_linux_is_told_in_one_line_what_is_missing(
    platform: str, has_proc: bool, os_names: tuple[str, ...], missing: str
) -> None:
    """Elsewhere the check gives one line naming the platform and exactly what is missing."""
    line = linux_gaps(platform, has_proc=has_proc, os_names=os_names)
    assert line is not None
    assert "\n" not in line
    assert line.startswith("the tests need Linux (/proc, os.setsid, a pseudo-terminal); ")
    assert f"this is {platform}, {missing} run them on Linux" in line


# Serial tests under xdist: the lock by which they run alone.


def hold_in_thread(turns: Turns, alone: bool, release: threading.Event) -> threading.Event:
    """Hold the turns in a thread of their own until release is set; return an event set once held."""
    held = threading.Event()

    def hold() -> None:
        with turns.hold(alone):
            held.set()
            release.wait(TURN_WAIT_SECONDS)

    threading.Thread(target=hold, daemon=True).start()
    return held


def test_a_serial_test_waits_for_running_tests_and_later_ones_wait_for_it(tmp_path: Path) -> None:
    """Shared holders run together; a serial one waits for them all, and one asked later waits for it."""
    turns = Turns(tmp_path)
    releases = {name: threading.Event() for name in ("first", "second", "serial", "later")}
    first = hold_in_thread(turns, False, releases["first"])
    second = hold_in_thread(turns, False, releases["second"])
    assert first.wait(TURN_WAIT_SECONDS) and second.wait(TURN_WAIT_SECONDS)
    serial = hold_in_thread(turns, True, releases["serial"])
    # flock(2) grants a free lock at once, so a short wait is enough to see a refusal.
    assert not serial.wait(REFUSAL_SECONDS)
    later = hold_in_thread(turns, False, releases["later"])
    assert not later.wait(REFUSAL_SECONDS), "a test started while a serial one waited"
    releases["first"].set()
    assert not serial.wait(REFUSAL_SECONDS), "the serial test started beside a running one"
    releases["second"].set()
    assert serial.wait(TURN_WAIT_SECONDS)
    assert not later.wait(REFUSAL_SECONDS), "a test started beside the serial one"
    releases["serial"].set()
    assert later.wait(TURN_WAIT_SECONDS)
    releases["later"].set()


# Where the sentence-only errors apply: the provider server, never the program.


def server_main() -> types.ModuleType:
    """Return a stand-in for the __main__ of `python -m pulumi.dynamic`, holding `traceback` as it does."""
    main = types.ModuleType("__main__")
    main.__spec__ = ModuleSpec(_errors.SERVER_MODULE, None)
    main.traceback = traceback  # type: ignore[attr-defined]
    return main


def test_the_provider_server_gets_the_sentence_aware_traceback_once() -> None:
    """In the server's __main__, `traceback` becomes the stand-in; a second install keeps it."""
    main = server_main()
    assert _errors.install(main)
    stand_in = main.traceback
    assert isinstance(stand_in, _errors.SentenceTraceback)
    assert _errors.install(main)
    assert main.traceback is stand_in
    # Everything but format_exc is the real module's.
    assert stand_in.format_exception is traceback.format_exception


@pytest.mark.parametrize(
    "spec_name",
    [
        pytest.param(None, id="a-script"),
        pytest.param("pulumi.dynamic", id="the-package"),
        pytest.param("pytest.__main__", id="pytest"),
    ],
)
def test_any_other_process_is_left_alone(spec_name: str | None) -> None:
    """A program, a script or pytest keeps its `traceback` module untouched."""
    main = server_main()
    main.__spec__ = None if spec_name is None else ModuleSpec(spec_name, None)
    assert not _errors.install(main)
    assert main.traceback is traceback


def test_this_process_is_not_the_provider_server() -> None:
    """Importing the providers here (as a program does) changed nothing of __main__."""
    assert not _errors.is_provider_server(sys.modules["__main__"])
    assert getattr(sys.modules["__main__"], "traceback", traceback) is traceback


def test_the_stand_in_formats_a_sentence_error_as_its_last_line_and_a_bug_in_full() -> None:
    """format_exc gives `PartnerAccountError: <sentence>` alone, any other exception's full traceback."""
    stand_in = _errors.SentenceTraceback()
    try:
        raise PartnerAccountError("Something failed: do this.")
    except PartnerAccountError:
        assert stand_in.format_exc() == f"{ERROR_PREFIX}Something failed: do this.\n"
    try:
        int("a bug")
    except ValueError:
        formatted = stand_in.format_exc()
        assert formatted == traceback.format_exc()
        assert formatted.startswith("Traceback (most recent call last):\n")


# Through the real provider server (the engine harness) and the real CLI.


def test_provider_error_through_the_server_is_the_sentence_alone(
    engine: Engine, iotwireless: IoTWirelessClient
) -> None:
    """A conflict on create reaches the engine as `PartnerAccountError: <sentence>`, without frames."""
    account = partner_account()
    associate_outside_pulumi(iotwireless, account.inputs["amazonId"])
    with pytest.raises(EngineError) as exc:
        engine.up([account], skip_preview=True)
    [line] = exc.value.message.splitlines()
    assert line.startswith(ERROR_PREFIX + CONFLICT.format(amazon_id=account.inputs["amazonId"]))
    assert "Traceback" not in exc.value.message


def test_a_bug_in_the_same_server_keeps_its_traceback(engine: Engine, iotwireless: IoTWirelessClient) -> None:
    """After a sentence error, a bug in the same provider process still shows its whole traceback."""
    account = partner_account()
    associate_outside_pulumi(iotwireless, account.inputs["amazonId"])
    with pytest.raises(EngineError) as sentence:
        engine.up([account], skip_preview=True)
    assert "Traceback" not in sentence.value.message
    buggy = partner_account("buggy", provider_blob=serialize_provider(BuggyProvider()))
    with pytest.raises(EngineError) as bug:
        engine.up([buggy], skip_preview=True)
    message = bug.value.message
    assert message.startswith("Traceback (most recent call last):\n")
    assert 'tests/test_error_text.py", line' in message
    assert "in create" in message
    assert message.rstrip().endswith("KeyError: 'no such property'")


def test_up_that_conflicts_prints_the_sentence_without_a_traceback(
    project: PulumiProject, iotwireless: IoTWirelessClient
) -> None:
    """`pulumi up` onto an association made outside Pulumi prints the sentence, and no Python frames."""
    associate_outside_pulumi(iotwireless, STACK_AMAZON_ID)
    run = project.run("up", "--yes", check=False)
    assert run.returncode != 0
    # The CLI shows the error as it happens, on the failed step and under Diagnostics: one line each.
    sentences = {line.split("error: ", 1)[1] for line in run.output.splitlines() if ERROR_PREFIX in line}
    [sentence] = sentences
    assert sentence.startswith(ERROR_PREFIX + CONFLICT.format(amazon_id=STACK_AMAZON_ID))
    assert sentence.endswith("or disassociate it first.")
    assert "Traceback" not in run.output
    assert 'File "' not in run.output
