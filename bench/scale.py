"""Scale and memory: preview and up of stacks of PartnerAccounts, serial and on four workers."""

from __future__ import annotations

import collections
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import (
    COUNTING_SERVER,
    STACK_CONFIG,
    BenchProvider,
    Timings,
    clients_created,
    cpu_seconds,
    peak_rss_kib,
    progress,
    stopwatch,
)
from bench.registrations import floor, stack, trivial
from bench.report import Report, Row
from tests.emulator import Emulator
from tests.engine.engine import Engine, Registration
from tests.operations import CREATE_CALLS
from tests.support import emulator_env

__all__ = ["measure_memory", "measure_scale"]

# The dynamic provider server runs four gRPC workers; the engine's default parallelism is higher.
WORKERS = 4
CALLS_PER_CREATE = len(CREATE_CALLS)  # Associate (tags and owner tag inline), Get, ListTags
# What PartnerAccount may hold beyond the boto3 floor at its peak. A second client with its own
# session takes about 10 MiB, importing pulumi_aws about 23 MiB (measured on botocore 1.44).
MEMORY_MARGIN_MIB = 4


@dataclass
class _Case:
    """The runs of one stack size at one latency."""

    size: int
    latency: float
    preview: Timings = field(default_factory=Timings)
    preview_cpu: Timings = field(default_factory=Timings)
    up: dict[int, Timings] = field(default_factory=dict)  # by parallelism
    up_cpu: Timings = field(default_factory=Timings)  # the provider's CPU seconds, not wall time
    preview_calls: set[int] = field(default_factory=set)
    up_calls: set[int] = field(default_factory=set)
    preview_clients: set[int] = field(default_factory=set)
    up_clients: collections.Counter[str] = field(default_factory=collections.Counter)  # max per kind


def measure_scale(
    emulator: Emulator, report: Report, sizes: list[int], latencies: list[float], runs: int
) -> None:
    """Preview and deploy each stack, serial and parallel, in fresh processes."""
    note = report.note(
        "Scale: each run starts a fresh provider server (`python -m bench.counting_server`: the SDK's "
        "server with botocore's create_client counted) against an emptied emulator, previews the "
        "stack, its PartnerAccounts registered as the program registers its one (region and tags), "
        "with a Check per resource (as `pulumi preview` of a new stack), then deploys it with "
        "`up --skip-preview` (Check and Create per resource); the server's start-up is not in the "
        "times (see cold start). The emulator adds the latency to every API request. The speed-up "
        f"is serial up time over the up time with {WORKERS} resources in flight, the server's "
        f"{WORKERS} workers; preview times pool the serial and parallel runs. Provider CPU is the "
        "server's CPU time during the preview or the up (as in cold start), pooled over serial and "
        "parallel runs: unlike wall time it leaves out the emulator and the harness, which share "
        "this machine's two cores (at 0 ms the runs are CPU-bound, hence a speed-up near 1)."
    )
    for latency in latencies:
        for size in sizes:
            case = _Case(size, latency)
            registrations = stack(size)
            progress(f"scale: {size} PartnerAccounts, {latency * 1000:.0f} ms latency, {runs} runs x 2")
            for i in range(runs):
                # Alternating the order spreads any drift of the machine over both.
                for parallel in (1, WORKERS) if i % 2 == 0 else (WORKERS, 1):
                    _run(emulator, case, registrations, parallel)
            _rows(report, case, note)


def _run(emulator: Emulator, case: _Case, registrations: list[Registration], parallel: int) -> None:
    emulator.reset()
    emulator.faults.set_latency(case.latency)
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        client_log = Path(directory) / "clients"
        provider = BenchProvider(emulator_env(emulator.url), COUNTING_SERVER, client_log).start()
        try:
            engine = Engine(provider, STACK_CONFIG)
            cpu = cpu_seconds(provider.pid)
            with stopwatch(case.preview.add):
                engine.preview(registrations)
            case.preview_cpu.add(cpu_seconds(provider.pid) - cpu)
            case.preview_calls.add(len(emulator.calls()))
            case.preview_clients.add(clients_created(client_log).total())
            emulator.clear_log()
            cpu = cpu_seconds(provider.pid)
            with stopwatch(case.up.setdefault(parallel, Timings()).add):
                engine.up(registrations, parallel=parallel, skip_preview=True)
            case.up_cpu.add(cpu_seconds(provider.pid) - cpu)
            case.up_calls.add(len(emulator.calls()))
            case.up_clients |= clients_created(client_log)
        finally:
            provider.stop()


