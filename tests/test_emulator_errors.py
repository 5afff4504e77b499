"""Errors the emulator answers: validation, missing resources, conflicts, regions, signatures."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from botocore import UNSIGNED, xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.emulator import Emulator
from tests.operations import ASSOCIATE

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

KEY = "0123456789abcdef" * 4
AMAZON_ID = "amzn1.account.AEXAMPLE"
ARN = f"arn:aws:iotwireless:us-east-1:123456789012:SidewalkAccount/{AMAZON_ID}"
SIDEWALK = "Sidewalk"
NO_RETRIES = {"retries": {"total_max_attempts": 1, "mode": "standard"}}


def sidewalk(**changes: Any) -> dict[str, Any]:
    """Return valid Associate input with changes applied."""
    return {"Sidewalk": {"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY}, **changes}


def tags(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    """Build a TagList from (key, value) pairs."""
    return [{"Key": key, "Value": value} for key, value in pairs]


def call(client: IoTWirelessClient, operation: str, params: dict[str, Any]) -> Any:
    """Invoke an operation by its model name."""
    return getattr(client, xform_name(operation))(**params)


def send(
    url: str,
    method: str,
    target: str,
    body: bytes = b"",
    service: str | None = "iotwireless",
) -> tuple[int, dict[str, str], Any]:
    """Make a raw HTTP request, SigV4-signed for service unless it is None."""
    request = AWSRequest(method=method, url=url + target, data=body)
    if service is not None:
        SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(
        prepared.url, data=body or None, method=method, headers=dict(prepared.headers)
    )
    try:
        with urllib.request.urlopen(raw, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), json.loads(error.read())


@pytest.fixture
def raw_iotwireless(make_iotwireless: Callable[..., IoTWirelessClient]) -> IoTWirelessClient:
    """A client that sends what it is given, without boto3's own checks."""
    return make_iotwireless(config=Config(parameter_validation=False, **NO_RETRIES))


