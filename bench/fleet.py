"""The device fleet through the real `pulumi` CLI: preview, up and destroy of N SidewalkDevices.

Four kinds make the same AWS calls, played back to back for each latency and size, round after
round, in an order that turns every round and every case, so that the machine's drift falls on all
alike:

- device: `bench/fleet_stack/` with one SidewalkDeviceProfile and N SidewalkDevices;
- floor: the same program on the least boto3 providers (bench/fleet_floor.py): the figure to beat;
- kept: the floor's providers keeping in the state what SidewalkDevice keeps (its inputs, the
  certificates and the secret private keys): what the engine costs for that state alone;
- boto3: `python -m bench.fleet_boto3`, the calls alone, as many at once as the engine runs.

The Destination the devices name is made in the emulator with boto3, outside the stacks. Section
`fleet-once` plays the same with PULUMI_SKIP_CHECKPOINTS=true, the state saved once a command, under
the measure SAVED_ONCE.
"""

from __future__ import annotations

import collections
import itertools
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3

from bench.cli import interval_verdict, median_interval, state_bytes
from bench.harness import REGION, Timings, progress
from bench.report import Report, Row
from bench.scale import MEMORY_MARGIN_MIB
from demo.cli import at_hand
from tests.cli.project import PulumiProject
from tests.emulator import Emulator
from tests.engine.provider import PROJECT_ROOT, merged_env
from tests.operations import LIST_TAGS
from tests.support import emulator_env

__all__ = [
    "DEVICE_CREATE_CALLS",
    "DEVICE_DELETE_CALLS",
    "FLEET_BUDGET",
    "FLEET_RUNS",
    "GOAL_RATIO",
    "SAVED_ONCE",
    "SKIP_CHECKPOINTS",
    "THROTTLED_RATE",
    "measure_fleet",
    "play_order",
]

KINDS = ("device", "floor", "kept", "boto3")
_NAMES = {
    "device": "SidewalkDevice",
    "floor": "device floor",
    "kept": "floor keeping the device's state",
    "boto3": "boto3 script",
}
_PROGRAM = PROJECT_ROOT / "bench" / "fleet_stack"
# The goal of issue 17: the device stack at most 1.1 times the floor stack's time.
GOAL_RATIO = 1.1
# The engine's switch that saves the state once, at the end of a command, and the measure of its rows.
SKIP_CHECKPOINTS = "PULUMI_SKIP_CHECKPOINTS"
SAVED_ONCE = "fleet, state saved once"
# Wall time the rounds may take, all sizes and latencies, and the most rounds played.
FLEET_BUDGET, FLEET_RUNS = 1200.0, 20
DESTINATION = "bench-fleet"
_ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk-destination"
# What each provider calls (providers/device_profile.py and providers/wireless_device.py, create and
# delete): the profile once, then each device; the floor and the script make the same calls.
PROFILE_CREATE_CALLS = ["CreateDeviceProfile", "GetDeviceProfile"]
DEVICE_CREATE_CALLS = ["CreateWirelessDevice", "GetWirelessDevice"]
PROFILE_DELETE_CALLS = [LIST_TAGS, "DeleteDeviceProfile"]
DEVICE_DELETE_CALLS = [LIST_TAGS, "DeleteWirelessDevice"]
# No quota for CreateWirelessDevice is published in shared/docs/iotwireless-api.md: 10 a second is
# an assumption, to be replaced by AWS's figure once one is written down there.
THROTTLED_OPERATION, THROTTLED_RATE = "CreateWirelessDevice", 10.0
# The SDK's dynamic provider server answers with this many gRPC workers (pulumi/dynamic/__main__.py).
PROVIDER_WORKERS = 4
# How often the provider server's peak RSS is read while a command runs.
_POLL_SECONDS = 0.2
_COMMAND_TIMEOUT_SECONDS = 1800


@dataclass
class _Case:
    """The measures of one kind at one size and latency, run by run."""

    timings: dict[str, Timings] = field(default_factory=dict)
    calls: dict[str, list[collections.Counter[str]]] = field(default_factory=dict)
    rss_kib: list[int] = field(default_factory=list)
    state_bytes: list[int] = field(default_factory=list)

    def get(self, measure: str) -> Timings:
        """Return the timings of one measure: preview, up, destroy, up_cpu or destroy_cpu."""
        return self.timings.setdefault(measure, Timings())

    def add_calls(self, command: str, calls: Sequence[str]) -> None:
        """Record the operations one command made, as the emulator logged them."""
        self.calls.setdefault(command, []).append(collections.Counter(calls))


