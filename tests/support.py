"""Helpers shared by the tests: resources as the component registers them, stacks, programs, commands."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import runpy
import subprocess
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import settings

from providers._ownership import owner
from providers._tags import OWNER_KEY
from providers.destination import DestinationProvider
from providers.partner_account import PartnerAccountProvider
from tests.engine import wire
from tests.engine.engine import STACK, Engine, EngineError, Registration
from tests.engine.provider import PROJECT_NAME, PROJECT_ROOT, merged_env

if TYPE_CHECKING:
    from tests.emulator import Emulator

PARTNER_ACCOUNT_TYPE = "pulumi-python:dynamic/iotwireless:PartnerAccount"
KEY = "3f" * 16 + "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"
OTHER_KEY = "9c" * 32
PASSPHRASE = "throwaway-test-passphrase"
# The AmazonId of the `stack` fixture's program.
STACK_AMAZON_ID = "amzn1.account.PROGRAM"


def linux_gaps(platform: str, has_proc: bool, os_names: Sequence[str]) -> str | None:
    """Return one line naming what the tests need of Linux that this machine lacks, or None."""
    # The tests read /proc for processes and their groups, start sessions (setsid) and drive a
    # pseudo-terminal (openpty, with termios): Linux has them all, macOS and Windows do not.
    missing = [] if has_proc else ["/proc"]
    missing += [f"os.{name}" for name in ("setsid", "openpty") if name not in os_names]
    if platform.startswith("linux") and not missing:
        return None
    return (
        f"the tests need Linux (/proc, os.setsid, a pseudo-terminal); this is {platform}, "
        f"missing {', '.join(missing) or 'Linux itself'}: run them on Linux, e.g. in a Linux container or VM"
    )


def machine_gaps() -> str | None:
    """Return one line naming what the tests need of Linux that this machine lacks, or None."""
    return linux_gaps(sys.platform, Path("/proc/self/status").is_file(), dir(os))


class Turns:
    """A lock that tests of parallel workers hold together and a serial test holds alone.

    Two flock(2) locks: `gate` is held exclusively by a serial test from its request on, so that no
    other test starts meanwhile; `machine` is shared by running tests and exclusive for a serial one.
    Held over the whole test protocol (setup, call, teardown); released by the kernel if a worker dies.
    """

    def __init__(self, folder: Path) -> None:
        self.gate = folder / "gate.lock"
        self.machine = folder / "machine.lock"

    @contextlib.contextmanager
    def hold(self, alone: bool) -> Iterator[None]:
        """Take the machine, shared with other tests or, when alone is true, to this test alone."""
        # Imported here: Windows has no fcntl, and there the machine check must speak first.
        import fcntl

        with self.gate.open("a") as gate, self.machine.open("a") as machine:
            fcntl.flock(gate, fcntl.LOCK_EX)
            if alone:
                fcntl.flock(machine, fcntl.LOCK_EX)
            else:
                fcntl.flock(machine, fcntl.LOCK_SH)
                fcntl.flock(gate, fcntl.LOCK_UN)
            yield


def emulator_env(url: str) -> dict[str, str | None]:
    """Return the variables that point boto3 at the emulator, with test credentials and no AWS config."""
    # None unsets a variable: a developer's own profile or region must not leak into a test.
    return {
        "AWS_ENDPOINT_URL_IOT_WIRELESS": url,
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PROFILE": None,
        "AWS_REGION": None,
        "AWS_DEFAULT_REGION": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_ENDPOINT_URL": None,
    }


def run_in_project(
    command: Sequence[str], env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command in the project directory as a person would, in env, its output captured as text."""
    return subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_module(
    module: str, *args: str, env: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run `python -m MODULE ARGS` in the project directory, with this interpreter, in env."""
    return run_in_project([sys.executable, "-m", module, *args], env, timeout)


def run_with_emulator(
    emulator: Emulator, command: Sequence[str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command in the project directory as a person would, boto3 on the emulator."""
    return run_in_project(command, merged_env(emulator_env(emulator.url)), timeout)


def discover(emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m providers.discover` against the emulator."""
    return run_with_emulator(emulator, [sys.executable, "-m", "providers.discover", *args])


def program_outputs(project: Path) -> dict[str, pulumi.Output[Any]]:
    """Run a project's __main__.py under the mocks set up and return its stack outputs."""
    runpy.run_path(str(project / "__main__.py"), run_name="__main__")
    root = settings.get_root_resource()
    assert root is not None
    return dict(root.outputs)  # type: ignore[attr-defined]


def partner_account_owner(name: str) -> str:
    """Return the owner input the component gives a PartnerAccount of the harness's stack."""
    return owner(PROJECT_NAME, STACK, name)


def partner_account(name: str = "sidewalk", provider_blob: str | None = None, **inputs: Any) -> Registration:
    """Register a PartnerAccount exactly as components.partner_account does."""
    props: dict[str, Any] = {
        "amazonId": f"amzn1.account.{name}",
        "appServerPrivateKey": KEY,
        "owner": partner_account_owner(name),
        **inputs,
    }
    if "appServerPrivateKey" in props and not isinstance(props["appServerPrivateKey"], wire.Secret):
        props["appServerPrivateKey"] = wire.Secret(props["appServerPrivateKey"])
    props["__provider"] = wire.Secret(provider_blob or serialize_provider(PartnerAccountProvider()))
    return Registration(
        PARTNER_ACCOUNT_TYPE,
        name,
        {k: v for k, v in props.items() if v is not None},
        additional_secret_outputs=["appServerPrivateKey"],
    )


def refused_at_check(engine: Engine, emulator: Emulator, reg: Registration) -> EngineError:
    """Preview a registration that check must refuse, and return the error; nothing reaches AWS."""
    emulator.clear_log()
    with pytest.raises(EngineError) as exc:
        engine.preview([reg])
    assert exc.value.op == "check"
    assert emulator.calls() == []
    return exc.value


def assert_failures_name(
    failures: Sequence[tuple[str, str]], failing: Collection[str], one_sentence: bool = False
) -> None:
    """Fail unless the check failures are of exactly the inputs failing, each reason naming its input."""
    assert {prop for prop, _ in failures} == set(failing)
    for prop, reason in failures:
        assert prop in reason
        assert not one_sentence or reason.count(". ") == 0


def assert_pickled_by_reference(provider: ResourceProvider, module: str) -> None:
    """Fail unless the pickled provider names its module and class instead of carrying bytecode."""
    blob = base64.b64decode(serialize_provider(provider))
    assert module.encode() in blob
    assert type(provider).__name__.encode() in blob
    assert len(blob) < 1024


def assert_no_key(text: str, *keys: str) -> None:
    """Fail when any of the keys, in any case, appears in the text."""
    folded = text.lower()
    for key in keys or (KEY,):
        assert key.lower() not in folded, "the private key appears in plaintext"


@dataclass
class StackRun:
    """What one command of `python -m tests.engine` reported."""

    returncode: int
    steps: list[dict[str, Any]]
    outputs: dict[str, Any]
    error: str | None
    errors: list[str]
    provider_output: str
    stderr: str
    # What `pulumi stack output` would show after the command, and the provider RPCs by name.
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    provider_calls: list[str] = field(default_factory=list)

    def ops(self) -> list[tuple[str, str]]:
        """Return (operation, resource name) per step."""
        return [(s["op"], s["urn"].rsplit("::", 1)[-1]) for s in self.steps]


class Stack:
    """Drive a program (the real one unless told) through the harness's CLI, one process per command."""

    def __init__(self, directory: Path, env: Mapping[str, str | None], program: Path | None = None) -> None:
        self.directory = directory
        self.env = merged_env({**env, "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
        self.config: dict[str, Any] = {}
        self.program = program

    def set_config(self, key: str, value: Any, secret: bool = False) -> None:
        """Set stack config, as `pulumi config set [--secret]` does."""
        self.config[key] = wire.Secret(value) if secret else value
        (self.directory / "config.json").write_text(json.dumps(wire.to_checkpoint(self.config, PASSPHRASE)))

    def run(self, command: str, *flags: str) -> StackRun:
        """Execute one CLI command (preview, up, refresh or destroy) with flags such as --replace."""
        program = ["--program", str(self.program)] if self.program is not None else []
        args = ["--stack-dir", str(self.directory), *program, *flags]
        process = run_module("tests.engine", command, *args, env=self.env, timeout=600)
        result = json.loads((self.directory / "result.json").read_text())
        return StackRun(
            process.returncode,
            result["steps"],
            wire.from_checkpoint(result["outputs"], PASSPHRASE),
            result["error"],
            result["errors"],
            result["providerOutput"],
            process.stderr,
            wire.from_checkpoint(result["stackOutputs"], PASSPHRASE),
            result["providerCalls"],
        )

    def state_text(self) -> str:
        """Return the checkpoint file as stored."""
        path = self.directory / "state.json"
        return path.read_text() if path.exists() else ""

    def state(self) -> dict[str, Any]:
        """Return the checkpoint, secrets decrypted and marked."""
        return wire.from_checkpoint(json.loads(self.state_text()), PASSPHRASE)  # type: ignore[no-any-return]


DESTINATION_TYPE = "pulumi-python:dynamic/iotwireless:Destination"
ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk-destination"


def destination(
    resource_name: str = "uplinks", provider_blob: str | None = None, **inputs: Any
) -> Registration:
    """Register a Destination as components.destination does; its name defaults to the resource's."""
    props: dict[str, Any] = {
        "name": resource_name,
        "expression": "sidewalk_uplinks",
        "expressionType": "RuleName",
        "roleArn": ROLE_ARN,
        "owner": owner(PROJECT_NAME, STACK, resource_name),
        **inputs,
        "__provider": wire.Secret(provider_blob or serialize_provider(DestinationProvider())),
    }
    return Registration(DESTINATION_TYPE, resource_name, {k: v for k, v in props.items() if v is not None})


def live_tags(iotwireless: Any, arn: str) -> dict[str, str]:
    """Return the user's tags AWS holds for an ARN: all but the owner tag."""
    tags = all_live_tags(iotwireless, arn)
    tags.pop(OWNER_KEY, None)
    return tags


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Return a resource's tags without the owner tag."""
    return {k: v for k, v in tags.items() if k != OWNER_KEY}


def live_owner(iotwireless: Any, arn: str) -> str | None:
    """Return the owner tag AWS holds for an ARN, or None."""
    return all_live_tags(iotwireless, arn).get(OWNER_KEY)


def all_live_tags(iotwireless: Any, arn: str) -> dict[str, str]:
    """Return every tag AWS holds for an ARN, the owner tag included."""
    return {t["Key"]: t.get("Value", "") for t in iotwireless.list_tags_for_resource(ResourceArn=arn)["Tags"]}


DEVICE_PROFILE_TYPE = "pulumi-python:dynamic/iotwireless:SidewalkDeviceProfile"


def device_profile(
    resource_name: str = "sensors", provider_blob: str | None = None, **inputs: Any
) -> Registration:
    """Register a SidewalkDeviceProfile as components.device_profile does, named as the resource."""
    from providers.device_profile import DeviceProfileProvider

    props: dict[str, Any] = {
        "name": resource_name,
        "owner": owner(PROJECT_NAME, STACK, resource_name),
        **inputs,
        "__provider": wire.Secret(provider_blob or serialize_provider(DeviceProfileProvider())),
    }
    return Registration(DEVICE_PROFILE_TYPE, resource_name, {k: v for k, v in props.items() if v is not None})


WIRELESS_DEVICE_TYPE = "pulumi-python:dynamic/iotwireless:SidewalkDevice"
IMPORT_TASK_TYPE = "pulumi-python:dynamic/iotwireless:SidewalkDeviceImportTask"
# A Sidewalk manufacturing serial number, as the Sidewalk tools print one: 64 hex digits.
SMSN = "a1b2c3d4e5f6" * 5 + "0123"


def wireless_device(
    resource_name: str = "sensor-1", provider_blob: str | None = None, **inputs: Any
) -> Registration:
    """Register a SidewalkDevice as components.wireless_device does, its private keys a secret output."""
    from providers.wireless_device import WirelessDeviceProvider

    props: dict[str, Any] = {
        "name": resource_name,
        "sidewalkManufacturingSn": SMSN,
        "destinationName": "uplinks",
        "owner": owner(PROJECT_NAME, STACK, resource_name),
        **inputs,
        "__provider": wire.Secret(provider_blob or serialize_provider(WirelessDeviceProvider())),
    }
    return Registration(
        WIRELESS_DEVICE_TYPE,
        resource_name,
        {k: v for k, v in props.items() if v is not None},
        additional_secret_outputs=["privateKeys"],
    )
