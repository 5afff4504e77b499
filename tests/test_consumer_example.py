"""examples/consumer: another stack reads this one's outputs through a StackReference, under mocks.

tests/cli/test_stack_reference.py runs the same example through the real CLI, as the README says.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings

from tests.engine.provider import PROJECT_ROOT
from tests.support import program_outputs

EXAMPLE = PROJECT_ROOT / "examples" / "consumer"
PRODUCER_STACK = "organization/sidewalk-partner-account/dev"
PRODUCER_OUTPUTS = {
    "partnerAccountArn": "arn:aws:iotwireless:us-east-1:123456789012:SidewalkAccount/amzn1.account.EXAMPLE",
    "amazonId": "amzn1.account.EXAMPLE",
    "fingerprint": "f3aaec9c1ef8a0bc574e4bed67553e298c1cad01c3ca819738353e9b2a8a7f63",
    "accountLinked": False,
    "region": "us-east-1",
}

registered: list[pulumi.runtime.MockResourceArgs] = []


class Mocks(pulumi.runtime.Mocks):
    """Play the producer's stack through its StackReference; any other resource is recorded."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        registered.append(args)
        if args.typ == "pulumi:pulumi:StackReference":
            return args.name, {"name": args.name, "outputs": PRODUCER_OUTPUTS, "secretOutputNames": []}
        return f"{args.name}-id", {**args.inputs, "arn": f"arn:aws:iam::123456789012:policy/{args.name}"}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        raise AssertionError(f"the example makes no invoke, but called {args.token}")


@pytest.fixture(autouse=True)
def mocks() -> None:
    registered.clear()
    settings.ROOT.set(None)  # type: ignore[attr-defined]
    pulumi.runtime.set_all_config({"sidewalk-consumer:producerStack": PRODUCER_STACK}, [])
    pulumi.runtime.set_mocks(Mocks(), project="sidewalk-consumer", stack="dev", preview=False)


def registered_of(typ: str) -> list[pulumi.runtime.MockResourceArgs]:
    return [args for args in registered if args.typ == typ]


@pulumi.runtime.test
def test_consumer_reads_the_producer_stack_named_in_config() -> pulumi.Output[None]:
    """The example references the stack named by producerStack, and re-exports its ARN."""
    outputs = program_outputs(EXAMPLE)

    def check(arn: str) -> None:
        [reference] = registered_of("pulumi:pulumi:StackReference")
        assert reference.name == PRODUCER_STACK
        assert arn == PRODUCER_OUTPUTS["partnerAccountArn"]

    return outputs["partnerAccountArn"].apply(check)


@pulumi.runtime.test
def test_consumer_exports_the_contract_outputs_it_reads() -> pulumi.Output[None]:
    """The ARN, fingerprint and AmazonId come out as the producer exported them."""
    outputs = program_outputs(EXAMPLE)
    names = ("partnerAccountArn", "fingerprint", "amazonId")

    def check(values: list[Any]) -> None:
        assert sorted(outputs) == sorted(names)
        assert dict(zip(names, values, strict=True)) == {name: PRODUCER_OUTPUTS[name] for name in names}

    return pulumi.Output.all(*(outputs[name] for name in names)).apply(check)


@pulumi.runtime.test
def test_consumer_makes_no_resource_so_needs_no_plugin() -> pulumi.Output[None]:
    """Besides its StackReference, the example registers nothing: it runs offline through the real CLI."""
    outputs = program_outputs(EXAMPLE)

    def check(_: Any) -> None:
        assert {args.typ for args in registered} == {"pulumi:pulumi:StackReference"}

    return outputs["amazonId"].apply(check)


def requirement_lines(path: Any) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")]


def test_consumer_requirements_match_the_project_pins() -> None:
    """The example pins pulumi to the same range as the project, and needs nothing else."""
    project = {line.split(">=")[0]: line for line in requirement_lines(PROJECT_ROOT / "requirements.txt")}
    assert requirement_lines(EXAMPLE / "requirements.txt") == [project["pulumi"]]
