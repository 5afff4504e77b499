"""The SidewalkDeviceImportTask lifecycle through the real provider process and the emulator over HTTP.

The emulator reads CSV files from a moto S3 server, and moves devices on in real time, one step of
`import_step_seconds` per onboarding state; the provider polls it every `pollIntervalSeconds`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from providers.import_task import ImportTaskProvider
from tests.cli.project import wait_until
from tests.emulator import Emulator
from tests.engine import wire
from tests.engine.engine import STACK, Engine, EngineError, Registration
from tests.engine.provider import PROJECT_NAME
from tests.operations import (
    DELETE_IMPORT,
    GET_IMPORT,
    IMPORT_CREATE_CALLS,
    IMPORT_DELETE_CALLS,
    IMPORT_READ_CALLS,
    IMPORT_SINGLE_CREATE_CALLS,
    IMPORT_UPDATE_CALLS,
    START_IMPORT,
    START_SINGLE_IMPORT,
    TAG,
    UNTAG,
    polled_once,
)
from tests.support import (
    SMSN,
    assert_failures_name,
    assert_pickled_by_reference,
    live_tags,
    refused_at_check,
)
from tests.test_emulator_import_tasks import s3_url, upload  # noqa: F401 (fixtures)

IMPORT_TASK_TYPE = "pulumi-python:dynamic/iotwireless:SidewalkDeviceImportTask"
ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk-import"
SMSNS = [f"{index:064x}" for index in range(1, 4)]
REASON = "Device certificate was not signed by the profile's DAK"
# Fast enough for a test, slow enough that a poll sees a device pending.
STEP = 0.3
# Long enough that real time never moves a device on during a test.
FOREVER = 3600.0


def import_task(resource_name: str = "fleet", **inputs: Any) -> Registration:
    """Register a SidewalkDeviceImportTask as components.import_task does, polling fast."""
    props: dict[str, Any] = {
        "destinationName": "uplinks",
        "pollIntervalSeconds": 0.1,
        "waitTimeoutSeconds": 30,
        "owner": f"{PROJECT_NAME}/{STACK}/{resource_name}",
        **inputs,
        "__provider": wire.Secret(serialize_provider(ImportTaskProvider())),
    }
    return Registration(IMPORT_TASK_TYPE, resource_name, {k: v for k, v in props.items() if v is not None})


def single(**inputs: Any) -> Registration:
    """Register the import of the one device SMSN, named gate-sensor."""
    return import_task(**{"sidewalkManufacturingSn": SMSN, "deviceName": "gate-sensor", **inputs})


@pytest.fixture
def imports(emulator: Emulator, iotwireless: Any, s3_url: str) -> Any:  # noqa: F811 (fixture)
    """Make the destination `uplinks`; the emulator reads files from moto and steps every STEP s."""
    emulator.backend.update_settings(s3_endpoint_url=s3_url, import_step_seconds=STEP)
    for name in ("uplinks", "other"):
        iotwireless.create_destination(
            Name=name, Expression="rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
        )
    return iotwireless


@pytest.fixture
def fleet_file(upload: Callable[[str], str]) -> str:  # noqa: F811 (fixture)
    """Put a CSV of the three SMSNS with names into S3 and return its URL."""
    return upload("smsn,name\n" + "".join(f"{smsn},sensor-{i}\n" for i, smsn in enumerate(SMSNS)))


def outputs_of(engine: Engine, reg: Registration) -> dict[str, Any]:
    """Return a resource's outputs in the checkpoint."""
    return engine.resources[reg.urn].outputs


def task_id(engine: Engine, reg: Registration) -> str:
    """Return a resource's id in the checkpoint: the import task's Id."""
    return engine.resources[reg.urn].id


def last_line(err: EngineError) -> str:
    """Return the sentence a failed step ends with."""
    return err.message.strip().splitlines()[-1]


