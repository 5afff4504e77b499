"""`python -m bench.fleet_boto3 up|destroy`: the fleet's calls from a plain boto3 script, no engine.

`up` creates the device profile and reads it, then creates and reads each device, as many at once
as the engine runs resource operations; it writes the ids to `--state`. `destroy` checks each
device's owner tag and deletes it, as many at once, then the profile's. The calls are those of
bench/fleet_floor.py, on a client configured as the floor's, so the time beyond this script's is
what the engine, the language host, the program and the provider server add.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

__all__ = ["main"]

OWNER_KEY = "pulumi-sidewalk:owner"
_REGION = "us-east-1"
_TAGS = {"team": "iot"}
_OWNER_PREFIX = "sidewalk-fleet/dev/"


def main(argv: list[str] | None = None) -> int:
    """Run the `up` or the `destroy` of the fleet's calls."""
    parser = argparse.ArgumentParser(prog="python -m bench.fleet_boto3", description=__doc__)
    parser.add_argument("command", choices=("up", "destroy"))
    parser.add_argument("--count", type=int, required=True, help="devices")
    parser.add_argument("--parallel", type=int, required=True, help="calls in flight at most")
    parser.add_argument("--destination", required=True, help="the Destination of the devices")
    parser.add_argument("--state", type=Path, required=True, help="where up writes the ids destroy reads")
    args = parser.parse_args(argv)
    client = boto3.session.Session(region_name=_REGION).client(
        "iotwireless", config=Config(retries={"mode": "standard", "total_max_attempts": 5})
    )
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        if args.command == "up":
            profile = _create_profile(client)
            devices = list(
                pool.map(
                    lambda i: _create_device(client, i, profile["id"], args.destination), range(args.count)
                )
            )
            args.state.write_text(json.dumps({"profile": profile, "devices": devices}))
        else:
            state = json.loads(args.state.read_text())
            list(pool.map(lambda d: _delete_device(client, d), state["devices"]))
            _delete_profile(client, state["profile"])
            args.state.unlink()
    return 0


def _marker(name: str) -> str:
    return f"{_OWNER_PREFIX}{name}#{uuid.uuid4().hex[:16]}"


def _tag_list(marker: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted({**_TAGS, OWNER_KEY: marker}.items())]


def _owner_tag(client: Any, arn: str) -> str | None:
    listed = client.list_tags_for_resource(ResourceArn=arn)["Tags"]
    return next((t.get("Value") for t in listed if t["Key"] == OWNER_KEY), None)


def _create_profile(client: Any) -> dict[str, str]:
    marker = _marker("fleet-profile")
    profile_id = client.create_device_profile(Name="fleet-profile", Sidewalk={}, Tags=_tag_list(marker))["Id"]
    arn = client.get_device_profile(Id=profile_id)["Arn"]
    return {"id": profile_id, "arn": arn, "marker": marker}


def _create_device(client: Any, index: int, profile_id: str, destination: str) -> dict[str, str]:
    name = f"device-{index:04d}"
    marker = _marker(name)
    device_id = client.create_wireless_device(
        Type="Sidewalk",
        Name=name,
        DestinationName=destination,
        Positioning="Disabled",
        Sidewalk={"DeviceProfileId": profile_id, "SidewalkManufacturingSn": f"{index + 1:064x}"},
        Tags=_tag_list(marker),
    )["Id"]
    live = client.get_wireless_device(Identifier=device_id, IdentifierType="WirelessDeviceId")
    return {"id": device_id, "arn": live["Arn"], "marker": marker}


def _delete_device(client: Any, device: dict[str, str]) -> None:
    if _owner_tag(client, device["arn"]) == device["marker"]:
        client.delete_wireless_device(Id=device["id"])


def _delete_profile(client: Any, profile: dict[str, str]) -> None:
    if _owner_tag(client, profile["arn"]) == profile["marker"]:
        client.delete_device_profile(Id=profile["id"])


if __name__ == "__main__":
    sys.exit(main())
