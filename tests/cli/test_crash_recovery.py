"""Crashes as a user meets them: `pulumi up` killed or interrupted mid-Associate, and the way back.

Every test holds AWS's answer to AssociateAwsAccountWithPartnerAccount after AWS has associated, so the
crash comes at the worst moment: the association exists, the state does not know it yet. What the
pinned CLI (pulumi v3.274.1) does then, with the file backend, as the tests below show:

- `kill -9` of the CLI leaves its lock (`state/.pulumi/locks/<org>/<project>/<stack>/<uuid>.json`) and a
  pending CREATE in the state, and leaves its plugins running: they have process groups of their own.
  `python -m pulumi.dynamic` never exits by itself (it waits on nothing but a signal), and the
  language host only after its 5-minute engine health check. Every command is then refused until
  `pulumi cancel --yes` deletes the lock. `pulumi up` then warns of the operation "interrupted while
  creating" and creates again; the retried Associate carries the same ClientRequestToken, and AWS
  answers with the association it already made, so there is still exactly one. The pending CREATE
  stays in the state (and the warning on every `up`) until `pulumi refresh --clear-pending-creates`;
  a non-interactive `pulumi refresh` keeps it, and one at a terminal asks, after a confirmation that
  `--yes` does not skip, whether to clear, skip or import it. Import (`--import-pending-creates URN ID`
  or the prompt's answer) drops it exactly as clear does, reading and recording nothing: the engine
  never turns a pending import into a resource. Either way the next `up` creates it again, as above.
- A single Ctrl-C cancels: the CLI waits for the Associate in flight, records the association, then
  stops with "update canceled", leaving no lock and no pending operation. In the interactive display
  the terminal is in raw mode and the CLI reads the ^C key itself; with `--non-interactive` the
  terminal sends SIGINT to the foreground job, which is the CLI alone. Both are driven here through a
  real pseudo-terminal whose foreground job is the CLI, as a shell runs it; it answers the two queries
  the prompts send a terminal (background colour, cursor position), which they await before reading keys.
- A killed provider process fails the create with "error reading from server: EOF" and ends the
  update; the failed create leaves no pending operation and no lock, and `pulumi up` converges.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import struct
import subprocess
import termios
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from tests.cli.project import POLL_LIMIT_SECONDS, PulumiProject, wait_until
from tests.emulator import Emulator
from tests.operations import ASSOCIATE, GET, TAKE_OVER_CALLS
from tests.support import PARTNER_ACCOUNT_TYPE, STACK_AMAZON_ID

STACK = "dev"
URN = f"urn:pulumi:{STACK}::sidewalk-partner-account::{PARTNER_ACCOUNT_TYPE}::sidewalk"

# The CLI's own words, as the tests below find them in its output.
LOCK_REFUSED = (
    "the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
    "or delete the lock file with `pulumi cancel`."
)
CANCELLED = f"The currently running update for '{STACK}' has been canceled!"
PENDING_OPERATIONS = (
    "Attempting to deploy or update resources with 1 pending operations from previous deployment."
)
INTERRUPTED_CREATE = f"* {URN}, interrupted while creating"
PENDING_CREATE_ADVICE = (
    "Note that `pulumi refresh` will need to be run interactively to clear pending CREATE operations."
)
STATE_EDIT_CONFIRM = "warning: This command will edit your stack's state directly. Confirm? (y/N)"
PENDING_CREATE_PROMPT = f"? Options for pending CREATE of {URN}"
CLEAR_ANSWER = "clear (the CREATE failed; remove the pending CREATE)"
IMPORT_ANSWER = "import (the CREATE succeeded; provide a resource ID and complete the CREATE operation)"
# The prompt's options in the order it lists them, the first one selected.
PENDING_CREATE_ANSWERS = (CLEAR_ANSWER, "skip (do nothing)", IMPORT_ANSWER)
ID_PROMPT = "? ID:"
CTRL_C_RECEIVED = "^C received; cancelling. If you would like to terminate immediately, press ^C again."
CTRL_C_WARNING = "Note that terminating immediately may lead to orphaned resources and other inconsistencies."
UPDATE_CANCELED = "error: update canceled"
CTRL_C_TERMINATING = "^C received; terminating"
# The CLI's last line after a second Ctrl-C, spelt unlike the engine's "update canceled" above.
TERMINATED = "error: update cancelled"
PROVIDER_GONE = "error: error reading from server: EOF"
UPDATE_FAILED = "error: update failed"
# The messages a README row on recovering from a crash explains (tests/cli/CRASH_SECTION.md).
CLI_MESSAGES = (
    LOCK_REFUSED,
    PENDING_OPERATIONS,
    INTERRUPTED_CREATE,
    PENDING_CREATE_ADVICE,
    STATE_EDIT_CONFIRM,
    PENDING_CREATE_PROMPT,
    CTRL_C_RECEIVED,
    UPDATE_CANCELED,
    CTRL_C_TERMINATING,
    PROVIDER_GONE,
)

# Upper bounds, never waits: the hang ends when the test wakes it, the poll when its condition holds.
HANG_LIMIT_SECONDS = 120.0
# Wide enough that no message of the interactive display wraps.
TERMINAL_ROWS, TERMINAL_COLUMNS = 50, 250
# Control sequences of the interactive display: colours, cursor moves, line erases.
ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[78=>]|\r")
# What the prompts ask the terminal before they read a key, and what a terminal answers: its
# background colour (OSC 11: black) and the cursor's position (DSR 6: top left; any position will do).
TERMINAL_ANSWERS = {b"\x1b]11;?": b"\x1b]11;rgb:0000/0000/0000\x1b\\", b"\x1b[6n": b"\x1b[1;1R"}
CTRL_C, ENTER, DOWN = b"\x03", b"\r", b"\x1b[B"


@dataclass(frozen=True)
class Process:
    """One live process, as Linux's /proc shows it."""

    pid: int
    parent: int
    group: int
    argv: tuple[str, ...]


