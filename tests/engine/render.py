"""`python -m tests.engine.render SCENARIO [--diff]`: what `pulumi preview` shows, played by the harness.

Render deploys the real program with the README's example stack config against an in-process
emulator, changes the config as the scenario says, previews the change as `pulumi preview` does
(Check and Diff only, through the real provider process) and prints the plan in the layout of the
Pulumi CLI: the resource table by default, the property-level view with `--diff`. Secrets show as
[secret]. The README pastes this output, and tests/test_readme.py renders it again to compare.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from tests.emulator import Emulator
from tests.engine import wire
from tests.engine.engine import STACK, Engine, Registration, Step, urn_of
from tests.engine.program import run_program
from tests.engine.provider import PROJECT_NAME, ProviderProcess
from tests.support import KEY, OTHER_KEY, emulator_env

__all__ = ["BASE_CONFIG", "SCENARIOS", "main", "preview", "render_diff", "render_table"]

# The stack of the README's walk-through, as `pulumi config set` leaves it.
BASE_CONFIG: dict[str, Any] = {
    "aws:region": "us-east-1",
    "sidewalk:amazonId": "amzn1.account.EXAMPLE",
    "sidewalk:appServerPrivateKey": wire.Secret(KEY),
    "sidewalk:tags": {"environment": "dev", "team": "iot"},
}
# Each scenario is the config it changes before `pulumi preview`.
SCENARIOS: dict[str, dict[str, Any]] = {
    "key-rotation": {"sidewalk:appServerPrivateKey": wire.Secret(OTHER_KEY)},
    "tag-change": {"sidewalk:tags": {"environment": "prod", "owner": "platform", "team": "iot"}},
    "replacement": {"sidewalk:amazonId": "amzn1.account.REPLACEMENT"},
}
STACK_TYPE = "pulumi:pulumi:Stack"
_SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": ""}
_SUMMARY_ORDER = ("create", "update", "replace", "delete")


class _RecordingEngine(Engine):
    """_RecordingEngine remembers each registration, so that new inputs can be shown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.registered: dict[str, Registration] = {}

    def register(self, reg: Registration, preview: bool) -> tuple[Step, dict[str, Any]]:
        self.registered[reg.urn] = reg
        return super().register(reg, preview)


class Plan:
    """Plan is a preview's steps with the old state and new inputs it was computed from."""

    def __init__(
        self,
        steps: list[Step],
        engine: _RecordingEngine,
        old_outputs: dict[str, Any],
        new_outputs: dict[str, Any],
    ) -> None:
        self.steps = steps
        self.old_outputs = old_outputs
        self.new_outputs = new_outputs
        self.old = dict(engine.resources)
        self.new = dict(engine.registered)


def preview(changes: Mapping[str, Any]) -> Plan:
    """Preview deploys the base stack, then previews it with the changed config, each with a new plugin."""
    config = dict(BASE_CONFIG)
    with Emulator() as emulator:
        env = emulator_env(emulator.url)
        with ProviderProcess(env) as provider:
            engine = _RecordingEngine(provider, config)
            run = run_program(engine, config, preview=False)
            if run.error is not None:
                raise RuntimeError(f"the base deployment failed: {run.error}")
            old_outputs = run.outputs
        config.update(changes)
        # Every CLI command starts the provider anew, configured with the stack config of the moment.
        with ProviderProcess(env) as provider:
            engine = _RecordingEngine(provider, config, engine.resources)
            run = run_program(engine, config, preview=True)
            if run.error is not None:
                raise RuntimeError(f"the preview failed: {run.error}")
            return Plan(run.steps, engine, old_outputs, run.outputs)


def _stack_name() -> str:
    return f"{PROJECT_NAME}-{STACK}"


def _diff_info(step: Step, plan: Plan) -> str:
    if not step.diffs:
        return ""
    old = plan.old[step.urn].inputs if step.urn in plan.old else {}
    new = plan.new[step.urn].inputs if step.urn in plan.new else {}
    added = [k for k in step.diffs if k not in old]
    deleted = [k for k in step.diffs if k not in new]
    updated = [k for k in step.diffs if k in old and k in new]
    parts = [sign + ",".join(keys) for sign, keys in (("+", added), ("-", deleted), ("~", updated)) if keys]
    return f"[diff: {''.join(parts)}]"


