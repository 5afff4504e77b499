"""The PartnerAccount / boto3 floor pairs kept working: one pair of two resources through the real CLI."""

from __future__ import annotations

import re
from pathlib import Path

from bench.cli import E2E_MEASURE, FLOOR_GOAL_RATIO, PAIRS_MEASURE, measure_floor_pairs
from bench.report import Report
from tests.bench_rows import assert_judged, assert_state_kept
from tests.emulator import Emulator


def test_one_pair_of_two_resources_times_each_floor_and_weighs_their_state(
    cli_bin: Path, emulator: Emulator
) -> None:
    """Ratios over both floors, the goal judged over the boto3 floor only; the kept floor's state is ours."""
    report = Report()
    measure_floor_pairs(emulator, report, [2], budget=0, minimum=1)
    rows = {row.case.split(" [")[0]: row for row in report.rows}
    # A measure of their own: `--only pairs --merge` replaces them and keeps the end-to-end section's.
    assert {row.measure for row in report.rows} == {PAIRS_MEASURE} != {E2E_MEASURE}

    at = "2 resources, 0 ms, in pairs"
    for what in ("wall time", "CPU time"):
        assert_judged(rows[f"`pulumi up` {what}, PartnerAccount / boto3 floor, {at}"], FLOOR_GOAL_RATIO)
        kept = rows[f"`pulumi up` {what}, PartnerAccount / floor keeping its state, {at}"]
        assert re.match(r"\d+\.\d{3} \(n=1 pairs; ", kept.figure), kept.figure
        assert (kept.goal, kept.verdict, kept.missed) == ("", "", False)
    for command in ("up", "destroy"):
        assert (
            f"`pulumi {command}`, PartnerAccount minus floor keeping its state, {at} (median of differences)"
            in rows
        )

    # The kept floor's checkpoint is the PartnerAccount stack's size within 10%, the bare floor's smaller.
    assert_state_kept(rows["state file after `pulumi up`, 2 resources"], "resource")
    # Every destroy left no association behind.
    assert emulator.backend.associations() == []
