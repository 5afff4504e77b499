"""Each partner-account and tagging operation of the emulator, through boto3."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.emulator import Emulator
from tests.emulator.models import Association

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

KEY = "0123456789abcdef" * 4
OTHER_KEY = "fedcba9876543210" * 4
AMAZON_ID = "amzn1.account.AEXAMPLE"
SIDEWALK = "Sidewalk"


def associate(client: IoTWirelessClient, amazon_id: str = AMAZON_ID, **kwargs: Any) -> str:
    """Link amazon_id with KEY and return the ARN."""
    sidewalk = {"AmazonId": amazon_id, "AppServerPrivateKey": kwargs.pop("key", KEY)}
    answer = client.associate_aws_account_with_partner_account(Sidewalk=sidewalk, **kwargs)
    return answer["Arn"]


def get(client: IoTWirelessClient, amazon_id: str = AMAZON_ID) -> dict[str, Any]:
    """Describe amazon_id."""
    return dict(client.get_partner_account(PartnerAccountId=amazon_id, PartnerType=SIDEWALK))


def test_associate_answers_arn_and_echoes_key(iotwireless: IoTWirelessClient) -> None:
    """Associate answers the documented ARN and echoes the Sidewalk info, key included."""
    answer = iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY}
    )
    assert answer["Arn"] == f"arn:aws:iotwireless:us-east-1:123456789012:SidewalkAccount/{AMAZON_ID}"
    assert answer["Sidewalk"] == {"AmazonId": AMAZON_ID, "AppServerPrivateKey": KEY}


def test_get_describes_association(iotwireless: IoTWirelessClient) -> None:
    """Get answers AmazonId, Arn, a 64-hex Fingerprint and AccountLinked false."""
    arn = associate(iotwireless)
    answer = get(iotwireless)
    assert answer["Sidewalk"]["AmazonId"] == AMAZON_ID
    assert answer["Sidewalk"]["Arn"] == arn
    assert re.fullmatch("[0-9a-f]{64}", answer["Sidewalk"]["Fingerprint"])
    assert answer["AccountLinked"] is False


def test_fingerprint_is_not_a_plain_hash_of_the_key(iotwireless: IoTWirelessClient) -> None:
    """The Fingerprint is opaque: no plain SHA-256 of the key, as with AWS."""
    associate(iotwireless)
    fingerprint = get(iotwireless)["Sidewalk"]["Fingerprint"]
    assert fingerprint not in (hashlib.sha256(KEY.encode()).hexdigest(), KEY)
    assert fingerprint != hashlib.sha256(bytes.fromhex(KEY)).hexdigest()


@given(
    key=st.text("0123456789abcdefABCDEF", min_size=64, max_size=64),
    other=st.text("0123456789abcdefABCDEF", min_size=64, max_size=64),
)
def test_fingerprint_changes_whenever_the_key_changes(key: str, other: str) -> None:
    """Two different keys never share a Fingerprint, and each is 64 hex digits."""
    assume(key.lower() != other.lower())
    first = Association("123456789012", "us-east-1", AMAZON_ID, key, 1)
    second = Association("123456789012", "us-east-1", AMAZON_ID, other, 1)
    assert first.fingerprint != second.fingerprint
    assert re.fullmatch("[0-9a-f]{64}", first.fingerprint)


def test_update_changes_fingerprint(iotwireless: IoTWirelessClient) -> None:
    """Update answers 204 and the Fingerprint changes with the key."""
    associate(iotwireless)
    before = get(iotwireless)["Sidewalk"]["Fingerprint"]
    answer = iotwireless.update_partner_account(
        PartnerAccountId=AMAZON_ID, PartnerType=SIDEWALK, Sidewalk={"AppServerPrivateKey": OTHER_KEY}
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert get(iotwireless)["Sidewalk"]["Fingerprint"] != before


def test_fingerprint_ignores_hex_case(iotwireless: IoTWirelessClient) -> None:
    """The same key in upper-case hex is the same key, so the Fingerprint stays."""
    associate(iotwireless)
    before = get(iotwireless)["Sidewalk"]["Fingerprint"]
    iotwireless.update_partner_account(
        PartnerAccountId=AMAZON_ID, PartnerType=SIDEWALK, Sidewalk={"AppServerPrivateKey": KEY.upper()}
    )
    assert get(iotwireless)["Sidewalk"]["Fingerprint"] == before


def test_disassociate_removes_association(iotwireless: IoTWirelessClient) -> None:
    """Disassociate answers 204 and the association is gone."""
    associate(iotwireless)
    answer = iotwireless.disassociate_aws_account_from_partner_account(
        PartnerAccountId=AMAZON_ID, PartnerType=SIDEWALK
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        get(iotwireless)


def test_disassociate_drops_tags(iotwireless: IoTWirelessClient) -> None:
    """Tags do not outlive their association: associating again starts untagged."""
    associate(iotwireless, Tags=[{"Key": "team", "Value": "a"}])
    iotwireless.disassociate_aws_account_from_partner_account(
        PartnerAccountId=AMAZON_ID, PartnerType=SIDEWALK
    )
    arn = associate(iotwireless)
    assert iotwireless.list_tags_for_resource(ResourceArn=arn)["Tags"] == []


def test_list_holds_several_sidewalk_accounts(iotwireless: IoTWirelessClient) -> None:
    """One AWS account may hold several Sidewalk accounts; List returns them all."""
    arns = {associate(iotwireless, f"amzn1.account.{n}") for n in range(3)}
    listed = iotwireless.list_partner_accounts()["Sidewalk"]
    assert {item["Arn"] for item in listed} == arns
    assert all(set(item) == {"AmazonId", "Arn", "Fingerprint"} for item in listed)


def test_list_pages_with_max_results_and_next_token(iotwireless: IoTWirelessClient) -> None:
    """MaxResults bounds a page and NextToken continues until it is absent."""
    ids = [f"amzn1.account.{n}" for n in range(5)]
    for amazon_id in ids:
        associate(iotwireless, amazon_id)
    pages: list[list[str]] = []
    kwargs: dict[str, Any] = {"MaxResults": 2}
    while True:
        answer = iotwireless.list_partner_accounts(**kwargs)
        pages.append([item["AmazonId"] for item in answer["Sidewalk"]])
        if "NextToken" not in answer:
            break
        kwargs["NextToken"] = answer["NextToken"]
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]


@pytest.mark.parametrize(
    "max_results", [pytest.param({}, id="absent"), pytest.param({"MaxResults": 0}, id="zero")]
)
def test_list_default_page_is_ten(iotwireless: IoTWirelessClient, max_results: dict[str, int]) -> None:
    """Without MaxResults (or with 0) a page holds ten and a NextToken follows."""
    for n in range(11):
        associate(iotwireless, f"amzn1.account.{n:02}")
    answer = iotwireless.list_partner_accounts(**max_results)
    assert len(answer["Sidewalk"]) == 10
    assert "NextToken" in answer


def test_list_is_empty_without_associations(iotwireless: IoTWirelessClient) -> None:
    """List answers an empty list and no NextToken when nothing is associated."""
    answer = iotwireless.list_partner_accounts()
    assert answer["Sidewalk"] == []
    assert "NextToken" not in answer


def test_associate_tags_are_listed(iotwireless: IoTWirelessClient) -> None:
    """Tags given to Associate are listed on the association's ARN."""
    arn = associate(iotwireless, Tags=[{"Key": "team", "Value": "sidewalk"}])
    assert iotwireless.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "sidewalk"}
    ]


