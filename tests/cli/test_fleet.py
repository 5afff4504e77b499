"""A fleet from stack config through the real CLI, and `python -m provisioning` writing its files."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.fleet import SKIP_CHECKPOINTS
from provisioning import DEVICE_PROFILE_FILE, WIRELESS_DEVICE_FILE
from tests.cli.project import PulumiProject, wait_until
from tests.cli.test_crash_recovery import cancel, end_session, lock_files, pending_operations
from tests.cli.test_secrets import files
from tests.emulator import Emulator
from tests.operations import DEVICE_TAKE_OVER_CALLS, DEVICE_UPDATE_CALLS, TAG
from tests.support import DEVICE_PROFILE_TYPE, SMSN, WIRELESS_DEVICE_TYPE, live_tags, run_module

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

DESTINATION = "fleet-uplinks"
ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk-destination"
FLEET = [
    {"smsn": SMSN, "name": "sensor-1"},
    {"smsn": "b" * 64, "name": "sensor-2", "description": "in the lab", "positioning": "Enabled"},
    {"smsn": "c" * 64, "name": "gate.3", "tags": {"team": "doors"}},
]


def provision(project: PulumiProject, out: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m provisioning` for the project's stack as its README says, with the project's env."""
    args = ["--stack", "dev", "--out", str(out), "--cwd", str(project.directory)]
    return run_module("provisioning", *args, env=project.env, timeout=300)


