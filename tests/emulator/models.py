"""State of the emulated service: Sidewalk associations, destinations, devices, import tasks, tags, tokens.

Where AWS does not document a behaviour, the emulator makes a choice; each is marked ASSUMPTION in the
comment block above `DeviceProfile` below, so that a test relying on one says so.
"""

from __future__ import annotations

import base64
import binascii
import copy
import csv
import hashlib
import hmac
import io
import json
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from .exceptions import (
    DESTINATION,
    DEVICE_PROFILE,
    IMPORT_TASK,
    WIRELESS_DEVICE,
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    TooManyTagsException,
    ValidationException,
)
from .urls import service_model

__all__ = [
    "Association",
    "Destination",
    "DeviceProfile",
    "ImportTask",
    "ImportedDevice",
    "IoTWirelessBackend",
    "Settings",
    "TokenReuse",
    "WirelessDevice",
]

TokenReuse = Literal["replay", "associate"]
DEFAULT_ACCOUNT = "123456789012"
# AWS does not document ListPartnerAccounts' page size; a small one makes callers paginate.
DEFAULT_PAGE_SIZE = 10
# AWS's Fingerprint matches no plain hash of the key, so a keyed hash stands in for it.
FINGERPRINT_SALT = b"iotwireless-emulator-fingerprint"
# Keys, certificates and ids the service generates follow from this salt and the resource, so that
# the emulator never has to store a device's private key to answer it again.
GENERATED_SALT = b"iotwireless-emulator-generated"
# How long each onboarding step of an import task takes unless a test says otherwise.
DEFAULT_IMPORT_STEP_SECONDS = 0.1
# The credentials the emulator gives the S3 endpoint it reads device files from (a local moto).
S3_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class Settings:
    """The emulator's behaviour switches that tests may change."""

    token_reuse_after_delete: TokenReuse = "associate"
    accounts: dict[str, str] = field(default_factory=dict)
    default_account: str = DEFAULT_ACCOUNT
    sidewalk_regions: set[str] = field(default_factory=lambda: {"us-east-1"})
    # Where import tasks read their CSV files: an S3 endpoint such as a moto server; None reads nothing.
    s3_endpoint_url: str | None = None
    # Seconds an imported device spends in each onboarding state (INITIALIZED, then PENDING).
    import_step_seconds: float = DEFAULT_IMPORT_STEP_SECONDS
    # SMSNs whose onboarding fails, each with the OnboardingStatusReason to answer.
    import_failures: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Render the settings as plain JSON data."""
        data = asdict(self)
        data["sidewalk_regions"] = sorted(self.sidewalk_regions)
        return data


@dataclass
class Association:
    """A link from one Sidewalk account (AmazonId) to one AWS account and region."""

    account: str
    region: str
    amazon_id: str
    app_server_private_key: str
    serial: int
    account_linked: bool = False

    @property
    def arn(self) -> str:
        """The association's ARN in the documented format."""
        return f"arn:aws:iotwireless:{self.region}:{self.account}:SidewalkAccount/{self.amazon_id}"

    @property
    def fingerprint(self) -> str:
        """Return 64 hex digits that change whenever the key changes."""
        key = self.app_server_private_key.lower().encode()
        return hmac.new(FINGERPRINT_SALT, key, hashlib.sha256).hexdigest()

    def summary(self) -> dict[str, Any]:
        """Return the SidewalkAccountInfoWithFingerprint of the association."""
        return {"AmazonId": self.amazon_id, "Fingerprint": self.fingerprint, "Arn": self.arn}


@dataclass
class Destination:
    """A route from the uplinks of wireless devices to an AWS IoT rule or MQTT topic."""

    account: str
    region: str
    name: str
    expression: str
    expression_type: str
    role_arn: str
    description: str | None = None
    # Whether wireless devices send to it; AWS then refuses to delete it.
    in_use: bool = False

    @property
    def arn(self) -> str:
        """The destination's ARN in the format AWS answers."""
        return f"arn:aws:iotwireless:{self.region}:{self.account}:Destination/{self.name}"

    def describe(self) -> dict[str, Any]:
        """Return the GetDestination answer for the destination."""
        answer = {
            "Arn": self.arn,
            "Name": self.name,
            "Expression": self.expression,
            "ExpressionType": self.expression_type,
            "RoleArn": self.role_arn,
        }
        return answer if self.description is None else {**answer, "Description": self.description}


@dataclass
class TokenRecord:
    """A remembered Associate with a ClientRequestToken: what it asked and answered."""

    request: dict[str, Any]
    result: dict[str, Any]
    serial: int


# The Sidewalk device path. AWS documents the shapes of these operations but not every behaviour;
# where it is silent, the emulator chooses as follows (each an ASSUMPTION, not AWS's documented word):
# - CreateDeviceProfile needs `Sidewalk` (LoRaWAN profiles are not emulated: ValidationException).
#   The profile answers generated values: one DAK certificate with FactorySupport false,
#   MaxAllowedSignature 1000, QualificationStatus false.
# - DeleteDeviceProfile of a profile that wireless devices use answers ConflictException
#   (ResourceType DeviceProfile).
# - CreateWirelessDevice needs Type Sidewalk and Sidewalk.DeviceProfileId (ValidationException
#   otherwise); an unknown profile or DestinationName (also Sidewalk.Positioning.DestinationName)
#   answers ResourceNotFoundException naming it (ResourceType DeviceProfile or Destination).
#   Without a SidewalkManufacturingSn the device gets a generated one.
# - An SMSN is unique in an account and region: a second device with it answers ConflictException
#   (ResourceType WirelessDevice, ResourceId the SMSN); an import of it fails that device.
# - A destination is in use, and DeleteDestination answers ConflictException, while a wireless
#   device or a device of an import task still onboarding names it (or a test marked it in use).
# - GetWirelessDevice by DevEui or ThingName answers ResourceNotFoundException (no LoRaWAN devices
#   or things here). A device's AmazonId is the account's first association by AmazonId, if any;
#   its Status is always PROVISIONED (nothing here plays a device registering or activating).
# - Generated certificates and private keys are hex: Ed25519 and P256r1, 32-byte keys. A device
#   onboarded by an import task has certificates but no PrivateKeys (they were flashed in the
#   factory) and no DeviceProfileId or CertificateId.
# - Import tasks: StartWirelessDeviceImportTask needs Sidewalk.DeviceCreationFile (s3://bucket/key
#   or https://bucket.s3[.region].amazonaws.com/key) and Sidewalk.Role (ValidationException). The
#   CSV has one device per row: the SMSN, then optionally a device name; a first row whose first
#   cell is "smsn" (or "SidewalkManufacturingSn") is a header. A file that cannot be read or lists
#   no valid device makes the task FAILED with a StatusReason; the Role is not assumed.
#   StartSingleWirelessDeviceImportTask needs Sidewalk.SidewalkManufacturingSn. A repeated SMSN
#   within a task is listed once.
# - Each device of a task spends `import_step_seconds` INITIALIZED, as long PENDING, then becomes
#   ONBOARDED (a wireless device named after the task's DeviceName or the CSV's name column) or
#   FAILED with the reason `import_failures` gives its SMSN. The task is INITIALIZED while all its
#   devices are, PENDING while any is not done, COMPLETE when all are done, failures included.
# - UpdateWirelessDeviceImportTask appends the devices of another CSV to a task started from a file
#   (ValidationException for a single-device task, or a file that cannot be read).
# - DeleteWirelessDeviceImportTask removes the task at once (never DELETING): devices already
#   onboarded stay, the others are dropped.
# - Tags given to an import task stay on the task; onboarded devices start without tags.
# - Time: the import clock is the wall clock plus what tests moved it on (advance_clock, or POST
#   /_emulator/clock), kept in the state file. Throttling is off unless a test sets a rate limit
#   per operation and account (FaultInjector.rate_limit), with figures it takes from AWS's quotas.
# - A ClientRequestToken of these creates behaves as Associate's: same input answers the first
#   result, other input ConflictException, and reuse after a delete follows token_reuse_after_delete.


