"""The demo's steps: emulator up, workspace on this project, stack config, preview, up, destroy."""

from __future__ import annotations

import functools
import json
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from demo.cli import BUILT_ROOT, CliUnavailable, pulumi_command
from demo.emulator import EmulatorProcess

__all__ = [
    "AMAZON_ID",
    "AWS_UNSET",
    "PROJECT_ROOT",
    "STACK_NAME",
    "demo_env",
    "main",
    "run_job",
    "stack_config",
    "workspace_options",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STACK_NAME = "demo"
STATE_DIR = ".pulumi-state"
# Protects nothing but the demo's own throwaway key, in a stack that is removed at the end.
PASSPHRASE = "offline-demo-throwaway-passphrase"
AMAZON_ID = "amzn1.account.DEMO"
TAGS = {"purpose": "offline-demo", "team": "iot"}
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


def stack_config(app_server_private_key: str) -> dict[str, auto.ConfigValue]:
    """Return the `pulumi config set` of the demo stack; the key is set as a secret."""
    return {
        "aws:region": auto.ConfigValue("us-east-1"),
        "sidewalk:amazonId": auto.ConfigValue(AMAZON_ID),
        "sidewalk:appServerPrivateKey": auto.ConfigValue(app_server_private_key, secret=True),
        # The program reads tags with get_object, which takes a JSON string as well as an object.
        "sidewalk:tags": auto.ConfigValue(json.dumps(TAGS)),
    }


def run_job(stack: auto.Stack, app_server_private_key: str, out: Out) -> dict[str, Any]:
    """Configure the stack, preview, up, print the outputs, destroy and remove it."""
    stack.set_all_config(stack_config(app_server_private_key))
    out("\n== pulumi preview")
    stack.preview(on_output=out)
    out("\n== pulumi up")
    result = stack.up(on_output=out, show_secrets=False)
    outputs = {name: "[secret]" if v.secret else v.value for name, v in sorted(result.outputs.items())}
    out("\n== stack outputs, as another stack reads them through a StackReference")
    for name, value in outputs.items():
        out(f"  {name}: {json.dumps(value)}")
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
        try:
            command = pulumi_command(BUILT_ROOT)
        except CliUnavailable as err:
            print(err, file=sys.stderr, flush=True)
            return 1
        (project / STATE_DIR).mkdir(exist_ok=True)
        options = workspace_options(project, demo_env(project, emulator.url), command)
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