def answer(response: Any) -> dict[str, Any]:
    """Return a boto3 answer as AWS sent it: without botocore's ResponseMetadata."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_fleet_deploys_and_its_provisioning_files_are_the_api_answers(
    project: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient, tmp_path: Path
) -> None:
    """Up makes a profile and 3 devices; the command writes GetDeviceProfile/GetWirelessDevice, 0600."""
    # The Destination stands for one another stack (the integration) made.
    iotwireless.create_destination(
        Name=DESTINATION, Expression="rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
    )
    project.config_set("sidewalk:devices", json.dumps(FLEET))
    project.config_set("sidewalk:deviceDestinationName", DESTINATION)
    # Whatever the CLI logs goes here, for the sweep below.
    (project.directory / "tmp").mkdir()
    project.env["TMPDIR"] = str(project.directory / "tmp")
    up = project.run("up", "--yes", "--skip-preview")
    assert "+ 6 created" in up.stdout

    outputs = project.outputs()
    profile = iotwireless.get_device_profile(Id=outputs["deviceProfileId"])
    assert profile["Name"] == "sidewalk-partner-account-dev"
    assert sorted(outputs["devices"]) == ["gate.3", "sensor-1", "sensor-2"]
    lives = {}
    for spec in FLEET:
        live = iotwireless.get_wireless_device(
            Identifier=spec["smsn"], IdentifierType="SidewalkManufacturingSn"
        )
        lives[spec["name"]] = answer(live)
        assert outputs["devices"][spec["name"]] == {
            "id": live["Id"],
            "arn": live["Arn"],
            "sidewalkId": live["Sidewalk"]["SidewalkId"],
            "smsn": spec["smsn"],
            "status": live["Sidewalk"]["Status"],
        }
        assert (live["Name"], live["DestinationName"]) == (spec["name"], DESTINATION)
        assert live["Sidewalk"]["DeviceProfileId"] == profile["Id"]
    # Tags: the stack's unless the device has its own.
    assert live_tags(iotwireless, lives["sensor-1"]["Arn"]) == {"team": "iot"}
    assert live_tags(iotwireless, lives["gate.3"]["Arn"]) == {"team": "doors"}
    assert lives["sensor-2"]["Positioning"] == "Enabled"
    keys = [k["Value"] for live in lives.values() for k in live["Sidewalk"]["PrivateKeys"]]
    assert len(keys) == 6

    out = tmp_path / "provisioning"
    emulator.clear_log()
    run = provision(project, out)
    assert run.returncode == 0, run.stderr
    # From the stack alone: not one AWS call.
    assert emulator.calls() == []
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for name, live in lives.items():
        folder = out / name
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert sorted(p.name for p in folder.iterdir()) == [DEVICE_PROFILE_FILE, WIRELESS_DEVICE_FILE]
        for path in folder.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            assert f"{name}/{path.name}  {path.stat().st_size} bytes" in run.stdout
        assert json.loads((folder / WIRELESS_DEVICE_FILE).read_text()) == live
        assert json.loads((folder / DEVICE_PROFILE_FILE).read_text()) == answer(profile)

    # The keys are in the files, and in no output of the CLI or the command, no state, no log.
    export = project.run("stack", "export")
    assert [r["type"] for r in export.json()["deployment"]["resources"]].count(WIRELESS_DEVICE_TYPE) == 3
    assert project.resources(DEVICE_PROFILE_TYPE)
    artefacts = {
        "up": up.output,
        "provisioning": run.stdout + run.stderr,
        "export": export.output,
        **{
            name: text
            for folder in (project.backend, project.home, project.directory / "tmp")
            for name, text in files(folder).items()
        },
    }
    for name, text in artefacts.items():
        for key in keys:
            assert key.lower() not in text.lower(), f"a device private key appears in {name}"

    # A device renamed in the list is the same device: its resource is named by its SMSN, so the
    # preview shows an update of its name, and the device keeps its id, certificates and keys.
    renamed = [{**FLEET[0], "name": "sensor-1b"}, *FLEET[1:]]
    project.config_set("sidewalk:devices", json.dumps(renamed))
    preview = project.run("preview", "--diff")
    assert "~ 1 to update" in preview.stdout and "+-" not in preview.stdout
    emulator.clear_log()
    project.run("up", "--yes", "--skip-preview")
    assert emulator.calls() == DEVICE_UPDATE_CALLS
    outputs = project.outputs()
    assert sorted(outputs["devices"]) == ["gate.3", "sensor-1b", "sensor-2"]
    assert outputs["devices"]["sensor-1b"]["id"] == lives["sensor-1"]["Id"]
    kept = iotwireless.get_wireless_device(
        Identifier=lives["sensor-1"]["Id"], IdentifierType="WirelessDeviceId"
    )
    assert kept["Name"] == "sensor-1b"
    assert kept["Sidewalk"]["PrivateKeys"] == lives["sensor-1"]["Sidewalk"]["PrivateKeys"]


def test_devices_added_by_an_up_killed_with_the_state_saved_once_are_taken_back_by_the_next_up(
    project: PulumiProject, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """PULUMI_SKIP_CHECKPOINTS=true: an up adding devices, killed, recorded none of them; cancel, then
    an up takes each back by its owner tag: one device per SMSN, each recorded once, nothing pending."""
    iotwireless.create_destination(
        Name=DESTINATION, Expression="rule", ExpressionType="RuleName", RoleArn=ROLE_ARN
    )
    project.config_set("sidewalk:deviceDestinationName", DESTINATION)
    project.config_set("sidewalk:devices", json.dumps(FLEET[:1]))
    project.run("up", "--yes", "--skip-preview")
    project.config_set("sidewalk:devices", json.dumps(FLEET))
    project.env[SKIP_CHECKPOINTS] = "true"

    # AWS makes both new devices, then holds its answers: the CLI is killed before it hears of them.
    emulator.faults.hang_after_commit("CreateWirelessDevice", 120, n=2)
    up = project.start(project.directory / "up.log", "up", "--yes", "--skip-preview")
    try:
        wait_until(lambda: len(iotwireless.list_wireless_devices()["WirelessDeviceList"]) == 3, "two creates")
        os.kill(up.pid, signal.SIGKILL)
        up.wait()
    finally:
        end_session(up.pid)
        emulator.faults.wake()
    assert pending_operations(project) == []
    assert [r["outputs"]["name"] for r in project.resources(WIRELESS_DEVICE_TYPE)] == ["sensor-1"]

    cancel(project)
    emulator.clear_log()
    project.run("up", "--yes", "--skip-preview")
    # Each refused create reads the device and its owner tag, then writes a new owner tag: its own.
    assert sorted(emulator.calls()) == sorted([*DEVICE_TAKE_OVER_CALLS, TAG] * 2)
    lives = {d["Name"]: d["Id"] for d in iotwireless.list_wireless_devices()["WirelessDeviceList"]}
    recorded = {r["outputs"]["name"]: r["id"] for r in project.resources(WIRELESS_DEVICE_TYPE)}
    assert recorded == lives and len(lives) == len(FLEET)
    assert pending_operations(project) == [] and lock_files(project) == []
    for command in (("preview", "--expect-no-changes"), ("refresh", "--preview-only", "--expect-no-changes")):
        converged = project.run(*command, check=False)
        assert converged.returncode == 0, converged.output
