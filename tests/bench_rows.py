"""Checks of the rows the benchmarks write, shared by the tests that run a benchmark in small."""

from __future__ import annotations

import re

from bench.report import Row

__all__ = ["assert_judged", "assert_state_kept"]


def assert_judged(row: Row, goal: float) -> None:
    """Assert a ratio of one run, judged against the goal."""
    assert re.match(r"\d+\.\d{3} \(n=1[; ]", row.figure), row.figure
    assert row.goal == f"≤ {goal}"
    assert row.verdict.startswith(("met", "MISSED")), row.verdict


def assert_state_kept(row: Row, unit: str) -> None:
    """Assert a state row: ours, the bare floor's smaller, the kept floor's ours within 10%."""
    ours, floor, kept = (float(kib) for kib in re.findall(rf"\(([\d.]+) KiB a {unit}\)", row.figure))
    assert floor < 0.9 * ours and abs(kept - ours) < 0.1 * ours, (ours, floor, kept)
