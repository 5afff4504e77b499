"""A probe program: the PartnerAccount, then, when `probe:failLater` is true, a resource whose create fails.

The later resource is a Destination in a region the emulator refuses (us-west-2 unless a test serves
it), so an update that replaces the association stops after the new association's create and before
the old resource's delete, as one whose later step fails does.
"""

from __future__ import annotations

import pulumi

from components.destination import Destination, DestinationArgs
from components.partner_account import PartnerAccount, PartnerAccountArgs

sidewalk = pulumi.Config("sidewalk")
probe = pulumi.Config("probe")
account = PartnerAccount(
    probe.get("name") or "sidewalk",
    PartnerAccountArgs(
        amazon_id=sidewalk.require("amazonId"),
        app_server_private_key=sidewalk.require_secret("appServerPrivateKey"),
        tags=sidewalk.get_object("tags"),
        adopt_existing=sidewalk.get_bool("adoptExisting"),
    ),
)
if probe.get_bool("failLater"):
    Destination(
        "later",
        DestinationArgs(
            name="later",
            expression="later_rule",
            expression_type="RuleName",
            role_arn="arn:aws:iam::123456789012:role/later",
            region="us-west-2",
        ),
        pulumi.ResourceOptions(depends_on=[account]),
    )
pulumi.export("urn", account.urn)
pulumi.export("partnerAccountArn", account.arn)
pulumi.export("fingerprint", account.fingerprint)
