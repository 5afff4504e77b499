"""PartnerAccount: the Pulumi resource for an AWS IoT Wireless association with a Sidewalk account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi.dynamic

from providers._aws import DEFAULT_REGION, SIDEWALK_REGIONS
from providers._ownership import owner
from providers.partner_account import (
    ACCOUNT_LINKED,
    ADOPT_EXISTING,
    AMAZON_ID,
    APP_SERVER_PRIVATE_KEY,
    CLIENT_REQUEST_TOKEN,
    OUTPUTS,
    OWNER,
    PARTNER_ACCOUNT_ID,
    REGION,
    TAGS,
    PartnerAccountProvider,
    default_region,
)

__all__ = ["PartnerAccount", "PartnerAccountArgs", "owner_of"]


def owner_of(resource_name: str) -> str:
    """Return the owner input of a resource of this program's stack."""
    return owner(pulumi.get_project(), pulumi.get_stack(), resource_name)


@dataclass(frozen=True, kw_only=True)
class PartnerAccountArgs:
    """The inputs of a PartnerAccount (shared/docs/contract.md)."""

    amazon_id: pulumi.Input[str]
    """The Sidewalk AmazonId; changing it replaces the association."""
    app_server_private_key: pulumi.Input[str]
    """The Sidewalk application server's private key, 64 hex digits; always kept secret."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    """Tags of the association, updated in place."""
    region: pulumi.Input[str] | None = None
    """The AWS region; default `aws:region`, then AWS_REGION, then us-east-1. Changing it replaces."""
    client_request_token: pulumi.Input[str] | None = None
    """The idempotency token of the Associate call; derived from the inputs when omitted."""
    adopt_existing: pulumi.Input[bool] | None = None
    """Take over an association that already exists for this AmazonId instead of failing."""


class PartnerAccount(pulumi.dynamic.Resource, module="iotwireless", name="PartnerAccount"):
    """Associate this AWS account with an Amazon Sidewalk account."""

    arn: pulumi.Output[str]
    fingerprint: pulumi.Output[str]
    region: pulumi.Output[str]
    tags: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        resource_name: str,
        args: PartnerAccountArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            AMAZON_ID: args.amazon_id,
            APP_SERVER_PRIVATE_KEY: pulumi.Output.secret(args.app_server_private_key),
            TAGS: args.tags,
            REGION: args.region,
            # Who holds the association: the owner tag written on it names this stack's resource.
            OWNER: owner_of(resource_name),
            # Outputs computed by the provider, declared so that they become attributes.
            **dict.fromkeys(OUTPUTS),
        }
        # Sent only when set (check derives them otherwise): the SDK makes an output of every key of
        # props and waits on each until the update ends, a cost that grows with the stack's size.
        optional = {CLIENT_REQUEST_TOKEN: args.client_request_token, ADOPT_EXISTING: args.adopt_existing}
        props.update({key: value for key, value in optional.items() if value is not None})
        # A backstop: the engine already keeps the key secret because its input is secret.
        secret = pulumi.ResourceOptions(additional_secret_outputs=[APP_SERVER_PRIVATE_KEY])
        super().__init__(
            PartnerAccountProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret, opts)
        )
        # A plain string, the usual case, is warned about at once: an apply would be one more output to
        # wait on. An unknown region (a preview of an output not yet computed) is never warned about.
        region = args.region
        if region is None:
            region = default_region(pulumi.Config("aws").get("region"))
        if isinstance(region, str):
            self._warn_outside_sidewalk_regions(region)
        else:
            later = pulumi.Output.from_input(cast(pulumi.Input[str], region))
            later.apply(self._warn_outside_sidewalk_regions)

    def _warn_outside_sidewalk_regions(self, region: str) -> None:
        """Warn when Sidewalk is not served from the region; not an error."""
        if region not in SIDEWALK_REGIONS:
            pulumi.log.warn(
                f"region {region} is not one Amazon Sidewalk is served from ({DEFAULT_REGION}): AWS will "
                f"likely answer AccessDeniedException; set aws:region (or the region input) to "
                f"{DEFAULT_REGION} unless Sidewalk is now served from {region}",
                resource=self,
            )

    @property
    def amazon_id(self) -> pulumi.Output[str]:
        """The Sidewalk AmazonId."""
        return cast(pulumi.Output[str], self.__dict__[AMAZON_ID])

    @property
    def account_linked(self) -> pulumi.Output[bool]:
        """Whether the Sidewalk side has linked this cloud account."""
        return cast(pulumi.Output[bool], self.__dict__[ACCOUNT_LINKED])

    @property
    def partner_account_id(self) -> pulumi.Output[str]:
        """The API's PartnerAccountId, equal to the AmazonId."""
        return cast(pulumi.Output[str], self.__dict__[PARTNER_ACCOUNT_ID])
