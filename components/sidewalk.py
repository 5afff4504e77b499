"""SidewalkIntegration: the whole cloud side of Amazon Sidewalk, from association to uplink rule."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from components.destination import Destination, DestinationArgs
from components.partner_account import PartnerAccount, PartnerAccountArgs
from providers.destination import RULE_NAME

if TYPE_CHECKING:
    import pulumi_aws as aws

__all__ = [
    "INTEGRATION_TYPE",
    "InvokeLambda",
    "Republish",
    "SidewalkIntegration",
    "SidewalkIntegrationArgs",
    "UplinkAction",
    "default_destination_name",
]

INTEGRATION_TYPE = "sidewalk:index:Integration"
IOT_WIRELESS = "iotwireless.amazonaws.com"
IOT = "iot.amazonaws.com"
# AWS IoT hands a rule whatever is published to its Basic Ingest topic; a RuleName destination does that.
BASIC_INGEST = "$aws/rules/"
# What a default name may not hold, and its length: botocore's DestinationName shape, which the
# Destination's check enforces from the model.
_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9_-]")
_MAX_NAME = 128


@dataclass(frozen=True)
class Republish:
    """Send each uplink on to an MQTT topic of AWS IoT Core."""

    topic: str
    """A literal topic (no substitution templates): the rule's role may publish to it alone."""


@dataclass(frozen=True)
class InvokeLambda:
    """Hand each uplink to a Lambda function in the integration's region."""

    function_arn: pulumi.Input[str]


UplinkAction = Republish | InvokeLambda


@dataclass(frozen=True, kw_only=True)
class SidewalkIntegrationArgs:
    """The association's inputs and where its devices' uplinks go."""

    account: PartnerAccountArgs
    """The association; its region and tags apply to every resource of the integration."""
    uplink: UplinkAction
    """What the AWS IoT rule does with each uplink."""
    destination_name: str | None = None
    """The name devices are registered with: 1 to 128 of A-Z, a-z, 0-9, _ and -.

    The default, `<project>-<stack>-<resource name>`, differs between stacks, so that two stacks in
    one account never share a Destination or a rule.
    """
    protect: bool = False
    """Protect the association: a replacement or destroy of it fails until protection is lifted."""


def default_destination_name(resource_name: str) -> str:
    """Return `<project>-<stack>-<resource name>`, made a valid Destination name."""
    name = f"{pulumi.get_project()}-{pulumi.get_stack()}-{resource_name}"
    return _NOT_IN_NAMES.sub("-", name)[:_MAX_NAME]


