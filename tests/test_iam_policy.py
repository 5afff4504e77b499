"""iam/*.json: least privilege, checked against the calls the provider and discover really make."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

from tests.engine.engine import Engine
from tests.engine.provider import PROJECT_ROOT
from tests.support import OTHER_KEY, destination, discover, emulator_env, partner_account

PROVIDER_POLICY = PROJECT_ROOT / "iam" / "partner-account-policy.json"
DISCOVER_POLICY = PROJECT_ROOT / "iam" / "discover-policy.json"
INTEGRATION_POLICY = PROJECT_ROOT / "iam" / "integration-policy.json"
SIDEWALK_ACCOUNT_ARNS = "arn:aws:iotwireless:*:*:SidewalkAccount/*"
DESTINATION_ARNS = "arn:aws:iotwireless:*:*:Destination/*"
# CreateDestination and UpdateDestination hand the role to IoT Wireless: IAM checks iam:PassRole,
# which no emulator request shows, so the test checks that statement by its form alone.
PASS_ROLE = {
    "Sid": "PassTheDestinationRoleToIoTWireless",
    "Effect": "Allow",
    "Action": ["iam:PassRole"],
    "Resource": "arn:aws:iam::*:role/*",
    "Condition": {"StringEquals": {"iam:PassedToService": "iotwireless.amazonaws.com"}},
}
# The IoT Wireless actions that take no resource ARN in IAM (Service Authorization Reference).
UNSCOPABLE = {"AssociateAwsAccountWithPartnerAccount", "ListPartnerAccounts"}
# The provider signs with the key of emulator_env; the tests' own set-up calls sign with another.
PROVIDER_ACCESS_KEY = str(emulator_env("")["AWS_ACCESS_KEY_ID"])
SETUP_ACCESS_KEY = "AKIDTESTSETUP"


def statements(path: Path) -> list[dict[str, Any]]:
    document = json.loads(path.read_text())
    assert document["Version"] == "2012-10-17"
    return list(document["Statement"])


def iotwireless_statements(path: Path) -> list[dict[str, Any]]:
    """Return the policy's statements on IoT Wireless actions."""
    return [s for s in statements(path) if s != PASS_ROLE]


def allowed(path: Path) -> set[str]:
    """Return every IoT Wireless action the policy allows, without the service prefix."""
    actions = set()
    for statement in iotwireless_statements(path):
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            service, name = action.split(":")
            assert service == "iotwireless"
            actions.add(name)
    return actions


def run_lifecycle(engine: Engine, make_iotwireless: Any) -> None:
    """Drive every provider path: create, key and tag updates, refresh, adopt, delete."""
    iotwireless = make_iotwireless(access_key=SETUP_ACCESS_KEY)
    first = partner_account(tags={"team": "iot"})
    engine.up([first])
    engine.up([partner_account(tags={"team": "iot"}, appServerPrivateKey=OTHER_KEY)])
    engine.up([partner_account(tags={"env": "dev"}, appServerPrivateKey=OTHER_KEY)])
    engine.refresh()
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": "amzn1.account.adopted", "AppServerPrivateKey": OTHER_KEY},
        Tags=[{"Key": "stale", "Value": "x"}],
    )
    adopted = partner_account("adopted", adoptExisting=True, tags={"team": "iot"})
    engine.up([partner_account(tags={"env": "dev"}, appServerPrivateKey=OTHER_KEY), adopted])
    engine.destroy()


def resource_arn(entry: dict[str, Any]) -> str:
    """Return the ARN IAM evaluates for one logged request."""
    if entry["path"].startswith("/tags"):
        return str(entry["query"]["resourceArn"][0])
    amazon_id = entry["path"].rsplit("/", 1)[-1]
    return f"arn:aws:iotwireless:{entry['region']}:{entry['account']}:SidewalkAccount/{amazon_id}"


def provider_log(emulator: Any) -> list[dict[str, Any]]:
    """Return the part of the request log the provider made."""
    return [e for e in emulator.log if e["access_key"] == PROVIDER_ACCESS_KEY]


def test_provider_policy_allows_exactly_the_calls_of_the_lifecycle(
    engine: Engine, emulator: Any, make_iotwireless: Any
) -> None:
    """The provider policy allows every action the lifecycle calls, and nothing it does not call."""
    run_lifecycle(engine, make_iotwireless)
    assert {e["operation"] for e in provider_log(emulator)} == allowed(PROVIDER_POLICY)


