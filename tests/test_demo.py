"""`make demo` (python -m demo) up to the Pulumi CLI boundary, and its stack config through the harness."""

from __future__ import annotations

import json
import os
import re
import urllib.error
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pulumi import automation as auto
from pulumi.automation.errors import InvalidVersionError

from demo import cli, job
from demo.emulator import EmulatorProcess
from tests.engine.provider import PROJECT_ROOT
from tests.support import Stack, assert_no_key, emulator_env


class RecordingEmulator(EmulatorProcess):
    """RecordingEmulator is the demo's emulator process, kept so that a test can inspect it."""

    started: ClassVar[list[RecordingEmulator]] = []

    def start(self) -> RecordingEmulator:
        RecordingEmulator.started.append(self)
        super().start()
        return self


def no_download(*args: Any, **kwargs: Any) -> auto.PulumiCommand:
    raise urllib.error.URLError("[Errno -2] Name or service not known")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[RecordingEmulator]:
    """A machine with no Pulumi CLI on PATH and no internet; the demo's emulators are recorded."""
    RecordingEmulator.started = []
    for name in job.AWS_UNSET:
        # The demo unsets these in its own process; the test's process gets them back afterwards.
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli, "on_path", lambda: None)
    monkeypatch.setattr(auto.PulumiCommand, "install", no_download)
    monkeypatch.setattr(job, "EmulatorProcess", RecordingEmulator)
    return RecordingEmulator.started


def test_demo_without_a_cli_fails_in_one_line(offline: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Without a CLI and without internet the demo says so in one line, with what to do, and exits 1."""
    assert job.main() == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("make demo needs the Pulumi CLI 3.272.0, which is not on PATH")
    assert "Name or service not known" in line
    assert cli.INSTALL_URL in line
    assert "`make test`" in line


def test_demo_starts_the_emulator_and_stops_it_on_failure(offline: list[RecordingEmulator]) -> None:
    """The demo's emulator answered on a local port, and is stopped even though the demo failed."""
    job.main()
    [emulator] = offline
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emulator.url)
    assert emulator.process is not None
    assert not emulator.running


def test_demo_unsets_variables_that_would_reach_a_real_account(
    offline: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A developer's AWS_PROFILE, session token and endpoint are removed before any CLI command."""
    for name in job.AWS_UNSET:
        monkeypatch.setenv(name, "from-the-developer")
    job.main()
    assert not set(job.AWS_UNSET) & set(os.environ)


def test_a_recent_cli_on_path_is_used_without_installing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Pulumi CLI on PATH at least as recent as the pin is used as it is."""
    made: list[dict[str, Any]] = []

    class FakeCommand:
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)

        @classmethod
        def install(cls, **kwargs: Any) -> FakeCommand:
            raise AssertionError("nothing should be installed")

    monkeypatch.setattr(cli, "on_path", lambda: "/usr/local/bin/pulumi")
    monkeypatch.setattr(cli, "PulumiCommand", FakeCommand)
    command = cli.pulumi_command(PROJECT_ROOT / ".pulumi" / "versions" / "3.272.0")
    assert isinstance(command, FakeCommand)
    assert made == [{"version": cli.PULUMI_CLI_VERSION}]


def test_an_old_cli_on_path_falls_back_to_the_pinned_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A CLI on PATH older than the pin is passed over for the pinned version, installed in the project."""
    installs: list[dict[str, Any]] = []

    class FakeCommand:
        def __init__(self, **kwargs: Any) -> None:
            raise InvalidVersionError("Minimum version requirement failed")

        @classmethod
        def install(cls, **kwargs: Any) -> str:
            installs.append(kwargs)
            return "installed"

    monkeypatch.setattr(cli, "on_path", lambda: "/usr/bin/pulumi")
    monkeypatch.setattr(cli, "PulumiCommand", FakeCommand)
    assert cli.pulumi_command(tmp_path / "versions") == "installed"  # type: ignore[comparison-overlap]
    assert installs == [{"root": str(tmp_path / "versions"), "version": cli.PULUMI_CLI_VERSION}]


def test_workspace_is_the_project_with_local_state_and_passphrase_secrets() -> None:
    """The workspace runs on this project, with a file backend inside it and passphrase secrets."""
    command: Any = object()
    env = job.demo_env(PROJECT_ROOT, "http://127.0.0.1:4566")
    options = job.workspace_options(PROJECT_ROOT, env, command)
    assert options.work_dir == str(PROJECT_ROOT)
    assert options.secrets_provider == "passphrase"
    assert options.pulumi_command is command
    assert options.env_vars == env
    assert env["PULUMI_BACKEND_URL"] == f"file://{PROJECT_ROOT}/.pulumi-state"
    assert env["PULUMI_CONFIG_PASSPHRASE"]
    assert env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] == "true"
    assert "PULUMI_ACCESS_TOKEN" not in env


