"""`make demo`, the main job, through the real CLI: preview, up, outputs, destroy against the emulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.engine.provider import PROJECT_ROOT


def test_make_demo_previews_ups_prints_outputs_and_destroys(cli_bin: Path) -> None:
    """`python -m demo` exits 0 after the real CLI previewed, deployed and destroyed the stack."""
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
    order = ["Previewing update (demo)", "Updating (demo)", "== stack outputs", "Destroying (demo)"]
    positions = [out.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "+ 2 created" in out and "- 2 deleted" in out
    assert "== stack demo removed" in out
    assert not (PROJECT_ROOT / "Pulumi.demo.yaml").exists()
    # The demo's key is made fresh each run; whatever it was, no 64-hex run but the fingerprint shows.
    fingerprint = next(line.split('"')[1] for line in out.splitlines() if "fingerprint:" in line)
    hex_runs = {word.strip('",') for word in (out + demo.stderr).split() if len(word.strip('",')) == 64}
    assert hex_runs <= {fingerprint}
