"""`python -m bench`: run every benchmark, print the table and write bench/RESULTS.md."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bench.calls import measure_calls
from bench.cli import FLOOR_GOAL_SIZES, measure_end_to_end, measure_floor_pairs
from bench.cold_start import measure_cold_start, measure_preview_imports
from bench.fleet import FLEET_BUDGET, FLEET_RUNS, THROTTLED_RATE, measure_fleet
from bench.harness import progress
from bench.report import Report
from bench.scale import measure_memory, measure_scale
from tests.emulator import Emulator

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
MIN_RUNS = 5
SECTIONS = ("calls", "cold", "imports", "scale", "memory", "pairs", "e2e", "fleet", "fleet-once")
# Each end-to-end run is a handful of CLI commands of seconds each: fewer runs keep `make bench` short.
E2E_RUNS = 3
# Wall time the PartnerAccount / floor pairs may take, all sizes: the goal's runs. On a quiet machine
# a pair (three stacks) of 10 takes about 10 s and one of 100 about 24 s: 40 pairs of 10, 20 of 100.
PAIRS_BUDGET = 900.0
# A one-minute load average above half the cores means other work competes with the benchmark.
BUSY_LOAD = (os.cpu_count() or 1) / 2


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; a goal missed shows in the table, not in the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=MIN_RUNS, help="runs per timing (default %(default)s)")
    parser.add_argument(
        "--e2e-runs", type=int, default=E2E_RUNS, help="runs per end-to-end timing (default %(default)s)"
    )
    parser.add_argument(
        "--pairs-budget",
        type=float,
        default=PAIRS_BUDGET,
        help="seconds the floor pairs of all sizes may take (default %(default)s)",
    )
    parser.add_argument(
        "--pair-sizes",
        default=",".join(map(str, FLOOR_GOAL_SIZES)),
        help="stack sizes of the floor pairs (default %(default)s)",
    )
    parser.add_argument("--sizes", default="1,10,100", help="stack sizes (default %(default)s)")
    parser.add_argument("--latencies", default="0,50", help="added latency in ms (default %(default)s)")
    parser.add_argument("--fleet-sizes", default="100,1000", help="devices in a fleet (default %(default)s)")
    parser.add_argument(
        "--fleet-latencies", default="0,50", help="fleet's added latency in ms (default %(default)s)"
    )
    parser.add_argument(
        "--fleet-budget",
        type=float,
        default=FLEET_BUDGET,
        help="seconds the fleet's rounds may take (default %(default)s)",
    )
    parser.add_argument(
        "--fleet-runs", type=int, default=FLEET_RUNS, help="fleet rounds at most (default %(default)s)"
    )
    parser.add_argument(
        "--fleet-throttled-size",
        type=int,
        default=100,
        help="devices of the throttled fleet up, 0 for none (default %(default)s)",
    )
    parser.add_argument(
        "--fleet-throttle-rate",
        type=float,
        default=THROTTLED_RATE,
        help="CreateWirelessDevice calls a second the emulator allows then (default %(default)s)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the table")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the output file's rows of the sections not run, and its machine and notes",
    )
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help="sections to run, of %(default)s (default: all)"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    latencies = [float(ms) / 1000 for ms in args.latencies.split(",")]

    started, load_at_start = time.perf_counter(), os.getloadavg()[0]
    if load_at_start > BUSY_LOAD:
        progress(f"the machine is busy (load average {load_at_start:.2f}): the timings will be noisy")
    report = Report()
    sections = set(args.only.split(","))
    if unknown := sections - set(SECTIONS):
        parser.error(f"unknown sections {sorted(unknown)}; the sections are {', '.join(SECTIONS)}")
    with Emulator() as emulator:
        if "calls" in sections:
            measure_calls(emulator, report)
        if "cold" in sections:
            measure_cold_start(emulator, report, args.runs)
        if "imports" in sections:
            measure_preview_imports(emulator, report, args.runs)
        if "scale" in sections:
            measure_scale(emulator, report, sizes, latencies, args.runs)
        if "memory" in sections:
            measure_memory(emulator, report, max(sizes), args.runs)
        if "pairs" in sections:
            pair_sizes = [int(s) for s in args.pair_sizes.split(",")]
            measure_floor_pairs(emulator, report, pair_sizes, args.pairs_budget)
        if "e2e" in sections:
            measure_end_to_end(emulator, report, sizes, latencies, args.e2e_runs)
        # `fleet-once`: the same fleets, the state saved once at the end of each command, none throttled.
        for section, saved_once in (("fleet", False), ("fleet-once", True)):
            if section in sections:
                measure_fleet(
                    emulator,
                    report,
                    [int(s) for s in args.fleet_sizes.split(",")],
                    [float(ms) / 1000 for ms in args.fleet_latencies.split(",")],
                    args.fleet_budget,
                    args.fleet_runs,
                    0 if saved_once else args.fleet_throttled_size,
                    args.fleet_throttle_rate,
                    saved_once=saved_once,
                )
    seconds, load = time.perf_counter() - started, (load_at_start, os.getloadavg()[0])
    if args.merge and args.output.exists():
        markdown = report.merged(args.output.read_text(), seconds, load)
    else:
        markdown = report.markdown(seconds, args.runs, load)
    args.output.write_text(markdown)
    print(markdown)
    progress(f"wrote {args.output}")
    if report.missed():
        progress(f"goals missed: {len(report.missed())} (rows marked MISSED)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
