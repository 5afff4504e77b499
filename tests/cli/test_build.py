"""`make cli`: the pinned build is reproduced only when the pin changes, and needs no Go installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from demo import job
from demo.cli import BUILD_SCRIPT, BUILT_ROOT, build
from tests.cli.conftest import REQUIRE_CLI
from tests.cli.test_demo_job import demo_project
from tests.test_demo import path_without_go


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


def go_caches() -> dict[str, str]:
    """Return the module and build caches of the Go on PATH, for a build that must not see that Go."""
    go = shutil.which("go")
    if go is None:
        # Without one, the downloaded Go's defaults are the same folders.
        return {}
    listed = subprocess.run([go, "env", "GOMODCACHE", "GOCACHE"], capture_output=True, text=True, check=True)
    modcache, cache = listed.stdout.split()
    return {"GOMODCACHE": modcache, "GOCACHE": cache}


@pytest.mark.long
@pytest.mark.timeout(1200)
def test_make_demo_without_go_builds_the_cli_with_go_from_the_module_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """With Python and make but no Go on PATH, make demo's fallback build gets Go itself, then demos."""
    for name, value in {"PATH": path_without_go(), **go_caches()}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GOROOT", raising=False)
    for name in job.AWS_UNSET:
        # The demo unsets these in its own process; the test's process gets them back afterwards.
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "cli"
    command = build(root)
    printed = capfd.readouterr().out
    assert "Go 1.26.6 or later is not on PATH; downloading Go 1.26.8 from" in printed
    assert "Go 1.26.8 checked against its pin and unpacked into" in printed
    pinned = {line.split()[0] for line in (BUILD_SCRIPT.parent / "toolchain.sha256").read_text().splitlines()}
    assert (root / "go" / ".sha256").read_text().strip() in pinned
    assert command.version is not None and str(command.version) == "3.274.1"
    # make demo itself, with that CLI and still no Go: it takes the CLI from PATH.
    monkeypatch.setenv("PATH", os.pathsep.join([str(root / "bin"), path_without_go()]))
    assert job.main(demo_project(tmp_path / "project")) == 0
    out = capfd.readouterr().out
    assert "+ 4 created" in out and "- 4 deleted" in out
