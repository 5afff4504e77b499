"""Find the Pulumi CLI to drive: on PATH, the pinned build, the download, or the Go build."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from pulumi.automation import PulumiCommand
from pulumi.automation.errors import InvalidVersionError
from semver import VersionInfo

__all__ = [
    "BUILD_SCRIPT",
    "BUILT_ROOT",
    "MINIMUM_VERSION",
    "PINNED_VERSION",
    "CliUnavailable",
    "at_hand",
    "build",
    "on_path",
    "pulumi_command",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The oldest CLI this SDK range works with: the lowest `pulumi` that requirements.txt allows.
MINIMUM_VERSION = VersionInfo.parse("3.272.0")
# `make cli` builds the pinned CLI into BUILT_ROOT/bin, the layout PulumiCommand(root=...) expects.
BUILT_ROOT = PROJECT_ROOT / ".pulumi"
BUILD_SCRIPT = PROJECT_ROOT / "tools" / "pulumi-cli" / "build"
# The pin: the version of pkg/v3 that tools/pulumi-cli/go.mod requires, the one `make cli` builds.
_PIN = re.search(r"github\.com/pulumi/pulumi/pkg/v3 v(\S+)", (BUILD_SCRIPT.parent / "go.mod").read_text())
assert _PIN is not None, "tools/pulumi-cli/go.mod requires no github.com/pulumi/pulumi/pkg/v3"
PINNED_VERSION = VersionInfo.parse(_PIN.group(1))
# The installer's download has no timeout of its own; a silent network must not hang the demo.
_DOWNLOAD_TIMEOUT_SECONDS = 30.0


class CliUnavailable(Exception):
    """Say, in one sentence, that there is no usable Pulumi CLI and what to do."""


def on_path() -> str | None:
    """Return the `pulumi` executable on PATH, if any."""
    return shutil.which("pulumi")


def _built(root: Path) -> PulumiCommand | None:
    """Return the CLI that `make cli` built under root, if it is there and runs."""
    if not (root / "bin" / "pulumi").is_file():
        return None
    try:
        return PulumiCommand(root=str(root), version=MINIMUM_VERSION)
    except (OSError, subprocess.SubprocessError, InvalidVersionError):
        return None


def at_hand(root: Path = BUILT_ROOT) -> PulumiCommand | None:
    """Return a recent enough CLI on PATH, else the pinned build, without installing anything."""
    if on_path() is not None:
        try:
            return PulumiCommand(version=MINIMUM_VERSION)
        except InvalidVersionError:
            pass  # Too old for this SDK: the pinned build may still be there.
    return _built(root)


def build(root: Path = BUILT_ROOT) -> PulumiCommand:
    """Compile the pinned CLI from its Go modules (`make cli`, Go itself included), streaming progress."""
    # This Python downloads Go itself where the machine has none (see the build script).
    env = {**os.environ, "PULUMI_CLI_DIR": str(root / "bin"), "PYTHON": sys.executable}
    process = subprocess.run([str(BUILD_SCRIPT)], env=env, check=False)
    built = _built(root) if process.returncode == 0 else None
    if built is None:
        raise CliUnavailable(
            "no Pulumi CLI could be found, downloaded or built (see the line above): install the "
            "CLI from https://www.pulumi.com/docs/install/ or Go 1.26+, then run the command again."
        )
    return built


def pulumi_command(root: Path = BUILT_ROOT) -> PulumiCommand:
    """Return the first CLI that works: on PATH, already built, downloaded, or built now."""
    command = at_hand(root)
    if command is not None:
        return command
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(_DOWNLOAD_TIMEOUT_SECONDS)
    try:
        # The pinned release, the same CLI the Go build would make.
        return PulumiCommand.install(root=str(root / "download"), version=PINNED_VERSION)
    except (OSError, subprocess.SubprocessError, InvalidVersionError) as err:
        reason = " ".join(str(err).split())[:160]
        print(f"make demo: the Pulumi CLI could not be downloaded ({reason}); building it from Go modules.")
    finally:
        socket.setdefaulttimeout(previous)
    return build(root)
