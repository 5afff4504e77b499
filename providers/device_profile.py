"""DeviceProfileProvider manages an AWS IoT Wireless Sidewalk device profile: the DAK devices are made with.

AWS generates a profile's id, so no two resources ever meet on one profile by its name, and the
profile needs no owner tag to be unique. It is tagged with one all the same (providers/_ownership.py),
so that it follows the rule of every resource here: a profile made by an interrupted create names the
stack's resource that made it in the console, and read and delete act only on the profile this
resource still holds (one another stack took over with `pulumi import` is left to it).

A profile made elsewhere (by hand, by a script, by another stack) is adopted by naming its id in
`adoptExistingId`: the create then makes no profile but reads that one, and from then on it is this
resource's, as if it had made it. A profile id is AWS's, not a name the user keeps unique, so adoption
is by id only. The profile must carry the name the resource asks for (none when `name` is absent),
since a name cannot change in place: taking the profile's name instead would make an absent `name`
mean two things, and dropping `adoptExistingId` later would then replace the profile. Its owner tag
must name no holder, or this resource's owner (what a replacement or an interrupted create left);
another stack's or resource's profile is taken only with `adoptExisting` as well, explicitly. Neither
input causes an update by itself: they matter only to a create.

CreateDeviceProfile's ClientRequestToken is left to botocore, which fills in a new one per call and
keeps it across its retries. A token derived from the inputs would make AWS answer a replacement with
the same inputs (`pulumi up --replace`) with the very profile it replaces, which the old resource's
delete then removes; an interrupted create costs at most one unused, owner-tagged profile instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import Unknown

from providers import _aws, _ownership, _regional, _tags

__all__ = [
    "ADOPT_EXISTING",
    "ADOPT_EXISTING_ID",
    "APPLICATION_SERVER_PUBLIC_KEY",
    "ARN",
    "DAK_CERTIFICATE_METADATA",
    "DEVICE_PROFILE",
    "INPUTS",
    "NAME",
    "OWNER",
    "OWNER_MARKER",
    "QUALIFICATION_STATUS",
    "REGION",
    "TAGS",
    "DeviceProfileProvider",
]

# Input names on the wire.
NAME = "name"
TAGS = _tags.TAGS
REGION = _regional.REGION
# The id of a profile made elsewhere that the create takes instead of making one.
ADOPT_EXISTING_ID = "adoptExistingId"
# With adoptExistingId: take the profile even when another stack's or resource's owner tag is on it.
ADOPT_EXISTING = "adoptExisting"
# `<project>/<stack>/<resource name>`, set by the component: who holds the profile (_ownership).
OWNER = _ownership.OWNER
INPUTS = (NAME, TAGS, REGION, ADOPT_EXISTING_ID, ADOPT_EXISTING, OWNER)
# Outputs computed by AWS; the resource's id is the profile's Id.
ARN = "arn"
APPLICATION_SERVER_PUBLIC_KEY = "applicationServerPublicKey"
DAK_CERTIFICATE_METADATA = "dakCertificateMetadata"
QUALIFICATION_STATUS = "qualificationStatus"
# The owner tag's value this resource wrote: it holds the profile while AWS shows the same.
OWNER_MARKER = _ownership.OWNER_MARKER

DEVICE_PROFILE = _aws.ResourceKind(
    noun="device profile",
    conflict="AWS refused to create the device profile as a duplicate: run the command again",
    gone="device profile",
)
# DeleteDeviceProfile answers ConflictException for a profile that wireless devices still use.
_PROFILE_IN_USE = dataclasses.replace(
    DEVICE_PROFILE,
    conflict="wireless devices still use this device profile: delete them or give them another profile first",
)

# The shape of botocore's model behind the string input: its min, max and pattern apply.
_SHAPES = {NAME: "DeviceProfileName", ADOPT_EXISTING_ID: "DeviceProfileId"}
# Nothing but tags updates in place: CreateDeviceProfile is the only call that sets the rest.
_REPLACING = (NAME, REGION)
_CREATE = "CreateDeviceProfile"
_GET = "GetDeviceProfile"
_DELETE = "DeleteDeviceProfile"
_TAKE_OVER = (
    "set adoptExisting to true as well to take it over (its holder's `pulumi destroy` then leaves it in "
    "place), or remove it from the stack that holds it, if one does"
)


class DeviceProfileProvider(_regional.RegionalProvider):
    """A provider that runs each lifecycle step of a SidewalkDeviceProfile through boto3."""

    def check_failures(self, news: Mapping[str, Any]) -> list[CheckFailure]:
        """Apply every rule to known input values; never raise."""
        failures = _regional.unknown_input_failures("SidewalkDeviceProfile", news, INPUTS)
        for prop, shape in _SHAPES.items():
            value = news.get(prop)
            failure = (
                None
                if value is None or isinstance(value, Unknown)
                # An empty id names no profile: the model's DeviceProfileId sets no minimum.
                else _regional.shape_failure(prop, shape, value, required=prop == ADOPT_EXISTING_ID)
            )
            if failure is not None:
                failures.append(failure)
        tags = news.get(TAGS)
        if tags is not None and not isinstance(tags, Unknown):
            failures.extend(_tags.failures(tags))
        adopt = news.get(ADOPT_EXISTING)
        if adopt is not None and not isinstance(adopt, Unknown | bool):
            failures.append(CheckFailure(ADOPT_EXISTING, "adoptExisting must be true or false"))
        failures.extend(_regional.region_failures(news.get(REGION)))
        failures.extend(_ownership.failures(news.get(OWNER)))
        return failures

    def fill_defaults(self, olds: Mapping[str, Any], inputs: dict[str, Any]) -> None:
        """Set the name, after the region and tags every resource gets."""
        # GetDeviceProfile reads an absent name back as none: "" keeps the diff quiet. The adopt
        # inputs get no default: no diff compares them, so an absent one stays out of the state.
        if inputs.get(NAME) is None:
            inputs[NAME] = ""

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare old outputs with new inputs offline: name and region replace, tags update.

        adoptExistingId and adoptExisting are not compared: they only say what a create takes.
        """
        replaces = [k for k in _REPLACING if isinstance(news.get(k), Unknown) or olds.get(k) != news.get(k)]
        changed = (olds.get(TAGS) or {}) != (news.get(TAGS) or {}) or _ownership.needs_marking(olds, news)
        return DiffResult(changes=bool(replaces) or changed, replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Call CreateDeviceProfile once, tags and owner tag inline, then read what AWS generated.

        With adoptExistingId, make no profile: take that one (see _adopt).
        """
        region = props[REGION]
        marker = _ownership.new_marker(props[OWNER])
        if props.get(ADOPT_EXISTING_ID):
            profile_id = props[ADOPT_EXISTING_ID]
            live = _adopt(profile_id, props, marker)
            return CreateResult(profile_id, {**_outputs(props, live), OWNER_MARKER: marker})
        client = _aws.client(region)
        # The profile has no id before AWS answers: errors name it by its name, if any.
        label = props[NAME]
        name = {"Name": props[NAME]} if props[NAME] else {}
        with _aws.translated(_CREATE, label, region, DEVICE_PROFILE):
            profile_id = client.create_device_profile(
                **name, Sidewalk={}, Tags=_tags.tag_list({**props[TAGS], _tags.OWNER_KEY: marker})
            )["Id"]
        live = _get_profile(profile_id, region)
        return CreateResult(profile_id, {**_outputs(props, live), OWNER_MARKER: marker})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh the profile and its tags; an empty id says it is gone, or held by another resource."""
        region = self.region_of(props)
        client = _aws.client(region)
        with _aws.translated(_GET, id_, region, DEVICE_PROFILE):
            try:
                live = client.get_device_profile(Id=id_)
            except client.exceptions.ResourceNotFoundException:
                return ReadResult("", {})
        outs = _outputs({**props, REGION: region}, live)
        outs[TAGS], live_marker = _tags.live(id_, region, outs[ARN], DEVICE_PROFILE)
        if not _ownership.holds(live_marker, props.get(OWNER_MARKER)):
            return ReadResult("", {})
        return ReadResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Send only the changed tags, and a new owner tag when the diff asks for one."""
        marker = _ownership.new_marker(news[OWNER]) if _ownership.needs_marking(olds, news) else None
        _tags.reconcile(
            id_,
            news[REGION],
            olds[ARN],
            olds.get(TAGS) or {},
            news[TAGS],
            DEVICE_PROFILE,
            owner_marker=marker,
        )
        return UpdateResult(
            {
                **_regional.public(olds),
                **_regional.public(news),
                OWNER_MARKER: marker or olds.get(OWNER_MARKER),
            }
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Remove the profile while this resource holds it; one already gone counts as deleted."""
        region = self.region_of(props)
        with _aws.gone_is_done():
            _, live_marker = _tags.live(id_, region, props[ARN], DEVICE_PROFILE)
            if not _ownership.holds(live_marker, props.get(OWNER_MARKER)):
                _ownership.leave_alone(_DELETE, DEVICE_PROFILE.noun, id_, region, live_marker)
                return
            with _aws.translated(_DELETE, id_, region, _PROFILE_IN_USE):
                _aws.client(region).delete_device_profile(Id=id_)


def _adopt(profile_id: str, props: Mapping[str, Any], marker: str) -> Mapping[str, Any]:
    """Make an existing profile this resource's, or refuse before changing anything; return its Get answer.

    Calls: GetDeviceProfile, ListTagsForResource, then one TagResource (the owner tag, with the tags
    that differ) and an UntagResource only for tags the profile has and the input has not.
    """
    region = props[REGION]
    client = _aws.client(region)
    with _aws.translated(_GET, profile_id, region, DEVICE_PROFILE):
        try:
            live: Mapping[str, Any] | None = client.get_device_profile(Id=profile_id)
        except client.exceptions.ResourceNotFoundException:
            live = None
    adopting = f"Adopting {DEVICE_PROFILE.noun} {profile_id!r} in {region} failed"
    if live is None:
        raise _aws.PartnerAccountError(
            f"{adopting} ({_aws.NOT_FOUND}): adoptExistingId names no device profile of this account "
            "and region; correct it, or remove it to create a new profile.",
            _aws.NOT_FOUND,
        )
    live_name = live.get("Name", "")
    if live_name != props[NAME]:
        wanted = f"name {props[NAME]!r}" if props[NAME] else "no name"
        raise _aws.PartnerAccountError(
            f"{adopting}: the profile's name is {live_name!r} and this resource asks for {wanted}, "
            f"and a profile's name cannot change in place; set name to {live_name!r}, or remove "
            "adoptExistingId to create a new profile.",
            _aws.CONFLICT,
        )
    live_tags, live_marker = _tags.live(profile_id, region, live["Arn"], DEVICE_PROFILE)
    if not (
        live_marker is None or props.get(ADOPT_EXISTING) or _ownership.same_owner(live_marker, props[OWNER])
    ):
        raise _aws.PartnerAccountError(
            f"{adopting}: it is held by {_ownership.describe(live_marker)}; {_TAKE_OVER}.", _aws.CONFLICT
        )
    _tags.reconcile(
        profile_id, region, live["Arn"], live_tags, props[TAGS], DEVICE_PROFILE, owner_marker=marker
    )
    return live


def _get_profile(profile_id: str, region: str) -> Mapping[str, Any]:
    with _aws.translated(_GET, profile_id, region, DEVICE_PROFILE):
        live: Mapping[str, Any] = _aws.client(region).get_device_profile(Id=profile_id)
    return live


def _outputs(props: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """Echo the inputs and add what AWS generated, in the API's own shapes."""
    sidewalk = live.get("Sidewalk") or {}
    return {
        **_regional.public(props),
        NAME: live.get("Name", ""),
        ARN: live["Arn"],
        APPLICATION_SERVER_PUBLIC_KEY: sidewalk.get("ApplicationServerPublicKey", ""),
        DAK_CERTIFICATE_METADATA: [dict(d) for d in sidewalk.get("DakCertificateMetadata", [])],
        QUALIFICATION_STATUS: bool(sidewalk.get("QualificationStatus", False)),
    }
