"""Fault injection: failed, slowed and half-done requests on demand."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .exceptions import ConflictException, InternalServerException, IoTWirelessError, ThrottlingException
from .urls import OPERATIONS

__all__ = ["FAULT_CODES", "FaultInjector"]

FAULT_CODES: dict[str, Callable[[], IoTWirelessError]] = {
    "ThrottlingException": ThrottlingException,
    "InternalServerException": InternalServerException,
    # What AWS answers while another change to the same resource is under way; never retried.
    "ConflictException": lambda: ConflictException("Another change to this resource is in progress", ""),
}


@dataclass
class _RateLimit:
    """A token bucket: per_second tokens a second, holding at most burst."""

    per_second: float
    burst: float
    tokens: float
    stamp: float


@dataclass
class _AfterCommit:
    operation: str
    remaining: int
    hang_seconds: float | None


class FaultInjector:
    """Decide, thread-safely, which requests fail, wait or break after commit."""

    def __init__(self, latency: float = 0.0) -> None:
        self._lock = threading.Lock()
        # Waits use this event, so stopping the server can wake requests still sleeping.
        self._wake = threading.Event()
        self._latency = 0.0
        self._fail_next = 0
        self._fail_next_code = "ThrottlingException"
        self._fraction = 0.0
        self._fraction_code = "ThrottlingException"
        self._random = random.Random(0)
        self._after_commit: list[_AfterCommit] = []
        # Each operation's quota, as (per_second, burst), and its bucket per account and region.
        self._quotas: dict[str, tuple[float, float]] = {}
        self._buckets: dict[tuple[str, str, str], _RateLimit] = {}
        self.set_latency(latency)

    def rate_limit(self, operation: str, per_second: float, burst: int | None = None) -> None:
        """Throttle operation beyond per_second calls a second per account and region, as AWS's quotas do."""
        _check_operation(operation)
        if per_second <= 0:
            raise ValueError("per_second must be more than 0")
        size = float(burst if burst is not None else max(1, int(per_second)))
        if size < 1:
            raise ValueError("burst must be at least 1")
        with self._lock:
            self._quotas[operation] = (per_second, size)
            for key in [key for key in self._buckets if key[0] == operation]:
                del self._buckets[key]

    def throttle(self, operation: str, account: str, region: str) -> IoTWirelessError | None:
        """Take one call of operation from its rate limit: the ThrottlingException when none is left."""
        with self._lock:
            quota = self._quotas.get(operation)
            if quota is None:
                return None
            now = time.monotonic()
            key = (operation, account, region)
            limit = self._buckets.setdefault(key, _RateLimit(*quota, tokens=quota[1], stamp=now))
            limit.tokens = min(limit.burst, limit.tokens + (now - limit.stamp) * limit.per_second)
            limit.stamp = now
            if limit.tokens >= 1:
                limit.tokens -= 1
                return None
        return ThrottlingException()

    def fail_next(self, n: int, code: str = "ThrottlingException") -> None:
        """Make the next n API requests fail with code."""
        _check_code(code)
        if n < 0:
            raise ValueError("n must be at least 0")
        with self._lock:
            self._fail_next, self._fail_next_code = n, code

    def fail_fraction(self, fraction: float, seed: int = 0, code: str = "ThrottlingException") -> None:
        """Fail each API request with probability fraction, reproducibly per seed."""
        _check_code(code)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        with self._lock:
            self._fraction, self._fraction_code = fraction, code
            self._random = random.Random(seed)

    def set_latency(self, seconds: float) -> None:
        """Delay every API request by seconds."""
        if seconds < 0:
            raise ValueError("latency must be at least 0 seconds")
        with self._lock:
            self._latency = seconds

    def fail_after_commit(self, operation: str, n: int = 1) -> None:
        """Apply the next n successful operation calls, then answer 500."""
        self._arm(_AfterCommit(_check_operation(operation), n, None))

    def hang_after_commit(self, operation: str, seconds: float, n: int = 1) -> None:
        """Apply the next n successful operation calls, then wait seconds."""
        if seconds < 0:
            raise ValueError("seconds must be at least 0")
        self._arm(_AfterCommit(_check_operation(operation), n, seconds))

    def clear(self) -> None:
        """Remove every fault, set latency to 0 and wake requests still waiting."""
        with self._lock:
            self._fail_next = 0
            self._fraction = 0.0
            self._latency = 0.0
            self._after_commit.clear()
            self._quotas.clear()
            self._buckets.clear()
        self.wake()

    def wake(self) -> None:
        """End every wait in progress (latency or hang) at once."""
        with self._lock:
            wake, self._wake = self._wake, threading.Event()
        wake.set()

    def before(self) -> IoTWirelessError | None:
        """Wait the latency and return the error to answer instead, if any."""
        with self._lock:
            latency, wake = self._latency, self._wake
            code = None
            if self._fail_next > 0:
                self._fail_next -= 1
                code = self._fail_next_code
            elif self._fraction > 0 and self._random.random() < self._fraction:
                code = self._fraction_code
        if latency:
            wake.wait(latency)
        return FAULT_CODES[code]() if code is not None else None

    def after_commit(self, operation: str) -> tuple[bool, IoTWirelessError | None]:
        """Apply an armed after-commit fault: (faulted, error to answer)."""
        with self._lock:
            fault = next((f for f in self._after_commit if f.operation == operation), None)
            if fault is None:
                return False, None
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._after_commit.remove(fault)
            wake = self._wake
        if fault.hang_seconds is None:
            return True, InternalServerException()
        wake.wait(fault.hang_seconds)
        return True, None

    def _arm(self, fault: _AfterCommit) -> None:
        if fault.remaining < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            self._after_commit.append(fault)


def _check_code(code: str) -> None:
    if code not in FAULT_CODES:
        raise ValueError(f"code must be one of {sorted(FAULT_CODES)}")


def _check_operation(operation: str) -> str:
    if operation not in OPERATIONS:
        raise ValueError(f"operation must be one of {list(OPERATIONS)}")
    return operation
