"""Changes made outside Pulumi: `pulumi refresh` shows them, and the `pulumi up` after it converges."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.cli.project import CliRun, PulumiProject
from tests.emulator import Emulator
from tests.operations import ASSOCIATE, GET, LIST_TAGS, UNTAG, UPDATE
from tests.support import OTHER_KEY, PARTNER_ACCOUNT_TYPE, STACK_AMAZON_ID, assert_no_key, user_tags

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

# The tags of the `project` fixture's config.
CONFIG_TAGS = {"team": "iot"}

Drift = Callable[["IoTWirelessClient", str], None]


def add_tag_outside(iotwireless: IoTWirelessClient, arn: str) -> None:
    """Tag the association outside Pulumi."""
    iotwireless.tag_resource(ResourceArn=arn, Tags=[{"Key": "outside", "Value": "yes"}])


def rotate_key_outside(iotwireless: IoTWirelessClient, arn: str) -> None:
    """Set another application server key on the association outside Pulumi."""
    iotwireless.update_partner_account(
        Sidewalk={"AppServerPrivateKey": OTHER_KEY}, PartnerAccountId=STACK_AMAZON_ID, PartnerType="Sidewalk"
    )


def disassociate_outside(iotwireless: IoTWirelessClient, arn: str) -> None:
    """Disassociate the Sidewalk account outside Pulumi."""
    iotwireless.disassociate_aws_account_from_partner_account(
        PartnerAccountId=STACK_AMAZON_ID, PartnerType="Sidewalk"
    )


DRIFTS = [
    pytest.param(add_tag_outside, [UNTAG], id="tag-added"),
    pytest.param(rotate_key_outside, [UPDATE, GET], id="key-rotated"),
    # The token went with another owner tag before: refused, nothing associated, so associated anew.
    pytest.param(disassociate_outside, [ASSOCIATE, GET, ASSOCIATE, GET], id="disassociated"),
]


def refresh(project: PulumiProject) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run `pulumi refresh --yes --json`; return its preview document and the refresh's engine events."""
    return split_refresh_output(project.run("refresh", "--yes", "--json"))


def split_refresh_output(run: CliRun) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the JSON document, then the one-per-line events, that `pulumi refresh --json` prints."""
    # Not one document, unlike `preview --json`: the refresh's preview, then its engine events.
    preview, end = json.JSONDecoder().raw_decode(run.stdout)
    events = [json.loads(line) for line in run.stdout[end:].splitlines() if line.strip()]
    return preview, events


def account_outputs_event(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the metadata of the refresh's one resOutputsEvent for the PartnerAccount."""
    [metadata] = [
        e["resOutputsEvent"]["metadata"]
        for e in events
        if "resOutputsEvent" in e and e["resOutputsEvent"]["metadata"]["type"] == PARTNER_ACCOUNT_TYPE
    ]
    return dict(metadata)


