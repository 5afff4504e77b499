"""The demo's steps: emulator up, workspace on this project, stack config, preview, up, destroy."""

from __future__ import annotations

import functools
import json
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from demo.cli import BUILT_ROOT, CliUnavailable, pulumi_command
from demo.emulator import EmulatorProcess, seed_destination

__all__ = [
    "AMAZON_ID",
    "AWS_UNSET",
    "DESTINATION_NAME",
    "DEVICE",
    "KEY_CONFIG",
    "PROJECT_ROOT",
    "STACK_NAME",
    "demo_env",
    "main",
    "run_job",
    "set_secret_config",
    "stack_config",
    "workspace_options",
    "write_provisioning_files",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STACK_NAME = "demo"
STATE_DIR = ".pulumi-state"
# Protects nothing but the demo's own throwaway key, in a stack that is removed at the end.
PASSPHRASE = "offline-demo-throwaway-passphrase"
AMAZON_ID = "amzn1.account.DEMO"
KEY_CONFIG = "sidewalk:appServerPrivateKey"
TAGS = {"purpose": "offline-demo", "team": "iot"}
# The one device of the demo's fleet: a made-up SMSN (64 hex digits, as the Sidewalk tools print one).
DEVICE = {"smsn": "5a" * 32, "name": "demo-sensor"}
# Seeded in the emulator before the stack: it stands for a Destination made elsewhere.
DESTINATION_NAME = "demo-uplinks"
# A developer's own profile, session or endpoint must not send the demo to a real account.
AWS_UNSET = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
)

Out = Callable[[str], None]


def backend_url(project: Path) -> str:
    """Return the local file state backend inside the project: no Pulumi Cloud login."""
    return f"file://{project / STATE_DIR}"


