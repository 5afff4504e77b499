"""A deployed stack through the real CLI: no-op runs, key rotation, tag changes, destroy and stack rm."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli.project import PulumiProject, account_step
from tests.emulator import Emulator
from tests.operations import DELETE_CALLS, GET, TAG, UNTAG, UPDATE
from tests.support import KEY, OTHER_KEY, assert_no_key, live_tags

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

# What `pulumi preview --expect-no-changes` prints on stderr when the plan has changes.
UNEXPECTED_CHANGES = "error: no changes were expected for preview but changes were proposed"


def only_association(emulator: Emulator) -> dict[str, Any]:
    """Return the emulator's one association, failing if there is not exactly one."""
    [association] = emulator.backend.associations()
    return association


@pytest.fixture
def two_tags(project: PulumiProject, emulator: Emulator) -> PulumiProject:
    """Return the stack deployed with the tags team=iot and owner=ops, the emulator's log emptied."""
    project.config_set("sidewalk:tags", {"team": "iot", "owner": "ops"})
    project.run("up", "--yes", "--skip-preview")
    emulator.clear_log()
    return project


# Nothing to do.


def test_second_up_changes_nothing_and_makes_no_aws_call(deployed: PulumiProject, emulator: Emulator) -> None:
    """A second `pulumi up` with unchanged config leaves both resources unchanged without calling AWS."""
    run = deployed.run("up", "--yes", "--skip-preview")
    assert emulator.calls() == []
    assert "Resources:\n    2 unchanged" in run.stdout
    assert "updated" not in run.stdout


def test_preview_expecting_no_changes_succeeds_after_up(deployed: PulumiProject, emulator: Emulator) -> None:
    """`pulumi preview --expect-no-changes` right after `pulumi up` exits 0 and calls nothing."""
    run = deployed.run("preview", "--expect-no-changes", check=False)
    assert run.returncode == 0, run.output
    assert emulator.calls() == []


def test_preview_expecting_no_changes_fails_when_config_changed(deployed: PulumiProject) -> None:
    """`pulumi preview --expect-no-changes` exits non-zero once a tag in the config has changed."""
    deployed.config_set("sidewalk:tags", {"team": "radio"})
    run = deployed.run("preview", "--expect-no-changes", check=False)
    assert run.returncode != 0
    assert UNEXPECTED_CHANGES in run.stderr


# Key rotation.