def processes(session: int) -> list[Process]:
    """Return the live processes of a session (zombies left out)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After "pid (comm)": state, ppid, process group, session, ...
            state, parent, group, member_of = stat.read_text().rsplit(")", 1)[1].split()[:4]
            argv = (stat.parent / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except (OSError, ValueError):
            continue
        if int(member_of) == session and state != "Z":
            found.append(Process(int(stat.parent.name), int(parent), int(group), tuple(a for a in argv if a)))
    return found


def is_provider(process: Process) -> bool:
    """Say whether a process is the dynamic provider server that pulumi-resource-pulumi-python runs."""
    return process.argv[1:4] == ("-u", "-m", "pulumi.dynamic")


def is_language_host(process: Process) -> bool:
    """Say whether a process is the Python language host the CLI starts."""
    return Path(process.argv[0]).name == "pulumi-language-python"


def end_session(session: int) -> None:
    """Kill every process left in a session and wait until none is."""
    for process in processes(session):
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
    wait_until(lambda: not processes(session), "the session's processes to end")


def lock_files(project: PulumiProject) -> list[Path]:
    """Return the file backend's lock files of every stack."""
    return sorted(p for p in (project.backend / ".pulumi" / "locks").rglob("*.json") if p.is_file())


def pending_operations(project: PulumiProject) -> list[tuple[str, str]]:
    """Return (type, URN) of each pending operation that the state records."""
    operations = project.export()["deployment"].get("pending_operations") or []
    return [(op["type"], op["resource"]["urn"]) for op in operations]


def stack_outputs(deployment: dict[str, Any]) -> dict[str, Any]:
    """Return the outputs of a deployment's stack resource."""
    [stack] = [r for r in deployment.get("resources", []) if r["type"] == "pulumi:pulumi:Stack"]
    return dict(stack.get("outputs", {}))


def associate_tokens(emulator: Emulator) -> list[str]:
    """Return the ClientRequestToken of each logged Associate, in order."""
    return [e["body"]["ClientRequestToken"] for e in emulator.log if e["operation"] == ASSOCIATE]


def held_associate_answered(emulator: Emulator) -> str:
    """Wake the held Associate and wait for its answer; return the one token sent, emptying the log."""
    emulator.faults.wake()
    wait_until(
        lambda: any(e["operation"] == ASSOCIATE and e["faulted"] for e in emulator.log),
        "the held Associate to be answered",
    )
    # A retry after the provider's read timeout, if the crash left it time for one, sent the same token.
    [token] = set(associate_tokens(emulator))
    emulator.clear_log()
    return token


