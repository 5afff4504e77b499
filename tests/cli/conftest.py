"""Fixtures of the real-CLI tests: the pinned `pulumi`, and a project folder per test."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from demo.cli import at_hand
from tests.cli.project import PulumiProject
from tests.emulator import Emulator
from tests.support import KEY, STACK_AMAZON_ID

# .ci/run sets this: there a missing CLI is a failure, never a skip.
REQUIRE_CLI = "SIDEWALK_REQUIRE_PULUMI_CLI"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def cli_bin() -> Path:
    """Return the folder of the real `pulumi` (on PATH if recent enough, else `make cli`'s build)."""
    command = at_hand()
    if command is None:
        message = (
            "no Pulumi CLI 3.272+ on PATH and none built: run `make cli` (needs Go 1.26+) "
            "to run the real-CLI tests"
        )
        if os.environ.get(REQUIRE_CLI):
            pytest.fail(message)
        pytest.skip(message)
    return Path(command.command).parent


@pytest.fixture
def make_project(tmp_path: Path, cli_bin: Path, emulator: Emulator) -> Callable[..., PulumiProject]:
    """Return a factory of project folders sharing this test's emulator."""
    count = 0

    def make(**env: str | None) -> PulumiProject:
        nonlocal count
        count += 1
        return PulumiProject(tmp_path / f"project-{count}", cli_bin, emulator.url, env)

    return make


@pytest.fixture
def project(make_project: Callable[..., PulumiProject]) -> PulumiProject:
    """Return a new stack of the real program, configured as the README says, not yet deployed."""
    project = make_project().init()
    project.config_set("aws:region", REGION)
    project.config_set("sidewalk:amazonId", STACK_AMAZON_ID)
    project.config_set("sidewalk:appServerPrivateKey", KEY, secret=True)
    project.config_set("sidewalk:tags", {"team": "iot"})
    return project
