"""The boto3 side of the provider: one client per region per process, and error translation."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)
from botocore.loaders import create_loader

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient
else:
    IoTWirelessClient = Any

__all__ = [
    "ACCESS_DENIED",
    "CONFLICT",
    "DEFAULT_REGION",
    "MAX_ATTEMPTS",
    "NOT_FOUND",
    "PARTNER_TYPE",
    "SIDEWALK_REGIONS",
    "PartnerAccountError",
    "client",
    "error_code",
    "is_region_name",
    "translated",
]

PARTNER_TYPE: Final[Literal["Sidewalk"]] = "Sidewalk"
DEFAULT_REGION = "us-east-1"
# Sidewalk is served from us-east-1 only; other regions answer AccessDeniedException.
SIDEWALK_REGIONS = frozenset({DEFAULT_REGION})
# Attempts in all, first included, in botocore's standard retry mode (backoff with jitter).
MAX_ATTEMPTS = 5

ACCESS_DENIED = "AccessDeniedException"
CONFLICT = "ConflictException"
NOT_FOUND = "ResourceNotFoundException"
_THROTTLED = frozenset({"ThrottlingException", "InternalServerException"})
_BAD_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "MissingAuthenticationTokenException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
    }
)
_HEX_RUN = re.compile(r"[0-9a-fA-F]{64,}")

_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    connect_timeout=10,
    read_timeout=30,
    user_agent_extra="pulumi-iotwireless-sidewalk",
)
_clients: dict[str, tuple[boto3.session.Session, IoTWirelessClient]] = {}
_clients_lock = threading.Lock()
_region_patterns: list[re.Pattern[str]] = []


class PartnerAccountError(Exception):
    """PartnerAccountError is a failure told in one sentence a person can act on."""

    def __init__(self, sentence: str, code: str = "") -> None:
        super().__init__(sentence)
        self.code = code


def client(region: str) -> IoTWirelessClient:
    """Client returns this process's IoT Wireless client for a region, creating it once."""
    return _session_and_client(region)[1]


def _session_and_client(region: str) -> tuple[boto3.session.Session, IoTWirelessClient]:
    with _clients_lock:
        entry = _clients.get(region)
        if entry is None:
            # boto3 sessions are not thread-safe; one per client keeps worker threads apart.
            session = boto3.session.Session(region_name=region)
            entry = (session, session.client("iotwireless", config=_CONFIG))
            _clients[region] = entry
        return entry


def is_region_name(value: str) -> bool:
    """Is_region_name tells whether a string has the form of a region of any AWS partition."""
    if not _region_patterns:
        partitions = create_loader().load_data("partitions")["partitions"]
        _region_patterns.extend(re.compile(p["regionRegex"]) for p in partitions)
    return any(p.fullmatch(value) for p in _region_patterns)


def error_code(err: ClientError) -> str:
    """Error_code returns the AWS error code of a ClientError."""
    return str(err.response.get("Error", {}).get("Code", ""))


@contextmanager
def translated(operation: str, amazon_id: str, region: str) -> Iterator[None]:
    """Translated turns any boto3 failure inside the block into a PartnerAccountError."""
    try:
        yield
    except ClientError as err:
        # `from None`: the engine prints the whole traceback, and the chained boto3 error adds
        # nothing a person needs.
        sentence = _client_error_sentence(operation, amazon_id, region, err)
        raise PartnerAccountError(sentence, error_code(err)) from None
    except BotoCoreError as err:
        sentence = _botocore_error_sentence(operation, amazon_id, region, err)
        raise PartnerAccountError(sentence) from None


def _client_error_sentence(operation: str, amazon_id: str, region: str, err: ClientError) -> str:
    code = error_code(err)
    message = _HEX_RUN.sub("***", str(err.response.get("Error", {}).get("Message", "")))
    what = f"{operation} failed for Sidewalk account {amazon_id!r} in {region} ({code}: {message})"
    if code == ACCESS_DENIED:
        advice = f"grant iotwireless:{operation} to the credentials in use"
        if region not in SIDEWALK_REGIONS:
            advice = (
                f"Sidewalk is served from {DEFAULT_REGION}, so region {region} is the likely cause: "
                f"set region to {DEFAULT_REGION}; otherwise {advice}"
            )
    elif code in _BAD_CREDENTIALS:
        advice = f"AWS refused the credentials {_credentials_description(region)}: fix or refresh them"
    elif code == CONFLICT:
        advice = (
            "the Sidewalk account is already associated with this AWS account (or the "
            "clientRequestToken was used before with other parameters): set adoptExisting to true "
            "to bring the association under management, or disassociate it first"
        )
    elif code == NOT_FOUND:
        advice = "the association no longer exists: run `pulumi refresh` to bring the state up to date"
    elif code in _THROTTLED:
        advice = f"AWS kept failing after {MAX_ATTEMPTS} attempts: run the command again later"
    else:
        advice = "check the inputs against the message and run the command again"
    return f"{what}: {advice}."


def _botocore_error_sentence(operation: str, amazon_id: str, region: str, err: BotoCoreError) -> str:
    what = f"{operation} failed for Sidewalk account {amazon_id!r} in {region}"
    if isinstance(err, NoCredentialsError):
        return (
            f"{what}: no AWS credentials were found; set AWS_PROFILE, run `aws sso login`, "
            "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        )
    if isinstance(err, NoRegionError):
        return f"{what}: no region is set; set the region input or `aws:region`."
    if isinstance(err, EndpointConnectionError):
        return (
            f"{what}: the endpoint could not be reached ({err}); "
            "check the network and any AWS_ENDPOINT_URL setting."
        )
    return f"{what}: {type(err).__name__}: {_HEX_RUN.sub('***', str(err))}."


def _credentials_description(region: str) -> str:
    session, _ = _session_and_client(region)
    credentials = session.get_credentials()
    profile = os.environ.get("AWS_PROFILE") or session.profile_name
    access_key = credentials.access_key if credentials is not None else "none"
    method = credentials.method if credentials is not None else "none"
    return f"(access key {access_key} from {method}, profile {profile}) in {region}"
