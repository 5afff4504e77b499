"""SigV4 through the real provider: each request signed for its region; refused keys told plainly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.convergence import amazon_id_of
from tests.emulator import Emulator
from tests.engine.engine import Engine, EngineError
from tests.engine.provider import ProviderProcess
from tests.support import OTHER_KEY, emulator_env, partner_account

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
STACK_REGION = "us-east-1"
OTHER_REGION = "us-west-2"


@pytest.fixture
def guarded() -> Iterator[Emulator]:
    """An emulator that knows one key pair, checks every signature and serves Sidewalk in two regions."""
    with Emulator(credentials={ACCESS_KEY: SECRET_KEY}) as emulator:
        emulator.backend.update_settings(sidewalk_regions={STACK_REGION, OTHER_REGION})
        yield emulator


def provider_with(emulator: Emulator, **credentials: str | None) -> ProviderProcess:
    """Start a provider for the emulator whose credentials are changed as given."""
    return ProviderProcess({**emulator_env(emulator.url), **credentials}).start()


def failure_sentence(error: EngineError) -> str:
    """Return the provider's own sentence: the last line of the traceback the SDK sends."""
    return error.message.strip().splitlines()[-1].removeprefix("providers._aws.PartnerAccountError: ")


def test_every_request_is_signed_for_iotwireless_in_the_resource_region(guarded: Emulator) -> None:
    """Create, update, refresh and destroy in two regions: each request verifies, signed for its region."""
    stack_account = partner_account("east", tags={"a": "1"})
    other_account = partner_account("west", tags={"a": "1"}, region=OTHER_REGION)
    with ProviderProcess(emulator_env(guarded.url)) as provider:
        engine = Engine(provider, {"aws:region": STACK_REGION})
        engine.up([stack_account, other_account], skip_preview=True)
        engine.up(
            [
                partner_account("east", tags={"b": "2"}, appServerPrivateKey=OTHER_KEY),
                partner_account("west", tags={"b": "2"}, appServerPrivateKey=OTHER_KEY, region=OTHER_REGION),
            ]
        )
        engine.refresh()
        engine.destroy()
    log = guarded.log
    assert {entry["operation"] for entry in log} >= {
        "AssociateAwsAccountWithPartnerAccount",
        "GetPartnerAccount",
        "UpdatePartnerAccount",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
        "DisassociateAwsAccountFromPartnerAccount",
    }
    region_by_id = {
        stack_account.inputs["amazonId"]: STACK_REGION,
        other_account.inputs["amazonId"]: OTHER_REGION,
    }
    for entry in log:
        assert entry["status"] < 300, entry
        assert entry["access_key"] == ACCESS_KEY
        assert entry["region"] == region_by_id[amazon_id_of(entry)], entry


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        pytest.param(
            {"AWS_SECRET_ACCESS_KEY": "not-the-secret"}, "InvalidSignatureException", id="wrong-secret"
        ),
        pytest.param({"AWS_ACCESS_KEY_ID": "AKIDUNKNOWN"}, "UnrecognizedClientException", id="unknown-key"),
    ],
)
@pytest.mark.parametrize("region", [STACK_REGION, OTHER_REGION])
def test_refused_credentials_fail_with_one_sentence_naming_them_and_the_region(
    guarded: Emulator, credentials: dict[str, str], code: str, region: str
) -> None:
    """Refused credentials end the create with one sentence naming the access key and region, no secret."""
    access_key = credentials.get("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    provider = provider_with(guarded, **credentials)
    try:
        engine = Engine(provider, {"aws:region": STACK_REGION})
        with pytest.raises(EngineError) as exc:
            engine.up([partner_account(region=region)], skip_preview=True)
    finally:
        provider.stop()
    message = exc.value.message
    assert exc.value.op == "create"
    assert "Traceback" not in message
    assert message.strip().splitlines()[-1].startswith("providers._aws.PartnerAccountError: ")
    sentence = failure_sentence(exc.value)
    assert code in sentence
    assert f"access key {access_key}" in sentence
    assert f"in {region}" in sentence
    assert sentence.endswith(".")
    for secret in (SECRET_KEY, "not-the-secret"):
        assert secret not in message
    for chained in ("ClientError", "botocore", "During handling of the above exception"):
        assert chained not in message
    assert [entry["operation"] for entry in guarded.log] == ["AssociateAwsAccountWithPartnerAccount"]


def test_missing_credentials_fail_with_one_sentence_saying_how_to_set_them(guarded: Emulator) -> None:
    """With no credentials at all, the create fails before any request, saying how to provide them."""
    provider = provider_with(guarded, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    try:
        engine = Engine(provider, {"aws:region": STACK_REGION})
        with pytest.raises(EngineError) as exc:
            engine.up([partner_account()], skip_preview=True)
    finally:
        provider.stop()
    sentence = failure_sentence(exc.value)
    assert "no AWS credentials were found" in sentence
    assert "in us-east-1" in sentence
    for chained in ("ClientError", "botocore", "During handling of the above exception"):
        assert chained not in exc.value.message
    assert guarded.log == []
