"""Fault injection, in process and through the control endpoint."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from tests.emulator import Emulator, EmulatorClient
from tests.operations import ASSOCIATE, LIST

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

KEY = "0123456789abcdef" * 4
AMAZON_ID = "amzn1.account.AEXAMPLE"


def associate(client: IoTWirelessClient) -> dict[str, Any]:
    """Link AMAZON_ID with KEY."""
    return dict(
        client.associate_aws_account_with_partner_account(
            Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY}
        )
    )


def associated(client: IoTWirelessClient) -> list[str]:
    """List the AmazonIds of the account."""
    return [item["AmazonId"] for item in client.list_partner_accounts()["Sidewalk"]]


def with_retries(make_iotwireless: Callable[..., IoTWirelessClient], attempts: int) -> Any:
    """Return a client that lets boto3 retry up to attempts in all."""
    return make_iotwireless(config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}))


@pytest.mark.parametrize(
    ("code", "status"),
    [
        pytest.param("ThrottlingException", 429, id="throttling"),
        pytest.param("InternalServerException", 500, id="internal"),
    ],
)
def test_fail_next_answers_the_fault(
    emulator: Emulator, iotwireless: IoTWirelessClient, code: str, status: int
) -> None:
    """Fail_next makes the next request fail with the modelled error and its status."""
    emulator.faults.fail_next(1, code)
    with pytest.raises(ClientError) as exc:
        iotwireless.list_partner_accounts()
    assert exc.value.response["Error"]["Code"] == code
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert isinstance(exc.value, getattr(iotwireless.exceptions, code))
    assert associated(iotwireless) == []


def test_fail_next_is_retried_by_boto3(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """Boto3's standard retries get through two throttled attempts; the log counts all three."""
    emulator.faults.fail_next(2)
    client = with_retries(make_iotwireless, 3)
    assert client.list_partner_accounts()["ResponseMetadata"]["RetryAttempts"] == 2
    assert emulator.calls() == [LIST] * 3
    assert [entry["faulted"] for entry in emulator.log] == [True, True, False]
    assert [entry["status"] for entry in emulator.log] == [429, 429, 200]


