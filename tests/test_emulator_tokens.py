"""ClientRequestToken semantics of Associate, including reuse after the association is gone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

from tests.emulator import Emulator

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

KEY = "0123456789abcdef" * 4
OTHER_KEY = "fedcba9876543210" * 4
AMAZON_ID = "amzn1.account.AEXAMPLE"
TOKEN = "token-1"


def associate(client: IoTWirelessClient, key: str = KEY, **kwargs: Any) -> dict[str, Any]:
    """Link AMAZON_ID with key under TOKEN unless told otherwise."""
    kwargs.setdefault("ClientRequestToken", TOKEN)
    sidewalk = {"AmazonId": AMAZON_ID, "AppServerPrivateKey": key}
    answer = client.associate_aws_account_with_partner_account(Sidewalk=sidewalk, **kwargs)
    return {name: value for name, value in answer.items() if name != "ResponseMetadata"}


def disassociate(client: IoTWirelessClient) -> None:
    """Remove AMAZON_ID's association."""
    client.disassociate_aws_account_from_partner_account(PartnerAccountId=AMAZON_ID, PartnerType="Sidewalk")


def associated(client: IoTWirelessClient) -> list[str]:
    """List the AmazonIds of the account."""
    return [item["AmazonId"] for item in client.list_partner_accounts()["Sidewalk"]]


def test_same_token_and_parameters_answer_the_original(
    emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """A retry with the same token and parameters gets the original answer, no second association."""
    first = associate(iotwireless, Tags=[{"Key": "team", "Value": "a"}])
    again = associate(iotwireless, Tags=[{"Key": "team", "Value": "a"}])
    assert again == first
    assert associated(iotwireless) == [AMAZON_ID]
    assert emulator.calls().count("AssociateAwsAccountWithPartnerAccount") == 2


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"key": OTHER_KEY}, id="other-key"),
        pytest.param({"Tags": [{"Key": "team", "Value": "b"}]}, id="other-tags"),
    ],
)
def test_same_token_with_other_parameters_conflicts(
    iotwireless: IoTWirelessClient, changes: dict[str, Any]
) -> None:
    """The same token with other parameters raises ConflictException."""
    associate(iotwireless)
    with pytest.raises(iotwireless.exceptions.ConflictException) as exc:
        associate(iotwireless, **changes)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert exc.value.response["Error"]["Message"] == (
        f"ClientRequestToken {TOKEN} was already used with other parameters"
    )


def test_other_token_for_associated_amazon_id_conflicts(iotwireless: IoTWirelessClient) -> None:
    """Another token for an AmazonId already associated raises ConflictException."""
    associate(iotwireless)
    with pytest.raises(iotwireless.exceptions.ConflictException) as exc:
        associate(iotwireless, ClientRequestToken="token-2")
    assert exc.value.response["Error"]["Message"] == (f"Sidewalk account {AMAZON_ID} is already associated")


def test_token_reused_after_delete_associates_anew(iotwireless: IoTWirelessClient) -> None:
    """By default a token reused after its association was removed associates again."""
    first = associate(iotwireless)
    disassociate(iotwireless)
    assert associate(iotwireless) == first
    assert associated(iotwireless) == [AMAZON_ID]


def test_token_reused_after_delete_can_replay_without_associating(
    emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """With token_reuse_after_delete=replay the old answer comes back and nothing is associated."""
    emulator.backend.update_settings(token_reuse_after_delete="replay")
    first = associate(iotwireless)
    disassociate(iotwireless)
    assert associate(iotwireless) == first
    assert associated(iotwireless) == []


def test_replay_setting_is_a_constructor_argument() -> None:
    """Emulator(token_reuse_after_delete=...) picks the behaviour from the start."""
    with Emulator(token_reuse_after_delete="replay") as emulator:
        assert emulator.backend.settings.token_reuse_after_delete == "replay"
        emulator.reset()
        assert emulator.backend.settings.token_reuse_after_delete == "replay"


def test_unknown_token_reuse_setting_is_refused(emulator: Emulator) -> None:
    """Token_reuse_after_delete takes only replay or associate."""
    with pytest.raises(ValueError, match="token_reuse_after_delete must be one of"):
        emulator.backend.update_settings(token_reuse_after_delete="ignore")


def test_tokens_belong_to_one_account(
    emulator: Emulator, iotwireless: IoTWirelessClient, make_iotwireless: Any
) -> None:
    """The same token in another account is a fresh request there."""
    emulator.backend.update_settings(accounts={"AKIDOTHER": "210987654321"})
    associate(iotwireless)
    other = make_iotwireless(access_key="AKIDOTHER")
    assert ":210987654321:" in associate(other, key=OTHER_KEY)["Arn"]


def test_concurrent_associates_of_one_amazon_id_have_one_winner(
    iotwireless: IoTWirelessClient,
) -> None:
    """Of eight simultaneous Associates with their own tokens, one wins and the rest conflict."""

    def attempt(n: int) -> str:
        try:
            associate(iotwireless, ClientRequestToken=f"token-{n}")
        except iotwireless.exceptions.ConflictException:
            return "conflict"
        return "associated"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(attempt, range(8)))
    assert outcomes == ["associated"] + ["conflict"] * 7
    assert associated(iotwireless) == [AMAZON_ID]
