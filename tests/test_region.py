"""Regions other than us-east-1: a warning at preview, and an AccessDenied that names the region."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings

from components.partner_account import PartnerAccount, PartnerAccountArgs
from tests.engine.engine import Engine, EngineError
from tests.support import KEY, Stack, emulator_env, partner_account

WARNING = "is not one Amazon Sidewalk is served from (us-east-1)"


class Mocks(pulumi.runtime.Mocks):
    """Echo the inputs of every resource."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def preview_with(config: dict[str, str]) -> None:
    """Reset Pulumi's runtime to a preview under mocks with this stack config."""
    settings.ROOT.set(None)  # type: ignore[attr-defined]
    pulumi.runtime.set_all_config(config, [])
    pulumi.runtime.set_mocks(Mocks(), project="sidewalk-partner-account", stack="unit", preview=True)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return what the program sent to the CLI's warning channel; the mocks log it."""
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def account(region: pulumi.Input[str] | None = None) -> pulumi.Output[None]:
    resource = PartnerAccount(
        "sidewalk",
        PartnerAccountArgs(amazon_id="amzn1.account.REGION", app_server_private_key=KEY, region=region),
    )
    return resource.amazon_id.apply(lambda _: None)


def test_region_input_outside_us_east_1_warns(caplog: pytest.LogCaptureFixture) -> None:
    """A region input of us-west-2 logs one warning naming us-west-2 and us-east-1."""
    caplog.set_level(logging.WARNING)
    preview_with({})
    pulumi.runtime.test(lambda: account("us-west-2"))()
    [message] = warnings_of(caplog)
    assert "region us-west-2 " + WARNING in message
    assert "set aws:region (or the region input) to us-east-1" in message


def test_region_output_outside_us_east_1_warns(caplog: pytest.LogCaptureFixture) -> None:
    """A region given as an output (another resource's, say) is warned about once it is known."""
    caplog.set_level(logging.WARNING)
    preview_with({"aws:region": "us-east-1"})

    pulumi.runtime.test(lambda: account(pulumi.Output.from_input("eu-central-1")))()
    [message] = warnings_of(caplog)
    assert "region eu-central-1 " + WARNING in message


def test_us_east_1_does_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    """The region Sidewalk is served from gets no warning."""
    caplog.set_level(logging.WARNING)
    preview_with({"aws:region": "us-east-1"})
    pulumi.runtime.test(lambda: account())()
    assert warnings_of(caplog) == []


def test_stack_region_outside_us_east_1_warns(caplog: pytest.LogCaptureFixture) -> None:
    """Without a region input, an `aws:region` of eu-west-1 is the region warned about."""
    caplog.set_level(logging.WARNING)
    preview_with({"aws:region": "eu-west-1"})
    pulumi.runtime.test(lambda: account())()
    [message] = warnings_of(caplog)
    assert "region eu-west-1 " + WARNING in message


def test_aws_region_variable_outside_us_east_1_warns(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a region input or `aws:region`, AWS_REGION is the region warned about."""
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    caplog.set_level(logging.WARNING)
    preview_with({})
    pulumi.runtime.test(lambda: account())()
    [message] = warnings_of(caplog)
    assert "region ap-southeast-2 " + WARNING in message


def test_preview_in_another_region_warns_and_succeeds(tmp_path: Path, emulator: Any) -> None:
    """`pulumi preview` of the program in us-west-2 succeeds, plans a create and prints the warning."""
    stack = Stack(tmp_path, emulator_env(emulator.url))
    stack.set_config("aws:region", "us-west-2")
    stack.set_config("sidewalk:amazonId", "amzn1.account.WEST")
    stack.set_config("sidewalk:appServerPrivateKey", KEY, secret=True)
    run = stack.run("preview")
    assert run.returncode == 0, run.stderr
    assert run.ops() == [("create", "sidewalk")]
    assert "region us-west-2 " + WARNING in run.stderr
    assert emulator.calls() == []


def test_access_denied_outside_us_east_1_names_the_region(engine: Engine, emulator: Any) -> None:
    """The AccessDenied AWS answers in us-west-2 fails the create naming us-west-2 and us-east-1."""
    with pytest.raises(EngineError) as exc:
        engine.up([partner_account(region="us-west-2")])
    assert exc.value.op == "create"
    message = exc.value.message
    assert "AssociateAwsAccountWithPartnerAccount failed for Sidewalk account" in message
    assert "in us-west-2 (AccessDeniedException" in message
    assert "Sidewalk is served from us-east-1, so region us-west-2 is the likely cause" in message
    assert "set region to us-east-1" in message
    assert [(e["operation"], e["region"], e["status"]) for e in emulator.log] == [
        ("AssociateAwsAccountWithPartnerAccount", "us-west-2", 403)
    ]
