"""WirelessDeviceProvider manages an AWS IoT Wireless Sidewalk device, known to AWS by its SMSN.

A Sidewalk manufacturing serial number (SMSN) is unique in an account and region, so a device follows
the rule of providers/_ownership.py: a create that meets a device of the same SMSN takes it over only
when its owner tag names this resource's owner (the device a replacement replaces, or what an
interrupted create left), or when adoptExisting says so. CreateWirelessDevice's ClientRequestToken
is left to botocore (one per call, kept across its retries), as the device profile's is, so that AWS
never answers one resource's create with another's device.

The device's private keys are outputs under `privateKeys` only: the component lists that key in
`additional_secret_outputs`, and nothing else here carries them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

from pulumi.dynamic import CheckFailure, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import Unknown

from providers import _aws, _ownership, _regional, _tags

__all__ = [
    "ADOPT_EXISTING",
    "ARN",
    "DESCRIPTION",
    "DESTINATION_NAME",
    "DEVICE_CERTIFICATES",
    "DEVICE_PROFILE_ID",
    "INPUTS",
    "NAME",
    "OUTPUTS",
    "OWNER",
    "OWNER_MARKER",
    "POSITIONING",
    "PRIVATE_KEYS",
    "REGION",
    "SIDEWALK_ID",
    "SIDEWALK_MANUFACTURING_SN",
    "STATUS",
    "TAGS",
    "WIRELESS_DEVICE",
    "WirelessDeviceProvider",
]

# Input names on the wire.
NAME = "name"
DESCRIPTION = "description"
SIDEWALK_MANUFACTURING_SN = "sidewalkManufacturingSn"
DEVICE_PROFILE_ID = "deviceProfileId"
DESTINATION_NAME = "destinationName"
POSITIONING = "positioning"
TAGS = _tags.TAGS
REGION = _regional.REGION
ADOPT_EXISTING = "adoptExisting"
# `<project>/<stack>/<resource name>`, set by the component: who holds the device (_ownership).
OWNER = _ownership.OWNER
INPUTS = (
    NAME,
    DESCRIPTION,
    SIDEWALK_MANUFACTURING_SN,
    DEVICE_PROFILE_ID,
    DESTINATION_NAME,
    POSITIONING,
    TAGS,
    REGION,
    ADOPT_EXISTING,
    OWNER,
)
# Outputs computed by AWS; the resource's id is the WirelessDeviceId.
ARN = "arn"
SIDEWALK_ID = "sidewalkId"
STATUS = "status"
DEVICE_CERTIFICATES = "deviceCertificates"
# Secret: the component lists it in additional_secret_outputs.
PRIVATE_KEYS = "privateKeys"
# The owner tag's value this resource wrote: it holds the device while AWS shows the same.
OWNER_MARKER = _ownership.OWNER_MARKER
# What the provider adds to the inputs it echoes.
OUTPUTS = (ARN, SIDEWALK_ID, STATUS, DEVICE_CERTIFICATES, PRIVATE_KEYS, OWNER_MARKER)

WIRELESS_DEVICE = _aws.ResourceKind(
    noun="Sidewalk device",
    conflict=(
        "a wireless device with this SidewalkManufacturingSn exists already in this account and region: "
        "set adoptExisting to true to take it over, or delete it first"
    ),
    gone="wireless device",
)

# The shape of botocore's model behind each string input: its min, max, pattern and enum apply.
_SHAPES = {
    NAME: "WirelessDeviceName",
    DESCRIPTION: "Description",
    SIDEWALK_MANUFACTURING_SN: "SidewalkManufacturingSn",
    DEVICE_PROFILE_ID: "DeviceProfileId",
    DESTINATION_NAME: "DestinationName",
    POSITIONING: "PositioningConfigStatus",
}
_REQUIRED = (SIDEWALK_MANUFACTURING_SN, DEVICE_PROFILE_ID, DESTINATION_NAME)
# Inputs whose change replaces the device; UpdateWirelessDevice sets the others in place.
_REPLACING = (SIDEWALK_MANUFACTURING_SN, DEVICE_PROFILE_ID, REGION)
# The input name of each member UpdateWirelessDevice sets.
_UPDATABLE = {
    NAME: "Name",
    DESCRIPTION: "Description",
    DESTINATION_NAME: "DestinationName",
    POSITIONING: "Positioning",
}
# What AWS answers for a device created without a positioning status.
_POSITIONING_DEFAULT = "Disabled"
_CREATE = "CreateWirelessDevice"
_GET = "GetWirelessDevice"
_DELETE = "DeleteWirelessDevice"
_TAKE_OVER = (
    "set adoptExisting to true to take it over (its holder's `pulumi destroy` then leaves it in place), "
    "or remove it from the stack that holds it, if one does, and delete it"
)


def _changed(olds: Mapping[str, Any], news: Mapping[str, Any], prop: str) -> bool:
    return isinstance(news.get(prop), Unknown) or olds.get(prop) != news.get(prop)


class WirelessDeviceProvider(_regional.RegionalProvider):
    """A provider that runs each lifecycle step of a SidewalkDevice through boto3."""

    def check_failures(self, news: Mapping[str, Any]) -> list[CheckFailure]:
        """Apply every rule to known input values; never raise."""
        failures = _regional.unknown_input_failures("SidewalkDevice", news, INPUTS)
        for prop, shape in _SHAPES.items():
            value = news.get(prop)
            if value is None:
                if prop in _REQUIRED:
                    failures.append(CheckFailure(prop, f"{prop} is required"))
            elif not isinstance(value, Unknown) and (
                failure := _regional.shape_failure(prop, shape, value, prop in _REQUIRED)
            ):
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
        """Set name, description, positioning and adoptExisting, after the region and tags."""
        # GetWirelessDevice reads an absent name or description back as none: "" keeps the diff quiet.
        for prop, default in ((NAME, ""), (DESCRIPTION, ""), (POSITIONING, _POSITIONING_DEFAULT)):
            if inputs.get(prop) is None:
                inputs[prop] = default
        inputs.setdefault(ADOPT_EXISTING, False)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare old outputs with new inputs offline: SMSN, profile and region replace, the rest update.

        A replacement that keeps the SMSN in the same region deletes first: AWS holds one device per
        SMSN, and a device's profile cannot change in place.
        """
        replaces = [k for k in _REPLACING if _changed(olds, news, k)]
        changed = any(olds.get(k) != news.get(k) for k in (*_UPDATABLE, TAGS))
        changed = changed or _ownership.needs_marking(olds, news)
        same_smsn = not _changed(olds, news, SIDEWALK_MANUFACTURING_SN) and not _changed(olds, news, REGION)
        return DiffResult(
            changes=bool(replaces) or changed,
            replaces=replaces,
            delete_before_replace=bool(replaces) and same_smsn,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Call CreateWirelessDevice once, tags and owner tag inline, then read the device's Sidewalk block.

        A device of the same SMSN is taken over when its owner tag names this resource's owner, or when
        adoptExisting is true; otherwise the create is refused before anything changes.
        """
        smsn, region = props[SIDEWALK_MANUFACTURING_SN], props[REGION]
        marker = _ownership.new_marker(props[OWNER])
        optional = {
            member: props[prop]
            for prop, member in ((NAME, "Name"), (DESCRIPTION, "Description"))
            if props[prop]
        }
        try:
            with (
                _missing_reference(
                    f"it names destination {props[DESTINATION_NAME]!r} and device profile "
                    f"{props[DEVICE_PROFILE_ID]!r}: make sure both exist in {region}, or correct "
                    "destinationName and deviceProfileId"
                ),
                _aws.translated(_CREATE, smsn, region, WIRELESS_DEVICE),
            ):
                device_id = (
                    _aws.client(region)
                    .create_wireless_device(
                        Type=_aws.PARTNER_TYPE,
                        DestinationName=props[DESTINATION_NAME],
                        Positioning=props[POSITIONING],
                        Sidewalk={
                            "DeviceProfileId": props[DEVICE_PROFILE_ID],
                            "SidewalkManufacturingSn": smsn,
                        },
                        Tags=_tags.tag_list({**props[TAGS], _tags.OWNER_KEY: marker}),
                        **optional,
                    )
                    .get("Id", "")
                )
        except _aws.PartnerAccountError as err:
            if err.code != _aws.CONFLICT:
                raise
            live = self._take_over(props, marker, err)
        else:
            live = _get_device(device_id, "WirelessDeviceId", region)
        return CreateResult(live["Id"], {**_outputs(props, live), OWNER_MARKER: marker})

    def _take_over(
        self, props: Mapping[str, Any], marker: str, conflict: _aws.PartnerAccountError
    ) -> Mapping[str, Any]:
        """Make the device of this SMSN this resource's, or refuse; return what GetWirelessDevice said."""
        smsn, region = props[SIDEWALK_MANUFACTURING_SN], props[REGION]
        client = _aws.client(region)
        with _aws.translated(_GET, smsn, region, WIRELESS_DEVICE):
            try:
                live = client.get_wireless_device(Identifier=smsn, IdentifierType="SidewalkManufacturingSn")
            except client.exceptions.ResourceNotFoundException:
                # The conflict was not the SMSN's: AWS's own sentence says what it was.
                raise conflict from None
        device_id = live["Id"]
        live_tags, live_marker = _tags.live(device_id, region, live["Arn"], WIRELESS_DEVICE)
        if not (props.get(ADOPT_EXISTING) or _ownership.same_owner(live_marker, props[OWNER])):
            raise _ownership.held_error(_CREATE, WIRELESS_DEVICE.noun, smsn, region, live_marker, _TAKE_OVER)
        live_profile = live.get("Sidewalk", {}).get("DeviceProfileId")
        if live_profile != props[DEVICE_PROFILE_ID]:
            raise _aws.PartnerAccountError(
                f"{_CREATE} failed for {WIRELESS_DEVICE.noun} {smsn!r} in {region}: the device of "
                f"this SidewalkManufacturingSn, {device_id!r}, uses device profile {live_profile!r}, and "
                f"a device's profile cannot change in place; set deviceProfileId to {live_profile!r}, "
                "or delete the device first.",
                _aws.CONFLICT,
            )
        live_fields = _live_fields(live)
        changes = {member: props[p] for p, member in _UPDATABLE.items() if live_fields[p] != props[p]}
        if changes:
            _update_device(device_id, region, changes)
        _tags.reconcile(
            device_id, region, live["Arn"], live_tags, props[TAGS], WIRELESS_DEVICE, owner_marker=marker
        )
        return live

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh the device and its tags; an empty id says it is gone, or held by another resource."""
        region = self.region_of(props)
        client = _aws.client(region)
        with _aws.translated(_GET, id_, region, WIRELESS_DEVICE):
            try:
                live = client.get_wireless_device(Identifier=id_, IdentifierType="WirelessDeviceId")
            except client.exceptions.ResourceNotFoundException:
                return ReadResult("", {})
        outs = _outputs({**props, REGION: region, **_live_fields(live)}, live)
        outs[TAGS], live_marker = _tags.live(id_, region, live["Arn"], WIRELESS_DEVICE)
        if not _ownership.holds(live_marker, props.get(OWNER_MARKER)):
            return ReadResult("", {})
        return ReadResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Make only the calls the diff needs: one UpdateWirelessDevice of the changed members, then tags."""
        region = news[REGION]
        changes = {member: news[p] for p, member in _UPDATABLE.items() if olds.get(p) != news.get(p)}
        if changes:
            _update_device(id_, region, changes)
        marker = _ownership.new_marker(news[OWNER]) if _ownership.needs_marking(olds, news) else None
        _tags.reconcile(
            id_, region, olds[ARN], olds.get(TAGS) or {}, news[TAGS], WIRELESS_DEVICE, owner_marker=marker
        )
        return UpdateResult(
            {
                **_regional.public(olds),
                **_regional.public(news),
                OWNER_MARKER: marker or olds.get(OWNER_MARKER),
            }
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Remove the device while this resource holds it; one already gone counts as deleted."""
        region = self.region_of(props)
        with _aws.gone_is_done():
            _, live_marker = _tags.live(id_, region, props[ARN], WIRELESS_DEVICE)
            if not _ownership.holds(live_marker, props.get(OWNER_MARKER)):
                _ownership.leave_alone(_DELETE, WIRELESS_DEVICE.noun, id_, region, live_marker)
                return
            with _aws.translated(_DELETE, id_, region, WIRELESS_DEVICE):
                _aws.client(region).delete_wireless_device(Id=id_)


def _get_device(identifier: str, identifier_type: str, region: str) -> Mapping[str, Any]:
    with _aws.translated(_GET, identifier, region, WIRELESS_DEVICE):
        live: Mapping[str, Any] = _aws.client(region).get_wireless_device(
            Identifier=identifier,
            IdentifierType=identifier_type,  # type: ignore[arg-type]
        )
    return live


@contextmanager
def _missing_reference(advice: str) -> Iterator[None]:
    """Give a not-found answer inside the block the advice about what the device names."""
    try:
        yield
    except _aws.PartnerAccountError as err:
        if err.code != _aws.NOT_FOUND:
            raise
        # The sentence is `<what failed> (<code>: <AWS's message>): <advice>.`: keep what failed.
        what = str(err).split("): ", 1)[0]
        raise _aws.PartnerAccountError(f"{what}): {advice}.", err.code) from None


def _update_device(device_id: str, region: str, changes: Mapping[str, Any]) -> None:
    """Set the given members of a device in one UpdateWirelessDevice."""
    destination = changes.get("DestinationName")
    advice = (
        f"destination {destination!r} does not exist in {region} (make it first, or correct "
        "destinationName), or the device itself is gone (run `pulumi refresh`)"
    )
    with (
        _missing_reference(advice) if destination is not None else nullcontext(),
        _aws.translated("UpdateWirelessDevice", device_id, region, WIRELESS_DEVICE),
    ):
        _aws.client(region).update_wireless_device(Id=device_id, **changes)


def _live_fields(live: Mapping[str, Any]) -> dict[str, Any]:
    """Return the inputs a GetWirelessDevice answer shows, as the inputs name them."""
    sidewalk = live.get("Sidewalk") or {}
    return {
        NAME: live.get("Name", ""),
        DESCRIPTION: live.get("Description", ""),
        DESTINATION_NAME: live.get("DestinationName", ""),
        POSITIONING: live.get("Positioning", _POSITIONING_DEFAULT),
        SIDEWALK_MANUFACTURING_SN: sidewalk.get("SidewalkManufacturingSn", ""),
        DEVICE_PROFILE_ID: sidewalk.get("DeviceProfileId", ""),
    }


def _outputs(props: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """Echo the inputs and add what AWS generated; the private keys go under `privateKeys` alone."""
    sidewalk = live.get("Sidewalk") or {}
    return {
        **_regional.public(props),
        ARN: live["Arn"],
        SIDEWALK_ID: sidewalk.get("SidewalkId", ""),
        STATUS: sidewalk.get("Status", ""),
        DEVICE_CERTIFICATES: [dict(c) for c in sidewalk.get("DeviceCertificates", [])],
        PRIVATE_KEYS: [dict(k) for k in sidewalk.get("PrivateKeys", [])],
    }