@pytest.mark.parametrize(
    ("operation", "params", "member", "rule"),
    [
        pytest.param(
            ASSOCIATE,
            sidewalk(Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY[:-1]}),
            "Sidewalk.AppServerPrivateKey",
            "regular expression pattern: [a-fA-F0-9]{64}",
            id="key-63-hex",
        ),
        pytest.param(
            ASSOCIATE,
            sidewalk(Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY + "0"}),
            "Sidewalk.AppServerPrivateKey",
            "regular expression pattern",
            id="key-65-hex",
        ),
        pytest.param(
            ASSOCIATE,
            sidewalk(Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": "g" * 64}),
            "Sidewalk.AppServerPrivateKey",
            "regular expression pattern",
            id="key-not-hex",
        ),
        pytest.param(
            ASSOCIATE,
            sidewalk(Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": ""}),
            "Sidewalk.AppServerPrivateKey",
            "length greater than or equal to 1",
            id="key-empty",
        ),
        pytest.param(
            ASSOCIATE,
            sidewalk(Sidewalk={"AmazonId": "a" * 2049, "AppServerPrivateKey": KEY}),
            "Sidewalk.AmazonId",
            "length less than or equal to 2048",
            id="amazon-id-too-long",
        ),
        pytest.param(
            ASSOCIATE,
            sidewalk(Sidewalk={"AppServerPrivateKey": KEY}),
            "Sidewalk.AmazonId",
            "must not be null",
            id="amazon-id-missing",
        ),
        pytest.param(ASSOCIATE, {}, "Sidewalk", "must not be null", id="sidewalk-missing"),
        pytest.param(
            ASSOCIATE,
            sidewalk(ClientRequestToken="not a token"),
            "ClientRequestToken",
            "regular expression pattern",
            id="token-pattern",
        ),
        pytest.param(
            ASSOCIATE,
            sidewalk(ClientRequestToken="t" * 65),
            "ClientRequestToken",
            "length less than or equal to 64",
            id="token-too-long",
        ),
        pytest.param(
            ASSOCIATE,
            sidewalk(Tags=tags(*((f"k{n}", "v") for n in range(201)))),
            "Tags",
            "length less than or equal to 200",
            id="201-tags",
        ),
        pytest.param(
            ASSOCIATE,
            sidewalk(Tags=tags(("aws:team", "a"))),
            "Tags[0].Key",
            "reserved prefix aws:",
            id="tag-key-aws-prefix",
        ),
        pytest.param(
            ASSOCIATE,
            sidewalk(Tags=tags(("", "a"))),
            "Tags[0].Key",
            "length greater than or equal to 1",
            id="tag-key-empty",
        ),
        pytest.param(
            ASSOCIATE,
            sidewalk(Tags=tags(("k" * 129, "a"))),
            "Tags[0].Key",
            "length less than or equal to 128",
            id="tag-key-too-long",
        ),
        pytest.param(
            ASSOCIATE,
            sidewalk(Tags=tags(("team", "v" * 257))),
            "Tags[0].Value",
            "length less than or equal to 256",
            id="tag-value-too-long",
        ),
        pytest.param(
            "GetPartnerAccount",
            {"PartnerAccountId": AMAZON_ID, "PartnerType": "LoRaWAN"},
            "PartnerType",
            "enum value set: [Sidewalk]",
            id="partner-type-not-sidewalk",
        ),
        pytest.param(
            "GetPartnerAccount",
            {"PartnerAccountId": AMAZON_ID},
            "PartnerType",
            "must not be null",
            id="partner-type-missing",
        ),
        pytest.param(
            "GetPartnerAccount",
            {"PartnerAccountId": "a" * 257, "PartnerType": SIDEWALK},
            "PartnerAccountId",
            "length less than or equal to 256",
            id="partner-account-id-too-long",
        ),
        pytest.param(
            "UpdatePartnerAccount",
            {
                "PartnerAccountId": AMAZON_ID,
                "PartnerType": SIDEWALK,
                "Sidewalk": {"AppServerPrivateKey": "z" * 64},
            },
            "Sidewalk.AppServerPrivateKey",
            "regular expression pattern",
            id="update-key-not-hex",
        ),
        pytest.param(
            "DisassociateAwsAccountFromPartnerAccount",
            {"PartnerAccountId": AMAZON_ID, "PartnerType": "sidewalk"},
            "PartnerType",
            "enum value set",
            id="disassociate-partner-type-case",
        ),
        pytest.param(
            "ListPartnerAccounts",
            {"MaxResults": 251},
            "MaxResults",
            "value less than or equal to 250",
            id="max-results-251",
        ),
        pytest.param(
            "ListPartnerAccounts",
            {"MaxResults": -1},
            "MaxResults",
            "value greater than or equal to 0",
            id="max-results-negative",
        ),
        pytest.param(
            "ListPartnerAccounts",
            {"NextToken": "n" * 4097},
            "NextToken",
            "length less than or equal to 4096",
            id="next-token-too-long",
        ),
        pytest.param(
            "TagResource",
            {"ResourceArn": ARN, "Tags": tags(("aws:cloudformation:stack-name", "s"))},
            "Tags[0].Key",
            "reserved prefix aws:",
            id="tag-resource-aws-prefix",
        ),
        pytest.param(
            "TagResource",
            {"ResourceArn": "", "Tags": tags(("team", "a"))},
            "ResourceArn",
            "length greater than or equal to 1",
            id="tag-resource-empty-arn",
        ),
        pytest.param(
            "UntagResource",
            {"ResourceArn": ARN, "TagKeys": ["k" * 129]},
            "TagKeys[0]",
            "length less than or equal to 128",
            id="untag-key-too-long",
        ),
        pytest.param(
            "ListTagsForResource",
            {"ResourceArn": "a" * 1012},
            "ResourceArn",
            "length less than or equal to 1011",
            id="list-tags-arn-too-long",
        ),
    ],
)
def test_input_breaking_the_model_is_refused(
    raw_iotwireless: IoTWirelessClient, operation: str, params: dict[str, Any], member: str, rule: str
) -> None:
    """Input that breaks a rule of the model is refused with ValidationException naming it."""
    with pytest.raises(ClientError) as exc:
        call(raw_iotwireless, operation, params)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = exc.value.response["Error"]["Message"]
    assert f"Value at '{member}' failed to satisfy constraint" in message
    assert rule in message


