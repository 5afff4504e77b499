"""`python -m provisioning --stack STACK --out FOLDER`: write every device's provisioning files.

It reads the stack with `pulumi stack export --show-secrets` (the backend, passphrase and stack are
the CLI's, as for any `pulumi` command run in the project folder), and prints only the files' names
and sizes: the export and the files hold the devices' private keys, and nothing here prints them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from demo.cli import at_hand
from provisioning import ProvisioningError, documents, write_files

# Generous: a stack export of a large fleet from a remote backend.
_EXPORT_TIMEOUT_SECONDS = 300


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m provisioning",
        description=(
            "Write, for each Sidewalk device of a stack, the device_profile.json and wireless_device.json "
            "that the Sidewalk SDK's provision.py reads, into OUT/<device name>/ (files 0600, folders 0700)."
        ),
    )
    parser.add_argument("--stack", required=True, help="the stack whose devices to write, as `pulumi -s`")
    parser.add_argument(
        "--out", type=Path, default=Path("build/provisioning"), help="the folder (default build/provisioning)"
    )
    parser.add_argument(
        "--cwd", type=Path, default=Path("."), help="the project folder (default: the current folder)"
    )
    return parser


def export_stack(stack: str, cwd: Path) -> dict[str, Any]:
    """Return `pulumi stack export --show-secrets` of a stack; raise with the CLI's last error line."""
    command = at_hand()
    if command is None:
        raise ProvisioningError("no Pulumi CLI 3.272+ on PATH and none built: run `make cli` or install it")
    run = subprocess.run(
        [command.command, "stack", "export", "--show-secrets", "--stack", stack, "--non-interactive"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=_EXPORT_TIMEOUT_SECONDS,
        check=False,
    )
    if run.returncode != 0:
        # Only stderr: stdout is the export itself, secrets and all, should the CLI have printed any.
        last = next((line.strip() for line in reversed(run.stderr.splitlines()) if line.strip()), "")
        raise ProvisioningError(f"`pulumi stack export` of stack {stack!r} failed ({last})")
    export: dict[str, Any] = json.loads(run.stdout)
    return export


def main(argv: list[str] | None = None) -> int:
    """Write the files and list them; answer 0, or 1 after one line saying what failed."""
    args = _parser().parse_args(argv)
    # Whatever this process creates is its user's alone, the files' folders included.
    os.umask(0o077)
    try:
        folders = documents(export_stack(args.stack, args.cwd))
        if not folders:
            print(f"stack {args.stack} holds no Sidewalk device: no file written")
            return 0
        out = args.out if args.out.is_absolute() else args.cwd / args.out
        for path in write_files(out, folders):
            print(f"{path.relative_to(out)}  {path.stat().st_size} bytes")
    except (ProvisioningError, OSError, subprocess.SubprocessError) as err:
        print(f"python -m provisioning: {err}", file=sys.stderr)
        return 1
    print(f"{len(folders)} device(s) written to {out} (files 0600, folders 0700): keep them private")
    return 0


if __name__ == "__main__":
    sys.exit(main())
