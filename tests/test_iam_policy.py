"""iam/*.json: least privilege, checked against the calls the provider and discover really make."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.engine.engine import Engine
from tests.engine.provider import PROJECT_ROOT
from tests.support import (
    OTHER_KEY,
    ROLE_ARN,
    SMSN,
    destination,
    device_profile,
    discover,
    emulator_env,
    partner_account,
    wireless_device,
)
from tests.test_emulator_import_tasks import s3_url, upload  # noqa: F401 (fixtures)
from tests.test_import_task_lifecycle import import_task

PROVIDER_POLICY = PROJECT_ROOT / "iam" / "partner-account-policy.json"
DISCOVER_POLICY = PROJECT_ROOT / "iam" / "discover-policy.json"
INTEGRATION_POLICY = PROJECT_ROOT / "iam" / "integration-policy.json"
DEVICES_POLICY = PROJECT_ROOT / "iam" / "devices-policy.json"
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
# The device path's ARN resource types by the first segment of the request's path.
ARN_TYPES = {
    "device-profiles": "DeviceProfile",
    "wireless-devices": "WirelessDevice",
    "wireless_device_import_task": "ImportTask",
}
DEVICE_PATH_ARNS = {f"arn:aws:iotwireless:*:*:{kind}/*" for kind in ARN_TYPES.values()}
# AWS makes up a profile's, device's or task's id: no ARN can name it before the call, so the
# Service Authorization Reference gives these actions no resource type and they need "*".
UNSCOPABLE_DEVICE_PATH = {
    "CreateDeviceProfile",
    "CreateWirelessDevice",
    "StartSingleWirelessDeviceImportTask",
    "StartWirelessDeviceImportTask",
}
IMPORT_ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk-import"
# StartWirelessDeviceImportTask hands the role that reads the CSV to IoT Wireless: iam:PassRole again.
PASS_IMPORT_ROLE = {**PASS_ROLE, "Sid": "PassTheImportRoleToIoTWireless"}


def statements(path: Path) -> list[dict[str, Any]]:
    document = json.loads(path.read_text())
    assert document["Version"] == "2012-10-17"
    return list(document["Statement"])


def iotwireless_statements(path: Path) -> list[dict[str, Any]]:
    """Return the policy's statements on IoT Wireless actions."""
    return [s for s in statements(path) if s not in (PASS_ROLE, PASS_IMPORT_ROLE)]


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


def run_device_lifecycle(engine: Engine, iotwireless: Any) -> None:
    """Drive every profile and device path: create, updates, tags, refresh, replace, adopt, delete."""
    for name in ("uplinks", "other"):
        iotwireless.create_destination(
            Name=name, Expression="rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
        )
    profile = device_profile(tags={"team": "iot"})
    engine.up([profile])
    profile_id = engine.resources[profile.urn].id

    def device(**inputs: Any) -> Any:
        return wireless_device(deviceProfileId=profile_id, **inputs)

    engine.up([profile, device(tags={"team": "iot"})])
    engine.up([profile, device(tags={"env": "dev"}, destinationName="other", positioning="Enabled")])
    retagged = device_profile(tags={"env": "dev"})
    engine.up([retagged, device(tags={"env": "dev"}, destinationName="other", positioning="Enabled")])
    live = iotwireless.get_wireless_device(Identifier=SMSN, IdentifierType="SidewalkManufacturingSn")
    iotwireless.update_wireless_device(Id=live["Id"], Name="changed outside")
    engine.refresh()
    other_smsn = "f" * 64
    engine.up([retagged, device(sidewalkManufacturingSn=other_smsn, destinationName="other")])
    adopted_smsn = "e" * 64
    iotwireless.create_wireless_device(
        Type="Sidewalk",
        Name="factory",
        DestinationName="uplinks",
        Sidewalk={"DeviceProfileId": profile_id, "SidewalkManufacturingSn": adopted_smsn},
    )
    adopted = wireless_device(
        "adopted", deviceProfileId=profile_id, sidewalkManufacturingSn=adopted_smsn, adoptExisting=True
    )
    engine.up([retagged, device(sidewalkManufacturingSn=other_smsn, destinationName="other"), adopted])
    engine.destroy()


@pytest.fixture
def imports(emulator: Any, s3_url: str) -> None:  # noqa: F811 (fixture)
    """Let the emulator read device creation files from moto's S3 and move devices on every 0.3 s."""
    emulator.backend.update_settings(s3_endpoint_url=s3_url, import_step_seconds=0.3)