@dataclass
class _Watch:
    """The peak RSS of the dynamic provider servers of one CLI command, read while it runs."""

    session: int
    peak_kib: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Read the session's provider servers' VmHWM until told to stop."""
        while not self.stop.wait(_POLL_SECONDS):
            self.read()

    def read(self) -> None:
        """Take the highest VmHWM of the provider servers now alive in the session."""
        for pid in _providers(self.session):
            self.peak_kib = max(self.peak_kib, _vm_hwm_kib(pid))


def expected_calls(command: str, size: int) -> collections.Counter[str]:
    """Return the calls an up or a destroy of a profile and size devices makes, by operation."""
    if command == "preview":
        return collections.Counter()
    profile, device = (
        (PROFILE_CREATE_CALLS, DEVICE_CREATE_CALLS)
        if command == "up"
        else (PROFILE_DELETE_CALLS, DEVICE_DELETE_CALLS)
    )
    return collections.Counter(profile) + collections.Counter(
        {op: n * size for op, n in collections.Counter(device).items()}
    )


def measure_fleet(
    emulator: Emulator,
    report: Report,
    sizes: list[int],
    latencies: list[float],
    budget: float = FLEET_BUDGET,
    runs: int = FLEET_RUNS,
    throttled_size: int | None = None,
    throttled_rate: float = THROTTLED_RATE,
    saved_once: bool = False,
) -> None:
    """Add the fleet rows: each size at each latency, the kinds in turns, then one throttled up.

    saved_once runs every command with PULUMI_SKIP_CHECKPOINTS=true, under the measure SAVED_ONCE.
    """
    first_row = len(report.rows)
    command = at_hand()
    if command is None:
        progress("no Pulumi CLI at hand: run `make cli` first; the fleet section is left out")
        report.add(Row("fleet", "real CLI", "not measured: no CLI (make cli)"))
        return
    cli_bin = Path(command.command).parent
    parallel = default_parallelism(cli_bin)
    note = report.note(
        "Fleet: the real `pulumi` (`make cli`), a file backend, passphrase secrets; a stack of "
        "`bench/fleet_stack/` holds one device profile and N devices on one Destination made with boto3 "
        "beforehand. Each round plays, for every latency and size, `preview`, `up --skip-preview` and "
        "`destroy --skip-preview` of (A) the SidewalkDevice stack, (B) the device floor (the same program "
        "on the least boto3 providers making the same calls: bench/fleet_floor.py) and (C) the floor "
        "keeping the state SidewalkDevice keeps (its inputs echoed, the certificates and the secret "
        "private keys), then (D) the up and destroy of a plain boto3 script making the same calls "
        f"{parallel} at a time (`python -m bench.fleet_boto3`; {parallel} is the CLI's default --parallel), "
        "in the order ABCD or DCBA, turning from one round of a size and latency to the next and from "
        "one size and latency to the next; "
        "ratios are medians of the per-round ratios, with the 95% interval of that median "
        "(distribution-free; with fewer than 6 rounds, the range). The engine sends "
        f"{parallel} operations at once, but the SDK's dynamic provider server answers with "
        f"{PROVIDER_WORKERS} workers. Calls are counted from the emulator's log in every run of every kind. "
        "Peak RSS is the VmHWM of the `python -m pulumi.dynamic` server the CLI starts, read every "
        f"{_POLL_SECONDS:g} s while `up` runs; the state size is the file backend's checkpoint after `up`."
        + (
            f" Rows of `{SAVED_ONCE}`: every command runs with {SKIP_CHECKPOINTS}=true, so that the engine "
            "saves the state once, at the end, instead of after every step."
            if saved_once
            else ""
        )
    )
    cases: dict[tuple[str, int, float], _Case] = {}
    emulator.reset()
    client = _client(emulator)
    client.create_destination(
        Name=DESTINATION, Expression="rule", ExpressionType="RuleName", RoleArn=_ROLE_ARN
    )
    started, load = time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as folder:
        root = Path(folder)
        projects: dict[tuple[str, int], PulumiProject] = {}

        env: dict[str, str | None] = {SKIP_CHECKPOINTS: "true"} if saved_once else {}

        def project(kind: str, size: int) -> PulumiProject:
            if (kind, size) not in projects:
                projects[kind, size] = _project(root / f"{kind}-{size}", cli_bin, emulator, kind, size, env)
            return projects[kind, size]

        deadline = started + budget
        # Rounds go on while the budget lasts; a size and latency whose last round would not fit in
        # what is left sits the rest out, so the small fleets get more rounds than the large.
        last: dict[tuple[float, int], float] = {}
        rounds: collections.Counter[tuple[float, int]] = collections.Counter()
        while True:
            played = False
            for turn, (latency, size) in enumerate(itertools.product(latencies, sizes)):
                at = (latency, size)
                if rounds[at] >= runs or (at in last and time.perf_counter() + last[at] > deadline):
                    continue
                emulator.faults.set_latency(latency)
                round_started = time.perf_counter()
                for kind in play_order(rounds[at], turn):
                    case = cases.setdefault((kind, size, latency), _Case())
                    if kind == "boto3":
                        _play_script(root, emulator, client, case, size, parallel)
                    else:
                        _play_stack(project(kind, size), emulator, client, case, size)
                emulator.faults.set_latency(0)
                last[at], played = time.perf_counter() - round_started, True
                rounds[at] += 1
                _progress(cases, size, latency)
            if not played:
                break
        seconds = time.perf_counter() - started
        _rows(report, cases, sizes, latencies, note)
        report.add(
            Row(
                "fleet",
                "the rounds by size and latency: time and load",
                ", ".join(f"{n} at {size}, {latency * 1000:.0f} ms" for (latency, size), n in rounds.items())
                + f": {sum(rounds.values())} rounds in {seconds:.0f} s; load average, 1 min, {load:.2f} "
                f"at their start, {os.getloadavg()[0]:.2f} at their end",
            )
        )
        if throttled_size:
            device_project = project("device", throttled_size)
            _throttled(report, device_project, emulator, client, throttled_size, throttled_rate)
    if saved_once:
        report.rows[first_row:] = [replace(row, measure=SAVED_ONCE) for row in report.rows[first_row:]]


def play_order(round_: int, case: int) -> tuple[str, ...]:
    """Return the order of the kinds in a round of a case (a size and latency, by its place in the loop).

    It turns from one round of a case to the next and from one case to the next, so that drift of the
    machine falls on every kind alike, and even a run of one round does not play every case alike.
    """
    return KINDS if (round_ + case) % 2 == 0 else tuple(reversed(KINDS))


def default_parallelism(cli_bin: Path) -> int:
    """Return the resource operations `pulumi up` runs at once by default, as its help states."""
    help_text = subprocess.run(
        [cli_bin / "pulumi", "up", "--help"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    found = re.search(r"--parallel int32 .*\(default (\d+)\)", help_text)
    if found is None:
        raise RuntimeError("`pulumi up --help` states no default for --parallel")
    return int(found.group(1))


def _project(
    root: Path, cli_bin: Path, emulator: Emulator, kind: str, size: int, env: dict[str, str | None]
) -> PulumiProject:
    """Return a new stack of the fleet program with size devices of kind, not yet deployed."""
    project = PulumiProject(root, cli_bin, emulator.url, env).use_program(_PROGRAM)
    (root / "bench").symlink_to(PROJECT_ROOT / "bench")
    project.init()
    project.config_set("aws:region", REGION)
    project.config_set("fleet:kind", kind)
    project.config_set("fleet:count", size)
    project.config_set("fleet:destination", DESTINATION)
    return project


def _client(emulator: Emulator) -> Any:
    """Return a boto3 client of the emulator, with the test credentials, for seeding and checking."""
    env = emulator_env(emulator.url)
    return boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    ).client("iotwireless", endpoint_url=emulator.url)


def _play_stack(project: PulumiProject, emulator: Emulator, client: Any, case: _Case, size: int) -> None:
    """Time a preview, an up and a destroy of a new stack; count their calls, memory and state."""
    for command, args in (
        ("preview", ("preview",)),
        ("up", ("up", "--yes", "--skip-preview")),
        ("destroy", ("destroy", "--yes", "--skip-preview")),
    ):
        emulator.clear_log()
        wall, cpu, peak = _cli(project, *args)
        case.add_calls(command, emulator.calls())
        case.get(command).add(wall)
        case.get(f"{command}_cpu").add(cpu)
        if command == "up":
            case.rss_kib.append(peak)
            case.state_bytes.append(state_bytes(project))
    _check_empty(client, emulator)


def _play_script(root: Path, emulator: Emulator, client: Any, case: _Case, size: int, parallel: int) -> None:
    """Time the boto3 script's up and destroy; count their calls."""
    state = root / f"boto3-{size}.json"
    for command in ("up", "destroy"):
        emulator.clear_log()
        argv = [sys.executable, "-m", "bench.fleet_boto3", command, "--count", str(size)]
        argv += ["--parallel", str(parallel), "--destination", DESTINATION, "--state", str(state)]
        with _usage() as usage:
            process = subprocess.run(
                argv,
                cwd=PROJECT_ROOT,
                env=merged_env(emulator_env(emulator.url)),
                capture_output=True,
                text=True,
                timeout=_COMMAND_TIMEOUT_SECONDS,
                check=False,
            )
        if process.returncode != 0:
            raise RuntimeError(f"the boto3 script's {command} failed:\n{process.stderr[-4000:]}")
        case.add_calls(command, emulator.calls())
        case.get(command).add(usage[0])
        case.get(f"{command}_cpu").add(usage[1])
    _check_empty(client, emulator)