def test_create_of_one_device_starts_waits_and_reports_progress(
    engine: Engine, emulator: Emulator, imports: Any
) -> None:
    """Create starts one task with tags inline, polls until onboarded, logs progress; outputs list it."""
    reg = single(tags={"batch": "7"})
    emulator.clear_log()
    assert [s.op for s in engine.up([reg])] == ["create"]
    assert polled_once(emulator.calls()) == IMPORT_SINGLE_CREATE_CALLS
    assert emulator.calls().count(GET_IMPORT) >= 2
    body = emulator.log[0]["body"]
    assert {k: v for k, v in body.items() if k != "ClientRequestToken"} == {
        "DestinationName": "uplinks",
        "DeviceName": "gate-sensor",
        "Sidewalk": {"SidewalkManufacturingSn": SMSN},
        "Tags": [{"Key": "batch", "Value": "7"}],
    }
    assert body["ClientRequestToken"].startswith("pulumi-")
    id_ = task_id(engine, reg)
    outs = outputs_of(engine, reg)
    assert {k: v for k, v in outs.items() if k != "__provider"} == {
        "sidewalkManufacturingSn": SMSN,
        "deviceName": "gate-sensor",
        "destinationName": "uplinks",
        "tags": {"batch": "7"},
        "region": "us-east-1",
        "waitTimeoutSeconds": 30,
        "pollIntervalSeconds": 0.1,
        "strict": False,
        "owner": f"{PROJECT_NAME}/{STACK}/fleet",
        "arn": f"arn:aws:iotwireless:us-east-1:123456789012:ImportTask/{id_}",
        "status": "COMPLETE",
        "statusReason": "",
        "devices": [{"smsn": SMSN, "onboardingStatus": "ONBOARDED", "reason": ""}],
        "counts": {"initialized": 0, "pending": 0, "onboarded": 1, "failed": 0},
    }
    device = imports.get_wireless_device(Identifier=SMSN, IdentifierType="SidewalkManufacturingSn")
    assert device["Name"] == "gate-sensor"
    last = f"info: import task {id_}: 1 of 1 onboarded, 0 failed, 0 pending"
    wait_until(lambda: last in engine.provider.output(), "the provider's last progress line")
    assert f"info: import task {id_}: 0 of 1 onboarded, 0 failed, 1 pending" in engine.provider.output()
    emulator.clear_log()
    assert [s.op for s in engine.up([single(tags={"batch": "7"})])] == ["same"]
    assert emulator.calls() == []


def test_create_from_a_csv_in_s3_warns_of_a_failed_device(
    engine: Engine, emulator: Emulator, imports: Any, fleet_file: str
) -> None:
    """A CSV task onboards its devices; a failed one is a warning naming its SMSN and reason, no failure."""
    emulator.backend.update_settings(import_failures={SMSNS[2]: REASON})
    reg = import_task(deviceCreationFile=fleet_file, role=ROLE_ARN, positioning="Enabled")
    emulator.clear_log()
    assert [s.op for s in engine.up([reg])] == ["create"]
    assert polled_once(emulator.calls()) == IMPORT_CREATE_CALLS
    body = emulator.log[0]["body"]
    assert body["Sidewalk"] == {"DeviceCreationFile": fleet_file, "Role": ROLE_ARN}
    assert body["Positioning"] == "Enabled"
    outs = outputs_of(engine, reg)
    assert outs["counts"] == {"initialized": 0, "pending": 0, "onboarded": 2, "failed": 1}
    assert outs["devices"] == [
        {"smsn": SMSNS[0], "onboardingStatus": "ONBOARDED", "reason": ""},
        {"smsn": SMSNS[1], "onboardingStatus": "ONBOARDED", "reason": ""},
        {"smsn": SMSNS[2], "onboardingStatus": "FAILED", "reason": REASON},
    ]
    id_ = task_id(engine, reg)
    warning = f"warning: import task {id_}: device {SMSNS[2]} failed to onboard: {REASON}"
    wait_until(lambda: warning in engine.provider.output(), "the provider's warning")
    names = sorted(d["Name"] for d in imports.list_wireless_devices()["WirelessDeviceList"])
    assert names == ["sensor-0", "sensor-1"]


def test_strict_fails_the_create_and_the_next_up_finds_the_same_task(
    engine: Engine, emulator: Emulator, imports: Any
) -> None:
    """With strict, a failed device fails the create after the wait; the next up gets the same task back."""
    emulator.backend.update_settings(import_failures={SMSN: REASON})
    with pytest.raises(EngineError) as exc:
        engine.up([single(strict=True)], skip_preview=True)
    assert exc.value.op == "create"
    [task] = imports.list_wireless_device_import_tasks()["WirelessDeviceImportTaskList"]
    assert last_line(exc.value) == (
        f"providers._aws.PartnerAccountError: import task {task['Id']} in us-east-1: 1 device(s) failed to "
        f"onboard ({SMSN}) and strict is true: fix their causes and import them in another task, or set "
        "strict to false to accept them."
    )
    assert engine.resources == {}
    emulator.clear_log()
    # strict is not part of the request: the same request token answers the same task.
    reg = single(strict=False)
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["create"]
    assert polled_once(emulator.calls()) == IMPORT_SINGLE_CREATE_CALLS
    assert task_id(engine, reg) == task["Id"]
    assert outputs_of(engine, reg)["counts"]["failed"] == 1
    assert len(imports.list_wireless_device_import_tasks()["WirelessDeviceImportTaskList"]) == 1


