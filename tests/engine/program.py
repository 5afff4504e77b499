"""Run the real Pulumi program under the SDK's mocks, its registrations played through the Engine."""

from __future__ import annotations

import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, settings
from pulumi.runtime.proto import resource_pb2

from tests.engine import wire
from tests.engine.engine import (
    ROOT_STACK_TYPE,
    STACK,
    Alias,
    CustomTimeouts,
    Engine,
    EngineError,
    Registration,
    Step,
    seconds,
)
from tests.engine.provider import PROJECT_NAME, PROJECT_ROOT


@dataclass
class ProgramRun:
    """What one run of the program did: its steps and its stack outputs."""

    steps: list[Step] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class _NoMocks(mocks.Mocks):
    """Refuse calls: every resource goes through the engine instead."""

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        raise AssertionError(f"{args.typ} was not routed through the engine")

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise AssertionError(f"invoke {args.token} is not supported by the harness")


class _EngineMonitor(mocks.MockMonitor):
    """Act as the resource monitor: hand each registration to the engine, as the engine names it."""

    def __init__(self, engine: Engine, preview: bool) -> None:
        super().__init__(_NoMocks())
        self.engine = engine
        self.preview = preview
        self.registrations: list[Registration] = []
        self.by_urn: dict[str, Registration] = {}
        self.run = ProgramRun()

    def RegisterResource(self, request: Any) -> Any:
        if request.type == ROOT_STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(
                urn=self.make_urn(request.parent, request.type, request.name)
            )
        parent = self.by_urn.get(request.parent)
        registration = Registration(
            type=request.type,
            name=request.name,
            inputs=wire.from_struct(request.object),
            additional_secret_outputs=list(request.additionalSecretOutputs),
            delete_before_replace=request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None,
            ignore_changes=list(request.ignoreChanges),
            replace_on_changes=list(request.replaceOnChanges),
            id=request.importId or None,
            parent=request.parent,
            custom=request.custom,
            # The engine takes protect and retainOnDelete from the parent when the child leaves them unset.
            protect=_inherited(request, "protect", parent),
            retain_on_delete=_inherited(request, "retainOnDelete", parent),
            custom_timeouts=CustomTimeouts(
                create=seconds(request.customTimeouts.create),
                update=seconds(request.customTimeouts.update),
                delete=seconds(request.customTimeouts.delete),
            ),
            aliases=[_alias(a) for a in request.aliases] + [Alias(urn=u) for u in request.aliasURNs],
        )
        self.registrations.append(registration)
        self.by_urn[registration.urn] = registration
        try:
            step, outputs = self.engine.register(registration, self.preview)
        except EngineError as err:
            self.run.error = self.run.error or str(err)
            raise
        self.run.steps.append(step)
        state = self.engine.resources.get(registration.urn)
        return resource_pb2.RegisterResourceResponse(
            urn=registration.urn, id=state.id if state else "", object=wire.to_struct(outputs)
        )


def _inherited(request: Any, option: str, parent: Registration | None) -> bool | None:
    """Return a registration's protect or retainOnDelete, else its parent's."""
    if request.HasField(option):
        return bool(getattr(request, option))
    if parent is None:
        return None
    return parent.protect if option == "protect" else parent.retain_on_delete


def _alias(alias: Any) -> Alias:
    """Return an alias of the request: a URN, or a spec."""
    if alias.WhichOneof("alias") == "urn":
        return Alias(urn=alias.urn)
    spec = alias.spec
    return Alias(
        name=spec.name,
        type=spec.type,
        stack=spec.stack,
        project=spec.project,
        parent=spec.parentUrn if spec.WhichOneof("parent") == "parentUrn" else "",
        no_parent=spec.WhichOneof("parent") == "noParent" and spec.noParent,
    )


def run_program(
    engine: Engine, config: dict[str, Any], preview: bool, program: Path = PROJECT_ROOT / "__main__.py"
) -> ProgramRun:
    """Run the program once, as `pulumi preview` or the deployment pass of `pulumi up`."""
    monitor = _EngineMonitor(engine, preview)
    settings.ROOT.set(None)
    pulumi.runtime.set_all_config(
        {k: json.dumps(v) if not isinstance(v, str) else v for k, v in _plain(config).items()},
        [k for k, v in config.items() if isinstance(v, wire.Secret)],
    )
    mocks.set_mocks(_NoMocks(), project=PROJECT_NAME, stack=STACK, preview=preview, monitor=monitor)
    exports: dict[str, Any] = {}

    async def collect_exports() -> None:
        root = settings.get_root_resource()
        assert root is not None
        for name, value in root.outputs.items():  # type: ignore[attr-defined]
            output = pulumi.Output.from_input(value)
            resolved, known = await output.future(), await output.is_known()
            exports[name] = wire.Secret(resolved) if await output.is_secret() else resolved
            if not known:
                exports[name] = wire.UNKNOWN

    def program_body() -> Any:
        runpy.run_path(str(program), run_name="__main__")
        return collect_exports()

    try:
        mocks.test(program_body)()  # type: ignore[no-untyped-call]
    except Exception as err:
        monitor.run.error = monitor.run.error or f"{type(err).__name__}: {err}"
        return monitor.run
    try:
        monitor.run.steps.extend(engine.finish(monitor.registrations, preview))
    except EngineError as err:
        monitor.run.error = str(err)
        return monitor.run
    monitor.run.outputs = exports
    return monitor.run


def _plain(config: dict[str, Any]) -> dict[str, Any]:
    return {k: wire.strip(v) for k, v in config.items()}
