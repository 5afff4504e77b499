"""The end-to-end benchmark's program: `bench:count` resources of the kind `bench:kind`.

Kinds: `partner` (PartnerAccounts as __main__.py registers its one), `trivial` (the smallest
dynamic provider) and `floor` (the least a boto3 provider of PartnerAccount does).
"""

from __future__ import annotations

import pulumi
from pulumi.dynamic import Resource

from bench.floor import Boto3FloorProvider
from bench.trivial import TrivialProvider
from components.partner_account import PartnerAccount, PartnerAccountArgs, owner_of


class Trivial(Resource, module="bench", name="Trivial"):
    """A resource of the smallest dynamic provider."""


class Boto3Floor(Resource, module="bench", name="Boto3Floor"):
    """A resource of the least boto3 provider of PartnerAccount."""


config = pulumi.Config("bench")
kind, count = config.require("kind"), config.require_int("count")
key = config.require_secret("key")

for i in range(count):
    amazon_id = f"amzn1.account.BENCH{i:03d}"
    if kind == "partner":
        PartnerAccount(
            f"partner-{i:03d}",
            PartnerAccountArgs(amazon_id=amazon_id, app_server_private_key=key, tags={"team": "iot"}),
        )
    elif kind == "trivial":
        Trivial(TrivialProvider(), f"trivial-{i:03d}", {})
    elif kind == "floor":
        # The PartnerAccount's own inputs, but the request token and adoptExisting it derives.
        name = f"floor-{i:03d}"
        inputs = {"amazonId": amazon_id, "appServerPrivateKey": key, "tags": {"team": "iot"}}
        Boto3Floor(Boto3FloorProvider(), name, {**inputs, "owner": owner_of(name)})
    else:
        raise pulumi.RunError(f"bench:kind must be partner, trivial or floor, not {kind!r}")
