"""An endpoint that never answers, through the real CLI: `pulumi up` gives up within 30 s in one sentence."""

from __future__ import annotations

import time

import pytest

from tests.cli.project import PulumiProject
from tests.emulator import Emulator
from tests.operations import ASSOCIATE, CREATE_CALLS
from tests.support import KEY, STACK_AMAZON_ID, assert_no_key

# What a person waits, at most, for `pulumi up` to give up on an endpoint that never answers.
DEAD_ENDPOINT_BUDGET_SECONDS = 30
# Far past any timeout of the provider: only the emulator's reset at the end of the test ends it.
NEVER_SECONDS = 600
# A slow but live AWS: each answer takes a few seconds.
SLOW_SECONDS = 3
ERROR_PREFIX = "providers._aws.PartnerAccountError: "


def error_sentence(output: str) -> str:
    """Return the provider's error sentence from a failed command's output."""
    lines = [line for line in output.splitlines() if ERROR_PREFIX in line]
    [sentence] = {line.split(ERROR_PREFIX, 1)[1].strip() for line in lines}
    return sentence


@pytest.mark.serial
def test_up_against_an_endpoint_that_never_answers_fails_within_30_seconds(
    project: PulumiProject, emulator: Emulator
) -> None:
    """Every request is taken and never answered: `pulumi up` fails in time, saying so in one sentence."""
    emulator.faults.set_latency(NEVER_SECONDS)
    started = time.monotonic()
    failed = project.run("up", "--yes", "--skip-preview", check=False)
    elapsed = time.monotonic() - started
    print(f"seconds to fail: {elapsed:.1f}")  # a figure for the reliability report (-rP)
    assert failed.returncode != 0
    assert elapsed < DEAD_ENDPOINT_BUDGET_SECONDS
    sentence = error_sentence(failed.output)
    assert sentence.startswith(
        f"{ASSOCIATE} failed for Sidewalk account '{STACK_AMAZON_ID}' in us-east-1: "
        f"the endpoint {emulator.url} did not answer in time ("
    )
    assert sentence.endswith(
        "check the network and any AWS_ENDPOINT_URL setting, then run the command again."
    )
    assert "ReadTimeoutError" not in failed.output
    assert_no_key(failed.output, KEY)
    # The requests waited before AWS acted on them.
    assert emulator.backend.associations() == []


@pytest.mark.serial
def test_up_against_a_slow_endpoint_succeeds_without_retries(
    project: PulumiProject, emulator: Emulator
) -> None:
    """Answers that take a few seconds each are waited for: one attempt per call, the association made."""
    emulator.faults.set_latency(SLOW_SECONDS)
    started = time.monotonic()
    project.run("up", "--yes", "--skip-preview")
    print(f"seconds to succeed: {time.monotonic() - started:.1f}")
    assert emulator.calls() == CREATE_CALLS
    [association] = emulator.backend.associations()
    assert association["AmazonId"] == STACK_AMAZON_ID
