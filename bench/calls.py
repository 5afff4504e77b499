"""API calls per operation: one PartnerAccount through its life, counted from the emulator's log."""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass

from bench.harness import STACK_CONFIG, BenchProvider, progress
from bench.report import Report, Row
from tests.emulator import Emulator
from tests.engine.engine import Engine
from tests.operations import ASSOCIATE, DISASSOCIATE, GET, LIST_TAGS, TAG, UNTAG, UPDATE
from tests.support import OTHER_KEY, emulator_env, partner_account

__all__ = ["measure_calls"]

_SHORT = {
    ASSOCIATE: "Associate",
    GET: "Get",
    UPDATE: "Update",
    DISASSOCIATE: "Disassociate",
    TAG: "Tag",
    UNTAG: "Untag",
    LIST_TAGS: "ListTags",
}
_KEY_ROTATION_GET = (
    "Key rotation makes UpdatePartnerAccount and then GetPartnerAccount, one call over the limit, on "
    "purpose: the Get reads the new fingerprint into the state, and refresh compares fingerprints to "
    "detect a key rotated outside Pulumi. Without it the stored fingerprint would be stale after every "
    "rotation and refresh would report a rotation that Pulumi itself made."
)


@dataclass(frozen=True)
class _Operation:
    """One lifecycle step, the calls the issue allows it, and the calls kept on purpose."""

    name: str
    limit: collections.Counter[str]
    run: Callable[[Engine], object]
    by_design: collections.Counter[str] | None = None
    why: str = ""


def measure_calls(emulator: Emulator, report: Report) -> None:
    """Run create, no-op up, rotation, tag change, refresh, preview and delete once."""
    progress("API calls per operation")
    tags = {"team": "iot", "env": "dev"}
    created = partner_account("calls", tags=tags)
    rotated = partner_account("calls", tags=tags, appServerPrivateKey=OTHER_KEY)
    retagged_tags = {"team": "ops", "owner": "bench"}  # one changed, one added, one removed
    retagged = partner_account("calls", tags=retagged_tags, appServerPrivateKey=OTHER_KEY)
    pending = [
        partner_account("calls", tags={"team": "preview"}),  # a key and a tag to change
        partner_account("calls-new"),  # and a resource to create
    ]
    operations = [
        _Operation("create (`up`)", collections.Counter({ASSOCIATE: 1, GET: 1}), lambda e: e.up([created])),
        _Operation("no-op `up`", collections.Counter(), lambda e: e.up([created])),
        _Operation(
            "key rotation (`up`)",
            collections.Counter({UPDATE: 1}),
            lambda e: e.up([rotated]),
            by_design=collections.Counter({GET: 1}),
            why=_KEY_ROTATION_GET,
        ),
        _Operation(
            "tag change: 1 changed, 1 added, 1 removed (`up`)",
            collections.Counter({TAG: 1, UNTAG: 1}),
            lambda e: e.up([retagged]),
        ),
        _Operation("refresh", collections.Counter({GET: 1, LIST_TAGS: 1}), lambda e: e.refresh()),
        _Operation(
            "preview: a key, a tag and a new resource",
            collections.Counter(),
            lambda e: e.preview(pending),
        ),
        _Operation("delete (`destroy`)", collections.Counter({DISASSOCIATE: 1}), lambda e: e.destroy()),
    ]
    emulator.reset()
    with BenchProvider(emulator_env(emulator.url)) as provider:
        engine = Engine(provider, STACK_CONFIG)
        for operation in operations:
            emulator.clear_log()
            operation.run(engine)
            calls = collections.Counter(emulator.calls())
            report.add(_row(report, operation, calls))


def _row(report: Report, operation: _Operation, calls: collections.Counter[str]) -> Row:
    figure = f"{calls.total()}: {_names(calls)}"
    goal = f"{operation.limit.total()}: {_names(operation.limit)}"
    allowed = operation.limit + (operation.by_design or collections.Counter())
    if calls <= operation.limit:
        verdict = "at the limit" if calls == operation.limit else "under the limit"
        return Row("API calls", operation.name, figure, goal, verdict)
    if calls <= allowed:
        extra = calls - operation.limit
        verdict = f"+{extra.total()} {_names(extra)}, kept on purpose {report.note(operation.why)}"
        return Row("API calls", operation.name, figure, goal, verdict)
    return Row("API calls", operation.name, figure, goal, "MISSED: over the limit", missed=True)


def _names(calls: collections.Counter[str]) -> str:
    if not calls:
        return "none"
    return ", ".join(
        _SHORT.get(name, name) + (f" x{count}" if count > 1 else "") for name, count in sorted(calls.items())
    )
