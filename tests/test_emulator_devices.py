"""The emulator's Sidewalk device profiles and wireless devices, through boto3 over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import NO_RETRIES
from tests.emulator import Emulator, EmulatorClient
from tests.emulator.urls import DEVICE_OPERATIONS, OPERATIONS, url_map
from tests.test_emulator_model import violations

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

MODEL = botocore.session.get_session().get_service_model("iotwireless")
ACCOUNT = "123456789012"
REGION = "us-east-1"
DESTINATION = "uplinks"
ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk"
SMSN = "a1b2c3d4e5f6" * 5 + "0123"
OTHER_SMSN = "f" * 64
AMAZON_ID = "amzn1.account.AEXAMPLE"
KEY = "0123456789abcdef" * 4
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX64 = re.compile(r"[0-9a-f]{64}")
# The model's operations of the device path, found by name rather than listed.
DEVICE_PATH = sorted(
    name
    for name in MODEL.operation_names
    if re.fullmatch(
        r"(Create|Get|Delete|List)DeviceProfiles?|(Create|Get|Update|Delete|List)WirelessDevices?"
        r"|Start(Single)?WirelessDeviceImportTask|(Get|Update|Delete)WirelessDeviceImportTask"
        r"|ListWirelessDeviceImportTasks|ListDevicesForWirelessDeviceImportTask",
        name,
    )
)


def make_destination(client: IoTWirelessClient, name: str = DESTINATION) -> None:
    """Create a RuleName destination."""
    client.create_destination(
        Name=name, Expression="sidewalk_rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
    )


def make_profile(client: IoTWirelessClient, **kwargs: Any) -> str:
    """Create a Sidewalk device profile and return its id."""
    return client.create_device_profile(Sidewalk={}, **{"Name": "sensors", **kwargs})["Id"]


def make_device(client: IoTWirelessClient, profile_id: str, smsn: str = SMSN, **kwargs: Any) -> str:
    """Create a Sidewalk wireless device and return its id."""
    params = {"Name": "sensor-1", "DestinationName": DESTINATION, **kwargs}
    sidewalk = {"DeviceProfileId": profile_id, "SidewalkManufacturingSn": smsn}
    return client.create_wireless_device(Type="Sidewalk", Sidewalk=sidewalk, **params)["Id"]


def unvalidated(make_iotwireless: Callable[..., IoTWirelessClient]) -> IoTWirelessClient:
    """Return a client that sends what it is given, so the emulator's own validation answers."""
    return make_iotwireless(config=NO_RETRIES.merge(Config(parameter_validation=False)))


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    """Return the code, message and HTTP status of a ClientError."""
    response: Any = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


# Routing and conformance to the model.


def test_every_device_path_operation_is_routed() -> None:
    """Each profile, device and import-task operation of the model has a route that follows the model."""
    assert sorted(DEVICE_OPERATIONS) == DEVICE_PATH
    assert len(DEVICE_PATH) == 16
    rules = {rule.endpoint: rule for rule in url_map().iter_rules()}
    assert set(DEVICE_PATH) <= set(OPERATIONS) == set(rules)
    for operation in DEVICE_PATH:
        http = MODEL.operation_model(operation).http
        assert http["method"] in (rules[operation].methods or set())
        assert re.sub(r"<(\w+)>", r"{\1}", rules[operation].rule) == http["requestUri"].split("?")[0]


