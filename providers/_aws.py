"""The boto3 side of the provider: one client per region per process, and error translation."""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

# boto3 and botocore are imported where first needed, not here: a preview makes no API call, and
# importing them would add about 0.1 s to the first Check of every provider process (make bench).
if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.loaders import Loader
    from mypy_boto3_iotwireless import IoTWirelessClient
else:
    IoTWirelessClient = Any

__all__ = [
    "ACCESS_DENIED",
    "CONFLICT",
    "CONNECT_TIMEOUT_SECONDS",
    "DEFAULT_REGION",
    "MAX_ATTEMPTS",
    "NOT_FOUND",
    "PARTNER_TYPE",
    "READ_TIMEOUT_SECONDS",
    "SIDEWALK_ACCOUNT",
    "SIDEWALK_REGIONS",
    "PartnerAccountError",
    "ResourceKind",
    "client",
    "error_code",
    "gone_is_done",
    "is_region_name",
    "shape_rules",
    "translated",
    "use_profile",
]

PARTNER_TYPE: Final[Literal["Sidewalk"]] = "Sidewalk"
DEFAULT_REGION = "us-east-1"
# Sidewalk is served from us-east-1 only; other regions answer AccessDeniedException.
SIDEWALK_REGIONS = frozenset({DEFAULT_REGION})
# Attempts in all, first included, in botocore's standard retry mode (backoff with jitter).
MAX_ATTEMPTS = 5
# A dead endpoint must fail within 30 s in all: boto3's defaults (60 s to connect, 60 s to read)
# would hold `pulumi up` for minutes. At worst every attempt spends both timeouts, and standard mode
# waits at most 0.05 * 2**i s after a timed-out attempt i + 1 (the 1 s scale is for throttling
# only), 0.75 s in all: 5 * (1 + 4) + 0.75 = 25.75 s, leaving the CLI its few seconds of start-up.
# IoT Wireless answers in well under a second, so 4 s still lets a slow answer through; 1 s bounds
# each step of a connection (TCP, then TLS), a round trip or two even from far away.
CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 4.0

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

_clients: dict[tuple[str | None, str], tuple[boto3.session.Session, IoTWirelessClient]] = {}
_clients_lock = threading.Lock()
# The stack's `aws:profile`, as pulumi-aws reads it; None leaves boto3 to AWS_PROFILE and the rest
# of its credential chain. A provider process serves one stack, so one profile holds for all of it.
_profile: str | None = None
_region_patterns: list[re.Pattern[str]] = []
# The partitions' patterns use \w and \d, which match any Unicode letter or digit and "_"; boto3
# only takes a region that is also an ASCII host label.
_REGION_LABEL = re.compile(r"[a-z0-9-]{1,63}")


@dataclass(frozen=True)
class ResourceKind:
    """What the error sentences say about one kind of resource."""

    noun: str
    """What names one resource of the kind before its id, e.g. "Sidewalk account"."""
    conflict: str
    """What a ConflictException means for the kind, and what to do about it."""
    gone: str
    """What a ResourceNotFoundException says no longer exists, e.g. "association"."""
    sidewalk_only: bool = False
    """Whether the kind is served only where Sidewalk is, so that a refused region is the likely cause."""


SIDEWALK_ACCOUNT = ResourceKind(
    noun="Sidewalk account",
    conflict=(
        "the Sidewalk account is already associated with this AWS account (or the "
        "clientRequestToken was used before with other parameters): set adoptExisting to true "
        "to bring the association under management, or disassociate it first"
    ),
    gone="association",
    sidewalk_only=True,
)


class PartnerAccountError(Exception):
    """A failure told in one sentence a person can act on."""

    def __init__(self, sentence: str, code: str = "") -> None:
        super().__init__(sentence)
        self.code = code


def use_profile(profile: str | None) -> None:
    """Make the clients of this process use the named AWS profile (None: boto3's default chain)."""
    global _profile
    _profile = profile or None


def client(region: str) -> IoTWirelessClient:
    """Return this process's IoT Wireless client for a region and the profile in use, creating it once."""
    return _session_and_client(region)[1]


def _session_and_client(region: str) -> tuple[boto3.session.Session, IoTWirelessClient]:
    with _clients_lock:
        entry = _clients.get((_profile, region))
        if entry is None:
            import boto3
            import botocore.session

            # boto3 sessions are not thread-safe; one per client keeps worker threads apart. They
            # share the process's data loader, so that the model Check read is not read again.
            core = botocore.session.Session()
            core.register_component("data_loader", _loader())
            session = boto3.session.Session(botocore_session=core, region_name=region, profile_name=_profile)
            entry = (session, session.client("iotwireless", config=_client_config()))
            _clients[_profile, region] = entry
        return entry


def _client_config() -> Config:
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        user_agent_extra="pulumi-iotwireless-sidewalk",
    )


def is_region_name(value: str) -> bool:
    """Tell whether a string has the form of a region of any AWS partition."""
    if not _region_patterns:
        partitions = _loader().load_data("partitions")["partitions"]
        # One extend of a finished list: another worker thread never sees it half filled.
        _region_patterns.extend([re.compile(p["regionRegex"]) for p in partitions])
    return bool(_REGION_LABEL.fullmatch(value)) and any(p.fullmatch(value) for p in _region_patterns)


