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
# The calls the owner tag adds (README "One owner per association"), one line each.
_CREATE_OWNER_CHECK = (
    "Create reads the owner tag back (ListTagsForResource): AWS may answer a reused request token "
    "with an earlier create's association, and only the tag tells whether it is this create's own."
)
_DELETE_OWNER_CHECK = (
    "Delete reads the owner tag first (ListTagsForResource) and disassociates only while it is the one "
    "this resource recorded: a replaced, adopted or taken-over association is left to its holder."
)
_TAKE_OVER_OWNER = (
    "A same-identity replacement's create reads the owner tag (ListTagsForResource) to know the "
    "association is its predecessor's, of this same resource, and writes a new one (TagResource); "
    "the old resource's delete then reads it and leaves the association in place: no Disassociate."
)


@dataclass(frozen=True)
class _Added:
    """Calls over the limit kept on purpose, and why."""

    calls: collections.Counter[str]
    why: str


@dataclass(frozen=True)
class _Operation:
    """One lifecycle step, the calls the issue allows it, and the calls kept on purpose."""

    name: str
    limit: collections.Counter[str]
    run: Callable[[Engine], object]
    added: tuple[_Added, ...] = ()


def measure_calls(emulator: Emulator, report: Report) -> None:
    """Run create, no-op up, rotation, tag change, refresh, replace, preview and delete once."""
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

    def replace(engine: Engine) -> None:
        # `pulumi up --replace <urn>` with unchanged inputs, after a rotation and a tag change.
        engine.replace_targets = {retagged.urn}
        try:
            engine.up([retagged])
        finally:
            engine.replace_targets = set()

    key_rotation_get = _Added(collections.Counter({GET: 1}), _KEY_ROTATION_GET)
    operations = [
        _Operation(
            "create (`up`)",
            collections.Counter({ASSOCIATE: 1, GET: 1}),
            lambda e: e.up([created]),
            added=(_Added(collections.Counter({LIST_TAGS: 1}), _CREATE_OWNER_CHECK),),
        ),
        _Operation("no-op `up`", collections.Counter(), lambda e: e.up([created])),
        _Operation(
            "key rotation (`up`)",
            collections.Counter({UPDATE: 1}),
            lambda e: e.up([rotated]),
            added=(key_rotation_get,),
        ),
        _Operation(
            "tag change: 1 changed, 1 added, 1 removed (`up`)",
            collections.Counter({TAG: 1, UNTAG: 1}),
            lambda e: e.up([retagged]),
        ),
        _Operation("refresh", collections.Counter({GET: 1, LIST_TAGS: 1}), lambda e: e.refresh()),
        _Operation(
            "same-identity replace (`up --replace`): the new resource's create, then the old's delete",
            # Associate (refused: the association exists), Get (its ARN), Update (this resource's key).
            collections.Counter({ASSOCIATE: 1, GET: 1, UPDATE: 1}),
            replace,
            added=(key_rotation_get, _Added(collections.Counter({LIST_TAGS: 2, TAG: 1}), _TAKE_OVER_OWNER)),
        ),
        _Operation(
            "preview: a key, a tag and a new resource",
            collections.Counter(),
            lambda e: e.preview(pending),
        ),
        _Operation(
            "delete (`destroy`)",
            collections.Counter({DISASSOCIATE: 1}),
            lambda e: e.destroy(),
            added=(_Added(collections.Counter({LIST_TAGS: 1}), _DELETE_OWNER_CHECK),),
        ),
    ]
    emulator.reset()
    with BenchProvider(emulator_env(emulator.url)) as provider:
        engine = Engine(provider, STACK_CONFIG)
        for operation in operations:
            emulator.clear_log()
            operation.run(engine)
            report.add(_row(report, operation, emulator.calls()))


def _row(report: Report, operation: _Operation, logged: list[str]) -> Row:
    calls = collections.Counter(logged)
    # In the order made: the order is part of the design (check before disassociating, for one).
    figure = f"{len(logged)}: {', '.join(_SHORT.get(name, name) for name in logged) or 'none'}"
    goal = f"{operation.limit.total()}: {_names(operation.limit)}"
    allowed = sum((a.calls for a in operation.added), operation.limit)
    if calls <= operation.limit:
        verdict = "at the limit" if calls == operation.limit else "under the limit"
        return Row("API calls", operation.name, figure, goal, verdict)
    if calls <= allowed:
        extra = calls - operation.limit
        notes = "".join(report.note(a.why) for a in operation.added if a.calls & extra)
        verdict = f"+{extra.total()} {_names(extra)}, kept on purpose {notes}"
        return Row("API calls", operation.name, figure, goal, verdict)
    return Row("API calls", operation.name, figure, goal, "MISSED: over the limit", missed=True)


def _names(calls: collections.Counter[str]) -> str:
    if not calls:
        return "none"
    return ", ".join(
        _SHORT.get(name, name) + (f" x{count}" if count > 1 else "") for name, count in sorted(calls.items())
    )
