"""Request parsing, validation and answer shaping, all driven by botocore's model."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel, Shape, StructureShape
from werkzeug.datastructures import MultiDict

from .exceptions import ValidationException
from .models import Destination, IoTWirelessBackend
from .urls import OPERATIONS, service_model

__all__ = ["REDACTED", "Caller", "dispatch", "parse_input", "redact", "sensitive_names", "validate"]

REDACTED = "***"


@dataclass(frozen=True)
class Caller:
    """The authenticated account and region a request acts in."""

    access_key: str
    account: str
    region: str


Violations = list[tuple[str, str]]
Handler = Callable[[IoTWirelessBackend, Caller, dict[str, Any]], dict[str, Any]]


def dispatch(
    backend: IoTWirelessBackend,
    caller: Caller,
    operation_name: str,
    path_params: Mapping[str, str],
    query: MultiDict[str, str],
    body: bytes,
) -> tuple[int, bytes]:
    """Run one operation and return its HTTP status and JSON body."""
    backend.check_region(caller.region)
    operation = service_model().operation_model(operation_name)
    params = parse_input(operation, path_params, query, body)
    validate(operation.input_shape, params)
    result = HANDLERS[operation_name](backend, caller, params)
    status = int(operation.http.get("responseCode", 200))
    if status == 204:
        return status, b""
    return status, json.dumps(_to_wire(operation.output_shape, result)).encode()


def parse_input(
    operation: OperationModel,
    path_params: Mapping[str, str],
    query: MultiDict[str, str],
    body: bytes,
) -> dict[str, Any]:
    """Gather an operation's input members from path, query string and body."""
    document: Any = {}
    if body.strip():
        try:
            document = json.loads(body)
        except ValueError:
            raise ValidationException("The request body is not valid JSON") from None
        if not isinstance(document, dict):
            raise ValidationException("The request body must be a JSON object")
    params: dict[str, Any] = {}
    shape = operation.input_shape
    if not isinstance(shape, StructureShape):
        return params
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri" and wire in path_params:
            params[name] = path_params[wire]
        elif location == "querystring" and wire in query:
            params[name] = _from_query(member, query.getlist(wire), name)
        elif location is None and wire in document:
            params[name] = _from_wire(member, document[wire])
    return params


def validate(shape: Shape | None, params: dict[str, Any]) -> None:
    """Raise ValidationException listing every rule of the model the input breaks."""
    violations: Violations = []
    if shape is not None:
        _check(shape, params, "", violations)
    if violations:
        raise ValidationException.from_violations(violations)


@functools.cache
def sensitive_names() -> frozenset[str]:
    """Return the wire names of input members the model marks sensitive."""
    names: set[str] = set()
    seen: set[str] = set()

    def walk(shape: Shape) -> None:
        if shape.name in seen:
            return
        seen.add(shape.name)
        if isinstance(shape, StructureShape):
            for name, member in shape.members.items():
                if member.metadata.get("sensitive"):
                    names.add(member.serialization.get("name", name))
                walk(member)
        elif shape.type_name == "list":
            walk(shape.member)
        elif shape.type_name == "map":
            walk(shape.value)

    for operation in OPERATIONS:
        input_shape = service_model().operation_model(operation).input_shape
        if input_shape is not None:
            walk(input_shape)
    return frozenset(names)


