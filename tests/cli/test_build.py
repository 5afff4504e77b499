"""`make cli`: the pinned build is reproduced only when the pin changes."""

from __future__ import annotations

import os
import subprocess

import pytest

from demo.cli import BUILD_SCRIPT, BUILT_ROOT
from tests.cli.conftest import REQUIRE_CLI


def test_build_with_the_pin_unchanged_rebuilds_nothing() -> None:
    """`make cli` with the pinned CLI already built says it is up to date and leaves it as it is."""
    built = BUILT_ROOT / "bin"
    if not (built / "pulumi").exists():
        message = "the pinned CLI is not built: run `make cli` (needs Go 1.26+)"
        if os.environ.get(REQUIRE_CLI):
            pytest.fail(message)
        pytest.skip(message)
    before = {path.name: path.stat().st_mtime_ns for path in built.iterdir()}
    run = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert "is up to date (v3.274.1)" in run.stdout
    assert {path.name: path.stat().st_mtime_ns for path in built.iterdir()} == before
