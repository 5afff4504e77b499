"""A first `pulumi up` onto an association that already exists: adopted when asked, refused otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from providers._tags import OWNER_KEY
from tests.cli.project import PulumiProject
from tests.emulator import Emulator
from tests.operations import ASSOCIATE, CREATE_CALLS, TAG, TAKE_OVER_CALLS, UNTAG
from tests.support import OTHER_KEY, STACK_AMAZON_ID, user_tags

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

# The existing association's tags: `team` differs from the config's team=iot, `legacy` is not in it.
EXISTING_TAGS = {"team": "old", "legacy": "1"}
CONFIG_TAGS = {"team": "iot"}


@pytest.fixture
def existing(iotwireless: IoTWirelessClient, emulator: Emulator) -> dict[str, Any]:
    """Associate the stack's Sidewalk account outside Pulumi, with another key; return it, log emptied."""
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": STACK_AMAZON_ID, "AppServerPrivateKey": OTHER_KEY},
        Tags=[{"Key": k, "Value": v} for k, v in EXISTING_TAGS.items()],
    )
    [association] = emulator.backend.associations()
    emulator.clear_log()
    return association


@pytest.fixture
def adopted(project: PulumiProject, existing: dict[str, Any]) -> PulumiProject:
    """Return the stack after a first `pulumi up` with sidewalk:adoptExisting true."""
    project.config_set("sidewalk:adoptExisting", True)
    project.run("up", "--yes", "--skip-preview")
    return project


def test_adopt_existing_takes_over_the_association_without_a_second_one(
    adopted: PulumiProject, existing: dict[str, Any], emulator: Emulator
) -> None:
    """With adoptExisting, `pulumi up` meets the conflict, then sets the key, reads and retags."""
    assert emulator.calls() == [*TAKE_OVER_CALLS, UNTAG]
    assert emulator.log[0]["status"] == 409
    [association] = emulator.backend.associations()
    assert association["Arn"] == existing["Arn"]
    assert adopted.outputs()["partnerAccountArn"] == existing["Arn"]


def test_adoption_sets_the_configured_key(
    adopted: PulumiProject, existing: dict[str, Any], emulator: Emulator
) -> None:
    """Adoption replaces the existing key with the configured one, as the fingerprint shows."""
    [association] = emulator.backend.associations()
    assert association["Fingerprint"] != existing["Fingerprint"]
    assert adopted.outputs()["fingerprint"] == association["Fingerprint"]


def test_adoption_converges_the_tags_on_the_config(adopted: PulumiProject, emulator: Emulator) -> None:
    """Adoption tags only the differing key and untags only the key missing from the config."""
    [association] = emulator.backend.associations()
    assert user_tags(association["Tags"]) == CONFIG_TAGS
    marker = association["Tags"][OWNER_KEY]
    [tag] = [e for e in emulator.log if e["operation"] == TAG]
    [untag] = [e for e in emulator.log if e["operation"] == UNTAG]
    # The owner tag rides along with the one changed key.
    assert tag["body"] == {"Tags": [{"Key": OWNER_KEY, "Value": marker}, {"Key": "team", "Value": "iot"}]}
    assert untag["query"]["tagKeys"] == ["legacy"]


def test_adopted_stack_previews_no_changes(adopted: PulumiProject) -> None:
    """After adoption `pulumi preview --expect-no-changes` exits 0."""
    run = adopted.run("preview", "--expect-no-changes", check=False)
    assert run.returncode == 0, run.output


def test_up_without_adopt_existing_fails_naming_the_association_and_the_remedy(
    project: PulumiProject, existing: dict[str, Any]
) -> None:
    """Without adoptExisting, `pulumi up` fails saying the account is associated and how to proceed."""
    run = project.run("up", "--yes", "--skip-preview", check=False)
    assert run.returncode != 0
    assert (
        f"AssociateAwsAccountWithPartnerAccount failed for Sidewalk account '{STACK_AMAZON_ID}' in us-east-1 "
        "(ConflictException: it exists already): it is held by no Pulumi stack"
    ) in run.stdout
    assert "set adoptExisting to true to bring the association under management" in run.stdout
    assert "or disassociate it first." in run.stdout


def test_up_without_adopt_existing_leaves_the_association_as_it_was(
    project: PulumiProject, existing: dict[str, Any], emulator: Emulator
) -> None:
    """A refused `pulumi up` makes only the failed Associate and changes nothing in AWS."""
    project.run("up", "--yes", "--skip-preview", check=False)
    # Refused after reading the association and its owner tag (none), and after one more Associate
    # under the token earlier releases derived, which AWS refuses too: nothing was changed.
    assert emulator.calls() == [*CREATE_CALLS, ASSOCIATE]
    assert emulator.backend.associations() == [existing]
