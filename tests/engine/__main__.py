"""`python -m tests.engine COMMAND --stack-dir DIR`: the Pulumi CLI's commands, played by the harness.

DIR holds `config.json` (stack config, secrets encrypted) and `state.json` (the checkpoint); each
run writes `result.json` (steps, stack outputs, error, what the provider printed). The passphrase
comes from PULUMI_CONFIG_PASSPHRASE, as for Pulumi's passphrase secrets provider.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from tests.engine import wire
from tests.engine.engine import Engine, EngineError
from tests.engine.program import ProgramRun, run_program
from tests.engine.provider import ProviderProcess


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.engine")
    parser.add_argument("command", choices=["preview", "up", "refresh", "destroy"])
    parser.add_argument("--stack-dir", type=Path, required=True)
    parser.add_argument("--skip-preview", action="store_true")
    args = parser.parse_args()
    passphrase = os.environ.get("PULUMI_CONFIG_PASSPHRASE", "")
    config_path, state_path = args.stack_dir / "config.json", args.stack_dir / "state.json"
    config = (
        wire.from_checkpoint(json.loads(config_path.read_text()), passphrase) if config_path.exists() else {}
    )
    run = ProgramRun()
    with ProviderProcess() as provider:
        # The engine configures refresh and destroy with the config stored at the last up.
        engine_config = (
            config if args.command in ("preview", "up") else Engine.load_config(state_path, passphrase)
        )
        engine = Engine(provider, engine_config, Engine.load(state_path, passphrase))
        try:
            if args.command == "preview":
                run = run_program(engine, config, preview=True)
            elif args.command == "up":
                if not args.skip_preview:
                    run = run_program(engine, config, preview=True)
                if run.error is None:
                    run = run_program(engine, config, preview=False)
                    engine.stack_outputs = run.outputs
            elif args.command == "refresh":
                run.steps = engine.refresh()
            else:
                run.steps = engine.destroy()
        except EngineError as err:
            run.error = str(err)
        finally:
            if args.command != "preview":
                engine.save(state_path, passphrase)
    result = {
        "steps": [asdict(s) for s in run.steps],
        "outputs": wire.to_checkpoint(run.outputs, passphrase),
        "error": run.error,
        "errors": engine.errors,
        "providerOutput": provider.output(),
    }
    (args.stack_dir / "result.json").write_text(json.dumps(result, indent=2))
    if run.error:
        print(f"error: {run.error}", file=sys.stderr)
    return 1 if run.error else 0


if __name__ == "__main__":
    sys.exit(main())
