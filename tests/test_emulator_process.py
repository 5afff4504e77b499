"""`python -m tests.emulator` on its own: readiness line, clean signals, state across restarts."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.emulator import EmulatorClient

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

ROOT = Path(__file__).resolve().parent.parent
KEY = "0123456789abcdef" * 4
AMAZON_ID = "amzn1.account.AEXAMPLE"


@contextlib.contextmanager
def emulator_process(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run the emulator alone and yield it with the URL of its first line."""
    command = [sys.executable, "-m", "tests.emulator", "--port", "0", *args]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            yield process, url
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def stop(process: subprocess.Popen[str], signum: int) -> int:
    """Send signum and return the exit code."""
    process.send_signal(signum)
    return process.wait(timeout=10)


def test_first_line_is_the_base_url() -> None:
    """The first line on stdout is http://127.0.0.1:PORT, and the emulator answers there."""
    with emulator_process() as (process, url):
        host, _, port = url.removeprefix("http://").partition(":")
        assert (host, port.isdigit()) == ("127.0.0.1", True)
        assert EmulatorClient(url).state() == {"associations": []}
        stop(process, signal.SIGTERM)


@pytest.mark.parametrize(
    "signum",
    [pytest.param(signal.SIGTERM, id="sigterm"), pytest.param(signal.SIGINT, id="sigint")],
)
def test_signal_stops_cleanly(signum: int) -> None:
    """SIGTERM and SIGINT stop the emulator with exit code 0 and nothing more on stdout."""
    with emulator_process() as (process, _):
        assert stop(process, signum) == 0
        assert process.stdout is not None
        assert process.stdout.read() == ""


def test_state_survives_restart(tmp_path: Path, make_iotwireless: Callable[..., IoTWirelessClient]) -> None:
    """With --state, an association made before a restart is there after it."""
    state = tmp_path / "state.json"
    with emulator_process("--state", str(state)) as (process, url):
        client = make_iotwireless(url)
        arn = client.associate_aws_account_with_partner_account(
            Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY},
            Tags=[{"Key": "team", "Value": "a"}],
        )["Arn"]
        assert stop(process, signal.SIGTERM) == 0
    with emulator_process("--state", str(state)) as (process, url):
        client = make_iotwireless(url)
        answer = client.get_partner_account(PartnerAccountId=AMAZON_ID, PartnerType="Sidewalk")
        assert answer["Sidewalk"]["Arn"] == arn
        assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
        assert stop(process, signal.SIGTERM) == 0
    assert [path.name for path in tmp_path.iterdir()] == ["state.json"]


def test_state_survives_a_kill(tmp_path: Path, make_iotwireless: Callable[..., IoTWirelessClient]) -> None:
    """The state file is written on each change, so even SIGKILL loses nothing answered."""
    state = tmp_path / "state.json"
    with emulator_process("--state", str(state)) as (process, url):
        make_iotwireless(url).associate_aws_account_with_partner_account(
            Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY}
        )
        process.kill()
    with emulator_process("--state", str(state)) as (process, url):
        assert [a["AmazonId"] for a in EmulatorClient(url).state()["associations"]] == [AMAZON_ID]
        assert stop(process, signal.SIGTERM) == 0


def test_access_key_option_checks_signatures(
    make_iotwireless: Callable[..., IoTWirelessClient],
) -> None:
    """With --access-key and --secret-key, a request signed with another secret is refused."""
    with emulator_process("--access-key", "AKIDONE", "--secret-key", "secret-one") as (
        process,
        url,
    ):
        good = make_iotwireless(url, access_key="AKIDONE", secret_key="secret-one")
        assert good.list_partner_accounts()["Sidewalk"] == []
        bad = make_iotwireless(url, access_key="AKIDONE", secret_key="secret-two")
        with pytest.raises(ClientError) as exc:
            bad.list_partner_accounts()
        assert exc.value.response["Error"]["Code"] == "InvalidSignatureException"
        assert stop(process, signal.SIGTERM) == 0
