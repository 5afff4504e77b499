"""`make demo` (python -m demo) up to the Pulumi CLI boundary, and its stack config through the harness."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.error
import zipfile
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
    """The demo's emulator process, kept so that a test can inspect it."""

    started: ClassVar[list[RecordingEmulator]] = []

    def start(self) -> RecordingEmulator:
        RecordingEmulator.started.append(self)
        super().start()
        return self


def no_download(*args: Any, **kwargs: Any) -> auto.PulumiCommand:
    raise urllib.error.URLError("[Errno -2] Name or service not known")


def no_build(root: Path = cli.BUILT_ROOT) -> auto.PulumiCommand:
    raise cli.CliUnavailable("no Pulumi CLI could be found, downloaded or built")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[RecordingEmulator]:
    """A machine with no CLI on PATH, none built, no internet and no Go; the emulators are recorded."""
    RecordingEmulator.started = []
    for name in job.AWS_UNSET:
        # The demo unsets these in its own process; the test's process gets them back afterwards.
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli, "on_path", lambda: None)
    monkeypatch.setattr(job, "BUILT_ROOT", tmp_path / "nothing-built")
    monkeypatch.setattr(auto.PulumiCommand, "install", no_download)
    monkeypatch.setattr(cli, "build", no_build)
    monkeypatch.setattr(job, "EmulatorProcess", RecordingEmulator)
    return RecordingEmulator.started