def test_timeout_fails_naming_the_wait_and_the_next_up_waits_for_the_same_task(
    engine: Engine, emulator: Emulator, imports: Any
) -> None:
    """A wait that runs out fails in one sentence naming waitTimeoutSeconds; the next up resumes that task."""
    emulator.backend.update_settings(import_step_seconds=FOREVER)
    with pytest.raises(EngineError) as exc:
        engine.up([single(waitTimeoutSeconds=1)], skip_preview=True)
    [task] = imports.list_wireless_device_import_tasks()["WirelessDeviceImportTaskList"]
    assert last_line(exc.value) == (
        f"providers._aws.PartnerAccountError: import task {task['Id']}: 0 of 1 onboarded, 0 failed, "
        "1 pending after waitTimeoutSeconds (1 s): the task goes on in AWS in us-east-1; run `pulumi up` "
        "again with the same inputs to wait for this same task, or raise waitTimeoutSeconds."
    )
    assert engine.resources == {}
    emulator.backend.advance_clock(2 * FOREVER)
    emulator.clear_log()
    reg = single(waitTimeoutSeconds=1)
    assert [s.op for s in engine.up([reg], skip_preview=True)] == ["create"]
    assert emulator.calls() == IMPORT_SINGLE_CREATE_CALLS
    assert task_id(engine, reg) == task["Id"]
    assert outputs_of(engine, reg)["status"] == "COMPLETE"


def test_task_aws_failed_is_deleted_and_fails_the_create(
    engine: Engine,
    emulator: Emulator,
    imports: Any,
    upload: Callable[[str], str],  # noqa: F811 (fixture)
) -> None:
    """A task AWS marks FAILED (a file listing no device) is deleted, and the create fails with its reason."""
    url = upload("smsn\n")
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        engine.up([import_task(deviceCreationFile=url, role=ROLE_ARN)], skip_preview=True)
    assert emulator.calls() == [START_IMPORT, GET_IMPORT, DELETE_IMPORT]
    assert f"({url} lists no device): it was deleted; correct deviceCreationFile or role" in last_line(
        exc.value
    )
    assert imports.list_wireless_device_import_tasks()["WirelessDeviceImportTaskList"] == []


def test_new_file_is_appended_in_place_and_tags_update(
    engine: Engine,
    emulator: Emulator,
    imports: Any,
    upload: Callable[[str], str],  # noqa: F811 (fixture)
) -> None:
    """A new deviceCreationFile appends its devices to the same task and waits; tags are Tag and Untag."""
    first = upload(f"{SMSNS[0]}\n")
    reg = import_task(deviceCreationFile=first, role=ROLE_ARN, tags={"batch": "7", "line": "A"})
    engine.up([reg])
    before = task_id(engine, reg)
    second = upload(f"{SMSNS[0]}\n{SMSNS[1]},late\n")
    changed = import_task(deviceCreationFile=second, role=ROLE_ARN, tags={"batch": "8"})
    emulator.clear_log()
    assert [(s.op, s.diffs) for s in engine.preview([changed])] == [
        ("update", ["deviceCreationFile", "tags"])
    ]
    assert emulator.calls() == []
    assert [s.op for s in engine.up([changed], skip_preview=True)] == ["update"]
    assert polled_once(emulator.calls()) == [*IMPORT_UPDATE_CALLS, TAG, UNTAG]
    assert emulator.log[0]["body"] == {"Sidewalk": {"DeviceCreationFile": second}}
    assert task_id(engine, reg) == before
    outs = outputs_of(engine, reg)
    assert outs["counts"] == {"initialized": 0, "pending": 0, "onboarded": 2, "failed": 0}
    assert [d["smsn"] for d in outs["devices"]] == SMSNS[:2]
    assert live_tags(imports, outs["arn"]) == {"batch": "8"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"destinationName": "other"}, "destinationName", id="destination"),
        pytest.param({"sidewalkManufacturingSn": SMSNS[1]}, "sidewalkManufacturingSn", id="smsn"),
    ],
)
def test_other_changes_replace_deleting_first(
    engine: Engine, emulator: Emulator, imports: Any, change: dict[str, str], reason: str
) -> None:
    """Any other change replaces the task, deleting the old one first; its onboarded device stays."""
    engine.up([single()])
    old_id = task_id(engine, single())
    changed = single(**change)
    emulator.clear_log()
    assert [(s.op, s.replaces, s.delete_before_replace) for s in engine.preview([changed])] == [
        ("replace", [reason], True)
    ]
    assert [s.op for s in engine.up([changed], skip_preview=True)] == ["replace"]
    assert polled_once(emulator.calls()) == [*IMPORT_DELETE_CALLS, *IMPORT_SINGLE_CREATE_CALLS]
    assert emulator.log[0]["path"] == f"/wireless_device_import_task/{old_id}"
    [task] = imports.list_wireless_device_import_tasks()["WirelessDeviceImportTaskList"]
    assert task["Id"] == task_id(engine, changed) != old_id
    imports.get_wireless_device(Identifier=SMSN, IdentifierType="SidewalkManufacturingSn")


