"""The engine's side of a dynamic provider's lifecycle, after shared/docs/engine-contract.md."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from pulumi.runtime.proto import provider_pb2

from tests.engine import wire
from tests.engine.provider import PROJECT_NAME, ProviderProcess

PROVIDER_KEY = "__provider"
STACK = "dev"


def urn_of(type_: str, name: str, stack: str = STACK) -> str:
    """Urn_of names a top-level resource as the engine does."""
    return f"urn:pulumi:{stack}::{PROJECT_NAME}::{type_}::{name}"


@dataclass
class Registration:
    """Registration is what a program asks the engine for: one resource and its options."""

    type: str
    name: str
    inputs: dict[str, Any]
    additional_secret_outputs: list[str] = field(default_factory=list)
    delete_before_replace: bool | None = None
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    id: str | None = None  # set for a read (`Resource.get`), which the stack never deletes

    @property
    def urn(self) -> str:
        return urn_of(self.type, self.name)


@dataclass
class ResourceState:
    """ResourceState is one resource of the checkpoint."""

    urn: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    additional_secret_outputs: list[str] = field(default_factory=list)
    external: bool = False
    pending_delete: bool = False


@dataclass
class Step:
    """Step is one thing a deployment did or, in a preview, would do."""

    op: str  # create, update, replace, same, delete, read, refresh
    urn: str
    diffs: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    delete_before_replace: bool = False


class EngineError(Exception):
    """EngineError is a failed step: a provider error or failed checks, as the CLI reports them."""

    def __init__(
        self, op: str, urn: str, message: str, failures: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(f"{op} {urn}: {message}")
        self.op = op
        self.urn = urn
        self.message = message
        self.failures = failures or []  # (property, reason) of each failed check


class Engine:
    """Engine plays the Pulumi engine against one provider server, keeping a checkpoint."""

    def __init__(
        self,
        provider: ProviderProcess,
        config: dict[str, Any] | None = None,
        resources: dict[str, ResourceState] | None = None,
    ) -> None:
        self.provider = provider
        self.config = dict(config or {})
        self.resources: dict[str, ResourceState] = dict(resources or {})
        self.stack_outputs: dict[str, Any] = {}
        self.errors: list[str] = []  # every error text the CLI would show
        self._lock = threading.Lock()
        self._configured = False
        self._served = False  # whether the provider process has served a command yet

    def _begin_command(self) -> None:
        """Start each command on a fresh provider process, as each `pulumi` command starts its own."""
        if self._served:
            self.provider.stop()
            self.provider.start()
            self._configured = False
        self._served = True

    # Commands -----------------------------------------------------------------------------

    def preview(self, registrations: Sequence[Registration]) -> list[Step]:
        """Preview runs Check and Diff only, as `pulumi preview` does; the checkpoint is untouched."""
        self._begin_command()
        return self._preview(registrations)

    def _preview(self, registrations: Sequence[Registration]) -> list[Step]:
        steps = [self.register(r, preview=True)[0] for r in registrations]
        return steps + self.finish(registrations, preview=True)

    def up(
        self, registrations: Sequence[Registration], parallel: int = 1, skip_preview: bool = False
    ) -> list[Step]:
        """Up previews, then deploys: registers every resource and deletes what is left over."""
        self._begin_command()
        if not skip_preview:
            self._preview(registrations)
        if parallel > 1:
            with ThreadPoolExecutor(max_workers=parallel) as pool:
                steps = [s for s, _ in pool.map(lambda r: self.register(r, preview=False), registrations)]
        else:
            steps = [self.register(r, preview=False)[0] for r in registrations]
        return steps + self.finish(registrations, preview=False)

    def refresh(self) -> list[Step]:
        """Refresh reads every resource back; an empty id drops it from the checkpoint."""
        self._begin_command()
        steps = []
        for state in list(self.resources.values()):
            response = self._call(
                "refresh",
                state.urn,
                self.stub.Read,
                provider_pb2.ReadRequest(**_stored_fields(state), inputs=_struct(state.inputs)),
            )
            if not response.id:
                del self.resources[state.urn]
                steps.append(Step("delete", state.urn))
                continue
            outputs = wire.from_struct(response.properties)
            wire.annotate_secrets(outputs, state.outputs)
            self._secure(outputs, state.inputs, state.additional_secret_outputs)
            if response.HasField("inputs"):
                state.inputs = wire.from_struct(response.inputs)
                wire.annotate_secrets(state.inputs, state.outputs)
            diffs = _changed_keys(state.outputs, outputs)
            state.outputs = outputs
            steps.append(Step("refresh", state.urn, diffs=diffs))
        return steps

    def destroy(self, parallel: int = 1) -> list[Step]:
        """Destroy deletes every resource the stack manages, in reverse order, `parallel` at a time."""
        self._begin_command()

        def destroy_one(state: ResourceState) -> Step:
            if not state.external:
                self._delete(state)
            with self._lock:
                del self.resources[state.urn]
            return Step("delete", state.urn)

        # The resources of this harness never depend on one another, so any order is a valid one.
        states = list(reversed(list(self.resources.values())))
        if parallel > 1:
            with ThreadPoolExecutor(max_workers=parallel) as pool:
                return list(pool.map(destroy_one, states))
        return [destroy_one(state) for state in states]

    def read(self, registration: Registration) -> ResourceState:
        """Read is `Resource.get`: Read with the program's props as both inputs and properties."""
        assert registration.id is not None
        props = _struct(registration.inputs)
        response = self._call(
            "read",
            registration.urn,
            self.stub.Read,
            provider_pb2.ReadRequest(
                id=registration.id,
                urn=registration.urn,
                type=registration.type,
                properties=props,
                inputs=props,
            ),
        )
        if not response.id:
            raise EngineError("read", registration.urn, f"resource {registration.id!r} does not exist")
        outputs = wire.from_struct(response.properties)
        self._secure(outputs, registration.inputs, registration.additional_secret_outputs)
        state = ResourceState(
            registration.urn, registration.type, response.id, registration.inputs, outputs, external=True
        )
        self.resources[state.urn] = state
        return state

    # Steps --------------------------------------------------------------------------------

    def register(self, reg: Registration, preview: bool) -> tuple[Step, dict[str, Any]]:
        """Register runs one resource's steps and returns the step and the program-visible outputs."""
        if reg.id is not None:
            state = self.read(reg)
            return Step("read", reg.urn), state.outputs
        old = self.resources.get(reg.urn)
        news = dict(reg.inputs)
        if old is not None:
            for key in reg.ignore_changes:
                if key in old.inputs:
                    news[key] = old.inputs[key]
                else:
                    news.pop(key, None)
        checked = self._check(reg, old.inputs if old is not None else {}, news)
        if old is None:
            outputs = checked if preview else self._create(reg, checked)
            return Step("create", reg.urn, diffs=sorted(_public(checked))), outputs

        response = self._call(
            "diff",
            reg.urn,
            self.stub.Diff,
            provider_pb2.DiffRequest(**_change_fields(reg, old, checked)),
        )
        if response.changes == provider_pb2.DiffResponse.DIFF_UNKNOWN:
            # The engine diffs old inputs against new inputs itself, the pickled provider included.
            changed = _changed_keys(old.inputs, checked, include_provider=True)
            replaces = sorted(set(changed) & set(reg.replace_on_changes))
            has_changes = bool(changed)
        else:
            changed = _changed_keys(old.outputs, checked, restrict_to=checked)
            replaces = sorted(response.replaces)
            has_changes = response.changes == provider_pb2.DiffResponse.DIFF_SOME

        if not has_changes:
            # No change: the checkpoint keeps the old outputs and takes the new inputs.
            if not preview:
                with self._lock:
                    old.inputs = checked
            return Step("same", reg.urn), old.outputs

        if not replaces:
            if preview:
                return Step("update", reg.urn, diffs=changed), {**old.outputs, **checked}
            return Step("update", reg.urn, diffs=changed), self._update(reg, old, checked)

        delete_first = bool(
            reg.delete_before_replace
            if reg.delete_before_replace is not None
            else response.deleteBeforeReplace
        )
        step = Step("replace", reg.urn, diffs=changed, replaces=replaces, delete_before_replace=delete_first)
        # A replacement checks the new inputs again, with no olds.
        checked = self._check(reg, {}, news)
        if preview:
            return step, checked
        if delete_first:
            self._delete(old)
            with self._lock:
                del self.resources[reg.urn]
        else:
            with self._lock:
                old.pending_delete = True
                self.resources[f"{reg.urn}#replaced"] = old
                del self.resources[reg.urn]
        return step, self._create(reg, checked)

    def finish(self, registrations: Sequence[Registration], preview: bool) -> list[Step]:
        """Finish deletes replaced resources and those the program no longer registers."""
        wanted = {r.urn for r in registrations}
        steps = []
        for key, state in reversed(list(self.resources.items())):
            if state.pending_delete or (state.urn not in wanted and not state.external):
                steps.append(Step("delete", state.urn))
                if not preview:
                    self._delete(state)
                    del self.resources[key]
        return steps

    def _check(self, reg: Registration, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        response = self._call(
            "check",
            reg.urn,
            self.stub.Check,
            provider_pb2.CheckRequest(
                urn=reg.urn,
                type=reg.type,
                name=reg.name,
                olds=_struct(olds),
                news=_struct(news),
            ),
        )
        if response.failures:
            reasons = "; ".join(f"{f.property}: {f.reason}" for f in response.failures)
            self.errors.append(reasons)
            failures = [(f.property, f.reason) for f in response.failures]
            raise EngineError("check", reg.urn, reasons, failures)
        checked = wire.from_struct(response.inputs)
        wire.annotate_secrets(checked, news)
        return checked

    def _create(self, reg: Registration, checked: dict[str, Any]) -> dict[str, Any]:
        response = self._call(
            "create",
            reg.urn,
            self.stub.Create,
            provider_pb2.CreateRequest(
                urn=reg.urn, type=reg.type, name=reg.name, properties=_struct(checked)
            ),
        )
        if not response.id:
            raise EngineError("create", reg.urn, "the provider returned an empty id")
        outputs = wire.from_struct(response.properties)
        self._secure(outputs, checked, reg.additional_secret_outputs)
        with self._lock:
            self.resources[reg.urn] = ResourceState(
                reg.urn, reg.type, response.id, checked, outputs, list(reg.additional_secret_outputs)
            )
        return outputs

    def _update(self, reg: Registration, old: ResourceState, checked: dict[str, Any]) -> dict[str, Any]:
        response = self._call(
            "update",
            reg.urn,
            self.stub.Update,
            provider_pb2.UpdateRequest(**_change_fields(reg, old, checked)),
        )
        outputs = wire.from_struct(response.properties)
        self._secure(outputs, checked, reg.additional_secret_outputs)
        with self._lock:
            old.inputs, old.outputs = checked, outputs
            old.additional_secret_outputs = list(reg.additional_secret_outputs)
        return outputs

    def _delete(self, state: ResourceState) -> None:
        self._call(
            "delete",
            state.urn,
            self.stub.Delete,
            provider_pb2.DeleteRequest(**_stored_fields(state), old_inputs=_struct(state.inputs)),
        )

    @staticmethod
    def _secure(outputs: dict[str, Any], inputs: dict[str, Any], additional: list[str]) -> None:
        wire.annotate_secrets(outputs, inputs)
        wire.mark_top_level(outputs, inputs, additional)

    # Plumbing -----------------------------------------------------------------------------

    @property
    def stub(self) -> Any:
        with self._lock:
            if not self._configured:
                self.provider.configure(self.config)
                self._configured = True
        return self.provider.stub

    def _call(self, op: str, urn: str, method: Any, request: Any) -> Any:
        try:
            return method(request, timeout=300)
        except grpc.RpcError as err:
            message = str(err.details())
            self.errors.append(message)
            raise EngineError(op, urn, message) from None

    # Checkpoint ---------------------------------------------------------------------------

    def save(self, path: Path, passphrase: str) -> None:
        """Save writes the checkpoint, secrets encrypted as the passphrase secrets provider does."""
        resources = [
            {
                "urn": s.urn,
                "type": s.type,
                "id": s.id,
                "inputs": wire.to_checkpoint(s.inputs, passphrase),
                "outputs": wire.to_checkpoint(s.outputs, passphrase),
                "additionalSecretOutputs": s.additional_secret_outputs,
                "external": s.external,
                "delete": s.pending_delete,
                "key": key,
            }
            for key, s in self.resources.items()
        ]
        checkpoint = {
            "version": 3,
            # Refresh and destroy configure the provider with the config of the last up.
            "config": wire.to_checkpoint(self.config, passphrase),
            "stackOutputs": wire.to_checkpoint(self.stack_outputs, passphrase),
            "resources": resources,
        }
        path.write_text(json.dumps(checkpoint, indent=2))

    @staticmethod
    def load_config(path: Path, passphrase: str) -> dict[str, Any]:
        """Load_config reads the stack config stored with a checkpoint at its last up."""
        if not path.exists():
            return {}
        return wire.from_checkpoint(json.loads(path.read_text()).get("config", {}), passphrase)  # type: ignore[no-any-return]

    @staticmethod
    def load(path: Path, passphrase: str) -> dict[str, ResourceState]:
        """Load reads a checkpoint written by save."""
        if not path.exists():
            return {}
        data = json.loads(path.read_text())
        return {
            r["key"]: ResourceState(
                urn=r["urn"],
                type=r["type"],
                id=r["id"],
                inputs=wire.from_checkpoint(r["inputs"], passphrase),
                outputs=wire.from_checkpoint(r["outputs"], passphrase),
                additional_secret_outputs=r["additionalSecretOutputs"],
                external=r["external"],
                pending_delete=r["delete"],
            )
            for r in data["resources"]
        }


def _struct(props: dict[str, Any]) -> Any:
    """Struct is the wire form the engine sends a provider that does not accept secrets."""
    return wire.to_struct(wire.strip(props))


def _change_fields(reg: Registration, old: ResourceState, checked: dict[str, Any]) -> dict[str, Any]:
    """Change_fields are what Diff and Update both get: old outputs and inputs, checked new inputs."""
    return {
        "id": old.id,
        "urn": reg.urn,
        "type": reg.type,
        "name": reg.name,
        "olds": _struct(old.outputs),
        "news": _struct(checked),
        "old_inputs": _struct(old.inputs),
        "ignoreChanges": reg.ignore_changes,
    }


def _stored_fields(state: ResourceState) -> dict[str, Any]:
    """Stored_fields are what Read and Delete both get of a checkpointed resource, inputs aside."""
    return {"id": state.id, "urn": state.urn, "type": state.type, "properties": _struct(state.outputs)}


def _public(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


def _changed_keys(
    olds: dict[str, Any],
    news: dict[str, Any],
    include_provider: bool = False,
    restrict_to: dict[str, Any] | None = None,
) -> list[str]:
    """Changed_keys compares two property maps by value, as the CLI does to display a diff."""
    keys = set(olds) | set(news) if restrict_to is None else set(restrict_to)
    if not include_provider:
        keys.discard(PROVIDER_KEY)
    return sorted(k for k in keys if wire.strip(olds.get(k)) != wire.strip(news.get(k)))
