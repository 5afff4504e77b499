"""One owner per association, through the real CLI: replacements, failures, crashes, a second stack.

Each scenario ends with exactly one association, recorded once with nothing pending, its owner tag
the one the state records, and `preview --expect-no-changes` and `refresh` agreeing with AWS.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from tests.cli.project import PulumiProject, wait_until
from tests.cli.test_crash_recovery import (
    CTRL_C_RECEIVED,
    HANG_LIMIT_SECONDS,
    Terminal,
    assert_converged,
    cancel,
    end_session,
    pending_operations,
)
from tests.conftest import ACCESS_KEY, SECRET_KEY
from tests.emulator import Emulator
from tests.engine.provider import PROJECT_ROOT
from tests.operations import CREATE_CALLS, DELETE_CALLS, DISASSOCIATE, LIST_TAGS, TAG, TAKE_OVER_CALLS
from tests.support import (
    DESTINATION_TYPE,
    KEY,
    OTHER_KEY,
    PARTNER_ACCOUNT_TYPE,
    STACK_AMAZON_ID,
    live_owner,
    live_tags,
)

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

PROGRAM = Path(__file__).parent / "programs" / "ownership.py"
URN = f"urn:pulumi:dev::sidewalk-partner-account::{PARTNER_ACCOUNT_TYPE}::sidewalk"
HELD = "is held by resource 'sidewalk' of stack 'dev' in project 'sidewalk-partner-account'"
TAKE_OVER_ADVICE = "set adoptExisting to true to bring the association under management"
LEFT_ALONE = "DisassociateAwsAccountFromPartnerAccount skipped: Sidewalk account"


def the_association(emulator: Emulator) -> dict[str, object]:
    """Return the one association AWS holds."""
    [association] = emulator.backend.associations()
    return association


def assert_owned(project: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """Assert the stack converged and holds the association by the owner tag its state records."""
    assert_converged(project, emulator)
    [resource] = project.resources(PARTNER_ACCOUNT_TYPE)
    assert not resource.get("delete")
    assert (
        live_owner(iotwireless, str(the_association(emulator)["Arn"])) == resource["outputs"]["ownerMarker"]
    )


def associate_outside(iotwireless: IoTWirelessClient) -> None:
    """Associate the stack's AmazonId outside Pulumi, with another key and a tag of its own."""
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": STACK_AMAZON_ID, "AppServerPrivateKey": OTHER_KEY},
        Tags=[{"Key": "made", "Value": "outside"}],
    )