class SidewalkIntegration(pulumi.ComponentResource):
    """Associate a Sidewalk account and route its uplinks to an AWS IoT rule."""

    partner_account: PartnerAccount
    destination: Destination
    destination_name: pulumi.Output[str]
    rule_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: SidewalkIntegrationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(INTEGRATION_TYPE, resource_name, None, opts)
        # pulumi-aws is imported by the integration alone: the program imports this module for
        # INTEGRATION_TYPE on every run, and pulumi-aws (its lambda_ module above all) costs a quarter
        # of a second of CPU on every preview and up of a stack that holds the association alone. So
        # the attributes of its types are annotated here, not on the class, whose annotations Pulumi
        # evaluates at run time.
        import pulumi_aws as aws

        with warnings.catch_warnings():
            # pulumi-aws 7.51 warns, as aws.lambda_ loads, that a resource not used here is deprecated.
            warnings.filterwarnings("ignore", "aws.lambda/microvmsimage", DeprecationWarning)
            from pulumi_aws.lambda_ import Permission

        child = pulumi.ResourceOptions(parent=self)
        destination_name = args.destination_name or default_destination_name(resource_name)
        # Rule names allow no "-"; the rule is the destination's, so it takes the destination's name.
        rule_name = destination_name.replace("-", "_")
        tags = args.account.tags

        # A stack that held the bare association (same name, no parent) keeps it rather than replacing it.
        self.partner_account = PartnerAccount(
            resource_name,
            args.account,
            pulumi.ResourceOptions(
                parent=self, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)], protect=args.protect
            ),
        )
        region = self.partner_account.region
        # The association's ARN says which partition and account every other ARN here is in.
        arn_parts = self.partner_account.arn.apply(lambda arn: arn.split(":"))
        iot_arn = pulumi.Output.all(arn_parts, region).apply(
            lambda values: f"arn:{values[0][1]}:iot:{values[1]}:{values[0][4]}"
        )

        self.destination_role: aws.iam.Role = aws.iam.Role(
            f"{resource_name}-destination",
            description=f"Lets AWS IoT Wireless hand Sidewalk uplinks to the AWS IoT rule {rule_name}",
            assume_role_policy=_trust(IOT_WIRELESS),
            inline_policies=[
                aws.iam.RoleInlinePolicyArgs(
                    name="publish-to-rule",
                    policy=iot_arn.apply(
                        lambda iot: _policy(
                            # DescribeEndpoint supports no resource-level permission.
                            ("iot:DescribeEndpoint", "*"),
                            ("iot:Publish", f"{iot}:topic/{BASIC_INGEST}{rule_name}"),
                        )
                    ),
                )
            ],
            tags=tags,
            opts=child,
        )

        republishes, lambdas = None, None
        if isinstance(args.uplink, Republish):
            topic = args.uplink.topic
            republish_role = aws.iam.Role(
                f"{resource_name}-republish",
                description=f"Lets the AWS IoT rule {rule_name} republish Sidewalk uplinks to {topic}",
                assume_role_policy=iot_arn.apply(
                    lambda iot: _trust(IOT, source_arn=f"{iot}:rule/{rule_name}")
                ),
                inline_policies=[
                    aws.iam.RoleInlinePolicyArgs(
                        name="republish",
                        policy=iot_arn.apply(lambda iot: _policy(("iot:Publish", f"{iot}:topic/{topic}"))),
                    )
                ],
                tags=tags,
                opts=child,
            )
            republishes = [aws.iot.TopicRuleRepublishArgs(role_arn=republish_role.arn, topic=topic)]
        else:
            lambdas = [aws.iot.TopicRuleLambdaArgs(function_arn=args.uplink.function_arn)]

        self.rule: aws.iot.TopicRule = aws.iot.TopicRule(
            f"{resource_name}-uplinks",
            name=rule_name,
            description=f"Receives the uplinks of the Sidewalk devices of destination {destination_name}",
            enabled=True,
            sql="SELECT *",
            sql_version="2016-03-23",
            republishes=republishes,
            lambdas=lambdas,
            region=region,
            tags=tags,
            opts=child,
        )
        if isinstance(args.uplink, InvokeLambda):
            Permission(
                f"{resource_name}-invoke",
                action="lambda:InvokeFunction",
                function=args.uplink.function_arn,
                principal=IOT,
                source_arn=self.rule.arn,
                source_account=arn_parts.apply(lambda parts: parts[4]),
                region=region,
                opts=child,
            )

        self.destination = Destination(
            resource_name,
            DestinationArgs(
                name=destination_name,
                expression=self.rule.name,
                expression_type=RULE_NAME,
                role_arn=self.destination_role.arn,
                description=f"Sidewalk uplinks, to the AWS IoT rule {rule_name}",
                tags=tags,
                region=region,
            ),
            child,
        )

        self.destination_name = self.destination.name
        self.rule_arn = self.rule.arn
        self.role_arn = self.destination_role.arn
        account = self.partner_account
        self.register_outputs(
            {
                "partnerAccountArn": account.arn,
                "amazonId": account.amazon_id,
                "fingerprint": account.fingerprint,
                "accountLinked": account.account_linked,
                "region": account.region,
                "destinationName": self.destination_name,
                "ruleArn": self.rule_arn,
                "roleArn": self.role_arn,
            }
        )


def _trust(service: str, source_arn: str | None = None) -> str:
    """Return a role trust policy that lets one AWS service assume the role."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_arn is not None:
        # AWS IoT names the rule assuming the role; this keeps other accounts' rules out (confused deputy).
        account = source_arn.split(":")[4]
        statement["Condition"] = {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": source_arn},
        }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _policy(*grants: tuple[str, str]) -> str:
    """Return an identity policy allowing each (action, resource) pair, and nothing else."""
    statements: list[Mapping[str, str]] = [
        {"Effect": "Allow", "Action": action, "Resource": resource} for action, resource in grants
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
