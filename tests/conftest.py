"""Shared fixtures; the IoT Wireless emulator's come first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config

from tests.emulator import Emulator
from tests.engine.engine import Engine
from tests.engine.provider import ProviderProcess
from tests.support import KEY, STACK_AMAZON_ID, Stack, emulator_env

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

REGION = "us-east-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
# Boto3's max_attempts counts retries, not attempts: total_max_attempts=1 means no retry.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    """One emulator for the whole session; use `emulator` for a clean one per test."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_server: Emulator) -> Iterator[Emulator]:
    """The session emulator with fresh state, settings, faults and log for this test."""
    emulator_server.reset()
    yield emulator_server
    # Also wakes any request a test left hanging.
    emulator_server.reset()


@pytest.fixture
def make_iotwireless(emulator: Emulator) -> Iterator[Callable[..., IoTWirelessClient]]:
    """A factory of boto3 IoT Wireless clients for the emulator, closed after the test."""
    clients: list[IoTWirelessClient] = []

    def make(
        endpoint_url: str | None = None,
        region: str = REGION,
        access_key: str = ACCESS_KEY,
        secret_key: str = SECRET_KEY,
        config: Config = NO_RETRIES,
        **kwargs: Any,
    ) -> IoTWirelessClient:
        client = boto3.client(
            "iotwireless",
            region_name=region,
            endpoint_url=endpoint_url or emulator.url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
            **kwargs,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def iotwireless(make_iotwireless: Callable[..., IoTWirelessClient]) -> IoTWirelessClient:
    """A boto3 IoT Wireless client for the emulator in us-east-1, without retries."""
    return make_iotwireless()


# The engine harness: the real provider process pointed at the emulator.


@pytest.fixture
def provider(emulator: Emulator) -> Iterator[ProviderProcess]:
    """A `python -m pulumi.dynamic` server whose boto3 talks to the emulator."""
    with ProviderProcess(emulator_env(emulator.url)) as process:
        yield process


@pytest.fixture
def engine(provider: ProviderProcess) -> Engine:
    """An engine with an empty checkpoint for a stack whose `aws:region` is us-east-1."""
    return Engine(provider, {"aws:region": REGION})


@pytest.fixture
def stack(tmp_path: Path, emulator: Emulator) -> Stack:
    """A stack of the real program configured as the README says, state in a temporary folder."""
    stack = Stack(tmp_path, emulator_env(emulator.url))
    stack.set_config("aws:region", REGION)
    stack.set_config("sidewalk:amazonId", STACK_AMAZON_ID)
    stack.set_config("sidewalk:appServerPrivateKey", KEY, secret=True)
    stack.set_config("sidewalk:tags", {"team": "iot"})
    return stack