def assert_converged(project: PulumiProject, emulator: Emulator) -> None:
    """Assert one association, recorded once with its id and arn, nothing pending, and no drift either way."""
    [association] = emulator.backend.associations()
    [resource] = project.resources(PARTNER_ACCOUNT_TYPE)
    assert (resource["id"], resource["outputs"]["arn"]) == (association["AmazonId"], association["Arn"])
    assert pending_operations(project) == []
    assert lock_files(project) == []
    refresh = project.run("refresh", "--preview-only", "--expect-no-changes", check=False)
    assert refresh.returncode == 0, refresh.output
    preview = project.run("preview", "--expect-no-changes", check=False)
    assert preview.returncode == 0, preview.output


def wait_inside_associate(emulator: Emulator, up: subprocess.Popen[bytes], shown: Callable[[], str]) -> None:
    """Wait until AWS has associated and holds its answer; fail with the CLI's output if it ended first."""
    wait_until(lambda: emulator.backend.associations() or up.poll() is not None, "the up to reach AWS")
    assert up.poll() is None, shown()


@contextlib.contextmanager
def up_in_flight(project: PulumiProject, emulator: Emulator) -> Iterator[subprocess.Popen[bytes]]:
    """Run `pulumi up` in a session of its own; yield it once AWS has associated and holds the answer."""
    emulator.faults.hang_after_commit(ASSOCIATE, HANG_LIMIT_SECONDS)
    log = project.directory / "up.log"
    up = project.start(log, "up", "--yes", "--skip-preview")
    try:
        wait_inside_associate(emulator, up, log.read_text)
        yield up
    finally:
        end_session(up.pid)
        up.wait()
        emulator.faults.wake()


def up_output(project: PulumiProject) -> str:
    """Return what the background `pulumi up` printed."""
    return (project.directory / "up.log").read_text()


class Terminal:
    """A `pulumi` command at a terminal: the CLI leads its session and is the terminal's foreground job.

    That is where a shell puts a command it runs, so the terminal's Ctrl-C reaches the CLI as it
    reaches a person's: as SIGINT to the foreground job when the terminal generates signals, or as the
    ^C key when the CLI has put the terminal in raw mode. It answers the queries a terminal answers.
    """

    def __init__(self, project: PulumiProject, command: tuple[str, ...], *, interactive: bool) -> None:
        self.project = project
        self.argv = ["pulumi", *command, "--color", "never", *([] if interactive else ["--non-interactive"])]
        self._chunks: list[bytes] = []
        self._answered = dict.fromkeys(TERMINAL_ANSWERS, 0)
        self._master = -1
        self._reader: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """Return the CLI's process."""
        assert self._process is not None, "the terminal has not been opened"
        return self._process

    def __enter__(self) -> Terminal:
        setsid = shutil.which("setsid")
        assert setsid is not None, "util-linux's setsid is needed to give the CLI a controlling terminal"
        self._master, slave = os.openpty()
        window = struct.pack("HHHH", TERMINAL_ROWS, TERMINAL_COLUMNS, 0, 0)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, window)
        # The CLI would take a CI's variables as a sign that no one is at the terminal.
        env = {**self.project.env, "TERM": "xterm-256color", "PULUMI_DISABLE_CI_DETECTION": "true"}
        try:
            # `setsid --ctty` makes the terminal the controlling one of the new session, then runs the CLI
            # in its own process: the CLI's process group is the terminal's foreground one.
            self._process = subprocess.Popen(
                [setsid, "--ctty", *self.argv],
                cwd=self.project.directory,
                env=env,
                stdin=slave,
                stdout=slave,
                stderr=slave,
            )
        finally:
            os.close(slave)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._process is not None:
            end_session(self._process.pid)
            self._process.wait()
        if self._reader is not None:
            self._reader.join(timeout=POLL_LIMIT_SECONDS)
        os.close(self._master)

    def _drain(self) -> None:
        """Read what the CLI writes, so that it never blocks on a full terminal, and answer its queries."""
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # EIO: every process holding the terminal has ended.
                return
            if not data:
                return
            self._chunks.append(data)
            shown = b"".join(self._chunks)
            for query, answer in TERMINAL_ANSWERS.items():
                while self._answered[query] < shown.count(query):
                    os.write(self._master, answer)
                    self._answered[query] += 1

    def text(self) -> str:
        """Return what the terminal has shown so far, control sequences removed."""
        return ESCAPE_SEQUENCE.sub("", b"".join(self._chunks).decode(errors="replace"))

    def wait_for(self, shown: str) -> None:
        """Wait until the terminal shows a text; fail with what it shows if the CLI ends first."""
        wait_until(
            lambda: shown in self.text() or self.process.poll() is not None, f"{shown!r} on the terminal"
        )
        assert shown in self.text(), f"{shown!r} never shown; the terminal shows:\n{self.text()}"

    def generates_signals(self) -> bool:
        """Say whether the terminal turns Ctrl-C into SIGINT (ISIG), or passes it to the CLI as a key."""
        return bool(termios.tcgetattr(self._master)[3] & termios.ISIG)

    def press(self, keys: bytes) -> None:
        """Type keys at the terminal."""
        os.write(self._master, keys)


