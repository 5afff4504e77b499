"""`python -m tests.engine COMMAND --stack-dir DIR`: the Pulumi CLI's commands, played by the harness.

DIR holds `config.json` (stack config, secrets encrypted) and `state.json` (the checkpoint); each
run writes `result.json` (steps, the program's outputs, the stack outputs after the command, error,
the provider RPCs by name, what the provider printed). The passphrase comes from
PULUMI_CONFIG_PASSPHRASE, as for Pulumi's passphrase secrets provider. As the CLI, each command
previews first (on its own provider process) unless given --skip-preview.
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
from tests.engine.provider import PROJECT_ROOT, ProviderProcess


def main() -> int:
    """Run one command against the stack folder; exit 1 when it fails, as the CLI does."""
    parser = argparse.ArgumentParser(prog="python -m tests.engine")
    parser.add_argument("command", choices=["preview", "up", "refresh", "destroy"])
    parser.add_argument("--stack-dir", type=Path, required=True)
    parser.add_argument("--skip-preview", action="store_true")
    parser.add_argument("--replace", action="append", default=[], metavar="URN")
    parser.add_argument("--program", type=Path, default=PROJECT_ROOT / "__main__.py")
    args = parser.parse_args()
    passphrase = os.environ.get("PULUMI_CONFIG_PASSPHRASE", "")
    config_path, state_path = args.stack_dir / "config.json", args.stack_dir / "state.json"
    config = (
        wire.from_checkpoint(json.loads(config_path.read_text()), passphrase) if config_path.exists() else {}
    )
    run = ProgramRun()
    with ProviderProcess() as provider:
        resources = Engine.load(state_path, passphrase)
        stored_config = Engine.load_config(state_path, passphrase)
        # The engine configures refresh and destroy with the config stored at the last up.
        engine_config = config if args.command in ("preview", "up") else stored_config
        # The checkpoint holds the default provider, with that config, while it holds a resource.
        deployed = stored_config if any(s.custom and not s.external for s in resources.values()) else None
        engine = Engine(provider, engine_config, resources, deployed_config=deployed)
        engine.stack_outputs = Engine.load_stack_outputs(state_path, passphrase)
        engine.replace_targets = set(args.replace)
        try:
            if args.command == "preview":
                engine.begin_pass()
                run = run_program(engine, config, preview=True, program=args.program)
            elif args.command == "up":
                if not args.skip_preview:
                    engine.begin_pass()
                    run = run_program(engine, config, preview=True, program=args.program)
                if run.error is None:
                    engine.begin_pass()
                    run = run_program(engine, config, preview=False, program=args.program)
                if run.error is None:
                    engine.stack_outputs = run.outputs
            elif args.command == "refresh":
                run.steps = engine.refresh(preview_first=not args.skip_preview)
            else:
                run.steps = engine.destroy(preview_first=not args.skip_preview)
                engine.stack_outputs = {}
        except EngineError as err:
            run.error = str(err)
        finally:
            if args.command != "preview":
                engine.save(state_path, passphrase)
    result = {
        "steps": [asdict(s) for s in run.steps],
        "outputs": wire.to_checkpoint(run.outputs, passphrase),
        "stackOutputs": wire.to_checkpoint(engine.stack_outputs, passphrase),
        "error": run.error,
        "errors": engine.errors,
        "providerCalls": provider.calls,
        "providerOutput": provider.output(),
    }
    (args.stack_dir / "result.json").write_text(json.dumps(result, indent=2))
    if run.error:
        print(f"error: {run.error}", file=sys.stderr)
    return 1 if run.error else 0


if __name__ == "__main__":
    sys.exit(main())
