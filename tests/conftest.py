"""Shared fixtures; the IoT Wireless emulator's come first. Also: the machine check and serial tests."""

from __future__ import annotations

import compileall
import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config

from demo.cli import at_hand
from tests.cli.project import PulumiProject
from tests.emulator import Emulator
from tests.engine.engine import Engine
from tests.engine.provider import PROJECT_ROOT, ProviderProcess
from tests.support import KEY, STACK_AMAZON_ID, Stack, Turns, emulator_env, machine_gaps

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

REGION = "us-east-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
# Boto3's max_attempts counts retries, not attempts: total_max_attempts=1 means no retry.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
# .ci/run sets this: there a missing CLI is a failure, never a skip.
REQUIRE_CLI = "SIDEWALK_REQUIRE_PULUMI_CLI"
# The marker of a test that cannot share the machine with others (timing bounds, ptys, signals).
SERIAL = "serial"
# The marker of a test that takes a minute or more: run first, in parallel with the short ones.
LONG = "long"
# The folder of the locks by which xdist's workers take turns, which the controller hands each worker.
TURNS = "sidewalk_turns"
_turns_folder = pytest.StashKey[Path]()
# The project's packages, which every program, provider server and harness process a test starts
# imports again: compiled once per session, their bytecode is read instead of compiled in each of
# them, also where PYTHONDONTWRITEBYTECODE keeps Python from writing it itself.
COMPILED_PACKAGES = ("providers", "components", "tests", "bench", "demo", "provisioning", "policy")
# On a worker: the turn it holds, from one test to the next while they are serial.
_turn_held = pytest.StashKey[contextlib.ExitStack]()


def pytest_configure(config: pytest.Config) -> None:
    """Stop at once, in one line, on a machine the tests cannot run on; set up the serial tests' turns."""
    gaps = machine_gaps()
    if gaps is not None:
        raise pytest.UsageError(gaps)
    if not hasattr(config, "workerinput"):
        config.stash[_turns_folder] = Path(tempfile.mkdtemp(prefix="sidewalk-turns-"))
        for package in COMPILED_PACKAGES:
            compileall.compile_dir(PROJECT_ROOT / package, quiet=1)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the turns' folder this process made."""
    folder = config.stash.get(_turns_folder, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell an xdist worker where the turns' locks are."""
    node.workerinput[TURNS] = str(node.config.stash[_turns_folder])


def is_serial(item: pytest.Item | None) -> bool:
    """Say whether a test is marked serial."""
    return item is not None and item.get_closest_marker(SERIAL) is not None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the long tests first and the serial ones last, the serial ones on one worker, back to back.

    xdist hands tests out in this order (--dist loadgroup): a long test started last would end the
    run alone, and a serial test started early would hold every worker while long tests finish.
    """
    for item in items:
        if is_serial(item):
            item.add_marker(pytest.mark.xdist_group(SERIAL))
    items.sort(key=lambda item: 2 if is_serial(item) else 0 if item.get_closest_marker(LONG) else 1)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """Under xdist, run a test marked serial while no other test runs, and others side by side."""
    workerinput = getattr(item.config, "workerinput", None)
    if workerinput is None:
        return (yield)
    held = item.config.stash.get(_turn_held, None)
    if held is None:
        held = contextlib.ExitStack()
        held.enter_context(Turns(Path(workerinput[TURNS])).hold(alone=is_serial(item)))
        item.config.stash[_turn_held] = held
    try:
        return (yield)
    finally:
        # A serial test keeps the machine for the serial test that follows it on this worker.
        if not (is_serial(item) and is_serial(nextitem)):
            del item.config.stash[_turn_held]
            held.close()


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


# The real `pulumi` CLI, for the tests of tests/cli and any other that runs it.


@pytest.fixture(scope="session")
def cli_bin() -> Path:
    """Return the folder of the real `pulumi` (on PATH if recent enough, else `make cli`'s build)."""
    command = at_hand()
    if command is None:
        message = (
            "no Pulumi CLI 3.272+ on PATH and none built: run `make cli` (needs Go 1.26+) "
            "to run the real-CLI tests"
        )
        if os.environ.get(REQUIRE_CLI):
            pytest.fail(message)
        pytest.skip(message)
    return Path(command.command).parent


@pytest.fixture
def make_project(tmp_path: Path, cli_bin: Path, emulator: Emulator) -> Callable[..., PulumiProject]:
    """Return a factory of project folders sharing this test's emulator."""
    count = 0

    def make(**env: str | None) -> PulumiProject:
        nonlocal count
        count += 1
        return PulumiProject(tmp_path / f"project-{count}", cli_bin, emulator.url, env)

    return make


@pytest.fixture(scope="session")
def configured_stack(tmp_path_factory: pytest.TempPathFactory, cli_bin: Path) -> PulumiProject:
    """Return a stack of the real program configured as the README says, made once per test process.

    Setting config calls no AWS API: the emulator's address is one nothing listens on.
    """
    configured = PulumiProject(tmp_path_factory.mktemp("configured"), cli_bin, "http://127.0.0.1:9").init()
    configured.config_set("aws:region", REGION)
    configured.config_set("sidewalk:amazonId", STACK_AMAZON_ID)
    configured.config_set("sidewalk:appServerPrivateKey", KEY, secret=True)
    configured.config_set("sidewalk:tags", {"team": "iot"})
    return configured


@pytest.fixture
def project(make_project: Callable[..., PulumiProject], configured_stack: PulumiProject) -> PulumiProject:
    """Return a new stack of the real program, configured as the README says, not yet deployed."""
    return make_project().copy_stack(configured_stack)


@pytest.fixture(scope="session")
def deployed_stack(
    tmp_path_factory: pytest.TempPathFactory,
    cli_bin: Path,
    emulator_server: Emulator,
    configured_stack: PulumiProject,
) -> tuple[PulumiProject, dict[str, Any]]:
    """Return the configured stack after its first `pulumi up`, and the emulator's state after it.

    Made once per test process: `deployed` hands each test a copy of both, in place of its own `up`.
    """
    emulator_server.reset()
    folder = tmp_path_factory.mktemp("deployed")
    deployed = PulumiProject(folder, cli_bin, emulator_server.url).copy_stack(configured_stack)
    deployed.run("up", "--yes", "--skip-preview")
    return deployed, emulator_server.backend.snapshot()


@pytest.fixture
def deployed(
    make_project: Callable[..., PulumiProject],
    emulator: Emulator,
    deployed_stack: tuple[PulumiProject, dict[str, Any]],
) -> PulumiProject:
    """Return a new stack of the real program as its first `pulumi up` left it, the request log empty.

    Its state and the emulator's are copies of what one real `up` made (`deployed_stack`).
    """
    template, state = deployed_stack
    emulator.backend.restore(state)
    return make_project().copy_stack(template)
