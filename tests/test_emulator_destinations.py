"""Each destination operation of the emulator, through boto3."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import NO_RETRIES
from tests.emulator import Emulator

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

NAME = "uplinks"
ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk"
ARN = f"arn:aws:iotwireless:us-east-1:123456789012:Destination/{NAME}"


def create(client: IoTWirelessClient, name: str = NAME, **kwargs: Any) -> str:
    """Make a RuleName destination and return its ARN."""
    params = {"Expression": "sidewalk_rule", "ExpressionType": "RuleName", "RoleArn": ROLE_ARN, **kwargs}
    return client.create_destination(Name=name, **params)["Arn"]


def test_create_answers_arn_and_name(iotwireless: IoTWirelessClient) -> None:
    """CreateDestination answers 201 with the name and an ARN of the form AWS uses."""
    answer = iotwireless.create_destination(
        Name=NAME, Expression="sidewalk_rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (answer["Arn"], answer["Name"]) == (ARN, NAME)


def test_get_describes_the_destination(iotwireless: IoTWirelessClient) -> None:
    """GetDestination answers every field given at creation."""
    create(iotwireless, Description="fleet uplinks")
    answer = iotwireless.get_destination(Name=NAME)
    assert {k: v for k, v in answer.items() if k != "ResponseMetadata"} == {
        "Arn": ARN,
        "Name": NAME,
        "Expression": "sidewalk_rule",
        "ExpressionType": "RuleName",
        "RoleArn": ROLE_ARN,
        "Description": "fleet uplinks",
    }


def test_get_omits_a_description_never_given(iotwireless: IoTWirelessClient) -> None:
    """A destination created without a description is described without one."""
    create(iotwireless)
    assert "Description" not in iotwireless.get_destination(Name=NAME)


def test_update_changes_only_the_fields_given(iotwireless: IoTWirelessClient) -> None:
    """UpdateDestination answers 204 and changes the fields it is given, and no other."""
    create(iotwireless, Description="kept")
    answer = iotwireless.update_destination(Name=NAME, ExpressionType="MqttTopic", Expression="fleet/up")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    live = iotwireless.get_destination(Name=NAME)
    assert (live["ExpressionType"], live["Expression"]) == ("MqttTopic", "fleet/up")
    assert (live["RoleArn"], live["Description"]) == (ROLE_ARN, "kept")


def test_delete_removes_the_destination_and_its_tags(iotwireless: IoTWirelessClient) -> None:
    """DeleteDestination answers 204; the name is free again and a new one starts without tags."""
    create(iotwireless, Tags=[{"Key": "team", "Value": "iot"}])
    answer = iotwireless.delete_destination(Name=NAME)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_destination(Name=NAME)
    assert iotwireless.list_tags_for_resource(ResourceArn=create(iotwireless))["Tags"] == []


def test_tags_given_at_creation_are_shared_with_the_tagging_operations(
    iotwireless: IoTWirelessClient,
) -> None:
    """Tags given inline are listed, and TagResource and UntagResource work on the destination's ARN."""
    arn = create(iotwireless, Tags=[{"Key": "team", "Value": "iot"}, {"Key": "env", "Value": "dev"}])
    iotwireless.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    iotwireless.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert iotwireless.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_duplicate_name_conflicts(iotwireless: IoTWirelessClient) -> None:
    """CreateDestination with a name already taken raises ConflictException naming it."""
    create(iotwireless)
    with pytest.raises(iotwireless.exceptions.ConflictException) as exc:
        create(iotwireless, Expression="other_rule")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert exc.value.response["ResourceId"] == NAME
    assert exc.value.response["ResourceType"] == "Destination"
    assert iotwireless.get_destination(Name=NAME)["Expression"] == "sidewalk_rule"