def redact(value: Any) -> Any:
    """Replace the value of every sensitive member, at any depth, with '***'."""
    if isinstance(value, dict):
        return {k: REDACTED if k in sensitive_names() else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _from_query(shape: Shape, values: list[str], name: str) -> Any:
    if shape.type_name == "list":
        return values
    if shape.type_name in ("integer", "long"):
        try:
            return int(values[0])
        except ValueError:
            raise ValidationException.from_violations([(name, "Member must be an integer")]) from None
    if shape.type_name == "boolean":
        return values[0] == "true"
    return values[0]


def _from_wire(shape: Shape, value: Any) -> Any:
    """Rename JSON members to model member names; types are checked later."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return {
            name: _from_wire(member, value[wire])
            for name, member in shape.members.items()
            if (wire := member.serialization.get("name", name)) in value
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [_from_wire(shape.member, item) for item in value]
    return value


def _to_wire(shape: Shape | None, value: Any) -> Any:
    """Render a result under the output shape; a member it lacks is a bug here."""
    if isinstance(shape, StructureShape):
        return {
            shape.members[name].serialization.get("name", name): _to_wire(shape.members[name], v)
            for name, v in value.items()
        }
    if shape is not None and shape.type_name == "list":
        return [_to_wire(shape.member, item) for item in value]
    return value


def _check(shape: Shape, value: Any, path: str, violations: Violations) -> None:
    """Add to violations each rule of shape that value breaks."""
    kind, meta = shape.type_name, shape.metadata
    if not _has_type(kind, value):
        violations.append((path, f"Member must be of type {kind}"))
        return
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        for name in shape.required_members:
            if value.get(name) is None:
                violations.append((_join(path, name), "Member must not be null"))
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _check(member, value[name], _join(path, name), violations)
    elif kind == "list":
        _check_range(len(value), meta, "length", path, violations)
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]", violations)
    elif kind == "map":
        _check_range(len(value), meta, "length", path, violations)
        for key, item in value.items():
            _check(shape.key, key, f"{path}.key", violations)
            _check(shape.value, item, f"{path}.value", violations)
    elif kind == "string":
        _check_string(shape, value, path, violations)
    elif kind in ("integer", "long"):
        _check_range(value, meta, "value", path, violations)


def _check_string(shape: Shape, value: str, path: str, violations: Violations) -> None:
    meta = shape.metadata
    _check_range(len(value), meta, "length", path, violations)
    # The model's patterns are unanchored; AWS applies them to the whole value.
    if "pattern" in meta and re.fullmatch(meta["pattern"], value) is None:
        violations.append((path, f"Member must satisfy regular expression pattern: {meta['pattern']}"))
    if "enum" in meta and value not in meta["enum"]:
        violations.append((path, f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]"))
    # The prefix is reserved by AWS for its own tags; the model cannot express that.
    if shape.name == "TagKey" and value.lower().startswith("aws:"):
        violations.append((path, "Member must not begin with the reserved prefix aws:"))


def _check_range(size: int, meta: Mapping[str, Any], what: str, path: str, violations: Violations) -> None:
    if "min" in meta and size < meta["min"]:
        violations.append((path, f"Member must have {what} greater than or equal to {meta['min']}"))
    if "max" in meta and size > meta["max"]:
        violations.append((path, f"Member must have {what} less than or equal to {meta['max']}"))


def _has_type(kind: str, value: Any) -> bool:
    expected = _TYPES.get(kind)
    if expected is None:
        return True
    # JSON's true and false are bool, which Python also counts as int.
    if isinstance(value, bool):
        return kind == "boolean"
    return isinstance(value, expected)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "float": (int, float),
    "double": (int, float),
}


def _tags(params: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in params.get("Tags", [])}


def _associate(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    sidewalk = params["Sidewalk"]
    return backend.associate(
        caller.account,
        caller.region,
        sidewalk.get("AmazonId"),
        sidewalk.get("AppServerPrivateKey"),
        params.get("ClientRequestToken"),
        _tags(params),
    )


def _get(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    return backend.get_partner_account(caller.account, caller.region, params["PartnerAccountId"])


def _update(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    backend.update_partner_account(
        caller.account,
        caller.region,
        params["PartnerAccountId"],
        params["Sidewalk"].get("AppServerPrivateKey"),
    )
    return {}


def _disassociate(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    backend.disassociate(caller.account, caller.region, params["PartnerAccountId"])
    return {}


def _list(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    return backend.list_partner_accounts(
        caller.account, caller.region, params.get("MaxResults"), params.get("NextToken")
    )


def _create_destination(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    destination = Destination(
        caller.account,
        caller.region,
        params["Name"],
        params["Expression"],
        params["ExpressionType"],
        params["RoleArn"],
        params.get("Description"),
    )
    return backend.create_destination(destination, _tags(params))


def _get_destination(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    return backend.get_destination(caller.account, caller.region, params["Name"])


def _update_destination(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    fields = {
        "Expression": "expression",
        "ExpressionType": "expression_type",
        "RoleArn": "role_arn",
        "Description": "description",
    }
    changes = {field: params[member] for member, field in fields.items() if member in params}
    backend.update_destination(caller.account, caller.region, params["Name"], changes)
    return {}


def _delete_destination(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    backend.delete_destination(caller.account, caller.region, params["Name"])
    return {}


def _tag(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    backend.tag_resource(caller.account, caller.region, params["ResourceArn"], _tags(params))
    return {}


def _untag(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    backend.untag_resource(caller.account, caller.region, params["ResourceArn"], params["TagKeys"])
    return {}


def _list_tags(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    tags = backend.list_tags_for_resource(caller.account, caller.region, params["ResourceArn"])
    return {"Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}


def _create_device_profile(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    # Only Sidewalk profiles are emulated; the model lets a request name neither kind.
    if params.get("Sidewalk") is None:
        raise ValidationException("This emulator serves Sidewalk device profiles only: give Sidewalk: {}")
    return backend.create_device_profile(
        caller.account, caller.region, params.get("Name"), params.get("ClientRequestToken"), _tags(params)
    )


def _get_device_profile(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    return backend.get_device_profile(caller.account, caller.region, params["Id"])


def _delete_device_profile(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    backend.delete_device_profile(caller.account, caller.region, params["Id"])
    return {}


def _list_device_profiles(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    return backend.list_device_profiles(
        caller.account,
        caller.region,
        params.get("DeviceProfileType"),
        params.get("MaxResults"),
        params.get("NextToken"),
    )


def _create_wireless_device(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    return backend.create_wireless_device(caller.account, caller.region, params, _tags(params))


def _get_wireless_device(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    return backend.get_wireless_device(
        caller.account, caller.region, params["Identifier"], params["IdentifierType"]
    )


def _update_wireless_device(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    backend.update_wireless_device(caller.account, caller.region, params["Id"], params)
    return {}


def _delete_wireless_device(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    backend.delete_wireless_device(caller.account, caller.region, params["Id"])
    return {}


def _list_wireless_devices(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    filters = {k: v for k, v in params.items() if k not in ("MaxResults", "NextToken")}
    return backend.list_wireless_devices(
        caller.account, caller.region, filters, params.get("MaxResults"), params.get("NextToken")
    )


def _start_single_import(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    return backend.start_import_task(caller.account, caller.region, params, _tags(params), single=True)


def _start_import(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    return backend.start_import_task(caller.account, caller.region, params, _tags(params), single=False)


def _get_import(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    return backend.get_import_task(caller.account, caller.region, params["Id"])


def _list_import_devices(
    backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]
) -> dict[str, Any]:
    return backend.list_import_task_devices(
        caller.account,
        caller.region,
        params["Id"],
        params.get("Status"),
        params.get("MaxResults"),
        params.get("NextToken"),
    )


def _list_imports(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    return backend.list_import_tasks(
        caller.account, caller.region, params.get("MaxResults"), params.get("NextToken")
    )


def _update_import(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    device_file = params["Sidewalk"].get("DeviceCreationFile")
    backend.update_import_task(caller.account, caller.region, params["Id"], device_file)
    return {}


def _delete_import(backend: IoTWirelessBackend, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    backend.delete_import_task(caller.account, caller.region, params["Id"])
    return {}


HANDLERS: dict[str, Handler] = {
    "AssociateAwsAccountWithPartnerAccount": _associate,
    "GetPartnerAccount": _get,
    "UpdatePartnerAccount": _update,
    "DisassociateAwsAccountFromPartnerAccount": _disassociate,
    "ListPartnerAccounts": _list,
    "CreateDestination": _create_destination,
    "GetDestination": _get_destination,
    "UpdateDestination": _update_destination,
    "DeleteDestination": _delete_destination,
    "TagResource": _tag,
    "UntagResource": _untag,
    "ListTagsForResource": _list_tags,
    "CreateDeviceProfile": _create_device_profile,
    "GetDeviceProfile": _get_device_profile,
    "DeleteDeviceProfile": _delete_device_profile,
    "ListDeviceProfiles": _list_device_profiles,
    "CreateWirelessDevice": _create_wireless_device,
    "GetWirelessDevice": _get_wireless_device,
    "UpdateWirelessDevice": _update_wireless_device,
    "DeleteWirelessDevice": _delete_wireless_device,
    "ListWirelessDevices": _list_wireless_devices,
    "StartSingleWirelessDeviceImportTask": _start_single_import,
    "StartWirelessDeviceImportTask": _start_import,
    "GetWirelessDeviceImportTask": _get_import,
    "ListDevicesForWirelessDeviceImportTask": _list_import_devices,
    "ListWirelessDeviceImportTasks": _list_imports,
    "UpdateWirelessDeviceImportTask": _update_import,
    "DeleteWirelessDeviceImportTask": _delete_import,
}