def rotate_key(project: PulumiProject, iotwireless: IoTWirelessClient) -> None:
    """Rotate the key with an up."""
    project.config_set("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True)
    project.run("up", "--yes", "--skip-preview")


def change_tags(project: PulumiProject, iotwireless: IoTWirelessClient) -> None:
    """Change the tags with an up."""
    project.config_set("sidewalk:tags", {"team": "radio"})
    project.run("up", "--yes", "--skip-preview")


def adopt(project: PulumiProject, iotwireless: IoTWirelessClient) -> None:
    """Destroy, associate outside Pulumi, then take that association over with adoptExisting."""
    project.run("destroy", "--yes")
    associate_outside(iotwireless)
    project.config_set("sidewalk:adoptExisting", True)
    project.run("up", "--yes", "--skip-preview")


def nothing(project: PulumiProject, iotwireless: IoTWirelessClient) -> None:
    """Change nothing."""


@pytest.mark.parametrize(
    "before",
    [
        pytest.param(nothing, id="unchanged"),
        pytest.param(rotate_key, id="after-key-rotation"),
        pytest.param(change_tags, id="after-tag-change"),
        pytest.param(adopt, id="adopted"),
    ],
)
def test_targeted_replace_keeps_the_one_association(
    deployed: PulumiProject,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    before: Callable[[PulumiProject, IoTWirelessClient], None],
) -> None:
    """`up --replace` takes the association over by its owner tag; the old delete leaves it in place."""
    before(deployed, iotwireless)
    emulator.clear_log()
    replaced = deployed.run("up", "--yes", "--skip-preview", "--replace", URN)
    assert emulator.calls() == [*TAKE_OVER_CALLS, LIST_TAGS]
    assert LEFT_ALONE in replaced.output
    assert_owned(deployed, emulator, iotwireless)
    emulator.clear_log()
    deployed.run("destroy", "--yes")
    assert emulator.calls() == DELETE_CALLS
    assert emulator.backend.associations() == []


@pytest.fixture
def probe(project: PulumiProject) -> PulumiProject:
    """Return the stack running the probe program whose later resource can be made to fail."""
    main = project.directory / "__main__.py"
    main.unlink()
    main.symlink_to(PROGRAM)
    return project


def test_replace_stopped_by_a_later_failure_then_up_refresh_destroy(
    probe: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A replace whose update fails later leaves the old one pending delete; the next up leaves it alone."""
    probe.run("up", "--yes", "--skip-preview")
    probe.config_set("probe:failLater", True)
    failed = probe.run("up", "--yes", "--skip-preview", "--replace", URN, check=False)
    assert failed.returncode != 0
    assert "AccessDeniedException" in failed.output
    assert [bool(r.get("delete")) for r in probe.resources(PARTNER_ACCOUNT_TYPE)] == [False, True]
    # The later resource now succeeds; the pending delete runs in this new provider process.
    emulator.backend.update_settings(sidewalk_regions={"us-east-1", "us-west-2"})
    emulator.clear_log()
    up = probe.run("up", "--yes", "--skip-preview")
    assert DISASSOCIATE not in emulator.calls()
    assert LEFT_ALONE in up.output
    assert_owned(probe, emulator, iotwireless)
    probe.run("refresh", "--yes")
    assert_owned(probe, emulator, iotwireless)
    probe.run("destroy", "--yes")
    assert emulator.backend.associations() == []


def test_refresh_after_a_stopped_replace_drops_the_pending_delete(
    probe: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """Run first, `refresh` finds the old resource no longer holds the association and drops it."""
    probe.run("up", "--yes", "--skip-preview")
    probe.config_set("probe:failLater", True)
    probe.run("up", "--yes", "--skip-preview", "--replace", URN, check=False)
    probe.config_set("probe:failLater", False)
    probe.run("refresh", "--yes")
    assert [bool(r.get("delete")) for r in probe.resources(PARTNER_ACCOUNT_TYPE)] == [False]
    assert_owned(probe, emulator, iotwireless)


@pytest.mark.serial
def test_ctrl_c_after_the_new_create_then_up_keeps_the_association(
    deployed: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """One Ctrl-C while the take-over's last call is held: the update stops before the old delete."""
    emulator.faults.hang_after_commit(TAG, HANG_LIMIT_SECONDS)
    with Terminal(deployed, ("up", "--yes", "--replace", URN), interactive=True) as terminal:
        wait_until(lambda: TAG in emulator.calls(), "the take-over's TagResource")
        terminal.press(b"\x03")
        terminal.wait_for(CTRL_C_RECEIVED)
        emulator.faults.wake()
        terminal.process.wait(timeout=HANG_LIMIT_SECONDS)
    assert the_association(emulator)
    emulator.clear_log()
    deployed.run("up", "--yes", "--skip-preview")
    assert DISASSOCIATE not in emulator.calls()
    assert_owned(deployed, emulator, iotwireless)


@pytest.mark.serial
@pytest.mark.parametrize(
    "recovery",
    [
        pytest.param((("refresh", "--clear-pending-creates"), ("up",)), id="refresh-then-up"),
        pytest.param((("up",), ("refresh", "--clear-pending-creates")), id="up-then-refresh"),
    ],
)
def test_kill_between_the_create_and_the_old_delete_then_the_readme_recovery(
    deployed: PulumiProject,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    recovery: tuple[tuple[str, ...], ...],
) -> None:
    """`kill -9` while the old resource's delete reads the owner tag; each README order keeps it."""
    # The take-over's own ListTagsForResource passes; the old resource's delete's is held.
    emulator.faults.hang_after_commit(LIST_TAGS, 0)
    emulator.faults.hang_after_commit(LIST_TAGS, HANG_LIMIT_SECONDS)
    log = deployed.directory / "replace.log"
    up = deployed.start(log, "up", "--yes", "--skip-preview", "--replace", URN)
    try:
        wait_until(lambda: emulator.calls().count(LIST_TAGS) == 2 or up.poll() is not None, "the old delete")
        assert up.poll() is None, log.read_text()
        # A kill while the CLI writes the checkpoint would truncate it: wait until it records the create.
        marker = str(live_owner(iotwireless, str(the_association(emulator)["Arn"])))
        wait_until(lambda: records(deployed, marker), "the checkpoint to record the new resource")
        up.send_signal(signal.SIGKILL)
        up.wait()
    finally:
        end_session(up.pid)
        emulator.faults.wake()
    cancel(deployed)
    emulator.clear_log()
    for command in recovery:
        deployed.run(*command, "--yes")
    assert DISASSOCIATE not in emulator.calls()
    assert pending_operations(deployed) == []
    assert_owned(deployed, emulator, iotwireless)


def records(project: PulumiProject, text: str) -> bool:
    """Tell whether the checkpoint on disk is whole JSON and holds a text."""
    [checkpoint] = (project.backend / ".pulumi" / "stacks").glob("*/dev.json")
    content = checkpoint.read_text()
    try:
        json.loads(content)
    except ValueError:
        return False
    return text in content


def test_rename_without_alias_is_refused_then_adopted(
    probe: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A renamed resource is another resource: refused naming the holder, moved over with adoptExisting."""
    probe.run("up", "--yes", "--skip-preview")
    probe.config_set("probe:name", "renamed")
    emulator.clear_log()
    refused = probe.run("up", "--yes", "--skip-preview", check=False)
    assert refused.returncode != 0
    assert HELD in refused.output and TAKE_OVER_ADVICE in refused.output
    # The Associate conflicts; the association and its owner tag are read; nothing changes.
    assert emulator.calls() == CREATE_CALLS
    probe.config_set("sidewalk:adoptExisting", True)
    probe.run("up", "--yes", "--skip-preview")
    [resource] = probe.resources(PARTNER_ACCOUNT_TYPE)
    assert resource["urn"].endswith("::renamed")
    assert_owned(probe, emulator, iotwireless)


@pytest.fixture
def second_stack(
    deployed: PulumiProject, make_project: Callable[..., PulumiProject], emulator: Emulator
) -> PulumiProject:
    """Return another stack (`staging`) of the project, configured like `dev`, sharing its backend."""
    staging = make_project(PULUMI_BACKEND_URL=f"file://{deployed.backend}").init("staging")
    staging.config_set("aws:region", "us-east-1")
    staging.config_set("sidewalk:amazonId", STACK_AMAZON_ID)
    staging.config_set("sidewalk:appServerPrivateKey", KEY, secret=True)
    staging.config_set("sidewalk:tags", {"team": "iot"})
    emulator.clear_log()
    return staging


def test_second_stack_is_refused_and_changes_nothing(
    deployed: PulumiProject, second_stack: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A second stack with the same AmazonId and key fails naming the holder; destroy and rm leave it."""
    before = the_association(emulator)
    refused = second_stack.run("up", "--yes", "--skip-preview", check=False)
    assert refused.returncode != 0
    assert HELD in refused.output and TAKE_OVER_ADVICE in refused.output
    assert the_association(emulator) == before
    second_stack.run("destroy", "--yes")
    second_stack.run("stack", "rm", "--yes")
    assert the_association(emulator) == before
    assert_owned(deployed, emulator, iotwireless)


def test_second_stack_takes_over_with_adopt_existing_and_the_first_cannot_remove_it(
    deployed: PulumiProject, second_stack: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """With adoptExisting the second stack holds it; the first stack's destroy leaves it in place."""
    second_stack.config_set("sidewalk:adoptExisting", True)
    second_stack.run("up", "--yes", "--skip-preview")
    assert_owned(second_stack, emulator, iotwireless)
    destroyed = deployed.run("destroy", "--yes")
    assert LEFT_ALONE in destroyed.output
    assert "held by resource 'sidewalk' of stack 'staging'" in destroyed.output
    assert_owned(second_stack, emulator, iotwireless)


def test_up_after_destroy_meets_another_association_and_leaves_it(
    deployed: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """Destroyed, then associated elsewhere with another key: the next up fails and changes nothing."""
    deployed.run("destroy", "--yes")
    associate_outside(iotwireless)
    before = the_association(emulator)
    refused = deployed.run("up", "--yes", "--skip-preview", check=False)
    assert refused.returncode != 0
    assert "it is held by no Pulumi stack" in refused.output and TAKE_OVER_ADVICE in refused.output
    assert the_association(emulator) == before
    assert live_tags(iotwireless, str(before["Arn"])) == {"made": "outside"}
    assert deployed.resources(PARTNER_ACCOUNT_TYPE) == []


# Stacks made by the release before owner tags, upgraded in place.

# The last commit of the release before owner tags: its provider writes no owner tag and derives the
# request token from the inputs alone.
PREVIOUS_RELEASE = "bdd3430"
CODE = ("providers", "components", "__main__.py")


@pytest.fixture
def previous_release(tmp_path: Path) -> Path:
    """Return a folder holding the previous release's program and providers, checked out from git."""
    folder = tmp_path / "previous-release"
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "archive", PREVIOUS_RELEASE, *CODE],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def link_code(project: PulumiProject, folder: Path) -> None:
    """Make the project run the program and providers of a folder (this checkout's, or another's)."""
    for name in CODE:
        link = project.directory / name
        link.unlink()
        link.symlink_to(folder / name)


@pytest.fixture
def upgraded(project: PulumiProject, previous_release: Path, emulator: Emulator) -> PulumiProject:
    """Return a stack deployed by the previous release, its project now running this code."""
    link_code(project, previous_release)
    project.run("up", "--yes", "--skip-preview")
    [resource] = project.resources(PARTNER_ACCOUNT_TYPE)
    assert "ownerMarker" not in resource["outputs"]
    link_code(project, PROJECT_ROOT)
    emulator.clear_log()
    return project


def test_upgraded_stack_replaced_first_thing_keeps_the_association(
    upgraded: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """`up --replace` right after the upgrade takes over the unmarked association by the old token."""
    upgraded.run("up", "--yes", "--skip-preview", "--replace", URN)
    assert DISASSOCIATE not in emulator.calls()
    assert_owned(upgraded, emulator, iotwireless)


def test_upgraded_stack_marks_its_association_in_place_then_replaces(
    upgraded: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """The first up after the upgrade writes the owner tag in place; then a rotated --replace holds."""
    step = next(s for s in upgraded.run("preview", "--json").json()["steps"] if s["urn"] == URN)
    assert step["op"] == "update"
    assert '+ owner                    : "sidewalk-partner-account/dev/sidewalk"' in (
        upgraded.run("preview", "--diff").stdout
    )
    upgraded.run("up", "--yes", "--skip-preview")
    assert emulator.calls() == [TAG]
    rotate_key(upgraded, iotwireless)
    emulator.clear_log()
    upgraded.run("up", "--yes", "--skip-preview", "--replace", URN)
    assert emulator.calls() == [*TAKE_OVER_CALLS, LIST_TAGS]
    assert_owned(upgraded, emulator, iotwireless)


def test_upgraded_stack_replace_stopped_by_a_later_failure_then_up(
    project: PulumiProject, previous_release: Path, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A previous-release stack's stopped replace leaves a pending delete that the next up leaves alone."""
    for folder in (previous_release, PROJECT_ROOT):
        program = project.directory / "__main__.py"
        link_code(project, folder)
        program.unlink()
        program.symlink_to(PROGRAM)
        if folder == previous_release:
            project.run("up", "--yes", "--skip-preview")
    project.config_set("probe:failLater", True)
    assert project.run("up", "--yes", "--skip-preview", "--replace", URN, check=False).returncode != 0
    emulator.backend.update_settings(sidewalk_regions={"us-east-1", "us-west-2"})
    emulator.clear_log()
    project.run("up", "--yes", "--skip-preview")
    assert DISASSOCIATE not in emulator.calls()
    assert_owned(project, emulator, iotwireless)


def test_targeted_replace_of_a_destination_keeps_it(
    probe: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """`up --replace` of a Destination takes it over by its owner tag; the old delete leaves it."""
    emulator.backend.update_settings(sidewalk_regions={"us-east-1", "us-west-2"})
    probe.config_set("probe:failLater", True)
    probe.run("up", "--yes", "--skip-preview")
    urn = f"urn:pulumi:dev::sidewalk-partner-account::{DESTINATION_TYPE}::later"
    emulator.clear_log()
    replaced = probe.run("up", "--yes", "--skip-preview", "--replace", urn)
    assert emulator.calls() == [
        "CreateDestination",
        "GetDestination",
        LIST_TAGS,
        "UpdateDestination",
        TAG,
        LIST_TAGS,
    ]
    assert "DeleteDestination skipped: destination 'later'" in replaced.output
    [resource] = probe.resources(DESTINATION_TYPE)
    west = probe_client(iotwireless)
    live = west.get_destination(Name="later")
    assert live_owner(west, live["Arn"]) == resource["outputs"]["ownerMarker"]
    assert probe.run("preview", "--expect-no-changes", check=False).returncode == 0
    probe.run("destroy", "--yes")
    with pytest.raises(west.exceptions.ResourceNotFoundException):
        west.get_destination(Name="later")


def probe_client(iotwireless: IoTWirelessClient) -> IoTWirelessClient:
    """Return a client like the test's, in the probe's later resource's region (us-west-2)."""
    return boto3.client(
        "iotwireless",
        region_name="us-west-2",
        endpoint_url=iotwireless.meta.endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
