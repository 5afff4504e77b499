"""What every resource shares, through the real provider process and the emulator: tags, upgrades."""

from __future__ import annotations

import base64
import functools
import pickle
from collections.abc import Callable, Mapping
from typing import Any

import dill
import pytest

from tests.engine.engine import Engine, Registration
from tests.operations import TAG, UNTAG
from tests.support import (
    ROLE_ARN,
    destination,
    device_profile,
    live_tags,
    partner_account,
    wireless_device,
)

# Each a registration; the `resource` fixture gives a device what it needs first.
RESOURCES = [
    pytest.param(partner_account, id="partner-account"),
    pytest.param(destination, id="destination"),
    pytest.param(device_profile, id="device-profile"),
    pytest.param(wireless_device, id="device"),
]
# Tag changes and the only calls each may make.
TAG_CHANGES = [
    pytest.param({"a": "1"}, {"a": "1", "b": "2"}, [TAG], id="added"),
    pytest.param({"a": "1", "b": "2"}, {"a": "1", "b": "3"}, [TAG], id="changed"),
    pytest.param({"a": "1", "b": "2"}, {"a": "1"}, [UNTAG], id="removed"),
    pytest.param({"a": "1", "b": "2"}, {"a": "9", "c": "3"}, [TAG, UNTAG], id="all-three"),
    pytest.param({"a": "1"}, {}, [UNTAG], id="all-removed"),
]


@pytest.fixture
def resource(request: pytest.FixtureRequest, iotwireless: Any) -> Callable[..., Registration]:
    """Return the registration of the parameter; a device's names a Destination and profile made outside."""
    register: Callable[..., Registration] = request.param
    if register is not wireless_device:
        return register
    iotwireless.create_destination(
        Name="uplinks", Expression="rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
    )
    profile_id = iotwireless.create_device_profile(Name="sensors", Sidewalk={})["Id"]
    return functools.partial(wireless_device, destinationName="uplinks", deviceProfileId=profile_id)


def assert_only_changed_tags_sent(log: list[Any], old: Mapping[str, str], new: Mapping[str, str]) -> None:
    """Check that TagResource sent changed keys, UntagResource removed ones."""
    for entry in log:
        if entry["operation"] == TAG:
            assert {t["Key"] for t in entry["body"]["Tags"]} == {k for k, v in new.items() if old.get(k) != v}
        if entry["operation"] == UNTAG:
            assert sorted(entry["query"]["tagKeys"]) == sorted(set(old) - set(new))


@pytest.mark.parametrize(("old", "new", "calls"), TAG_CHANGES)
@pytest.mark.parametrize("resource", RESOURCES, indirect=True)
def test_tag_change_sends_only_the_changed_keys(
    engine: Engine,
    emulator: Any,
    iotwireless: Any,
    resource: Callable[..., Registration],
    old: dict[str, str],
    new: dict[str, str],
    calls: list[str],
) -> None:
    """A tag change tags only the added or changed keys, untags only the removed, and updates nothing else."""
    reg = resource(tags=old)
    engine.up([reg])
    emulator.clear_log()
    steps = engine.up([resource(tags=new)], skip_preview=True)
    assert [(s.op, s.diffs) for s in steps] == [("update", ["tags"])]
    assert emulator.calls() == calls
    assert_only_changed_tags_sent(emulator.log, old, new)
    outputs = engine.resources[reg.urn].outputs
    assert live_tags(iotwireless, outputs["arn"]) == new
    assert outputs["tags"] == new


@pytest.mark.parametrize("resource", RESOURCES, indirect=True)
def test_provider_upgrade_alone_causes_no_update(
    engine: Engine, emulator: Any, resource: Callable[..., Registration]
) -> None:
    """A new pickled provider with the same inputs (a code upgrade) is no change and no call."""
    engine.up([resource()])
    current = resource().inputs["__provider"].value
    provider = dill.loads(base64.b64decode(current))
    other_blob = base64.b64encode(dill.dumps(provider, protocol=pickle.DEFAULT_PROTOCOL - 1)).decode()
    upgraded = resource(provider_blob=other_blob)
    assert upgraded.inputs["__provider"].value != current
    emulator.clear_log()
    assert [s.op for s in engine.up([upgraded])] == ["same"]
    assert emulator.calls() == []
