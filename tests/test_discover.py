"""`python -m providers.discover` against the emulator: listing, pagination, tags, adoption commands."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

from tests.operations import LIST, LIST_TAGS, TAKE_OVER_CALLS
from tests.support import KEY, OTHER_KEY, Stack, assert_no_key, discover, emulator_env, live_tags

EXAMPLE = "amzn1.account.EXAMPLE"


def associate(iotwireless: Any, amazon_id: str, tags: dict[str, str] | None = None, key: str = KEY) -> str:
    response = iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": amazon_id, "AppServerPrivateKey": key},
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )
    return str(response["Arn"])


def test_discover_lists_every_association_across_pages(emulator: Any, iotwireless: Any) -> None:
    """With 25 associations and pages of 10, discover follows NextToken and lists all 25."""
    amazon_ids = [f"amzn1.account.A{i:02d}" for i in range(25)]
    for amazon_id in amazon_ids:
        associate(iotwireless, amazon_id)
    emulator.clear_log()
    run = discover(emulator)
    assert run.returncode == 0, run.stderr
    rows = run.stdout.splitlines()
    assert rows[0].split() == ["AMAZON", "ID", "ARN", "FINGERPRINT", "TAGS"]
    assert [row.split()[0] for row in rows[1:]] == amazon_ids
    pages = [e["query"].get("nextToken") for e in emulator.log if e["operation"] == LIST]
    assert len(pages) == 3
    assert pages[0] is None and all(pages[1:])
    assert emulator.calls().count(LIST_TAGS) == 25


def test_discover_shows_the_tags_of_each_association(emulator: Any, iotwireless: Any) -> None:
    """Each row carries the association's live tags, read with ListTagsForResource."""
    arn = associate(iotwireless, EXAMPLE, {"team": "iot", "environment": "dev"})
    associate(iotwireless, "amzn1.account.UNTAGGED")
    run = discover(emulator)
    assert run.returncode == 0, run.stderr
    [example] = [row for row in run.stdout.splitlines() if row.startswith(EXAMPLE)]
    assert arn in example
    assert example.endswith("environment=dev, team=iot")
    [untagged] = [row for row in run.stdout.splitlines() if row.startswith("amzn1.account.UNTAGGED")]
    assert untagged.endswith(" -")


def test_discover_without_associations_says_so(emulator: Any) -> None:
    """An account with no association gets one sentence naming the region, not an empty table."""
    run = discover(emulator, "--region", "us-east-1")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "No Sidewalk account is associated with this AWS account in us-east-1."


def test_discover_outside_sidewalk_regions_names_the_region(emulator: Any) -> None:
    """In a region without Sidewalk, discover fails in one sentence naming that region and us-east-1."""
    run = discover(emulator, "--region", "us-west-2")
    assert run.returncode == 1
    assert run.stdout == ""
    [sentence] = run.stderr.splitlines()
    assert sentence.startswith("ListPartnerAccounts failed in us-west-2 (AccessDeniedException")
    assert "region us-west-2 is the likely cause: set region to us-east-1" in sentence


def test_emit_config_prints_the_adoption_commands_without_a_key(emulator: Any, iotwireless: Any) -> None:
    """--emit-config prints config set commands for region, AmazonId, adoptExisting and tags, and no key."""
    associate(iotwireless, EXAMPLE, {"team": "iot", "environment": "dev"})
    run = discover(emulator, "--emit-config", EXAMPLE)
    assert run.returncode == 0, run.stderr
    commands = [line for line in run.stdout.splitlines() if line.startswith("pulumi ")]
    assert commands == [
        "pulumi config set aws:region us-east-1",
        f"pulumi config set sidewalk:amazonId {EXAMPLE}",
        "pulumi config set sidewalk:adoptExisting true",
        """pulumi config set sidewalk:tags '{"environment": "dev", "team": "iot"}'""",
        "pulumi config set --secret sidewalk:appServerPrivateKey  # <your key>",
    ]
    assert_no_key(run.stdout + run.stderr)


def test_emit_config_without_an_amazon_id_covers_every_association(emulator: Any, iotwireless: Any) -> None:
    """--emit-config alone prints one block of commands per association, across pages."""
    amazon_ids = [f"amzn1.account.B{i:02d}" for i in range(12)]
    for amazon_id in amazon_ids:
        associate(iotwireless, amazon_id)
    run = discover(emulator, "--emit-config")
    assert run.returncode == 0, run.stderr
    configured = [line.split()[-1] for line in run.stdout.splitlines() if "sidewalk:amazonId" in line]
    assert configured == amazon_ids


def test_emit_config_of_an_unknown_amazon_id_fails(emulator: Any, iotwireless: Any) -> None:
    """--emit-config of an AmazonId that has no association fails in one sentence and prints nothing."""
    associate(iotwireless, EXAMPLE)
    run = discover(emulator, "--emit-config", "amzn1.account.NOPE")
    assert run.returncode == 1
    assert run.stdout == ""
    assert "'amzn1.account.NOPE'" in run.stderr
    assert len(run.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "key",
    [pytest.param(KEY, id="same-key"), pytest.param(OTHER_KEY, id="rotated-key")],
)
def test_emitted_commands_adopt_the_association_through_the_program(
    tmp_path: Path, emulator: Any, iotwireless: Any, key: str
) -> None:
    """The emitted commands, run as written, make `pulumi up` adopt the association and keep its tags."""
    tags = {"team": "iot", "environment": "dev"}
    arn = associate(iotwireless, EXAMPLE, tags)
    run = discover(emulator, "--emit-config", EXAMPLE)
    assert run.returncode == 0, run.stderr
    stack = Stack(tmp_path, emulator_env(emulator.url))
    for line in run.stdout.splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        assert words[:3] == ["pulumi", "config", "set"]
        secret = "--secret" in words
        name, *value = [w for w in words[3:] if w != "--secret"]
        # The key line has no value: the CLI prompts for it, and the person types their key.
        stack.set_config(name, value[0] if value else key, secret=secret)
    emulator.clear_log()
    up = stack.run("up")
    assert up.returncode == 0, up.stderr
    assert up.ops() == [("create", "sidewalk")]
    # Adoption: the Associate conflicts, the owner tag is read, then key, read-back and owner tag.
    assert emulator.calls() == TAKE_OVER_CALLS
    assert live_tags(iotwireless, arn) == tags
    assert up.outputs["partnerAccountArn"] == arn
