"""SidewalkIntegration and the program's opt-in, under Pulumi's unit-test mocks (no provider runs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest
from pulumi.runtime import mocks, settings

from components.partner_account import PartnerAccountArgs
from components.sidewalk import (
    INTEGRATION_TYPE,
    InvokeLambda,
    Republish,
    SidewalkIntegration,
    SidewalkIntegrationArgs,
    default_destination_name,
)
from tests.engine import wire
from tests.engine.provider import PROJECT_ROOT
from tests.support import DESTINATION_TYPE, KEY, PARTNER_ACCOUNT_TYPE, program_outputs

ACCOUNT_ID = "123456789012"
ROLE_TYPE = "aws:iam/role:Role"
RULE_TYPE = "aws:iot/topicRule:TopicRule"
PERMISSION_TYPE = "aws:lambda/permission:Permission"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:decode-uplinks"
TOPIC = "sidewalk/uplinks"
# The default Destination and rule names of "sidewalk" in project sidewalk-partner-account, stack unit.
DEFAULT_NAME = "sidewalk-partner-account-unit-sidewalk"
DEFAULT_RULE = "sidewalk_partner_account_unit_sidewalk"
IOT_ARN = f"arn:aws:iot:us-east-1:{ACCOUNT_ID}"


@dataclass
class Registered:
    """One RegisterResource request as the engine would receive it, secrets marked."""

    type: str
    name: str
    urn: str
    parent: str
    inputs: dict[str, Any]
    request: Any


class Recorder(mocks.MockMonitor):
    """The mock monitor, keeping every registration and every component's outputs."""

    def __init__(self) -> None:
        super().__init__(Mocks())
        self.registered: list[Registered] = []
        self.outputs: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = wire.from_struct(request.object)
        self.registered.append(
            Registered(request.type, request.name, response.urn, request.parent, inputs, request)
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.outputs[request.urn] = wire.from_struct(request.outputs)
        return super().RegisterResourceOutputs(request)

    def one(self, type_: str, name: str | None = None) -> Registered:
        """Return the only registration of a type (and name)."""
        (found,) = [r for r in self.registered if r.type == type_ and name in (None, r.name)]
        return found


class Mocks(pulumi.runtime.Mocks):
    """Answer each resource as its provider would: inputs echoed, computed outputs added."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ == PARTNER_ACCOUNT_TYPE:
            outputs["region"] = args.inputs.get("region", "us-east-1")
            outputs["arn"] = (
                f"arn:aws:iotwireless:us-east-1:{ACCOUNT_ID}:SidewalkAccount/{args.inputs['amazonId']}"
            )
            outputs |= {"fingerprint": "f" * 64, "accountLinked": False}
        elif args.typ == DESTINATION_TYPE:
            outputs["arn"] = f"arn:aws:iotwireless:us-east-1:{ACCOUNT_ID}:Destination/{args.inputs['name']}"
        elif args.typ == ROLE_TYPE:
            outputs["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{args.name}"
        elif args.typ == RULE_TYPE:
            outputs["arn"] = f"{IOT_ARN}:rule/{args.inputs['name']}"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        raise AssertionError(f"the integration makes no invoke, but called {args.token}")


def account_args() -> PartnerAccountArgs:
    return PartnerAccountArgs(
        amazon_id="amzn1.account.UNIT", app_server_private_key=KEY, tags={"team": "iot"}, region="us-east-1"
    )


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A fresh Pulumi runtime whose monitor records what the program registers."""
    settings.ROOT.set(None)  # type: ignore[attr-defined]
    recorder = Recorder()
    pulumi.runtime.set_all_config({"sidewalk:amazonId": "amzn1.account.UNIT"})
    mocks.set_mocks(
        Mocks(), project="sidewalk-partner-account", stack="unit", preview=False, monitor=recorder
    )
    yield recorder
    settings.ROOT.set(None)  # type: ignore[attr-defined]


def deploy(uplink: Republish | InvokeLambda, destination_name: str | None = None) -> None:
    """Build one integration under the mocks and wait until every registration is done."""

    @pulumi.runtime.test
    def program() -> None:
        SidewalkIntegration(
            "sidewalk",
            SidewalkIntegrationArgs(account=account_args(), uplink=uplink, destination_name=destination_name),
        )

    program()


def policy(registered: Registered, field: str = "assumeRolePolicy") -> dict[str, Any]:
    """Parse a role's trust policy, or with field "inlinePolicies" its one inline policy."""
    if field == "inlinePolicies":
        (inline,) = registered.inputs["inlinePolicies"]
        return dict(json.loads(inline["policy"]))
    return dict(json.loads(registered.inputs[field]))


@pytest.mark.parametrize(
    "uplink", [Republish(TOPIC), InvokeLambda(FUNCTION_ARN)], ids=["republish", "lambda"]
)
def test_every_child_is_parented_to_the_component(
    recorder: Recorder, uplink: Republish | InvokeLambda
) -> None:
    """Every resource the integration creates has the component as its parent."""
    deploy(uplink)
    component = recorder.one(INTEGRATION_TYPE)
    children = [r for r in recorder.registered if r is not component]
    expected = {PARTNER_ACCOUNT_TYPE, ROLE_TYPE, RULE_TYPE, DESTINATION_TYPE}
    expected.add(PERMISSION_TYPE if isinstance(uplink, InvokeLambda) else ROLE_TYPE)
    assert {c.type for c in children} == expected
    assert len(children) == 5
    assert {c.parent for c in children} == {component.urn}


def test_the_association_keeps_the_bare_programs_identity(recorder: Recorder) -> None:
    """The association is aliased to the parentless one, so turning the integration on replaces nothing."""
    deploy(Republish(TOPIC))
    account = recorder.one(PARTNER_ACCOUNT_TYPE)
    assert account.name == "sidewalk"
    (alias,) = account.request.aliases
    assert alias.spec.noParent
    assert alias.spec.name in ("", "sidewalk")


def test_destination_role_is_trusted_by_iot_wireless_alone(recorder: Recorder) -> None:
    """The destination's role may be assumed by iotwireless.amazonaws.com and by nothing else."""
    deploy(Republish(TOPIC))
    role = recorder.one(ROLE_TYPE, "sidewalk-destination")
    assert policy(role)["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "iotwireless.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]


def test_destination_role_may_only_reach_the_rule(recorder: Recorder) -> None:
    """The destination's role may describe the endpoint and publish to the rule's Basic Ingest topic only."""
    deploy(Republish(TOPIC))
    role = recorder.one(ROLE_TYPE, "sidewalk-destination")
    assert policy(role, "inlinePolicies")["Statement"] == [
        {"Effect": "Allow", "Action": "iot:DescribeEndpoint", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "iot:Publish",
            "Resource": f"{IOT_ARN}:topic/$aws/rules/{DEFAULT_RULE}",
        },
    ]


def test_republish_rule_publishes_to_the_topic_through_its_own_role(recorder: Recorder) -> None:
    """With Republish, the rule republishes to the topic as a role that may publish there alone."""
    deploy(Republish(TOPIC))
    rule = recorder.one(RULE_TYPE)
    republish_role = recorder.one(ROLE_TYPE, "sidewalk-republish")
    assert rule.inputs["republishes"] == [
        {"roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/sidewalk-republish", "topic": TOPIC}
    ]
    assert "lambdas" not in rule.inputs
    assert policy(republish_role, "inlinePolicies")["Statement"] == [
        {"Effect": "Allow", "Action": "iot:Publish", "Resource": f"{IOT_ARN}:topic/{TOPIC}"}
    ]


def test_republish_role_is_trusted_by_this_rule_only(recorder: Recorder) -> None:
    """The republish role may be assumed by AWS IoT acting for this account's rule, and no other."""
    deploy(Republish(TOPIC))
    (statement,) = policy(recorder.one(ROLE_TYPE, "sidewalk-republish"))["Statement"]
    assert statement["Principal"] == {"Service": "iot.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"{IOT_ARN}:rule/{DEFAULT_RULE}"},
    }


def test_lambda_rule_invokes_the_function_and_is_allowed_to(recorder: Recorder) -> None:
    """With InvokeLambda, the rule invokes the function, which lets this rule alone invoke it."""
    deploy(InvokeLambda(FUNCTION_ARN))
    rule = recorder.one(RULE_TYPE)
    assert rule.inputs["lambdas"] == [{"functionArn": FUNCTION_ARN}]
    assert "republishes" not in rule.inputs
    assert [r.name for r in recorder.registered if r.type == ROLE_TYPE] == ["sidewalk-destination"]
    permission = recorder.one(PERMISSION_TYPE)
    assert {
        k: permission.inputs[k] for k in ("action", "function", "principal", "sourceArn", "sourceAccount")
    } == {
        "action": "lambda:InvokeFunction",
        "function": FUNCTION_ARN,
        "principal": "iot.amazonaws.com",
        "sourceArn": f"{IOT_ARN}:rule/{DEFAULT_RULE}",
        "sourceAccount": ACCOUNT_ID,
    }


def test_rule_takes_every_uplink_in_the_associations_region(recorder: Recorder) -> None:
    """The rule is enabled, selects everything and lives in the association's region."""
    deploy(Republish(TOPIC))
    rule = recorder.one(RULE_TYPE)
    assert {k: rule.inputs[k] for k in ("name", "enabled", "sql", "sqlVersion", "region")} == {
        "name": DEFAULT_RULE,
        "enabled": True,
        "sql": "SELECT *",
        "sqlVersion": "2016-03-23",
        "region": "us-east-1",
    }


def test_destination_points_at_the_rule_by_name(recorder: Recorder) -> None:
    """The destination sends to the rule by its name (RuleName) as the destination's role."""
    deploy(Republish(TOPIC), destination_name="fleet-a")
    destination = recorder.one(DESTINATION_TYPE)
    assert recorder.one(RULE_TYPE).inputs["name"] == "fleet_a"
    assert {
        k: destination.inputs[k] for k in ("name", "expression", "expressionType", "roleArn", "region")
    } == {
        "name": "fleet-a",
        "expression": "fleet_a",
        "expressionType": "RuleName",
        "roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/sidewalk-destination",
        "region": "us-east-1",
    }


def test_association_tags_apply_to_every_taggable_child(recorder: Recorder) -> None:
    """The association's tags are also the tags of the roles, the rule and the destination."""
    deploy(Republish(TOPIC))
    tagged = [r for r in recorder.registered if r.type in (ROLE_TYPE, RULE_TYPE, DESTINATION_TYPE)]
    assert len(tagged) == 4
    assert all(r.inputs["tags"] == {"team": "iot"} for r in tagged)


def test_component_registers_the_integration_outputs(recorder: Recorder) -> None:
    """The component registers the association's outputs, the destination name, the rule and role ARNs."""
    deploy(Republish(TOPIC))
    outputs = recorder.outputs[recorder.one(INTEGRATION_TYPE).urn]
    assert outputs == {
        "partnerAccountArn": f"arn:aws:iotwireless:us-east-1:{ACCOUNT_ID}:SidewalkAccount/amzn1.account.UNIT",
        "amazonId": "amzn1.account.UNIT",
        "fingerprint": "f" * 64,
        "accountLinked": False,
        "region": "us-east-1",
        "destinationName": DEFAULT_NAME,
        "ruleArn": f"{IOT_ARN}:rule/{DEFAULT_RULE}",
        "roleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/sidewalk-destination",
    }


def test_the_key_leaves_only_as_the_associations_secret_input(recorder: Recorder) -> None:
    """The key reaches the engine only as the association's secret input, in no other input or output."""
    deploy(Republish(TOPIC))
    account = recorder.one(PARTNER_ACCOUNT_TYPE)
    assert account.inputs["appServerPrivateKey"] == wire.Secret(KEY)
    others = [r.inputs for r in recorder.registered if r is not account]
    others += [{k: v for k, v in account.inputs.items() if k != "appServerPrivateKey"}]
    assert KEY not in json.dumps(wire.strip([others, list(recorder.outputs.values())]))


# The program's opt-in.

PROGRAM_CONFIG = {
    "sidewalk:amazonId": "amzn1.account.UNIT",
    "sidewalk:appServerPrivateKey": KEY,
    "sidewalk:integration": "true",
    "sidewalk:uplinkTopic": TOPIC,
}


def run_program(recorder: Recorder, config: dict[str, str]) -> dict[str, Any]:
    """Run __main__.py under the mocks and return its stack outputs, resolved."""
    pulumi.runtime.set_all_config(config, ["sidewalk:appServerPrivateKey"])
    exports: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output[None]:
        return pulumi.Output.all(**program_outputs(PROJECT_ROOT)).apply(exports.update)

    program()
    return exports


def test_program_opt_in_builds_the_integration_and_exports_its_outputs(recorder: Recorder) -> None:
    """With sidewalk:integration the program builds the component and adds destinationName and ruleArn."""
    outputs = run_program(recorder, PROGRAM_CONFIG)
    assert recorder.one(INTEGRATION_TYPE).name == "sidewalk"
    assert recorder.one(RULE_TYPE).inputs["republishes"][0]["topic"] == TOPIC
    assert set(outputs) == {
        "partnerAccountArn",
        "amazonId",
        "fingerprint",
        "accountLinked",
        "region",
        "destinationName",
        "ruleArn",
    }
    assert (outputs["destinationName"], outputs["ruleArn"]) == (
        DEFAULT_NAME,
        f"{IOT_ARN}:rule/{DEFAULT_RULE}",
    )
    assert KEY not in json.dumps(outputs)


def test_program_opt_in_with_a_lambda_invokes_it(recorder: Recorder) -> None:
    """With sidewalk:uplinkLambdaArn instead of a topic, the rule invokes that function."""
    config = {k: v for k, v in PROGRAM_CONFIG.items() if k != "sidewalk:uplinkTopic"}
    run_program(recorder, {**config, "sidewalk:uplinkLambdaArn": FUNCTION_ARN})
    assert recorder.one(RULE_TYPE).inputs["lambdas"] == [{"functionArn": FUNCTION_ARN}]


@pytest.mark.parametrize(
    "uplink",
    [
        pytest.param({}, id="neither"),
        pytest.param({"sidewalk:uplinkTopic": TOPIC, "sidewalk:uplinkLambdaArn": FUNCTION_ARN}, id="both"),
    ],
)
def test_program_opt_in_needs_exactly_one_uplink(recorder: Recorder, uplink: dict[str, str]) -> None:
    """The opt-in without an uplink, or with both, stops naming the two keys and registers nothing."""
    config = {k: v for k, v in PROGRAM_CONFIG.items() if k != "sidewalk:uplinkTopic"}
    with pytest.raises(pulumi.RunError) as exc:
        run_program(recorder, {**config, **uplink})
    assert "sidewalk:uplinkTopic" in str(exc.value)
    assert "sidewalk:uplinkLambdaArn" in str(exc.value)
    assert recorder.registered == []


def test_program_without_the_opt_in_builds_the_bare_association(recorder: Recorder) -> None:
    """Without sidewalk:integration the program registers the association alone, at the top level."""
    config = {k: v for k, v in PROGRAM_CONFIG.items() if k != "sidewalk:integration"}
    outputs = run_program(recorder, config)
    assert [r.type for r in recorder.registered] == [PARTNER_ACCOUNT_TYPE]
    assert set(outputs) == {"partnerAccountArn", "amazonId", "fingerprint", "accountLinked", "region"}


def test_program_without_the_opt_in_keeps_the_association_the_integration_held(recorder: Recorder) -> None:
    """The bare association is aliased to the integration's child, so turning it off replaces nothing."""
    config = {k: v for k, v in PROGRAM_CONFIG.items() if k != "sidewalk:integration"}
    run_program(recorder, config)
    (alias,) = recorder.one(PARTNER_ACCOUNT_TYPE).request.aliases
    assert alias.spec.parentUrn == f"urn:pulumi:unit::sidewalk-partner-account::{INTEGRATION_TYPE}::sidewalk"


def test_default_names_differ_between_stacks_of_one_account(recorder: Recorder) -> None:
    """Two stacks of the project get their own Destination and rule names by default."""
    deploy(Republish(TOPIC))
    first = recorder.one(DESTINATION_TYPE).inputs["name"]
    settings.ROOT.set(None)  # type: ignore[attr-defined]
    other = Recorder()
    mocks.set_mocks(Mocks(), project="sidewalk-partner-account", stack="prod", preview=False, monitor=other)
    deploy(Republish(TOPIC))
    assert first == DEFAULT_NAME
    assert other.one(DESTINATION_TYPE).inputs["name"] == "sidewalk-partner-account-prod-sidewalk"
    assert other.one(RULE_TYPE).inputs["name"] == "sidewalk_partner_account_prod_sidewalk"


def test_a_stack_keeps_the_old_default_by_naming_it(recorder: Recorder) -> None:
    """A stack deployed under the old default (`sidewalk`) keeps it with `sidewalk:destinationName`."""
    deploy(Republish(TOPIC), destination_name="sidewalk")
    assert recorder.one(DESTINATION_TYPE).inputs["name"] == "sidewalk"
    assert recorder.one(RULE_TYPE).inputs["name"] == "sidewalk"


@pytest.mark.parametrize(
    ("project", "stack", "expected"),
    [
        pytest.param("proj", "dev", "proj-dev-sidewalk", id="plain"),
        pytest.param("my.proj", "team/dev", "my-proj-team-dev-sidewalk", id="invalid-characters"),
        pytest.param("p" * 100, "s" * 100, ("p" * 100 + "-" + "s" * 100)[:128], id="too-long"),
    ],
)
def test_default_destination_name_is_a_valid_name(project: str, stack: str, expected: str) -> None:
    """The default name keeps to the Destination name's characters and length."""
    settings.ROOT.set(None)  # type: ignore[attr-defined]
    mocks.set_mocks(Mocks(), project=project, stack=stack, preview=False)
    assert default_destination_name("sidewalk") == expected
    settings.ROOT.set(None)  # type: ignore[attr-defined]