def test_demo_env_points_boto3_at_the_emulator_only() -> None:
    """The only AWS endpoint the demo sets is boto3's IoT Wireless override, with throwaway credentials."""
    env = job.demo_env(PROJECT_ROOT, "http://127.0.0.1:4566")
    assert env["AWS_ENDPOINT_URL_IOT_WIRELESS"] == "http://127.0.0.1:4566"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"].startswith("AKID")
    assert not {"AWS_ENDPOINT_URL", "AWS_PROFILE"} & set(env)


def test_demo_state_and_stack_files_are_ignored_by_git() -> None:
    """The state backend, the installed CLI and the demo stack's config file never reach a commit."""
    ignored = set((PROJECT_ROOT / ".gitignore").read_text().splitlines())
    assert {".pulumi-state/", ".pulumi/", f"Pulumi.{job.STACK_NAME}.yaml"} <= ignored


class FakeStack:
    """FakeStack stands in for an automation Stack past the CLI boundary, recording each call."""

    name = job.STACK_NAME

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.workspace = self

    def set_all_config(self, config: dict[str, auto.ConfigValue]) -> None:
        self.calls.append(("config", config))

    def preview(self, on_output: Any) -> None:
        self.calls.append(("preview", on_output))
        on_output("Previewing update (demo)")

    def up(self, on_output: Any, show_secrets: bool) -> Any:
        self.calls.append(("up", show_secrets))
        on_output("Updating (demo)")
        outputs = {
            "partnerAccountArn": auto.OutputValue("arn:aws:iotwireless:us-east-1:1:SidewalkAccount/x", False),
            "hidden": auto.OutputValue("not-for-printing", True),
        }
        return type("UpResult", (), {"outputs": outputs})()

    def destroy(self, on_output: Any, show_secrets: bool) -> None:
        self.calls.append(("destroy", show_secrets))

    def remove_stack(self, name: str) -> None:
        self.calls.append(("remove", name))


def test_job_configures_previews_ups_destroys_and_removes_the_stack() -> None:
    """Past the CLI boundary the job sets config, then preview, up, destroy, and removes the stack."""
    stack = FakeStack()
    printed: list[str] = []
    job.run_job(stack, "ab" * 32, printed.append)  # type: ignore[arg-type]
    assert [name for name, _ in stack.calls] == ["config", "preview", "up", "destroy", "remove"]
    assert ("up", False) in stack.calls and ("destroy", False) in stack.calls
    assert ("remove", job.STACK_NAME) in stack.calls
    assert "Previewing update (demo)" in printed and "Updating (demo)" in printed


def test_job_sets_the_key_as_a_secret_and_never_prints_it() -> None:
    """The key is set with --secret; printed outputs show secrets as [secret] and never the key."""
    stack = FakeStack()
    printed: list[str] = []
    key = "cd" * 32
    outputs = job.run_job(stack, key, printed.append)  # type: ignore[arg-type]
    config = stack.calls[0][1]
    assert config["sidewalk:appServerPrivateKey"].secret
    assert config["sidewalk:appServerPrivateKey"].value == key
    assert not any(v.secret for k, v in config.items() if k != "sidewalk:appServerPrivateKey")
    assert outputs["hidden"] == "[secret]"
    assert '  hidden: "[secret]"' in printed
    assert_no_key("\n".join(printed), key)


def test_demo_stack_config_deploys_through_the_harness(tmp_path: Path, emulator: Any) -> None:
    """The config the demo sets, as the CLI stores it (strings), deploys and destroys the real program."""
    stack = Stack(tmp_path, emulator_env(emulator.url))
    key = "0f" * 32
    for name, value in job.stack_config(key).items():
        stack.set_config(name, value.value, secret=value.secret)
    up = stack.run("up")
    assert up.returncode == 0, up.stderr
    assert up.outputs["amazonId"] == job.AMAZON_ID
    assert up.outputs["region"] == "us-east-1"
    state = stack.state()["resources"][0]["outputs"]
    assert state["tags"] == json.loads(job.stack_config(key)["sidewalk:tags"].value)
    destroyed = stack.run("destroy")
    assert destroyed.returncode == 0, destroyed.stderr
    assert emulator.backend.associations() == []
