"""The Pulumi CLI the demo drives: the one on PATH, else the pinned version installed into the project."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

from pulumi.automation import PulumiCommand
from pulumi.automation.errors import InvalidVersionError
from semver import VersionInfo

__all__ = ["INSTALL_URL", "PULUMI_CLI_VERSION", "CliUnavailable", "on_path", "pulumi_command"]

# The CLI release that matches the lowest SDK version requirements.txt allows.
PULUMI_CLI_VERSION = VersionInfo.parse("3.272.0")
INSTALL_URL = "https://www.pulumi.com/docs/install/"
# The installer's download has no timeout of its own; a silent network must not hang the demo.
_DOWNLOAD_TIMEOUT_SECONDS = 60.0


class CliUnavailable(Exception):
    """CliUnavailable says, in one sentence, that there is no usable Pulumi CLI and what to do."""


def on_path() -> str | None:
    """On_path is the `pulumi` executable on PATH, if any."""
    return shutil.which("pulumi")


def pulumi_command(install_root: Path) -> PulumiCommand:
    """Pulumi_command returns the CLI on PATH when recent enough, else installs the pinned one."""
    if on_path() is not None:
        try:
            return PulumiCommand(version=PULUMI_CLI_VERSION)
        except InvalidVersionError:
            pass  # Too old for this SDK: fall back to the pinned version inside the project.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(_DOWNLOAD_TIMEOUT_SECONDS)
    try:
        return PulumiCommand.install(root=str(install_root), version=PULUMI_CLI_VERSION)
    except (OSError, subprocess.SubprocessError, InvalidVersionError) as err:
        reason = " ".join(str(err).split())[:200]
        raise CliUnavailable(
            f"make demo needs the Pulumi CLI {PULUMI_CLI_VERSION}, which is not on PATH and could not "
            f"be downloaded ({reason}): install it from {INSTALL_URL} (or put a `pulumi` binary on "
            "PATH) and run `make demo` again; `make test` runs everything else offline without it."
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
