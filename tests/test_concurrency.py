"""Twenty PartnerAccounts in one stack through one provider server, its worker threads all busy."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.convergence import amazon_id_of, associated, fingerprint_of
from tests.emulator import Emulator
from tests.engine import wire
from tests.engine.engine import Engine, Registration
from tests.operations import ASSOCIATE, DELETE_CALLS, UPDATE
from tests.support import live_tags, partner_account

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

COUNT = 20
# More engine threads than the server's four workers, so that calls queue at the server.
PARALLEL = 8
STACK_REGION = "us-east-1"
OTHER_REGION = "us-west-2"
# A little latency keeps requests in flight long enough to overlap.
LATENCY = 0.02


def key_of(index: int, generation: int = 0) -> str:
    """Return a key of its own for each account and generation, so that a mix-up shows."""
    return f"{index:02x}{generation:02x}" * 16


def region_of(index: int) -> str:
    """Put odd accounts in the other region, even ones in the stack's region."""
    return OTHER_REGION if index % 2 else STACK_REGION


def tags_of(index: int, generation: int = 0) -> dict[str, str]:
    """Return tags naming their own account, which change with each generation."""
    tags = {"index": str(index), "region": region_of(index)}
    if generation:
        tags = {"index": str(index), "generation": str(generation)}
    return tags


def registration(index: int, generation: int = 0) -> Registration:
    """Return account `index` as configured at `generation`; odd ones name their region."""
    region = {"region": OTHER_REGION} if index % 2 else {}
    return partner_account(
        f"account{index:02d}",
        appServerPrivateKey=key_of(index, generation),
        tags=tags_of(index, generation),
        **region,
    )


@pytest.fixture
def stack(emulator: Emulator) -> list[Registration]:
    """The twenty accounts, with Sidewalk served from both regions of the stack."""
    emulator.backend.update_settings(sidewalk_regions={STACK_REGION, OTHER_REGION})
    return [registration(i) for i in range(COUNT)]


@pytest.fixture
def in_flight(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count the API requests the emulator holds at once: [current, most]."""
    counts = [0, 0]
    lock = threading.Lock()
    before = emulator.faults.before

    def counting() -> Any:
        with lock:
            counts[0] += 1
            counts[1] = max(counts)
        try:
            return before()
        finally:
            with lock:
                counts[0] -= 1

    monkeypatch.setattr(emulator.faults, "before", counting)
    emulator.faults.set_latency(LATENCY)
    yield counts
    emulator.faults.set_latency(0)


@pytest.fixture
def clients(make_iotwireless: Callable[..., IoTWirelessClient]) -> dict[str, IoTWirelessClient]:
    """A boto3 client per region of the stack."""
    return {region: make_iotwireless(region=region) for region in (STACK_REGION, OTHER_REGION)}


def assert_accounts(engine: Engine, clients: dict[str, IoTWirelessClient], generation: int) -> None:
    """Check every account, in the checkpoint and live, against its own config."""
    for index in range(COUNT):
        reg = registration(index, generation)
        amazon_id, region = reg.inputs["amazonId"], region_of(index)
        state = engine.resources[reg.urn]
        assert state.id == amazon_id
        outputs = state.outputs
        live = clients[region].get_partner_account(PartnerAccountId=amazon_id, PartnerType="Sidewalk")
        assert outputs["region"] == region
        assert outputs["arn"] == live["Sidewalk"]["Arn"]
        assert outputs["arn"].startswith(f"arn:aws:iotwireless:{region}:")
        assert outputs["arn"].endswith(f"/{amazon_id}")
        assert (
            outputs["fingerprint"]
            == live["Sidewalk"]["Fingerprint"]
            == fingerprint_of(key_of(index, generation))
        )
        assert outputs["appServerPrivateKey"] == wire.Secret(key_of(index, generation))
        assert outputs["tags"] == live_tags(clients[region], outputs["arn"]) == tags_of(index, generation)
    for region, client in clients.items():
        expected = [registration(i).inputs["amazonId"] for i in range(COUNT) if region_of(i) == region]
        assert associated(client) == sorted(expected)


def assert_requests_in_their_region(emulator: Emulator) -> None:
    """Check each request was signed for its account's own region."""
    region_by_id = {registration(i).inputs["amazonId"]: region_of(i) for i in range(COUNT)}
    for entry in emulator.log:
        assert region_by_id[amazon_id_of(entry)] == entry["region"], entry
        if "resourceArn" in entry["query"]:
            assert entry["query"]["resourceArn"][0].split(":")[3] == entry["region"], entry


def test_twenty_accounts_are_created_at_once_without_cross_talk(
    engine: Engine,
    emulator: Emulator,
    stack: list[Registration],
    clients: dict[str, IoTWirelessClient],
    in_flight: list[int],
) -> None:
    """Twenty creates through four worker threads: each account has its own key, tags and region."""
    steps = engine.up(stack, parallel=PARALLEL, skip_preview=True)
    assert [s.op for s in steps] == ["create"] * COUNT
    assert in_flight[1] >= 2, "the provider never ran two calls at once"
    assert emulator.calls(include_faulted=False).count(ASSOCIATE) == COUNT
    assert_requests_in_their_region(emulator)
    assert_accounts(engine, clients, generation=0)


def test_twenty_accounts_are_updated_at_once_without_cross_talk(
    engine: Engine,
    emulator: Emulator,
    stack: list[Registration],
    clients: dict[str, IoTWirelessClient],
    in_flight: list[int],
) -> None:
    """Twenty key and tag updates at once: each account gets exactly its own new key and tags."""
    engine.up(stack, parallel=PARALLEL, skip_preview=True)
    emulator.clear_log()
    in_flight[1] = 0
    steps = engine.up([registration(i, generation=1) for i in range(COUNT)], parallel=PARALLEL)
    assert [s.op for s in steps] == ["update"] * COUNT
    assert in_flight[1] >= 2, "the provider never ran two calls at once"
    assert emulator.calls().count(UPDATE) == COUNT
    assert_requests_in_their_region(emulator)
    assert_accounts(engine, clients, generation=1)


def test_twenty_accounts_are_destroyed_at_once(
    engine: Engine,
    emulator: Emulator,
    stack: list[Registration],
    clients: dict[str, IoTWirelessClient],
    in_flight: list[int],
) -> None:
    """Twenty deletes at once: every association is gone from its own region, none left over."""
    engine.up(stack, parallel=PARALLEL, skip_preview=True)
    emulator.clear_log()
    in_flight[1] = 0
    steps = engine.destroy(parallel=PARALLEL)
    assert sorted(s.urn for s in steps) == sorted(reg.urn for reg in stack)
    assert in_flight[1] >= 2, "the provider never ran two calls at once"
    assert sorted(emulator.calls()) == sorted([*DELETE_CALLS] * COUNT)
    assert_requests_in_their_region(emulator)
    assert engine.resources == {}
    assert all(associated(client) == [] for client in clients.values())
