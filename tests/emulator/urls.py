"""The route table of the emulator, built from botocore's IoT Wireless model."""

from __future__ import annotations

import functools
import re
from urllib.parse import quote, unquote

import botocore.session
from botocore.model import ServiceModel
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

__all__ = [
    "DEVICE_OPERATIONS",
    "OPERATIONS",
    "PARTNER_OPERATIONS",
    "match",
    "request_target",
    "service_model",
    "url_map",
]

# The partner-account, destination and tagging operations this emulator answers.
PARTNER_OPERATIONS = (
    "AssociateAwsAccountWithPartnerAccount",
    "GetPartnerAccount",
    "UpdatePartnerAccount",
    "DisassociateAwsAccountFromPartnerAccount",
    "ListPartnerAccounts",
    "CreateDestination",
    "GetDestination",
    "UpdateDestination",
    "DeleteDestination",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
)
# The Sidewalk device path after the association: profiles, devices and import tasks.
DEVICE_OPERATIONS = (
    "CreateDeviceProfile",
    "GetDeviceProfile",
    "DeleteDeviceProfile",
    "ListDeviceProfiles",
    "CreateWirelessDevice",
    "GetWirelessDevice",
    "UpdateWirelessDevice",
    "DeleteWirelessDevice",
    "ListWirelessDevices",
    "StartSingleWirelessDeviceImportTask",
    "StartWirelessDeviceImportTask",
    "GetWirelessDeviceImportTask",
    "ListDevicesForWirelessDeviceImportTask",
    "ListWirelessDeviceImportTasks",
    "UpdateWirelessDeviceImportTask",
    "DeleteWirelessDeviceImportTask",
)
OPERATIONS = PARTNER_OPERATIONS + DEVICE_OPERATIONS


@functools.cache
def service_model() -> ServiceModel:
    """Load botocore's IoT Wireless model once per process."""
    return botocore.session.get_session().get_service_model("iotwireless")


def _rule_path(request_uri: str) -> str:
    """Turn a model URI template into a werkzeug rule path."""
    path = request_uri.split("?", 1)[0]
    path = re.sub(r"\{(\w+)\+\}", r"<path:\1>", path)
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


@functools.cache
def url_map() -> Map:
    """Route each operation's HTTP method and URI template to its name."""
    rules = []
    for name in OPERATIONS:
        http = service_model().operation_model(name).http
        rules.append(Rule(_rule_path(http["requestUri"]), methods=[http["method"]], endpoint=name))
    # Trailing and doubled slashes are distinct resources in AWS, so no redirects.
    return Map(rules, strict_slashes=False, merge_slashes=False)


def request_target(request: Request) -> str:
    """Return the path and query string exactly as the client sent them."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw and raw.startswith("/"):
        return str(raw)
    query = request.query_string.decode()
    return quote(request.path) + (f"?{query}" if query else "")


def match(request: Request) -> tuple[str | None, dict[str, str]]:
    """Name the operation a request is for and decode its path parameters."""
    # Matching the still-encoded path keeps an encoded "/" inside one parameter.
    path = request_target(request).split("?", 1)[0]
    try:
        endpoint, params = url_map().bind("emulator").match(path, method=request.method)
    except HTTPException:
        return None, {}
    return str(endpoint), {name: unquote(value) for name, value in params.items()}