def _stack_outputs(plan: Plan) -> list[str]:
    """Stack_outputs lists the stack outputs the update changes; unknown ones as the CLI shows them."""
    names = sorted(k for k in plan.old_outputs if plan.old_outputs[k] != plan.new_outputs.get(k))
    if not names:
        return []
    width = max(len(n) for n in names)
    lines = ["Outputs:"]
    for name in names:
        new = plan.new_outputs.get(name)
        shown = "output<string>" if wire.has_unknowns(new) else _value(new)
        lines.append(f"  ~ {name.ljust(width)}: {_value(plan.old_outputs[name])} => {shown}")
    return [*lines, ""]


def _summary(steps: Sequence[Step]) -> list[str]:
    ops = [s.op for s in steps]
    lines = ["Resources:"]
    for op in _SUMMARY_ORDER:
        if count := ops.count(op):
            lines.append(f"    {_SYMBOLS[op]:<2}{count} to {op}")
    # The stack itself is unchanged in every scenario, as are resources with a `same` step.
    lines.append(f"    {ops.count('same') + 1} unchanged")
    return lines


def render_table(plan: Plan) -> str:
    """Render_table prints a plan as `pulumi preview` does by default: one row per resource."""
    rows = [("", STACK_TYPE, _stack_name(), "", "")]
    for step in plan.steps:
        type_ = step.urn.split("::")[2]
        name = step.urn.rsplit("::", 1)[-1]
        plan_ = "" if step.op == "same" else step.op
        rows.append((_SYMBOLS[step.op], f"└─ {type_}", name, plan_, _diff_info(step, plan)))
    header = ("", "Type", "Name", "Plan", "Info")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in (1, 2, 3)]

    def line(row: tuple[str, str, str, str, str]) -> str:
        cells = [row[i].ljust(w) for i, w in zip((1, 2, 3), widths, strict=True)]
        return f" {row[0]:<2}  {'  '.join(cells)}  {row[4]}".rstrip()

    lines = [f"Previewing update ({STACK})", "", *(line(r) for r in (header, *rows)), ""]
    return "\n".join([*lines, *_stack_outputs(plan), *_summary(plan.steps)])


def _value(value: Any) -> str:
    if isinstance(value, wire.Secret):
        return "[secret]"
    return json.dumps(value)


def _property_lines(key: str, old: Any, new: Any, indent: str, width: int) -> list[str]:
    label = key.ljust(width)
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        inner = max((len(k) for k in keys), default=0)
        lines = [f"{indent}~ {label}: {{"]
        for k in keys:
            lines.extend(_property_lines(k, old.get(k), new.get(k), indent + "    ", inner))
        return [*lines, f"{indent}  }}"]
    if old is None:
        return [f"{indent}+ {label}: {_value(new)}"]
    if new is None:
        return [f"{indent}- {label}: {_value(old)}"]
    return [f"{indent}~ {label}: {_value(old)} => {_value(new)}"]


def render_diff(plan: Plan) -> str:
    """Render_diff prints a plan as `pulumi preview --diff` does: each changed property, old => new."""
    stack_urn = urn_of(STACK_TYPE, _stack_name())
    lines = [f"Previewing update ({STACK}):", f"  {STACK_TYPE}: (same)", f"    [urn={stack_urn}]"]
    for step in plan.steps:
        if step.op == "same":
            continue
        type_ = step.urn.split("::")[2]
        lines.append(f"    {_SYMBOLS[step.op]:<2}{type_}: ({step.op})")
        if step.urn in plan.old:
            lines.append(f"        [id={plan.old[step.urn].id}]")
        lines.append(f"        [urn={step.urn}]")
        old = plan.old[step.urn].inputs if step.urn in plan.old else {}
        new = plan.new[step.urn].inputs if step.urn in plan.new else {}
        width = max((len(k) for k in step.diffs), default=0)
        for key in step.diffs:
            lines.extend(_property_lines(key, old.get(key), new.get(key), "      ", width))
    return "\n".join([*lines, "", *_stack_outputs(plan), *_summary(plan.steps)])


def main(argv: Sequence[str] | None = None) -> int:
    """Main prints one scenario's preview."""
    parser = argparse.ArgumentParser(prog="python -m tests.engine.render", description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--diff", action="store_true", help="show each changed property")
    args = parser.parse_args(argv)
    plan = preview(SCENARIOS[args.scenario])
    print(render_diff(plan) if args.diff else render_table(plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