def killed_up(project: PulumiProject, emulator: Emulator) -> tuple[int, list[Process], str]:
    """Kill `pulumi up` with SIGKILL mid-Associate; return its pid, the plugins it left, the token sent."""
    with up_in_flight(project, emulator) as up:
        # `kill -9 PID` from another terminal reaches the CLI alone.
        os.kill(up.pid, signal.SIGKILL)
        up.wait()
        left = processes(up.pid)
        end_session(up.pid)
    return up.pid, left, held_associate_answered(emulator)


@pytest.fixture
def sigkilled(project: PulumiProject, emulator: Emulator) -> tuple[PulumiProject, int, str]:
    """Return the stack after `kill -9` of its `pulumi up` mid-Associate, the CLI's pid and the token sent."""
    pid, left, token = killed_up(project, emulator)
    # The plugins outlive the CLI, reparented: the provider, still inside the Associate, and the host.
    assert any(is_provider(p) for p in left), left
    assert any(is_language_host(p) for p in left), left
    assert pending_operations(project) == [("creating", URN)]
    assert project.resources(PARTNER_ACCOUNT_TYPE) == []
    assert len(emulator.backend.associations()) == 1
    return project, pid, token


def assert_lock_refuses(project: PulumiProject, emulator: Emulator, pid: int, *command: str) -> None:
    """Assert that a command is refused by the killed up's lock, naming it, before any AWS call."""
    [lock] = lock_files(project)
    refused = project.run(*command, check=False)
    assert refused.returncode != 0
    assert f"error: {LOCK_REFUSED}" in refused.output
    assert f"file://{lock}?no_tmp_dir=true: created by " in refused.output
    assert f"(pid {pid})" in refused.output
    assert emulator.calls() == []


def cancel(project: PulumiProject) -> None:
    """Run `pulumi cancel --yes` and assert that it deleted the lock."""
    cancelled = project.run("cancel", "--yes")
    assert CANCELLED in cancelled.output
    assert lock_files(project) == []


def assert_created_again_with_the_same_token(emulator: Emulator, token: str) -> None:
    """Assert that the create ran again with the crashed one's token and took its association over.

    The new create's owner tag makes its request differ from the crashed one's, so AWS refuses the
    token; the owner tag it then finds names this same resource, so it takes the association over.
    """
    assert emulator.calls() == TAKE_OVER_CALLS
    assert associate_tokens(emulator) == [token]
    assert emulator.log[0]["status"] == 409
    assert len(emulator.backend.associations()) == 1


def test_sigkilled_up_converges_after_cancel_then_up(
    sigkilled: tuple[PulumiProject, int, str], emulator: Emulator
) -> None:
    """After `kill -9`: up is refused by the lock; cancel, up (which warns), clear the pending create."""
    project, pid, token = sigkilled
    assert_lock_refuses(project, emulator, pid, "up", "--yes")
    cancel(project)
    resumed = project.run("up", "--yes", "--skip-preview")
    for message in (PENDING_OPERATIONS, INTERRUPTED_CREATE, PENDING_CREATE_ADVICE):
        assert message in resumed.output
    assert_created_again_with_the_same_token(emulator, token)
    # The resource is recorded, but the pending create outlives it and the warning comes back each time.
    assert pending_operations(project) == [("creating", URN)]
    assert PENDING_OPERATIONS in project.run("up", "--yes", "--skip-preview").output
    emulator.clear_log()
    project.run("refresh", "--clear-pending-creates", "--yes")
    assert set(emulator.calls()) <= {GET, "ListTagsForResource"}
    assert_converged(project, emulator)