@pytest.mark.parametrize("operation", DEVICE_PATH)
def test_answer_conforms_to_the_model(iotwireless: IoTWirelessClient, operation: str) -> None:
    """Each operation answers the model's status and a body botocore parses and the shape allows."""
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY}
    )
    make_destination(iotwireless)
    profile_id = make_profile(iotwireless)
    device_id = make_device(iotwireless, profile_id, Description="in the lab", Positioning="Enabled")
    unused_profile = make_profile(iotwireless, Name="unused")
    task = iotwireless.start_single_wireless_device_import_task(
        DestinationName=DESTINATION, DeviceName="imported", Sidewalk={"SidewalkManufacturingSn": OTHER_SMSN}
    )
    params: dict[str, dict[str, Any]] = {
        "CreateDeviceProfile": {"Name": "other", "Sidewalk": {}},
        "GetDeviceProfile": {"Id": profile_id},
        "DeleteDeviceProfile": {"Id": unused_profile},
        "ListDeviceProfiles": {"MaxResults": 1},
        "CreateWirelessDevice": {
            "Type": "Sidewalk",
            "DestinationName": DESTINATION,
            "Sidewalk": {"DeviceProfileId": profile_id, "SidewalkManufacturingSn": "b" * 64},
        },
        "GetWirelessDevice": {"Identifier": device_id, "IdentifierType": "WirelessDeviceId"},
        "UpdateWirelessDevice": {"Id": device_id, "Name": "renamed"},
        "DeleteWirelessDevice": {"Id": device_id},
        "ListWirelessDevices": {"MaxResults": 1},
        "StartSingleWirelessDeviceImportTask": {
            "DestinationName": DESTINATION,
            "Sidewalk": {"SidewalkManufacturingSn": "c" * 64},
        },
        # No S3 endpoint is set: the task starts, then fails to read its file.
        "StartWirelessDeviceImportTask": {
            "DestinationName": DESTINATION,
            "Sidewalk": {"DeviceCreationFile": "s3://fleet/devices.csv", "Role": ROLE_ARN},
        },
        "GetWirelessDeviceImportTask": {"Id": task["Id"]},
        "ListDevicesForWirelessDeviceImportTask": {"Id": task["Id"]},
        "ListWirelessDeviceImportTasks": {},
        "UpdateWirelessDeviceImportTask": {
            "Id": task["Id"],
            "Sidewalk": {"DeviceCreationFile": "s3://b/k.csv"},
        },
        "DeleteWirelessDeviceImportTask": {"Id": task["Id"]},
    }
    raw: list[dict[str, Any]] = []
    iotwireless.meta.events.register("before-parse.*.*", lambda response_dict, **_: raw.append(response_dict))
    model = MODEL.operation_model(operation)
    try:
        parsed = getattr(iotwireless, xform_name(operation))(**params[operation])
    except ClientError as exc:
        # A single-device task takes no file: the one operation here expected to be refused.
        assert operation == "UpdateWirelessDeviceImportTask"
        assert exc.response["Error"]["Code"] == "ValidationException"
        return
    (response,) = raw
    assert response["status_code"] == model.http.get("responseCode", 200)
    output = {key: value for key, value in parsed.items() if key != "ResponseMetadata"}
    if response["status_code"] == 204:
        assert (response["body"], output) == (b"", {})
        return
    body = json.loads(response["body"])
    assert violations(model.output_shape, body) == []
    assert output, "a 200 or 201 answer of these operations always has members"


# Device profiles.


def test_profile_answers_generated_sidewalk_values(iotwireless: IoTWirelessClient) -> None:
    """CreateDeviceProfile answers 201 with an id and ARN; GetDeviceProfile the Sidewalk values, stable."""
    answer = iotwireless.create_device_profile(Name="sensors", Sidewalk={})
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert UUID.fullmatch(answer["Id"])
    assert answer["Arn"] == f"arn:aws:iotwireless:{REGION}:{ACCOUNT}:DeviceProfile/{answer['Id']}"
    profile = iotwireless.get_device_profile(Id=answer["Id"])
    assert (profile["Id"], profile["Arn"], profile["Name"]) == (answer["Id"], answer["Arn"], "sensors")
    sidewalk = profile["Sidewalk"]
    assert HEX64.fullmatch(sidewalk["ApplicationServerPublicKey"])
    assert sidewalk["QualificationStatus"] is False
    (dak,) = sidewalk["DakCertificateMetadata"]
    assert set(dak) == {"CertificateId", "ApId", "DeviceTypeId", "FactorySupport", "MaxAllowedSignature"}
    assert re.fullmatch(r"[0-9A-F]{16}", dak["CertificateId"])
    assert (dak["FactorySupport"], dak["MaxAllowedSignature"]) == (False, 1000)
    assert iotwireless.get_device_profile(Id=answer["Id"])["Sidewalk"] == sidewalk
    other = iotwireless.get_device_profile(Id=make_profile(iotwireless))["Sidewalk"]
    assert other["DakCertificateMetadata"][0]["CertificateId"] != dak["CertificateId"]


def test_profiles_list_in_pages(iotwireless: IoTWirelessClient) -> None:
    """ListDeviceProfiles pages through every profile; the LoRaWAN type lists none of these."""
    made = {make_profile(iotwireless, Name=f"p{index}") for index in range(5)}
    seen: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = iotwireless.list_device_profiles(MaxResults=2, **token)
        assert len(page["DeviceProfileList"]) <= 2
        seen += [entry["Id"] for entry in page["DeviceProfileList"]]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert sorted(seen) == sorted(made)
    assert len(iotwireless.list_device_profiles(DeviceProfileType="Sidewalk")["DeviceProfileList"]) == 5
    assert iotwireless.list_device_profiles(DeviceProfileType="LoRaWAN")["DeviceProfileList"] == []


