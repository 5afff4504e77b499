"""SidewalkDeviceImportTask: the Pulumi resource for an AWS IoT Wireless Sidewalk device import task."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi.dynamic

from components.partner_account import owner_of
from providers.import_task import (
    ARN,
    COUNTS,
    DESTINATION_NAME,
    DEVICE_CREATION_FILE,
    DEVICE_NAME,
    DEVICES,
    OWNER,
    POLL_INTERVAL_SECONDS,
    POSITIONING,
    REGION,
    ROLE,
    SIDEWALK_MANUFACTURING_SN,
    STATUS,
    STATUS_REASON,
    STRICT,
    TAGS,
    WAIT_TIMEOUT_SECONDS,
    ImportTaskProvider,
)

__all__ = ["SidewalkDeviceImportTask", "SidewalkDeviceImportTaskArgs"]


@dataclass(frozen=True, kw_only=True)
class SidewalkDeviceImportTaskArgs:
    """The inputs of a SidewalkDeviceImportTask: one SMSN, or a CSV file in S3 and its role."""

    destination_name: pulumi.Input[str]
    """The Destination the onboarded devices' uplinks go to; changing it replaces the task."""
    sidewalk_manufacturing_sn: pulumi.Input[str] | None = None
    """One device's Sidewalk manufacturing serial number; excludes device_creation_file. Replaces."""
    device_name: pulumi.Input[str] | None = None
    """The name the one device gets, up to 256 characters; only with the SMSN. Replaces."""
    device_creation_file: pulumi.Input[str] | None = None
    """A CSV file of devices in S3 (s3://bucket/key); a new file of a file task is appended in place."""
    role: pulumi.Input[str] | None = None
    """The IAM role ARN AWS reads the file with; required with device_creation_file. Replaces."""
    positioning: pulumi.Input[str] | None = None
    """Enabled or Disabled: the onboarded devices' positioning; changing it replaces the task."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    """Tags of the task, updated in place."""
    region: pulumi.Input[str] | None = None
    """The AWS region; default `aws:region`, then AWS_REGION, then us-east-1. Changing it replaces."""
    wait_timeout_seconds: pulumi.Input[float] | None = None
    """How long a create or update waits for the devices to onboard (default 600 s)."""
    poll_interval_seconds: pulumi.Input[float] | None = None
    """How often the wait asks AWS for progress (default 5 s)."""
    strict: pulumi.Input[bool] | None = None
    """Fail the update when a device fails to onboard, instead of a warning (default false)."""


class SidewalkDeviceImportTask(
    pulumi.dynamic.Resource, module="iotwireless", name="SidewalkDeviceImportTask"
):
    """Onboard Sidewalk devices through an import task, waiting until none is pending."""

    arn: pulumi.Output[str]
    status: pulumi.Output[str]
    region: pulumi.Output[str]
    tags: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        resource_name: str,
        args: SidewalkDeviceImportTaskArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            SIDEWALK_MANUFACTURING_SN: args.sidewalk_manufacturing_sn,
            DEVICE_NAME: args.device_name,
            DEVICE_CREATION_FILE: args.device_creation_file,
            ROLE: args.role,
            DESTINATION_NAME: args.destination_name,
            POSITIONING: args.positioning,
            TAGS: args.tags,
            REGION: args.region,
            WAIT_TIMEOUT_SECONDS: args.wait_timeout_seconds,
            POLL_INTERVAL_SECONDS: args.poll_interval_seconds,
            STRICT: args.strict,
            # Keys the task's request token, so that a repeated create finds the task it started.
            OWNER: owner_of(resource_name),
            # Outputs computed by the provider, declared so that they become attributes.
            ARN: None,
            STATUS: None,
            STATUS_REASON: None,
            DEVICES: None,
            COUNTS: None,
        }
        super().__init__(ImportTaskProvider(), resource_name, props, opts)

    @property
    def status_reason(self) -> pulumi.Output[str]:
        """Why AWS marked the task FAILED, if it did."""
        return cast(pulumi.Output[str], self.__dict__[STATUS_REASON])

    @property
    def devices(self) -> pulumi.Output[list[dict[str, str]]]:
        """Each device of the task: its smsn, onboardingStatus and reason (empty unless it failed)."""
        return cast(pulumi.Output[list[dict[str, str]]], self.__dict__[DEVICES])

    @property
    def counts(self) -> pulumi.Output[dict[str, int]]:
        """The task's devices by onboarding status: initialized, pending, onboarded and failed."""
        return cast(pulumi.Output[dict[str, int]], self.__dict__[COUNTS])
