"""A fleet of Sidewalk devices from stack config: one device profile and one SidewalkDevice per device.

The devices come from `sidewalk:devices` (a list of objects) or `sidewalk:devicesCsv` (a CSV file with
the header `smsn,name`), never both. Each device's resource is named by its SMSN, the one thing AWS
keys a device by, so that renaming a device is an update of its name in place, and a renamed device
keeps its certificates and keys. Each device's `name` is also its folder of provisioning files, so
names are unique and made of characters every file system takes.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from components.device_profile import SidewalkDeviceProfile, SidewalkDeviceProfileArgs
from components.wireless_device import SidewalkDevice, SidewalkDeviceArgs

__all__ = [
    "CSV_HEADER",
    "DEVICE_NAME_RULE",
    "PROFILE_RESOURCE",
    "DeviceSpec",
    "Fleet",
    "FleetArgs",
    "default_profile_name",
    "device_destination",
    "devices_from_config",
]

DEVICES = "devices"
DEVICES_CSV = "devicesCsv"
DESTINATION = "deviceDestinationName"
CSV_HEADER = ["smsn", "name"]
# The resource name of the fleet's one device profile.
PROFILE_RESOURCE = "device-profile"
_FIELDS = ("smsn", "name", "description", "positioning", "tags")
_REQUIRED = ("smsn", "name")
# A name is a folder name: no separator, no leading dot, short enough for any disk.
_DEVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
DEVICE_NAME_RULE = (
    "1 to 128 letters, digits, '.', '_' and '-', starting with a letter or digit "
    "(it names the device's folder of provisioning files)"
)


@dataclass(frozen=True, kw_only=True)
class DeviceSpec:
    """One device of the fleet, as the stack config gives it."""

    smsn: str
    name: str
    description: str | None = None
    positioning: str | None = None
    tags: Mapping[str, str] | None = None


@dataclass(frozen=True, kw_only=True)
class FleetArgs:
    """The devices, the Destination their uplinks go to, and what every resource of the fleet shares."""

    devices: Sequence[DeviceSpec]
    destination_name: pulumi.Input[str]
    profile_name: str
    tags: Mapping[str, str] | None = None
    """The stack's tags: the profile's, and each device's unless it has tags of its own."""
    region: str | None = None


def _error(where: str, rule: str) -> pulumi.RunError:
    return pulumi.RunError(f"Configuration {where} {rule}")


