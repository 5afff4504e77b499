"""Property values as the engine holds them: secrets marked, unknowns explicit, structs on the wire."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2

# The wire forms of shared/docs/engine-contract.md ("Wire encoding").
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass(frozen=True)
class Secret:
    """Mark a value the engine keeps secret."""

    value: Any

    def __repr__(self) -> str:
        return "Secret([redacted])"


def contains_secret(value: Any) -> bool:
    """Tell whether a secret sits anywhere inside a value."""
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def strip(value: Any) -> Any:
    """Remove secret marks at any depth, as the engine does for a provider without secrets."""
    if isinstance(value, Secret):
        return strip(value.value)
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def annotate_secrets(outputs: dict[str, Any], inputs: dict[str, Any]) -> None:
    """Re-mark outputs from inputs, in place: the engine's annotateSecrets."""
    for key, in_value in inputs.items():
        if key not in outputs:
            continue
        out_value = outputs[key]
        if isinstance(out_value, dict) and isinstance(in_value, dict):
            annotate_secrets(out_value, in_value)
        elif not isinstance(out_value, Secret) and contains_secret(in_value):
            outputs[key] = Secret(out_value)


def mark_top_level(outputs: dict[str, Any], inputs: dict[str, Any], additional: list[str]) -> None:
    """Apply additionalSecretOutputs and same-named secret inputs, in place."""
    for key in outputs:
        if isinstance(outputs[key], Secret):
            continue
        if key in additional or isinstance(inputs.get(key), Secret):
            outputs[key] = Secret(outputs[key])


def to_value(value: Any) -> Any:
    """Return a value's wire form: secrets as signature objects."""
    if isinstance(value, Secret):
        return {SIG_KEY: SECRET_SIG, "value": to_value(value.value)}
    if isinstance(value, dict):
        return {k: to_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [to_value(v) for v in value]
    return value


def from_value(value: Any) -> Any:
    """Read a wire value: signature objects become Secret."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return Secret(from_value(value.get("value")))
        return {k: from_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_value(v) for v in value]
    return value


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    """Build a protobuf Struct; keys whose value is None are dropped, as on the wire."""
    struct = struct_pb2.Struct()
    struct.update(to_value(props))
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Read a protobuf Struct into plain values with Secret marks."""
    return from_value(json_format.MessageToDict(struct))  # type: ignore[no-any-return]


# The checkpoint keeps secrets as ciphertext, as Pulumi's passphrase secrets provider does. This
# stand-in cipher (SHAKE-256 keystream) only has to keep plaintext out of the file for the tests.
def _keystream(passphrase: str, salt: bytes, length: int) -> bytes:
    return hashlib.shake_256(salt + passphrase.encode()).digest(length)


def encrypt(value: Any, passphrase: str) -> dict[str, str]:
    """Return a secret's checkpoint form."""
    plain = json.dumps(to_value(value)).encode()
    salt = hashlib.sha256(plain + passphrase.encode()).digest()[:16]
    cipher = bytes(a ^ b for a, b in zip(plain, _keystream(passphrase, salt, len(plain)), strict=True))
    return {SIG_KEY: SECRET_SIG, "ciphertext": base64.b64encode(salt + cipher).decode()}


def decrypt(ciphertext: str, passphrase: str) -> Any:
    """Read a secret back from its checkpoint form."""
    raw = base64.b64decode(ciphertext)
    salt, cipher = raw[:16], raw[16:]
    plain = bytes(a ^ b for a, b in zip(cipher, _keystream(passphrase, salt, len(cipher)), strict=True))
    return from_value(json.loads(plain))


def to_checkpoint(value: Any, passphrase: str) -> Any:
    """Serialise a value for the state file, secrets encrypted."""
    if isinstance(value, Secret):
        return encrypt(value.value, passphrase)
    if isinstance(value, dict):
        return {k: to_checkpoint(v, passphrase) for k, v in value.items()}
    if isinstance(value, list):
        return [to_checkpoint(v, passphrase) for v in value]
    return value


def from_checkpoint(value: Any, passphrase: str) -> Any:
    """Read a value of the state file, secrets decrypted and marked."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return Secret(decrypt(value["ciphertext"], passphrase))
        return {k: from_checkpoint(v, passphrase) for k, v in value.items()}
    if isinstance(value, list):
        return [from_checkpoint(v, passphrase) for v in value]
    return value