def test_every_broken_rule_is_reported(raw_iotwireless: IoTWirelessClient) -> None:
    """A request breaking several rules is told about all of them at once."""
    with pytest.raises(ClientError) as exc:
        raw_iotwireless.list_partner_accounts(MaxResults=300, NextToken="n" * 5000)
    assert exc.value.response["Error"]["Message"].startswith("2 validation errors detected: ")


def test_invalid_next_token_is_refused(iotwireless: IoTWirelessClient) -> None:
    """A NextToken the emulator did not issue is refused with ValidationException."""
    with pytest.raises(ClientError) as exc:
        iotwireless.list_partner_accounts(NextToken="garbage")
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert exc.value.response["Error"]["Message"].startswith("NextToken is not valid")


def test_body_that_is_not_json_is_refused(emulator: Emulator) -> None:
    """A body that is not JSON is refused with ValidationException."""
    status, headers, body = send(emulator.url, "POST", "/partner-accounts", b"{not json")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "ValidationException")
    assert body["message"] == "The request body is not valid JSON"


def test_query_integer_that_is_not_a_number_is_refused(emulator: Emulator) -> None:
    """A maxResults that is not an integer is refused with ValidationException."""
    status, _, body = send(emulator.url, "GET", "/partner-accounts?maxResults=ten")
    assert (status, body["__type"]) == (400, "ValidationException")
    assert (
        "Value at 'MaxResults' failed to satisfy constraint: Member must be an integer" in (body["message"])
    )


@pytest.mark.parametrize(
    ("operation", "params", "resource_id"),
    [
        pytest.param(
            "GetPartnerAccount",
            {"PartnerAccountId": AMAZON_ID, "PartnerType": SIDEWALK},
            AMAZON_ID,
            id="get",
        ),
        pytest.param(
            "UpdatePartnerAccount",
            {
                "PartnerAccountId": AMAZON_ID,
                "PartnerType": SIDEWALK,
                "Sidewalk": {"AppServerPrivateKey": KEY},
            },
            AMAZON_ID,
            id="update",
        ),
        pytest.param(
            "DisassociateAwsAccountFromPartnerAccount",
            {"PartnerAccountId": AMAZON_ID, "PartnerType": SIDEWALK},
            AMAZON_ID,
            id="disassociate",
        ),
        pytest.param("TagResource", {"ResourceArn": ARN, "Tags": tags(("a", "b"))}, ARN, id="tag"),
        pytest.param("UntagResource", {"ResourceArn": ARN, "TagKeys": ["a"]}, ARN, id="untag"),
        pytest.param("ListTagsForResource", {"ResourceArn": ARN}, ARN, id="list-tags"),
    ],
)
def test_unknown_resource_is_not_found(
    iotwireless: IoTWirelessClient, operation: str, params: dict[str, Any], resource_id: str
) -> None:
    """An operation on an unknown association raises ResourceNotFoundException naming it."""
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException) as exc:
        call(iotwireless, operation, params)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert resource_id in exc.value.response["Error"]["Message"]
    assert exc.value.response["ResourceId"] == resource_id
    assert exc.value.response["ResourceType"] == "SidewalkAccount"


def test_associating_an_associated_amazon_id_conflicts(iotwireless: IoTWirelessClient) -> None:
    """Associating an AmazonId already associated raises ConflictException."""
    call(iotwireless, ASSOCIATE, sidewalk())
    with pytest.raises(iotwireless.exceptions.ConflictException) as exc:
        call(iotwireless, ASSOCIATE, sidewalk())
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert exc.value.response["Error"]["Message"] == (f"Sidewalk account {AMAZON_ID} is already associated")
    assert exc.value.response["ResourceId"] == AMAZON_ID


def test_tags_beyond_two_hundred_are_too_many(iotwireless: IoTWirelessClient) -> None:
    """TagResource beyond 200 tags on one resource raises TooManyTagsException."""
    arn = call(iotwireless, ASSOCIATE, sidewalk(Tags=tags(*((f"a{n}", "") for n in range(150)))))
    with pytest.raises(iotwireless.exceptions.TooManyTagsException) as exc:
        iotwireless.tag_resource(ResourceArn=arn["Arn"], Tags=tags(*((f"b{n}", "") for n in range(51))))
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert exc.value.response["Error"]["Message"] == "A resource can have at most 200 tags"
    assert exc.value.response["ResourceName"] == arn["Arn"]


