"""Errors the emulator answers, each with the HTTP status AWS gives it."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

__all__ = [
    "AccessDeniedException",
    "ConflictException",
    "InternalServerException",
    "InvalidSignatureException",
    "IoTWirelessError",
    "MissingAuthenticationTokenException",
    "ResourceNotFoundException",
    "ThrottlingException",
    "TooManyTagsException",
    "UnknownOperationException",
    "UnrecognizedClientException",
    "ValidationException",
]

# The ResourceType AWS names in 404/409 answers is not documented; these follow the ARNs.
SIDEWALK_ACCOUNT = "SidewalkAccount"
DESTINATION = "Destination"
DEVICE_PROFILE = "DeviceProfile"
WIRELESS_DEVICE = "WirelessDevice"
IMPORT_TASK = "ImportTask"


class IoTWirelessError(Exception):
    """An AWS error answer: a code, a message and an HTTP status."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int,
        resource_id: str | None = None,
        resource_type: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.resource_id = resource_id
        self.resource_type = resource_type
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """Return the rest-json error document."""
        body: dict[str, Any] = {"__type": self.code, "message": self.message}
        if self.resource_id is not None:
            body["ResourceId"] = self.resource_id
        if self.resource_type is not None:
            body["ResourceType"] = self.resource_type
        body.update(self.extra)
        return body

    def to_response(self, request_id: str) -> Response:
        """Serialise the error as AWS does for rest-json services."""
        return Response(
            json.dumps(self.body()),
            status=self.status,
            content_type="application/json",
            headers={"x-amzn-ErrorType": self.code, "x-amzn-RequestId": request_id},
        )


class ValidationException(IoTWirelessError):
    """Refuse input that breaks a rule of the model."""

    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message, 400)

    @classmethod
    def from_violations(cls, violations: list[tuple[str, str]]) -> ValidationException:
        """Phrase (member, rule) pairs as AWS does, never quoting a value."""
        count = len(violations)
        details = "; ".join(
            f"Value at '{member}' failed to satisfy constraint: {rule}" for member, rule in violations
        )
        return cls(f"{count} validation error{'' if count == 1 else 's'} detected: {details}")


class AccessDeniedException(IoTWirelessError):
    """Refuse a call the caller may not make."""

    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message, 403)


class ResourceNotFoundException(IoTWirelessError):
    """Name a resource that does not exist."""

    def __init__(self, message: str, resource_id: str, resource_type: str = SIDEWALK_ACCOUNT) -> None:
        super().__init__("ResourceNotFoundException", message, 404, resource_id, resource_type)


class ConflictException(IoTWirelessError):
    """Refuse a change that clashes with the current state."""

    def __init__(self, message: str, resource_id: str, resource_type: str = SIDEWALK_ACCOUNT) -> None:
        super().__init__("ConflictException", message, 409, resource_id, resource_type)


class ThrottlingException(IoTWirelessError):
    """Ask the caller to slow down."""

    def __init__(self, message: str = "Rate exceeded") -> None:
        super().__init__("ThrottlingException", message, 429)


class InternalServerException(IoTWirelessError):
    """Report a failure on the service side."""

    def __init__(self, message: str = "An internal error occurred") -> None:
        super().__init__("InternalServerException", message, 500)


class TooManyTagsException(IoTWirelessError):
    """Refuse tags beyond the per-resource limit."""

    def __init__(self, message: str, resource_name: str) -> None:
        super().__init__("TooManyTagsException", message, 400, extra={"ResourceName": resource_name})


class MissingAuthenticationTokenException(IoTWirelessError):
    """Refuse a request without a SigV4 signature."""

    def __init__(self, message: str = "Missing Authentication Token") -> None:
        super().__init__("MissingAuthenticationTokenException", message, 403)


class InvalidSignatureException(IoTWirelessError):
    """Refuse a request whose signature does not match."""

    def __init__(self) -> None:
        super().__init__(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
            403,
        )


class UnrecognizedClientException(IoTWirelessError):
    """Refuse a request signed with an unknown access key."""

    def __init__(self) -> None:
        super().__init__(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            403,
        )


class UnknownOperationException(IoTWirelessError):
    """Answer a method and path no operation is routed to."""

    def __init__(self, method: str, path: str) -> None:
        super().__init__("UnknownOperationException", f"No operation for {method} {path}", 404)
