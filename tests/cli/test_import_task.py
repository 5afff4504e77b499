"""A Sidewalk device import task through the real CLI: progress, outputs, failed devices, strict, S3."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.cli.project import PulumiProject
from tests.cli.test_devices import up
from tests.emulator import Emulator
from tests.operations import (
    GET_IMPORT,
    IMPORT_CREATE_CALLS,
    IMPORT_DELETE_CALLS,
    IMPORT_SINGLE_CREATE_CALLS,
    IMPORT_UPDATE_CALLS,
    polled_once,
)
from tests.support import IMPORT_TASK_TYPE, SMSN
from tests.test_emulator_import_tasks import s3_url, upload  # noqa: F401 (fixtures)

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

PROGRAM = Path(__file__).parent / "programs" / "import_task"
ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk-import"
SMSNS = [f"{index:064x}" for index in range(1, 4)]
REASON = "Device certificate was not signed by the profile's DAK"
# Fast enough for a test, slow enough that a poll sees a device pending.
STEP = 0.5


@pytest.fixture
def imports(
    make_project: Callable[..., PulumiProject],
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    s3_url: str,  # noqa: F811 (fixture)
) -> PulumiProject:
    """Return a new stack of the import program on the destination `uplinks`, files read from moto."""
    emulator.backend.update_settings(s3_endpoint_url=s3_url, import_step_seconds=STEP)
    iotwireless.create_destination(
        Name="uplinks", Expression="rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
    )
    project = make_project().copy_program(PROGRAM).init()
    project.config_set("aws:region", "us-east-1")
    project.config_set("imports:destinationName", "uplinks")
    project.config_set("imports:pollIntervalSeconds", "0.2")
    return project


def test_one_device_up_shows_progress_and_outputs_then_destroy(
    imports: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """`up` of one SMSN prints progress and outputs; another SMSN replaces; refresh and destroy follow AWS."""
    imports.config_set("imports:smsn", SMSN)
    imports.config_set("imports:deviceName", "gate-sensor")
    emulator.clear_log()
    run = imports.run("up", "--yes", "--skip-preview")
    assert polled_once(emulator.calls()) == IMPORT_SINGLE_CREATE_CALLS
    outputs = imports.outputs()
    task_id = outputs["taskId"]
    assert f"import task {task_id}: 0 of 1 onboarded, 0 failed, 1 pending" in run.output
    assert f"import task {task_id}: 1 of 1 onboarded, 0 failed, 0 pending" in run.output
    assert outputs["status"] == "COMPLETE"
    assert outputs["counts"] == {"initialized": 0, "pending": 0, "onboarded": 1, "failed": 0}
    assert outputs["devices"] == [{"smsn": SMSN, "onboardingStatus": "ONBOARDED", "reason": ""}]
    device = iotwireless.get_wireless_device(Identifier=SMSN, IdentifierType="SidewalkManufacturingSn")
    assert device["Name"] == "gate-sensor"

    # Nothing to do: no call.
    assert up(imports, emulator) == []

    # Another SMSN is another task: the old one is deleted first, then the new one started.
    imports.config_set("imports:smsn", SMSNS[0])
    preview = imports.run("preview", "--diff")
    assert "+-" in preview.stdout and "sidewalkManufacturingSn" in preview.stdout
    emulator.clear_log()
    imports.run("up", "--yes", "--skip-preview")
    assert polled_once(emulator.calls()) == [*IMPORT_DELETE_CALLS, *IMPORT_SINGLE_CREATE_CALLS]
    task_id = imports.outputs()["taskId"]

    # A task deleted outside Pulumi: refresh drops it, and the next up starts it again.
    iotwireless.delete_wireless_device_import_task(Id=task_id)
    emulator.clear_log()
    imports.run("refresh", "--yes", "--skip-preview")
    assert emulator.calls() == [GET_IMPORT]
    assert imports.resources(IMPORT_TASK_TYPE) == []
    imports.run("up", "--yes", "--skip-preview")
    assert imports.outputs()["status"] == "COMPLETE"

    emulator.clear_log()
    imports.run("destroy", "--yes")
    assert emulator.calls() == IMPORT_DELETE_CALLS
    assert iotwireless.list_wireless_device_import_tasks()["WirelessDeviceImportTaskList"] == []
    # The device it onboarded is a wireless device of its own: it stays.
    iotwireless.get_wireless_device(Identifier=SMSN, IdentifierType="SidewalkManufacturingSn")


def test_failed_device_warns_and_strict_fails_the_up(
    imports: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A failed device fails `up` under strict, warning its reason; without strict, the same task passes."""
    emulator.backend.update_settings(import_failures={SMSN: REASON})
    imports.config_set("imports:smsn", SMSN)
    imports.config_set("imports:strict", "true")
    failed = imports.run("up", "--yes", "--skip-preview", check=False)
    assert failed.returncode != 0
    [task] = iotwireless.list_wireless_device_import_tasks()["WirelessDeviceImportTaskList"]
    assert f"import task {task['Id']}: device {SMSN} failed to onboard: {REASON}" in failed.output
    assert (
        f"import task {task['Id']} in us-east-1: 1 device(s) failed to onboard ({SMSN}) and strict is true"
        in failed.output
    )
    assert "Traceback" not in failed.output

    # Without strict the same request finds the same task: a warning, and the up succeeds.
    imports.config_set("imports:strict", "false")
    run = imports.run("up", "--yes", "--skip-preview")
    assert f"device {SMSN} failed to onboard: {REASON}" in run.output
    outputs = imports.outputs()
    assert outputs["taskId"] == task["Id"]
    assert outputs["counts"]["failed"] == 1
    assert outputs["devices"] == [{"smsn": SMSN, "onboardingStatus": "FAILED", "reason": REASON}]


def test_csv_in_s3_onboards_then_a_new_file_updates_in_place(
    imports: PulumiProject,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    upload: Callable[[str], str],  # noqa: F811 (fixture)
) -> None:
    """`up` of a CSV in S3 onboards its devices; a new file is appended to the same task; destroy."""
    first = upload("smsn,name\n" + "".join(f"{s},sensor-{i}\n" for i, s in enumerate(SMSNS[:2])))
    imports.config_set("imports:deviceCreationFile", first)
    imports.config_set("imports:role", ROLE_ARN)
    assert polled_once(up(imports, emulator)) == IMPORT_CREATE_CALLS
    before = imports.outputs()
    assert before["counts"] == {"initialized": 0, "pending": 0, "onboarded": 2, "failed": 0}

    second = upload(f"{SMSNS[2]},sensor-2\n")
    imports.config_set("imports:deviceCreationFile", second)
    assert polled_once(up(imports, emulator)) == IMPORT_UPDATE_CALLS
    after = imports.outputs()
    assert after["taskId"] == before["taskId"]
    assert [d["smsn"] for d in after["devices"]] == SMSNS
    assert after["counts"]["onboarded"] == 3
    names = sorted(d["Name"] for d in iotwireless.list_wireless_devices()["WirelessDeviceList"])
    assert names == ["sensor-0", "sensor-1", "sensor-2"]

    emulator.clear_log()
    imports.run("destroy", "--yes")
    assert emulator.calls() == IMPORT_DELETE_CALLS
