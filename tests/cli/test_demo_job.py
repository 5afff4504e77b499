"""`make demo`, the main job, through the real CLI: preview, up, outputs, destroy against the emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo import job
from tests.engine.provider import PROJECT_ROOT

# What the demo needs of the project in a folder of its own: the program, its venv, the emulator.
DEMO_FILES = (
    "Pulumi.yaml",
    "__main__.py",
    "providers",
    "components",
    "demo",
    "provisioning",
    "tests",
    ".venv",
)


def demo_project(folder: Path) -> Path:
    """Lay out a project folder the demo can run in, beside this checkout's own state."""
    folder.mkdir()
    for name in DEMO_FILES:
        (folder / name).symlink_to(PROJECT_ROOT / name)
    return folder


def test_make_demo_previews_ups_prints_outputs_and_destroys(cli_bin: Path) -> None:
    """`python -m demo` exits 0 after the real CLI deployed a device, its files were listed, all destroyed."""
    demo = subprocess.run(
        [sys.executable, "-m", "demo"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    out = demo.stdout
    order = [
        f"Destination {job.DESTINATION_NAME} created in the emulator",
        "Previewing update (demo)",
        "Updating (demo)",
        "== stack outputs",
        "== python -m provisioning --stack demo --out ",
        "Destroying (demo)",
    ]
    positions = [out.index(marker) for marker in order]
    assert positions == sorted(positions)
    # The stack, the association, the device profile and the device.
    assert "+ 4 created" in out and "- 4 deleted" in out
    assert "stands for one made elsewhere" in out
    name = job.DEVICE["name"]
    assert re.search(rf"^  {name}/device_profile\.json  \d+ bytes$", out, re.MULTILINE)
    assert re.search(rf"^  {name}/wireless_device\.json  \d+ bytes$", out, re.MULTILINE)
    # Listed, never shown: no file's content (its keys, its certificates) reaches the output.
    assert '"PrivateKeys"' not in out and '"DeviceCertificates"' not in out
    # The files went with their throwaway folder.
    folder = next(line for line in out.splitlines() if "== python -m provisioning" in line).split()[-1]
    assert not Path(folder).exists()
    assert "== stack demo removed" in out
    assert not (PROJECT_ROOT / "Pulumi.demo.yaml").exists()
    # The demo's key is made fresh each run; whatever it was, no 64-hex run but the fingerprint and
    # the device's SMSN (not secret) shows.
    fingerprint = next(line.split('"')[1] for line in out.splitlines() if "fingerprint:" in line)
    hex_runs = set(re.findall(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])", out + demo.stderr))
    assert fingerprint in hex_runs
    assert hex_runs <= {fingerprint, job.DEVICE["smsn"]}


class CommandLines:
    """Every command line on the machine while it watches: /proc/*/cmdline, read over and over."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, ...]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            # A listing, then a read of each: pathlib's glob would stat each entry, and fail on one
            # whose process ended meanwhile (ESRCH, which its error handling does not expect).
            for pid in (name for name in os.listdir("/proc") if name.isdigit()):
                try:
                    argv = Path("/proc", pid, "cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue  # The process ended between the listing and the read.
                self.seen.add(tuple(arg.decode(errors="replace") for arg in argv if arg))

    def __enter__(self) -> CommandLines:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """Record the argv of every process this Python process starts (the CLI's, the emulator's)."""
    recorded: list[list[str]] = []

    class RecordingPopen(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
            recorded.append([str(arg) for arg in ([args] if isinstance(args, str | Path) else args)])
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    yield recorded


def test_demo_never_puts_the_key_on_a_command_line(
    cli_bin: Path, tmp_path: Path, started: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No process the demo starts, nor any process on the machine meanwhile, has the key in its argv."""
    key = "5e" * 32
    monkeypatch.setattr(job.secrets, "token_hex", lambda nbytes: key)
    for name in job.AWS_UNSET:
        # The demo unsets these in its own process; the test's process gets them back afterwards.
        monkeypatch.delenv(name, raising=False)
    project = demo_project(tmp_path / "project")
    with CommandLines() as machine:
        assert job.main(project) == 0
    # The key was set, and by a command this test saw, so its absence below means something.
    assert ["config", "set", "--secret", job.KEY_CONFIG] in [argv[1:5] for argv in started]
    assert not [argv for argv in started if any(key in arg for arg in argv)]
    # The CLI's own children (language host, program, dynamic provider) are seen only in /proc.
    assert any("pulumi-language-python" in " ".join(argv) for argv in machine.seen)
    assert not [argv for argv in machine.seen if any(key in arg for arg in argv)]
