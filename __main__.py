"""The program: stack config in, one Sidewalk association (or the whole integration), outputs out."""

from __future__ import annotations

import json

import pulumi

from components import fleet
from components.partner_account import PartnerAccount, PartnerAccountArgs
from components.sidewalk import (
    INTEGRATION_TYPE,
    InvokeLambda,
    Republish,
    SidewalkIntegration,
    SidewalkIntegrationArgs,
)

config = pulumi.Config("sidewalk")
aws_config = pulumi.Config("aws")

amazon_id = config.require("amazonId")
app_server_private_key = config.require_secret("appServerPrivateKey")
if not pulumi.runtime.is_config_secret(key_config := config.full_key("appServerPrivateKey")):
    # The resource keeps it secret either way, but the stack config file holds it in plaintext.
    pulumi.log.warn(
        f"{key_config} is stored in plaintext in the stack config: set it with "
        f"`pulumi config set --secret {key_config}` so that it is kept encrypted"
    )
tags = config.get_object("tags")
if tags is not None and not (isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())):
    raise pulumi.ConfigTypeError(config.full_key("tags"), json.dumps(tags), "object of string to string")

# The fleet's config is checked before any resource is registered, so a mistake costs no AWS call.
devices = fleet.devices_from_config(config, config.get_object("devices"), config.get("devicesCsv"))
integration_on = bool(config.get_bool("integration"))
# The existing Destination config names for the devices; None means the integration's.
device_destination = (
    fleet.device_destination(config, config.get("deviceDestinationName"), integration_on) if devices else None
)

# Protection makes `pulumi preview` of a replacement, and `pulumi destroy`, fail before any AWS call.
protect = config.get_bool("protect") or False
account_args = PartnerAccountArgs(
    amazon_id=amazon_id,
    app_server_private_key=app_server_private_key,
    tags=tags,
    adopt_existing=config.get_bool("adoptExisting"),
    region=aws_config.get("region"),
)
destination_name: pulumi.Input[str] | None = device_destination
if integration_on:
    # The whole cloud side: uplinks go to an MQTT topic or to a Lambda function, whichever is set.
    topic, function_arn = config.get("uplinkTopic"), config.get("uplinkLambdaArn")
    if (topic is None) == (function_arn is None):
        raise pulumi.RunError(
            "sidewalk:integration needs exactly one of sidewalk:uplinkTopic and sidewalk:uplinkLambdaArn"
        )
    integration = SidewalkIntegration(
        "sidewalk",
        SidewalkIntegrationArgs(
            account=account_args,
            uplink=Republish(topic) if topic is not None else InvokeLambda(function_arn),
            destination_name=config.get("destinationName"),
            protect=protect,
        ),
    )
    account = integration.partner_account
    destination_name = integration.destination_name
    pulumi.export("destinationName", integration.destination_name)
    pulumi.export("ruleArn", integration.rule_arn)
else:
    # Turning the integration off keeps the association it held instead of replacing it.
    held = pulumi.Alias(parent=pulumi.create_urn("sidewalk", INTEGRATION_TYPE))
    account = PartnerAccount(
        "sidewalk", account_args, pulumi.ResourceOptions(aliases=[held], protect=protect)
    )

# The stack outputs are a contract read by other stacks: none of them carries the key.
pulumi.export("partnerAccountArn", account.arn)
pulumi.export("amazonId", account.amazon_id)
pulumi.export("fingerprint", account.fingerprint)
pulumi.export("accountLinked", account.account_linked)
pulumi.export("region", account.region)

# With devices, the destination is never None: device_destination raised above when there is none.
if devices and destination_name is not None:
    # One device profile, and on it one SidewalkDevice per device, whose uplinks go to the Destination.
    sidewalk_fleet = fleet.Fleet(
        fleet.FleetArgs(
            devices=devices,
            destination_name=destination_name,
            profile_name=config.get("deviceProfileName") or fleet.default_profile_name(),
            tags=tags,
            region=aws_config.get("region"),
        )
    )
    # Ids and status only: the devices' private keys stay in their resources' secret outputs.
    pulumi.export("deviceProfileId", sidewalk_fleet.profile.id)
    pulumi.export("devices", sidewalk_fleet.summary)
