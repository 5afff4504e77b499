"""DestinationProvider manages an AWS IoT Wireless destination: where the uplinks of devices go."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import Unknown

from providers import _aws, _ownership, _regional, _tags

__all__ = [
    "ARN",
    "DESCRIPTION",
    "DESTINATION",
    "EXPRESSION",
    "EXPRESSION_TYPE",
    "INPUTS",
    "MQTT_TOPIC",
    "NAME",
    "OWNER",
    "OWNER_MARKER",
    "REGION",
    "ROLE_ARN",
    "RULE_NAME",
    "TAGS",
    "DestinationProvider",
]

# Input names on the wire.
NAME = "name"
EXPRESSION = "expression"
EXPRESSION_TYPE = "expressionType"
ROLE_ARN = "roleArn"
DESCRIPTION = "description"
TAGS = _tags.TAGS
REGION = _regional.REGION
# `<project>/<stack>/<resource name>`, set by the component: who holds the destination (_ownership).
OWNER = _ownership.OWNER
INPUTS = (NAME, EXPRESSION, EXPRESSION_TYPE, ROLE_ARN, DESCRIPTION, TAGS, REGION, OWNER)
# The output computed by AWS.
ARN = "arn"
# The owner tag's value this resource wrote: it holds the destination while AWS shows the same.
OWNER_MARKER = _ownership.OWNER_MARKER
# The values of expressionType: the expression names an AWS IoT rule, or an MQTT topic.
RULE_NAME = "RuleName"
MQTT_TOPIC = "MqttTopic"

DESTINATION = _aws.ResourceKind(
    noun="destination",
    conflict=(
        "another destination of this name exists in this account and region: choose another name, "
        "or delete that destination first"
    ),
    gone="destination",
)
# DeleteDestination answers ConflictException for a destination that devices still send to.
_DESTINATION_IN_USE = dataclasses.replace(
    DESTINATION,
    conflict="wireless devices still send to this destination: give them another destination first",
)

# The shape of botocore's model behind each string input: its min, max, pattern and enum apply.
_SHAPES = {
    NAME: "DestinationName",
    EXPRESSION: "Expression",
    EXPRESSION_TYPE: "ExpressionType",
    ROLE_ARN: "RoleArn",
    DESCRIPTION: "Description",
}
_REQUIRED = (NAME, EXPRESSION, EXPRESSION_TYPE, ROLE_ARN)
# Inputs whose change replaces the destination; UpdateDestination sets the others in place.
_REPLACING = (NAME, REGION)
_UPDATABLE = (EXPRESSION, EXPRESSION_TYPE, ROLE_ARN, DESCRIPTION)
_CREATE = "CreateDestination"
_DELETE = "DeleteDestination"
_TAKE_OVER = (
    "choose another name, or remove it from the stack that holds it, if one does (`pulumi state "
    "delete` there leaves it in place) and delete it"
)


def _string_failure(prop: str, value: Any) -> CheckFailure | None:
    """Apply the model's rules for one string input, or return None when it keeps them."""
    return _regional.shape_failure(prop, _SHAPES[prop], value, prop in _REQUIRED)


