"""Boto3FloorProvider: the least any boto3 provider of PartnerAccount does, the benchmarks' floor.

It makes the calls of our create and delete, with an owner tag as ours writes (providers/_ownership.py),
and nothing around them: no checks of inputs, no translated errors, no take-over.
This module is what the server imports to unpickle the provider: it imports nothing else.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider

__all__ = ["OWNER_KEY", "Boto3FloorProvider"]

# providers._tags.OWNER_KEY, spelled out: importing providers would add its imports to the floor's.
OWNER_KEY = "pulumi-sidewalk:owner"
_PARTNER_TYPE = "Sidewalk"

_client: Any = None
_client_lock = threading.Lock()


class Boto3FloorProvider(ResourceProvider):
    """Make the calls of our Create and Delete with nothing around them."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Associate with the tags and an owner tag inline, read the association, check the owner tag."""
        amazon_id = props["amazonId"]
        marker = f"{props['owner']}#{uuid.uuid4().hex[:16]}"
        tags = {**(props.get("tags") or {}), OWNER_KEY: marker}
        client = _iotwireless()
        client.associate_aws_account_with_partner_account(
            Sidewalk={"AmazonId": amazon_id, "AppServerPrivateKey": props["appServerPrivateKey"]},
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        )
        account = client.get_partner_account(PartnerAccountId=amazon_id, PartnerType=_PARTNER_TYPE)
        arn = account["Sidewalk"]["Arn"]
        if _owner_tag(client, arn) != marker:
            raise RuntimeError(f"the association of {amazon_id} is not this create's own")
        return CreateResult(amazon_id, {"arn": arn, "ownerMarker": marker})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Disassociate while the live owner tag is the one this resource recorded."""
        client = _iotwireless()
        if _owner_tag(client, props["arn"]) == props["ownerMarker"]:
            client.disassociate_aws_account_from_partner_account(
                PartnerAccountId=id_, PartnerType=_PARTNER_TYPE
            )


def _owner_tag(client: Any, arn: str) -> str | None:
    listed = client.list_tags_for_resource(ResourceArn=arn)["Tags"]
    return next((t.get("Value") for t in listed if t["Key"] == OWNER_KEY), None)


def _iotwireless() -> Any:
    global _client
    with _client_lock:
        if _client is None:
            # Imported here, at the first Create: the import is part of what the floor measures.
            import boto3
            from botocore.config import Config

            # Standard retries, as ours: botocore's legacy mode loads more at the first call.
            config = Config(retries={"mode": "standard"})
            _client = boto3.session.Session(region_name="us-east-1").client("iotwireless", config=config)
        return _client
