"""This project, run by the real `pulumi` CLI in a temporary folder, as a person runs it on a laptop."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.engine.provider import PROJECT_ROOT, merged_env
from tests.support import PARTNER_ACCOUNT_TYPE, PASSPHRASE, emulator_env

__all__ = ["POLL_LIMIT_SECONDS", "PROGRAM_FILES", "CliRun", "PulumiProject", "account_step", "wait_until"]

# What `pulumi up` needs of the project: linked, not copied, so the tests run the code as it is.
PROGRAM_FILES = ("Pulumi.yaml", "__main__.py", "providers", "components", ".venv")
STACK = "dev"
# How long a test waits for something a background `pulumi` does, and how often it looks.
POLL_LIMIT_SECONDS = 120.0
POLL_INTERVAL_SECONDS = 0.02
# Generous: the first command of a session also starts the language host and the venv's Python.
COMMAND_TIMEOUT_SECONDS = 300


def wait_until(condition: Callable[[], object], what: str) -> None:
    """Poll condition until it holds; fail naming what was awaited if it never does."""
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(POLL_INTERVAL_SECONDS)


def account_step(preview: dict[str, Any]) -> dict[str, Any]:
    """Return the step of the PartnerAccount `sidewalk` in a `pulumi preview --json` document."""
    [step] = [s for s in preview["steps"] if s["urn"].endswith(f"::{PARTNER_ACCOUNT_TYPE}::sidewalk")]
    return dict(step)


@dataclass
class CliRun:
    """One finished `pulumi` command."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """Return stdout then stderr, as a terminal would show them."""
        return self.stdout + self.stderr

    def json(self) -> Any:
        """Return stdout parsed as the one JSON document that `--json` prints."""
        return json.loads(self.stdout)

    def check(self) -> CliRun:
        """Return self if the command succeeded; fail with its output otherwise."""
        if self.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(self.args)} exited {self.returncode}:\n{self.output}")
        return self


class PulumiProject:
    """A folder holding this project's program, a file state backend, PULUMI_HOME and stack files.

    Every command runs the real CLI in that folder with passphrase secrets, offline, and with
    boto3 pointed at the emulator, so the emulator's request log witnesses every AWS call.
    """

    def __init__(
        self, directory: Path, cli_bin: Path, emulator_url: str, env: Mapping[str, str | None] | None = None
    ) -> None:
        self.directory = directory
        self.backend = directory / "state"
        self.home = directory / "pulumi-home"
        self.backend.mkdir(parents=True, exist_ok=True)
        for name in PROGRAM_FILES:
            link = directory / name
            if not link.exists():
                link.symlink_to(PROJECT_ROOT / name)
        self.env = merged_env(
            {
                **emulator_env(emulator_url),
                "PATH": f"{cli_bin}{os.pathsep}{os.environ.get('PATH', '')}",
                "PULUMI_BACKEND_URL": f"file://{self.backend}",
                "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                "PULUMI_HOME": str(self.home),
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_ACCESS_TOKEN": None,
                "PULUMI_CONFIG_PASSPHRASE_FILE": None,
                **(env or {}),
            }
        )

    def run(self, *args: str, check: bool = True, stdin: str | None = None) -> CliRun:
        """Invoke `pulumi ARGS` in the project folder, without colour or prompts."""
        argv = ["pulumi", *args, "--non-interactive", "--color", "never"]
        process = subprocess.run(
            argv,
            cwd=self.directory,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        run = CliRun(list(args), process.returncode, process.stdout, process.stderr)
        return run.check() if check else run

    def start(self, log: Path, *args: str) -> subprocess.Popen[bytes]:
        """Launch `pulumi ARGS` in the background, output to log, as a shell's job in a session of its own.

        The plugins take process groups of their own, but stay in the session.
        """
        with log.open("w") as output:
            return subprocess.Popen(
                ["pulumi", *args, "--non-interactive", "--color", "never"],
                cwd=self.directory,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def use_program(self, folder: Path) -> PulumiProject:
        """Run another project's program here: link its Pulumi.yaml and __main__.py instead of ours."""
        for name in ("Pulumi.yaml", "__main__.py"):
            link = self.directory / name
            link.unlink()
            link.symlink_to(folder / name)
        return self

    def copy_program(self, folder: Path) -> PulumiProject:
        """Run a probe program here: copy its Pulumi.yaml and __main__.py over the links to ours."""
        # Copies, not links: the program imports `components` from the project folder it runs in.
        for name in ("Pulumi.yaml", "__main__.py"):
            (self.directory / name).unlink()
            shutil.copyfile(folder / name, self.directory / name)
        return self

    def init(self, stack: str = STACK) -> PulumiProject:
        """Create the stack and select it: `pulumi stack init`."""
        self.run("stack", "init", stack)
        return self

    def copy_stack(self, other: PulumiProject, stack: str = STACK) -> PulumiProject:
        """Take another folder's stack, its config and its state, and select it: `pulumi stack select`.

        What `init` and a round of `config set` make, at the cost of one command instead of several.
        """
        shutil.copy2(other.directory / f"Pulumi.{stack}.yaml", self.directory)
        shutil.copytree(other.backend, self.backend, dirs_exist_ok=True)
        self.run("stack", "select", stack)
        return self

    def config_set(self, key: str, value: Any, secret: bool = False) -> None:
        """Set stack config as a person does: `pulumi config set [--secret] KEY`, objects with --path."""
        if isinstance(value, dict):
            self.run("config", "rm", key, check=False)
            for name, item in value.items():
                self.run("config", "set", "--path", f"{key}.{name}", str(item))
            return
        text = json.dumps(value) if isinstance(value, bool) else str(value)
        # The value comes on stdin, as when typed at the prompt: never on the command line.
        self.run("config", "set", *(["--secret"] if secret else []), key, stdin=text)

    def config_rm(self, key: str) -> None:
        """Remove stack config: `pulumi config rm KEY`."""
        self.run("config", "rm", key)

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        """Return `pulumi stack output --json`."""
        flags = ["--show-secrets"] if show_secrets else []
        return dict(self.run("stack", "output", "--json", *flags).json())

    def export(self, show_secrets: bool = False) -> dict[str, Any]:
        """Return `pulumi stack export`, the deployment as the backend keeps it."""
        flags = ["--show-secrets"] if show_secrets else []
        return dict(self.run("stack", "export", *flags).json())

    def resources(self, type_token: str) -> list[dict[str, Any]]:
        """Return the exported state's resources of one type."""
        return [r for r in self.export()["deployment"].get("resources", []) if r["type"] == type_token]