def demo_env(project: Path, emulator_url: str) -> dict[str, str]:
    """Return what every CLI command of the demo runs with: local state, the emulator, fake keys."""
    return {
        "PULUMI_BACKEND_URL": backend_url(project),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        # The program needs no plugin beyond the CLI's own (the dynamic provider ships with it), so
        # pulumi-aws in .venv must not make the CLI download the aws plugin: the demo stays offline.
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        # The only line that differs from a real deployment: boto3's own endpoint override.
        "AWS_ENDPOINT_URL_IOT_WIRELESS": emulator_url,
        "AWS_ACCESS_KEY_ID": "AKIDOFFLINEDEMO",
        "AWS_SECRET_ACCESS_KEY": "offline-demo-secret-access-key",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def workspace_options(
    project: Path, env: dict[str, str], command: auto.PulumiCommand
) -> auto.LocalWorkspaceOptions:
    """Describe a local workspace on the project itself, with passphrase secrets."""
    return auto.LocalWorkspaceOptions(
        work_dir=str(project),
        env_vars=env,
        secrets_provider="passphrase",
        pulumi_command=command,
    )


def stack_config() -> dict[str, auto.ConfigValue]:
    """Return the demo stack's plain config; the key, a secret, is set by set_secret_config."""
    return {
        "aws:region": auto.ConfigValue("us-east-1"),
        "sidewalk:amazonId": auto.ConfigValue(AMAZON_ID),
        # The program reads tags with get_object, which takes a JSON string as well as an object.
        "sidewalk:tags": auto.ConfigValue(json.dumps(TAGS)),
        # One device on a device profile, its uplinks to the Destination seeded in the emulator.
        "sidewalk:devices": auto.ConfigValue(json.dumps([DEVICE])),
        "sidewalk:deviceDestinationName": auto.ConfigValue(DESTINATION_NAME),
    }


def _cli_env(workspace: auto.Workspace) -> dict[str, str]:
    """Return the environment the Automation API gives the CLI of a workspace."""
    binary = workspace.pulumi_command.command
    env = {**os.environ, **workspace.env_vars, "PULUMI_AUTOMATION_API": "true"}
    if workspace.pulumi_home:
        env["PULUMI_HOME"] = workspace.pulumi_home
    if os.path.isabs(binary):
        # As the Automation API does: the plugins built beside the CLI come first.
        env["PATH"] = os.pathsep.join([os.path.dirname(binary), env.get("PATH", "")])
    return env


def set_secret_config(stack: auto.Stack, key: str, value: str) -> None:
    """Run `pulumi config set --secret KEY` with the value on its stdin, where `ps` cannot see it.

    The Automation API's set_config and set_all_config pass values as arguments, which any user of
    the machine can read in /proc/*/cmdline; without a value argument the CLI reads stdin instead.
    """
    workspace = stack.workspace
    env = _cli_env(workspace)
    argv = [
        workspace.pulumi_command.command,
        "config",
        "set",
        "--secret",
        key,
        "--stack",
        stack.name,
        "--non-interactive",
    ]
    run = subprocess.run(
        argv, input=value, cwd=workspace.work_dir, env=env, capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        raise auto.CommandError(auto.CommandResult(stdout=run.stdout, stderr=run.stderr, code=run.returncode))


def write_provisioning_files(stack: auto.Stack, out: Out) -> None:
    """Run `python -m provisioning` on the stack into a throwaway folder and print its list of files.

    The command prints names and sizes only; the files, which hold the device's private keys, are
    removed with their folder at the end.
    """
    workspace = stack.workspace
    with tempfile.TemporaryDirectory(prefix="sidewalk-demo-") as folder:
        target = Path(folder) / "provisioning"
        argv = [sys.executable, "-m", "provisioning", "--stack", stack.name, "--out", str(target)]
        out(f"\n== python -m provisioning --stack {stack.name} --out {target}")
        out("   the files the Sidewalk SDK's provision.py reads, by name and size (their content is secret)")
        run = subprocess.run(
            argv, cwd=workspace.work_dir, env=_cli_env(workspace), capture_output=True, text=True, check=False
        )
        if run.returncode != 0:
            raise auto.CommandError(
                auto.CommandResult(stdout=run.stdout, stderr=run.stderr, code=run.returncode)
            )
        for line in run.stdout.splitlines():
            out(f"  {line}")


def run_job(stack: auto.Stack, app_server_private_key: str, out: Out) -> dict[str, Any]:
    """Configure the stack, preview, up, print the outputs, write provisioning files, destroy, remove it."""
    stack.set_all_config(stack_config())
    set_secret_config(stack, KEY_CONFIG, app_server_private_key)
    out("\n== pulumi preview")
    stack.preview(on_output=out)
    out("\n== pulumi up")
    result = stack.up(on_output=out, show_secrets=False)
    outputs = {name: "[secret]" if v.secret else v.value for name, v in sorted(result.outputs.items())}
    out("\n== stack outputs, as another stack reads them through a StackReference")
    for name, value in outputs.items():
        out(f"  {name}: {json.dumps(value)}")
    write_provisioning_files(stack, out)
    out("\n== pulumi destroy")
    stack.destroy(on_output=out, show_secrets=False)
    stack.workspace.remove_stack(stack.name)
    out(f"\n== stack {stack.name} removed")
    return outputs


def _open_stack(options: auto.LocalWorkspaceOptions) -> auto.Stack:
    """Create the demo stack, first removing one an interrupted run left behind."""
    workspace = auto.LocalWorkspace(
        work_dir=options.work_dir,
        env_vars=options.env_vars,
        secrets_provider=options.secrets_provider,
        pulumi_command=options.pulumi_command,
    )
    if any(summary.name == STACK_NAME for summary in workspace.list_stacks()):
        # Its resources lived in an emulator that has since stopped.
        workspace.remove_stack(STACK_NAME, force=True)
    return auto.Stack.create(STACK_NAME, workspace)


def main(project: Path = PROJECT_ROOT) -> int:
    """Run the demo and answer 0, or 1 after saying in one line what failed."""
    out: Out = functools.partial(print, flush=True)
    for name in AWS_UNSET:
        os.environ.pop(name, None)
    with EmulatorProcess(project) as emulator:
        out(f"IoT Wireless emulator listening at {emulator.url}")
        env = demo_env(project, emulator.url)
        seed_destination(emulator.url, env, DESTINATION_NAME)
        out(
            f"Destination {DESTINATION_NAME} created in the emulator with boto3: it stands for one made "
            "elsewhere (by the integration, sidewalk:integration, on AWS)"
        )
        try:
            command = pulumi_command(BUILT_ROOT)
        except CliUnavailable as err:
            print(err, file=sys.stderr, flush=True)
            return 1
        (project / STATE_DIR).mkdir(exist_ok=True)
        options = workspace_options(project, env, command)
        try:
            stack = _open_stack(options)
            # A fresh throwaway key each run: never a real one.
            run_job(stack, secrets.token_hex(32), out)
        except auto.CommandError as err:
            # The CLI's own account is above; its last line is the error it ended with.
            last = next((line.strip() for line in reversed(str(err).splitlines()) if line.strip()), "")
            print(f"make demo: a Pulumi command failed ({last}); see its output above.", file=sys.stderr)
            return 1
    return 0
