"""End to end through the real `pulumi` CLI: wall time of preview and up, against the baselines.

Each case is a stack of `bench/stack/` (N resources of one kind) in a temporary folder, with a
file backend, run by the CLI that `make cli` builds. The baselines run in the same loop, case by
case, so that their ratios share the machine's state at the time.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import REGION, Timings, progress
from bench.report import Report, Row
from demo.cli import at_hand
from tests.cli.project import PulumiProject
from tests.emulator import Emulator
from tests.engine.provider import PROJECT_ROOT
from tests.support import KEY

__all__ = ["measure_end_to_end"]

KINDS = ("partner", "trivial", "floor")
_NAMES = {"partner": "PartnerAccount", "trivial": "trivial", "floor": "boto3 floor"}
_STACK_PROGRAM = PROJECT_ROOT / "bench" / "stack"
# The goal of the issue: a PartnerAccount stack of 10 costs at most 1.2 times the trivial one.
GOAL_SIZE, GOAL_RATIO = 10, 1.2
PARALLELISM = (("--parallel 1", ["--parallel", "1"]), ("--parallel 4", ["--parallel", "4"]), ("default", []))


@dataclass
class Case:
    """The timings of one stack: a kind, a size and the emulator's added latency."""

    preview: Timings = field(default_factory=Timings)
    up: Timings = field(default_factory=Timings)


def _project(root: Path, cli_bin: Path, emulator: Emulator, kind: str, size: int) -> PulumiProject:
    """Return a new stack of the bench program with `size` resources of `kind`, not yet deployed."""
    project = PulumiProject(root, cli_bin, emulator.url).use_program(_STACK_PROGRAM)
    (root / "bench").symlink_to(PROJECT_ROOT / "bench")
    project.init()
    project.config_set("aws:region", REGION)
    project.config_set("bench:kind", kind)
    project.config_set("bench:count", size)
    project.config_set("bench:key", KEY, secret=True)
    return project


def _timed(project: PulumiProject, *args: str) -> float:
    """Run one CLI command and return its wall time."""
    start = time.perf_counter()
    project.run(*args)
    return time.perf_counter() - start


def _play(project: PulumiProject, emulator: Emulator, case: Case, up_flags: list[str] | None = None) -> None:
    """Time `pulumi preview` and `pulumi up` of a new stack, then destroy it and empty the emulator."""
    case.preview.add(_timed(project, "preview"))
    case.up.add(_timed(project, "up", "--yes", "--skip-preview", *(up_flags or [])))
    project.run("destroy", "--yes", "--skip-preview")
    # The boto3 floor has no Delete: what it associated stays until the emulator forgets it.
    emulator.backend.reset()


def measure_end_to_end(
    emulator: Emulator, report: Report, sizes: list[int], latencies: list[float], runs: int
) -> None:
    """Add the end-to-end rows: each kind and size at each latency, parallelism, where time goes."""
    command = at_hand()
    if command is None:
        progress("no Pulumi CLI at hand: run `make cli` first; the end-to-end section is left out")
        report.add(Row("end to end", "real CLI", "not measured: no CLI (make cli)"))
        return
    cli_bin = Path(command.command).parent
    note = report.note(
        "End to end: the real `pulumi` (`make cli`), a file backend, passphrase secrets, a new stack of "
        "`bench/stack/` per case; `up` runs with `--skip-preview` from an empty stack, `preview` plans "
        "the same creates. The kinds of a size and latency run in one loop, so ratios share the machine."
    )
    cases: dict[tuple[str, int, float], Case] = {}
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as folder:
        root = Path(folder)
        for latency in latencies:
            emulator.faults.set_latency(latency)
            for size in sizes:
                projects = {
                    kind: _project(root / f"{kind}-{size}-{latency}", cli_bin, emulator, kind, size)
                    for kind in KINDS
                }
                progress(f"end to end: {size} of each kind at {latency * 1000:.0f} ms, {runs} runs")
                for _ in range(runs):
                    for kind in KINDS:
                        _play(projects[kind], emulator, cases.setdefault((kind, size, latency), Case()))
        emulator.faults.set_latency(0)
        _rows(report, cases, sizes, latencies, note)
        _parallelism(report, root, cli_bin, emulator, max(sizes), max(latencies), runs)
        _breakdown(report, root, cli_bin, emulator, cases, sizes, runs)