def _is_tag_map(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _from_object(where: str, item: object) -> DeviceSpec:
    """Return the device of one entry of `sidewalk:devices`, or raise naming the entry and the rule."""
    if not isinstance(item, dict):
        raise pulumi.ConfigTypeError(where, json.dumps(item), "object with smsn and name")
    unknown = sorted(set(item) - set(_FIELDS))
    if unknown:
        raise _error(
            f"'{where}'",
            f"has the unknown field {unknown[0]!r}: a device has smsn, name, and optionally "
            "description, positioning and tags",
        )
    for field in _REQUIRED:
        if field not in item:
            raise _error(f"'{where}'", f"has no {field}: every device needs smsn and name")
    for field in ("smsn", "name", "description", "positioning"):
        if field in item and not isinstance(item[field], str):
            raise pulumi.ConfigTypeError(f"{where}.{field}", json.dumps(item[field]), "string")
    if "tags" in item and not _is_tag_map(item["tags"]):
        raise pulumi.ConfigTypeError(f"{where}.tags", json.dumps(item["tags"]), "object of string to string")
    return DeviceSpec(
        smsn=item["smsn"],
        name=item["name"],
        description=item.get("description"),
        positioning=item.get("positioning"),
        tags=item.get("tags"),
    )


def _from_csv(key: str, path: str) -> list[tuple[str, DeviceSpec]]:
    """Return the devices of the CSV file a config key names, each with where it was read."""
    try:
        with Path(path).open(newline="", encoding="utf-8") as stream:
            rows = list(csv.reader(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise _error(f"'{key}'", f"names {path!r}, which cannot be read as a CSV file ({err})") from None
    header = [cell.strip() for cell in rows[0]] if rows else []
    if header != CSV_HEADER:
        raise _error(
            f"'{key}'",
            f"names {path!r}, whose header is {','.join(header)!r}: the header must be exactly 'smsn,name'",
        )
    devices = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue  # A blank line, as spreadsheets leave at the end.
        where = f"'{key}' ({path} line {line})"
        if len(row) != len(CSV_HEADER):
            raise _error(where, f"has {len(row)} field(s), not 2: every row is smsn,name")
        devices.append((where, DeviceSpec(smsn=row[0].strip(), name=row[1].strip())))
    return devices


def devices_from_config(config: pulumi.Config, listed: Any, csv_path: str | None) -> list[DeviceSpec]:
    """Return the fleet of `sidewalk:devices` or `sidewalk:devicesCsv`, checked; else raise naming the key."""
    list_key, csv_key = config.full_key(DEVICES), config.full_key(DEVICES_CSV)
    if listed is not None and csv_path is not None:
        raise _error(f"'{list_key}' and '{csv_key}'", "are both set: set one of them, never both")
    found: list[tuple[str, DeviceSpec]]
    if csv_path is not None:
        found = _from_csv(csv_key, csv_path)
    elif listed is None:
        return []
    elif not isinstance(listed, list):
        raise pulumi.ConfigTypeError(list_key, json.dumps(listed), "list of objects with smsn and name")
    else:
        found = []
        for index, item in enumerate(listed):
            where = f"{list_key}[{index}]"
            found.append((f"'{where}'", _from_object(where, item)))
    names: dict[str, str] = {}
    smsns: dict[str, str] = {}
    for where, spec in found:
        if not _DEVICE_NAME.fullmatch(spec.name):
            raise _error(where, f"has the device name {spec.name!r}: a device name is {DEVICE_NAME_RULE}")
        if spec.name in names:
            raise _error(
                where,
                f"repeats the device name {spec.name!r} of {names[spec.name]}: device names must be "
                "unique, since each names the device's folder of provisioning files",
            )
        if spec.smsn in smsns:
            raise _error(
                where,
                f"repeats the smsn of {smsns[spec.smsn]}: AWS holds one device per SMSN in an account",
            )
        names[spec.name], smsns[spec.smsn] = where, where
    return [spec for _, spec in found]


def device_destination(config: pulumi.Config, named: str | None, integration: bool) -> str | None:
    """Return `sidewalk:deviceDestinationName`, checked against the integration; None for its Destination."""
    if integration:
        if named is not None:
            raise _error(
                f"'{config.full_key(DESTINATION)}'",
                "is set while sidewalk:integration is on: the devices use the integration's "
                "Destination, so remove one of the two",
            )
        return None
    if named is None:
        raise _error(
            f"'{config.full_key(DEVICES)}'",
            "needs a Destination for the devices' uplinks: turn on sidewalk:integration, or set "
            f"{config.full_key(DESTINATION)} to the name of an existing Destination",
        )
    return named


def default_profile_name() -> str:
    """Return `<project>-<stack>`, the device profile's name unless sidewalk:deviceProfileName is set."""
    return f"{pulumi.get_project()}-{pulumi.get_stack()}"


class Fleet:
    """Make one device profile and, on it, one SidewalkDevice per device, named by the device's name."""

    profile: SidewalkDeviceProfile
    devices: dict[str, SidewalkDevice]

    def __init__(self, args: FleetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        self.profile = SidewalkDeviceProfile(
            PROFILE_RESOURCE,
            SidewalkDeviceProfileArgs(name=args.profile_name, tags=args.tags, region=args.region),
            opts,
        )
        self.devices = {
            spec.name: SidewalkDevice(
                spec.smsn,
                SidewalkDeviceArgs(
                    sidewalk_manufacturing_sn=spec.smsn,
                    device_profile_id=self.profile.id,
                    destination_name=args.destination_name,
                    name=spec.name,
                    description=spec.description,
                    positioning=spec.positioning,
                    tags=spec.tags if spec.tags is not None else args.tags,
                    region=args.region,
                ),
                opts,
            )
            for spec in args.devices
        }

    @property
    def summary(self) -> pulumi.Output[dict[str, Any]]:
        """Return name → {id, arn, sidewalkId, smsn, status} of every device: nothing secret."""
        return pulumi.Output.all(
            **{
                name: pulumi.Output.all(
                    id=device.id,
                    arn=device.arn,
                    sidewalkId=device.sidewalk_id,
                    smsn=device.sidewalk_manufacturing_sn,
                    status=device.status,
                )
                for name, device in self.devices.items()
            }
        )