def test_tag_resource_adds_and_overwrites(iotwireless: IoTWirelessClient) -> None:
    """TagResource answers 204, adds new keys and overwrites existing ones."""
    arn = associate(iotwireless, Tags=[{"Key": "team", "Value": "a"}])
    answer = iotwireless.tag_resource(
        ResourceArn=arn, Tags=[{"Key": "team", "Value": "b"}, {"Key": "env", "Value": ""}]
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    tags = iotwireless.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert {tag["Key"]: tag["Value"] for tag in tags} == {"team": "b", "env": ""}


def test_untag_resource_removes_keys(iotwireless: IoTWirelessClient) -> None:
    """UntagResource answers 204, removes the keys given and ignores absent ones."""
    arn = associate(iotwireless, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    answer = iotwireless.untag_resource(ResourceArn=arn, TagKeys=["a", "absent"])
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert iotwireless.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_access_keys_map_to_accounts(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """Each access key acts in its mapped account: own ARNs, own associations."""
    emulator.backend.update_settings(accounts={"AKIDOTHER": "210987654321"})
    mine, theirs = make_iotwireless(), make_iotwireless(access_key="AKIDOTHER")
    assert ":210987654321:" in associate(theirs)
    assert iotwireless_ids(mine) == []
    assert ":123456789012:" in associate(mine)


def test_regions_hold_separate_associations(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """Associations live per region, with the region in their ARN."""
    emulator.backend.update_settings(sidewalk_regions={"us-east-1", "us-west-2"})
    east, west = make_iotwireless(), make_iotwireless(region="us-west-2")
    assert ":us-west-2:" in associate(west)
    assert iotwireless_ids(east) == []


def test_account_linked_follows_the_sidewalk_side(emulator: Emulator, iotwireless: IoTWirelessClient) -> None:
    """AccountLinked turns true once the Sidewalk side links the account."""
    associate(iotwireless)
    emulator.backend.link_account("123456789012", "us-east-1", AMAZON_ID)
    assert get(iotwireless)["AccountLinked"] is True


def iotwireless_ids(client: IoTWirelessClient) -> list[str]:
    """List the AmazonIds the client's account holds."""
    return [item["AmazonId"] for item in client.list_partner_accounts()["Sidewalk"]]
