"""The PartnerAccount resource and the program under Pulumi's unit-test mocks."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings

from providers.partner_account import PartnerAccountProvider
from tests.engine import wire
from tests.engine.provider import PROJECT_ROOT
from tests.support import KEY, assert_pickled_by_reference, program_outputs

registered: list[pulumi.runtime.MockResourceArgs] = []


class Mocks(pulumi.runtime.Mocks):
    """Answer a PartnerAccount the way the provider does: inputs echoed, AWS outputs added."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        registered.append(args)
        amazon_id = args.inputs["amazonId"]
        outputs = {
            **args.inputs,
            "region": args.inputs.get("region", "us-east-1"),
            "arn": f"arn:aws:iotwireless:us-east-1:123456789012:SidewalkAccount/{amazon_id}",
            "fingerprint": "f" * 64,
            "accountLinked": False,
            "partnerAccountId": amazon_id,
        }
        return amazon_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture(autouse=True)
def mocks() -> None:
    registered.clear()
    settings.ROOT.set(None)  # type: ignore[attr-defined]
    pulumi.runtime.set_all_config(
        {
            "sidewalk:amazonId": "amzn1.account.UNIT",
            "sidewalk:appServerPrivateKey": KEY,
            "sidewalk:tags": '{"team": "iot"}',
        },
        ["sidewalk:appServerPrivateKey"],
    )
    pulumi.runtime.set_mocks(Mocks(), project="sidewalk-partner-account", stack="unit", preview=False)


@pulumi.runtime.test
def test_program_exports_the_contract_outputs_without_the_key() -> pulumi.Output[None]:
    """The program exports exactly the contract's stack outputs, none secret and none the key."""
    outputs = program_outputs(PROJECT_ROOT)
    assert set(outputs) == {"partnerAccountArn", "amazonId", "fingerprint", "accountLinked", "region"}

    def check(values: list[Any]) -> None:
        for value in values:
            assert KEY not in str(value)
        assert values[0] == "arn:aws:iotwireless:us-east-1:123456789012:SidewalkAccount/amzn1.account.UNIT"

    names = sorted(outputs, key=lambda n: n != "partnerAccountArn")
    return pulumi.Output.all(*[outputs[n] for n in names]).apply(check)


@pulumi.runtime.test
def test_program_registers_one_partner_account_with_the_config() -> pulumi.Output[None]:
    """The program registers one PartnerAccount of the contract's type token, from the stack config."""
    outputs = program_outputs(PROJECT_ROOT)

    def check(_: Any) -> None:
        [args] = registered
        assert args.typ == "pulumi-python:dynamic/iotwireless:PartnerAccount"
        assert args.inputs["amazonId"] == "amzn1.account.UNIT"
        assert args.inputs["tags"] == {"team": "iot"}
        # The key reaches the engine wrapped as a secret.
        assert args.inputs["appServerPrivateKey"] == {wire.SIG_KEY: wire.SECRET_SIG, "value": KEY}

    return outputs["amazonId"].apply(check)


@pulumi.runtime.test
def test_component_marks_the_key_secret() -> pulumi.Output[None]:
    """The key given as plain text still leaves the resource as a secret output."""
    from components.partner_account import PartnerAccount, PartnerAccountArgs

    account = PartnerAccount(
        "unit", PartnerAccountArgs(amazon_id="amzn1.account.X", app_server_private_key=KEY)
    )

    def check(secret: bool) -> None:
        assert secret

    return pulumi.Output.from_input(account.__dict__["appServerPrivateKey"].is_secret()).apply(check)


def test_provider_pickles_by_reference_and_small() -> None:
    """The pickled provider names the importable class instead of carrying bytecode."""
    assert_pickled_by_reference(PartnerAccountProvider(), "providers.partner_account")


@pulumi.runtime.test
def test_optional_inputs_reach_the_engine_only_when_set() -> pulumi.Output[None]:
    """clientRequestToken and adoptExisting are sent when given, and left to check when not."""
    from components.partner_account import PartnerAccount, PartnerAccountArgs

    given = PartnerAccount(
        "given",
        PartnerAccountArgs(
            amazon_id="amzn1.account.GIVEN",
            app_server_private_key=KEY,
            client_request_token="my-token",
            adopt_existing=False,
        ),
    )
    omitted = PartnerAccount(
        "omitted", PartnerAccountArgs(amazon_id="amzn1.account.OMITTED", app_server_private_key=KEY)
    )

    def check(_: Any) -> None:
        inputs = {args.name: args.inputs for args in registered}
        assert inputs["given"]["clientRequestToken"] == "my-token"
        assert inputs["given"]["adoptExisting"] is False
        assert "clientRequestToken" not in inputs["omitted"]
        assert "adoptExisting" not in inputs["omitted"]

    return pulumi.Output.all(given.arn, omitted.arn).apply(check)