def shape_rules(shape: str) -> Mapping[str, Any]:
    """Return the constraints (min, max, pattern, enum) botocore's model puts on a shape."""
    rules: Mapping[str, Any] = _model_shapes()[shape]
    return rules


@functools.cache
def _model_shapes() -> Mapping[str, Any]:
    # Cached once for all shapes: each load lists every service botocore knows and decompresses
    # the whole model, tens of milliseconds in a preview's first Check (make bench).
    shapes: Mapping[str, Any] = _loader().load_service_model("iotwireless", "service-2")["shapes"]
    return shapes


@functools.cache
def _loader() -> Loader:
    # One botocore data loader for the process, clients included: it caches what it has read.
    from botocore.loaders import create_loader

    return create_loader()


def error_code(err: ClientError) -> str:
    """Return the AWS error code of a ClientError."""
    return str(err.response.get("Error", {}).get("Code", ""))


@contextmanager
def gone_is_done() -> Iterator[None]:
    """Let a delete end quietly where AWS answers that the resource no longer exists."""
    try:
        yield
    except PartnerAccountError as err:
        if err.code != NOT_FOUND:
            raise


@contextmanager
def translated(
    operation: str, resource_id: str, region: str, kind: ResourceKind = SIDEWALK_ACCOUNT
) -> Iterator[None]:
    """Turn any boto3 failure inside the block into a PartnerAccountError."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as err:
        # `from None`: the engine prints the whole traceback, and the chained boto3 error adds
        # nothing a person needs.
        sentence = _client_error_sentence(operation, resource_id, region, kind, err)
        raise PartnerAccountError(sentence, error_code(err)) from None
    except BotoCoreError as err:
        sentence = _botocore_error_sentence(operation, resource_id, region, kind, err)
        raise PartnerAccountError(sentence) from None


def _client_error_sentence(
    operation: str, resource_id: str, region: str, kind: ResourceKind, err: ClientError
) -> str:
    code = error_code(err)
    message = _HEX_RUN.sub("***", str(err.response.get("Error", {}).get("Message", "")))
    what = f"{operation} failed{_subject(resource_id, kind)} in {region} ({code}: {message})"
    if code == ACCESS_DENIED:
        advice = f"grant iotwireless:{operation} to the credentials in use"
        if kind.sidewalk_only and region not in SIDEWALK_REGIONS:
            advice = (
                f"Sidewalk is served from {DEFAULT_REGION}, so region {region} is the likely cause: "
                f"set region to {DEFAULT_REGION}; otherwise {advice}"
            )
    elif code in _BAD_CREDENTIALS:
        advice = f"AWS refused the credentials {_credentials_description(region)}: fix or refresh them"
    elif code == CONFLICT:
        advice = kind.conflict
    elif code == NOT_FOUND:
        advice = f"the {kind.gone} no longer exists: run `pulumi refresh` to bring the state up to date"
    elif code in _THROTTLED:
        advice = f"AWS kept failing after {MAX_ATTEMPTS} attempts: run the command again later"
    else:
        advice = "check the inputs against the message and run the command again"
    return f"{what}: {advice}."


def _botocore_error_sentence(
    operation: str, resource_id: str, region: str, kind: ResourceKind, err: BotoCoreError
) -> str:
    from botocore.exceptions import (
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    what = f"{operation} failed{_subject(resource_id, kind)} in {region}"
    if isinstance(err, ConnectTimeoutError | ReadTimeoutError):
        # The origin only: the path and query name the resource, already said, and nothing else.
        url = urlsplit(str(err.kwargs.get("endpoint_url", "")))
        endpoint = f" {url.scheme}://{url.netloc}" if url.netloc else ""
        return (
            f"{what}: the endpoint{endpoint} did not answer in time ({MAX_ATTEMPTS} attempts, each "
            f"allowed {CONNECT_TIMEOUT_SECONDS:g} s to connect and {READ_TIMEOUT_SECONDS:g} s to answer); "
            "check the network and any AWS_ENDPOINT_URL setting, then run the command again."
        )
    if isinstance(err, NoCredentialsError):
        return (
            f"{what}: no AWS credentials were found; set AWS_PROFILE, run `aws sso login`, "
            "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        )
    if isinstance(err, EndpointConnectionError):
        return (
            f"{what}: the endpoint could not be reached ({err}); "
            "check the network and any AWS_ENDPOINT_URL setting."
        )
    return f"{what}: {type(err).__name__}: {_HEX_RUN.sub('***', str(err))}."


def _subject(resource_id: str, kind: ResourceKind) -> str:
    # An account-wide call such as ListPartnerAccounts concerns no one resource.
    return f" for {kind.noun} {resource_id!r}" if resource_id else ""


def _credentials_description(region: str) -> str:
    session, _ = _session_and_client(region)
    credentials = session.get_credentials()
    profile = _profile or os.environ.get("AWS_PROFILE") or session.profile_name
    access_key = credentials.access_key if credentials is not None else "none"
    method = credentials.method if credentials is not None else "none"
    return f"(access key {access_key} from {method}, profile {profile}) in {region}"