def test_sigkilled_up_converges_after_cancel_refresh_then_up(
    sigkilled: tuple[PulumiProject, int, str], emulator: Emulator
) -> None:
    """After `kill -9`: refresh is refused too; cancel, clear the pending create, then up creates it."""
    project, pid, token = sigkilled
    assert_lock_refuses(project, emulator, pid, "refresh", "--yes")
    cancel(project)
    # Without a terminal, refresh leaves the pending create alone, and has nothing else to read.
    project.run("refresh", "--yes")
    assert pending_operations(project) == [("creating", URN)]
    project.run("refresh", "--clear-pending-creates", "--yes")
    assert pending_operations(project) == []
    assert emulator.calls() == []
    resumed = project.run("up", "--yes", "--skip-preview")
    assert PENDING_OPERATIONS not in resumed.output
    assert_created_again_with_the_same_token(emulator, token)
    assert_converged(project, emulator)


def test_import_pending_creates_drops_the_pending_create_without_reading_it(
    sigkilled: tuple[PulumiProject, int, str], emulator: Emulator
) -> None:
    """`refresh --import-pending-creates URN ID` reads nothing and records nothing; up then converges."""
    project, _, token = sigkilled
    cancel(project)
    project.run(
        "refresh", "--import-pending-creates", URN, "--import-pending-creates", STACK_AMAZON_ID, "--yes"
    )
    assert emulator.calls() == []
    assert pending_operations(project) == []
    assert project.resources(PARTNER_ACCOUNT_TYPE) == []
    project.run("up", "--yes", "--skip-preview")
    assert_created_again_with_the_same_token(emulator, token)
    assert_converged(project, emulator)


@pytest.mark.parametrize(
    "answer", [pytest.param(CLEAR_ANSWER, id="clear"), pytest.param(IMPORT_ANSWER, id="import")]
)
@pytest.mark.serial
def test_refresh_at_a_terminal_asks_about_the_pending_create_and_up_then_converges(
    answer: str, sigkilled: tuple[PulumiProject, int, str], emulator: Emulator
) -> None:
    """At a terminal, refresh asks what to do with the pending create; clear and import both drop it."""
    project, _, token = sigkilled
    cancel(project)
    with Terminal(project, ("refresh", "--yes"), interactive=True) as terminal:
        # Asked even with --yes, which only skips the refresh's own confirmation.
        terminal.wait_for(STATE_EDIT_CONFIRM)
        terminal.press(b"y" + ENTER)
        terminal.wait_for(PENDING_CREATE_PROMPT)
        for option in PENDING_CREATE_ANSWERS[1 : PENDING_CREATE_ANSWERS.index(answer) + 1]:
            terminal.press(DOWN)
            terminal.wait_for(f"> {option}")
        terminal.press(ENTER)
        if answer == IMPORT_ANSWER:
            terminal.wait_for(ID_PROMPT)
            terminal.press(STACK_AMAZON_ID.encode() + ENTER)
        returncode = terminal.process.wait(timeout=POLL_LIMIT_SECONDS)
    assert returncode == 0, terminal.text()
    assert f"{PENDING_CREATE_PROMPT} {answer}" in terminal.text()
    # Either way the pending create is gone, and nothing was read or recorded in its place.
    assert pending_operations(project) == []
    assert project.resources(PARTNER_ACCOUNT_TYPE) == []
    assert emulator.calls() == []
    project.run("up", "--yes", "--skip-preview")
    assert_created_again_with_the_same_token(emulator, token)
    assert_converged(project, emulator)