@contextmanager
def _usage() -> Iterator[list[float]]:
    """Give the block's wall time and the CPU time of its children and the emulator, in that order."""

    def cpu() -> float:
        # The children's usage counts every descendant waited for: CLI, language host, program,
        # provider. Our own is mostly the emulator's threads.
        children, own = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        return children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime

    figures: list[float] = []
    start_cpu, start = cpu(), time.perf_counter()
    yield figures
    figures += [time.perf_counter() - start, cpu() - start_cpu]


def _cli(project: PulumiProject, *args: str) -> tuple[float, float, int]:
    """Run one CLI command; return its wall time, CPU time and its provider servers' peak RSS in KiB."""
    with tempfile.NamedTemporaryFile(prefix="bench-fleet-", suffix=".log") as log, _usage() as usage:
        process = project.start(Path(log.name), *args)
        # The command leads a session of its own: its provider servers are the session's.
        watch = _Watch(process.pid)
        reader = threading.Thread(target=watch.run, daemon=True)
        reader.start()
        try:
            returncode = process.wait(timeout=_COMMAND_TIMEOUT_SECONDS)
        finally:
            watch.stop.set()
            reader.join()
        output = Path(log.name).read_text(errors="replace")
    if returncode != 0:
        raise RuntimeError(f"pulumi {' '.join(args)} exited {returncode}:\n{output[-4000:]}")
    return usage[0], usage[1], watch.peak_kib