class DestinationProvider(_regional.RegionalProvider):
    """A provider that runs each lifecycle step of a Destination through boto3."""

    def check_failures(self, news: Mapping[str, Any]) -> list[CheckFailure]:
        """Apply every rule to known input values; never raise."""
        failures = _regional.unknown_input_failures("Destination", news, INPUTS)
        for prop in _SHAPES:
            value = news.get(prop)
            if value is None:
                if prop in _REQUIRED:
                    failures.append(CheckFailure(prop, f"{prop} is required"))
            elif not isinstance(value, Unknown) and (failure := _string_failure(prop, value)) is not None:
                failures.append(failure)
        tags = news.get(TAGS)
        if tags is not None and not isinstance(tags, Unknown):
            failures.extend(_tags.failures(tags))
        failures.extend(_regional.region_failures(news.get(REGION)))
        failures.extend(_ownership.failures(news.get(OWNER)))
        return failures

    def fill_defaults(self, olds: Mapping[str, Any], inputs: dict[str, Any]) -> None:
        """Set the description, after the region and tags every resource gets."""
        # GetDestination reads an absent description back as none: "" keeps the diff quiet.
        inputs.setdefault(DESCRIPTION, "")

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare old outputs with new inputs offline: name and region replace, the rest update."""
        replaces = [k for k in _REPLACING if isinstance(news.get(k), Unknown) or olds.get(k) != news.get(k)]
        changed = any(olds.get(k) != news.get(k) for k in (*_UPDATABLE, TAGS))
        changed = changed or _ownership.needs_marking(olds, news)
        return DiffResult(changes=bool(replaces) or changed, replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Call CreateDestination once, tags and owner tag inline; take one of the name over only when it may.

        A destination of the same name marked with this resource's owner is the one a replacement
        replaces, or what an interrupted create of this one left: it takes that over, in place.
        """
        name, region = props[NAME], props[REGION]
        marker = _ownership.new_marker(props[OWNER])
        client = _aws.client(region)
        try:
            with _aws.translated(_CREATE, name, region, DESTINATION):
                response = client.create_destination(
                    Name=name,
                    Expression=props[EXPRESSION],
                    ExpressionType=props[EXPRESSION_TYPE],
                    RoleArn=props[ROLE_ARN],
                    Description=props[DESCRIPTION],
                    Tags=_tags.tag_list({**props[TAGS], _tags.OWNER_KEY: marker}),
                )
        except _aws.PartnerAccountError as err:
            if err.code != _aws.CONFLICT:
                raise
            arn = self._take_over(props, marker)
        else:
            # CreateDestination takes no request token, so its success is always a new destination.
            arn = response["Arn"]
        return CreateResult(name, {**_regional.public(props), ARN: arn, OWNER_MARKER: marker})

    def _take_over(self, props: Mapping[str, Any], marker: str) -> str:
        """Make an existing destination of this owner this resource's, or refuse; return its ARN."""
        name, region = props[NAME], props[REGION]
        with _aws.translated("GetDestination", name, region, DESTINATION):
            arn = _aws.client(region).get_destination(Name=name)["Arn"]
        live_tags, live_marker = _tags.live(name, region, arn, DESTINATION)
        if not _ownership.same_owner(live_marker, props[OWNER]):
            raise _ownership.held_error(_CREATE, DESTINATION.noun, name, region, live_marker, _TAKE_OVER)
        _update_destination(name, props)
        _tags.reconcile(name, region, arn, live_tags, props[TAGS], DESTINATION, owner_marker=marker)
        return arn

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh the destination and its tags; an empty id says it is gone, or held by another resource."""
        region = self.region_of(props)
        client = _aws.client(region)
        with _aws.translated("GetDestination", id_, region, DESTINATION):
            try:
                live = client.get_destination(Name=id_)
            except client.exceptions.ResourceNotFoundException:
                return ReadResult("", {})
        outs = {
            **_regional.public(props),
            NAME: id_,
            REGION: region,
            EXPRESSION: live["Expression"],
            EXPRESSION_TYPE: live["ExpressionType"],
            ROLE_ARN: live["RoleArn"],
            DESCRIPTION: live.get("Description", ""),
            ARN: live["Arn"],
        }
        outs[TAGS], live_marker = _tags.live(id_, region, live["Arn"], DESTINATION)
        if not _ownership.holds(live_marker, props.get(OWNER_MARKER)):
            return ReadResult("", {})
        # The inputs as AWS now has them, so that the next preview names what its update will change.
        return ReadResult(id_, outs, {k: outs[k] for k in INPUTS if k in outs})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Make only the calls the diff needs: one UpdateDestination, then the changed tags."""
        region = news[REGION]
        if any(olds.get(k) != news.get(k) for k in _UPDATABLE):
            _update_destination(id_, news)
        marker = _ownership.new_marker(news[OWNER]) if _ownership.needs_marking(olds, news) else None
        _tags.reconcile(
            id_, region, olds[ARN], olds.get(TAGS) or {}, news[TAGS], DESTINATION, owner_marker=marker
        )
        return UpdateResult(
            {**_regional.public({**olds, **news}), OWNER_MARKER: marker or olds[OWNER_MARKER]}
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Remove the destination while this resource holds it; one already gone counts as deleted."""
        region = self.region_of(props)
        with _aws.gone_is_done():
            _, live_marker = _tags.live(id_, region, props[ARN], DESTINATION)
            if not _ownership.holds(live_marker, props.get(OWNER_MARKER)):
                _ownership.leave_alone(_DELETE, DESTINATION.noun, id_, region, live_marker)
                return
            with _aws.translated(_DELETE, id_, region, _DESTINATION_IN_USE):
                _aws.client(region).delete_destination(Name=id_)


def _update_destination(name: str, props: Mapping[str, Any]) -> None:
    """Set every updatable field of a destination in one UpdateDestination."""
    region = props[REGION]
    with _aws.translated("UpdateDestination", name, region, DESTINATION):
        _aws.client(region).update_destination(
            Name=name,
            Expression=props[EXPRESSION],
            ExpressionType=props[EXPRESSION_TYPE],
            RoleArn=props[ROLE_ARN],
            Description=props[DESCRIPTION],
        )
