"""State of the emulated service: Sidewalk associations, destinations, their tags and request tokens."""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from .exceptions import (
    DESTINATION,
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    TooManyTagsException,
    ValidationException,
)
from .urls import service_model

__all__ = ["Association", "Destination", "IoTWirelessBackend", "Settings", "TokenReuse"]

TokenReuse = Literal["replay", "associate"]
DEFAULT_ACCOUNT = "123456789012"
# AWS does not document ListPartnerAccounts' page size; a small one makes callers paginate.
DEFAULT_PAGE_SIZE = 10
# AWS's Fingerprint matches no plain hash of the key, so a keyed hash stands in for it.
FINGERPRINT_SALT = b"iotwireless-emulator-fingerprint"


@dataclass
class Settings:
    """The emulator's behaviour switches that tests may change."""

    token_reuse_after_delete: TokenReuse = "associate"
    accounts: dict[str, str] = field(default_factory=dict)
    default_account: str = DEFAULT_ACCOUNT
    sidewalk_regions: set[str] = field(default_factory=lambda: {"us-east-1"})

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
        self._serial = 0
        if self.state_file is not None and self.state_file.exists():
            self._load(self.state_file)

    # Settings and identity.

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
        """Play wireless devices that start (or stop) sending their uplinks to a destination."""
        with self._lock:
            self._find_destination(account, region, name).in_use = in_use
            self._save()

    def delete_destination(self, account: str, region: str, name: str) -> None:
        """Remove a destination and its tags, unless wireless devices still send to it."""
        with self._lock:
            destination = self._find_destination(account, region, name)
            if destination.in_use:
                raise ConflictException(
                    f"Destination {name} is used by wireless devices and cannot be deleted", name, DESTINATION
                )
            del self._destinations[(account, region, name)]
            self._tags.pop(destination.arn, None)
            self._save()

    # Tags.

    def tag_resource(self, account: str, region: str, arn: str, tags: dict[str, str]) -> None:
        """Add or overwrite tags on an association."""
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
        """Return an association's tags."""
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
            self._associations.clear()
            self._destinations.clear()
            self._tags.clear()
            self._tokens.clear()
            self._serial = 0
            self._save()

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

    def _find_arn(self, account: str, region: str, arn: str) -> Association | Destination:
        resources: list[Association | Destination] = [*self._associations.values()]
        for resource in [*resources, *self._destinations.values()]:
            if (resource.account, resource.region, resource.arn) == (account, region, arn):
                return resource
        raise ResourceNotFoundException(f"Resource {arn} not found", arn)

    def _save(self) -> None:
        """Write the state file atomically, so a crash leaves the old or the new state."""
        if self.state_file is None:
            return
        data = {
            "serial": self._serial,
            "associations": [asdict(a) for a in self._associations.values()],
            "destinations": [asdict(d) for d in self._destinations.values()],
            "tags": self._tags,
            "tokens": [
                {"account": a, "region": r, "token": t, **asdict(record)}
                for (a, r, t), record in self._tokens.items()
            ],
        }
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
        data = json.loads(path.read_text())
        self._serial = data["serial"]
        for item in data["associations"]:
            association = Association(**item)
            self._associations[(association.account, association.region, association.amazon_id)] = association
        # A state file written before destinations existed has none.
        for item in data.get("destinations", []):
            destination = Destination(**item)
            self._destinations[(destination.account, destination.region, destination.name)] = destination
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
