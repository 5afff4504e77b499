"""Provisioning files: the two JSON documents the Sidewalk SDK's `provision.py` reads, per device.

`provision.py aws --device_profile_json device_profile.json --wireless_device_json wireless_device.json`
turns the `aws iotwireless get-device-profile` and `get-wireless-device` answers into a device's
manufacturing image. These files are those answers, key for key, built from the stack's state (the
profile's outputs and the device's, its secret `privateKeys` included), so that no AWS call is needed
and a device's private keys leave the state only for its own files: mode 0600 in 0700 folders.

Two members are not outputs of the device itself, and come from the stack as AWS fills them in:
`Sidewalk.AmazonId` is the stack's association in the device's region, and `Sidewalk.CertificateId`
the DAK certificate of the device's profile.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "DEVICE_PROFILE_FILE",
    "WIRELESS_DEVICE_FILE",
    "ProvisioningError",
    "documents",
    "write_files",
]

DEVICE_PROFILE_FILE = "device_profile.json"
WIRELESS_DEVICE_FILE = "wireless_device.json"
_PREFIX = "pulumi-python:dynamic/iotwireless:"
_DEVICE_TYPE = f"{_PREFIX}SidewalkDevice"
_PROFILE_TYPE = f"{_PREFIX}SidewalkDeviceProfile"
_ACCOUNT_TYPE = f"{_PREFIX}PartnerAccount"
# Pulumi's marker of a secret value in state and exports, and its plaintext member with --show-secrets.
_SIGNATURE = "4dabf18193072939515e22adb298388d"
_SECRET = "1b47061264138c4ac30d75fd1eb44270"
# A folder name that cannot leave the output folder: what components/fleet.py allows as a device name.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class ProvisioningError(Exception):
    """Say in one sentence why no files could be made of the stack; never with a secret in it."""


def _reveal(value: Any) -> Any:
    """Return a value of `pulumi stack export --show-secrets` with every secret turned into its value."""
    if isinstance(value, dict):
        if value.get(_SIGNATURE) == _SECRET:
            if "plaintext" not in value:
                raise ProvisioningError(
                    "the stack export holds its secrets encrypted: export it with --show-secrets"
                )
            return _reveal(json.loads(value["plaintext"]))
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    return value


def _live(deployment: Mapping[str, Any], type_token: str) -> list[dict[str, Any]]:
    """Return the resources of one type the stack holds, less those pending deletion."""
    return [
        r
        for r in deployment.get("resources") or []
        if r.get("type") == type_token and not r.get("delete") and r.get("id")
    ]


def _profile_document(profile: Mapping[str, Any]) -> dict[str, Any]:
    """Return GetDeviceProfile's answer for a profile resource of the stack."""
    outputs = profile["outputs"]
    answer: dict[str, Any] = {"Arn": outputs["arn"], "Id": profile["id"]}
    if outputs.get("name"):
        answer["Name"] = outputs["name"]
    answer["Sidewalk"] = {
        "ApplicationServerPublicKey": outputs["applicationServerPublicKey"],
        "QualificationStatus": outputs["qualificationStatus"],
        "DakCertificateMetadata": outputs["dakCertificateMetadata"],
    }
    return answer


def _device_document(
    device: Mapping[str, Any], profile: Mapping[str, Any] | None, amazon_id: str | None
) -> dict[str, Any]:
    """Return GetWirelessDevice's answer for a device resource of the stack, private keys included."""
    outputs = device["outputs"]
    sidewalk: dict[str, Any] = {
        "SidewalkId": outputs["sidewalkId"],
        "SidewalkManufacturingSn": outputs["sidewalkManufacturingSn"],
        "DeviceCertificates": outputs["deviceCertificates"],
        "Status": outputs["status"],
    }
    if amazon_id is not None:
        sidewalk["AmazonId"] = amazon_id
    sidewalk["DeviceProfileId"] = outputs["deviceProfileId"]
    certificates = (profile or {}).get("outputs", {}).get("dakCertificateMetadata") or []
    if certificates:
        sidewalk["CertificateId"] = certificates[0]["CertificateId"]
    sidewalk["PrivateKeys"] = outputs["privateKeys"]
    answer: dict[str, Any] = {
        "Type": "Sidewalk",
        "Id": device["id"],
        "Arn": outputs["arn"],
        "DestinationName": outputs["destinationName"],
        "Sidewalk": sidewalk,
    }
    if outputs.get("name"):
        answer["Name"] = outputs["name"]
    answer["Positioning"] = outputs["positioning"]
    if outputs.get("description"):
        answer["Description"] = outputs["description"]
    return answer


def documents(export: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Return folder name → file name → document for every device of a `stack export --show-secrets`."""
    deployment = export.get("deployment") or {}
    profiles = {p["id"]: _reveal(p) for p in _live(deployment, _PROFILE_TYPE)}
    accounts = {
        a["outputs"].get("region"): a["outputs"].get("amazonId") for a in _live(deployment, _ACCOUNT_TYPE)
    }
    folders: dict[str, dict[str, dict[str, Any]]] = {}
    for resource in _live(deployment, _DEVICE_TYPE):
        device = _reveal(resource)
        outputs = device["outputs"]
        name = outputs.get("name") or ""
        # A device named by hand in another program may hold a '/': its id is a safe folder name.
        folder = name if _SAFE_NAME.fullmatch(name) else device["id"]
        if folder in folders:
            raise ProvisioningError(f"two devices of the stack are named {folder!r}: rename one of them")
        profile = profiles.get(outputs["deviceProfileId"])
        if profile is None:
            raise ProvisioningError(
                f"device {folder!r} uses device profile {outputs['deviceProfileId']!r}, which this stack "
                "does not hold, so its device_profile.json cannot be made from the stack"
            )
        folders[folder] = {
            DEVICE_PROFILE_FILE: _profile_document(profile),
            WIRELESS_DEVICE_FILE: _device_document(device, profile, accounts.get(outputs.get("region"))),
        }
    return folders


def _private_folder(path: Path) -> None:
    """Make a folder only its owner can enter, or make an existing one so."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, from its first byte: never world-readable, even briefly."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        # An existing file keeps its mode through O_TRUNC: set it again.
        os.fchmod(stream.fileno(), 0o600)
        stream.write(text)


def write_files(out: Path, folders: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[Path]:
    """Write each device's documents under out/<device name>/ and return the files written."""
    _private_folder(out)
    written = []
    for folder, files in sorted(folders.items()):
        _private_folder(out / folder)
        for file_name, document in sorted(files.items()):
            path = out / folder / file_name
            _write_private(path, json.dumps(document, indent=2) + "\n")
            written.append(path)
    return written
