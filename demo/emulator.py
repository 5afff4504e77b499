"""The IoT Wireless emulator as a child process, the way the demo and a developer run it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import boto3

__all__ = ["EmulatorProcess", "seed_destination"]

# A role ARN of the right shape: the emulator checks it, and no AWS account ever sees it.
_ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk-demo-destination"


class EmulatorProcess:
    """Run `python -m tests.emulator --port 0` and read its URL off the first line."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.url = ""
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> EmulatorProcess:
        """Launch the emulator and return once it listens: it prints its URL only then."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.emulator", "--port", "0"],
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().strip()
        if not first.startswith("http://"):
            self.stop()
            raise RuntimeError(f"the emulator did not start (it printed {first!r})")
        self.url = first
        return self

    def stop(self) -> None:
        """Ask the emulator to end (SIGTERM) and wait for it; a stuck one is killed."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    @property
    def running(self) -> bool:
        """Return whether the emulator process is alive."""
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def seed_destination(url: str, env: Mapping[str, str], name: str) -> None:
    """Create a Destination in the emulator at url, with the credentials and region of the demo's env."""
    client = boto3.client(
        "iotwireless",
        endpoint_url=url,
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_destination(
        Name=name, Expression="sidewalk_uplinks", ExpressionType="RuleName", RoleArn=_ROLE_ARN
    )