def test_region_without_sidewalk_is_access_denied(
    make_iotwireless: Callable[..., IoTWirelessClient],
) -> None:
    """Any call in a region without Sidewalk raises AccessDeniedException naming the region."""
    client = make_iotwireless(region="eu-west-1")
    with pytest.raises(client.exceptions.AccessDeniedException) as exc:
        client.list_partner_accounts()
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert exc.value.response["Error"]["Message"] == (
        "Sidewalk is not available in region eu-west-1; it is served from us-east-1"
    )


def test_unsigned_request_is_refused(make_iotwireless: Callable[..., IoTWirelessClient]) -> None:
    """A request without a SigV4 signature raises MissingAuthenticationTokenException."""
    client = make_iotwireless(config=Config(signature_version=UNSIGNED, **NO_RETRIES))
    with pytest.raises(ClientError) as exc:
        client.list_partner_accounts()
    assert exc.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert exc.value.response["Error"]["Message"] == "Missing Authentication Token"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_signature_for_another_service_is_refused(emulator: Emulator) -> None:
    """A request signed for another service raises MissingAuthenticationTokenException."""
    status, _, body = send(emulator.url, "GET", "/partner-accounts", service="execute-api")
    assert (status, body["__type"]) == (403, "MissingAuthenticationTokenException")


def test_errors_are_in_rest_json_form(emulator: Emulator) -> None:
    """An error carries x-amzn-ErrorType and a JSON body with __type and message."""
    status, headers, body = send(emulator.url, "GET", "/partner-accounts", service=None)
    assert status == 403
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert headers["Content-Type"] == "application/json"
    assert body == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Missing Authentication Token",
    }


def test_unknown_route_is_unknown_operation(emulator: Emulator) -> None:
    """A signed request no operation answers gets 404 UnknownOperationException."""
    status, _, body = send(emulator.url, "PUT", "/partner-accounts")
    assert (status, body["__type"]) == (404, "UnknownOperationException")
    assert body["message"] == "No operation for PUT /partner-accounts"


@pytest.fixture
def guarded() -> Iterator[Emulator]:
    """An emulator that knows two key pairs and checks every signature."""
    with Emulator(credentials={"AKIDONE": "secret-one", "AKIDTWO": "secret-two"}) as emulator:
        yield emulator


@pytest.mark.parametrize("access_key", ["AKIDONE", "AKIDTWO"])
def test_right_secret_is_accepted(
    guarded: Emulator, make_iotwireless: Callable[..., IoTWirelessClient], access_key: str
) -> None:
    """A request signed with the secret of a known access key is answered."""
    secret_key = {"AKIDONE": "secret-one", "AKIDTWO": "secret-two"}[access_key]
    client = make_iotwireless(guarded.url, access_key=access_key, secret_key=secret_key)
    arn = call(client, ASSOCIATE, sidewalk(Sidewalk={"AmazonId": "amzn1 a/b", "AppServerPrivateKey": KEY}))
    # A path with an encoded slash and space must verify too.
    assert (
        client.get_partner_account(PartnerAccountId="amzn1 a/b", PartnerType=SIDEWALK)["Sidewalk"]["Arn"]
        == arn["Arn"]
    )


def test_wrong_secret_is_invalid_signature(
    guarded: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """A request signed with another secret raises InvalidSignatureException."""
    client = make_iotwireless(guarded.url, access_key="AKIDONE", secret_key="secret-two")
    with pytest.raises(ClientError) as exc:
        client.list_partner_accounts()
    assert exc.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert exc.value.response["Error"]["Message"].startswith(
        "The request signature we calculated does not match the signature you provided."
    )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_access_key_is_unrecognized(
    guarded: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """A request signed with an access key the emulator does not know is unrecognized."""
    client = make_iotwireless(guarded.url, access_key="AKIDTHREE", secret_key="secret-one")
    with pytest.raises(ClientError) as exc:
        client.list_partner_accounts()
    assert exc.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert exc.value.response["Error"]["Message"] == (
        "The security token included in the request is invalid."
    )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
