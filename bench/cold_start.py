"""Cold start: launching `python -m pulumi.dynamic` to the first Create answered; a preview's imports."""

from __future__ import annotations

import re
import statistics

from bench.harness import STACK_CONFIG, BenchProvider, Timings, cpu_seconds, progress, stopwatch
from bench.registrations import floor, program_resource, trivial
from bench.report import Report, Row
from tests.emulator import Emulator
from tests.engine.engine import Engine, Registration
from tests.support import emulator_env, partner_account

__all__ = ["measure_cold_start", "measure_preview_imports"]

RATIO_GOAL = 1.2
# The CPU time the provider may add to the boto3 floor's: above the noise of five runs, below the
# cost of a second client or model load (40 ms and more) or of an eager import of a large package.
FLOOR_MARGIN = 0.030
# One line of `python -X importtime`: self and cumulative microseconds, then the indented name.
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
_SDK = ("boto3", "botocore", "s3transfer", "urllib3")
_CLIENT_STACK = ("boto3", "s3transfer")


def measure_cold_start(emulator: Emulator, report: Report, runs: int) -> None:
    """Time the three providers in turn, after one discarded warm-up each."""
    progress(f"cold start, {runs} runs of each of 3 providers")
    env = emulator_env(emulator.url)
    providers = {
        "PartnerAccount": _ColdStart(program_resource("cold")),
        "boto3 floor": _ColdStart(floor()),
        "trivial": _ColdStart(trivial()),
    }
    order = list(providers.values())
    for cold_start in order:
        cold_start.run(emulator, env, record=False)  # warms the page cache and any .pyc to write
    for i in range(runs):
        # Rotating the order spreads any drift of the machine over all three.
        for cold_start in order[i % len(order) :] + order[: i % len(order)]:
            cold_start.run(emulator, env, record=True)

    ours, sdk_floor, baseline = providers.values()
    note = report.note(
        "Cold start runs `python -u -m pulumi.dynamic` as the engine does and times, on one clock, the "
        "launch, the port on stdout, the gRPC channel ready, Configure, Check and Create answered "
        "(`pulumi up --skip-preview`, or the update pass of `pulumi up`); server ready is the part "
        "up to the channel. Provider CPU is the server's CPU time over the same span, summed over "
        "its threads from /proc/PID/task/*/schedstat: unlike wall time it barely moves when other "
        "work loads the machine. PartnerAccount is registered as the program registers it (region "
        "and tags) and its Create makes its three calls to the emulator (Associate, Get, ListTags). "
        "The trivial provider (bench/trivial.py) returns at once. The boto3 floor (bench/floor.py) "
        "imports boto3 in Create, makes one client and the same three calls, and nothing else: the "
        "least any boto3 provider of this resource can cost. Both are pickled by reference, like "
        "ours, from modules that import nothing else. The runs rotate between the three."
    )
    ratio = ours.first_create.median / baseline.first_create.median
    floor_ratio = sdk_floor.first_create.median / baseline.first_create.median
    unreachable = report.note(
        f"The cold-start goal of {RATIO_GOAL} cannot be reached by any provider that uses boto3 on "
        "this machine: importing boto3 and making one client cost more than a fifth of the "
        "trivial provider's whole cold start, as the boto3 floor shows. What the provider controls "
        "is its distance from that floor, which has its own goal."
    )
    report.add(
        Row(
            "cold start",
            f"launch to first Create answered, PartnerAccount / trivial {note}",
            f"{ratio:.2f} (CPU {ours.cpu.median / baseline.cpu.median:.2f})",
            f"≤ {RATIO_GOAL}",
            "met" if ratio <= RATIO_GOAL else f"MISSED; the boto3 floor is {floor_ratio:.2f} {unreachable}",
            missed=ratio > RATIO_GOAL,
        )
    )
    report.add(
        Row(
            "cold start",
            "launch to first Create answered, boto3 floor / trivial",
            f"{floor_ratio:.2f} (CPU {sdk_floor.cpu.median / baseline.cpu.median:.2f})",
        )
    )
    for name, cold_start in providers.items():
        report.add(
            Row(
                "cold start",
                f"{name}: launch to first Create answered",
                f"{cold_start.first_create.describe()}; server ready {cold_start.ready.median:.3f} s; "
                f"provider CPU {cold_start.cpu.median:.3f} s",
            )
        )
    for name, other, goal in (("trivial", baseline, None), ("boto3 floor", sdk_floor, FLOOR_MARGIN)):
        wall = _paired_median(ours.first_create, other.first_create)
        cpu = _paired_median(ours.cpu, other.cpu)
        report.add(
            Row(
                "cold start",
                f"PartnerAccount minus {name}, run by run (median)",
                f"{wall * 1000:.0f} ms; provider CPU {cpu * 1000:.0f} ms",
                "" if goal is None else f"CPU ≤ {goal * 1000:.0f} ms",
                "" if goal is None else "met" if cpu <= goal else "MISSED",
                missed=goal is not None and cpu > goal,
            )
        )