def summary(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the refresh's summaryEvent."""
    [event] = [e["summaryEvent"] for e in events if "summaryEvent" in e]
    return dict(event)


@pytest.fixture
def project(deployed: PulumiProject) -> PulumiProject:
    """Return the stack every test here starts from: the configured one, deployed, log empty."""
    return deployed


@pytest.fixture
def association(project: PulumiProject, emulator: Emulator) -> dict[str, Any]:
    """Return the deployed stack's association as the emulator holds it."""
    [association] = emulator.backend.associations()
    return association


def test_refresh_without_outside_changes_reports_nothing(
    project: PulumiProject, association: dict[str, Any]
) -> None:
    """`pulumi refresh` of a stack nobody changed outside Pulumi leaves both resources the same."""
    preview, events = refresh(project)
    assert summary(events)["resourceChanges"] == {"same": 2}
    assert preview["changeSummary"] == {"same": 2}


def test_refresh_shows_a_tag_added_outside_as_an_update(
    project: PulumiProject, association: dict[str, Any], iotwireless: IoTWirelessClient
) -> None:
    """`pulumi refresh` updates the PartnerAccount's state with a tag added outside Pulumi."""
    add_tag_outside(iotwireless, association["Arn"])
    preview, events = refresh(project)
    event = account_outputs_event(events)
    assert event["op"] == "update"
    assert event["old"]["outputs"]["tags"] == CONFIG_TAGS
    assert event["new"]["outputs"]["tags"] == {**CONFIG_TAGS, "outside": "yes"}
    assert summary(events)["resourceChanges"] == {"same": 1, "update": 1}
    assert preview["changeSummary"] == {"same": 1, "update": 1}


def test_refresh_shows_a_key_rotated_outside_as_an_update(
    project: PulumiProject, association: dict[str, Any], emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """`pulumi refresh` records the new fingerprint of a key set outside Pulumi and drops the old key."""
    rotate_key_outside(iotwireless, association["Arn"])
    [rotated] = emulator.backend.associations()
    _, events = refresh(project)
    event = account_outputs_event(events)
    assert event["op"] == "update"
    assert event["old"]["outputs"]["fingerprint"] == association["Fingerprint"]
    assert event["new"]["outputs"]["fingerprint"] == rotated["Fingerprint"] != association["Fingerprint"]
    # Forgetting the key is what makes the next `pulumi up` set it again.
    assert "appServerPrivateKey" in event["old"]["outputs"]
    assert "appServerPrivateKey" not in event["new"]["outputs"]
    assert summary(events)["resourceChanges"] == {"same": 1, "update": 1}


def test_refresh_shows_an_association_removed_outside_as_a_delete(
    project: PulumiProject, association: dict[str, Any], iotwireless: IoTWirelessClient
) -> None:
    """`pulumi refresh` deletes from the state an association disassociated outside Pulumi."""
    disassociate_outside(iotwireless, association["Arn"])
    preview, events = refresh(project)
    event = account_outputs_event(events)
    assert event["op"] == "delete"
    assert event["new"] is None
    assert summary(events)["resourceChanges"] == {"delete": 1, "same": 1}
    [step] = [s for s in preview["steps"] if s["urn"].endswith(f"::{PARTNER_ACCOUNT_TYPE}::sidewalk")]
    assert step["op"] == "delete"
    assert project.resources(PARTNER_ACCOUNT_TYPE) == []


@pytest.mark.parametrize(("drift", "up_calls"), DRIFTS)
def test_refresh_only_reads(
    project: PulumiProject,
    association: dict[str, Any],
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    drift: Drift,
    up_calls: list[str],
) -> None:
    """`pulumi refresh` makes only read calls and leaves the change made outside in place."""
    drift(iotwireless, association["Arn"])
    before = emulator.backend.associations()
    emulator.clear_log()
    refresh(project)
    assert emulator.calls()
    assert set(emulator.calls()) <= {GET, LIST_TAGS}
    assert emulator.backend.associations() == before


@pytest.mark.parametrize(
    ("drift", "shown"),
    [
        pytest.param(add_tag_outside, ["~ tags", '- outside: "yes"'], id="tag"),
        pytest.param(rotate_key_outside, ["+ appServerPrivateKey", "+ appServerPrivateKeyDigest"], id="key"),
    ],
)
def test_preview_after_refresh_names_what_up_will_change(
    project: PulumiProject,
    association: dict[str, Any],
    iotwireless: IoTWirelessClient,
    drift: Drift,
    shown: list[str],
) -> None:
    """After a refresh of a change made outside, `pulumi preview --diff` names the properties it sets back."""
    drift(iotwireless, association["Arn"])
    refresh(project)
    preview = project.run("preview", "--diff").stdout
    assert "~ update" in preview or "~ pulumi-python:dynamic/iotwireless:PartnerAccount" in preview
    for line in shown:
        assert line in preview, preview
    assert_no_key(preview)


@pytest.mark.parametrize(("drift", "up_calls"), DRIFTS)
def test_up_after_refresh_converges_on_the_config(
    project: PulumiProject,
    association: dict[str, Any],
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    drift: Drift,
    up_calls: list[str],
) -> None:
    """`pulumi up` after `pulumi refresh` restores one association as configured, then plans nothing."""
    drift(iotwireless, association["Arn"])
    refresh(project)
    emulator.clear_log()
    project.run("up", "--yes", "--skip-preview")
    assert emulator.calls() == up_calls
    [converged] = emulator.backend.associations()
    assert user_tags(converged["Tags"]) == CONFIG_TAGS
    # The fingerprint is a function of the key: the configured key is back.
    assert converged["Fingerprint"] == association["Fingerprint"]
    outputs = project.outputs()
    assert outputs["partnerAccountArn"] == converged["Arn"]
    assert outputs["fingerprint"] == association["Fingerprint"]
    run = project.run("preview", "--expect-no-changes", check=False)
    assert run.returncode == 0, run.output
