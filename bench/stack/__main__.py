"""The end-to-end benchmark's program: `bench:count` resources of the kind `bench:kind`.

Kinds: `partner` (PartnerAccounts as __main__.py registers its one), `trivial` (the smallest
dynamic provider), `floor` (the least a boto3 provider of PartnerAccount does) and `kept` (the floor
keeping the inputs and outputs a PartnerAccount keeps).
"""

from __future__ import annotations

import pulumi
from pulumi.dynamic import Resource

from bench.floor import Boto3FloorProvider, KeptFloorProvider
from bench.trivial import TrivialProvider
from components.partner_account import PartnerAccount, PartnerAccountArgs, owner_of
from providers.partner_account import APP_SERVER_PRIVATE_KEY, OUTPUTS


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
    elif kind in ("floor", "kept"):
        # The PartnerAccount's own inputs, but the request token and adoptExisting it derives.
        name = f"{kind}-{i:03d}"
        inputs = {"amazonId": amazon_id, "appServerPrivateKey": key, "tags": {"team": "iot"}}
        if kind == "kept":
            # What the PartnerAccount's Check adds, of the same sizes, and its outputs as attributes.
            inputs |= {
                "region": "us-east-1",
                "clientRequestToken": f"{i:064x}",
                "adoptExisting": False,
                "appServerPrivateKeyDigest": f"sha256:{i:016x}",
            }
            inputs |= dict.fromkeys(OUTPUTS)
        provider = KeptFloorProvider() if kind == "kept" else Boto3FloorProvider()
        secret_key = [APP_SERVER_PRIVATE_KEY] if kind == "kept" else []
        secret = pulumi.ResourceOptions(additional_secret_outputs=secret_key)
        Boto3Floor(provider, name, {**inputs, "owner": owner_of(name)}, secret)
    else:
        raise pulumi.RunError(f"bench:kind must be partner, trivial, floor or kept, not {kind!r}")
