"""Tags of any IoT Wireless resource: their rules, from botocore's model, and the calls that set them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown

from providers import _aws

if TYPE_CHECKING:
    from mypy_boto3_iotwireless.type_defs import TagTypeDef

__all__ = ["OWNER_KEY", "TAGS", "failures", "live", "reconcile", "tag_list", "tagging"]

# The input's name on the wire, the same for every resource.
TAGS = "tags"
# The model cannot say it: AWS reserves the prefix, in any case.
_RESERVED_PREFIX = "aws:"
# The tag that names which stack's resource holds a resource AWS keeps unique (providers/_ownership.py).
# It is never a user's tag: refused in the tags input, left out of the tags output.
OWNER_KEY = "pulumi-sidewalk:owner"
# TagResource's and UntagResource's ConflictException is about another change to the same resource,
# never about another resource of the same name, which is what a kind's own advice (its create's) says.
_TAGGING_CONFLICT = (
    "AWS reports another change to this resource in progress: run the command again once it is done"
)


def failures(tags: Any) -> list[CheckFailure]:
    """Apply the model's tag rules to a tags input; a value not yet known passes."""
    if not isinstance(tags, Mapping):
        return [CheckFailure(TAGS, "tags must be a map of string to string")]
    # One of the model's entries is the owner tag's.
    most = _aws.shape_rules("TagList")["max"] - 1
    key_max = _aws.shape_rules("TagKey")["max"]
    value_max = _aws.shape_rules("TagValue")["max"]
    reasons: list[str] = []
    if len(tags) > most:
        reasons.append(f"tags may hold at most {most} entries, not {len(tags)}")
    for key, value in tags.items():
        if isinstance(value, Unknown):
            continue
        if not isinstance(key, str) or not 1 <= len(key) <= key_max:
            reasons.append(f"tags: key {key!r} must be 1 to {key_max} characters")
        elif key.lower().startswith(_RESERVED_PREFIX):
            reasons.append(
                f"tags: key {key!r} must not start with {_RESERVED_PREFIX!r} in any case (reserved by AWS)"
            )
        elif key == OWNER_KEY:
            reasons.append(f"tags: key {key!r} is reserved: it names the resource that holds this one")
        if not isinstance(value, str) or len(value) > value_max:
            reasons.append(f"tags: the value of {key!r} must be a string of 0 to {value_max} characters")
    return [CheckFailure(TAGS, reason) for reason in reasons]


def tagging(kind: _aws.ResourceKind) -> _aws.ResourceKind:
    """Return what the error sentences of a kind say when its tags are being set."""
    return dataclasses.replace(kind, conflict=_TAGGING_CONFLICT)


def tag_list(tags: Mapping[str, str]) -> list[TagTypeDef]:
    """Turn a map of tags into the API's list of Key and Value, sorted by key."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def live(
    resource_id: str, region: str, arn: str, kind: _aws.ResourceKind = _aws.SIDEWALK_ACCOUNT
) -> tuple[dict[str, str], str | None]:
    """Read a resource's tags from AWS: the user's, and the owner tag's value apart."""
    with _aws.translated("ListTagsForResource", resource_id, region, tagging(kind)):
        listed = _aws.client(region).list_tags_for_resource(ResourceArn=arn)["Tags"]
    tags = {t["Key"]: t.get("Value", "") for t in listed}
    return tags, tags.pop(OWNER_KEY, None)


def reconcile(
    resource_id: str,
    region: str,
    arn: str,
    old: Mapping[str, str],
    new: Mapping[str, str],
    kind: _aws.ResourceKind = _aws.SIDEWALK_ACCOUNT,
    owner_marker: str | None = None,
) -> None:
    """Send only the added or changed tags, and only the removed keys; a new owner tag rides along."""
    client = _aws.client(region)
    changed = {k: v for k, v in new.items() if old.get(k) != v}
    if owner_marker is not None:
        changed[OWNER_KEY] = owner_marker
    removed = sorted(set(old) - set(new))
    kind = tagging(kind)
    if changed:
        with _aws.translated("TagResource", resource_id, region, kind):
            client.tag_resource(ResourceArn=arn, Tags=tag_list(changed))
    if removed:
        with _aws.translated("UntagResource", resource_id, region, kind):
            client.untag_resource(ResourceArn=arn, TagKeys=removed)
