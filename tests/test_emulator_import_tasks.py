"""The emulator's Sidewalk import tasks, reading CSV files from a moto S3 server, through boto3 over HTTP."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from tests.emulator import Emulator, EmulatorClient

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
DESTINATION = "uplinks"
ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk-import"
# Long enough that real time never moves a task on by itself; the tests move the clock.
STEP = 60.0
SMSNS = [f"{index:064x}" for index in range(1, 4)]
FAILING_REASON = "Device certificate was not signed by the profile's DAK"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    """A moto S3 server on a free local port, for the device creation files."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def upload(s3_url: str) -> Iterator[Callable[[str], str]]:
    """Put a CSV text into a fresh bucket and return its s3:// URL."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = f"fleet-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    count = 0

    def put(text: str) -> str:
        nonlocal count
        count += 1
        key = f"devices-{count}.csv"
        client.put_object(Bucket=bucket, Key=key, Body=text.encode())
        return f"s3://{bucket}/{key}"

    yield put
    client.close()


@pytest.fixture
def imports(emulator: Emulator, iotwireless: IoTWirelessClient, s3_url: str) -> IoTWirelessClient:
    """A client of an emulator that reads from the moto S3 server, with a destination and slow steps."""
    emulator.backend.update_settings(s3_endpoint_url=s3_url, import_step_seconds=STEP)
    iotwireless.create_destination(
        Name=DESTINATION, Expression="sidewalk_rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
    )
    return iotwireless


def start(client: IoTWirelessClient, url: str, **kwargs: Any) -> str:
    """Begin an import task from a CSV file and return its id."""
    sidewalk = {"DeviceCreationFile": url, "Role": ROLE_ARN}
    return client.start_wireless_device_import_task(DestinationName=DESTINATION, Sidewalk=sidewalk, **kwargs)[
        "Id"
    ]


def start_single(client: IoTWirelessClient, smsn: str = SMSNS[0], **kwargs: Any) -> str:
    """Start an import task of one device and return its id."""
    sidewalk = {"SidewalkManufacturingSn": smsn}
    params = {"DeviceName": "single", **kwargs}
    return client.start_single_wireless_device_import_task(
        DestinationName=DESTINATION, Sidewalk=sidewalk, **params
    )["Id"]


def counts(client: IoTWirelessClient, task_id: str) -> tuple[str, int, int, int, int]:
    """Return a task's status and its initialized, pending, onboarded and failed counts."""
    task = client.get_wireless_device_import_task(Id=task_id)
    return (
        task["Status"],
        task["InitializedImportedDeviceCount"],
        task["PendingImportedDeviceCount"],
        task["OnboardedImportedDeviceCount"],
        task["FailedImportedDeviceCount"],
    )


