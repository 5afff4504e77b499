"""The engine's side of a dynamic provider's lifecycle, after shared/docs/engine-contract.md."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from pulumi.runtime.proto import provider_pb2

from tests.engine import paths, wire
from tests.engine.provider import PROJECT_NAME, ProviderProcess

PROVIDER_KEY = "__provider"
STACK = "dev"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
# What the engine says when a step would delete or replace a protected resource.
PROTECTED_DELETE = (
    'resource "{urn}" cannot be deleted\nbecause it is protected. To unprotect the resource, either remove '
    "the `protect` flag from the resource in your Pulumi program and run `pulumi up`, or use the command:\n"
    "`pulumi state unprotect '{urn}'`"
)
PROTECTED_REPLACE = (
    'unable to replace resource "{urn}"\nas it is currently marked for protection. To unprotect the '
    "resource, remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`"
)
# The engine's custom timeouts are Go durations such as "2m" or "1h30m".
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}

log = logging.getLogger(__name__)


def qualified_type(urn: str) -> str:
    """Return a URN's type with its parents' types before it (`Parent$Child`)."""
    return urn.split("::", 3)[2]


def urn_of(type_: str, name: str, stack: str = STACK, parent: str = "", project: str = PROJECT_NAME) -> str:
    """Name a resource as the engine does: after its parent's type chain, unless the parent is the stack."""
    if parent and qualified_type(parent) != ROOT_STACK_TYPE:
        type_ = f"{qualified_type(parent)}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def seconds(duration: str) -> float:
    """Return the seconds of a Go duration such as `2m` or `1h30m`; empty is no timeout (0)."""
    if not duration:
        return 0.0
    if _DURATION.sub("", duration) != "":
        raise ValueError(f"invalid duration {duration!r}")
    return sum(float(number) * _SECONDS[unit] for number, unit in _DURATION.findall(duration))


@dataclass(frozen=True)
class Alias:
    """One alias of a registration: a URN, or a spec whose blank parts default to the resource's own."""

    urn: str = ""
    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent: str = ""
    no_parent: bool = False


@dataclass(frozen=True)
class CustomTimeouts:
    """The customTimeouts option, in seconds as the engine sends them; 0 is no timeout."""

    create: float = 0.0
    update: float = 0.0
    delete: float = 0.0


@dataclass
class Registration:
    """One resource that a program asks the engine for, with its options."""

    type: str
    name: str
    inputs: dict[str, Any]
    additional_secret_outputs: list[str] = field(default_factory=list)
    delete_before_replace: bool | None = None
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    id: str | None = None  # set for a read (`Resource.get`), which the stack never deletes
    parent: str = ""  # the parent's URN; the stack's, or empty, for a top-level resource
    custom: bool = True  # False for a component resource, which no provider sees
    protect: bool | None = None
    retain_on_delete: bool | None = None
    custom_timeouts: CustomTimeouts = field(default_factory=CustomTimeouts)
    aliases: list[Alias] = field(default_factory=list)

    @property
    def urn(self) -> str:
        """Return the URN the engine gives this resource."""
        return urn_of(self.type, self.name, parent=self.parent)


@dataclass
class ResourceState:
    """One resource of the checkpoint."""

    urn: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    additional_secret_outputs: list[str] = field(default_factory=list)
    external: bool = False
    pending_delete: bool = False
    custom: bool = True
    parent: str = ""
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    # Plain data, as the whole state is: seconds by operation (create, update, delete).
    custom_timeouts: dict[str, float] = field(default_factory=dict)


@dataclass
class Step:
    """One thing a deployment did or, in a preview, would do."""

    op: str  # create, update, replace, same, delete, read, refresh
    urn: str
    diffs: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    # For a refresh, whether the engine reports it as a change ("update") rather than "same": the
    # provider's Diff of the read state against the inputs says so, not the outputs' changing.
    changed: bool | None = None
    # For a delete, whether it removes a resource replaced earlier (the CLI's "delete-replaced"),
    # in this update or in one that stopped before its deletes.
    replaced: bool = False


