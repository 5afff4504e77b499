"""The policies of the pack: what a preview of this project must satisfy before it is applied."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

# The project's own record of where Sidewalk is served; the pack's __main__ puts the project on sys.path.
from providers._aws import SIDEWALK_REGIONS

__all__ = [
    "ADOPT_EXISTING_OFF",
    "DEVICE_DESTINATION_IN_STACK",
    "IOT_PUBLISH_ON_RULE_TOPICS",
    "POLICIES",
    "REQUIRED_TAGS",
    "SIDEWALK_REGION",
]

PARTNER_ACCOUNT = "pulumi-python:dynamic/iotwireless:PartnerAccount"
DESTINATION = "pulumi-python:dynamic/iotwireless:Destination"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
TOPIC_RULE = "aws:iot/topicRule:TopicRule"
DEVICE = "pulumi-python:dynamic/iotwireless:SidewalkDevice"
DEVICE_PROFILE = "pulumi-python:dynamic/iotwireless:SidewalkDeviceProfile"
# The resources of this project that carry the stack's sidewalk:tags, the fleet's devices included.
TAGGED = frozenset({PARTNER_ACCOUNT, DESTINATION, ROLE, TOPIC_RULE, DEVICE, DEVICE_PROFILE})
PUBLISH = "iot:Publish"
# AWS IoT hands a rule whatever is published to its Basic Ingest topic.
BASIC_INGEST = "$aws/rules/"
TOPIC_ARN = re.compile(r"arn:[^:*?]+:iot:[^:*?]*:[^:*?]*:topic/(?P<topic>.+)")


def _sidewalk_region(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Report a PartnerAccount whose region is not one Sidewalk is served from."""
    if args.resource_type != PARTNER_ACCOUNT:
        return
    # The provider's check has filled in the default region, so the input is the region used.
    region = args.props.get("region")
    if isinstance(region, str) and region not in SIDEWALK_REGIONS:
        served = ", ".join(sorted(SIDEWALK_REGIONS))
        report_violation(
            f"PartnerAccount {args.name} is in {region}, where AWS does not serve Amazon Sidewalk "
            f"(it answers AccessDeniedException): set aws:region to {served} "
            f"(`pulumi config set aws:region {min(SIDEWALK_REGIONS)}`), or the resource's region input.",
            None,
        )


SIDEWALK_REGION = ResourceValidationPolicy(
    name="sidewalk-region",
    description="A Sidewalk association must be in a region that Amazon Sidewalk is served from.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_sidewalk_region,
)


def _required_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Report a tagged resource that lacks a tag the pack's config requires, or has it empty."""
    if args.resource_type not in TAGGED:
        return
    tags = args.props.get("tags") or {}
    missing = [
        name
        for name in args.get_config().get("requiredTags", [])
        if not isinstance(tags.get(name), str) or not tags[name].strip()
    ]
    if missing:
        report_violation(
            f"{args.name} ({args.resource_type}) is missing these tags or has them empty: "
            f"{', '.join(missing)}. Set them in sidewalk:tags, which every resource of the stack takes its "
            f"tags from: `pulumi config set --path sidewalk:tags.{missing[0]} <value>`.",
            None,
        )


REQUIRED_TAGS = ResourceValidationPolicy(
    name="required-tags",
    description="Every tagged resource carries the tags that the policy config's requiredTags names.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "requiredTags": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "uniqueItems": True,
                "default": ["team"],
            }
        }
    ),
    validate=_required_tags,
)


def _action_matches(pattern: str, action: str) -> bool:
    """Return whether an IAM action pattern (`*` and `?` wildcards, any case) covers the action."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def _as_list(value: Any) -> list[Any]:
    """Return an IAM policy element that may be one value or a list as a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) or not isinstance(value, Sequence) else list(value)


