"""The fleet benchmark kept working cheaply: a fleet of two through the real CLI, and the merge of results."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bench.fleet import (
    GOAL_RATIO,
    KINDS,
    SAVED_ONCE,
    SKIP_CHECKPOINTS,
    expected_calls,
    measure_fleet,
    play_order,
)
from bench.report import Report, Row
from tests.bench_rows import assert_judged, assert_state_kept
from tests.emulator import Emulator

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient


@pytest.mark.long
def test_fleet_section_times_counts_and_weighs_two_devices(
    cli_bin: Path, emulator: Emulator, iotwireless: IoTWirelessClient
) -> None:
    """One round of two devices at 0 ms: every row measured, the calls the providers' own, preview none."""
    report = Report()
    # A budget of 0 plays each size and latency once; one create a second throttles the third device.
    measure_fleet(emulator, report, [2], [0.0], budget=0, runs=1, throttled_size=3, throttled_rate=1)
    rows = {row.case.split(" [")[0]: row for row in report.rows}

    at = "2 devices, 0 ms"
    for command in ("preview", "up", "destroy"):
        assert_judged(rows[f"`pulumi {command}` wall time, SidewalkDevice / device floor, {at}"], GOAL_RATIO)
        kept = rows[f"`pulumi {command}` wall time, SidewalkDevice / floor keeping the device's state, {at}"]
        assert re.match(r"\d+\.\d{3} \(n=1; .*; CPU \d+\.\d{3}$", kept.figure), kept.figure
        calls = rows[f"calls of `{command}`, {at}"]
        assert (calls.verdict, calls.missed) == ("at the limit", False), calls.figure
    assert rows[f"calls of `preview`, {at}"].figure == "0 calls in every run"
    assert rows[f"calls of `up`, {at}"].figure.startswith("2 a device, 6 in all")
    assert "boto3 script" in rows[f"`pulumi up` wall time, SidewalkDevice / device floor, {at}"].figure
    assert f"`pulumi destroy` less the boto3 script, {at}: what the engine costs" in rows

    # The provider server was found and read while the up ran; the checkpoint holds the stack.
    for name in ("SidewalkDevice", "device floor", "floor keeping the device's state"):
        peak = rows[f"peak RSS of the provider server, `pulumi up`, {name}, {at}"].figure
        assert float(peak.split()[0]) > 20, peak
    # The kept floor's checkpoint is the device stack's size within 10%, the bare floor's smaller.
    assert_state_kept(rows[f"state file after `pulumi up`, {at}"], "device")

    [throttled] = [row for row in report.rows if "throttled at 1 a second" in row.case]
    assert (throttled.verdict, throttled.missed) == ("met", False), throttled.figure
    found = re.search(r"(\d+) throttled answers", throttled.figure)
    assert found is not None and int(found.group(1)) > 0, throttled.figure
    # Every destroy left nothing behind: no device, no profile.
    assert iotwireless.list_wireless_devices()["WirelessDeviceList"] == []
    assert iotwireless.list_device_profiles()["DeviceProfileList"] == []


def test_expected_calls_are_the_providers_sequences_per_device() -> None:
    """An up makes the profile's 2 calls and 2 a device; a destroy likewise; a preview none."""
    assert expected_calls("up", 3) == {"CreateDeviceProfile": 1, "GetDeviceProfile": 1} | {
        "CreateWirelessDevice": 3,
        "GetWirelessDevice": 3,
    }
    assert expected_calls("destroy", 2) == {
        "ListTagsForResource": 3,
        "DeleteDeviceProfile": 1,
        "DeleteWirelessDevice": 2,
    }
    assert expected_calls("preview", 1000) == {}


def test_the_order_of_the_kinds_turns_every_round_and_every_case() -> None:
    """Round after round of a case, and case after case of one round, the kinds play in turned order."""
    backwards = tuple(reversed(KINDS))
    assert [play_order(round_, 0) for round_ in range(3)] == [KINDS, backwards, KINDS]
    assert [play_order(0, case) for case in range(4)] == [KINDS, backwards, KINDS, backwards]
    assert play_order(1, 1) == KINDS


def test_merge_replaces_only_the_sections_run_and_keeps_the_notes() -> None:
    """A merge keeps other sections' rows and notes, drops the notes of rows replaced, adds the new."""
    earlier = Report()
    earlier.add(Row("calls", f"create {earlier.note('calls note')}", "3", "2", "MISSED; kept", missed=True))
    earlier.add(Row("fleet", f"old fleet row {earlier.note('old fleet note')}", "9 s"))
    earlier.add(Row("scale", "a | piped case", "1 s"))
    existing = earlier.markdown(10.0, 5, (1.0, 2.0))

    fresh = Report()
    fresh.add(Row("fleet", f"new fleet row {fresh.note('fleet note')}", "1.02", "≤ 1.1", "met"))
    fresh.add(Row("fleet", f"again {fresh.note('calls note')}", "2 a device"))
    merged = fresh.merged(existing, 30.0, (3.0, 4.0))

    assert merged.startswith(existing.split("## Results")[0])
    table = merged.split("## Results\n\n")[1].split("\n\n")[0].splitlines()
    assert table[2:] == [
        "| calls | create [1] | 3 | 2 | MISSED; kept |",
        "| scale | a \\| piped case | 1 s |  |  |",
        "| fleet | new fleet row [2] | 1.02 | ≤ 1.1 | met |",
        "| fleet | again [1] | 2 a device |  |  |",
    ]
    assert "Goals missed: 1 (rows marked MISSED)." in merged
    assert "Merged: the rows of fleet are from a later run" in merged
    # The old fleet row was the only one citing its note: both are gone, and the new note takes its number.
    assert merged.endswith("## Notes\n\n1. calls note\n2. fleet note\n")
    # Merging again replaces the earlier merge's rows and paragraph instead of adding to them.
    again = fresh.merged(merged, 30.0, (3.0, 4.0))
    assert again.count("Merged: the rows of fleet") == 1
    assert again.count("new fleet row") == 1


def test_fleet_once_rows_stand_under_their_own_measure_and_say_how_the_state_was_saved(
    cli_bin: Path, emulator: Emulator
) -> None:
    """saved_once: every row is the measure SAVED_ONCE, which a merge keeps apart from `fleet`."""
    report = Report()
    measure_fleet(emulator, report, [1], [0.0], budget=0, runs=1, throttled_size=0, saved_once=True)
    assert report.rows and {row.measure for row in report.rows} == {SAVED_ONCE}
    assert any(f"{SKIP_CHECKPOINTS}=true" in note for note in report.notes)
    assert any(row.case.startswith("`pulumi up` wall time") for row in report.rows)
