"""Replacements through the real CLI: new identity first, targeted ones, and one that fails half-way."""

from __future__ import annotations

from tests.cli.project import PulumiProject, account_step
from tests.emulator import Emulator
from tests.operations import ASSOCIATE, DISASSOCIATE, GET, LIST_TAGS, TAKE_OVER_CALLS
from tests.support import PARTNER_ACCOUNT_TYPE, STACK_AMAZON_ID

NEW_AMAZON_ID = "amzn1.account.REPLACEMENT"


def calls_with_targets(emulator: Emulator) -> list[tuple[str | None, str | None, str]]:
    """Return (operation, region, path) for each logged call, in order."""
    return [(entry["operation"], entry["region"], entry["path"]) for entry in emulator.log]


def live_identities(emulator: Emulator) -> list[tuple[str, str]]:
    """Return (region, AmazonId) of every association AWS holds."""
    return sorted((a["region"], a["AmazonId"]) for a in emulator.backend.associations())


def assert_state_matches_aws(project: PulumiProject, emulator: Emulator) -> None:
    """Assert that the stack holds exactly the one live association and a refresh finds no drift."""
    [resource] = project.resources(PARTNER_ACCOUNT_TYPE)
    [association] = emulator.backend.associations()
    assert resource["id"] == association["AmazonId"]
    assert resource["outputs"]["arn"] == association["Arn"]
    refresh = project.run("refresh", "--preview-only", "--expect-no-changes", check=False)
    assert refresh.returncode == 0, refresh.output


def test_new_amazon_id_associates_the_new_one_before_disassociating_the_old(
    deployed: PulumiProject, emulator: Emulator
) -> None:
    """A new amazonId is a replacement that associates the new account first, then removes the old."""
    deployed.config_set("sidewalk:amazonId", NEW_AMAZON_ID)
    step = account_step(deployed.run("preview", "--json").json())
    assert step["op"] == "replace"
    assert step["replaceReasons"] == ["amazonId"]
    assert emulator.calls() == []
    deployed.run("up", "--yes", "--skip-preview")
    assert calls_with_targets(emulator) == [
        (ASSOCIATE, "us-east-1", "/partner-accounts"),
        (GET, "us-east-1", f"/partner-accounts/{NEW_AMAZON_ID}"),
        (LIST_TAGS, "us-east-1", "/tags"),
        (LIST_TAGS, "us-east-1", "/tags"),
        (DISASSOCIATE, "us-east-1", f"/partner-accounts/{STACK_AMAZON_ID}"),
    ]
    assert live_identities(emulator) == [("us-east-1", NEW_AMAZON_ID)]
    assert_state_matches_aws(deployed, emulator)


def test_new_region_associates_there_before_disassociating_the_old_region(
    deployed: PulumiProject, emulator: Emulator
) -> None:
    """A new aws:region is a replacement: associated in the new region first, then removed from the old."""
    emulator.backend.update_settings(sidewalk_regions={"us-east-1", "us-west-2"})
    deployed.config_set("aws:region", "us-west-2")
    step = account_step(deployed.run("preview", "--json").json())
    assert (step["op"], step["replaceReasons"]) == ("replace", ["region"])
    deployed.run("up", "--yes", "--skip-preview")
    assert [(op, region) for op, region, _ in calls_with_targets(emulator)] == [
        (ASSOCIATE, "us-west-2"),
        (GET, "us-west-2"),
        (LIST_TAGS, "us-west-2"),
        (LIST_TAGS, "us-east-1"),
        (DISASSOCIATE, "us-east-1"),
    ]
    assert live_identities(emulator) == [("us-west-2", STACK_AMAZON_ID)]
    assert_state_matches_aws(deployed, emulator)


def test_targeted_replace_of_the_same_identity_keeps_one_association_that_state_knows(
    deployed: PulumiProject, emulator: Emulator
) -> None:
    """`pulumi up --replace URN` ends with the association live and recorded, never removed under it."""
    [resource] = deployed.resources(PARTNER_ACCOUNT_TYPE)
    deployed.run("up", "--yes", "--skip-preview", "--replace", resource["urn"])
    # The new resource takes the association over; the old one's delete leaves it to its new owner.
    assert emulator.calls() == [*TAKE_OVER_CALLS, LIST_TAGS]
    assert live_identities(emulator) == [("us-east-1", STACK_AMAZON_ID)]
    assert_state_matches_aws(deployed, emulator)


def test_failed_replacement_then_reverted_config_leaves_the_old_association(
    deployed: PulumiProject, emulator: Emulator
) -> None:
    """A region that refuses fails the replacement; reverting the config converges with nothing lost."""
    deployed.config_set("aws:region", "eu-west-1")
    failed = deployed.run("up", "--yes", "--skip-preview", check=False)
    assert failed.returncode != 0
    assert "AccessDeniedException" in failed.output and "eu-west-1" in failed.output
    assert live_identities(emulator) == [("us-east-1", STACK_AMAZON_ID)]
    deployed.config_set("aws:region", "us-east-1")
    emulator.clear_log()
    deployed.run("up", "--yes", "--skip-preview")
    assert DISASSOCIATE not in emulator.calls()
    assert live_identities(emulator) == [("us-east-1", STACK_AMAZON_ID)]
    assert_state_matches_aws(deployed, emulator)
    assert deployed.run("preview", "--expect-no-changes", check=False).returncode == 0
