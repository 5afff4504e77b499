"""The resources the benchmarks register: PartnerAccounts as the program makes them, and baselines."""

from __future__ import annotations

from pulumi.dynamic.dynamic import serialize_provider

from bench.floor import Boto3FloorProvider
from bench.harness import REGION
from bench.trivial import TrivialProvider
from tests.engine import wire
from tests.engine.engine import Registration
from tests.support import KEY, partner_account, partner_account_owner

__all__ = ["FLOOR_TYPE", "TRIVIAL_TYPE", "floor", "program_resource", "stack", "trivial"]

TRIVIAL_TYPE = "pulumi-python:dynamic/bench:Trivial"
FLOOR_TYPE = "pulumi-python:dynamic/bench:Boto3Floor"


def program_resource(name: str) -> Registration:
    """Register a PartnerAccount as __main__.py does with `aws:region` and tags set."""
    return partner_account(name, tags={"team": "iot"}, region=REGION)


def stack(size: int) -> list[Registration]:
    """Return size PartnerAccounts registered as the program registers its one."""
    return [program_resource(f"scale-{i:03d}") for i in range(size)]


def trivial(name: str = "trivial") -> Registration:
    """Register one resource of the trivial provider, pickled by reference like ours."""
    blob = serialize_provider(TrivialProvider())
    return Registration(TRIVIAL_TYPE, name, {"__provider": wire.Secret(blob)})


def floor(name: str = "floor") -> Registration:
    """Register one resource of the boto3 floor provider, with the inputs of program_resource's."""
    blob = serialize_provider(Boto3FloorProvider())
    inputs = {
        "amazonId": f"amzn1.account.{name}",
        "appServerPrivateKey": wire.Secret(KEY),
        "tags": {"team": "iot"},
        "owner": partner_account_owner(name),
    }
    return Registration(FLOOR_TYPE, name, {**inputs, "__provider": wire.Secret(blob)})
