"""Bad stack config for the real program: each mistake is one clear message naming the config key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.emulator import Emulator
from tests.engine import wire
from tests.support import KEY, Stack, assert_no_key

KEY_CONFIG = "sidewalk:appServerPrivateKey"


def warnings_about_the_key(stderr: str) -> list[str]:
    """Return the lines of a run's diagnostics that name the key's config."""
    return [line for line in stderr.splitlines() if KEY_CONFIG in line]


@pytest.mark.parametrize("missing", ["sidewalk:amazonId", KEY_CONFIG])
def test_missing_required_config_fails_naming_the_key(stack: Stack, emulator: Emulator, missing: str) -> None:
    """Without a required config key, up stops with a message naming it, before any call to AWS."""
    del stack.config[missing]
    stack.set_config("aws:region", "us-east-1")
    run = stack.run("up")
    assert run.returncode == 1
    assert f"'{missing}'" in (run.error or "")
    assert emulator.calls() == []
    assert stack.state()["resources"] == []


def test_key_not_set_as_secret_warns_naming_the_key(stack: Stack, emulator: Emulator) -> None:
    """A key set without --secret still deploys, with a warning that says how to set it as a secret."""
    stack.set_config(KEY_CONFIG, KEY)
    run = stack.run("up")
    assert run.returncode == 0, run.stderr
    [warning, *_] = warnings_about_the_key(run.stderr)
    assert f"pulumi config set --secret {KEY_CONFIG}" in warning
    assert_no_key(run.stderr)
    # The config the user set in plaintext stays plaintext; the resource still keeps the key secret.
    assert stack.state()["resources"][0]["outputs"]["appServerPrivateKey"] == wire.Secret(KEY)
    assert_no_key(json.dumps(json.loads(stack.state_text())["resources"]))


def test_key_set_as_secret_gives_no_warning(stack: Stack) -> None:
    """A key set with --secret deploys without a warning about it."""
    run = stack.run("up")
    assert run.returncode == 0, run.stderr
    assert warnings_about_the_key(run.stderr) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("sidewalk:tags", "team=iot", id="tags-not-json"),
        pytest.param("sidewalk:tags", ["team", "iot"], id="tags-a-list"),
        pytest.param("sidewalk:tags", {"team": 7}, id="tags-value-a-number"),
        pytest.param("sidewalk:adoptExisting", "yes", id="adopt-existing-not-bool"),
    ],
)
def test_config_of_the_wrong_type_fails_naming_the_key(
    stack: Stack, emulator: Emulator, key: str, value: Any
) -> None:
    """A config value of the wrong type stops the preview with a message naming its key and type."""
    stack.set_config(key, value)
    run = stack.run("preview")
    assert run.returncode == 1
    error = run.error or ""
    assert error.startswith("ConfigTypeError: ")
    assert f"Configuration '{key}'" in error
    assert emulator.calls() == []
    assert "Traceback" not in error
    assert json.dumps(value) in error or str(value) in error


DEVICE = {"smsn": "a" * 64, "name": "sensor-1"}


@pytest.mark.parametrize(
    ("config", "where", "rule"),
    [
        pytest.param(
            {"sidewalk:devices": {"sensor-1": "a" * 64}},
            "sidewalk:devices",
            "is not a valid 'list of objects with smsn and name'",
            id="devices-not-a-list",
        ),
        pytest.param(
            {"sidewalk:devices": [{"smsn": "a" * 64}]},
            "sidewalk:devices[0]",
            "has no name: every device needs smsn and name",
            id="device-without-name",
        ),
        pytest.param(
            {"sidewalk:devices": [{**DEVICE, "tags": ["team"]}]},
            "sidewalk:devices[0].tags",
            "is not a valid 'object of string to string'",
            id="device-tags-a-list",
        ),
        pytest.param(
            {"sidewalk:devices": [{**DEVICE, "name": "lab/sensor"}]},
            "sidewalk:devices[0]",
            "has the device name 'lab/sensor': a device name is 1 to 128 letters, digits",
            id="device-name-with-a-slash",
        ),
        pytest.param(
            {"sidewalk:devices": [DEVICE, {**DEVICE, "smsn": "b" * 64}]},
            "sidewalk:devices[1]",
            "repeats the device name 'sensor-1' of 'sidewalk:devices[0]': device names must be unique",
            id="duplicate-names",
        ),
        pytest.param(
            {"sidewalk:devices": [DEVICE], "sidewalk:devicesCsv": "devices.csv"},
            "sidewalk:devices' and 'sidewalk:devicesCsv",
            "are both set: set one of them, never both",
            id="list-and-csv",
        ),
        pytest.param(
            {"sidewalk:devicesCsv": "serial,label\n" + "a" * 64 + ",sensor-1\n"},
            "sidewalk:devicesCsv",
            "whose header is 'serial,label': the header must be exactly 'smsn,name'",
            id="csv-header",
        ),
        pytest.param(
            {"sidewalk:devicesCsv": "smsn,name\n" + "a" * 64 + ",sensor-1\n" + "b" * 64 + ",sensor-1\n"},
            "sidewalk:devicesCsv",
            "line 3) repeats the device name 'sensor-1'",
            id="csv-duplicate-names",
        ),
    ],
)
def test_bad_fleet_config_fails_in_one_sentence_naming_the_key(
    stack: Stack, emulator: Emulator, tmp_path: Path, config: dict[str, Any], where: str, rule: str
) -> None:
    """A bad device list or CSV stops the preview with one sentence naming the key and the rule."""
    stack.set_config("sidewalk:deviceDestinationName", "uplinks")
    for key, value in config.items():
        if key == "sidewalk:devicesCsv" and "\n" in value:
            csv_file = tmp_path / "devices.csv"
            csv_file.write_text(value)
            value = str(csv_file)
        stack.set_config(key, value)
    run = stack.run("preview")
    assert run.returncode == 1
    error = run.error or ""
    assert f"Configuration '{where}'" in error
    assert rule in error
    assert "Traceback" not in error and "\n" not in error.strip()
    assert emulator.calls() == []


def test_devices_without_a_destination_fail_naming_the_keys(stack: Stack, emulator: Emulator) -> None:
    """Devices with neither the integration nor sidewalk:deviceDestinationName fail before any call."""
    stack.set_config("sidewalk:devices", [DEVICE])
    run = stack.run("up")
    assert run.returncode == 1
    assert (run.error or "").endswith(
        "Configuration 'sidewalk:devices' needs a Destination for the devices' uplinks: turn on "
        "sidewalk:integration, or set sidewalk:deviceDestinationName to the name of an existing Destination"
    )
    assert emulator.calls() == []
    assert stack.state()["resources"] == []