def test_provider_policy_scopes_each_call_to_sidewalk_account_arns(
    engine: Engine, emulator: Any, make_iotwireless: Any
) -> None:
    """Each provider call of a scoped action targets an ARN that the policy's pattern matches."""
    run_lifecycle(engine, make_iotwireless)
    [scoped] = [s for s in statements(PROVIDER_POLICY) if s["Resource"] != "*"]
    assert scoped["Resource"] == SIDEWALK_ACCOUNT_ARNS
    scoped_actions = {a.split(":")[1] for a in scoped["Action"]}
    entries = [e for e in provider_log(emulator) if e["operation"] in scoped_actions]
    assert {e["operation"] for e in entries} == scoped_actions
    for entry in entries:
        assert fnmatch.fnmatchcase(resource_arn(entry), SIDEWALK_ACCOUNT_ARNS), entry["path"]


def test_policies_use_a_wildcard_only_for_actions_without_resource_arns() -> None:
    """Only actions IAM cannot scope to a resource sit in a statement on "*"; the rest are scoped."""
    for path, scope in (
        (PROVIDER_POLICY, SIDEWALK_ACCOUNT_ARNS),
        (DISCOVER_POLICY, SIDEWALK_ACCOUNT_ARNS),
        (INTEGRATION_POLICY, DESTINATION_ARNS),
    ):
        for statement in iotwireless_statements(path):
            actions = {a.split(":")[1] for a in statement["Action"]}
            if statement["Resource"] == "*":
                assert actions <= UNSCOPABLE, path.name
            else:
                assert statement["Resource"] == scope, path.name
                assert not actions & UNSCOPABLE, path.name


def run_destination_lifecycle(engine: Engine, iotwireless: Any) -> None:
    """Drive every Destination path: create, routing and tag updates, refresh, drift, delete."""
    engine.up([destination(tags={"team": "iot"})])
    engine.up([destination(expression="other_rule", tags={"team": "iot"})])
    engine.up([destination(expression="other_rule", tags={"env": "dev"})])
    iotwireless.update_destination(Name="uplinks", Description="changed outside")
    engine.refresh()
    engine.up([destination(expression="other_rule", tags={"env": "dev"})])
    engine.destroy()


def test_integration_policy_allows_exactly_the_calls_of_the_destination_lifecycle(
    engine: Engine, emulator: Any, make_iotwireless: Any
) -> None:
    """The integration policy allows every action a Destination's lifecycle calls, and nothing else."""
    run_destination_lifecycle(engine, make_iotwireless(access_key=SETUP_ACCESS_KEY))
    assert {e["operation"] for e in provider_log(emulator)} == allowed(INTEGRATION_POLICY)


def test_integration_policy_scopes_every_call_to_destination_arns(
    engine: Engine, emulator: Any, make_iotwireless: Any
) -> None:
    """Each Destination call targets an ARN the policy's Destination pattern matches."""
    run_destination_lifecycle(engine, make_iotwireless(access_key=SETUP_ACCESS_KEY))
    for entry in provider_log(emulator):
        if entry["path"].startswith("/tags"):
            arn = str(entry["query"]["resourceArn"][0])
        else:
            name = entry["path"].rsplit("/", 1)[-1] if entry["path"] != "/destinations" else "uplinks"
            arn = f"arn:aws:iotwireless:{entry['region']}:{entry['account']}:Destination/{name}"
        assert fnmatch.fnmatchcase(arn, DESTINATION_ARNS), entry["path"]


def test_integration_policy_passes_roles_only_to_iot_wireless() -> None:
    """The one statement beyond IoT Wireless lets only IoT Wireless be handed a role."""
    assert PASS_ROLE in statements(INTEGRATION_POLICY)


def test_discover_policy_allows_exactly_the_calls_of_discover(emulator: Any, iotwireless: Any) -> None:
    """The discover policy allows every action `python -m providers.discover` calls, and no other."""
    for i in range(12):
        iotwireless.associate_aws_account_with_partner_account(
            Sidewalk={"AmazonId": f"amzn1.account.D{i:02d}", "AppServerPrivateKey": OTHER_KEY},
            Tags=[{"Key": "team", "Value": "iot"}],
        )
    emulator.clear_log()
    for args in ([], ["--emit-config"]):
        run = discover(emulator, *args)
        assert run.returncode == 0, run.stderr
    assert set(emulator.calls()) == allowed(DISCOVER_POLICY)
