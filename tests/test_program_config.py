"""Bad stack config for the real program: each mistake is one clear message naming the config key."""

from __future__ import annotations

import json
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