@dataclass
class DeviceProfile:
    """A Sidewalk device profile: the DAK the service grants and the app server's public key."""

    account: str
    region: str
    id: str
    serial: int
    name: str | None = None

    @property
    def arn(self) -> str:
        """The profile's ARN in the format AWS answers."""
        return f"arn:aws:iotwireless:{self.region}:{self.account}:DeviceProfile/{self.id}"

    @property
    def certificate_id(self) -> str:
        """The id of the DAK certificate the profile was granted."""
        return _generate(16, "dak", self.account, self.region, self.id).upper()

    def summary(self) -> dict[str, Any]:
        """Return the DeviceProfile entry of ListDeviceProfiles."""
        answer = {"Arn": self.arn, "Id": self.id}
        return answer if self.name is None else {**answer, "Name": self.name}

    def describe(self) -> dict[str, Any]:
        """Return the GetDeviceProfile answer."""
        sidewalk = {
            "ApplicationServerPublicKey": _generate(64, "app-server", self.account, self.region, self.id),
            "QualificationStatus": False,
            "DakCertificateMetadata": [
                {
                    "CertificateId": self.certificate_id,
                    "MaxAllowedSignature": 1000,
                    "FactorySupport": False,
                    "ApId": _generate(4, "ap", self.account, self.region, self.id),
                    "DeviceTypeId": "fe00" + _generate(4, "device-type", self.account, self.region, self.id),
                }
            ],
        }
        return {**self.summary(), "Sidewalk": sidewalk}


@dataclass
class WirelessDevice:
    """A Sidewalk wireless device, made directly or onboarded by an import task."""

    account: str
    region: str
    id: str
    serial: int
    destination_name: str
    smsn: str
    device_profile_id: str | None = None
    name: str | None = None
    description: str | None = None
    # PositioningConfigStatus, Enabled or Disabled.
    positioning: str | None = None
    positioning_destination: str | None = None
    import_task_id: str | None = None

    @property
    def arn(self) -> str:
        """The device's ARN in the format AWS answers."""
        return f"arn:aws:iotwireless:{self.region}:{self.account}:WirelessDevice/{self.id}"

    @property
    def sidewalk_id(self) -> str:
        """The device's id in the Sidewalk network."""
        return _generate(10, "sidewalk-id", self.account, self.region, self.id).upper()

    def certificates(self) -> list[dict[str, str]]:
        """Return the device certificates, one per signing algorithm."""
        return [
            {
                "SigningAlg": alg,
                "Value": _generate(256, "certificate", alg, self.account, self.region, self.id),
            }
            for alg in SIGNING_ALGORITHMS
        ]

    def private_keys(self) -> list[dict[str, str]]:
        """Return the device's private keys, one per signing algorithm; secret."""
        return [
            {
                "SigningAlg": alg,
                "Value": _generate(64, "private-key", alg, self.account, self.region, self.id),
            }
            for alg in SIGNING_ALGORITHMS
        ]


@dataclass
class ImportedDevice:
    """One SMSN of an import task and, once decided, how its onboarding ended."""

    smsn: str
    added_at: float
    name: str | None = None
    # ONBOARDED or FAILED once decided; before, the state follows from the clock.
    outcome: str | None = None
    reason: str | None = None
    wireless_device_id: str | None = None


@dataclass
class ImportTask:
    """A task that onboards Sidewalk devices, one SMSN or the rows of CSV files in S3."""

    account: str
    region: str
    id: str
    serial: int
    destination_name: str
    created_at: float
    single: bool
    device_name: str | None = None
    positioning: str | None = None
    positioning_destination: str | None = None
    role: str | None = None
    files: list[str] = field(default_factory=list)
    status_reason: str | None = None
    devices: list[ImportedDevice] = field(default_factory=list)

    @property
    def arn(self) -> str:
        """The task's ARN in the format AWS answers."""
        return f"arn:aws:iotwireless:{self.region}:{self.account}:ImportTask/{self.id}"


SIGNING_ALGORITHMS = ("Ed25519", "P256r1")
Resource = Association | Destination | DeviceProfile | WirelessDevice | ImportTask
_Item = TypeVar("_Item")


