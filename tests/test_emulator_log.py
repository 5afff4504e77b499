"""The request log, its redaction of the private key, and the control endpoint's reads."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.emulator import Emulator, EmulatorClient
from tests.operations import ASSOCIATE

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

KEY = "0123456789abcdef" * 4
OTHER_KEY = "fedcba9876543210" * 4
AMAZON_ID = "amzn1.account.AEXAMPLE"


def associate(client: IoTWirelessClient, key: str = KEY) -> str:
    """Link AMAZON_ID with key and return the ARN."""
    sidewalk = {"AmazonId": AMAZON_ID, "AppServerPrivateKey": key}
    return client.associate_aws_account_with_partner_account(
        Sidewalk=sidewalk, ClientRequestToken="token-1", Tags=[{"Key": "team", "Value": "a"}]
    )["Arn"]


def test_log_records_each_request(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """Each entry has operation, method, path, query, body, status, region, account and key id."""
    associate(iotwireless)
    iotwireless.get_partner_account(PartnerAccountId=AMAZON_ID, PartnerType="Sidewalk")
    post, get = emulator.log
    assert post == {
        "operation": ASSOCIATE,
        "method": "POST",
        "path": "/partner-accounts",
        "query": {},
        "body": {
            "Sidewalk": {"AmazonId": AMAZON_ID, "AppServerPrivateKey": "***"},
            "ClientRequestToken": "token-1",
            "Tags": [{"Key": "team", "Value": "a"}],
        },
        "status": 200,
        "region": "us-east-1",
        "account": "123456789012",
        "access_key": "AKIDEXAMPLE",
        "faulted": False,
    }
    assert (get["operation"], get["method"], get["path"]) == (
        "GetPartnerAccount",
        "GET",
        f"/partner-accounts/{AMAZON_ID}",
    )
    assert (get["query"], get["body"]) == ({"partnerType": ["Sidewalk"]}, None)


def test_log_keeps_repeated_query_parameters(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """Repeated query parameters such as tagKeys are all logged."""
    arn = associate(iotwireless)
    iotwireless.untag_resource(ResourceArn=arn, TagKeys=["a", "b"])
    assert emulator.log[-1]["query"] == {"resourceArn": [arn], "tagKeys": ["a", "b"]}


def test_log_never_holds_the_key(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """Neither the in-process log nor the control endpoint's log holds a private key."""
    associate(iotwireless)
    iotwireless.update_partner_account(
        PartnerAccountId=AMAZON_ID, PartnerType="Sidewalk", Sidewalk={"AppServerPrivateKey": OTHER_KEY}
    )
    with pytest.raises(ClientError):
        associate(iotwireless, key=OTHER_KEY + "0")
    for log in (emulator.log, EmulatorClient(emulator.url).log()):
        text = json.dumps(log)
        assert KEY not in text
        assert OTHER_KEY not in text
        assert text.count('"AppServerPrivateKey": "***"') == 3


def test_unsigned_request_is_logged_without_identity(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """A refused unsigned request is logged with its status and no identity."""
    client = make_iotwireless(config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError):
        client.list_partner_accounts()
    (entry,) = emulator.log
    assert (entry["operation"], entry["status"], entry["access_key"]) == (
        "ListPartnerAccounts",
        403,
        None,
    )


@pytest.mark.parametrize(
    "bad_key",
    [
        pytest.param(KEY + "0", id="65-hex"),
        pytest.param(KEY[:-1] + "g", id="not-hex"),
        pytest.param(KEY * 2, id="twice"),
        pytest.param(KEY + "-" + "x" * 4000, id="long"),
    ],
)
def test_validation_messages_never_echo_the_key(iotwireless: IoTWirelessClient, bad_key: str) -> None:
    """A refused key is named by its member and rule, never quoted."""
    with pytest.raises(ClientError) as exc:
        associate(iotwireless, key=bad_key)
    message = exc.value.response["Error"]["Message"]
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert "Sidewalk.AppServerPrivateKey" in message
    assert KEY not in message
    assert KEY[:16] not in message


def test_calls_can_leave_out_faulted(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """Calls lists every matched request; include_faulted=False drops the faulted ones."""
    emulator.faults.fail_next(1)
    with pytest.raises(iotwireless.exceptions.ThrottlingException):
        iotwireless.list_partner_accounts()
    iotwireless.list_partner_accounts()
    assert emulator.calls() == ["ListPartnerAccounts"] * 2
    assert emulator.calls(include_faulted=False) == ["ListPartnerAccounts"]


def test_unmatched_request_is_logged_without_operation(emulator: Emulator) -> None:
    """A request no operation answers is logged with operation None and left out of calls."""
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{emulator.url}/nothing?x=1", timeout=10)
    exc.value.close()
    (entry,) = emulator.log
    assert (entry["operation"], entry["path"], entry["query"]) == (None, "/nothing", {"x": ["1"]})
    assert emulator.calls() == []


def test_control_reads_and_clears_the_log(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """GET /_emulator/log reads the log, DELETE empties it; control calls are not logged."""
    control = EmulatorClient(emulator.url)
    iotwireless.list_partner_accounts()
    assert control.calls() == ["ListPartnerAccounts"]
    control.clear_log()
    assert control.log() == []
    assert emulator.log == []


def test_control_state_lists_associations_without_keys(
    emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """GET /_emulator/state lists associations with tags and fingerprint, no key."""
    arn = associate(iotwireless)
    (association,) = EmulatorClient(emulator.url).state()["associations"]
    assert association["Arn"] == arn
    assert association["Tags"] == {"team": "a"}
    assert association["AccountLinked"] is False
    assert (association["account"], association["region"]) == ("123456789012", "us-east-1")
    assert KEY not in json.dumps(association)


def test_control_settings(emulator: Emulator) -> None:
    """GET and POST /_emulator/settings read and change the token reuse behaviour."""
    control = EmulatorClient(emulator.url)
    assert control.settings()["token_reuse_after_delete"] == "associate"
    assert control.update_settings(token_reuse_after_delete="replay")["token_reuse_after_delete"] == (
        "replay"
    )
    assert emulator.backend.settings.token_reuse_after_delete == "replay"
    with pytest.raises(RuntimeError, match="token_reuse_after_delete must be one of"):
        control.update_settings(token_reuse_after_delete="never")


def test_control_reset(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """POST /_emulator/reset forgets state, settings, faults and log."""
    control = EmulatorClient(emulator.url)
    associate(iotwireless)
    control.update_settings(token_reuse_after_delete="replay")
    control.fail_next(5)
    control.reset()
    assert control.state() == {"associations": []}
    assert control.settings()["token_reuse_after_delete"] == "associate"
    assert iotwireless.list_partner_accounts()["Sidewalk"] == []
    assert control.calls() == ["ListPartnerAccounts"]