def onboarding(client: IoTWirelessClient, task_id: str, **kwargs: Any) -> dict[str, tuple[str, str | None]]:
    """Map each SMSN of a task to its onboarding status and reason."""
    listed = client.list_devices_for_wireless_device_import_task(Id=task_id, **kwargs)
    return {
        d["Sidewalk"]["SidewalkManufacturingSn"]: (
            d["Sidewalk"]["OnboardingStatus"],
            d["Sidewalk"].get("OnboardingStatusReason"),
        )
        for d in listed["ImportedWirelessDeviceList"]
    }


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    """Return the code, message and HTTP status of a ClientError."""
    response: Any = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_devices_move_through_the_onboarding_states(
    emulator: Emulator, imports: IoTWirelessClient, upload: Callable[[str], str]
) -> None:
    """Devices go INITIALIZED, PENDING, then ONBOARDED or FAILED as told; status and counts follow."""
    emulator.backend.update_settings(import_failures={SMSNS[2]: FAILING_REASON})
    url = upload("smsn,name\n" + "".join(f"{smsn},sensor-{i}\n" for i, smsn in enumerate(SMSNS)))
    answer = imports.start_wireless_device_import_task(
        DestinationName=DESTINATION, Sidewalk={"DeviceCreationFile": url, "Role": ROLE_ARN}
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 201
    task_id = answer["Id"]
    assert answer["Arn"] == f"arn:aws:iotwireless:{REGION}:{ACCOUNT}:ImportTask/{task_id}"
    assert counts(imports, task_id) == ("INITIALIZED", 3, 0, 0, 0)
    assert set(onboarding(imports, task_id).values()) == {("INITIALIZED", None)}
    emulator.backend.advance_clock(STEP)
    assert counts(imports, task_id) == ("PENDING", 0, 3, 0, 0)
    assert imports.list_wireless_devices()["WirelessDeviceList"] == []
    emulator.backend.advance_clock(STEP)
    assert counts(imports, task_id) == ("COMPLETE", 0, 0, 2, 1)
    assert onboarding(imports, task_id) == {
        SMSNS[0]: ("ONBOARDED", None),
        SMSNS[1]: ("ONBOARDED", None),
        SMSNS[2]: ("FAILED", FAILING_REASON),
    }
    task = imports.get_wireless_device_import_task(Id=task_id)
    assert task["Sidewalk"] == {"DeviceCreationFileList": [url], "Role": ROLE_ARN}
    assert task["DestinationName"] == DESTINATION
    devices = imports.list_wireless_devices()["WirelessDeviceList"]
    assert sorted((d["Name"], d["Sidewalk"]["SidewalkManufacturingSn"]) for d in devices) == [
        ("sensor-0", SMSNS[0]),
        ("sensor-1", SMSNS[1]),
    ]


def test_onboarded_device_is_a_wireless_device_without_private_keys(
    emulator: Emulator, imports: IoTWirelessClient
) -> None:
    """A device a single-device task onboards is found by SMSN, named after the task, without private keys."""
    task_id = start_single(imports, DeviceName="gate-sensor", Positioning="Enabled")
    emulator.backend.advance_clock(2 * STEP)
    assert counts(imports, task_id) == ("COMPLETE", 0, 0, 1, 0)
    device = imports.get_wireless_device(Identifier=SMSNS[0], IdentifierType="SidewalkManufacturingSn")
    assert (device["Name"], device["DestinationName"], device["Positioning"]) == (
        "gate-sensor",
        DESTINATION,
        "Enabled",
    )
    assert device["Sidewalk"]["Status"] == "PROVISIONED"
    assert [c["SigningAlg"] for c in device["Sidewalk"]["DeviceCertificates"]] == ["Ed25519", "P256r1"]
    assert "PrivateKeys" not in device["Sidewalk"]
    assert "DeviceProfileId" not in device["Sidewalk"]
    imports.delete_wireless_device(Id=device["Id"])


def test_devices_onboard_over_real_time_with_a_short_step(
    emulator: Emulator, imports: IoTWirelessClient
) -> None:
    """With a short step and no clock moved, a device onboards two steps after the task starts."""
    emulator.backend.update_settings(import_step_seconds=0.3)
    task_id = start_single(imports)
    time.sleep(0.7)
    assert counts(imports, task_id) == ("COMPLETE", 0, 0, 1, 0)
    created = imports.get_wireless_device_import_task(Id=task_id)["CreationTime"]
    (device,) = imports.list_devices_for_wireless_device_import_task(Id=task_id)["ImportedWirelessDeviceList"]
    onboarded = device["Sidewalk"]["LastUpdateTime"]
    assert (onboarded - created).total_seconds() == pytest.approx(0.6, abs=0.002)


def test_clock_moves_through_the_control_endpoint(emulator: Emulator, imports: IoTWirelessClient) -> None:
    """Another process moves the emulator's clock through the control endpoint; a negative move is refused."""
    task_id = start_single(imports)
    control = EmulatorClient(emulator.url)
    control.advance_clock(STEP)
    assert counts(imports, task_id)[0] == "PENDING"
    with pytest.raises(RuntimeError, match="the clock only moves forward"):
        control.advance_clock(-1)


def test_smsn_of_an_existing_device_fails_to_onboard(emulator: Emulator, imports: IoTWirelessClient) -> None:
    """Importing the SMSN of an existing device fails that device with a reason (an assumption)."""
    profile = imports.create_device_profile(Sidewalk={})["Id"]
    imports.create_wireless_device(
        Type="Sidewalk",
        DestinationName=DESTINATION,
        Sidewalk={"DeviceProfileId": profile, "SidewalkManufacturingSn": SMSNS[0]},
    )
    task_id = start_single(imports)
    emulator.backend.advance_clock(2 * STEP)
    assert counts(imports, task_id) == ("COMPLETE", 0, 0, 0, 1)
    assert onboarding(imports, task_id) == {
        SMSNS[0]: ("FAILED", f"A wireless device with SidewalkManufacturingSn {SMSNS[0]} already exists")
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param(None, "Cannot read {url}: ", id="missing-object"),
        pytest.param("smsn\n", "{url} lists no device", id="no-device"),
        pytest.param(
            "smsn\n" + "s" * 65 + "\n", "{url}: device 1 has no SMSN of 1 to 64 characters", id="long-smsn"
        ),
    ],
)
def test_unreadable_file_fails_the_task(
    imports: IoTWirelessClient, upload: Callable[[str], str], text: str | None, reason: str
) -> None:
    """A file that cannot be read or lists no valid device makes the task FAILED with a StatusReason."""
    url = upload(text) if text is not None else upload("").replace(".csv", "-absent.csv")
    task_id = start(imports, url)
    task = imports.get_wireless_device_import_task(Id=task_id)
    assert task["Status"] == "FAILED"
    assert task["StatusReason"].startswith(reason.format(url=url))
    assert counts(imports, task_id)[1:] == (0, 0, 0, 0)


