"""An emulator of the AWS IoT Wireless partner-account and destination API, for tests and the offline demo."""

from __future__ import annotations

from .models import IoTWirelessBackend
from .server import Emulator, EmulatorClient

__all__ = ["Emulator", "EmulatorClient", "IoTWirelessBackend"]
