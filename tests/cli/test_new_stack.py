"""A new stack through the real CLI: preview calls nothing, up associates, outputs keep the contract."""

from __future__ import annotations

from tests.cli.project import PulumiProject
from tests.emulator import Emulator
from tests.operations import CREATE_CALLS
from tests.support import STACK_AMAZON_ID

STACK_OUTPUTS = {"partnerAccountArn", "amazonId", "fingerprint", "accountLinked", "region"}


def test_preview_of_a_new_stack_plans_one_create_and_calls_nothing(
    project: PulumiProject, emulator: Emulator
) -> None:
    """`pulumi preview` on a new stack plans one PartnerAccount create and makes no AWS call."""
    preview = project.run("preview", "--json").json()
    ops = {step["urn"].rsplit("::", 1)[-1]: step["op"] for step in preview["steps"]}
    assert ops == {"sidewalk-partner-account-dev": "create", "sidewalk": "create"}
    assert preview["changeSummary"] == {"create": 2}
    assert emulator.calls() == []


def test_up_associates_then_reads_and_exports_the_contract_outputs(
    project: PulumiProject, emulator: Emulator
) -> None:
    """`pulumi up` makes the create's three calls, and `pulumi stack output --json` is the contract's."""
    project.run("up", "--yes", "--skip-preview")
    assert emulator.calls() == CREATE_CALLS
    [association] = emulator.backend.associations()
    outputs = project.outputs()
    assert set(outputs) == STACK_OUTPUTS
    assert outputs["amazonId"] == STACK_AMAZON_ID
    assert outputs["region"] == "us-east-1"
    assert outputs["partnerAccountArn"] == association["Arn"]
    assert outputs["fingerprint"] == association["Fingerprint"]
    assert outputs["accountLinked"] is False