class EngineError(Exception):
    """A failed step: a provider error or failed checks, as the CLI reports them."""

    def __init__(
        self, op: str, urn: str, message: str, failures: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(f"{op} {urn}: {message}")
        self.op = op
        self.urn = urn
        self.message = message
        self.failures = failures or []  # (property, reason) of each failed check


class Engine:
    """Play the Pulumi engine against one provider server, keeping a checkpoint."""

    def __init__(
        self,
        provider: ProviderProcess,
        config: dict[str, Any] | None = None,
        resources: dict[str, ResourceState] | None = None,
        deployed_config: dict[str, Any] | None = None,
    ) -> None:
        self.provider = provider
        self.config = dict(config or {})
        self.resources: dict[str, ResourceState] = dict(resources or {})
        self.stack_outputs: dict[str, Any] = {}
        self.errors: list[str] = []  # every error text the CLI would show
        # `pulumi up --replace URN`: replaced whatever their diff, without asking the provider.
        self.replace_targets: set[str] = set()
        # The config of the last `up`, which the checkpoint's default provider holds as its inputs.
        self.deployed_config = dict(deployed_config) if deployed_config is not None else None
        self._lock = threading.Lock()
        self._configured = False
        self._check_config = True
        self._served = False  # whether the provider process has served a pass yet
        # Per pass: the old URN an alias matched for each new URN, and the old keys so claimed.
        self._aliases: dict[str, str] = {}
        self._claimed: set[str] = set()

    def begin_pass(self, registering: bool = True) -> None:
        """Start a pass of a command on a fresh provider process, as the CLI starts one per pass."""
        # `pulumi up` previews on one provider process and updates on another; refresh and destroy
        # likewise. A registering pass (preview, up) has the config checked before it is configured.
        if self._served:
            self.provider.stop()
            self.provider.start()
        self._served = True
        self._configured = False
        self._check_config = registering
        self._aliases.clear()
        self._claimed.clear()

    # Commands -----------------------------------------------------------------------------

    def preview(self, registrations: Sequence[Registration]) -> list[Step]:
        """Run Check and Diff only, as `pulumi preview` does; the checkpoint is untouched."""
        self.begin_pass()
        return self._preview(registrations)

    def _preview(self, registrations: Sequence[Registration]) -> list[Step]:
        steps = [self.register(r, preview=True)[0] for r in registrations]
        return steps + self.finish(registrations, preview=True)

    def up(
        self, registrations: Sequence[Registration], parallel: int = 1, skip_preview: bool = False
    ) -> list[Step]:
        """Preview, then deploy: register every resource and delete what is left over."""
        if not skip_preview:
            self.begin_pass()
            self._preview(registrations)
        self.begin_pass()
        if parallel > 1:
            with ThreadPoolExecutor(max_workers=parallel) as pool:
                steps = [s for s, _ in pool.map(lambda r: self.register(r, preview=False), registrations)]
        else:
            steps = [self.register(r, preview=False)[0] for r in registrations]
        return steps + self.finish(registrations, preview=False)

    def refresh(self, preview_first: bool = False) -> list[Step]:
        """Read every resource back; an empty id drops it from the checkpoint."""
        # With preview_first, a pass that changes nothing comes first, as `pulumi refresh` previews
        # unless given --skip-preview: every Read, and so every AWS read, happens twice.
        if preview_first:
            self.begin_pass(registering=False)
            self._refresh(preview=True)
        self.begin_pass(registering=False)
        return self._refresh(preview=False)

    def _refresh(self, preview: bool) -> list[Step]:
        steps = []
        for key, state in list(self.resources.items()):
            if not state.custom:
                steps.append(Step("refresh", state.urn, changed=False))
                continue
            response = self._call(
                "refresh",
                state.urn,
                self.stub.Read,
                provider_pb2.ReadRequest(**_stored_fields(state), inputs=_struct(state.inputs)),
            )
            if not response.id:
                if not preview:
                    with self._lock:
                        del self.resources[key]
                steps.append(Step("delete", state.urn))
                continue
            # The provider plugin re-marks secrets from the old state only, not from the old inputs.
            outputs = wire.from_struct(response.properties)
            wire.annotate_secrets(outputs, state.outputs)
            inputs = state.inputs
            if response.HasField("inputs"):
                inputs = wire.from_struct(response.inputs)
                wire.annotate_secrets(inputs, state.inputs)
            # Then the step executor's two rules, as for any step with a new state.
            wire.mark_top_level(outputs, inputs, state.additional_secret_outputs)
            changed = self._refresh_changed(state, response.id, inputs, outputs)
            diffs = _changed_keys(state.outputs, outputs)
            if not preview:
                with self._lock:
                    state.id, state.inputs, state.outputs = response.id, inputs, outputs
            steps.append(Step("refresh", state.urn, diffs=diffs, changed=changed))
        return steps

    def _refresh_changed(
        self, state: ResourceState, id_: str, inputs: dict[str, Any], outputs: dict[str, Any]
    ) -> bool:
        """Tell whether a refresh is a change: Diff of the read state against the old inputs, inverted."""
        if state.external:
            return _changed_keys(state.outputs, outputs, include_provider=True) != []
        response = self._call(
            "refresh",
            state.urn,
            self.stub.Diff,
            provider_pb2.DiffRequest(
                id=id_,
                urn=state.urn,
                type=state.type,
                name=_name(state.urn),
                olds=_struct(outputs),
                news=_struct(state.inputs),
                old_inputs=_struct(inputs),
                ignoreChanges=state.ignore_changes,
            ),
        )
        if response.changes == provider_pb2.DiffResponse.DIFF_UNKNOWN:
            news, _ = paths.ignore_changes(state.inputs, inputs, state.ignore_changes)
            return _changed_keys(inputs, news, include_provider=True) != []
        return bool(response.changes == provider_pb2.DiffResponse.DIFF_SOME)

    def destroy(self, parallel: int = 1, preview_first: bool = False) -> list[Step]:
        """Delete every resource the stack manages, in reverse order, `parallel` at a time."""
        # With preview_first, a pass that deletes nothing comes first, as `pulumi destroy` previews
        # unless given --skip-preview; it already refuses a protected resource.
        states = list(reversed(list(self.resources.items())))
        if preview_first:
            self.begin_pass(registering=False)
            self._load_for(state for _, state in states)
            for _, state in states:
                self._refuse_protected(state)
        self.begin_pass(registering=False)
        self._load_for(state for _, state in states)

        def destroy_one(item: tuple[str, ResourceState]) -> Step:
            key, state = item
            self._delete(state)
            with self._lock:
                del self.resources[key]
            return Step("delete", state.urn)

        # A parent precedes its children in the checkpoint, so the reverse deletes children first;
        # the harness knows no other dependency between resources.
        if parallel > 1:
            with ThreadPoolExecutor(max_workers=parallel) as pool:
                steps = list(pool.map(destroy_one, states))
        else:
            steps = [destroy_one(item) for item in states]
        # The default provider goes with the last resource that used it.
        self.deployed_config = None
        return steps

    def read(self, registration: Registration) -> ResourceState:
        """Play `Resource.get`: Read with the program's props as both inputs and properties."""
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
                name=registration.name,
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
        """Run one resource's steps; return the step and the outputs the program sees."""
        if reg.id is not None:
            state = self.read(reg)
            return Step("read", reg.urn), state.outputs
        old_key, old = self._old_resource(reg)
        if not reg.custom:
            return self._register_component(reg, old_key, old, preview)
        targeted = old is not None and reg.urn in self.replace_targets
        if old is None or targeted:
            # A create, or a targeted replacement, checks the program's inputs with no olds.
            checked = self._check(reg, {}, reg.inputs)
        else:
            news, invalid = paths.ignore_changes(reg.inputs, old.inputs, reg.ignore_changes)
            if invalid:
                log.info("cannot ignore changes in added or removed elements of the path: %s", invalid)
            checked = self._check(reg, old.inputs, news, old.outputs)
        if old is None:
            if preview:
                return Step("create", reg.urn, diffs=sorted(_public(checked))), checked
            state = self._create(reg, checked)
            with self._lock:
                self.resources[reg.urn] = state
            return Step("create", reg.urn, diffs=sorted(_public(checked))), state.outputs

        if targeted:
            # `--replace`: the engine never asks Diff; it blames the id and keeps its own checked inputs.
            changed, replaces, has_changes, provider_dbr = [], ["id"], True, False
        else:
            response = self._call(
                "diff",
                reg.urn,
                self.stub.Diff,
                provider_pb2.DiffRequest(**_change_fields(reg, old, checked)),
            )
            if response.changes == provider_pb2.DiffResponse.DIFF_UNKNOWN:
                # The engine diffs old inputs against new inputs itself, the pickled provider included.
                news, _ = paths.ignore_changes(checked, old.inputs, reg.ignore_changes)
                changed = _changed_keys(old.inputs, news, include_provider=True)
                replaces = sorted(set(changed) & set(reg.replace_on_changes))
                has_changes = bool(changed)
            else:
                changed = _changed_keys(old.outputs, checked, restrict_to=checked)
                replaces = sorted(response.replaces)
                has_changes = response.changes == provider_pb2.DiffResponse.DIFF_SOME
            provider_dbr = response.deleteBeforeReplace

        if not has_changes:
            # No change: the checkpoint keeps the old outputs and takes the new inputs and options.
            if not preview:
                with self._lock:
                    self._adopt(reg, old_key, old)
                    old.inputs = checked
            return Step("same", reg.urn), old.outputs

        if not replaces:
            if preview:
                # The provider cannot preview an update: the engine answers with the new inputs.
                return Step("update", reg.urn, diffs=changed), checked
            with self._lock:
                self._adopt(reg, old_key, old)
            return Step("update", reg.urn, diffs=changed), self._update(reg, old, checked)

        protected = bool(reg.protect) and old.protect
        if protected and not preview:
            self._refuse_replace(reg)
        delete_first = bool(
            reg.delete_before_replace if reg.delete_before_replace is not None else provider_dbr
        )
        step = Step("replace", reg.urn, diffs=changed, replaces=replaces, delete_before_replace=delete_first)
        if not targeted:
            # A replacement checks the program's own inputs again, with no olds: nothing is ignored.
            checked = self._check(reg, {}, reg.inputs)
        if protected:
            # A preview goes on past a protected replacement, checks it, and only then fails.
            self._refuse_replace(reg)
        if preview:
            return step, checked
        if delete_first:
            self._delete(old, replacing=True)
            with self._lock:
                del self.resources[old_key]
            state = self._create(reg, checked)
            with self._lock:
                self.resources[reg.urn] = state
            return step, state.outputs
        state = self._create(reg, checked)
        # Only a Create that succeeded condemns the old resource.
        with self._lock:
            del self.resources[old_key]
            old.pending_delete = True
            self.resources[f"{old.urn}#replaced"] = old
            self.resources[reg.urn] = state
        return step, state.outputs

    def _register_component(
        self, reg: Registration, old_key: str, old: ResourceState | None, preview: bool
    ) -> tuple[Step, dict[str, Any]]:
        """Register a component resource: no provider; the engine compares its inputs itself."""
        if old is None:
            op = "create"
        elif wire.strip(old.inputs) == wire.strip(reg.inputs):
            op = "same"
        else:
            op = "update"
        if not preview:
            with self._lock:
                if old is None:
                    old = ResourceState(reg.urn, reg.type, "", {}, {}, custom=False)
                    self.resources[reg.urn] = old
                self._adopt(reg, old_key, old)
                old.inputs = dict(reg.inputs)
        return Step(op, reg.urn), {}

    def finish(self, registrations: Sequence[Registration], preview: bool) -> list[Step]:
        """Delete replaced resources and those the program no longer registers."""
        wanted = {r.urn for r in registrations}
        steps = []
        for key, state in reversed(list(self.resources.items())):
            unwanted = key not in self._claimed and state.urn not in wanted and not state.external
            if state.pending_delete or unwanted:
                self._refuse_protected(state, replacing=state.pending_delete)
                steps.append(Step("delete", state.urn, replaced=state.pending_delete))
                if not preview:
                    self._delete(state, replacing=state.pending_delete)
                    del self.resources[key]
        if not preview:
            remaining = [s for s in self.resources.values() if s.custom and not s.external]
            self.deployed_config = dict(self.config) if remaining else None
        return steps

    def _old_resource(self, reg: Registration) -> tuple[str, ResourceState | None]:
        """Return the key and state of the old resource: by URN, else by the first alias that names one."""
        with self._lock:
            if reg.urn in self.resources and not self.resources[reg.urn].pending_delete:
                return reg.urn, self.resources[reg.urn]
            for alias in self._alias_urns(reg):
                state = self.resources.get(alias)
                if state is not None and not state.pending_delete and alias not in self._claimed:
                    self._aliases[reg.urn] = alias
                    self._claimed.add(alias)
                    return alias, state
        return reg.urn, None

    def _alias_urns(self, reg: Registration) -> list[str]:
        """Return the URNs a registration's aliases name, and those its parent's alias implies."""
        urns: list[str] = []
        for alias in reg.aliases:
            urns.append(self._collapse(reg, alias))
        parent_alias = self._aliases.get(reg.parent) if reg.parent else None
        if parent_alias is not None:
            # A child of an aliased parent is also known by the name it had under the parent's old URN.
            urns.append(_inherited_alias(reg.type, reg.name, _name(reg.parent), parent_alias))
            for alias in reg.aliases:
                collapsed = self._collapse(reg, alias)
                urns.append(
                    _inherited_alias(_type(collapsed), _name(collapsed), _name(reg.parent), parent_alias)
                )
        return list(dict.fromkeys(urns))

    def _collapse(self, reg: Registration, alias: Alias) -> str:
        """Return the URN an alias names, as the engine's collapseAliasToUrn."""
        if alias.urn:
            return alias.urn
        parent = alias.parent or reg.parent
        if alias.parent:
            parent = self._aliases.get(parent, parent)
        if alias.no_parent or (parent and qualified_type(parent) == ROOT_STACK_TYPE):
            parent = ""
        name, type_ = alias.name or reg.name, alias.type or reg.type
        stack, project = alias.stack or STACK, alias.project or PROJECT_NAME
        if not parent:
            return f"urn:pulumi:{stack}::{project}::{type_}::{name}"
        return f"{parent.rsplit('::', 1)[0]}${type_}::{name}"

    def _adopt(self, reg: Registration, old_key: str, state: ResourceState) -> None:
        """Give an old resource the registration's URN and options, as its new state has them."""
        if old_key != reg.urn:
            del self.resources[old_key]
            self.resources[reg.urn] = state
            state.urn = reg.urn
        state.parent = reg.parent
        state.protect = bool(reg.protect)
        state.retain_on_delete = bool(reg.retain_on_delete)
        state.ignore_changes = list(reg.ignore_changes)
        state.custom_timeouts = dict(vars(reg.custom_timeouts))

    def _refuse_replace(self, reg: Registration) -> None:
        message = PROTECTED_REPLACE.format(urn=reg.urn)
        self.errors.append(message)
        raise EngineError("replace", reg.urn, message)

    def _refuse_protected(self, state: ResourceState, replacing: bool = False) -> None:
        if state.protect and not replacing:
            message = PROTECTED_DELETE.format(urn=state.urn)
            self.errors.append(message)
            raise EngineError("delete", state.urn, message)

    def _load_for(self, states: Any) -> None:
        """Configure the provider, as the engine loads it for the resources of the checkpoint."""
        if any(s.custom for s in states):
            _ = self.stub

    def _check(
        self,
        reg: Registration,
        olds: dict[str, Any],
        news: dict[str, Any],
        old_outputs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
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
                old_outputs=_struct(old_outputs or {}),
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

    def _create(self, reg: Registration, checked: dict[str, Any]) -> ResourceState:
        """Call the provider's Create; return the new state, which the caller records."""
        response = self._call(
            "create",
            reg.urn,
            self.stub.Create,
            provider_pb2.CreateRequest(
                urn=reg.urn,
                type=reg.type,
                name=reg.name,
                properties=_struct(checked),
                timeout=reg.custom_timeouts.create,
            ),
        )
        if not response.id:
            raise EngineError("create", reg.urn, "the provider returned an empty id")
        outputs = wire.from_struct(response.properties)
        self._secure(outputs, checked, reg.additional_secret_outputs)
        state = ResourceState(
            reg.urn, reg.type, response.id, checked, outputs, list(reg.additional_secret_outputs)
        )
        self._adopt(reg, reg.urn, state)
        return state

    def _update(self, reg: Registration, old: ResourceState, checked: dict[str, Any]) -> dict[str, Any]:
        response = self._call(
            "update",
            reg.urn,
            self.stub.Update,
            provider_pb2.UpdateRequest(
                **_change_fields(reg, old, checked), timeout=reg.custom_timeouts.update
            ),
        )
        outputs = wire.from_struct(response.properties)
        self._secure(outputs, checked, reg.additional_secret_outputs)
        with self._lock:
            old.inputs, old.outputs = checked, outputs
            old.additional_secret_outputs = list(reg.additional_secret_outputs)
        return outputs

    def _delete(self, state: ResourceState, replacing: bool = False) -> None:
        """Remove a managed resource; refuse a protected one, skip the provider for a retained one."""
        self._refuse_protected(state, replacing)
        if not state.custom or state.external or state.retain_on_delete:
            return
        self._call(
            "delete",
            state.urn,
            self.stub.Delete,
            provider_pb2.DeleteRequest(
                **_stored_fields(state),
                old_inputs=_struct(state.inputs),
                timeout=state.custom_timeouts.get("delete", 0.0),
            ),
        )

    @staticmethod
    def _secure(outputs: dict[str, Any], inputs: dict[str, Any], additional: list[str]) -> None:
        wire.annotate_secrets(outputs, inputs)
        wire.mark_top_level(outputs, inputs, additional)

    # Plumbing -----------------------------------------------------------------------------

    @property
    def stub(self) -> Any:
        """Return the provider's stub, configured first as the engine configures it on loading it."""
        with self._lock:
            if not self._configured:
                olds = self.deployed_config if self._check_config else None
                self.provider.configure(self.config, olds=olds, check=self._check_config)
                self._configured = True
        return self.provider.stub

    def _call(self, op: str, urn: str, method: Callable[..., Any], request: Any) -> Any:
        try:
            return method(request, timeout=300)
        except grpc.RpcError as err:
            message = str(err.details())
            self.errors.append(message)
            raise EngineError(op, urn, message) from None

    # Checkpoint ---------------------------------------------------------------------------

    def save(self, path: Path, passphrase: str) -> None:
        """Write the checkpoint, secrets encrypted as the passphrase secrets provider does."""
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
                "custom": s.custom,
                "parent": s.parent,
                "protect": s.protect,
                "retainOnDelete": s.retain_on_delete,
                "ignoreChanges": s.ignore_changes,
                "customTimeouts": s.custom_timeouts,
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
        """Read the stack config stored with a checkpoint at its last up."""
        if not path.exists():
            return {}
        return wire.from_checkpoint(json.loads(path.read_text()).get("config", {}), passphrase)  # type: ignore[no-any-return]

    @staticmethod
    def load_stack_outputs(path: Path, passphrase: str) -> dict[str, Any]:
        """Read the stack outputs a checkpoint holds, as `pulumi stack output` shows them."""
        if not path.exists():
            return {}
        return wire.from_checkpoint(json.loads(path.read_text()).get("stackOutputs", {}), passphrase)  # type: ignore[no-any-return]

    @staticmethod
    def load(path: Path, passphrase: str) -> dict[str, ResourceState]:
        """Read a checkpoint written by save."""
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
                custom=r.get("custom", True),
                parent=r.get("parent", ""),
                protect=r.get("protect", False),
                retain_on_delete=r.get("retainOnDelete", False),
                ignore_changes=r.get("ignoreChanges", []),
                custom_timeouts=r.get("customTimeouts", {}),
            )
            for r in data["resources"]
        }