def _publish_statements(document: Any) -> Iterator[Mapping[str, Any]]:
    """Yield the statements of a policy document that allow iot:Publish."""
    if isinstance(document, str):
        document = json.loads(document)
    for statement in _as_list(document.get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            granted = not any(_action_matches(a, PUBLISH) for a in _as_list(statement["NotAction"]))
        else:
            granted = any(_action_matches(a, PUBLISH) for a in _as_list(statement.get("Action")))
        if granted:
            yield statement


def _policy_documents(resource_type: str, props: Mapping[str, Any]) -> list[Any]:
    """Return the policy documents an IAM resource holds: a role's inline ones, a policy's own."""
    if resource_type == ROLE:
        return [inline["policy"] for inline in props.get("inlinePolicies") or [] if inline.get("policy")]
    if resource_type in (ROLE_POLICY, IAM_POLICY) and props.get("policy"):
        return [props["policy"]]
    return []


def _rule_topics(args: StackValidationArgs) -> set[str]:
    """Return the topics the stack's AWS IoT rules own: their Basic Ingest and republish topics."""
    topics: set[str] = set()
    for resource in args.resources:
        if resource.resource_type != TOPIC_RULE:
            continue
        topics.add(BASIC_INGEST + resource.props["name"])
        topics.update(republish["topic"] for republish in resource.props.get("republishes") or [])
    return topics


def _publish_problems(statement: Mapping[str, Any], rule_topics: set[str]) -> Iterator[str]:
    """Yield what is wrong with the resources an iot:Publish statement grants."""
    if "NotResource" in statement:
        yield "every topic but those its NotResource lists"
        return
    for resource in _as_list(statement.get("Resource")):
        if "*" in resource or "?" in resource:
            yield f"`{resource}` (a wildcard)"
        elif (match := TOPIC_ARN.fullmatch(resource)) is None:
            yield f"`{resource}` (not the ARN of one AWS IoT topic)"
        elif match["topic"] not in rule_topics:
            yield f"`{resource}` (a topic that no AWS IoT rule of the stack owns)"


def _iot_publish_on_rule_topics(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Report an IAM role or policy that allows iot:Publish beyond the topics of the stack's rules."""
    rule_topics = _rule_topics(args)
    for resource in args.resources:
        documents = _policy_documents(resource.resource_type, resource.props)
        problems = [
            problem
            for document in documents
            for statement in _publish_statements(document)
            for problem in _publish_problems(statement, rule_topics)
        ]
        if problems:
            report_violation(
                f"{resource.name} allows iot:Publish on {'; '.join(problems)}: grant it on the exact "
                f"topic ARN of the rule instead, arn:aws:iot:REGION:ACCOUNT:topic/{BASIC_INGEST}RULE for "
                f"the role that hands uplinks to the rule, the republish topic for the rule's own role; "
                f"never `*`.",
                resource.urn,
            )


IOT_PUBLISH_ON_RULE_TOPICS = StackValidationPolicy(
    name="iot-publish-on-rule-topics",
    description="The integration's IAM roles may publish only to the topics of the stack's AWS IoT rules.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_iot_publish_on_rule_topics,
)


def _adopt_existing_off(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Report each PartnerAccount the stack already manages while sidewalk:adoptExisting is still true."""
    # The stack's config, not the resource's outputs: those keep the adoptExisting of the last update
    # that changed something, so they would still say true after the config was turned off.
    if not pulumi.Config("sidewalk").get_bool("adoptExisting"):
        return
    for resource in args.resources:
        if resource.resource_type != PARTNER_ACCOUNT:
            continue
        # Only an association the stack holds has an ARN; a create's is unknown until applied.
        known, arn = _known(resource, "arn")
        if known and arn:
            report_violation(
                f"PartnerAccount {resource.name} ({arn}) is managed by this stack and sidewalk:adoptExisting "
                f"is still true: run `pulumi config set sidewalk:adoptExisting false`, so that a later "
                f"replacement (a new amazonId or region) fails on an association that already exists, "
                f"perhaps one another stack manages, instead of silently taking it over.",
                resource.urn,
            )


ADOPT_EXISTING_OFF = StackValidationPolicy(
    name="adopt-existing-off-after-adoption",
    description="adoptExisting is for the update that adopts an association; turn it off afterwards.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_adopt_existing_off,
)


def _known(resource: Any, name: str) -> tuple[bool, Any]:
    """Return whether a property of a resource is known at this preview, and its value if so."""
    try:
        return True, resource.props.get(name)
    except UnknownValueError:
        return False, None


def _device_destination_in_stack(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Report each SidewalkDevice whose destinationName names no Destination of this stack."""
    managed: set[str] = set()
    some_unknown = False
    for resource in args.resources:
        if resource.resource_type == DESTINATION:
            known, name = _known(resource, "name")
            some_unknown |= not known
            if known and isinstance(name, str):
                managed.add(name)
    for resource in args.resources:
        if resource.resource_type != DEVICE:
            continue
        known, name = _known(resource, "destinationName")
        # A name not known yet, or one that a Destination's unknown name may turn out to be, is no proof.
        if not known or not isinstance(name, str) or name in managed or some_unknown:
            continue
        held = ", ".join(sorted(managed)) or "none"
        report_violation(
            f"SidewalkDevice {resource.name} sends its uplinks to Destination {name!r}, which this stack "
            f"does not manage (its Destinations: {held}): a change or delete of that Destination outside "
            f"this stack reroutes or drops the device's uplinks unseen by `pulumi preview`. Manage it here "
            f"(a Destination resource, or SidewalkIntegration's), or point the device at one of this "
            f"stack's Destinations.",
            resource.urn,
        )


DEVICE_DESTINATION_IN_STACK = StackValidationPolicy(
    name="device-destination-in-stack",
    description="Every SidewalkDevice sends its uplinks to a Destination that this stack manages.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_device_destination_in_stack,
)

POLICIES = [
    SIDEWALK_REGION,
    REQUIRED_TAGS,
    IOT_PUBLISH_ON_RULE_TOPICS,
    ADOPT_EXISTING_OFF,
    DEVICE_DESTINATION_IN_STACK,
]