def _providers(session: int) -> list[int]:
    """Return the pids of the live `python -m pulumi.dynamic` servers of a session."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After "pid (comm)": state, ppid, process group, session, ...
            member_of = int(stat.read_text().rsplit(")", 1)[1].split()[3])
            if member_of != session:
                continue
            argv = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue  # the process ended while it was being read
        if argv[1:4] == [b"-u", b"-m", b"pulumi.dynamic"]:
            found.append(int(stat.parent.name))
    return found


def _vm_hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass  # it ended: its last reading stands
    return 0


def _check_empty(client: Any, emulator: Emulator) -> None:
    """Fail unless the destroy left no device and no profile; leave the log empty."""
    devices = client.list_wireless_devices()["WirelessDeviceList"]
    profiles = client.list_device_profiles()["DeviceProfileList"]
    emulator.clear_log()
    if devices or profiles:
        raise RuntimeError(f"a destroy left {len(devices)} devices and {len(profiles)} profiles")


def _progress(cases: dict[tuple[str, int, float], _Case], size: int, latency: float) -> None:
    up = {kind: cases[kind, size, latency].get("up").samples[-1] for kind in KINDS}
    progress(
        f"fleet: {size} devices at {latency * 1000:.0f} ms: up "
        + ", ".join(f"{_NAMES[kind]} {seconds:.2f} s" for kind, seconds in up.items())
        + f"; SidewalkDevice / floor {up['device'] / up['floor']:.3f}, / kept {up['device'] / up['kept']:.3f}"
    )


def _ratios(
    cases: dict[tuple[str, int, float], _Case], size: int, latency: float, measure: str, over: str
) -> list[float]:
    ours, theirs = (cases[kind, size, latency].get(measure).samples for kind in ("device", over))
    return [a / b for a, b in zip(ours, theirs, strict=True)]


def _spread(ratios: list[float]) -> str:
    low, high = median_interval(ratios)
    return f"{statistics.median(ratios):.3f} (n={len(ratios)}; 95% interval {low:.3f} to {high:.3f})"


def _verdict(ratios: list[float]) -> tuple[str, bool]:
    """Judge the ratios against the fleet's goal by their median's interval."""
    low, high = median_interval(ratios)
    return interval_verdict(low, statistics.median(ratios), high, GOAL_RATIO)


def _sequence(calls: Sequence[str]) -> str:
    return ", ".join(calls)


def _rows(
    report: Report,
    cases: dict[tuple[str, int, float], _Case],
    sizes: list[int],
    latencies: list[float],
    note: str,
) -> None:
    for latency in latencies:
        for size in sizes:
            at = f"{size} devices, {latency * 1000:.0f} ms"
            for command in ("preview", "up", "destroy"):
                _time_rows(report, cases, size, latency, command, f"{at}{' ' * bool(note)}{note}")
                note = ""
                _calls_row(report, cases, size, latency, command, at)
            if size == max(sizes):
                _memory_rows(report, {kind: cases[kind, size, latency] for kind in KINDS[:-1]}, at)
        small, large = min(sizes), max(sizes)
        if large > small:
            for kind in KINDS:
                first, most = (cases[kind, n, latency].get("up").median for n in (small, large))
                each = (most - first) / (large - small)
                report.add(
                    Row(
                        "fleet: where the time goes",
                        f"each further device of the up, {_NAMES[kind]}, {latency * 1000:.0f} ms "
                        f"({small} to {large}, medians)",
                        f"{each * 1000:.1f} ms; the fixed part, extrapolated to 0 devices: "
                        f"{first - small * each:.2f} s",
                    )
                )


def _time_rows(
    report: Report,
    cases: dict[tuple[str, int, float], _Case],
    size: int,
    latency: float,
    command: str,
    at: str,
) -> None:
    """Add the rows of one command's time: against the floor, and what the engine adds to the script."""
    ratios = _ratios(cases, size, latency, command, "floor")
    verdict, missed = _verdict(ratios)
    kept = _ratios(cases, size, latency, command, "kept")
    kept_verdict, kept_missed = _verdict(kept)
    kinds = [kind for kind in KINDS if command in cases[kind, size, latency].timings]
    figures = "; ".join(f"{_NAMES[k]} {cases[k, size, latency].get(command).describe()}" for k in kinds)
    cpu = statistics.median(_ratios(cases, size, latency, f"{command}_cpu", "floor"))
    report.add(
        Row(
            "fleet",
            f"`pulumi {command}` wall time, SidewalkDevice / device floor, {at}",
            f"{_spread(ratios)}; CPU {cpu:.3f}; {figures}",
            f"≤ {GOAL_RATIO}",
            verdict,
            missed=missed,
        )
    )
    kept_cpu = statistics.median(_ratios(cases, size, latency, f"{command}_cpu", "kept"))
    report.add(
        Row(
            "fleet",
            f"`pulumi {command}` wall time, SidewalkDevice / {_NAMES['kept']}, {at.split(' [')[0]}",
            f"{_spread(kept)}; CPU {kept_cpu:.3f}",
            f"≤ {GOAL_RATIO}",
            kept_verdict,
            missed=kept_missed,
        )
    )
    if command == "preview":
        return
    ours, floor, script = (cases[k, size, latency].get(command).samples for k in ("device", "floor", "boto3"))
    engine = statistics.median(a - b for a, b in zip(ours, script, strict=True))
    floor_over_script = statistics.median(a / b for a, b in zip(floor, script, strict=True))
    report.add(
        Row(
            "fleet",
            f"`pulumi {command}` less the boto3 script, {at.split(' [')[0]}: what the engine costs",
            f"{engine:.3f} s ({engine / size * 1000:.1f} ms a device); SidewalkDevice / boto3 script "
            f"{_spread(_ratios(cases, size, latency, command, 'boto3'))}; device floor / boto3 script "
            f"{floor_over_script:.3f}",
        )
    )