def _rows(report: Report, case: _Case, note: str) -> None:
    where = f"{case.size} PartnerAccount{'s' if case.size > 1 else ''}, {case.latency * 1000:.0f} ms"
    serial, parallel = case.up[1], case.up[WORKERS]
    no_calls = case.preview_calls == {0} and case.preview_clients == {0}
    report.add(
        Row(
            "scale",
            f"preview, {where} {note}",
            f"{case.preview.describe()}; provider CPU {case.preview_cpu.median:.3f} s; "
            f"{_set(case.preview_calls)} calls, {_set(case.preview_clients)} clients",
            "0 calls, 0 clients",
            "met" if no_calls else "MISSED",
            missed=not no_calls,
        )
    )
    expected_calls = CALLS_PER_CREATE * case.size
    calls_ok = case.up_calls == {expected_calls}
    report.add(
        Row(
            "scale",
            f"up, serial, {where}",
            f"{serial.describe()}; {_set(case.up_calls)} calls; "
            f"provider CPU {case.up_cpu.median:.2f} s (n={case.up_cpu.n}, both modes)",
            f"{expected_calls} calls",
            "at the limit" if calls_ok else "MISSED",
            missed=not calls_ok,
        )
    )
    clients = ", ".join(f"{count} {kind}" for kind, count in sorted(case.up_clients.items())) or "none"
    clients_ok = bool(case.up_clients) and max(case.up_clients.values()) == 1
    report.add(
        Row(
            "scale",
            f"up, {WORKERS} in flight, {where}",
            f"{parallel.describe()}; {_set(case.up_calls)} calls; boto3 clients per process: {clients}",
            "1 client per region per process",
            "met" if clients_ok else "MISSED",
            missed=not clients_ok,
        )
    )
    report.add(
        Row(
            "scale",
            f"up speed-up, {WORKERS} in flight over serial, {where}",
            f"{serial.median / parallel.median:.2f}x",
            f"at most {WORKERS}x",
        )
    )


def measure_memory(emulator: Emulator, report: Report, size: int, runs: int) -> None:
    """Read the real server's peak RSS after an up of size resources, per provider."""
    progress(f"memory: peak RSS with {size} resources, {runs} runs of each of 3 providers")
    stacks = {
        "PartnerAccounts": stack(size),
        "boto3 floor resources": [floor(f"floor-{i:03d}") for i in range(size)],
        "trivial resources": [trivial(f"trivial-{i:03d}") for i in range(size)],
    }
    peaks: dict[str, list[int]] = {name: [] for name in stacks}
    for _ in range(runs):
        for name, registrations in stacks.items():
            emulator.reset()
            provider = BenchProvider(emulator_env(emulator.url)).start()
            try:
                Engine(provider, STACK_CONFIG).up(registrations, parallel=WORKERS)
                peaks[name].append(peak_rss_kib(provider.pid))
            finally:
                provider.stop()
    note = report.note(
        "Memory: VmHWM from /proc/PID/status of the real `python -m pulumi.dynamic` server, read after "
        f"`up` (preview, then Check and Create, {WORKERS} in flight) of a stack of {size} resources "
        "and before the server is stopped; the floor and trivial providers are those of cold start."
    )
    medians = {name: statistics.median(kib) / 1024 for name, kib in peaks.items()}
    allowed = medians["boto3 floor resources"] + MEMORY_MARGIN_MIB
    for name, kib in peaks.items():
        mib = [k / 1024 for k in kib]
        ours = name == "PartnerAccounts"
        report.add(
            Row(
                "memory",
                f"peak RSS, {size} {name}" + (f" {note}" if ours else ""),
                f"{medians[name]:.1f} MiB (n={len(mib)}, {min(mib):.1f} to {max(mib):.1f})",
                f"≤ boto3 floor + {MEMORY_MARGIN_MIB} MiB" if ours else "",
                ("met" if medians[name] <= allowed else "MISSED") if ours else "",
                missed=ours and medians[name] > allowed,
            )
        )


def _set(values: set[int]) -> str:
    """Render the distinct counts seen over the runs: one number when every run agreed."""
    return "/".join(str(v) for v in sorted(values))