def test_delete_of_a_destination_in_use_conflicts_until_devices_leave(
    emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """DeleteDestination of a destination devices send to raises ConflictException naming it, and keeps it."""
    create(iotwireless)
    emulator.backend.use_destination("123456789012", "us-east-1", NAME)
    with pytest.raises(iotwireless.exceptions.ConflictException) as exc:
        iotwireless.delete_destination(Name=NAME)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert exc.value.response["ResourceId"] == NAME
    assert exc.value.response["ResourceType"] == "Destination"
    assert "used by wireless devices" in exc.value.response["Error"]["Message"]
    assert iotwireless.get_destination(Name=NAME)["Name"] == NAME
    emulator.backend.use_destination("123456789012", "us-east-1", NAME, in_use=False)
    iotwireless.delete_destination(Name=NAME)
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_destination(Name=NAME)


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        pytest.param("get_destination", {}, id="get"),
        pytest.param("update_destination", {"Description": "x"}, id="update"),
        pytest.param("delete_destination", {}, id="delete"),
    ],
)
def test_unknown_destination_is_not_found(
    iotwireless: IoTWirelessClient, operation: str, params: dict[str, Any]
) -> None:
    """An operation on an unknown destination raises ResourceNotFoundException naming it."""
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException) as exc:
        getattr(iotwireless, operation)(Name=NAME, **params)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert exc.value.response["ResourceId"] == NAME
    assert exc.value.response["ResourceType"] == "Destination"


def test_accounts_and_regions_hold_separate_destinations(
    emulator: Emulator, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """The same name may be taken once per account and region, each with its own ARN."""
    emulator.backend.update_settings(
        accounts={"AKIDOTHER": "210987654321"}, sidewalk_regions={"us-east-1", "us-west-2"}
    )
    mine = make_iotwireless()
    assert create(mine) == ARN
    assert create(make_iotwireless(access_key="AKIDOTHER")) == ARN.replace("123456789012", "210987654321")
    assert create(make_iotwireless(region="us-west-2")) == ARN.replace("us-east-1", "us-west-2")
    mine.delete_destination(Name=NAME)
    with pytest.raises(mine.exceptions.ResourceNotFoundException):
        mine.get_destination(Name=NAME)


@pytest.mark.parametrize(
    ("params", "member", "rule"),
    [
        pytest.param({"Name": "up links"}, "Name", "regular expression pattern", id="name-pattern"),
        pytest.param({"Name": "n" * 129}, "Name", "less than or equal to 128", id="name-too-long"),
        pytest.param({"ExpressionType": "Lambda"}, "ExpressionType", "enum value set", id="expression-type"),
        pytest.param({"Expression": "e" * 2049}, "Expression", "less than or equal to 2048", id="expression"),
        pytest.param({"RoleArn": "arn:aws:iam::1:role"}, "RoleArn", "greater than or equal to 20", id="role"),
    ],
)
def test_create_breaking_the_model_is_refused(
    make_iotwireless: Callable[..., IoTWirelessClient], params: dict[str, str], member: str, rule: str
) -> None:
    """CreateDestination with input that breaks a rule of the model raises ValidationException naming it."""
    raw = make_iotwireless(config=NO_RETRIES.merge(Config(parameter_validation=False)))
    with pytest.raises(ClientError) as exc:
        create(raw, params.get("Name", NAME), **{k: v for k, v in params.items() if k != "Name"})
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert f"Value at '{member}' failed to satisfy constraint" in exc.value.response["Error"]["Message"]
    assert rule in exc.value.response["Error"]["Message"]
    with pytest.raises(raw.exceptions.ResourceNotFoundException):
        raw.get_destination(Name=NAME)


def test_destinations_survive_a_restart_with_a_state_file(
    tmp_path: Path, make_iotwireless: Callable[..., IoTWirelessClient]
) -> None:
    """With a state file, a destination and its tags made before a restart are there after it."""
    state = tmp_path / "state.json"
    with Emulator(state_file=state) as first:
        create(make_iotwireless(first.url), Tags=[{"Key": "team", "Value": "iot"}])
    with Emulator(state_file=state) as second:
        client = make_iotwireless(second.url)
        assert client.get_destination(Name=NAME)["Arn"] == ARN
        assert client.list_tags_for_resource(ResourceArn=ARN)["Tags"] == [{"Key": "team", "Value": "iot"}]