def _paired_median(ours: Timings, other: Timings) -> float:
    """Return the median of run-by-run differences, which cancels drift between rounds."""
    return statistics.median(a - b for a, b in zip(ours.samples, other.samples, strict=True))


def measure_preview_imports(emulator: Emulator, report: Report, runs: int) -> None:
    """Profile, with `-X importtime`, what a preview makes the server import."""
    progress(f"imports of a preview, {runs} runs of each of 2 programs")
    note = report.note(
        "Imports: measured in the real server under PYTHONPROFILEIMPORTTIME=1 (`-X importtime`), "
        "which slows imports, so compare these figures with each other, not with the timings. "
        "Counted: every import after the server's own start-up, i.e. what unpickling the provider "
        "and its first Check pull in. A preview makes no API call, so it needs no client: no boto3. "
        "The program (__main__.py) passes the stack's `aws:region` as the region input and its "
        "`sidewalk:tags` as tags, which Check validates against botocore's partitions data and "
        "service model, read through botocore.loaders (with botocore.compat and urllib3): that is "
        "by design, and costs the difference between the two rows."
    )
    # With a region or tags, Check reads botocore's data (partitions, the service model) through
    # botocore.loaders by design; the client stack, boto3 and s3transfer, is never needed.
    cases = [
        ("with region and tags, as the program registers it", program_resource("imports"), _CLIENT_STACK),
        ("with neither region nor tags", partner_account("imports"), _SDK),
    ]
    env = {**emulator_env(emulator.url), "PYTHONPROFILEIMPORTTIME": "1"}
    for name, registration, forbidden in cases:
        totals = Timings()
        sdk: set[str] = set()
        largest: list[tuple[str, float]] = []
        for _ in range(runs):
            provider = BenchProvider(env).start()
            try:
                Engine(provider, STACK_CONFIG).preview([registration])
            finally:
                provider.stop()
            top, modules = _imports_after_provider(provider.stderr)
            totals.add(sum(top.values()) / 1e6)
            sdk |= {module.split(".")[0] for module in modules if module.split(".")[0] in forbidden}
            largest = _largest_packages(modules)
        biggest = ", ".join(f"{module} {us / 1000:.0f} ms" for module, us in largest)
        report.add(
            Row(
                "preview imports",
                f"a preview's first Check, {name} {note}",
                f"{totals.describe('ms')}; largest: {biggest or 'none outside the project'}",
                "no " + ", ".join(forbidden),
                f"MISSED: imports {', '.join(sorted(sdk))}" if sdk else "met",
                missed=bool(sdk),
            )
        )


class _ColdStart:
    """One provider's registration and the timings of its cold starts."""

    def __init__(self, registration: Registration) -> None:
        self.registration = registration
        self.ready = Timings()
        self.first_create = Timings()
        self.cpu = Timings()

    def run(self, emulator: Emulator, env: dict[str, str | None], record: bool) -> None:
        """Launch a server, deploy the one resource, and stop the server."""
        emulator.reset()
        ready: list[float] = []
        total: list[float] = []
        provider = BenchProvider(env)
        try:
            with stopwatch(total.append):
                with stopwatch(ready.append):
                    provider.start()
                Engine(provider, STACK_CONFIG).up([self.registration], skip_preview=True)
            cpu = cpu_seconds(provider.pid)
        finally:
            provider.stop()
        if record:
            self.ready.add(ready[0])
            self.first_create.add(total[0])
            self.cpu.add(cpu)


def _imports_after_provider(stderr: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Read `-X importtime` from the provider's module on.

    It returns the cumulative microseconds of each top-level import, and of every module imported.
    A line is written when its import completes, so a top-level line closes the group of deeper
    lines written before it.
    """
    top: dict[str, float] = {}
    modules: dict[str, float] = {}
    group: list[tuple[str, int]] = []
    started = False
    for line in "".join(stderr).splitlines():
        match = _IMPORT_LINE.match(line)
        if match is None:
            continue
        cumulative, indent, name = int(match[2]), len(match[3]), match[4]
        group.append((name, cumulative))
        if indent > 1:
            continue
        started = started or name.split(".")[0] == "providers"
        if started:
            top[name] = top.get(name, 0) + cumulative
            modules.update(group)
        group = []
    return top, modules


def _largest_packages(modules: dict[str, float], count: int = 3) -> list[tuple[str, float]]:
    """Pick the slowest imports outside the project, one per top-level package."""
    seen: set[str] = set()
    largest = []
    for name, cumulative in sorted(modules.items(), key=lambda item: -item[1]):
        root = name.split(".")[0]
        if root in seen or root in {"providers", "components"}:
            continue
        seen.add(root)
        largest.append((name, cumulative))
    return largest[:count]