def test_delete_profile_then_it_is_not_found(iotwireless: IoTWirelessClient) -> None:
    """DeleteDeviceProfile answers 204; the profile and its tags are gone."""
    profile_id = make_profile(iotwireless, Tags=[{"Key": "team", "Value": "iot"}])
    arn = iotwireless.get_device_profile(Id=profile_id)["Arn"]
    assert iotwireless.delete_device_profile(Id=profile_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        iotwireless.get_device_profile(Id=profile_id)
    assert error(exc) == ("ResourceNotFoundException", f"Device profile {profile_id} not found", 404)
    assert exc.value.response["ResourceType"] == "DeviceProfile"  # type: ignore[typeddict-item]
    with pytest.raises(ClientError) as exc:
        iotwireless.list_tags_for_resource(ResourceArn=arn)
    assert error(exc)[0] == "ResourceNotFoundException"


def test_delete_of_a_profile_in_use_conflicts(iotwireless: IoTWirelessClient) -> None:
    """DeleteDeviceProfile of a profile in use raises ConflictException (an assumption) and keeps it."""
    make_destination(iotwireless)
    profile_id = make_profile(iotwireless)
    device_id = make_device(iotwireless, profile_id)
    with pytest.raises(ClientError) as exc:
        iotwireless.delete_device_profile(Id=profile_id)
    assert error(exc) == (
        "ConflictException",
        f"Device profile {profile_id} is used by wireless devices and cannot be deleted",
        409,
    )
    assert exc.value.response["ResourceId"] == profile_id  # type: ignore[typeddict-item]
    iotwireless.delete_wireless_device(Id=device_id)
    iotwireless.delete_device_profile(Id=profile_id)


def test_profile_without_sidewalk_is_refused(iotwireless: IoTWirelessClient) -> None:
    """CreateDeviceProfile without Sidewalk raises ValidationException: only Sidewalk is emulated."""
    with pytest.raises(ClientError) as exc:
        iotwireless.create_device_profile(Name="lorawan", LoRaWAN={"SupportsJoin": True})
    assert error(exc) == (
        "ValidationException",
        "This emulator serves Sidewalk device profiles only: give Sidewalk: {}",
        400,
    )
    assert iotwireless.list_device_profiles()["DeviceProfileList"] == []


def test_profile_name_breaking_the_model_is_refused(
    make_iotwireless: Callable[..., IoTWirelessClient],
) -> None:
    """A profile name longer than the model allows raises ValidationException naming the member."""
    raw = unvalidated(make_iotwireless)
    with pytest.raises(ClientError) as exc:
        raw.create_device_profile(Name="n" * 257, Sidewalk={})
    assert error(exc) == (
        "ValidationException",
        "1 validation error detected: Value at 'Name' failed to satisfy constraint: "
        "Member must have length less than or equal to 256",
        400,
    )


def test_profile_token_replays_and_conflicts(iotwireless: IoTWirelessClient) -> None:
    """The same ClientRequestToken with the same input answers the same profile; with other input, 409."""
    first = iotwireless.create_device_profile(Name="sensors", Sidewalk={}, ClientRequestToken="tok-1")
    again = iotwireless.create_device_profile(Name="sensors", Sidewalk={}, ClientRequestToken="tok-1")
    assert (again["Id"], again["Arn"]) == (first["Id"], first["Arn"])
    assert len(iotwireless.list_device_profiles()["DeviceProfileList"]) == 1
    with pytest.raises(ClientError) as exc:
        iotwireless.create_device_profile(Name="other", Sidewalk={}, ClientRequestToken="tok-1")
    assert error(exc) == (
        "ConflictException",
        "ClientRequestToken tok-1 was already used with other parameters",
        409,
    )


# Wireless devices.


def test_device_answers_sidewalk_identity_keys_and_certificates(iotwireless: IoTWirelessClient) -> None:
    """GetWirelessDevice answers the device's Sidewalk block: ids, both certificates and private keys."""
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY}
    )
    make_destination(iotwireless)
    profile_id = make_profile(iotwireless)
    answer = iotwireless.create_wireless_device(
        Type="Sidewalk",
        Name="sensor-1",
        Description="in the lab",
        DestinationName=DESTINATION,
        Positioning="Enabled",
        Sidewalk={
            "DeviceProfileId": profile_id,
            "SidewalkManufacturingSn": SMSN,
            "Positioning": {"DestinationName": DESTINATION},
        },
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert answer["Arn"] == f"arn:aws:iotwireless:{REGION}:{ACCOUNT}:WirelessDevice/{answer['Id']}"
    device = iotwireless.get_wireless_device(Identifier=answer["Id"], IdentifierType="WirelessDeviceId")
    assert {
        k: device[k] for k in ("Type", "Id", "Arn", "Name", "Description", "DestinationName", "Positioning")
    } == {  # type: ignore[literal-required]
        "Type": "Sidewalk",
        "Id": answer["Id"],
        "Arn": answer["Arn"],
        "Name": "sensor-1",
        "Description": "in the lab",
        "DestinationName": DESTINATION,
        "Positioning": "Enabled",
    }
    sidewalk = device["Sidewalk"]
    dak = iotwireless.get_device_profile(Id=profile_id)["Sidewalk"]["DakCertificateMetadata"][0]
    assert sidewalk["AmazonId"] == AMAZON_ID
    assert (sidewalk["SidewalkManufacturingSn"], sidewalk["DeviceProfileId"]) == (SMSN, profile_id)
    assert (sidewalk["CertificateId"], sidewalk["Status"]) == (dak["CertificateId"], "PROVISIONED")
    assert sidewalk["Positioning"] == {"DestinationName": DESTINATION}
    assert re.fullmatch(r"[0-9A-F]{10}", sidewalk["SidewalkId"])
    assert [c["SigningAlg"] for c in sidewalk["DeviceCertificates"]] == ["Ed25519", "P256r1"]
    assert [k["SigningAlg"] for k in sidewalk["PrivateKeys"]] == ["Ed25519", "P256r1"]
    assert all(HEX64.fullmatch(key["Value"]) for key in sidewalk["PrivateKeys"])
    assert all(re.fullmatch(r"[0-9a-f]{256}", cert["Value"]) for cert in sidewalk["DeviceCertificates"])
    by_smsn = iotwireless.get_wireless_device(Identifier=SMSN, IdentifierType="SidewalkManufacturingSn")
    assert by_smsn["Sidewalk"] == sidewalk


def test_device_without_association_has_no_amazon_id(iotwireless: IoTWirelessClient) -> None:
    """A device of an account without a Sidewalk association is answered without AmazonId."""
    make_destination(iotwireless)
    device_id = make_device(iotwireless, make_profile(iotwireless))
    device = iotwireless.get_wireless_device(Identifier=device_id, IdentifierType="WirelessDeviceId")
    assert "AmazonId" not in device["Sidewalk"]


def test_device_private_keys_stay_out_of_the_request_log(
    emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """The request log of a device's whole life holds none of its private keys."""
    make_destination(iotwireless)
    device_id = make_device(iotwireless, make_profile(iotwireless))
    keys = iotwireless.get_wireless_device(Identifier=device_id, IdentifierType="WirelessDeviceId")[
        "Sidewalk"
    ]["PrivateKeys"]
    iotwireless.list_wireless_devices()
    iotwireless.delete_wireless_device(Id=device_id)
    logged = json.dumps(emulator.log)
    assert [key["Value"] for key in keys if key["Value"] in logged] == []


def test_device_without_smsn_gets_one(iotwireless: IoTWirelessClient) -> None:
    """A device created without SidewalkManufacturingSn is given one, by which it can be found."""
    make_destination(iotwireless)
    answer = iotwireless.create_wireless_device(
        Type="Sidewalk", DestinationName=DESTINATION, Sidewalk={"DeviceProfileId": make_profile(iotwireless)}
    )
    smsn = iotwireless.get_wireless_device(Identifier=answer["Id"], IdentifierType="WirelessDeviceId")[
        "Sidewalk"
    ]["SidewalkManufacturingSn"]
    assert HEX64.fullmatch(smsn)
    assert (
        iotwireless.get_wireless_device(Identifier=smsn, IdentifierType="SidewalkManufacturingSn")["Id"]
        == (answer["Id"])
    )


@pytest.mark.parametrize(
    ("change", "code", "message", "status", "resource_type"),
    [
        pytest.param(
            {"DestinationName": "missing"},
            "ResourceNotFoundException",
            "Destination missing not found",
            404,
            "Destination",
            id="unknown-destination",
        ),
        pytest.param(
            {"Sidewalk": {"DeviceProfileId": "missing", "SidewalkManufacturingSn": SMSN}},
            "ResourceNotFoundException",
            "Device profile missing not found",
            404,
            "DeviceProfile",
            id="unknown-profile",
        ),
        pytest.param(
            {"Sidewalk": {"SidewalkManufacturingSn": SMSN}},
            "ValidationException",
            "1 validation error detected: Value at 'Sidewalk.DeviceProfileId' failed to satisfy constraint: "
            "Member must not be null",
            400,
            None,
            id="no-profile",
        ),
        pytest.param(
            {"Type": "LoRaWAN"},
            "ValidationException",
            "This emulator serves Sidewalk wireless devices only",
            400,
            None,
            id="lorawan",
        ),
        pytest.param(
            {"Sidewalk": {"DeviceProfileId": "PROFILE", "SidewalkManufacturingSn": "s" * 65}},
            "ValidationException",
            "1 validation error detected: Value at 'Sidewalk.SidewalkManufacturingSn' failed to satisfy "
            "constraint: Member must have length less than or equal to 64",
            400,
            None,
            id="smsn-too-long",
        ),
        pytest.param(
            {"DestinationName": "up links"},
            "ValidationException",
            "1 validation error detected: Value at 'DestinationName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+",
            400,
            None,
            id="destination-pattern",
        ),
    ],
)
def test_bad_device_is_refused(
    make_iotwireless: Callable[..., IoTWirelessClient],
    change: dict[str, Any],
    code: str,
    message: str,
    status: int,
    resource_type: str | None,
) -> None:
    """CreateWirelessDevice with a missing reference or input breaking a rule raises the error naming it."""
    raw = unvalidated(make_iotwireless)
    make_destination(raw)
    profile_id = make_profile(raw)
    params: dict[str, Any] = {
        "Type": "Sidewalk",
        "DestinationName": DESTINATION,
        "Sidewalk": {"DeviceProfileId": profile_id, "SidewalkManufacturingSn": SMSN},
        **change,
    }
    if params["Sidewalk"].get("DeviceProfileId") == "PROFILE":
        params["Sidewalk"]["DeviceProfileId"] = profile_id
    with pytest.raises(ClientError) as exc:
        raw.create_wireless_device(**params)
    assert error(exc) == (code, message, status)
    assert exc.value.response.get("ResourceType") == resource_type
    assert raw.list_wireless_devices()["WirelessDeviceList"] == []


def test_duplicate_smsn_conflicts(iotwireless: IoTWirelessClient) -> None:
    """A second device with a used SMSN raises ConflictException (an assumption); a delete frees it."""
    make_destination(iotwireless)
    profile_id = make_profile(iotwireless)
    first = make_device(iotwireless, profile_id)
    with pytest.raises(ClientError) as exc:
        make_device(iotwireless, profile_id, Name="twin")
    assert error(exc) == (
        "ConflictException",
        f"A wireless device with SidewalkManufacturingSn {SMSN} already exists",
        409,
    )
    assert exc.value.response["ResourceId"] == SMSN  # type: ignore[typeddict-item]
    assert exc.value.response["ResourceType"] == "WirelessDevice"  # type: ignore[typeddict-item]
    iotwireless.delete_wireless_device(Id=first)
    make_device(iotwireless, profile_id, Name="twin")


def test_device_token_replays_and_conflicts(iotwireless: IoTWirelessClient) -> None:
    """The same ClientRequestToken with the same input answers the same device; with other input, 409."""
    make_destination(iotwireless)
    profile_id = make_profile(iotwireless)
    first = make_device(iotwireless, profile_id, ClientRequestToken="dev-1")
    assert make_device(iotwireless, profile_id, ClientRequestToken="dev-1") == first
    assert len(iotwireless.list_wireless_devices()["WirelessDeviceList"]) == 1
    with pytest.raises(ClientError) as exc:
        make_device(iotwireless, profile_id, ClientRequestToken="dev-1", Name="other")
    assert error(exc) == (
        "ConflictException",
        "ClientRequestToken dev-1 was already used with other parameters",
        409,
    )


def test_update_changes_only_the_fields_given(iotwireless: IoTWirelessClient) -> None:
    """UpdateWirelessDevice answers 204 and changes name, description, destination and positioning given."""
    make_destination(iotwireless)
    make_destination(iotwireless, "other")
    device_id = make_device(iotwireless, make_profile(iotwireless), Description="kept")
    answer = iotwireless.update_wireless_device(
        Id=device_id,
        Name="renamed",
        DestinationName="other",
        Positioning="Enabled",
        Sidewalk={"Positioning": {"DestinationName": "other"}},
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    device = iotwireless.get_wireless_device(Identifier=device_id, IdentifierType="WirelessDeviceId")
    assert (device["Name"], device["Description"], device["DestinationName"]) == ("renamed", "kept", "other")
    assert (device["Positioning"], device["Sidewalk"]["Positioning"]) == (
        "Enabled",
        {"DestinationName": "other"},
    )
    iotwireless.update_wireless_device(Id=device_id, Description="changed")
    device = iotwireless.get_wireless_device(Identifier=device_id, IdentifierType="WirelessDeviceId")
    assert (device["Name"], device["Description"]) == ("renamed", "changed")


def test_update_to_an_unknown_destination_is_not_found(iotwireless: IoTWirelessClient) -> None:
    """UpdateWirelessDevice to a missing destination raises ResourceNotFoundException; nothing changes."""
    make_destination(iotwireless)
    device_id = make_device(iotwireless, make_profile(iotwireless))
    with pytest.raises(ClientError) as exc:
        iotwireless.update_wireless_device(Id=device_id, Name="renamed", DestinationName="missing")
    assert error(exc) == ("ResourceNotFoundException", "Destination missing not found", 404)
    device = iotwireless.get_wireless_device(Identifier=device_id, IdentifierType="WirelessDeviceId")
    assert (device["Name"], device["DestinationName"]) == ("sensor-1", DESTINATION)


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        pytest.param(
            "get_wireless_device", {"Identifier": "nope", "IdentifierType": "WirelessDeviceId"}, id="get"
        ),
        pytest.param(
            "get_wireless_device",
            {"Identifier": "nope", "IdentifierType": "SidewalkManufacturingSn"},
            id="get-smsn",
        ),
        pytest.param(
            "get_wireless_device", {"Identifier": "nope", "IdentifierType": "DevEui"}, id="get-deveui"
        ),
        pytest.param("update_wireless_device", {"Id": "nope", "Name": "x"}, id="update"),
        pytest.param("delete_wireless_device", {"Id": "nope"}, id="delete"),
    ],
)
def test_unknown_device_is_not_found(
    iotwireless: IoTWirelessClient, operation: str, params: dict[str, Any]
) -> None:
    """An operation on an unknown device raises ResourceNotFoundException naming it."""
    with pytest.raises(ClientError) as exc:
        getattr(iotwireless, operation)(**params)
    code, message, status = error(exc)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.startswith("Wireless device nope (")
    assert exc.value.response["ResourceId"] == "nope"  # type: ignore[typeddict-item]
    assert exc.value.response["ResourceType"] == "WirelessDevice"  # type: ignore[typeddict-item]


def test_delete_device_removes_it_and_its_tags(iotwireless: IoTWirelessClient) -> None:
    """DeleteWirelessDevice answers 204; the device is gone by id and by SMSN, and so are its tags."""
    make_destination(iotwireless)
    device_id = make_device(iotwireless, make_profile(iotwireless), Tags=[{"Key": "team", "Value": "iot"}])
    arn = f"arn:aws:iotwireless:{REGION}:{ACCOUNT}:WirelessDevice/{device_id}"
    assert iotwireless.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "iot"}]
    assert iotwireless.delete_wireless_device(Id=device_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_wireless_device(Identifier=SMSN, IdentifierType="SidewalkManufacturingSn")
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.list_tags_for_resource(ResourceArn=arn)


def test_devices_list_in_pages_and_by_filter(iotwireless: IoTWirelessClient) -> None:
    """ListWirelessDevices pages through the devices and filters them by destination, profile or type."""
    make_destination(iotwireless)
    make_destination(iotwireless, "other")
    first, second = make_profile(iotwireless), make_profile(iotwireless, Name="second")
    ids = {make_device(iotwireless, first, f"{index:064x}", Name=f"d{index}") for index in range(4)}
    odd = make_device(iotwireless, second, "e" * 64, DestinationName="other")
    seen: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:
        page = iotwireless.list_wireless_devices(MaxResults=2, **token)
        seen += page["WirelessDeviceList"]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert sorted(d["Id"] for d in seen) == sorted({*ids, odd})
    assert all("PrivateKeys" not in d["Sidewalk"] for d in seen)
    assert [
        d["Id"] for d in iotwireless.list_wireless_devices(DestinationName="other")["WirelessDeviceList"]
    ] == [odd]
    assert [
        d["Id"] for d in iotwireless.list_wireless_devices(DeviceProfileId=second)["WirelessDeviceList"]
    ] == [odd]
    assert len(iotwireless.list_wireless_devices(WirelessDeviceType="Sidewalk")["WirelessDeviceList"]) == 5
    assert iotwireless.list_wireless_devices(WirelessDeviceType="LoRaWAN")["WirelessDeviceList"] == []
    assert iotwireless.list_wireless_devices(FuotaTaskId="fuota")["WirelessDeviceList"] == []


def test_bad_next_token_is_refused(iotwireless: IoTWirelessClient) -> None:
    """ListWirelessDevices with a NextToken it never gave raises ValidationException."""
    with pytest.raises(ClientError) as exc:
        iotwireless.list_wireless_devices(NextToken="garbage")
    assert error(exc) == (
        "ValidationException",
        "NextToken is not valid: pass the NextToken of a previous page",
        400,
    )


def test_destination_devices_use_cannot_be_deleted(iotwireless: IoTWirelessClient) -> None:
    """DeleteDestination of a destination a device uses raises ConflictException until the device leaves."""
    make_destination(iotwireless)
    make_destination(iotwireless, "other")
    device_id = make_device(iotwireless, make_profile(iotwireless))
    with pytest.raises(ClientError) as exc:
        iotwireless.delete_destination(Name=DESTINATION)
    assert error(exc) == (
        "ConflictException",
        f"Destination {DESTINATION} is used by wireless devices and cannot be deleted",
        409,
    )
    iotwireless.update_wireless_device(Id=device_id, DestinationName="other")
    iotwireless.delete_destination(Name=DESTINATION)
    iotwireless.delete_wireless_device(Id=device_id)
    iotwireless.delete_destination(Name="other")


@pytest.mark.parametrize("kind", ["profile", "device"])
def test_tags_work_on_the_new_arns(iotwireless: IoTWirelessClient, kind: str) -> None:
    """Tagging operations work on profile and device ARNs, with the tag limit."""
    make_destination(iotwireless)
    profile_id = make_profile(iotwireless, Tags=[{"Key": "team", "Value": "iot"}])
    if kind == "profile":
        arn = iotwireless.get_device_profile(Id=profile_id)["Arn"]
    else:
        device_id = make_device(iotwireless, profile_id, Tags=[{"Key": "team", "Value": "iot"}])
        arn = iotwireless.get_wireless_device(Identifier=device_id, IdentifierType="WirelessDeviceId")["Arn"]
    iotwireless.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    iotwireless.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert iotwireless.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    with pytest.raises(ClientError) as exc:
        iotwireless.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(200)])
    assert error(exc) == ("TooManyTagsException", "A resource can have at most 200 tags", 400)


