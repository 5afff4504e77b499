"""A probe program: the PartnerAccount with the resource options that the `probe:*` config asks for."""

from __future__ import annotations

import pulumi

from components.partner_account import PartnerAccount, PartnerAccountArgs

HOLDER_TYPE = "probe:index:Holder"

sidewalk = pulumi.Config("sidewalk")
probe = pulumi.Config("probe")
parent = pulumi.ComponentResource(HOLDER_TYPE, "holder") if probe.get_bool("parented") else None
# Where the account lived before it was moved out of the holder.
held = pulumi.Alias(parent=pulumi.create_urn("holder", HOLDER_TYPE))
aliases = [held] if probe.get_bool("aliasHolder") else None
limits = pulumi.CustomTimeouts(create="2m", update="3m", delete="4m")
timeouts = limits if probe.get_bool("timeouts") else None
account = PartnerAccount(
    "sidewalk",
    PartnerAccountArgs(
        amazon_id=sidewalk.require("amazonId"),
        app_server_private_key=sidewalk.require_secret("appServerPrivateKey"),
        tags=sidewalk.get_object("tags"),
    ),
    pulumi.ResourceOptions(
        parent=parent,
        aliases=aliases,
        ignore_changes=probe.get_object("ignoreChanges"),
        protect=probe.get_bool("protect"),
        retain_on_delete=probe.get_bool("retainOnDelete"),
        custom_timeouts=timeouts,
    ),
)
pulumi.export("urn", account.urn)
pulumi.export("tags", account.tags)
pulumi.export("fingerprint", account.fingerprint)
# Runs only once the fingerprint is known: a preview of an update must not know it.
account.fingerprint.apply(lambda _: pulumi.log.warn("probe: fingerprint known"))