@pytest.mark.parametrize(
    "interactive",
    [
        pytest.param(True, id="interactive-display-reads-the-key"),
        pytest.param(False, id="non-interactive-display-gets-sigint"),
    ],
)
@pytest.mark.serial
def test_single_ctrl_c_waits_for_the_associate_and_records_it(
    interactive: bool, project: PulumiProject, emulator: Emulator
) -> None:
    """One Ctrl-C cancels once the Associate in flight ends: no lock, nothing pending; up converges."""
    emulator.faults.hang_after_commit(ASSOCIATE, HANG_LIMIT_SECONDS)
    with Terminal(project, ("up", "--yes"), interactive=interactive) as terminal:
        up = terminal.process
        wait_inside_associate(emulator, up, terminal.text)
        assert terminal.generates_signals() is not interactive
        terminal.press(CTRL_C)
        terminal.wait_for(CTRL_C_RECEIVED)
        # Cancelling waits for the step in flight: the CLI is still there, waiting for AWS's answer.
        assert up.poll() is None, terminal.text()
        emulator.faults.wake()
        returncode = up.wait(timeout=POLL_LIMIT_SECONDS)
        # The CLI ended its plugins on its way out.
        wait_until(lambda: not processes(up.pid), "the plugins of the cancelled up to end")
    shown = terminal.text()
    assert returncode != 0, shown
    assert CTRL_C_WARNING in shown and UPDATE_CANCELED in shown
    # However many attempts the Associate took, they all carried the one token: one association.
    assert len(set(associate_tokens(emulator))) == 1
    [association] = emulator.backend.associations()
    [resource] = project.resources(PARTNER_ACCOUNT_TYPE)
    assert (resource["id"], resource["outputs"]["arn"]) == (association["AmazonId"], association["Arn"])
    assert pending_operations(project) == [] and lock_files(project) == []
    emulator.clear_log()
    # The program never finished, so only the stack outputs are missing: up adds them, calling no API.
    assert "partnerAccountArn" not in stack_outputs(project.export()["deployment"])
    project.run("up", "--yes", "--skip-preview")
    assert emulator.calls() == []
    assert project.outputs()["partnerAccountArn"] == association["Arn"]
    assert_converged(project, emulator)


@pytest.mark.serial
def test_second_ctrl_c_terminates_leaving_a_pending_create_that_clear_and_up_resolve(
    project: PulumiProject, emulator: Emulator
) -> None:
    """A second Ctrl-C ends the CLI at once: no lock, but a pending create; clear it and up converges."""
    emulator.faults.hang_after_commit(ASSOCIATE, HANG_LIMIT_SECONDS)
    with Terminal(project, ("up", "--yes"), interactive=True) as terminal:
        up = terminal.process
        wait_inside_associate(emulator, up, terminal.text)
        terminal.press(CTRL_C)
        terminal.wait_for(CTRL_C_RECEIVED)
        terminal.press(CTRL_C)
        returncode = up.wait(timeout=POLL_LIMIT_SECONDS)
        wait_until(lambda: not processes(up.pid), "the plugins of the terminated up to end")
    shown = terminal.text()
    assert returncode != 0, shown
    assert CTRL_C_TERMINATING in shown and TERMINATED in shown
    assert lock_files(project) == []
    assert pending_operations(project) == [("creating", URN)]
    assert project.resources(PARTNER_ACCOUNT_TYPE) == []
    token = held_associate_answered(emulator)
    project.run("refresh", "--clear-pending-creates", "--yes")
    project.run("up", "--yes", "--skip-preview")
    assert_created_again_with_the_same_token(emulator, token)
    assert_converged(project, emulator)


@pytest.mark.parametrize(
    "refresh_first", [pytest.param(False, id="up-again"), pytest.param(True, id="refresh-then-up")]
)
def test_killed_provider_fails_the_create_and_the_next_up_converges(
    refresh_first: bool, project: PulumiProject, emulator: Emulator
) -> None:
    """A provider killed mid-Associate fails the update, leaving no lock or pending create; up converges."""
    with up_in_flight(project, emulator) as up:
        [provider] = [p for p in processes(up.pid) if is_provider(p)]
        os.kill(provider.pid, signal.SIGKILL)
        returncode = up.wait(timeout=POLL_LIMIT_SECONDS)
        # The CLI ended its other plugins on its way out.
        wait_until(lambda: not processes(up.pid), "the plugins of the failed up to end")
    output = up_output(project)
    assert returncode != 0, output
    assert PROVIDER_GONE in output and UPDATE_FAILED in output
    assert lock_files(project) == [] and pending_operations(project) == []
    assert project.resources(PARTNER_ACCOUNT_TYPE) == []
    token = held_associate_answered(emulator)
    if refresh_first:
        project.run("refresh", "--yes")
        assert emulator.calls() == []
    resumed = project.run("up", "--yes", "--skip-preview")
    assert PENDING_OPERATIONS not in resumed.output
    assert_created_again_with_the_same_token(emulator, token)
    assert_converged(project, emulator)
