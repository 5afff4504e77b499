"""Run the emulator alone: python -m tests.emulator --port 0 [--state FILE]."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .models import DEFAULT_IMPORT_STEP_SECONDS
from .server import Emulator


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM, after printing the base URL as the first line."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks one")
    parser.add_argument("--state", help="JSON file that keeps the state across restarts")
    parser.add_argument("--access-key", help="accept only requests signed with this key pair")
    parser.add_argument("--secret-key", help="the secret of --access-key")
    parser.add_argument("--token-reuse-after-delete", choices=("replay", "associate"), default="associate")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to requests")
    parser.add_argument("--s3-endpoint-url", help="S3 endpoint import tasks read their CSV files from")
    parser.add_argument(
        "--import-step-seconds",
        type=float,
        default=DEFAULT_IMPORT_STEP_SECONDS,
        help="seconds an imported device spends in each onboarding state",
    )
    args = parser.parse_args(argv)
    if (args.access_key is None) != (args.secret_key is None):
        parser.error("--access-key and --secret-key go together")
    credentials = {args.access_key: args.secret_key} if args.access_key else None

    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    with Emulator(
        port=args.port,
        credentials=credentials,
        token_reuse_after_delete=args.token_reuse_after_delete,
        state_file=args.state,
        latency=args.latency,
        s3_endpoint_url=args.s3_endpoint_url,
        import_step_seconds=args.import_step_seconds,
    ) as emulator:
        # Whoever started us waits for this line, so it must not sit in a buffer.
        print(emulator.url, flush=True)
        stopping.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
