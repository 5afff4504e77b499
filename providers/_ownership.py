"""One owner per resource AWS keeps unique: a tag on the live resource names the resource that holds it.

AWS keeps one association per AmazonId and one destination per name, so two resources, or a
replacement and the resource it replaces, can meet on the same live one. Which of them holds it is
written in AWS, in the owner tag (`_tags.OWNER_KEY`), and recorded in the holder's outputs; never in
a provider process's memory, since the engine starts one per pass and an update can stop between a
replacement's create and the old resource's delete. The tag's value, the marker, is `<owner>#<nonce>`:

- owner: `<project>/<stack>/<resource name>`, the `owner` input that the component sets;
- nonce: new at every create, so that a replacement and the resource it replaces, which share the
  owner, hold different markers.

A resource holds the live one while the live marker equals the marker in its outputs: only then does
its delete remove it and its refresh keep it. A create that meets a live resource marked with its own
owner takes it over (it is the resource being replaced, or what an interrupted create of the same
resource left); one marked by any other owner, or unmarked, is refused unless adoption is asked for.
A resource created before markers existed records none, and holds a live one that has none, as before.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown

from providers import _aws

__all__ = [
    "OWNER",
    "OWNER_MARKER",
    "describe",
    "failures",
    "held_error",
    "holds",
    "leave_alone",
    "needs_marking",
    "new_marker",
    "owner",
    "same_owner",
]

# The input the component sets, `<project>/<stack>/<resource name>`, and the output recording the marker.
OWNER = "owner"
OWNER_MARKER = "ownerMarker"

_NONCE_HEX = 16
# A tag value holds 256 characters: the owner part keeps what the nonce and its "#" leave.
_MAX_OWNER_PART = 256 - 1 - _NONCE_HEX
_DIGEST_HEX = 16


def owner(project: str, stack: str, resource_name: str) -> str:
    """Return the owner input of a stack's resource: `<project>/<stack>/<resource name>`."""
    return f"{project}/{stack}/{resource_name}"


def failures(value: Any) -> list[CheckFailure]:
    """Refuse an owner input that is absent or not a `<project>/<stack>/<name>` string."""
    if isinstance(value, Unknown):
        return []
    if not isinstance(value, str) or value.count("/") < 2 or not all(value.split("/", 2)):
        return [
            CheckFailure(
                OWNER,
                "owner must be '<project>/<stack>/<resource name>'; the component classes set it",
            )
        ]
    return []


def _owner_part(owner: str) -> str:
    """Return the owner as the marker holds it: whole, or cut and completed by a digest of the whole."""
    if len(owner) <= _MAX_OWNER_PART:
        return owner
    digest = hashlib.sha256(owner.encode()).hexdigest()[:_DIGEST_HEX]
    return f"{owner[: _MAX_OWNER_PART - _DIGEST_HEX - 1]}~{digest}"


def new_marker(owner: str) -> str:
    """Return a marker for a create or a take-over by the owner: never one used before."""
    return f"{_owner_part(owner)}#{uuid.uuid4().hex[:_NONCE_HEX]}"


def same_owner(marker: str | None, owner: str) -> bool:
    """Tell whether a live marker was written by a resource with this owner (this one, or its predecessor)."""
    return marker is not None and marker.rpartition("#")[0] == _owner_part(owner)


def holds(live_marker: str | None, recorded: str | None) -> bool:
    """Tell whether a resource that recorded a marker still holds the live resource."""
    return live_marker == recorded


def needs_marking(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Tell whether an update must write a new marker: none recorded yet, or the owner renamed."""
    return not olds.get(OWNER_MARKER) or olds.get(OWNER) != news.get(OWNER)


def describe(marker: str | None) -> str:
    """Name the holder a marker points at, in words."""
    if marker is None:
        return "no Pulumi stack (it has no owner tag: it was made outside Pulumi or by an earlier version)"
    owner = marker.rpartition("#")[0]
    parts = owner.split("/", 2)
    if len(parts) != 3:
        return f"{owner!r}"
    project, stack, name = parts
    return f"resource {name!r} of stack {stack!r} in project {project!r}"


def leave_alone(operation: str, noun: str, resource_id: str, region: str, live_marker: str | None) -> None:
    """Say that a delete leaves a live resource to the one that holds it now."""
    # The provider process has no engine connection: the SDK writes the warning to stderr, which
    # the CLI shows under the resource.
    pulumi.log.warn(
        f"{operation} skipped: {noun} {resource_id!r} in {region} is now held by {describe(live_marker)}, "
        "so it is left in place for its holder; this resource is removed from the stack only."
    )


def held_error(
    operation: str, noun: str, resource_id: str, region: str, live_marker: str | None, remedy: str
) -> _aws.PartnerAccountError:
    """Return the one-sentence error of a create refused because another resource holds the live one."""
    return _aws.PartnerAccountError(
        f"{operation} failed for {noun} {resource_id!r} in {region} ({_aws.CONFLICT}: it exists already): "
        f"it is held by {describe(live_marker)}; {remedy}.",
        _aws.CONFLICT,
    )