def test_without_an_s3_endpoint_the_task_fails(emulator: Emulator, imports: IoTWirelessClient) -> None:
    """Without an S3 endpoint, a task from a file is FAILED and names the missing setting."""
    emulator.backend.update_settings(s3_endpoint_url=None)
    task_id = start(imports, "s3://fleet/devices.csv")
    task = imports.get_wireless_device_import_task(Id=task_id)
    assert (task["Status"], task["StatusReason"]) == (
        "FAILED",
        "Cannot read s3://fleet/devices.csv: the emulator has no S3 endpoint (setting s3_endpoint_url)",
    )


@pytest.mark.parametrize(
    ("sidewalk", "message"),
    [
        pytest.param(
            {"DeviceCreationFile": "fleet/devices.csv", "Role": ROLE_ARN},
            "Sidewalk.DeviceCreationFile must be an S3 URL: s3://bucket/key or https://bucket.s3.amazonaws.com/key",
            id="not-s3",
        ),
        pytest.param(
            {"DeviceCreationFile": "s3://fleet/devices.csv"},
            "1 validation error detected: Value at 'Sidewalk.Role' failed to satisfy constraint: "
            "Member must not be null",
            id="no-role",
        ),
        pytest.param(
            {"Role": ROLE_ARN},
            "1 validation error detected: Value at 'Sidewalk.DeviceCreationFile' failed to satisfy "
            "constraint: Member must not be null",
            id="no-file",
        ),
    ],
)
def test_bad_start_is_refused(imports: IoTWirelessClient, sidewalk: dict[str, str], message: str) -> None:
    """A start without an S3 file or role raises ValidationException and starts nothing."""
    with pytest.raises(ClientError) as exc:
        imports.start_wireless_device_import_task(DestinationName=DESTINATION, Sidewalk=sidewalk)
    assert error(exc) == ("ValidationException", message, 400)
    assert imports.list_wireless_device_import_tasks()["WirelessDeviceImportTaskList"] == []


def test_single_start_without_smsn_is_refused(imports: IoTWirelessClient) -> None:
    """StartSingleWirelessDeviceImportTask without an SMSN raises ValidationException naming it."""
    with pytest.raises(ClientError) as exc:
        imports.start_single_wireless_device_import_task(DestinationName=DESTINATION, Sidewalk={})
    assert error(exc) == (
        "ValidationException",
        "1 validation error detected: Value at 'Sidewalk.SidewalkManufacturingSn' failed to satisfy "
        "constraint: Member must not be null",
        400,
    )


def test_start_with_an_unknown_destination_is_not_found(imports: IoTWirelessClient) -> None:
    """An import task naming a destination that does not exist raises ResourceNotFoundException naming it."""
    with pytest.raises(ClientError) as exc:
        imports.start_single_wireless_device_import_task(
            DestinationName="missing", Sidewalk={"SidewalkManufacturingSn": SMSNS[0]}
        )
    assert error(exc) == ("ResourceNotFoundException", "Destination missing not found", 404)
    assert exc.value.response["ResourceType"] == "Destination"  # type: ignore[typeddict-item]