def test_key_rotation_previews_an_update_not_a_replace(deployed: PulumiProject, emulator: Emulator) -> None:
    """A new key in the config plans an in-place update of the PartnerAccount and calls nothing."""
    deployed.config_set("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True)
    preview = deployed.run("preview", "--json").json()
    step = account_step(preview)
    assert step["op"] == "update"
    assert not step.get("replaceReasons")
    assert preview["changeSummary"] == {"same": 1, "update": 1}
    assert emulator.calls() == []


def test_key_rotation_up_updates_the_key_then_reads_it_back(
    deployed: PulumiProject, emulator: Emulator
) -> None:
    """`pulumi up` after a key rotation calls only UpdatePartnerAccount then GetPartnerAccount."""
    deployed.config_set("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True)
    deployed.run("up", "--yes", "--skip-preview")
    assert emulator.calls() == [UPDATE, GET]
    # The key is sent, and the emulator's log redacts it.
    assert emulator.log[0]["body"] == {"Sidewalk": {"AppServerPrivateKey": "***"}}


def test_key_rotation_changes_the_fingerprint_output(deployed: PulumiProject, emulator: Emulator) -> None:
    """After a key rotation the `fingerprint` stack output changes to the association's new one."""
    before = deployed.outputs()["fingerprint"]
    deployed.config_set("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True)
    deployed.run("up", "--yes", "--skip-preview")
    after = deployed.outputs()["fingerprint"]
    assert after != before
    assert after == only_association(emulator)["Fingerprint"]


# Tags.


def test_tag_change_previews_an_update_not_a_replace(deployed: PulumiProject, emulator: Emulator) -> None:
    """A changed and an added tag in the config plan an in-place update and call nothing."""
    deployed.config_set("sidewalk:tags", {"team": "radio", "env": "prod"})
    preview = deployed.run("preview", "--json").json()
    step = account_step(preview)
    assert step["op"] == "update"
    assert not step.get("replaceReasons")
    assert preview["changeSummary"] == {"same": 1, "update": 1}
    assert emulator.calls() == []


def test_tag_change_preview_diff_shows_the_changed_and_added_keys(deployed: PulumiProject) -> None:
    """`pulumi preview --diff` marks `tags` as changed: one value changed, one key added."""
    deployed.config_set("sidewalk:tags", {"team": "radio", "env": "prod"})
    text = deployed.run("preview", "--diff").stdout
    assert re.search(r"^ +~ tags +: \{$", text, re.MULTILINE), text
    assert re.search(r'^ +~ team *: "iot" => "radio"$', text, re.MULTILINE), text
    assert re.search(r'^ +\+ env *: "prod"$', text, re.MULTILINE), text


def test_key_rotation_preview_names_the_key_by_its_digest(deployed: PulumiProject) -> None:
    """A rotation previews as `[diff: ~appServerPrivateKeyDigest]`, old digest => new, never the key."""
    deployed.config_set("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True)
    plain = deployed.run("preview").stdout
    assert "update [diff: ~appServerPrivateKeyDigest]" in plain
    diff = deployed.run("preview", "--diff").stdout
    old, new = (f"sha256:{hashlib.sha256(k.lower().encode()).hexdigest()[:16]}" for k in (KEY, OTHER_KEY))
    assert f'~ appServerPrivateKeyDigest: "{old}" => "{new}"' in diff
    assert_no_key(plain + diff, KEY, OTHER_KEY)


def test_tag_change_and_addition_send_only_those_tags(
    two_tags: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """Changing one tag and adding another makes one TagResource carrying just those two."""
    two_tags.config_set("sidewalk:tags", {"team": "radio", "owner": "ops", "env": "prod"})
    two_tags.run("up", "--yes", "--skip-preview")
    assert emulator.calls() == [TAG]
    assert emulator.log[0]["body"] == {
        "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "radio"}]
    }
    arn = only_association(emulator)["Arn"]
    assert live_tags(iotwireless, arn) == {"team": "radio", "owner": "ops", "env": "prod"}


def test_tag_removal_untags_only_that_key(
    two_tags: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """Removing one tag from the config makes one UntagResource naming only that key."""
    two_tags.config_set("sidewalk:tags", {"team": "iot"})
    two_tags.run("up", "--yes", "--skip-preview")
    assert emulator.calls() == [UNTAG]
    assert emulator.log[0]["query"]["tagKeys"] == ["owner"]
    assert live_tags(iotwireless, only_association(emulator)["Arn"]) == {"team": "iot"}


def test_removing_the_tags_config_removes_every_tag(
    two_tags: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """`pulumi config rm sidewalk:tags` then `pulumi up` leaves the association with no tags."""
    two_tags.config_rm("sidewalk:tags")
    two_tags.run("up", "--yes", "--skip-preview")
    assert emulator.calls() == [UNTAG]
    assert sorted(emulator.log[0]["query"]["tagKeys"]) == ["owner", "team"]
    assert live_tags(iotwireless, only_association(emulator)["Arn"]) == {}


# Destroy.


def test_destroy_only_disassociates(deployed: PulumiProject, emulator: Emulator) -> None:
    """`pulumi destroy` makes exactly one call, DisassociateAwsAccountFromPartnerAccount."""
    deployed.run("destroy", "--yes")
    assert emulator.calls() == DELETE_CALLS
    assert emulator.backend.associations() == []


def test_stack_rm_after_destroy_leaves_no_stack_and_no_association(
    deployed: PulumiProject, emulator: Emulator
) -> None:
    """`pulumi stack rm` after `pulumi destroy` leaves `pulumi stack ls` empty and nothing associated."""
    deployed.run("destroy", "--yes")
    deployed.run("stack", "rm", "--yes", "dev")
    assert deployed.run("stack", "ls", "--json").json() == []
    assert emulator.backend.associations() == []
