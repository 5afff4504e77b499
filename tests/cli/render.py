"""`python -m tests.cli.render SCENARIO [--diff|--json]`: what the real `pulumi preview` shows.

The README's example stack is deployed with the real CLI (`pulumi up`) in a temporary folder
against an emulator started here; the scenario then changes the stack config as a person would
(`pulumi config set`), and the output of `pulumi preview` (or `--diff`, or `--json`) is printed.
What the CLI prints that varies from run to run is made stable in one place, `normalised`; the
README pastes the result, and tests/test_readme.py renders it again to compare.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from demo.cli import at_hand
from tests.cli.project import CliRun, PulumiProject
from tests.emulator import Emulator
from tests.support import KEY, OTHER_KEY

__all__ = ["BASE_CONFIG", "MODES", "SCENARIOS", "Setting", "deploy", "main", "normalised", "preview"]


@dataclass(frozen=True)
class Setting:
    """One `pulumi config set [--secret] KEY` (an object is set key by key with --path)."""

    key: str
    value: str | dict[str, str]
    secret: bool = False


# The stack of the README's walk-through, as `pulumi config set` leaves it.
BASE_CONFIG = (
    Setting("aws:region", "us-east-1"),
    Setting("sidewalk:amazonId", "amzn1.account.EXAMPLE"),
    Setting("sidewalk:appServerPrivateKey", KEY, secret=True),
    Setting("sidewalk:tags", {"environment": "dev", "team": "iot"}),
)
# Each scenario is the config it changes before `pulumi preview`.
SCENARIOS: dict[str, tuple[Setting, ...]] = {
    "key-rotation": (Setting("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True),),
    "tag-change": (Setting("sidewalk:tags", {"environment": "prod", "owner": "platform", "team": "iot"}),),
    "replacement": (Setting("sidewalk:amazonId", "amzn1.account.REPLACEMENT"),),
}
# The flags of `pulumi preview` per output mode.
MODES: dict[str, tuple[str, ...]] = {"plain": (), "diff": ("--diff",), "json": ("--json",)}

# The non-interactive display prints a progress tick ("@ previewing update....") whenever a tick
# passes before the preview is done: how many there are depends on the machine's speed. A tick ends
# in a newline, or, when a resource's row comes before the next tick, in that row on the same line.
_PROGRESS = re.compile(r"^@ [a-z]+(?: [a-z]+)?\.*(?:\n|(?= ))", flags=re.MULTILINE)
# The default provider's id is a random UUID, minted when the stack is first deployed.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# JSON members that hold times, durations or paths outside the project (Python's, the temp folder's).
_VARYING_MEMBERS = ("created", "modified", "duration", "stackTrace")


def configure(project: PulumiProject, settings: Sequence[Setting]) -> None:
    """Apply settings with `pulumi config set`, secrets with --secret."""
    for setting in settings:
        project.config_set(setting.key, setting.value, secret=setting.secret)


def deploy(project: PulumiProject) -> None:
    """Create the README's example stack in the project and deploy it with `pulumi up`."""
    project.init()
    configure(project, BASE_CONFIG)
    project.run("up", "--yes", "--skip-preview")


def preview(project: PulumiProject, mode: str = "plain") -> CliRun:
    """Run `pulumi preview` with the flags of mode and return what it printed, unchanged."""
    return project.run("preview", *MODES[mode], check=False)


def without_progress(text: str) -> str:
    """Return the CLI's text output without its progress ticks, each row on a line of its own."""
    return _PROGRESS.sub("", text)


def _stable(value: Any) -> Any:
    """Return a JSON value with its varying members and random UUIDs replaced by placeholders."""
    if isinstance(value, dict):
        return {k: f"<{k}>" if k in _VARYING_MEMBERS else _stable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str):
        return _UUID.sub("<uuid>", value)
    return value


def normalised(text: str, mode: str, directory: Path) -> str:
    """Return the CLI's output with what varies from run to run replaced, and no trailing blanks.

    Text: progress lines are dropped, trailing spaces stripped, the temporary folder named
    `<project>`. JSON: the members `created`, `modified`, `duration` and `stackTrace` become
    `"<member>"`, and random UUIDs (the default provider's id) `<uuid>`.
    """
    text = text.replace(str(directory), "<project>")
    if mode == "json":
        return json.dumps(_stable(json.loads(text)), indent=4)
    text = without_progress(text)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Deploy the example stack, apply one scenario and print its preview."""
    parser = argparse.ArgumentParser(prog="python -m tests.cli.render", description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    flags = parser.add_mutually_exclusive_group()
    flags.add_argument("--diff", action="store_true", help="run `pulumi preview --diff`")
    flags.add_argument("--json", action="store_true", help="run `pulumi preview --json`")
    args = parser.parse_args(argv)
    mode = "diff" if args.diff else "json" if args.json else "plain"
    command = at_hand()
    if command is None:
        print("tests.cli.render: no Pulumi CLI 3.272+ on PATH and none built under .pulumi/", file=sys.stderr)
        return 2
    with Emulator() as emulator, tempfile.TemporaryDirectory(prefix="sidewalk-render-") as folder:
        directory = Path(folder)
        project = PulumiProject(directory, Path(command.command).parent, emulator.url)
        deploy(project)
        configure(project, SCENARIOS[args.scenario])
        run = preview(project, mode)
        if run.returncode != 0:
            sys.stderr.write(run.output)
            return run.returncode
        print(normalised(run.stdout, mode, directory))
        sys.stderr.write(run.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
