"""DestinationProvider manages an AWS IoT Wireless destination: where the uplinks of devices go."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import Unknown

from providers import _aws, _regional, _tags

__all__ = [
    "ARN",
    "DESCRIPTION",
    "DESTINATION",
    "EXPRESSION",
    "EXPRESSION_TYPE",
    "INPUTS",
    "MQTT_TOPIC",
    "NAME",
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
INPUTS = (NAME, EXPRESSION, EXPRESSION_TYPE, ROLE_ARN, DESCRIPTION, TAGS, REGION)
# The output computed by AWS.
ARN = "arn"
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

_PROVIDER_KEY = "__provider"
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


def _string_failure(prop: str, value: Any) -> CheckFailure | None:
    """Apply the model's rules for one string input, or return None when it keeps them."""
    rules = _aws.shape_rules(_SHAPES[prop])
    if not isinstance(value, str):
        return CheckFailure(prop, f"{prop} must be a string")
    if "enum" in rules:
        if value not in rules["enum"]:
            return CheckFailure(prop, f"{prop} must be one of {', '.join(rules['enum'])}")
        return None
    # AWS refuses an empty required member even where the model sets no minimum.
    low, high = max(rules.get("min", 0), 1 if prop in _REQUIRED else 0), rules["max"]
    if not low <= len(value) <= high:
        return CheckFailure(prop, f"{prop} must be {low} to {high} characters")
    if "pattern" in rules and not re.fullmatch(rules["pattern"], value):
        return CheckFailure(prop, f"{prop} must match the pattern {rules['pattern']}")
    return None


def _public(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != _PROVIDER_KEY}


class DestinationProvider(_regional.RegionalProvider):
    """A provider that runs each lifecycle step of a Destination through boto3."""

    def check_failures(self, news: Mapping[str, Any]) -> list[CheckFailure]:
        """Apply every rule to known input values; never raise."""
        failures = [
            CheckFailure(
                name, f"{name!r} is not an input of Destination (the inputs are {', '.join(INPUTS)})"
            )
            for name in sorted(set(news) - {*INPUTS, _PROVIDER_KEY})
        ]
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
        return failures

    def fill_defaults(self, olds: Mapping[str, Any], inputs: dict[str, Any]) -> None:
        """Set the description, after the region and tags every resource gets."""
        # GetDestination reads an absent description back as none: "" keeps the diff quiet.
        inputs.setdefault(DESCRIPTION, "")

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare old outputs with new inputs offline: name and region replace, the rest update."""
        replaces = [k for k in _REPLACING if isinstance(news.get(k), Unknown) or olds.get(k) != news.get(k)]
        changed = any(olds.get(k) != news.get(k) for k in (*_UPDATABLE, TAGS))
        return DiffResult(changes=bool(replaces) or changed, replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Call CreateDestination once, tags inline; its answer holds the ARN, so no read follows."""
        name, region = props[NAME], props[REGION]
        with _aws.translated("CreateDestination", name, region, DESTINATION):
            response = _aws.client(region).create_destination(
                Name=name,
                Expression=props[EXPRESSION],
                ExpressionType=props[EXPRESSION_TYPE],
                RoleArn=props[ROLE_ARN],
                Description=props[DESCRIPTION],
                Tags=_tags.tag_list(props[TAGS]),
            )
        return CreateResult(name, {**_public(props), ARN: response["Arn"]})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh the destination and its tags from AWS; an empty id says it is gone."""
        region = self.region_of(props)
        client = _aws.client(region)
        with _aws.translated("GetDestination", id_, region, DESTINATION):
            try:
                live = client.get_destination(Name=id_)
            except client.exceptions.ResourceNotFoundException:
                return ReadResult("", {})
        outs = {
            **_public(props),
            NAME: id_,
            REGION: region,
            EXPRESSION: live["Expression"],
            EXPRESSION_TYPE: live["ExpressionType"],
            ROLE_ARN: live["RoleArn"],
            DESCRIPTION: live.get("Description", ""),
            ARN: live["Arn"],
        }
        outs[TAGS] = _tags.live(id_, region, live["Arn"], DESTINATION)
        return ReadResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Make only the calls the diff needs: one UpdateDestination, then the changed tags."""
        region = news[REGION]
        if any(olds.get(k) != news.get(k) for k in _UPDATABLE):
            with _aws.translated("UpdateDestination", id_, region, DESTINATION):
                _aws.client(region).update_destination(
                    Name=id_,
                    Expression=news[EXPRESSION],
                    ExpressionType=news[EXPRESSION_TYPE],
                    RoleArn=news[ROLE_ARN],
                    Description=news[DESCRIPTION],
                )
        _tags.reconcile(id_, region, olds[ARN], olds.get(TAGS) or {}, news[TAGS], DESTINATION)
        return UpdateResult({**_public(olds), **_public(news)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Remove the destination; one already gone counts as deleted."""
        region = self.region_of(props)
        client = _aws.client(region)
        with (
            _aws.translated("DeleteDestination", id_, region, _DESTINATION_IN_USE),
            contextlib.suppress(client.exceptions.ResourceNotFoundException),
        ):
            client.delete_destination(Name=id_)
