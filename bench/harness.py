"""Plumbing shared by the benchmarks: provider processes, the clients they make, timings."""

from __future__ import annotations

import collections
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.counting_server import CLIENT_LOG_ENV
from tests.engine.provider import DYNAMIC_SERVER, ProviderProcess

__all__ = [
    "COUNTING_SERVER",
    "DYNAMIC_SERVER",
    "REGION",
    "STACK_CONFIG",
    "BenchProvider",
    "Timings",
    "clients_created",
    "cpu_seconds",
    "peak_rss_kib",
    "progress",
    "stopwatch",
]

COUNTING_SERVER = "bench.counting_server"
REGION = "us-east-1"
STACK_CONFIG = {"aws:region": REGION}


class BenchProvider(ProviderProcess):
    """The harness's ProviderProcess, telling a counting server where to log clients."""

    def __init__(
        self,
        env: Mapping[str, str | None],
        module: str = DYNAMIC_SERVER,
        client_log: Path | None = None,
    ) -> None:
        changes = dict(env)
        if client_log is not None:
            changes[CLIENT_LOG_ENV] = str(client_log)
        super().__init__(changes, module=module)


def clients_created(client_log: Path) -> collections.Counter[str]:
    """Count the botocore clients a counting server made, by `service region`."""
    if not client_log.exists():
        return collections.Counter()
    return collections.Counter(line for line in client_log.read_text().splitlines() if line)


def cpu_seconds(pid: int) -> float:
    """Return the CPU time a live process's threads have used so far, to the nanosecond."""
    # A thread's schedstat starts with its time on a CPU in ns; the gRPC workers are threads.
    tasks = Path(f"/proc/{pid}/task")
    try:
        nanoseconds = sum(int((task / "schedstat").read_text().split()[0]) for task in tasks.iterdir())
    except (OSError, ValueError, IndexError):
        # /proc/PID/stat, in clock ticks; the command may hold spaces, so count from its last ")".
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return nanoseconds / 1e9


def peak_rss_kib(pid: int) -> int:
    """Return a live process's peak resident set size (VmHWM) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no VmHWM line")


@dataclass
class Timings:
    """The measures of repeated runs of one case, in seconds of wall or CPU time."""

    samples: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        """Record one run."""
        self.samples.append(seconds)

    @property
    def median(self) -> float:
        """Return the median run."""
        return statistics.median(self.samples)

    @property
    def n(self) -> int:
        """Return the number of runs."""
        return len(self.samples)

    def describe(self, unit: str = "s") -> str:
        """Render the median, the number of runs and the range."""
        scale, digits = (1000.0, 0) if unit == "ms" else (1.0, 3)
        low, high = min(self.samples) * scale, max(self.samples) * scale
        return f"{self.median * scale:.{digits}f} {unit} (n={self.n}, {low:.{digits}f} to {high:.{digits}f})"


@contextmanager
def stopwatch(into: Callable[[float], None]) -> Iterator[None]:
    """Hand the wall time the block took to `into`, on success only."""
    start = time.perf_counter()
    yield
    into(time.perf_counter() - start)


def progress(message: str) -> None:
    """Tell, on stderr, what the benchmark is doing; stdout carries only the table."""
    print(f"bench: {message}", file=sys.stderr, flush=True)