def test_update_appends_the_devices_of_another_file(
    emulator: Emulator, imports: IoTWirelessClient, upload: Callable[[str], str]
) -> None:
    """UpdateWirelessDeviceImportTask adds a second file's devices; a repeated SMSN is listed once."""
    first = upload(f"{SMSNS[0]}\n")
    task_id = start(imports, first)
    emulator.backend.advance_clock(2 * STEP)
    assert counts(imports, task_id) == ("COMPLETE", 0, 0, 1, 0)
    second = upload(f"{SMSNS[0]}\n{SMSNS[1]},late\n")
    answer = imports.update_wireless_device_import_task(Id=task_id, Sidewalk={"DeviceCreationFile": second})
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert counts(imports, task_id) == ("PENDING", 1, 0, 1, 0)
    assert imports.get_wireless_device_import_task(Id=task_id)["Sidewalk"]["DeviceCreationFileList"] == [
        first,
        second,
    ]
    emulator.backend.advance_clock(2 * STEP)
    assert counts(imports, task_id) == ("COMPLETE", 0, 0, 2, 0)
    late = imports.get_wireless_device(Identifier=SMSNS[1], IdentifierType="SidewalkManufacturingSn")
    assert late["Name"] == "late"


def test_update_of_a_single_device_task_is_refused(
    imports: IoTWirelessClient, upload: Callable[[str], str]
) -> None:
    """A single-device task takes no file: UpdateWirelessDeviceImportTask raises ValidationException."""
    task_id = start_single(imports)
    with pytest.raises(ClientError) as exc:
        imports.update_wireless_device_import_task(Id=task_id, Sidewalk={"DeviceCreationFile": upload("x\n")})
    assert error(exc) == (
        "ValidationException",
        f"Import task {task_id} onboards a single device and cannot take a file",
        400,
    )


def test_delete_keeps_onboarded_devices_and_drops_the_rest(
    emulator: Emulator, imports: IoTWirelessClient, upload: Callable[[str], str]
) -> None:
    """DeleteWirelessDeviceImportTask answers 204: onboarded devices stay, pending ones never come."""
    task_id = start(imports, upload(f"{SMSNS[0]}\n"), Tags=[{"Key": "batch", "Value": "7"}])
    emulator.backend.advance_clock(2 * STEP)
    imports.update_wireless_device_import_task(
        Id=task_id, Sidewalk={"DeviceCreationFile": upload(f"{SMSNS[1]}\n")}
    )
    answer = imports.delete_wireless_device_import_task(Id=task_id)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        imports.get_wireless_device_import_task(Id=task_id)
    assert error(exc) == ("ResourceNotFoundException", f"Import task {task_id} not found", 404)
    assert exc.value.response["ResourceType"] == "ImportTask"  # type: ignore[typeddict-item]
    emulator.backend.advance_clock(2 * STEP)
    devices = imports.list_wireless_devices()["WirelessDeviceList"]
    assert [d["Sidewalk"]["SidewalkManufacturingSn"] for d in devices] == [SMSNS[0]]
    with pytest.raises(imports.exceptions.ResourceNotFoundException):
        imports.list_tags_for_resource(
            ResourceArn=f"arn:aws:iotwireless:{REGION}:{ACCOUNT}:ImportTask/{task_id}"
        )


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        pytest.param("get_wireless_device_import_task", {}, id="get"),
        pytest.param("list_devices_for_wireless_device_import_task", {}, id="list-devices"),
        pytest.param(
            "update_wireless_device_import_task",
            {"Sidewalk": {"DeviceCreationFile": "s3://b/k.csv"}},
            id="update",
        ),
        pytest.param("delete_wireless_device_import_task", {}, id="delete"),
    ],
)
def test_unknown_task_is_not_found(
    imports: IoTWirelessClient, operation: str, params: dict[str, Any]
) -> None:
    """An operation on an unknown import task raises ResourceNotFoundException naming it."""
    with pytest.raises(ClientError) as exc:
        getattr(imports, operation)(Id="nope", **params)
    assert error(exc) == ("ResourceNotFoundException", "Import task nope not found", 404)
    assert exc.value.response["ResourceId"] == "nope"  # type: ignore[typeddict-item]


def test_destination_of_a_task_still_onboarding_is_in_use(
    emulator: Emulator, imports: IoTWirelessClient
) -> None:
    """DeleteDestination conflicts while a task onboards to it, and while its onboarded device uses it."""
    task_id = start_single(imports)
    with pytest.raises(ClientError) as exc:
        imports.delete_destination(Name=DESTINATION)
    assert error(exc)[0::2] == ("ConflictException", 409)
    emulator.backend.advance_clock(2 * STEP)
    with pytest.raises(imports.exceptions.ConflictException):
        imports.delete_destination(Name=DESTINATION)
    (device,) = imports.list_wireless_devices()["WirelessDeviceList"]
    imports.delete_wireless_device(Id=device["Id"])
    imports.delete_destination(Name=DESTINATION)
    assert counts(imports, task_id) == ("COMPLETE", 0, 0, 1, 0)