def _calls_row(
    report: Report,
    cases: dict[tuple[str, int, float], _Case],
    size: int,
    latency: float,
    command: str,
    at: str,
) -> None:
    expected = expected_calls(command, size)
    seen = [counter for kind in KINDS for counter in cases[kind, size, latency].calls.get(command, [])]
    met = all(counter == expected for counter in seen)
    if command == "preview":
        figure = "0 calls in every run" if met else f"calls: {sorted({sum(c.values()) for c in seen})}"
        goal = "0 calls"
    else:
        profile, device = (
            (PROFILE_CREATE_CALLS, DEVICE_CREATE_CALLS)
            if command == "up"
            else (PROFILE_DELETE_CALLS, DEVICE_DELETE_CALLS)
        )
        goal = f"{len(device)} a device: {_sequence(device)}; {len(profile)} for the profile: "
        goal += _sequence(profile)
        if met:
            figure = f"{len(device)} a device, {sum(expected.values())} in all, "
            figure += f"in every run of the {len(KINDS)} kinds"
        else:
            wrong = next(counter for counter in seen if counter != expected)
            figure = "differs: " + ", ".join(f"{op} {n}" for op, n in sorted(wrong.items()))
    report.add(
        Row(
            "fleet",
            f"calls of `{command}`, {at}",
            figure,
            goal,
            "at the limit" if met else "MISSED",
            missed=not met,
        )
    )