def run_import_task_lifecycle(engine: Engine, upload: Callable[[str], str]) -> None:  # noqa: F811 (fixture)
    """Drive every import task path: one SMSN, a CSV and a CSV appended, tags, refresh, delete."""
    first = upload(f"{'d' * 64},sensor-d\n")
    csv = {"deviceCreationFile": first, "role": IMPORT_ROLE_ARN}
    one = import_task("one", sidewalkManufacturingSn="c" * 64, deviceName="gate-sensor")
    engine.up([one, import_task(**csv, tags={"batch": "7", "line": "A"})])
    second = upload(f"{'d' * 64},sensor-d\n{'b' * 64},late\n")
    appended = import_task(deviceCreationFile=second, role=IMPORT_ROLE_ARN, tags={"batch": "8"})
    engine.up([one, appended])
    engine.refresh()
    engine.destroy()


def device_path_arn(entry: dict[str, Any]) -> str:
    """Return the ARN IAM evaluates for one logged call of the device path, "*" for a create."""
    if entry["path"].startswith("/tags"):
        return str(entry["query"]["resourceArn"][0])
    if entry["operation"] in UNSCOPABLE_DEVICE_PATH:
        return "*"
    collection, _, identifier = entry["path"].lstrip("/").partition("/")
    # ListDevicesForWirelessDeviceImportTask names its task in the query; a device read by its SMSN
    # stands here for the device IAM resolves it to, which the same pattern matches.
    identifier = identifier or entry["query"]["id"][0]
    return f"arn:aws:iotwireless:{entry['region']}:{entry['account']}:{ARN_TYPES[collection]}/{identifier}"


def resources_of(statement: dict[str, Any]) -> list[str]:
    """Return a statement's Resource element as a list."""
    resource = statement["Resource"]
    return list(resource) if isinstance(resource, list) else [resource]


@pytest.fixture
def import_task_lifecycle(
    imports: None,
    engine: Engine,
    make_iotwireless: Any,
    upload: Callable[[str], str],  # noqa: F811 (fixture)
) -> Callable[[], None]:
    """Run the device lifecycle, its setup by the setup identity; return the import task lifecycle."""
    run_device_lifecycle(engine, make_iotwireless(access_key=SETUP_ACCESS_KEY))
    return lambda: run_import_task_lifecycle(engine, upload)


def test_devices_policy_allows_exactly_the_calls_of_the_device_lifecycles(
    import_task_lifecycle: Callable[[], None], emulator: Any
) -> None:
    """The devices policy allows each action the profile, device and import-task lifecycles call, no other."""
    provider_calls = {e["operation"] for e in provider_log(emulator)}
    # The device lifecycle alone: profiles and devices, every path of their providers.
    assert provider_calls == {
        "CreateDeviceProfile",
        "GetDeviceProfile",
        "DeleteDeviceProfile",
        "CreateWirelessDevice",
        "GetWirelessDevice",
        "UpdateWirelessDevice",
        "DeleteWirelessDevice",
        "ListTagsForResource",
        "TagResource",
        "UntagResource",
    }
    import_task_lifecycle()
    assert {e["operation"] for e in provider_log(emulator)} == allowed(DEVICES_POLICY)


def test_devices_policy_scopes_each_call_to_its_resource_type(
    import_task_lifecycle: Callable[[], None], emulator: Any
) -> None:
    """Each call is allowed by a statement whose Resource matches its ARN; "*" only for the creates."""
    import_task_lifecycle()
    policy = iotwireless_statements(DEVICES_POLICY)
    for statement in policy:
        actions = {a.split(":")[1] for a in statement["Action"]}
        resources = resources_of(statement)
        if resources == ["*"]:
            assert actions == UNSCOPABLE_DEVICE_PATH
        else:
            assert set(resources) <= DEVICE_PATH_ARNS
            assert not actions & UNSCOPABLE_DEVICE_PATH
    for entry in provider_log(emulator):
        arn = device_path_arn(entry)
        granting = [
            s
            for s in policy
            if f"iotwireless:{entry['operation']}" in s["Action"]
            and any(fnmatch.fnmatchcase(arn, r) for r in resources_of(s))
        ]
        assert granting, f"{entry['operation']} on {arn} is not allowed"


def test_devices_policy_passes_the_import_role_only_to_iot_wireless() -> None:
    """The one statement beyond IoT Wireless lets only IoT Wireless be handed the import task's role."""
    assert PASS_IMPORT_ROLE in statements(DEVICES_POLICY)
