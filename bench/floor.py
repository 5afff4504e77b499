"""Boto3FloorProvider: the least any boto3 provider of PartnerAccount does, the benchmarks' floor.

It makes the calls of our create and delete, with an owner tag as ours writes (providers/_ownership.py),
and nothing around them: no checks of inputs, no translated errors, no take-over, two outputs.
KeptFloorProvider makes the same calls and keeps in the state what contract.md has a PartnerAccount keep.
This module is what the server imports to unpickle the provider: it imports nothing else.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider

__all__ = ["OWNER_KEY", "Boto3FloorProvider", "KeptFloorProvider"]

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
        return CreateResult(amazon_id, {**self.kept(props, account), "arn": arn, "ownerMarker": marker})

    def kept(self, props: dict[str, Any], account: dict[str, Any]) -> dict[str, Any]:
        """Return the outputs kept beyond the ARN and the owner marker: none."""
        return {}

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Disassociate while the live owner tag is the one this resource recorded."""
        client = _iotwireless()
        if _owner_tag(client, props["arn"]) == props["ownerMarker"]:
            client.disassociate_aws_account_from_partner_account(
                PartnerAccountId=id_, PartnerType=_PARTNER_TYPE
            )


class KeptFloorProvider(Boto3FloorProvider):
    """The floor keeping in the state what PartnerAccount keeps: its inputs echoed and AWS's answer.

    The same calls as the floor; the outputs are contract.md's: every input, the ARN, fingerprint,
    accountLinked and partnerAccountId of the GetPartnerAccount answer, and the owner marker.
    """

    def kept(self, props: dict[str, Any], account: dict[str, Any]) -> dict[str, Any]:
        """Return the inputs echoed and what the GetPartnerAccount answer adds."""
        return {
            **{k: v for k, v in props.items() if k != "__provider"},
            "fingerprint": account["Sidewalk"]["Fingerprint"],
            "accountLinked": account["AccountLinked"],
            "partnerAccountId": props["amazonId"],
        }


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