class IoTWirelessBackend:
    """A backend that holds the emulated state and raises the errors AWS would."""

    def __init__(self, settings: Settings | None = None, state_file: str | Path | None = None):
        self._initial_settings = copy.deepcopy(settings or Settings())
        self.settings = copy.deepcopy(self._initial_settings)
        self.state_file = Path(state_file) if state_file is not None else None
        # Request threads share the backend, so every public method holds this lock.
        self._lock = threading.RLock()
        self._associations: dict[tuple[str, str, str], Association] = {}
        self._destinations: dict[tuple[str, str, str], Destination] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._tokens: dict[tuple[str, str, str], TokenRecord] = {}
        self._profiles: dict[tuple[str, str, str], DeviceProfile] = {}
        self._devices: dict[tuple[str, str, str], WirelessDevice] = {}
        self._tasks: dict[tuple[str, str, str], ImportTask] = {}
        self._serial = 0
        # Seconds added to the wall clock, so tests can move import tasks on without waiting.
        self._clock_offset = 0.0
        if self.state_file is not None and self.state_file.exists():
            self._load(self.state_file)

    # Settings, clock and identity.

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward, as if seconds had passed for the import tasks."""
        if not seconds >= 0:
            raise ValueError("the clock only moves forward: seconds must be at least 0")
        with self._lock:
            self._clock_offset += seconds
            self._save()

    def _clock(self) -> float:
        # Wall-clock seconds: import tasks keep their timing across a restart with a state file.
        return time.time() + self._clock_offset

    def update_settings(self, **changes: Any) -> Settings:
        """Change named settings, refusing unknown names and values."""
        with self._lock:
            for name, value in changes.items():
                if name not in Settings.__dataclass_fields__:
                    raise ValueError(f"unknown setting {name!r}")
                if name == "token_reuse_after_delete" and value not in get_args(TokenReuse):
                    raise ValueError(f"token_reuse_after_delete must be one of {get_args(TokenReuse)}")
                if name == "sidewalk_regions":
                    value = set(value)
                if name == "import_step_seconds" and not float(value) >= 0:
                    raise ValueError("import_step_seconds must be at least 0")
                if name == "import_failures" and not isinstance(value, dict):
                    raise ValueError("import_failures maps each failing SMSN to its reason")
                setattr(self.settings, name, value)
            return copy.deepcopy(self.settings)

    def account_for(self, access_key: str) -> str:
        """Map a request's access key id to its AWS account id."""
        with self._lock:
            return self.settings.accounts.get(access_key, self.settings.default_account)

    def check_region(self, region: str) -> None:
        """Refuse calls in regions where Sidewalk is not served."""
        with self._lock:
            if region not in self.settings.sidewalk_regions:
                raise AccessDeniedException(
                    f"Sidewalk is not available in region {region}; "
                    f"it is served from {', '.join(sorted(self.settings.sidewalk_regions))}"
                )

    # Partner accounts.

    def associate(
        self,
        account: str,
        region: str,
        amazon_id: str | None,
        app_server_private_key: str | None,
        client_request_token: str | None,
        tags: dict[str, str],
    ) -> dict[str, Any]:
        """Link a Sidewalk account, honouring the ClientRequestToken."""
        # The model leaves both optional, but AWS cannot associate without either.
        if not amazon_id:
            raise ValidationException.from_violations([("Sidewalk.AmazonId", "Member must not be null")])
        if not app_server_private_key:
            raise ValidationException.from_violations(
                [("Sidewalk.AppServerPrivateKey", "Member must not be null")]
            )
        request: dict[str, Any] = {
            "AmazonId": amazon_id,
            "AppServerPrivateKey": app_server_private_key,
            "Tags": tags,
        }
        with self._lock:
            record = None
            if client_request_token is not None:
                record = self._tokens.get((account, region, client_request_token))
            current = self._associations.get((account, region, amazon_id))
            if record is not None:
                if record.request != request:
                    raise ConflictException(
                        f"ClientRequestToken {client_request_token} was already used with other parameters",
                        amazon_id,
                    )
                alive = current is not None and current.serial == record.serial
                if alive or self.settings.token_reuse_after_delete == "replay":
                    return copy.deepcopy(record.result)
            if current is not None:
                raise ConflictException(f"Sidewalk account {amazon_id} is already associated", amazon_id)
            self._serial += 1
            association = Association(account, region, amazon_id, app_server_private_key, self._serial)
            self._associations[(account, region, amazon_id)] = association
            if tags:
                self._tags[association.arn] = dict(tags)
            result = {
                "Arn": association.arn,
                "Sidewalk": {"AmazonId": amazon_id, "AppServerPrivateKey": app_server_private_key},
            }
            if client_request_token is not None:
                self._tokens[(account, region, client_request_token)] = TokenRecord(
                    request, result, association.serial
                )
            self._save()
            return copy.deepcopy(result)

    def get_partner_account(self, account: str, region: str, amazon_id: str) -> dict[str, Any]:
        """Describe one association."""
        with self._lock:
            association = self._find(account, region, amazon_id)
            return {"Sidewalk": association.summary(), "AccountLinked": association.account_linked}

    def update_partner_account(
        self, account: str, region: str, amazon_id: str, app_server_private_key: str | None
    ) -> None:
        """Replace the application server's private key."""
        with self._lock:
            association = self._find(account, region, amazon_id)
            if app_server_private_key is not None:
                association.app_server_private_key = app_server_private_key
                self._save()

    def disassociate(self, account: str, region: str, amazon_id: str) -> None:
        """Remove an association and its tags."""
        with self._lock:
            association = self._find(account, region, amazon_id)
            del self._associations[(account, region, amazon_id)]
            self._tags.pop(association.arn, None)
            self._save()

    def list_partner_accounts(
        self, account: str, region: str, max_results: int | None, next_token: str | None
    ) -> dict[str, Any]:
        """Page through the associations ordered by AmazonId."""
        with self._lock:
            found = sorted(
                (a for a in self._associations.values() if (a.account, a.region) == (account, region)),
                key=lambda a: a.amazon_id,
            )
            if next_token is not None:
                after = _decode_next_token(next_token)
                found = [a for a in found if a.amazon_id > after]
            # AWS does not document what maxResults=0 means; here it asks for the default.
            size = max_results or DEFAULT_PAGE_SIZE
            result: dict[str, Any] = {"Sidewalk": [a.summary() for a in found[:size]]}
            if len(found) > size:
                result["NextToken"] = _encode_next_token(found[size - 1].amazon_id)
            return result

    def link_account(self, account: str, region: str, amazon_id: str, linked: bool = True) -> None:
        """Play the Sidewalk side linking (or unlinking) the cloud account."""
        with self._lock:
            self._find(account, region, amazon_id).account_linked = linked
            self._save()

    # Destinations.

    def create_destination(self, destination: Destination, tags: dict[str, str]) -> dict[str, Any]:
        """Add a destination whose name is not yet taken in its account and region."""
        key = (destination.account, destination.region, destination.name)
        with self._lock:
            if key in self._destinations:
                raise ConflictException(
                    f"Destination {destination.name} already exists", destination.name, DESTINATION
                )
            self._destinations[key] = destination
            if tags:
                self._tags[destination.arn] = dict(tags)
            self._save()
            return {"Arn": destination.arn, "Name": destination.name}

    def get_destination(self, account: str, region: str, name: str) -> dict[str, Any]:
        """Describe one destination."""
        with self._lock:
            return self._find_destination(account, region, name).describe()

    def update_destination(self, account: str, region: str, name: str, changes: dict[str, Any]) -> None:
        """Set the fields given (snake_case names); the others stay."""
        with self._lock:
            destination = self._find_destination(account, region, name)
            for field_name, value in changes.items():
                setattr(destination, field_name, value)
            self._save()

    def use_destination(self, account: str, region: str, name: str, in_use: bool = True) -> None:
        """Mark a destination in use (or not) as if devices outside the emulator sent to it."""
        with self._lock:
            self._find_destination(account, region, name).in_use = in_use
            self._save()

    def delete_destination(self, account: str, region: str, name: str) -> None:
        """Remove a destination and its tags, unless wireless devices still send to it."""
        with self._lock:
            self._advance()
            destination = self._find_destination(account, region, name)
            if destination.in_use or self._destination_referenced(account, region, name):
                raise ConflictException(
                    f"Destination {name} is used by wireless devices and cannot be deleted", name, DESTINATION
                )
            del self._destinations[(account, region, name)]
            self._tags.pop(destination.arn, None)
            self._save()

    # Device profiles.

    def create_device_profile(
        self,
        account: str,
        region: str,
        name: str | None,
        client_request_token: str | None,
        tags: dict[str, str],
    ) -> dict[str, Any]:
        """Add a Sidewalk device profile, honouring the ClientRequestToken."""
        request = {"Operation": "CreateDeviceProfile", "Name": name, "Tags": tags}
        with self._lock:
            alive = self._alive(self._profiles)
            replayed = self._replay(
                account, region, client_request_token, request, alive, name or "", DEVICE_PROFILE
            )
            if replayed is not None:
                return replayed
            profile = DeviceProfile(account, region, str(uuid.uuid4()), self._next_serial(), name)
            self._profiles[(account, region, profile.id)] = profile
            if tags:
                self._tags[profile.arn] = dict(tags)
            result = {"Arn": profile.arn, "Id": profile.id}
            self._remember(account, region, client_request_token, request, result, profile.serial)
            self._save()
            return copy.deepcopy(result)

    def get_device_profile(self, account: str, region: str, profile_id: str) -> dict[str, Any]:
        """Describe one device profile."""
        with self._lock:
            return self._find_profile(account, region, profile_id).describe()

    def delete_device_profile(self, account: str, region: str, profile_id: str) -> None:
        """Remove a device profile and its tags, unless wireless devices use it."""
        with self._lock:
            self._advance()
            profile = self._find_profile(account, region, profile_id)
            if any(d.device_profile_id == profile_id for d in self._owned(self._devices, account, region)):
                raise ConflictException(
                    f"Device profile {profile_id} is used by wireless devices and cannot be deleted",
                    profile_id,
                    DEVICE_PROFILE,
                )
            del self._profiles[(account, region, profile_id)]
            self._tags.pop(profile.arn, None)
            self._save()

    def list_device_profiles(
        self,
        account: str,
        region: str,
        profile_type: str | None,
        max_results: int | None,
        next_token: str | None,
    ) -> dict[str, Any]:
        """Page through the device profiles ordered by id; every profile here is a Sidewalk one."""
        with self._lock:
            found = [] if profile_type == "LoRaWAN" else self._owned(self._profiles, account, region)
            page, token = _page(found, lambda p: p.id, max_results, next_token)
            return _with_token({"DeviceProfileList": [p.summary() for p in page]}, token)

    # Wireless devices.

    def create_wireless_device(
        self,
        account: str,
        region: str,
        params: dict[str, Any],
        tags: dict[str, str],
    ) -> dict[str, Any]:
        """Add a Sidewalk device whose profile and destination exist and whose SMSN is free."""
        if params["Type"] != "Sidewalk":
            raise ValidationException("This emulator serves Sidewalk wireless devices only")
        sidewalk = params.get("Sidewalk") or {}
        if not sidewalk.get("DeviceProfileId"):
            raise ValidationException.from_violations(
                [("Sidewalk.DeviceProfileId", "Member must not be null")]
            )
        token = params.get("ClientRequestToken")
        request = {"Operation": "CreateWirelessDevice", **{k: v for k, v in params.items() if k != "Tags"}}
        request.pop("ClientRequestToken", None)
        request["Tags"] = tags
        with self._lock:
            self._advance()
            resource_id = sidewalk.get("SidewalkManufacturingSn") or params.get("Name") or ""
            replayed = self._replay(
                account, region, token, request, self._alive(self._devices), resource_id, WIRELESS_DEVICE
            )
            if replayed is not None:
                return replayed
            self._find_profile(account, region, sidewalk["DeviceProfileId"])
            positioning_destination = (sidewalk.get("Positioning") or {}).get("DestinationName")
            for name in (params["DestinationName"], positioning_destination):
                if name is not None:
                    self._find_destination(account, region, name)
            device_id = str(uuid.uuid4())
            smsn = sidewalk.get("SidewalkManufacturingSn") or _generate(
                64, "smsn", account, region, device_id
            )
            self._check_smsn_free(account, region, smsn)
            device = WirelessDevice(
                account,
                region,
                device_id,
                self._next_serial(),
                params["DestinationName"],
                smsn,
                sidewalk["DeviceProfileId"],
                params.get("Name"),
                params.get("Description"),
                params.get("Positioning"),
                positioning_destination,
            )
            self._devices[(account, region, device.id)] = device
            if tags:
                self._tags[device.arn] = dict(tags)
            result = {"Arn": device.arn, "Id": device.id}
            self._remember(account, region, token, request, result, device.serial)
            self._save()
            return copy.deepcopy(result)

    def get_wireless_device(
        self, account: str, region: str, identifier: str, identifier_type: str
    ) -> dict[str, Any]:
        """Describe one device, found by its id or its SMSN, private keys included."""
        with self._lock:
            self._advance()
            device = self._find_device(account, region, identifier, identifier_type)
            return self._describe_device(device, full=True)

    def update_wireless_device(
        self, account: str, region: str, device_id: str, params: dict[str, Any]
    ) -> None:
        """Change the name, description, destination or positioning given; the others stay."""
        if params.get("LoRaWAN") is not None:
            raise ValidationException("This emulator serves Sidewalk wireless devices only")
        with self._lock:
            self._advance()
            device = self._find_device(account, region, device_id, "WirelessDeviceId")
            positioning_destination = ((params.get("Sidewalk") or {}).get("Positioning") or {}).get(
                "DestinationName"
            )
            for name in (params.get("DestinationName"), positioning_destination):
                if name is not None:
                    self._find_destination(account, region, name)
            if "Name" in params:
                device.name = params["Name"]
            if "Description" in params:
                device.description = params["Description"]
            if "DestinationName" in params:
                device.destination_name = params["DestinationName"]
            if "Positioning" in params:
                device.positioning = params["Positioning"]
            if positioning_destination is not None:
                device.positioning_destination = positioning_destination
            self._save()

    def delete_wireless_device(self, account: str, region: str, device_id: str) -> None:
        """Remove a device and its tags; its SMSN is free again."""
        with self._lock:
            self._advance()
            device = self._find_device(account, region, device_id, "WirelessDeviceId")
            del self._devices[(account, region, device.id)]
            self._tags.pop(device.arn, None)
            self._save()

    def list_wireless_devices(
        self,
        account: str,
        region: str,
        filters: dict[str, Any],
        max_results: int | None,
        next_token: str | None,
    ) -> dict[str, Any]:
        """Page through the devices ordered by id, keeping those the filters given match."""
        with self._lock:
            self._advance()
            found = self._owned(self._devices, account, region)
            # Service profiles, FUOTA tasks and multicast groups are LoRaWAN things no Sidewalk device has.
            if filters.get("WirelessDeviceType") == "LoRaWAN" or any(
                filters.get(name) is not None
                for name in ("ServiceProfileId", "FuotaTaskId", "MulticastGroupId")
            ):
                found = []
            if (destination := filters.get("DestinationName")) is not None:
                found = [d for d in found if d.destination_name == destination]
            if (profile := filters.get("DeviceProfileId")) is not None:
                found = [d for d in found if d.device_profile_id == profile]
            page, token = _page(found, lambda d: d.id, max_results, next_token)
            return _with_token(
                {"WirelessDeviceList": [self._describe_device(d, full=False) for d in page]}, token
            )

    # Import tasks.

    def start_import_task(
        self,
        account: str,
        region: str,
        params: dict[str, Any],
        tags: dict[str, str],
        single: bool,
    ) -> dict[str, Any]:
        """Start onboarding one SMSN or the devices of a CSV file in S3."""
        sidewalk = params["Sidewalk"]
        operation = "StartSingleWirelessDeviceImportTask" if single else "StartWirelessDeviceImportTask"
        if single and not sidewalk.get("SidewalkManufacturingSn"):
            raise ValidationException.from_violations(
                [("Sidewalk.SidewalkManufacturingSn", "Member must not be null")]
            )
        if not single:
            for member in ("DeviceCreationFile", "Role"):
                if not sidewalk.get(member):
                    raise ValidationException.from_violations(
                        [(f"Sidewalk.{member}", "Member must not be null")]
                    )
            _parse_s3_url(sidewalk["DeviceCreationFile"])
        token = params.get("ClientRequestToken")
        request = {"Operation": operation, **{k: v for k, v in params.items() if k != "ClientRequestToken"}}
        request["Tags"] = tags
        with self._lock:
            self._advance()
            resource_id = sidewalk.get("SidewalkManufacturingSn") or sidewalk.get("DeviceCreationFile") or ""
            replayed = self._replay(
                account, region, token, request, self._alive(self._tasks), resource_id, IMPORT_TASK
            )
            if replayed is not None:
                return replayed
            positioning_destination = (sidewalk.get("Positioning") or {}).get("DestinationName")
            for name in (params["DestinationName"], positioning_destination):
                if name is not None:
                    self._find_destination(account, region, name)
            endpoint = self.settings.s3_endpoint_url
        rows: list[tuple[str, str | None]] = []
        reason = None
        if single:
            rows = [(sidewalk["SidewalkManufacturingSn"], params.get("DeviceName"))]
        else:
            # Read outside the lock: S3 is another server and may be slow.
            try:
                rows = _read_device_file(endpoint, sidewalk["DeviceCreationFile"])
            except _DeviceFileError as error:
                reason = str(error)
        with self._lock:
            now = self._clock()
            task = ImportTask(
                account,
                region,
                str(uuid.uuid4()),
                self._next_serial(),
                params["DestinationName"],
                now,
                single,
                device_name=params.get("DeviceName") if single else None,
                positioning=params.get("Positioning"),
                positioning_destination=positioning_destination,
                role=sidewalk.get("Role"),
                files=[] if single else [sidewalk["DeviceCreationFile"]],
                status_reason=reason,
            )
            _add_devices(task, rows, now)
            self._tasks[(account, region, task.id)] = task
            if tags:
                self._tags[task.arn] = dict(tags)
            result = {"Id": task.id, "Arn": task.arn}
            self._remember(account, region, token, request, result, task.serial)
            self._save()
            return copy.deepcopy(result)

    def get_import_task(self, account: str, region: str, task_id: str) -> dict[str, Any]:
        """Describe one import task with its status and device counts."""
        with self._lock:
            self._advance()
            return self._describe_task(self._find_task(account, region, task_id))

    def list_import_tasks(
        self, account: str, region: str, max_results: int | None, next_token: str | None
    ) -> dict[str, Any]:
        """Page through the import tasks ordered by id."""
        with self._lock:
            self._advance()
            found = self._owned(self._tasks, account, region)
            page, token = _page(found, lambda t: t.id, max_results, next_token)
            return _with_token(
                {"WirelessDeviceImportTaskList": [self._describe_task(t) for t in page]}, token
            )

    def list_import_task_devices(
        self,
        account: str,
        region: str,
        task_id: str,
        status: str | None,
        max_results: int | None,
        next_token: str | None,
    ) -> dict[str, Any]:
        """Page through a task's devices in the order they were added, with their onboarding state."""
        with self._lock:
            self._advance()
            task = self._find_task(account, region, task_id)
            now = self._clock()
            states = [
                (index, device, *self._onboarding(device, now)) for index, device in enumerate(task.devices)
            ]
            if status is not None:
                states = [state for state in states if state[2] == status]
            page, token = _page(states, lambda s: f"{s[0]:010d}", max_results, next_token)
            devices = []
            for _, device, onboarding, reason, updated in page:
                imported: dict[str, Any] = {
                    "SidewalkManufacturingSn": device.smsn,
                    "OnboardingStatus": onboarding,
                    "LastUpdateTime": _timestamp(updated),
                }
                if reason is not None:
                    imported["OnboardingStatusReason"] = reason
                devices.append({"Sidewalk": imported})
            result: dict[str, Any] = {
                "DestinationName": task.destination_name,
                "ImportedWirelessDeviceList": devices,
            }
            if task.positioning is not None:
                result["Positioning"] = task.positioning
            if task.positioning_destination is not None:
                result["Sidewalk"] = {"Positioning": {"DestinationName": task.positioning_destination}}
            return _with_token(result, token)

    def update_import_task(self, account: str, region: str, task_id: str, device_file: str | None) -> None:
        """Append the devices of another CSV file to a task started from a file."""
        if not device_file:
            raise ValidationException.from_violations(
                [("Sidewalk.DeviceCreationFile", "Member must not be null")]
            )
        _parse_s3_url(device_file)
        with self._lock:
            task = self._find_task(account, region, task_id)
            if task.single:
                raise ValidationException(
                    f"Import task {task_id} onboards a single device and cannot take a file"
                )
            endpoint = self.settings.s3_endpoint_url
        try:
            rows = _read_device_file(endpoint, device_file)
        except _DeviceFileError as error:
            raise ValidationException(str(error)) from None
        with self._lock:
            task = self._find_task(account, region, task_id)
            task.files.append(device_file)
            _add_devices(task, rows, self._clock())
            self._save()

    def delete_import_task(self, account: str, region: str, task_id: str) -> None:
        """Remove a task and its tags; its onboarded devices stay, the others are dropped."""
        with self._lock:
            self._advance()
            task = self._find_task(account, region, task_id)
            del self._tasks[(account, region, task_id)]
            self._tags.pop(task.arn, None)
            self._save()

    # Tags.

    def tag_resource(self, account: str, region: str, arn: str, tags: dict[str, str]) -> None:
        """Add or overwrite tags on a resource."""
        with self._lock:
            self._find_arn(account, region, arn)
            merged = {**self._tags.get(arn, {}), **tags}
            limit = service_model().shape_for("TagList").metadata["max"]
            if len(merged) > limit:
                raise TooManyTagsException(f"A resource can have at most {limit} tags", arn)
            self._tags[arn] = merged
            self._save()

    def untag_resource(self, account: str, region: str, arn: str, keys: list[str]) -> None:
        """Remove tags by key; absent keys are ignored."""
        with self._lock:
            self._find_arn(account, region, arn)
            tags = self._tags.get(arn, {})
            for key in keys:
                tags.pop(key, None)
            self._save()

    def list_tags_for_resource(self, account: str, region: str, arn: str) -> dict[str, str]:
        """Return a resource's tags."""
        with self._lock:
            self._find_arn(account, region, arn)
            return dict(self._tags.get(arn, {}))

    # Whole state.

    def associations(self) -> list[dict[str, Any]]:
        """List every association with its tags, never its key."""
        with self._lock:
            return [
                {
                    "account": a.account,
                    "region": a.region,
                    **a.summary(),
                    "AccountLinked": a.account_linked,
                    "Tags": dict(self._tags.get(a.arn, {})),
                }
                for a in self._associations.values()
            ]

    def reset(self) -> None:
        """Forget all state and restore the settings the backend was made with."""
        with self._lock:
            self.settings = copy.deepcopy(self._initial_settings)
            self._forget()
            self._save()

    def _forget(self) -> None:
        self._associations.clear()
        self._destinations.clear()
        self._tags = {}
        self._tokens.clear()
        self._profiles.clear()
        self._devices.clear()
        self._tasks.clear()
        self._serial = 0
        self._clock_offset = 0.0

    def _find(self, account: str, region: str, amazon_id: str) -> Association:
        association = self._associations.get((account, region, amazon_id))
        if association is None:
            raise ResourceNotFoundException(f"Sidewalk account {amazon_id} not found", amazon_id)
        return association

    def _find_destination(self, account: str, region: str, name: str) -> Destination:
        destination = self._destinations.get((account, region, name))
        if destination is None:
            raise ResourceNotFoundException(f"Destination {name} not found", name, DESTINATION)
        return destination

    def _find_arn(self, account: str, region: str, arn: str) -> Resource:
        self._advance()
        resources: list[Resource] = [*self._associations.values(), *self._destinations.values()]
        resources += [*self._profiles.values(), *self._devices.values(), *self._tasks.values()]
        for resource in resources:
            if (resource.account, resource.region, resource.arn) == (account, region, arn):
                return resource
        raise ResourceNotFoundException(f"Resource {arn} not found", arn)

    def _find_profile(self, account: str, region: str, profile_id: str) -> DeviceProfile:
        profile = self._profiles.get((account, region, profile_id))
        if profile is None:
            raise ResourceNotFoundException(
                f"Device profile {profile_id} not found", profile_id, DEVICE_PROFILE
            )
        return profile

    def _find_device(
        self, account: str, region: str, identifier: str, identifier_type: str
    ) -> WirelessDevice:
        device = None
        if identifier_type == "WirelessDeviceId":
            device = self._devices.get((account, region, identifier))
        elif identifier_type == "SidewalkManufacturingSn":
            device = next(
                (d for d in self._owned(self._devices, account, region) if d.smsn == identifier), None
            )
        if device is None:
            raise ResourceNotFoundException(
                f"Wireless device {identifier} ({identifier_type}) not found", identifier, WIRELESS_DEVICE
            )
        return device

    def _find_task(self, account: str, region: str, task_id: str) -> ImportTask:
        task = self._tasks.get((account, region, task_id))
        if task is None:
            raise ResourceNotFoundException(f"Import task {task_id} not found", task_id, IMPORT_TASK)
        return task

    def _owned(self, resources: dict[tuple[str, str, str], _Item], account: str, region: str) -> list[_Item]:
        """Return the resources of one account and region, ordered by id."""
        return [resources[key] for key in sorted(resources) if key[:2] == (account, region)]

    def _check_smsn_free(self, account: str, region: str, smsn: str) -> None:
        if any(d.smsn == smsn for d in self._owned(self._devices, account, region)):
            raise ConflictException(
                f"A wireless device with SidewalkManufacturingSn {smsn} already exists", smsn, WIRELESS_DEVICE
            )

    def _destination_referenced(self, account: str, region: str, name: str) -> bool:
        """Tell whether a device, or a device of a task still onboarding, sends to a destination."""
        for device in self._owned(self._devices, account, region):
            if name in (device.destination_name, device.positioning_destination):
                return True
        for task in self._owned(self._tasks, account, region):
            onboarding = any(d.outcome is None for d in task.devices)
            if onboarding and name in (task.destination_name, task.positioning_destination):
                return True
        return False

    def _amazon_id(self, account: str, region: str) -> str | None:
        ids = sorted(
            a.amazon_id for a in self._associations.values() if (a.account, a.region) == (account, region)
        )
        return ids[0] if ids else None

    def _describe_device(self, device: WirelessDevice, full: bool) -> dict[str, Any]:
        """Return the GetWirelessDevice answer (full) or the ListWirelessDevices entry of a device."""
        sidewalk: dict[str, Any] = {
            "SidewalkId": device.sidewalk_id,
            "SidewalkManufacturingSn": device.smsn,
            "DeviceCertificates": device.certificates(),
            "Status": "PROVISIONED",
        }
        if (amazon_id := self._amazon_id(device.account, device.region)) is not None:
            sidewalk["AmazonId"] = amazon_id
        if device.device_profile_id is not None:
            sidewalk["DeviceProfileId"] = device.device_profile_id
            profile = self._profiles.get((device.account, device.region, device.device_profile_id))
            if full and profile is not None:
                sidewalk["CertificateId"] = profile.certificate_id
        if full and device.import_task_id is None:
            sidewalk["PrivateKeys"] = device.private_keys()
        if device.positioning_destination is not None:
            sidewalk["Positioning"] = {"DestinationName": device.positioning_destination}
        answer: dict[str, Any] = {
            "Type": "Sidewalk",
            "Id": device.id,
            "Arn": device.arn,
            "DestinationName": device.destination_name,
            "Sidewalk": sidewalk,
        }
        optional = {"Name": device.name, "Positioning": device.positioning}
        if full:
            optional["Description"] = device.description
        return {**answer, **{k: v for k, v in optional.items() if v is not None}}

    def _onboarding(self, device: ImportedDevice, now: float) -> tuple[str, str | None, float]:
        """Return a task device's OnboardingStatus, reason and time of its last change."""
        step = self.settings.import_step_seconds
        if device.outcome is not None:
            return device.outcome, device.reason, device.added_at + 2 * step
        if now - device.added_at < step:
            return "INITIALIZED", None, device.added_at
        return "PENDING", None, device.added_at + step

    def _describe_task(self, task: ImportTask) -> dict[str, Any]:
        """Return the GetWirelessDeviceImportTask answer of a task."""
        now = self._clock()
        states = [self._onboarding(device, now)[0] for device in task.devices]
        counts = {state: states.count(state) for state in ("INITIALIZED", "PENDING", "ONBOARDED", "FAILED")}
        if task.status_reason is not None:
            status = "FAILED"
        elif counts["INITIALIZED"] == len(states):
            status = "INITIALIZED"
        elif counts["INITIALIZED"] + counts["PENDING"]:
            status = "PENDING"
        else:
            status = "COMPLETE"
        sidewalk: dict[str, Any] = {"DeviceCreationFileList": list(task.files)}
        if task.role is not None:
            sidewalk["Role"] = task.role
        if task.positioning_destination is not None:
            sidewalk["Positioning"] = {"DestinationName": task.positioning_destination}
        answer: dict[str, Any] = {
            "Id": task.id,
            "Arn": task.arn,
            "DestinationName": task.destination_name,
            "Sidewalk": sidewalk,
            "CreationTime": _timestamp(task.created_at),
            "Status": status,
            "InitializedImportedDeviceCount": counts["INITIALIZED"],
            "PendingImportedDeviceCount": counts["PENDING"],
            "OnboardedImportedDeviceCount": counts["ONBOARDED"],
            "FailedImportedDeviceCount": counts["FAILED"],
        }
        if task.positioning is not None:
            answer["Positioning"] = task.positioning
        if task.status_reason is not None:
            answer["StatusReason"] = task.status_reason
        return answer

    def _advance(self) -> None:
        """Decide every task device whose two onboarding steps have passed: onboard or fail it."""
        now, step = self._clock(), self.settings.import_step_seconds
        changed = False
        for task in sorted(self._tasks.values(), key=lambda t: t.serial):
            for imported in task.devices:
                if imported.outcome is not None or now - imported.added_at < 2 * step:
                    continue
                changed = True
                imported.outcome, imported.reason = "FAILED", self.settings.import_failures.get(imported.smsn)
                if imported.reason is not None:
                    continue
                if any(
                    d.smsn == imported.smsn for d in self._owned(self._devices, task.account, task.region)
                ):
                    imported.reason = (
                        f"A wireless device with SidewalkManufacturingSn {imported.smsn} already exists"
                    )
                    continue
                if (task.account, task.region, task.destination_name) not in self._destinations:
                    imported.reason = f"Destination {task.destination_name} does not exist"
                    continue
                device = WirelessDevice(
                    task.account,
                    task.region,
                    str(uuid.uuid4()),
                    self._next_serial(),
                    task.destination_name,
                    imported.smsn,
                    name=imported.name,
                    positioning=task.positioning,
                    positioning_destination=task.positioning_destination,
                    import_task_id=task.id,
                )
                self._devices[(device.account, device.region, device.id)] = device
                imported.outcome, imported.wireless_device_id = "ONBOARDED", device.id
        if changed:
            self._save()

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def _alive(self, resources: dict[tuple[str, str, str], Any]) -> Callable[[int], bool]:
        """Tell whether the resource a token made (known by its serial) still exists."""
        return lambda serial: any(resource.serial == serial for resource in resources.values())

    def _replay(
        self,
        account: str,
        region: str,
        token: str | None,
        request: dict[str, Any],
        alive: Callable[[int], bool],
        resource_id: str,
        resource_type: str,
    ) -> dict[str, Any] | None:
        """Return the answer a retried create gets, or None when it must create."""
        record = self._tokens.get((account, region, token)) if token is not None else None
        if record is None:
            return None
        if record.request != request:
            raise ConflictException(
                f"ClientRequestToken {token} was already used with other parameters",
                resource_id,
                resource_type,
            )
        if alive(record.serial) or self.settings.token_reuse_after_delete == "replay":
            return copy.deepcopy(record.result)
        return None

    def _remember(
        self,
        account: str,
        region: str,
        token: str | None,
        request: dict[str, Any],
        result: dict[str, Any],
        serial: int,
    ) -> None:
        if token is not None:
            self._tokens[(account, region, token)] = TokenRecord(
                copy.deepcopy(request), copy.deepcopy(result), serial
            )

    def snapshot(self) -> dict[str, Any]:
        """Return the state as the state file holds it, for `restore` to bring back later."""
        with self._lock:
            return copy.deepcopy(self._state())

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Replace the state with one `snapshot` returned; settings stay as they are."""
        with self._lock:
            self._forget()
            self._apply(copy.deepcopy(snapshot))
            self._save()

    def _state(self) -> dict[str, Any]:
        return {
            "serial": self._serial,
            # The clock never goes back across a restart, even after a test moved it on.
            "clock_offset": self._clock_offset,
            "associations": [asdict(a) for a in self._associations.values()],
            "destinations": [asdict(d) for d in self._destinations.values()],
            "device_profiles": [asdict(p) for p in self._profiles.values()],
            "wireless_devices": [asdict(d) for d in self._devices.values()],
            "import_tasks": [asdict(t) for t in self._tasks.values()],
            "tags": self._tags,
            "tokens": [
                {"account": a, "region": r, "token": t, **asdict(record)}
                for (a, r, t), record in self._tokens.items()
            ],
        }

    def _save(self) -> None:
        """Write the state file atomically, so a crash leaves the old or the new state."""
        if self.state_file is None:
            return
        data = self._state()
        directory = self.state_file.parent
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{self.state_file.name}.")
        try:
            with os.fdopen(fd, "w") as file:
                json.dump(data, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.state_file)
        except BaseException:
            os.unlink(temporary)
            raise

    def _load(self, path: Path) -> None:
        self._apply(json.loads(path.read_text()))

    def _apply(self, data: dict[str, Any]) -> None:
        self._serial = data["serial"]
        self._clock_offset = data.get("clock_offset", 0.0)
        for item in data["associations"]:
            association = Association(**item)
            self._associations[(association.account, association.region, association.amazon_id)] = association
        # A state file written before destinations existed has none.
        for item in data.get("destinations", []):
            destination = Destination(**item)
            self._destinations[(destination.account, destination.region, destination.name)] = destination
        # Nor has one written before devices existed.
        for item in data.get("device_profiles", []):
            profile = DeviceProfile(**item)
            self._profiles[(profile.account, profile.region, profile.id)] = profile
        for item in data.get("wireless_devices", []):
            device = WirelessDevice(**item)
            self._devices[(device.account, device.region, device.id)] = device
        for item in data.get("import_tasks", []):
            devices = [ImportedDevice(**imported) for imported in item.pop("devices")]
            task = ImportTask(**item, devices=devices)
            self._tasks[(task.account, task.region, task.id)] = task
        self._tags = data["tags"]
        for item in data["tokens"]:
            key = (item.pop("account"), item.pop("region"), item.pop("token"))
            self._tokens[key] = TokenRecord(**item)


def _encode_next_token(amazon_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": amazon_id}).encode()).decode()


def _decode_next_token(next_token: str) -> str:
    try:
        after = json.loads(base64.urlsafe_b64decode(next_token.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        after = None
    if not isinstance(after, str):
        raise ValidationException("NextToken is not valid: pass the NextToken of a previous page")
    return after


def _generate(length: int, *parts: str) -> str:
    """Return length hex digits that look random but always follow from parts."""
    seed = "/".join(parts).encode()
    digits = ""
    counter = 0
    while len(digits) < length:
        digits += hmac.new(GENERATED_SALT, seed + counter.to_bytes(4, "big"), hashlib.sha256).hexdigest()
        counter += 1
    return digits[:length]


def _page(
    items: Sequence[_Item], key: Callable[[_Item], str], max_results: int | None, next_token: str | None
) -> tuple[list[_Item], str | None]:
    """Cut one page from items ordered by key: the page and the NextToken of the rest."""
    found = list(items)
    if next_token is not None:
        after = _decode_next_token(next_token)
        found = [item for item in found if key(item) > after]
    # AWS does not document what maxResults=0 means; here it asks for the default.
    size = max_results or DEFAULT_PAGE_SIZE
    token = _encode_next_token(key(found[size - 1])) if len(found) > size else None
    return found[:size], token


def _with_token(result: dict[str, Any], token: str | None) -> dict[str, Any]:
    return result if token is None else {**result, "NextToken": token}


def _timestamp(seconds: float) -> str:
    """Render a time as the ISO 8601 the model asks for these timestamps."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _DeviceFileError(Exception):
    """A device creation file that cannot be read or lists no device."""


