"""What the reliability tests check after a run: the live associations, asked of the emulator over boto3."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import unquote

from tests.emulator.models import Association
from tests.emulator.server import LogEntry
from tests.engine.engine import Engine, Registration
from tests.operations import ASSOCIATE, LIST_TAGS, TAG, UNTAG
from tests.support import live_tags

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

SIDEWALK: Final[Literal["Sidewalk"]] = "Sidewalk"


def fingerprint_of(key: str) -> str:
    """Return the Fingerprint the emulated service gives a key, whatever the association."""
    return Association(account="", region="", amazon_id="", app_server_private_key=key, serial=0).fingerprint


def associated(iotwireless: IoTWirelessClient) -> list[str]:
    """List every AmazonId associated in the client's account and region, all pages."""
    amazon_ids: list[str] = []
    page: dict[str, Any] = {}
    while True:
        answer = iotwireless.list_partner_accounts(**page)
        amazon_ids.extend(item["AmazonId"] for item in answer.get("Sidewalk", []))
        if not answer.get("NextToken"):
            return sorted(amazon_ids)
        page = {"NextToken": answer["NextToken"]}


def assert_live(
    iotwireless: IoTWirelessClient, amazon_id: str, key: str, tags: dict[str, str]
) -> dict[str, Any]:
    """Check with Get that one association holds exactly the configured key and tags."""
    live = iotwireless.get_partner_account(PartnerAccountId=amazon_id, PartnerType=SIDEWALK)
    assert live["Sidewalk"]["Fingerprint"] == fingerprint_of(key)
    assert live_tags(iotwireless, live["Sidewalk"]["Arn"]) == tags
    return dict(live)


def assert_converged(
    engine: Engine,
    reg: Registration,
    iotwireless: IoTWirelessClient,
    key: str,
    tags: dict[str, str],
) -> None:
    """Check the account holds one association, as configured and as recorded."""
    amazon_id = reg.inputs["amazonId"]
    assert associated(iotwireless) == [amazon_id]
    live = assert_live(iotwireless, amazon_id, key, tags)
    outputs = engine.resources[reg.urn].outputs
    assert engine.resources[reg.urn].id == amazon_id
    assert outputs["fingerprint"] == live["Sidewalk"]["Fingerprint"]
    assert outputs["arn"] == live["Sidewalk"]["Arn"]
    assert outputs["tags"] == tags


def attempts(log: Iterable[LogEntry]) -> list[tuple[str, int, bool]]:
    """Group a request log into calls: (operation, attempts, succeeded), in order.

    A call is a run of faulted requests of one operation ended by an answered one; a run that
    ends in a fault (or in another operation) is a call that failed.
    """
    calls: list[tuple[str, int, bool]] = []
    pending: tuple[str, int] | None = None
    for entry in log:
        operation = entry["operation"] or entry["path"]
        if pending is not None and pending[0] != operation:
            calls.append((pending[0], pending[1], False))
            pending = None
        count = (pending[1] if pending is not None else 0) + 1
        if entry["faulted"] and entry["status"] >= 400:
            pending = (operation, count)
        else:
            calls.append((operation, count, entry["status"] < 400))
            pending = None
    if pending is not None:
        calls.append((pending[0], pending[1], False))
    return calls


def amazon_id_of(entry: LogEntry) -> str:
    """Name the Sidewalk account a logged request was about, from its body, path or ARN."""
    if entry["operation"] == ASSOCIATE:
        return str(entry["body"]["Sidewalk"]["AmazonId"])
    if entry["operation"] in (TAG, UNTAG, LIST_TAGS):
        return str(entry["query"]["resourceArn"][0].rsplit("/", 1)[-1])
    return unquote(entry["path"].rsplit("/", 1)[-1])
