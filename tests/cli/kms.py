"""AWS KMS on a local moto server, which encrypts the secrets of most real-CLI tests' stacks.

A passphrase costs every `pulumi` command 1,000,000 rounds of PBKDF2 to derive its key (about 0.2 s of
CPU, a third of a short command's), and the suite runs thousands of commands. An `awskms://` secrets
provider, the team recipe of the README, costs one Decrypt call instead. The tests of what the
passphrase path does (README, demo, install, the secret sweeps, the team backend) keep a passphrase.

moto runs in a process of its own: in this process it would share its state with the team backend's
moto server, whose reset would take the key away.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager

import boto3

from tests.cli.project import Secrets, wait_until
from tests.support import emulator_env

__all__ = ["local_kms"]

HOST = "127.0.0.1"
REGION = "us-east-1"
ALIAS = "alias/pulumi-sidewalk-tests"


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with closing(socket.socket()) as probe:
        return probe.connect_ex((HOST, port)) == 0


@contextmanager
def local_kms() -> Iterator[Secrets]:
    """Serve KMS with one key under ALIAS; yield the secrets settings of stacks encrypted with it."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: server.poll() is not None or _listening(port), "moto's KMS to listen")
        if server.poll() is not None:
            raise RuntimeError(f"moto's server exited with {server.returncode} before listening")
        endpoint = f"http://{HOST}:{port}"
        credentials = emulator_env(endpoint)
        kms = boto3.client(
            "kms",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        )
        with closing(kms):
            key = kms.create_key(Description="secrets of the tests' stacks")["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=ALIAS, TargetKeyId=key)
        yield Secrets(
            provider=f"awskms://{ALIAS}?region={REGION}",
            env={"AWS_ENDPOINT_URL_KMS": endpoint, "PULUMI_CONFIG_PASSPHRASE": None},
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
