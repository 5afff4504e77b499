"""SigV4 checks of incoming requests, done with botocore's own signer."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.wrappers import Request

from .exceptions import (
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)
from .urls import request_target, service_model

__all__ = ["Identity", "authenticate"]

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<access_key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, *SignedHeaders=(?P<signed_headers>[a-z0-9;-]+), *"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)


@dataclass(frozen=True)
class Identity:
    """Who signed a request and for which region."""

    access_key: str
    region: str


def authenticate(request: Request, credentials: Mapping[str, str] | None) -> Identity:
    """Read the SigV4 Authorization header and, given credentials, check it."""
    match = _AUTHORIZATION.fullmatch(request.headers.get("Authorization", "").strip())
    if match is None or match["service"] != service_model().signing_name:
        raise MissingAuthenticationTokenException()
    identity = Identity(match["access_key"], match["region"])
    if credentials is None:
        return identity
    secret_key = credentials.get(identity.access_key)
    # AWS answers an access key it does not know with UnrecognizedClientException.
    if secret_key is None:
        raise UnrecognizedClientException()
    expected = _signature(request, identity, secret_key, match["signed_headers"].split(";"))
    if not hmac.compare_digest(expected, match["signature"]):
        raise InvalidSignatureException()
    return identity


def _signature(request: Request, identity: Identity, secret_key: str, signed_headers: list[str]) -> str:
    """Recompute the signature the client should have sent."""
    timestamp = request.headers.get("X-Amz-Date")
    if timestamp is None:
        raise InvalidSignatureException()
    # The signature covers the request target exactly as sent, before any decoding.
    target = request_target(request)
    signed = AWSRequest(
        method=request.method,
        url=f"http://{request.headers.get('Host', 'localhost')}{target}",
        headers={name: request.headers.get(name, "") for name in signed_headers},
        data=request.get_data(),
    )
    signed.context["timestamp"] = timestamp
    signer = SigV4Auth(
        Credentials(identity.access_key, secret_key),
        service_model().signing_name,
        identity.region,
    )
    canonical_request = signer.canonical_request(signed)
    signature: str = signer.signature(signer.string_to_sign(signed, canonical_request), signed)
    return signature
