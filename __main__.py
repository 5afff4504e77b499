"""The program: stack config in, one Sidewalk partner-account association, stack outputs out."""

from __future__ import annotations

import pulumi

from components.partner_account import PartnerAccount, PartnerAccountArgs

config = pulumi.Config("sidewalk")
aws_config = pulumi.Config("aws")

account = PartnerAccount(
    "sidewalk",
    PartnerAccountArgs(
        amazon_id=config.require("amazonId"),
        app_server_private_key=config.require_secret("appServerPrivateKey"),
        tags=config.get_object("tags"),
        adopt_existing=config.get_bool("adoptExisting"),
        region=aws_config.get("region"),
    ),
)

# The stack outputs are a contract read by other stacks: none of them carries the key.
pulumi.export("partnerAccountArn", account.arn)
pulumi.export("amazonId", account.amazon_id)
pulumi.export("fingerprint", account.fingerprint)
pulumi.export("accountLinked", account.account_linked)
pulumi.export("region", account.region)