def test_accounts_and_regions_hold_separate_devices(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """Profiles and devices of one account and region are invisible in another; an SMSN is unique per each."""
    emulator.backend.update_settings(
        accounts={"AKIDOTHER": "210987654321"}, sidewalk_regions={REGION, "us-west-2"}
    )
    clients = [
        make_iotwireless(),
        make_iotwireless(access_key="AKIDOTHER"),
        make_iotwireless(region="us-west-2"),
    ]
    made = []
    for client in clients:
        make_destination(client)
        made.append(make_device(client, make_profile(client)))
    for client, device_id in zip(clients, made, strict=True):
        assert [d["Id"] for d in client.list_wireless_devices()["WirelessDeviceList"]] == [device_id]
        assert len(client.list_device_profiles()["DeviceProfileList"]) == 1
    with pytest.raises(clients[1].exceptions.ResourceNotFoundException):
        clients[1].get_wireless_device(Identifier=made[0], IdentifierType="WirelessDeviceId")


def test_throttling_fault_reaches_the_new_operations(
    emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """An injected ThrottlingException answers a device-path call with 429, and nothing is created."""
    make_destination(iotwireless)
    profile_id = make_profile(iotwireless)
    emulator.faults.fail_next(1)
    with pytest.raises(ClientError) as exc:
        make_device(iotwireless, profile_id)
    assert error(exc) == ("ThrottlingException", "Rate exceeded", 429)
    assert iotwireless.list_wireless_devices()["WirelessDeviceList"] == []
    assert emulator.calls()[-2:] == ["CreateWirelessDevice", "ListWirelessDevices"]


def test_unsigned_or_badly_signed_device_calls_are_refused(
    make_iotwireless: Callable[..., IoTWirelessClient],
) -> None:
    """With credentials set, a device-path call with the wrong secret raises InvalidSignatureException."""
    with Emulator(credentials={"AKIDEXAMPLE": "right-secret"}) as checked:
        good = make_iotwireless(checked.url, secret_key="right-secret")
        assert good.list_wireless_devices()["WirelessDeviceList"] == []
        with pytest.raises(ClientError) as exc:
            make_iotwireless(checked.url, secret_key="wrong-secret").list_device_profiles()
        assert error(exc)[0::2] == ("InvalidSignatureException", 403)


def test_devices_survive_a_restart_with_a_state_file(
    tmp_path: Path, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """With a state file, profiles, devices and their tags are there after a restart, with the same keys."""
    state = tmp_path / "state.json"
    with Emulator(state_file=state) as first:
        client = make_iotwireless(first.url)
        make_destination(client)
        profile_id = make_profile(client)
        device_id = make_device(client, profile_id, Tags=[{"Key": "team", "Value": "iot"}])
        before = client.get_wireless_device(Identifier=device_id, IdentifierType="WirelessDeviceId")
    assert all(key["Value"] not in state.read_text() for key in before["Sidewalk"]["PrivateKeys"])
    with Emulator(state_file=state) as second:
        client = make_iotwireless(second.url)
        after = client.get_wireless_device(Identifier=device_id, IdentifierType="WirelessDeviceId")
        assert after["Sidewalk"] == before["Sidewalk"]
        assert client.list_tags_for_resource(ResourceArn=after["Arn"])["Tags"] == [
            {"Key": "team", "Value": "iot"}
        ]
        assert client.get_device_profile(Id=profile_id)["Id"] == profile_id
        with pytest.raises(client.exceptions.ConflictException):
            client.delete_destination(Name=DESTINATION)


def test_rate_limit_throttles_one_operation_beyond_its_quota(
    emulator: Emulator, iotwireless: IoTWirelessClient, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """A rate limit throttles CreateWirelessDevice beyond its burst, in one account, and nothing else."""
    make_destination(iotwireless)
    profile_id = make_profile(iotwireless)
    EmulatorClient(emulator.url).rate_limit("CreateWirelessDevice", per_second=0.01, burst=2)
    make_device(iotwireless, profile_id, f"{1:064x}")
    make_device(iotwireless, profile_id, f"{2:064x}")
    with pytest.raises(ClientError) as exc:
        make_device(iotwireless, profile_id, f"{3:064x}")
    assert error(exc) == ("ThrottlingException", "Rate exceeded", 429)
    assert len(iotwireless.list_wireless_devices()["WirelessDeviceList"]) == 2
    assert [entry["faulted"] for entry in emulator.log[-4:]] == [False, False, True, False]
    # Quotas are per account and region: another account still has its burst.
    emulator.backend.update_settings(accounts={"AKIDOTHER": "210987654321"})
    other = make_iotwireless(access_key="AKIDOTHER")
    make_destination(other)
    make_device(other, make_profile(other), f"{3:064x}")
    emulator.faults.clear()
    make_device(iotwireless, profile_id, f"{3:064x}")


@pytest.mark.serial
def test_botocore_retries_absorb_the_rate_limit(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """With botocore's standard retries, calls beyond a quota are throttled, retried and all succeed."""
    client = make_iotwireless(config=Config(retries={"total_max_attempts": 10, "mode": "standard"}))
    make_destination(client)
    profile_id = make_profile(client)
    # Slow enough that even a loaded machine sends the calls faster than the quota refills.
    emulator.faults.rate_limit("CreateWirelessDevice", per_second=1, burst=1)
    for index in range(3):
        make_device(client, profile_id, f"{index:064x}")
    assert len(client.list_wireless_devices()["WirelessDeviceList"]) == 3
    created = [entry for entry in emulator.log if entry["operation"] == "CreateWirelessDevice"]
    assert len(created) > 3
    assert {entry["status"] for entry in created} == {201, 429}


def test_bad_rate_limits_are_refused(emulator: Emulator) -> None:
    """A rate limit on an operation not emulated, or of no calls at all, is refused."""
    with pytest.raises(ValueError, match="operation must be one of"):
        emulator.faults.rate_limit("CreateFuotaTask", per_second=1)
    with pytest.raises(ValueError, match="per_second must be more than 0"):
        emulator.faults.rate_limit("CreateWirelessDevice", per_second=0)