def test_wait_and_strict_alone_change_nothing(engine: Engine, emulator: Emulator, imports: Any) -> None:
    """A new waitTimeoutSeconds, pollIntervalSeconds or strict alone is no change and no call."""
    engine.up([single()])
    emulator.clear_log()
    steps = engine.up([single(waitTimeoutSeconds=99, pollIntervalSeconds=2, strict=True)])
    assert [s.op for s in steps] == ["same"]
    assert emulator.calls() == []


def test_refresh_reads_the_task_and_after_an_outside_delete_drops_it(
    engine: Engine, emulator: Emulator, imports: Any
) -> None:
    """Refresh is one Get, one device list and one ListTags; after an outside delete, one Get drops it."""
    reg = single(tags={"batch": "7"})
    engine.up([reg])
    id_ = task_id(engine, reg)
    imports.tag_resource(ResourceArn=outputs_of(engine, reg)["arn"], Tags=[{"Key": "x", "Value": "y"}])
    emulator.clear_log()
    assert [(s.op, s.diffs) for s in engine.refresh()] == [("refresh", ["tags"])]
    assert emulator.calls() == IMPORT_READ_CALLS
    assert outputs_of(engine, reg)["tags"] == {"batch": "7", "x": "y"}
    assert outputs_of(engine, reg)["devices"][0]["onboardingStatus"] == "ONBOARDED"
    imports.delete_wireless_device_import_task(Id=id_)
    emulator.clear_log()
    assert [s.op for s in engine.refresh()] == ["delete"]
    assert emulator.calls() == [GET_IMPORT]
    assert engine.resources == {}


def test_destroy_deletes_the_task_and_keeps_its_devices(
    engine: Engine, emulator: Emulator, imports: Any
) -> None:
    """Destroy is one DeleteWirelessDeviceImportTask; the onboarded device stays; a task gone is done."""
    reg = single()
    engine.up([reg])
    emulator.clear_log()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert emulator.calls() == IMPORT_DELETE_CALLS
    assert imports.list_wireless_device_import_tasks()["WirelessDeviceImportTaskList"] == []
    imports.get_wireless_device(Identifier=SMSN, IdentifierType="SidewalkManufacturingSn")
    engine.up([single(sidewalkManufacturingSn=SMSNS[1])])
    imports.delete_wireless_device_import_task(Id=task_id(engine, reg))
    emulator.clear_log()
    assert [s.op for s in engine.destroy()] == ["delete"]
    assert [(e["operation"], e["status"]) for e in emulator.log] == [(DELETE_IMPORT, 404)]
    assert engine.resources == {}


def test_missing_destination_fails_the_create_in_one_sentence(engine: Engine, emulator: Emulator) -> None:
    """A destination that does not exist fails the start with AWS's sentence, and nothing is recorded."""
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        engine.up([single(destinationName="nowhere")], skip_preview=True)
    assert last_line(exc.value) == (
        f"providers._aws.PartnerAccountError: {START_SINGLE_IMPORT} failed for import task {SMSN!r} in "
        "us-east-1 (ResourceNotFoundException: Destination nowhere not found): it names destination "
        "'nowhere': make sure it exists in us-east-1, or correct destinationName."
    )
    assert emulator.calls() == [START_SINGLE_IMPORT]