def test_demo_without_any_cli_fails_in_one_line(offline: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """With no CLI to find, download or build, the demo says so in one line and exits 1."""
    assert job.main() == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line == "no Pulumi CLI could be found, downloaded or built"


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


class Choices:
    """Record which way of getting a CLI the demo took, each one set to work or fail."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, path: str, built: bool, download: bool) -> None:
        self.taken: list[str] = []
        choices = self

        class FakeCommand:
            def __init__(self, root: str | None = None, **kwargs: Any) -> None:
                if root is None and path == "old":
                    raise InvalidVersionError("Minimum version requirement failed")
                choices.taken.append("path" if root is None else "built")

            @classmethod
            def install(cls, **kwargs: Any) -> str:
                assert kwargs["version"] == cli.PINNED_VERSION
                if not download:
                    raise urllib.error.URLError("offline")
                choices.taken.append("download")
                return "downloaded"

        monkeypatch.setattr(cli, "on_path", lambda: None if path == "none" else "/usr/bin/pulumi")
        monkeypatch.setattr(cli, "PulumiCommand", FakeCommand)
        monkeypatch.setattr(cli, "_built", lambda root: FakeCommand(root=str(root)) if built else None)
        monkeypatch.setattr(cli, "build", lambda root: choices.taken.append("go build"))


@pytest.mark.parametrize(
    ("path", "built", "download", "taken"),
    [
        pytest.param("recent", True, True, ["path"], id="recent-on-path"),
        pytest.param("old", True, True, ["built"], id="old-on-path-then-built"),
        pytest.param("none", True, True, ["built"], id="built"),
        pytest.param("none", False, True, ["download"], id="download"),
        pytest.param("none", False, False, ["go build"], id="go-build"),
    ],
)
def test_demo_takes_the_first_cli_that_works(
    monkeypatch: pytest.MonkeyPatch, path: str, built: bool, download: bool, taken: list[str]
) -> None:
    """The CLI comes from PATH if recent enough, else the pinned build, the download, the Go build."""
    choices = Choices(monkeypatch, path, built, download)
    cli.pulumi_command()
    assert choices.taken == taken


def run_build(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run tools/pulumi-cli/build into a temporary folder with env changes."""
    return subprocess.run(
        [str(cli.BUILD_SCRIPT), *args],
        env={**os.environ, "PULUMI_CLI_DIR": str(tmp_path / "bin"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def path_without_go() -> str:
    """Return PATH less the folders that hold a `go` executable."""
    folders = os.environ["PATH"].split(os.pathsep)
    return os.pathsep.join(f for f in folders if not (Path(f) / "go").exists())


PINS = cli.BUILD_SCRIPT.parent / "toolchain.sha256"


def fake_proxy(tmp_path: Path) -> str:
    """Serve, as a file:// module proxy, a Go toolchain zip for every pinned platform that is not Go."""
    folder = tmp_path / "proxy" / "golang.org" / "toolchain" / "@v"
    folder.mkdir(parents=True)
    for line in PINS.read_text().splitlines():
        name = line.split()[1]
        with zipfile.ZipFile(folder / name, "w") as zipped:
            zipped.writestr(f"golang.org/toolchain@{name.removesuffix('.zip')}/bin/go", "#!/bin/sh\nexit 0\n")
    return (tmp_path / "proxy").as_uri()


def fake_old_go(tmp_path: Path) -> Path:
    """Put a `go` that says it is Go 1.19 in a folder, logging its arguments; return the log."""
    folder = tmp_path / "old-go"
    folder.mkdir()
    log = tmp_path / "old-go.log"
    script = folder / "go"
    script.write_text(f'#!/bin/sh\necho "$*" >>{log}\n[ "$*" = "env GOVERSION" ] && echo go1.19.8\nexit 0\n')
    script.chmod(0o755)
    return log


def test_build_without_go_and_an_unreachable_proxy_fails_in_one_line(tmp_path: Path) -> None:
    """Without Go, `make cli` downloads Go from the module proxy; an unreachable one fails in one line."""
    built = run_build(tmp_path, PATH=path_without_go(), GOPROXY="http://127.0.0.1:9,direct")
    assert built.returncode == 1
    [line] = built.stderr.splitlines()
    assert line.startswith("make cli: could not download Go 1.26.8 from http://127.0.0.1:9 (")
    assert line.endswith(
        "check the network or GOPROXY, or install Go 1.26.6 or later, and run make cli again."
    )
    assert "downloading Go 1.26.8 from http://127.0.0.1:9" in built.stdout
    assert not (tmp_path / "go").exists()


def test_build_refuses_a_go_that_does_not_match_its_pin(tmp_path: Path) -> None:
    """A toolchain zip whose sha256 differs from toolchain.sha256's is never unpacked, in one line."""
    proxy = fake_proxy(tmp_path)
    built = run_build(tmp_path, PATH=path_without_go(), GOPROXY=proxy)
    assert built.returncode == 1
    [line] = built.stderr.splitlines()
    assert re.fullmatch(
        f"make cli: Go 1.26.8 from {re.escape(proxy)} does not match its pin in "
        r"tools/pulumi-cli/toolchain\.sha256 \(its sha256 is [0-9a-f]{64}\), so it was not used: "
        r"check GOPROXY and run make cli again\.",
        line,
    )
    assert not (tmp_path / "go").exists() and not (tmp_path / "bin").exists()


def test_build_with_a_go_older_than_go_mod_downloads_go_instead(tmp_path: Path) -> None:
    """A Go older than go.mod's `go` line is asked its version and nothing else: Go is downloaded."""
    log = fake_old_go(tmp_path)
    path = os.pathsep.join([str(tmp_path / "old-go"), path_without_go()])
    built = run_build(tmp_path, PATH=path, GOPROXY=fake_proxy(tmp_path))
    assert built.returncode == 1
    assert "Go 1.26.6 or later is not on PATH; downloading Go 1.26.8" in built.stdout
    assert "does not match its pin" in built.stderr
    assert log.read_text().splitlines() == ["env GOVERSION"]


def test_build_without_go_and_with_goproxy_off_fails_in_one_line(tmp_path: Path) -> None:
    """GOPROXY=off forbids downloading Go: one line says what to install instead."""
    built = run_build(tmp_path, PATH=path_without_go(), GOPROXY="off")
    assert built.returncode == 1
    [line] = built.stderr.splitlines()
    assert line == (
        "make cli: Go 1.26.6 or later is not installed and GOPROXY=off names no module proxy to download "
        "it from: install Go 1.26.6 or later (https://go.dev/dl/) or set GOPROXY, and run make cli again."
    )


def test_build_if_go_without_go_says_so_and_succeeds(tmp_path: Path) -> None:
    """`make test`'s build step, where Go is missing, says the real-CLI tests need it and goes on."""
    built = run_build(tmp_path, "--if-go", PATH=path_without_go())
    assert built.returncode == 0
    assert "real-CLI tests" in built.stdout


@pytest.mark.skipif(shutil.which("go") is None, reason="needs Go to reach the module download")
def test_build_with_an_unreachable_proxy_fails_in_one_line(tmp_path: Path) -> None:
    """A Go module proxy that cannot be reached fails the build with one line naming it."""
    built = run_build(
        tmp_path,
        GOPROXY="http://127.0.0.1:9",
        GOMODCACHE=str(tmp_path / "modcache"),
        GOFLAGS="-modcacherw",
        GOTOOLCHAIN="local",
    )
    assert built.returncode == 1
    [line] = built.stderr.splitlines()
    assert line.startswith("make cli: could not download Pulumi's Go modules from http://127.0.0.1:9")
    assert not (tmp_path / "bin" / "pulumi").exists()


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
    """A stand-in for an automation Stack past the CLI boundary, recording each call."""

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


@pytest.fixture
def fake_stack(monkeypatch: pytest.MonkeyPatch) -> FakeStack:
    """A FakeStack that also records the secret the job sets through the CLI's stdin."""
    stack = FakeStack()

    def set_secret_config(target: Any, key: str, value: str) -> None:
        target.calls.append(("secret", (key, value)))

    def write_provisioning_files(target: Any, out: Any) -> None:
        target.calls.append(("provision", target.name))

    monkeypatch.setattr(job, "set_secret_config", set_secret_config)
    monkeypatch.setattr(job, "write_provisioning_files", write_provisioning_files)
    return stack


def test_job_configures_previews_ups_destroys_and_removes_the_stack(fake_stack: FakeStack) -> None:
    """Past the CLI boundary the job sets config, previews, ups, writes the files, destroys, removes."""
    stack = fake_stack
    printed: list[str] = []
    job.run_job(stack, "ab" * 32, printed.append)  # type: ignore[arg-type]
    assert [name for name, _ in stack.calls] == [
        "config",
        "secret",
        "preview",
        "up",
        "provision",
        "destroy",
        "remove",
    ]
    assert ("provision", job.STACK_NAME) in stack.calls
    assert ("up", False) in stack.calls and ("destroy", False) in stack.calls
    assert ("remove", job.STACK_NAME) in stack.calls
    assert "Previewing update (demo)" in printed and "Updating (demo)" in printed


def test_job_sets_the_key_as_a_secret_and_never_prints_it(fake_stack: FakeStack) -> None:
    """The key is set alone as a secret, not among the plain config; printed outputs never show it."""
    stack = fake_stack
    printed: list[str] = []
    key = "cd" * 32
    outputs = job.run_job(stack, key, printed.append)  # type: ignore[arg-type]
    config = stack.calls[0][1]
    assert ("secret", ("sidewalk:appServerPrivateKey", key)) in stack.calls
    assert "sidewalk:appServerPrivateKey" not in config
    assert not any(v.secret or key in v.value for v in config.values())
    assert outputs["hidden"] == "[secret]"
    assert '  hidden: "[secret]"' in printed
    assert_no_key("\n".join(printed), key)


def test_demo_stack_config_deploys_through_the_harness(
    tmp_path: Path, emulator: Any, iotwireless: Any
) -> None:
    """The config the demo sets, as the CLI stores it (strings), deploys and destroys the real program."""
    # As the demo does before its stack: the Destination its device names exists already.
    iotwireless.create_destination(
        Name=job.DESTINATION_NAME,
        Expression="sidewalk_uplinks",
        ExpressionType="RuleName",
        RoleArn="arn:aws:iam::123456789012:role/sidewalk-demo-destination",
    )
    stack = Stack(tmp_path, emulator_env(emulator.url))
    key = "0f" * 32
    for name, value in job.stack_config().items():
        stack.set_config(name, value.value, secret=value.secret)
    stack.set_config(job.KEY_CONFIG, key, secret=True)
    up = stack.run("up")
    assert up.returncode == 0, up.stderr
    assert up.outputs["amazonId"] == job.AMAZON_ID
    assert up.outputs["region"] == "us-east-1"
    state = stack.state()["resources"][0]["outputs"]
    assert state["tags"] == json.loads(job.stack_config()["sidewalk:tags"].value)
    # The demo's one device, on the fleet's profile, with the stack's tags.
    [(name, device)] = up.outputs["devices"].items()
    assert (name, device["smsn"]) == (job.DEVICE["name"], job.DEVICE["smsn"])
    live = iotwireless.get_wireless_device(Identifier=device["id"], IdentifierType="WirelessDeviceId")
    assert live["Sidewalk"]["DeviceProfileId"] == up.outputs["deviceProfileId"]
    assert live["DestinationName"] == job.DESTINATION_NAME
    destroyed = stack.run("destroy")
    assert destroyed.returncode == 0, destroyed.stderr
    assert emulator.backend.associations() == []
    assert iotwireless.list_wireless_devices()["WirelessDeviceList"] == []
    assert iotwireless.list_device_profiles()["DeviceProfileList"] == []
