"""A probe program: one SidewalkDeviceImportTask, of `imports:smsn` or of `imports:deviceCreationFile`."""

from __future__ import annotations

import pulumi

from components.import_task import SidewalkDeviceImportTask, SidewalkDeviceImportTaskArgs

config = pulumi.Config("imports")

task = SidewalkDeviceImportTask(
    "fleet",
    SidewalkDeviceImportTaskArgs(
        destination_name=config.require("destinationName"),
        sidewalk_manufacturing_sn=config.get("smsn"),
        device_name=config.get("deviceName"),
        device_creation_file=config.get("deviceCreationFile"),
        role=config.get("role"),
        tags=config.get_object("tags"),
        wait_timeout_seconds=config.get_float("waitTimeoutSeconds"),
        poll_interval_seconds=config.get_float("pollIntervalSeconds"),
        strict=config.get_bool("strict"),
    ),
)
pulumi.export("taskId", task.id)
pulumi.export("taskArn", task.arn)
pulumi.export("status", task.status)
pulumi.export("counts", task.counts)
pulumi.export("devices", task.devices)
