"""Conformance to botocore's model: each partner-account, destination and tagging operation, in shape."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import botocore.session
import pytest
from botocore import xform_name

from tests.emulator.urls import OPERATIONS, PARTNER_OPERATIONS, url_map

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

MODEL = botocore.session.get_session().get_service_model("iotwireless")
# The operations of the model this project covers, found by name rather than listed.
COVERED = sorted(
    name
    for name in MODEL.operation_names
    if re.search("partneraccount|tag|^(create|get|update|delete)destination$", name, re.IGNORECASE)
)
KEY = "0123456789abcdef" * 4
AMAZON_ID = "amzn1.account.AEXAMPLE"
ARN = f"arn:aws:iotwireless:us-east-1:123456789012:SidewalkAccount/{AMAZON_ID}"
ASSOCIATION = {
    "Sidewalk": {"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY},
    "Tags": [{"Key": "team", "Value": "a"}],
}
ACCOUNT = {"PartnerAccountId": AMAZON_ID, "PartnerType": "Sidewalk"}
DESTINATION = {
    "Name": "uplinks",
    "Expression": "sidewalk_uplinks",
    "ExpressionType": "RuleName",
    "RoleArn": "arn:aws:iam::123456789012:role/sidewalk",
    "Description": "uplinks",
    "Tags": [{"Key": "team", "Value": "a"}],
}
PARAMS: dict[str, dict[str, Any]] = {
    "AssociateAwsAccountWithPartnerAccount": {
        "Sidewalk": {"AmazonId": "amzn1.account.OTHER", "AppServerPrivateKey": KEY}
    },
    "GetPartnerAccount": ACCOUNT,
    "UpdatePartnerAccount": {**ACCOUNT, "Sidewalk": {"AppServerPrivateKey": KEY.upper()}},
    "DisassociateAwsAccountFromPartnerAccount": ACCOUNT,
    "ListPartnerAccounts": {"MaxResults": 1},
    "CreateDestination": {**DESTINATION, "Name": "other"},
    "GetDestination": {"Name": "uplinks"},
    "UpdateDestination": {"Name": "uplinks", "ExpressionType": "MqttTopic", "Expression": "sidewalk/up"},
    "DeleteDestination": {"Name": "uplinks"},
    "TagResource": {"ResourceArn": ARN, "Tags": [{"Key": "env", "Value": "test"}]},
    "UntagResource": {"ResourceArn": ARN, "TagKeys": ["team"]},
    "ListTagsForResource": {"ResourceArn": ARN},
}


def violations(shape: Any, value: Any, path: str = "") -> list[str]:
    """List where a wire value strays from its shape: unknown or missing members, types."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        wire = {
            member.serialization.get("name", name): (name, member) for name, member in shape.members.items()
        }
        found = [f"{path}.{key}: not in {shape.name}" for key in value if key not in wire]
        found += [f"{path}.{name}: required" for name in shape.required_members if name not in value]
        for key, item in value.items():
            if key in wire:
                found += violations(wire[key][1], item, f"{path}.{key}")
        return found
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [
            v for index, item in enumerate(value) for v in violations(shape.member, item, f"{path}[{index}]")
        ]
    if kind == "string":
        pattern = shape.metadata.get("pattern")
        if not isinstance(value, str) or (pattern and not re.fullmatch(pattern, value)):
            return [f"{path}: not a {shape.name}"]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: not a boolean"]
    return []


def test_every_covered_operation_is_routed() -> None:
    """Each partner-account, destination and tagging operation of the model has a route, and no other does."""
    routed = sorted({rule.endpoint for rule in url_map().iter_rules()})
    # The device path's operations are checked in tests/test_emulator_devices.py.
    assert sorted(PARTNER_OPERATIONS) == COVERED
    assert sorted(OPERATIONS) == routed
    assert len(COVERED) == 12


@pytest.mark.parametrize("operation", COVERED)
def test_rules_follow_the_model(operation: str) -> None:
    """Each route uses the model's HTTP method and request URI."""
    http = MODEL.operation_model(operation).http
    (rule,) = [rule for rule in url_map().iter_rules() if rule.endpoint == operation]
    assert http["method"] in (rule.methods or set())
    assert re.sub(r"<(\w+)>", r"{\1}", rule.rule) == http["requestUri"]


@pytest.mark.parametrize("operation", COVERED)
def test_answer_conforms_to_the_model(iotwireless: IoTWirelessClient, operation: str) -> None:
    """Each operation answers the model's status and a body botocore parses and the shape allows."""
    iotwireless.associate_aws_account_with_partner_account(**ASSOCIATION)
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": "amzn1.account.THIRD", "AppServerPrivateKey": KEY}
    )
    iotwireless.create_destination(**DESTINATION)
    raw: list[dict[str, Any]] = []
    iotwireless.meta.events.register("before-parse.*.*", lambda response_dict, **_: raw.append(response_dict))
    model = MODEL.operation_model(operation)
    parsed = getattr(iotwireless, xform_name(operation))(**PARAMS[operation])
    (response,) = raw
    assert response["status_code"] == model.http.get("responseCode", 200)
    output = {key: value for key, value in parsed.items() if key != "ResponseMetadata"}
    if response["status_code"] == 204:
        assert (response["body"], output) == (b"", {})
        return
    body = json.loads(response["body"])
    assert violations(model.output_shape, body) == []
    assert violations(model.output_shape, output) == []
    assert output, "a 200 answer of these operations always has members"