def _memory_rows(report: Report, stacks: dict[str, _Case], at: str) -> None:
    mib = {name: [k / 1024 for k in case.rss_kib] for name, case in stacks.items()}
    allowed = statistics.median(mib["floor"]) + MEMORY_MARGIN_MIB
    ours = statistics.median(mib["device"])
    for name, values in mib.items():
        mine = name == "device"
        low, high = min(values), max(values)
        report.add(
            Row(
                "fleet",
                f"peak RSS of the provider server, `pulumi up`, {_NAMES[name]}, {at}",
                f"{statistics.median(values):.1f} MiB (n={len(values)}, {low:.1f} to {high:.1f})",
                f"≤ device floor + {MEMORY_MARGIN_MIB} MiB" if mine else "",
                ("met" if ours <= allowed else "MISSED") if mine else "",
                missed=mine and ours > allowed,
            )
        )
    size = int(at.split()[0])
    kib = {name: statistics.median(case.state_bytes) / 1024 for name, case in stacks.items()}
    report.add(
        Row(
            "fleet",
            f"state file after `pulumi up`, {at}",
            "; ".join(f"{_NAMES[name]} {n:.0f} KiB ({n / size:.2f} KiB a device)" for name, n in kib.items()),
        )
    )


def _throttled(
    report: Report, project: PulumiProject, emulator: Emulator, client: Any, size: int, rate: float
) -> None:
    """Deploy the device stack with CreateWirelessDevice throttled; count what botocore retried."""
    progress(f"fleet: up of {size} devices, {THROTTLED_OPERATION} throttled at {rate:g} a second")
    emulator.faults.clear()
    # The bucket holds a second's calls, as the emulator's default burst.
    emulator.faults.rate_limit(THROTTLED_OPERATION, rate)
    emulator.clear_log()
    failure = ""
    try:
        wall, _, _ = _cli(project, "up", "--yes", "--skip-preview")
    except RuntimeError as error:
        failure, wall = str(error).splitlines()[-1], 0.0
    log = emulator.log
    emulator.faults.clear()
    throttled = sum(1 for e in log if e["operation"] == THROTTLED_OPERATION and e["status"] == 429)
    answered = collections.Counter(e["operation"] for e in log if e["operation"] and e["status"] < 400)
    met = not failure and answered == expected_calls("up", size) and throttled > 0
    least = max(0.0, size - max(1, int(rate))) / rate
    figure = (
        f"up failed: {failure}"
        if failure
        else f"succeeded in {wall:.2f} s (at least {least:.1f} s at that rate); {throttled} throttled "
        f"answers (429) retried by botocore's standard mode; {answered[THROTTLED_OPERATION]} creates "
        "answered, the calls of an unthrottled up"
    )
    report.add(
        Row(
            "fleet",
            f"`pulumi up`, {size} devices, {THROTTLED_OPERATION} throttled at {rate:g} a second, burst "
            f"{max(1, int(rate))}"
            + (
                " (assumed: shared/docs/iotwireless-api.md publishes no quota)"
                if rate == THROTTLED_RATE
                else ""
            ),
            figure,
            "succeeds; every throttled call retried, none of ours",
            "met" if met else "MISSED",
            missed=not met,
        )
    )
    emulator.clear_log()
    project.run("destroy", "--yes", "--skip-preview")
    _check_empty(client, emulator)
