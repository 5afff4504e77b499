"""The whole lifecycle with a known key, failures included: no artefact may hold the key in plaintext."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.emulator import Emulator
from tests.engine import wire
from tests.engine.engine import Engine, EngineError
from tests.support import (
    KEY,
    OTHER_KEY,
    PASSPHRASE,
    ROLE_ARN,
    SMSN,
    Stack,
    assert_no_key,
    device_profile,
    emulator_env,
    partner_account,
    wireless_device,
)

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

SECRET_PROPERTY = "appServerPrivateKey"
DEVICE_SECRET_PROPERTY = "privateKeys"
CASES = [pytest.param(str.lower, id="lower-case"), pytest.param(str.upper, id="upper-case")]


def plaintext_paths(value: Any, keys: tuple[str, ...], path: str = "", secret: bool = False) -> Iterator[str]:
    """Name each place a key sits in a decrypted checkpoint, '!' marking it unprotected."""
    if isinstance(value, wire.Secret):
        yield from plaintext_paths(value.value, keys, path, secret=True)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from plaintext_paths(item, keys, f"{path}/{name}", secret)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from plaintext_paths(item, keys, f"{path}/{index}", secret)
    elif isinstance(value, str) and any(key.lower() in value.lower() for key in keys):
        yield path if secret else f"{path}!"


def provider_blobs(state: Any) -> list[bytes]:
    """Return the decoded pickled providers of a decrypted checkpoint."""
    blobs = []
    for resource in state:
        for props in (resource["inputs"], resource["outputs"]):
            if "__provider" in props:
                blobs.append(base64.b64decode(wire.strip(props["__provider"])))
    return blobs


def assert_only_secret(decrypted: Any, *keys: str, under: str = SECRET_PROPERTY) -> int:
    """Check a decrypted structure holds the keys only inside the secret input or output `under`.

    It returns how many places hold a key, so that a caller can tell the search found them.
    """
    paths = list(plaintext_paths(decrypted, keys))
    for path in paths:
        assert not path.endswith("!"), f"the key is in plaintext at {path}"
        # The secret itself, or a part of it: a device's keys are a list of objects.
        assert path.endswith(under) or f"/{under}/" in path, f"the key is kept under {path}"
    return len(paths)


@pytest.mark.parametrize("case", CASES)
def test_engine_lifecycle_leaves_the_key_in_no_artefact(
    engine: Engine,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
    tmp_path: Path,
    case: Any,
) -> None:
    """Create, refused input, conflict, failed and good updates, refresh, destroy: the key leaks nowhere."""
    key, other_key = case(KEY), case(OTHER_KEY)
    checkpoints: list[str] = []

    def save(holds_key: bool = True) -> None:
        path = tmp_path / f"state-{len(checkpoints)}.json"
        engine.save(path, PASSPHRASE)
        checkpoints.append(path.read_text())
        decrypted = [vars(s) for s in Engine.load(path, PASSPHRASE).values()]
        # Each resource holds the key as a secret input and output, unless a refresh found it set
        # outside Pulumi and dropped it from both, so that the next preview shows it set again.
        assert assert_only_secret(decrypted, key, other_key) >= (len(decrypted) if holds_key else 0)
        for blob in provider_blobs(decrypted):
            assert_no_key(blob.decode("latin-1"), key, other_key)

    reg = partner_account(appServerPrivateKey=key, tags={"team": "iot"})
    engine.up([reg])
    save()
    for broken in (key + "0", key[:-1], "g" + key[1:], key + "\n"):
        with pytest.raises(EngineError):
            engine.up([partner_account(appServerPrivateKey=broken)])
    twin = partner_account("twin", amazonId=reg.inputs["amazonId"], appServerPrivateKey=key)
    with pytest.raises(EngineError) as conflict:
        engine.up([reg, twin], skip_preview=True)
    assert "ConflictException" in conflict.value.message
    save()
    rotated = partner_account(appServerPrivateKey=other_key, tags={"team": "radio"})
    emulator.faults.fail_fraction(1.0, code="InternalServerException")
    with pytest.raises(EngineError):
        engine.up([rotated], skip_preview=True)
    emulator.faults.clear()
    save()
    engine.up([rotated], skip_preview=True)
    save()
    iotwireless.update_partner_account(
        Sidewalk={"AppServerPrivateKey": key}, PartnerAccountId=reg.inputs["amazonId"], PartnerType="Sidewalk"
    )
    engine.refresh()
    save(holds_key=False)
    engine.up([rotated], skip_preview=True)
    save()
    engine.destroy()
    save()

    assert len(engine.errors) >= 6
    for text in (*checkpoints, "\n".join(engine.errors), engine.provider.output(), json.dumps(emulator.log)):
        assert_no_key(text, key, other_key)


@pytest.mark.parametrize("case", CASES)
def test_program_lifecycle_leaves_the_key_in_no_artefact(
    tmp_path: Path, emulator: Emulator, case: Any
) -> None:
    """The program's up, failed up, refresh and destroy leave the key in no file, output or log."""
    key, other_key = case(KEY), case(OTHER_KEY)
    stack = Stack(tmp_path, emulator_env(emulator.url))
    stack.set_config("aws:region", "us-east-1")
    stack.set_config("sidewalk:amazonId", "amzn1.account.SWEEP")
    stack.set_config("sidewalk:appServerPrivateKey", key, secret=True)
    stack.set_config("sidewalk:tags", {"team": "iot"})
    artefacts: list[str] = []

    def run(command: str, succeeds: bool = True) -> None:
        result = stack.run(command)
        assert (result.returncode == 0) is succeeds, result.stderr
        assert_no_key(json.dumps(wire.strip(result.outputs)), key, other_key)
        decrypted = stack.state()
        assert_only_secret(decrypted, key, other_key)
        for blob in provider_blobs(decrypted["resources"]):
            assert_no_key(blob.decode("latin-1"), key, other_key)
        artefacts.extend(
            [
                stack.state_text(),
                (tmp_path / "result.json").read_text(),
                (tmp_path / "config.json").read_text(),
                result.stderr,
                result.provider_output,
                "\n".join(result.errors),
            ]
        )

    run("up")
    stack.set_config("sidewalk:appServerPrivateKey", other_key, secret=True)
    emulator.faults.fail_fraction(1.0, code="InternalServerException")
    run("up", succeeds=False)
    emulator.faults.clear()
    run("up")
    run("refresh")
    run("destroy")
    artefacts.append(json.dumps(emulator.log))
    for text in artefacts:
        assert_no_key(text, key, other_key)


