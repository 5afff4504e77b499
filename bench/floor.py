"""Boto3FloorProvider: the least any boto3 provider of PartnerAccount does, the cold start's floor.

This module is what the server imports to unpickle the provider: it imports nothing else.
"""

from __future__ import annotations

import threading
from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider

__all__ = ["Boto3FloorProvider"]

_client: Any = None
_client_lock = threading.Lock()


class Boto3FloorProvider(ResourceProvider):
    """Make the calls of our Create with nothing around them."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Associate and read the association back through one client per process."""
        sidewalk = {"AmazonId": props["amazonId"], "AppServerPrivateKey": props["appServerPrivateKey"]}
        client = _iotwireless()
        client.associate_aws_account_with_partner_account(Sidewalk=sidewalk, Tags=[])
        account = client.get_partner_account(PartnerAccountId=props["amazonId"], PartnerType="Sidewalk")
        return CreateResult(props["amazonId"], {"arn": account["Sidewalk"]["Arn"]})


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