def test_task_devices_list_by_status_and_in_pages(
    emulator: Emulator, imports: IoTWirelessClient, upload: Callable[[str], str]
) -> None:
    """ListDevicesForWirelessDeviceImportTask filters by onboarding status and pages in the file's order."""
    smsns = [f"{index:064x}" for index in range(1, 8)]
    emulator.backend.update_settings(import_failures={smsns[3]: FAILING_REASON})
    task_id = start(imports, upload("".join(f"{smsn}\n" for smsn in smsns)))
    emulator.backend.advance_clock(2 * STEP)
    seen: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = imports.list_devices_for_wireless_device_import_task(Id=task_id, MaxResults=3, **token)
        assert page["DestinationName"] == DESTINATION
        seen += [d["Sidewalk"]["SidewalkManufacturingSn"] for d in page["ImportedWirelessDeviceList"]]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert seen == smsns
    assert onboarding(imports, task_id, Status="FAILED") == {smsns[3]: ("FAILED", FAILING_REASON)}
    assert len(onboarding(imports, task_id, Status="ONBOARDED")) == 6
    assert onboarding(imports, task_id, Status="PENDING") == {}


def test_tasks_list_in_pages(imports: IoTWirelessClient) -> None:
    """ListWirelessDeviceImportTasks pages through every task of the account."""
    made = {start_single(imports, smsn) for smsn in SMSNS}
    first = imports.list_wireless_device_import_tasks(MaxResults=2)
    rest = imports.list_wireless_device_import_tasks(MaxResults=2, NextToken=first["NextToken"])
    assert "NextToken" not in rest
    listed = first["WirelessDeviceImportTaskList"] + rest["WirelessDeviceImportTaskList"]
    assert {task["Id"] for task in listed} == made
    assert {task["Status"] for task in listed} == {"INITIALIZED"}


def test_single_task_token_replays_and_conflicts(imports: IoTWirelessClient) -> None:
    """The same ClientRequestToken with the same input answers the same task; with other input, 409."""
    first = start_single(imports, ClientRequestToken="import-1")
    assert start_single(imports, ClientRequestToken="import-1") == first
    assert len(imports.list_wireless_device_import_tasks()["WirelessDeviceImportTaskList"]) == 1
    with pytest.raises(ClientError) as exc:
        start_single(imports, SMSNS[1], ClientRequestToken="import-1")
    assert error(exc) == (
        "ConflictException",
        "ClientRequestToken import-1 was already used with other parameters",
        409,
    )


def test_tags_work_on_the_task_arn(imports: IoTWirelessClient) -> None:
    """Tags given at start are listed on the task's ARN, and the tagging operations change them."""
    task_id = start_single(imports, Tags=[{"Key": "batch", "Value": "7"}])
    arn = imports.get_wireless_device_import_task(Id=task_id)["Arn"]
    imports.tag_resource(ResourceArn=arn, Tags=[{"Key": "line", "Value": "A"}])
    imports.untag_resource(ResourceArn=arn, TagKeys=["batch"])
    assert imports.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "line", "Value": "A"}]


def test_tasks_survive_a_restart_and_carry_on(
    tmp_path: Path, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """With a state file, a task started before a restart is there after it and goes on onboarding."""
    state = tmp_path / "state.json"
    with Emulator(state_file=state, import_step_seconds=STEP) as first:
        client = make_iotwireless(first.url)
        client.create_destination(
            Name=DESTINATION, Expression="sidewalk_rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
        )
        task_id = start_single(client)
        first.backend.advance_clock(STEP)
        assert counts(client, task_id)[0] == "PENDING"
    with Emulator(state_file=state, import_step_seconds=STEP) as second:
        client = make_iotwireless(second.url)
        assert counts(client, task_id)[0] == "PENDING"
        second.backend.advance_clock(STEP)
        assert counts(client, task_id) == ("COMPLETE", 0, 0, 1, 0)
        assert client.get_wireless_device(Identifier=SMSNS[0], IdentifierType="SidewalkManufacturingSn")[
            "Name"
        ] == ("single")
