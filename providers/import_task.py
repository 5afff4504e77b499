"""ImportTaskProvider manages an AWS IoT Wireless Sidewalk import task: one SMSN, or a CSV file in S3.

A create starts the task, then waits until no device of it is INITIALIZED or PENDING, polling
GetWirelessDeviceImportTask at a fixed interval up to a deadline (`waitTimeoutSeconds`), and logs
the counts each time they change. botocore has no waiter for IoT Wireless, so the wait is a bounded
poll of our own: it waits for a state, and retries no error (throttling stays botocore's retry mode).

A create that fails after it started the task (the wait timed out, a device failed under `strict`,
or the process was stopped) cannot hand the task to the engine: a Python dynamic provider has no
partial-create result, so the engine records nothing. The next create must then find that task, and
it does through the ClientRequestToken: the token is derived from the resource's owner
(`<project>/<stack>/<resource name>`) and the request itself, so an `up` that repeats the same inputs
gets the same task back from AWS (which answers a repeated token with its first result) and waits
for it again, while other inputs, or another resource, start another task. Because of that token, a
replacement deletes the old task before it starts the new one. A task that AWS marks FAILED (its file
could not be read) is deleted before the create fails, so that the next `up` starts a new one.
ASSUMPTIONS, since AWS documents neither: a token stays good for as long as an `up` is repeated, and
a token whose task was deleted starts a new task.

An import task holds nothing AWS keeps unique (AWS generates its id; the devices it onboards are
wireless devices of their own, which stay when the task is deleted), so it carries no owner tag.

UpdateWirelessDeviceImportTask can only append a CSV file to a task started from a file: a new
`deviceCreationFile` of such a task updates it in place (the task then lists the devices of every
file it was given, and an SMSN it already has is listed once), then waits again. Tags update in place;
everything else AWS cannot change, so it replaces the task.

ListDevicesForWirelessDeviceImportTask answers each device's SMSN and onboarding status, but not the
id of the wireless device an onboarded one became: that would cost one GetWirelessDevice per device,
so the outputs leave it out (GetWirelessDevice by SidewalkManufacturingSn finds it).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import Unknown

from providers import _aws, _ownership, _regional, _tags
from providers.wireless_device import _missing_reference

__all__ = [
    "ARN",
    "COUNTS",
    "DEFAULT_POLL_INTERVAL_SECONDS",
    "DEFAULT_WAIT_TIMEOUT_SECONDS",
    "DESTINATION_NAME",
    "DEVICES",
    "DEVICE_CREATION_FILE",
    "DEVICE_NAME",
    "IMPORT_TASK",
    "INPUTS",
    "OWNER",
    "POLL_INTERVAL_SECONDS",
    "POSITIONING",
    "REGION",
    "ROLE",
    "SIDEWALK_MANUFACTURING_SN",
    "STATUS",
    "STATUS_REASON",
    "STRICT",
    "TAGS",
    "WAIT_TIMEOUT_SECONDS",
    "ImportTaskProvider",
]

# Input names on the wire.
SIDEWALK_MANUFACTURING_SN = "sidewalkManufacturingSn"
DEVICE_NAME = "deviceName"
DEVICE_CREATION_FILE = "deviceCreationFile"
ROLE = "role"
DESTINATION_NAME = "destinationName"
POSITIONING = "positioning"
TAGS = _tags.TAGS
REGION = _regional.REGION
WAIT_TIMEOUT_SECONDS = "waitTimeoutSeconds"
POLL_INTERVAL_SECONDS = "pollIntervalSeconds"
STRICT = "strict"
# `<project>/<stack>/<resource name>`, set by the component: it keys the task's request token.
OWNER = _ownership.OWNER
INPUTS = (
    SIDEWALK_MANUFACTURING_SN,
    DEVICE_NAME,
    DEVICE_CREATION_FILE,
    ROLE,
    DESTINATION_NAME,
    POSITIONING,
    TAGS,
    REGION,
    WAIT_TIMEOUT_SECONDS,
    POLL_INTERVAL_SECONDS,
    STRICT,
    OWNER,
)
# Outputs computed by AWS; the resource's id is the import task's Id.
ARN = "arn"
STATUS = "status"
STATUS_REASON = "statusReason"
DEVICES = "devices"
COUNTS = "counts"

IMPORT_TASK = _aws.ResourceKind(
    noun="import task",
    conflict=(
        "AWS refused the import task's request token as used before with other parameters: "
        "run the command again"
    ),
    gone="import task",
)

# Import of a fleet takes minutes in AWS; ten minutes is a wait worth having by default.
DEFAULT_WAIT_TIMEOUT_SECONDS = 600.0
# AWS moves devices on in minutes: a poll every 5 s reports progress promptly at 12 calls a minute.
DEFAULT_POLL_INTERVAL_SECONDS = 5.0
_WAIT_RANGE = (1.0, 43200.0)
_POLL_RANGE = (0.1, 300.0)
# The most devices one ListDevicesForWirelessDeviceImportTask page holds (the model's MaxResults).
_PAGE = 250

# The shape of botocore's model behind each string input: its min, max, pattern and enum apply.
_SHAPES = {
    SIDEWALK_MANUFACTURING_SN: "SidewalkManufacturingSn",
    # The model sets no limit on DeviceName: the name the onboarded device takes has WirelessDeviceName's.
    DEVICE_NAME: "WirelessDeviceName",
    DEVICE_CREATION_FILE: "DeviceCreationFile",
    ROLE: "Role",
    DESTINATION_NAME: "DestinationName",
    POSITIONING: "PositioningConfigStatus",
}
# The model gives DeviceCreationFile and Role no pattern; these are the forms AWS documents.
_S3_URL = re.compile(r"s3://[^/\s]+/\S+|https://[^/.\s]+\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com/\S+")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/\S+")
# Inputs whose change replaces the task: no call changes them.
_REPLACING = (SIDEWALK_MANUFACTURING_SN, DEVICE_NAME, ROLE, DESTINATION_NAME, POSITIONING, REGION)
# Statuses of a task that still has devices to onboard.
_WORKING = frozenset({"INITIALIZING", "INITIALIZED", "PENDING"})
_START_SINGLE = "StartSingleWirelessDeviceImportTask"
_START = "StartWirelessDeviceImportTask"
_GET = "GetWirelessDeviceImportTask"
_LIST_DEVICES = "ListDevicesForWirelessDeviceImportTask"
_UPDATE = "UpdateWirelessDeviceImportTask"
_DELETE = "DeleteWirelessDeviceImportTask"


def _changed(olds: Mapping[str, Any], news: Mapping[str, Any], prop: str) -> bool:
    return isinstance(news.get(prop), Unknown) or olds.get(prop) != news.get(prop)


def _known(value: Any) -> bool:
    return value is not None and not isinstance(value, Unknown)


def _seconds_failure(prop: str, value: Any, low: float, high: float) -> CheckFailure | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        return CheckFailure(prop, f"{prop} must be a number of seconds from {low:g} to {high:g}")
    return None


class ImportTaskProvider(_regional.RegionalProvider):
    """A provider that runs each lifecycle step of a SidewalkDeviceImportTask through boto3."""

    def check_failures(self, news: Mapping[str, Any]) -> list[CheckFailure]:
        """Apply every rule to known input values; never raise."""
        failures = _regional.unknown_input_failures("SidewalkDeviceImportTask", news, INPUTS)
        failures.extend(_form_failures(news))
        for prop, shape in _SHAPES.items():
            value = news.get(prop)
            if value is None:
                if prop == DESTINATION_NAME:
                    failures.append(CheckFailure(prop, f"{prop} is required"))
            elif not isinstance(value, Unknown) and (
                failure := _regional.shape_failure(prop, shape, value, prop != POSITIONING)
            ):
                failures.append(failure)
            elif prop == DEVICE_CREATION_FILE and isinstance(value, str) and not _S3_URL.fullmatch(value):
                failures.append(
                    CheckFailure(
                        prop,
                        f"{prop} must be an S3 URL: s3://bucket/key or https://bucket.s3.amazonaws.com/key",
                    )
                )
            elif prop == ROLE and isinstance(value, str) and not _ROLE_ARN.fullmatch(value):
                failures.append(
                    CheckFailure(prop, f"{prop} must be an IAM role ARN: arn:aws:iam::<account>:role/<name>")
                )
        for prop, (low, high) in ((WAIT_TIMEOUT_SECONDS, _WAIT_RANGE), (POLL_INTERVAL_SECONDS, _POLL_RANGE)):
            value = news.get(prop)
            if _known(value) and (failure := _seconds_failure(prop, value, low, high)):
                failures.append(failure)
        strict = news.get(STRICT)
        if _known(strict) and not isinstance(strict, bool):
            failures.append(CheckFailure(STRICT, "strict must be true or false"))
        tags = news.get(TAGS)
        if _known(tags):
            failures.extend(_tags.failures(tags))
        failures.extend(_regional.region_failures(news.get(REGION)))
        failures.extend(_ownership.failures(news.get(OWNER)))
        return failures

    def fill_defaults(self, olds: Mapping[str, Any], inputs: dict[str, Any]) -> None:
        """Set the wait, the poll interval and strict, after the region and tags."""
        inputs.setdefault(WAIT_TIMEOUT_SECONDS, DEFAULT_WAIT_TIMEOUT_SECONDS)
        inputs.setdefault(POLL_INTERVAL_SECONDS, DEFAULT_POLL_INTERVAL_SECONDS)
        inputs.setdefault(STRICT, False)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare old outputs with new inputs offline: a new file and tags update in place, the rest replace.

        A replacement deletes the old task first: with the same inputs, the new task's request token is
        the old one's (see the module's docstring). The wait, the poll interval and strict never change
        the task by themselves.
        """
        replaces = [k for k in _REPLACING if _changed(olds, news, k)]
        old_file, new_file = olds.get(DEVICE_CREATION_FILE), news.get(DEVICE_CREATION_FILE)
        file_changed = _changed(olds, news, DEVICE_CREATION_FILE)
        if file_changed and (old_file is None or new_file is None):
            # One device and a file are two kinds of task: no call turns one into the other.
            replaces.append(DEVICE_CREATION_FILE)
        changed = file_changed or (olds.get(TAGS) or {}) != (news.get(TAGS) or {})
        return DiffResult(
            changes=bool(replaces) or changed, replaces=replaces, delete_before_replace=bool(replaces)
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Start the task with tags inline and a token of its own, then wait until no device is pending."""
        region = props[REGION]
        single = props.get(SIDEWALK_MANUFACTURING_SN) is not None
        request = _start_request(props, single)
        operation = _START_SINGLE if single else _START
        label = props.get(SIDEWALK_MANUFACTURING_SN) or props.get(DEVICE_CREATION_FILE) or ""
        token = _request_token(props[OWNER], operation, request)
        client = _aws.client(region)
        with (
            _missing_reference(
                f"it names destination {props[DESTINATION_NAME]!r}: make sure it exists in {region}, "
                "or correct destinationName"
            ),
            _aws.translated(operation, label, region, IMPORT_TASK),
        ):
            if single:
                task_id = client.start_single_wireless_device_import_task(
                    ClientRequestToken=token, **request
                )["Id"]
            else:
                task_id = client.start_wireless_device_import_task(ClientRequestToken=token, **request)["Id"]
        outs = _wait_and_read(task_id, props)
        return CreateResult(task_id, outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh the task, its devices and its tags; an empty id says it is gone."""
        region = self.region_of(props)
        client = _aws.client(region)
        with _aws.translated(_GET, id_, region, IMPORT_TASK):
            try:
                task = client.get_wireless_device_import_task(Id=id_)
            except client.exceptions.ResourceNotFoundException:
                return ReadResult("", {})
        live = _live_fields(task)
        outs = _outputs({**props, REGION: region, **live}, task, _devices(id_, region))
        outs[TAGS], _ = _tags.live(id_, region, task["Arn"], IMPORT_TASK)
        return ReadResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Append a new CSV file to the task and wait for its devices, then send only the changed tags."""
        region = news[REGION]
        outs = {**_regional.public(olds), **_regional.public(news)}
        if olds.get(DEVICE_CREATION_FILE) != news.get(DEVICE_CREATION_FILE):
            with _aws.translated(_UPDATE, id_, region, IMPORT_TASK):
                _aws.client(region).update_wireless_device_import_task(
                    Id=id_, Sidewalk={"DeviceCreationFile": news[DEVICE_CREATION_FILE]}
                )
            outs = _wait_and_read(id_, news)
        _tags.reconcile(id_, region, olds[ARN], olds.get(TAGS) or {}, news[TAGS], IMPORT_TASK)
        return UpdateResult(outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Remove the task; its onboarded devices stay. One already gone counts as deleted."""
        region = self.region_of(props)
        with _aws.gone_is_done(), _aws.translated(_DELETE, id_, region, IMPORT_TASK):
            _aws.client(region).delete_wireless_device_import_task(Id=id_)


def _form_failures(news: Mapping[str, Any]) -> list[CheckFailure]:
    """Refuse anything but exactly one form: one SMSN, or a CSV file in S3 with its role."""
    smsn, file, role, name = (
        news.get(p) for p in (SIDEWALK_MANUFACTURING_SN, DEVICE_CREATION_FILE, ROLE, DEVICE_NAME)
    )
    if smsn is not None and file is not None:
        return [
            CheckFailure(
                SIDEWALK_MANUFACTURING_SN,
                "sidewalkManufacturingSn and deviceCreationFile exclude each other: "
                "give one SMSN, or one CSV file",
            )
        ]
    if smsn is None and file is None:
        return [
            CheckFailure(
                SIDEWALK_MANUFACTURING_SN,
                "sidewalkManufacturingSn or deviceCreationFile is required: "
                "give one SMSN, or one CSV file in S3",
            )
        ]
    failures = []
    if file is not None and role is None:
        failures.append(
            CheckFailure(ROLE, "role is required with deviceCreationFile: the IAM role AWS reads it with")
        )
    if smsn is not None and role is not None:
        failures.append(
            CheckFailure(ROLE, "role goes with deviceCreationFile only, not with sidewalkManufacturingSn")
        )
    if file is not None and name is not None:
        failures.append(
            CheckFailure(
                DEVICE_NAME, "deviceName goes with sidewalkManufacturingSn only: a CSV file names its devices"
            )
        )
    return failures


def _start_request(props: Mapping[str, Any], single: bool) -> dict[str, Any]:
    """Return the Start request's members but the token, in the API's shapes."""
    request: dict[str, Any] = {"DestinationName": props[DESTINATION_NAME]}
    if single:
        request["Sidewalk"] = {"SidewalkManufacturingSn": props[SIDEWALK_MANUFACTURING_SN]}
        if props.get(DEVICE_NAME) is not None:
            request["DeviceName"] = props[DEVICE_NAME]
    else:
        request["Sidewalk"] = {"DeviceCreationFile": props[DEVICE_CREATION_FILE], "Role": props[ROLE]}
    if props.get(POSITIONING) is not None:
        request["Positioning"] = props[POSITIONING]
    if props[TAGS]:
        request["Tags"] = _tags.tag_list(props[TAGS])
    return request


def _request_token(owner: str, operation: str, request: Mapping[str, Any]) -> str:
    """Return the ClientRequestToken of one resource's request: the same for a repeated create."""
    text = json.dumps({"owner": owner, "operation": operation, "request": request}, sort_keys=True)
    # 7 + 48 characters of [A-Za-z0-9-]: inside the model's 64 and its pattern.
    return f"pulumi-{hashlib.sha256(text.encode()).hexdigest()[:48]}"


def _get_task(task_id: str, region: str) -> Mapping[str, Any]:
    with _aws.translated(_GET, task_id, region, IMPORT_TASK):
        task: Mapping[str, Any] = _aws.client(region).get_wireless_device_import_task(Id=task_id)
    return task


def _counts(task: Mapping[str, Any]) -> dict[str, int]:
    """Return a task's device counts by onboarding status."""
    return {
        "initialized": int(task.get("InitializedImportedDeviceCount", 0)),
        "pending": int(task.get("PendingImportedDeviceCount", 0)),
        "onboarded": int(task.get("OnboardedImportedDeviceCount", 0)),
        "failed": int(task.get("FailedImportedDeviceCount", 0)),
    }


def _progress(task_id: str, counts: Mapping[str, int]) -> str:
    waiting = counts["initialized"] + counts["pending"]
    total = waiting + counts["onboarded"] + counts["failed"]
    return (
        f"import task {task_id}: {counts['onboarded']} of {total} onboarded, "
        f"{counts['failed']} failed, {waiting} pending"
    )


def _wait_and_read(task_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """Poll the task until no device is pending or the wait runs out; return the outputs, or fail."""
    region = props[REGION]
    timeout, interval = float(props[WAIT_TIMEOUT_SECONDS]), float(props[POLL_INTERVAL_SECONDS])
    deadline = time.monotonic() + timeout
    reported = ""
    while True:
        task = _get_task(task_id, region)
        counts = _counts(task)
        if _progress(task_id, counts) != reported:
            reported = _progress(task_id, counts)
            # The provider process has no engine connection: the SDK writes this to stderr, which
            # the CLI shows under the resource as it goes. Only a change is worth a line.
            pulumi.log.info(reported)
        working = task.get("Status") in _WORKING or counts["initialized"] + counts["pending"] > 0
        if not working:
            break
        if time.monotonic() + interval > deadline:
            raise _aws.PartnerAccountError(
                f"{_progress(task_id, counts)} after waitTimeoutSeconds ({timeout:g} s): the task goes on in "
                f"AWS in {region}; run `pulumi up` again with the same inputs to wait for this same task, "
                "or raise waitTimeoutSeconds."
            )
        time.sleep(interval)
    if task.get("Status") == "FAILED":
        # A FAILED task onboards nothing: delete it, so that the next create starts another.
        with _aws.gone_is_done(), _aws.translated(_DELETE, task_id, region, IMPORT_TASK):
            _aws.client(region).delete_wireless_device_import_task(Id=task_id)
        raise _aws.PartnerAccountError(
            f"import task {task_id} failed in {region} ({task.get('StatusReason', 'no reason given')}): "
            "it was deleted; correct deviceCreationFile or role and run `pulumi up` again."
        )
    devices = _devices(task_id, region)
    failed = [d for d in devices if d["onboardingStatus"] == "FAILED"]
    for device in failed:
        pulumi.log.warn(
            f"import task {task_id}: device {device['smsn']} failed to onboard: "
            f"{device['reason'] or 'no reason given'}"
        )
    if failed and props.get(STRICT):
        smsns = ", ".join(d["smsn"] for d in failed)
        raise _aws.PartnerAccountError(
            f"import task {task_id} in {region}: {len(failed)} device(s) failed to onboard ({smsns}) and "
            "strict is true: fix their causes and import them in another task, or set strict to false "
            "to accept them."
        )
    return _outputs(props, task, devices)


def _devices(task_id: str, region: str) -> list[dict[str, Any]]:
    """List every device of a task with its onboarding status, page by page."""
    client = _aws.client(region)
    devices: list[dict[str, Any]] = []
    page: dict[str, Any] = {}
    while True:
        with _aws.translated(_LIST_DEVICES, task_id, region, IMPORT_TASK):
            answer = client.list_devices_for_wireless_device_import_task(Id=task_id, MaxResults=_PAGE, **page)
        for imported in answer.get("ImportedWirelessDeviceList", []):
            sidewalk = imported.get("Sidewalk") or {}
            devices.append(
                {
                    "smsn": sidewalk.get("SidewalkManufacturingSn", ""),
                    "onboardingStatus": sidewalk.get("OnboardingStatus", ""),
                    "reason": sidewalk.get("OnboardingStatusReason", ""),
                }
            )
        if not answer.get("NextToken"):
            return devices
        page = {"NextToken": answer["NextToken"]}


def _live_fields(task: Mapping[str, Any]) -> dict[str, Any]:
    """Return the inputs a GetWirelessDeviceImportTask answer shows that AWS can change, as named here."""
    fields: dict[str, Any] = {DESTINATION_NAME: task.get("DestinationName", "")}
    return fields


def _outputs(
    props: Mapping[str, Any], task: Mapping[str, Any], devices: list[dict[str, Any]]
) -> dict[str, Any]:
    """Echo the inputs and add the task's status, its devices and their counts."""
    return {
        **_regional.public(props),
        ARN: task["Arn"],
        STATUS: task.get("Status", ""),
        STATUS_REASON: task.get("StatusReason", ""),
        DEVICES: devices,
        COUNTS: _counts(task),
    }
