"""An emulator of the AWS IoT Wireless Sidewalk API (accounts, destinations, devices) for tests and demo."""

from __future__ import annotations

from .models import IoTWirelessBackend
from .server import Emulator, EmulatorClient

__all__ = ["Emulator", "EmulatorClient", "IoTWirelessBackend"]
