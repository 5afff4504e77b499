"""`pulumi install` through the real CLI: the built language host makes the virtualenv Pulumi.yaml names."""

from __future__ import annotations

import subprocess

import pytest

from tests.cli.project import PulumiProject
from tests.emulator import Emulator
from tests.engine.provider import PROJECT_ROOT


@pytest.mark.long
def test_install_creates_the_virtualenv_and_the_program_then_previews(
    project: PulumiProject, emulator: Emulator
) -> None:
    """`pulumi install` in a copy without a venv creates .venv from requirements.txt; preview then runs."""
    venv = project.directory / ".venv"
    # The folder links this checkout's .venv; here the copy starts without one, as a fresh clone does.
    venv.unlink()
    (project.directory / "requirements.txt").symlink_to(PROJECT_ROOT / "requirements.txt")
    installed = project.run("install")
    steps = [
        "Installing dependencies...",
        "Creating virtual environment...",
        "Installing dependencies in virtual environment...",
        "Finished installing dependencies",
    ]
    positions = [installed.stdout.index(step) for step in steps]
    assert positions == sorted(positions)
    assert (venv / "bin" / "python").is_file() and not venv.is_symlink()
    shown = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "show", "pulumi", "pulumi-aws", "boto3"],
        capture_output=True,
        text=True,
        check=True,
    )
    names = {line.removeprefix("Name: ").replace("_", "-") for line in shown.stdout.splitlines()}
    assert {"pulumi", "pulumi-aws", "boto3"} <= names
    # The host reports no required packages, so install fetched no resource plugin (aws's included).
    assert not list(project.home.glob("plugins/resource-*"))
    preview = project.run("preview", "--json").json()
    assert preview["changeSummary"] == {"create": 2}
    assert emulator.calls() == []