_S3_URL = re.compile(
    r"s3://(?P<bucket>[^/]+)/(?P<key>.+)|https://(?P<host_bucket>[^/.]+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com/(?P<host_key>.+)"
)


def _parse_s3_url(url: str) -> tuple[str, str]:
    """Split a DeviceCreationFile into bucket and key, refusing anything but an S3 URL."""
    match = _S3_URL.fullmatch(url)
    if match is None:
        raise ValidationException(
            "Sidewalk.DeviceCreationFile must be an S3 URL: s3://bucket/key or https://bucket.s3.amazonaws.com/key"
        )
    return match["bucket"] or match["host_bucket"], match["key"] or match["host_key"]


def _read_device_file(endpoint: str | None, url: str) -> list[tuple[str, str | None]]:
    """Read the (SMSN, device name) rows of a CSV file in S3."""
    import boto3
    import botocore.exceptions

    bucket, key = _parse_s3_url(url)
    if endpoint is None:
        raise _DeviceFileError(
            f"Cannot read {url}: the emulator has no S3 endpoint (setting s3_endpoint_url)"
        )
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **S3_CREDENTIALS)
    try:
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise _DeviceFileError(f"Cannot read {url}: {error}") from None
    finally:
        client.close()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _DeviceFileError(f"{url} is not UTF-8 text") from None
    rows = [
        [cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)
    ]
    if rows and rows[0][0].lower() in ("smsn", "sidewalkmanufacturingsn"):
        rows = rows[1:]
    limit = service_model().shape_for("SidewalkManufacturingSn").metadata["max"]
    devices: list[tuple[str, str | None]] = []
    for line, row in enumerate(rows, start=1):
        if not row[0] or len(row[0]) > limit:
            raise _DeviceFileError(f"{url}: device {line} has no SMSN of 1 to {limit} characters")
        devices.append((row[0], row[1] if len(row) > 1 and row[1] else None))
    if not devices:
        raise _DeviceFileError(f"{url} lists no device")
    return devices


def _add_devices(task: ImportTask, rows: list[tuple[str, str | None]], now: float) -> None:
    """Add the devices of rows a task does not hold yet, starting their onboarding now."""
    known = {device.smsn for device in task.devices}
    for smsn, name in rows:
        if smsn not in known:
            known.add(smsn)
            task.devices.append(ImportedDevice(smsn, now, name or task.device_name))
