"""A dead endpoint fails fast: bounded timeouts, standard retries kept, one sentence naming the operation."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from botocore.exceptions import BotoCoreError, ConnectTimeoutError, ReadTimeoutError
from botocore.retries.standard import ExponentialBackoff

from providers import _aws
from tests.engine.engine import Engine, EngineError
from tests.engine.provider import ProviderProcess
from tests.operations import ASSOCIATE
from tests.support import KEY, emulator_env, partner_account

# What the provider may spend on a dead endpoint, leaving the CLI a few seconds of the 30 a person waits.
PROVIDER_BUDGET_SECONDS = 26
# A slow but live AWS answer that must still get through on its first attempt.
SLOW_ANSWER_SECONDS = 3
AWS_ENDPOINT = "https://api.iotwireless.us-east-1.amazonaws.com"


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """Return the URL of a port whose connections the kernel completes and nothing ever reads or answers."""
    # Every attempt opens a new connection; the backlog holds them all without an accept.
    with socket.create_server(("127.0.0.1", 0), backlog=_aws.MAX_ATTEMPTS * 2) as server:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_timeouts_bound_a_dead_endpoint_yet_wait_for_a_slow_answer() -> None:
    """Attempts, timeouts and backoffs bound a dead endpoint within the budget, yet wait out a 3 s answer."""
    config = _aws._client_config()
    assert config.retries == {"mode": "standard", "total_max_attempts": _aws.MAX_ATTEMPTS}
    # botocore's longest backoff after a timeout (not throttling) is its base scale * 2**i for attempt i.
    scale = ExponentialBackoff._DEFAULT_BACKOFF_CONFIG["non_throttling_base_scale"]
    backoffs = sum(scale * 2**i for i in range(_aws.MAX_ATTEMPTS - 1))
    worst = _aws.MAX_ATTEMPTS * (config.connect_timeout + config.read_timeout) + backoffs
    assert worst <= PROVIDER_BUDGET_SECONDS
    assert config.read_timeout > SLOW_ANSWER_SECONDS


@pytest.mark.parametrize(
    "timeout",
    [
        pytest.param(ReadTimeoutError(endpoint_url=f"{AWS_ENDPOINT}/partner-accounts/{KEY}"), id="read"),
        pytest.param(
            ConnectTimeoutError(endpoint_url=f"{AWS_ENDPOINT}/partner-accounts?key={KEY}"), id="connect"
        ),
    ],
)
def test_timeout_sentence_names_the_operation_and_endpoint_never_the_key(timeout: BotoCoreError) -> None:
    """A timeout becomes one sentence: operation, account, region, endpoint, what to do; never the key."""
    with (
        pytest.raises(_aws.PartnerAccountError) as exc,
        _aws.translated(ASSOCIATE, "amzn1.account.EXAMPLE", "us-east-1"),
    ):
        raise timeout
    assert str(exc.value) == (
        f"{ASSOCIATE} failed for Sidewalk account 'amzn1.account.EXAMPLE' in us-east-1: the endpoint "
        f"{AWS_ENDPOINT} did not answer in time ({_aws.MAX_ATTEMPTS} attempts, each allowed "
        f"{_aws.CONNECT_TIMEOUT_SECONDS:g} s to connect and {_aws.READ_TIMEOUT_SECONDS:g} s to answer); "
        "check the network and any AWS_ENDPOINT_URL setting, then run the command again."
    )


@pytest.mark.serial
def test_create_against_a_silent_endpoint_fails_within_the_budget(silent_endpoint: str) -> None:
    """The provider process gives up on a port that never answers after its attempts, in one sentence."""
    with ProviderProcess(emulator_env(silent_endpoint)) as provider:
        engine = Engine(provider, {"aws:region": "us-east-1"})
        started = time.monotonic()
        with pytest.raises(EngineError) as exc:
            engine.up([partner_account()], skip_preview=True)
        elapsed = time.monotonic() - started
    print(f"seconds to fail: {elapsed:.1f}")  # a figure for the reliability report (-rP)
    # Not faster than the attempts' read timeouts: the standard retries are kept, not cut short.
    assert _aws.MAX_ATTEMPTS * _aws.READ_TIMEOUT_SECONDS <= elapsed < PROVIDER_BUDGET_SECONDS
    assert exc.value.op == "create"
    last_line = exc.value.message.strip().splitlines()[-1]
    assert last_line.startswith(
        f"providers._aws.PartnerAccountError: {ASSOCIATE} failed for Sidewalk account "
        f"'amzn1.account.sidewalk' in us-east-1: the endpoint {silent_endpoint} did not answer in time"
    )
    assert "ReadTimeoutError" not in exc.value.message
    assert KEY not in exc.value.message