def test_fail_next_beyond_retries_raises(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """More faults than boto3 attempts surface as the fault's error."""
    emulator.faults.fail_next(3, "InternalServerException")
    client = with_retries(make_iotwireless, 2)
    with pytest.raises(client.exceptions.InternalServerException):
        client.list_partner_accounts()
    assert emulator.calls() == [LIST] * 2


def test_fail_fraction_is_reproducible_per_seed(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """The same seed fails the same requests; some fail and some do not."""

    def pattern(seed: int) -> list[bool]:
        emulator.clear_log()
        emulator.faults.fail_fraction(0.5, seed=seed)
        for _ in range(20):
            with contextlib.suppress(iotwireless.exceptions.ThrottlingException):
                iotwireless.list_partner_accounts()
        return [entry["faulted"] for entry in emulator.log]

    first = pattern(7)
    assert pattern(7) == first
    assert pattern(8) != first
    assert 0 < sum(first) < 20


def test_latency_delays_each_request(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """Set_latency delays every request by at least that long."""
    emulator.faults.set_latency(0.2)
    started = time.perf_counter()
    iotwireless.list_partner_accounts()
    iotwireless.list_partner_accounts()
    assert time.perf_counter() - started >= 0.4


@pytest.mark.serial
def test_clear_removes_faults_and_latency(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """Clear leaves no fault and no latency behind."""
    emulator.faults.fail_next(5)
    emulator.faults.set_latency(5.0)
    emulator.faults.clear()
    started = time.perf_counter()
    assert associated(iotwireless) == []
    assert time.perf_counter() - started < 2.0


def test_fail_after_commit_applies_then_answers_500(
    emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """Fail_after_commit associates, then answers InternalServerException."""
    emulator.faults.fail_after_commit(ASSOCIATE)
    with pytest.raises(iotwireless.exceptions.InternalServerException):
        associate(iotwireless)
    assert associated(iotwireless) == [AMAZON_ID]
    assert (emulator.log[0]["status"], emulator.log[0]["faulted"]) == (500, True)


def test_retry_after_fail_after_commit_gets_the_original_answer(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """Boto3 retries with the same token, so a lost answer is replayed, not a conflict."""
    emulator.faults.fail_after_commit(ASSOCIATE)
    client = with_retries(make_iotwireless, 2)
    assert associate(client)["Arn"].endswith(f"SidewalkAccount/{AMAZON_ID}")
    assert emulator.calls() == [ASSOCIATE, ASSOCIATE]
    assert associated(client) == [AMAZON_ID]


def test_fail_after_commit_waits_for_a_call_that_succeeds(
    emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A refused call does not use up fail_after_commit; the next successful one does."""
    associate(iotwireless)
    emulator.faults.fail_after_commit(ASSOCIATE)
    with pytest.raises(iotwireless.exceptions.ConflictException):
        associate(iotwireless)
    iotwireless.disassociate_aws_account_from_partner_account(
        PartnerAccountId=AMAZON_ID, PartnerType="Sidewalk"
    )
    with pytest.raises(iotwireless.exceptions.InternalServerException):
        associate(iotwireless)
    assert [entry["status"] for entry in emulator.log] == [200, 409, 204, 500]


def test_hang_after_commit_applies_while_the_client_gives_up(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """Hang_after_commit associates and then holds the answer back past the client's timeout."""
    emulator.faults.hang_after_commit(ASSOCIATE, seconds=60)
    impatient = make_iotwireless(
        config=Config(read_timeout=0.3, retries={"total_max_attempts": 1, "mode": "standard"})
    )
    with pytest.raises(ReadTimeoutError):
        associate(impatient)
    assert associated(make_iotwireless()) == [AMAZON_ID]


def test_bad_fault_settings_are_refused(emulator: Emulator) -> None:
    """Unknown codes, negative counts and unknown operations are refused."""
    with pytest.raises(ValueError, match="code must be one of"):
        emulator.faults.fail_next(1, "ValidationException")
    with pytest.raises(ValueError, match="n must be at least 0"):
        emulator.faults.fail_next(-1)
    with pytest.raises(ValueError, match="operation must be one of"):
        emulator.faults.fail_after_commit("CreateFuotaTask")


def test_control_fail_next(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """The control endpoint's fail_next fails the next API request."""
    EmulatorClient(emulator.url).fail_next(1, "InternalServerException")
    with pytest.raises(iotwireless.exceptions.InternalServerException):
        iotwireless.list_partner_accounts()
    assert associated(iotwireless) == []


def test_control_fail_fraction(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """The control endpoint's fail_fraction of 1 throttles every request."""
    control = EmulatorClient(emulator.url)
    control.fail_fraction(1.0, seed=3)
    for _ in range(3):
        with pytest.raises(iotwireless.exceptions.ThrottlingException):
            iotwireless.list_partner_accounts()
    control.clear_faults()
    assert associated(iotwireless) == []


def test_control_latency(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """The control endpoint's latency delays requests."""
    EmulatorClient(emulator.url).set_latency(0.2)
    started = time.perf_counter()
    iotwireless.list_partner_accounts()
    assert time.perf_counter() - started >= 0.2


def test_control_fail_after_commit(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """The control endpoint's fail_after_commit commits then answers 500."""
    EmulatorClient(emulator.url).fail_after_commit(ASSOCIATE)
    with pytest.raises(iotwireless.exceptions.InternalServerException):
        associate(iotwireless)
    assert associated(iotwireless) == [AMAZON_ID]


def test_control_hang_after_commit(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """The control endpoint's hang_after_commit commits then holds the answer back."""
    EmulatorClient(emulator.url).hang_after_commit(ASSOCIATE, seconds=60)
    impatient = make_iotwireless(
        config=Config(read_timeout=0.3, retries={"total_max_attempts": 1, "mode": "standard"})
    )
    with pytest.raises(ReadTimeoutError):
        associate(impatient)
    assert associated(make_iotwireless()) == [AMAZON_ID]


def test_control_refuses_unknown_fault(emulator: Emulator) -> None:
    """The control endpoint refuses settings it does not know."""
    control = EmulatorClient(emulator.url)
    with pytest.raises(RuntimeError, match="unknown fault settings"):
        control.request("POST", "faults", {"drop": 1})
    with pytest.raises(RuntimeError, match="code must be one of"):
        control.fail_next(1, "ValidationException")


def test_reset_keeps_a_straddling_request_out_of_the_new_log(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """A request hanging across reset() is woken, answered, and not logged after the reset."""
    emulator.faults.hang_after_commit(ASSOCIATE, seconds=60)
    client = make_iotwireless()
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(associate, client)
        deadline = time.monotonic() + 10
        while not emulator.backend.associations() and time.monotonic() < deadline:
            time.sleep(0.01)
        emulator.reset()
        assert answer.result(timeout=10)["Arn"].endswith(AMAZON_ID)
    assert emulator.log == []