def _name(urn: str) -> str:
    return urn.split("::", 3)[3]


def _type(urn: str) -> str:
    return qualified_type(urn).rsplit("$", 1)[-1]


def _inherited_alias(child_type: str, child_name: str, parent_name: str, parent_alias: str) -> str:
    """Return a child's old URN under its parent's alias, its name's parent prefix renamed too."""
    if child_name.startswith(parent_name):
        child_name = _name(parent_alias) + child_name[len(parent_name) :]
    stack, project = (
        parent_alias.split("::", 3)[0].removeprefix("urn:pulumi:"),
        parent_alias.split("::", 3)[1],
    )
    return urn_of(child_type, child_name, stack=stack, parent=parent_alias, project=project)


def _struct(props: dict[str, Any]) -> Any:
    """Return the wire form the engine sends a provider that does not accept secrets."""
    return wire.to_struct(wire.strip(props))


def _change_fields(reg: Registration, old: ResourceState, checked: dict[str, Any]) -> dict[str, Any]:
    """Return what Diff and Update both get: old outputs and inputs, checked new inputs."""
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
    """Return what Read and Delete both get of a checkpointed resource, inputs aside."""
    return {
        "id": state.id,
        "urn": state.urn,
        "type": state.type,
        "name": _name(state.urn),
        "properties": _struct(state.outputs),
    }


def _public(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


def _changed_keys(
    olds: dict[str, Any],
    news: dict[str, Any],
    include_provider: bool = False,
    restrict_to: dict[str, Any] | None = None,
) -> list[str]:
    """Compare two property maps by value, as the CLI does to display a diff; return the changed keys."""
    keys = set(olds) | set(news) if restrict_to is None else set(restrict_to)
    if not include_provider:
        keys.discard(PROVIDER_KEY)
    return sorted(k for k in keys if wire.strip(olds.get(k)) != wire.strip(news.get(k)))