def test_engine_device_lifecycle_leaves_its_private_keys_in_no_artefact(
    engine: Engine, emulator: Emulator, iotwireless: IoTWirelessClient, tmp_path: Path
) -> None:
    """A device's create, failed and good updates, refresh, replacement and destroy leak no private key."""
    for name in ("uplinks", "other"):
        iotwireless.create_destination(
            Name=name, Expression="rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
        )
    profile = device_profile()
    engine.up([profile])
    profile_id = engine.resources[profile.urn].id
    keys: list[str] = []
    checkpoints: list[str] = []

    def remember(smsn: str) -> None:
        live = iotwireless.get_wireless_device(Identifier=smsn, IdentifierType="SidewalkManufacturingSn")
        keys.extend(k["Value"] for k in live["Sidewalk"]["PrivateKeys"])

    def save() -> None:
        path = tmp_path / f"state-{len(checkpoints)}.json"
        engine.save(path, PASSPHRASE)
        checkpoints.append(path.read_text())
        decrypted = [vars(s) for s in Engine.load(path, PASSPHRASE).values()]
        # Every key of the device is in state, always inside its secret output alone.
        assert assert_only_secret(decrypted, *keys, under=DEVICE_SECRET_PROPERTY) == 2
        for blob in provider_blobs(decrypted):
            assert_no_key(blob.decode("latin-1"), *keys)

    engine.up([profile, wireless_device(deviceProfileId=profile_id)])
    remember(SMSN)
    save()
    described = wireless_device(deviceProfileId=profile_id, description="in the lab", destinationName="other")
    emulator.faults.fail_fraction(1.0, code="InternalServerException")
    with pytest.raises(EngineError):
        engine.up([profile, described], skip_preview=True)
    emulator.faults.clear()
    save()
    engine.up([profile, described], skip_preview=True)
    engine.refresh()
    save()
    other_smsn = "f" * 64
    engine.up([profile, wireless_device(deviceProfileId=profile_id, sidewalkManufacturingSn=other_smsn)])
    remember(other_smsn)
    save()
    engine.destroy()
    engine.save(tmp_path / "state-destroyed.json", PASSPHRASE)
    checkpoints.append((tmp_path / "state-destroyed.json").read_text())

    assert len(keys) == 4 and engine.errors
    for text in (*checkpoints, "\n".join(engine.errors), engine.provider.output()):
        assert_no_key(text, *keys)