def _rows(
    report: Report,
    cases: dict[tuple[str, int, float], Case],
    sizes: list[int],
    latencies: list[float],
    note: str,
) -> None:
    for latency in latencies:
        for size in sizes:
            at = f"{size} resource{'s' if size > 1 else ''}, {latency * 1000:.0f} ms"
            partner, trivial, floor = (cases[kind, size, latency] for kind in KINDS)
            for command in ("preview", "up"):
                for kind in KINDS:
                    timings: Timings = getattr(cases[kind, size, latency], command)
                    report.add(
                        Row(
                            "end to end",
                            f"`pulumi {command}`, {_NAMES[kind]}, {at}{' ' * bool(note)}{note}",
                            timings.describe(),
                        )
                    )
                    note = ""
                ours: Timings = getattr(partner, command)
                ratio = ours.median / getattr(trivial, command).median
                floor_ratio = ours.median / getattr(floor, command).median
                goal = command == "up" and size == GOAL_SIZE and latency == 0
                report.add(
                    Row(
                        "end to end",
                        f"`pulumi {command}`, PartnerAccount / trivial, {at}",
                        f"{ratio:.2f}; PartnerAccount / boto3 floor {floor_ratio:.2f}",
                        f"≤ {GOAL_RATIO}" if goal else "",
                        ("met" if ratio <= GOAL_RATIO else "MISSED") if goal else "",
                        missed=goal and ratio > GOAL_RATIO,
                    )
                )


def _parallelism(
    report: Report, root: Path, cli_bin: Path, emulator: Emulator, size: int, latency: float, runs: int
) -> None:
    """Time `pulumi up` of the largest PartnerAccount stack at the highest latency, by parallelism."""
    emulator.faults.set_latency(latency)
    project = _project(root / "parallel", cli_bin, emulator, "partner", size)
    progress(f"end to end: parallelism, {size} PartnerAccounts at {latency * 1000:.0f} ms")
    timings = {name: Case() for name, _ in PARALLELISM}
    for _ in range(runs):
        for name, flags in PARALLELISM:
            _play(project, emulator, timings[name], flags)
    emulator.faults.set_latency(0)
    serial = timings["--parallel 1"].up.median
    for name, _ in PARALLELISM:
        up = timings[name].up
        report.add(
            Row(
                "end to end",
                f"`pulumi up {name}`, {size} PartnerAccounts, {latency * 1000:.0f} ms",
                f"{up.describe()}; {serial / up.median:.2f}x over --parallel 1",
            )
        )


def _breakdown(
    report: Report,
    root: Path,
    cli_bin: Path,
    emulator: Emulator,
    cases: dict[tuple[str, int, float], Case],
    sizes: list[int],
    runs: int,
) -> None:
    """Split a `pulumi up` into CLI start, language host and program, provider start, per resource."""
    version = Timings()
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([cli_bin / "pulumi", "version"], capture_output=True, check=True)
        version.add(time.perf_counter() - start)
    empty = _project(root / "empty", cli_bin, emulator, "trivial", 0)
    bare = Timings()
    for _ in range(runs):
        bare.add(_timed(empty, "preview"))
    cli_start = version.median
    host_and_program = bare.median - cli_start
    report.add(Row("where the time goes", "CLI start (`pulumi version`)", version.describe()))
    report.add(
        Row(
            "where the time goes",
            "backend, language host and program, no resource (`pulumi preview` of 0, less CLI start)",
            f"{host_and_program:.3f} s (preview of 0: {bare.describe()})",
        )
    )
    small, large = min(sizes), max(sizes)
    for kind in KINDS:
        one = cases[kind, small, 0.0].preview.median
        report.add(
            Row(
                "where the time goes",
                f"provider start and first Check, {_NAMES[kind]} (preview of {small} less preview of 0)",
                f"{one - bare.median:.3f} s",
            )
        )
    if large > small:
        for kind in KINDS:
            first, last = cases[kind, small, 0.0].up.median, cases[kind, large, 0.0].up.median
            report.add(
                Row(
                    "where the time goes",
                    f"each further resource of `pulumi up`, {_NAMES[kind]}, 0 ms ({small} to {large})",
                    f"{(last - first) / (large - small) * 1000:.1f} ms; up of {large} / up of {small}: "
                    f"{last / first:.2f}",
                )
            )