@pytest.mark.parametrize(
    ("inputs", "failing"),
    [
        pytest.param({}, ["sidewalkManufacturingSn"], id="neither-form"),
        pytest.param(
            {"sidewalkManufacturingSn": SMSN, "deviceCreationFile": "s3://b/k.csv", "role": ROLE_ARN},
            ["sidewalkManufacturingSn"],
            id="both-forms",
        ),
        pytest.param({"sidewalkManufacturingSn": ""}, ["sidewalkManufacturingSn"], id="smsn-empty"),
        pytest.param({"sidewalkManufacturingSn": "a" * 65}, ["sidewalkManufacturingSn"], id="smsn-too-long"),
        pytest.param(
            {"sidewalkManufacturingSn": SMSN, "deviceName": "n" * 257}, ["deviceName"], id="name-too-long"
        ),
        pytest.param({"deviceCreationFile": "s3://b/k.csv"}, ["role"], id="file-without-role"),
        pytest.param(
            {"deviceCreationFile": "fleet/devices.csv", "role": ROLE_ARN}, ["deviceCreationFile"], id="not-s3"
        ),
        pytest.param({"deviceCreationFile": "s3://b/k.csv", "role": "admin"}, ["role"], id="role-not-arn"),
        pytest.param(
            {"deviceCreationFile": "s3://b/k.csv", "role": ROLE_ARN, "deviceName": "x"},
            ["deviceName"],
            id="name-with-file",
        ),
        pytest.param({"sidewalkManufacturingSn": SMSN, "role": ROLE_ARN}, ["role"], id="role-with-smsn"),
        pytest.param(
            {"sidewalkManufacturingSn": SMSN, "destinationName": "up links"},
            ["destinationName"],
            id="destination-bad-character",
        ),
        pytest.param(
            {"sidewalkManufacturingSn": SMSN, "destinationName": None}, ["destinationName"], id="no-dest"
        ),
        pytest.param(
            {"sidewalkManufacturingSn": SMSN, "positioning": "On"}, ["positioning"], id="positioning"
        ),
        pytest.param(
            {"sidewalkManufacturingSn": SMSN, "waitTimeoutSeconds": 0}, ["waitTimeoutSeconds"], id="wait"
        ),
        pytest.param(
            {"sidewalkManufacturingSn": SMSN, "waitTimeoutSeconds": "10"},
            ["waitTimeoutSeconds"],
            id="wait-text",
        ),
        pytest.param(
            {"sidewalkManufacturingSn": SMSN, "pollIntervalSeconds": 0}, ["pollIntervalSeconds"], id="poll"
        ),
        pytest.param({"sidewalkManufacturingSn": SMSN, "strict": "yes"}, ["strict"], id="strict-not-bool"),
        pytest.param({"sidewalkManufacturingSn": SMSN, "tags": {"aws:x": "v"}}, ["tags"], id="tag-key"),
        pytest.param({"sidewalkManufacturingSn": SMSN, "region": "moon-1"}, ["region"], id="region"),
        pytest.param({"sidewalkManufacturingSn": SMSN, "owner": "nobody"}, ["owner"], id="owner"),
        pytest.param({"sidewalkManufacturingSn": SMSN, "smsn": SMSN}, ["smsn"], id="unknown-input"),
    ],
)
def test_check_refuses_bad_input_before_any_call(
    engine: Engine, emulator: Emulator, inputs: dict[str, Any], failing: list[str]
) -> None:
    """Check refuses each broken rule with one sentence naming the input, and nothing reaches AWS."""
    failures = refused_at_check(engine, emulator, import_task(**inputs)).failures
    assert_failures_name(failures, failing, one_sentence=True)


def test_check_failure_sentences(engine: Engine) -> None:
    """The form rule and the numeric rules say what to give, in one sentence each."""
    with pytest.raises(EngineError) as exc:
        engine.preview([import_task(waitTimeoutSeconds=-1)])
    assert exc.value.failures == [
        (
            "sidewalkManufacturingSn",
            "sidewalkManufacturingSn or deviceCreationFile is required: give one SMSN, or one CSV file in S3",
        ),
        ("waitTimeoutSeconds", "waitTimeoutSeconds must be a number of seconds from 1 to 43200"),
    ]


def test_preview_with_unknown_values_plans_a_create(engine: Engine, emulator: Emulator) -> None:
    """A preview whose file and tags are not yet known checks cleanly and plans a create."""
    reg = import_task(deviceCreationFile=wire.UNKNOWN, role=ROLE_ARN, tags={"team": wire.UNKNOWN})
    assert [s.op for s in engine.preview([reg])] == ["create"]
    assert emulator.calls() == []


def test_provider_pickles_by_reference_and_small() -> None:
    """The pickled provider names the importable class instead of carrying bytecode."""
    assert_pickled_by_reference(ImportTaskProvider(), "providers.import_task")
