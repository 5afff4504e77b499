"""The harness measured against the real engine: one table of scenarios, each played through both."""

# Every scenario runs first through the harness (`python -m tests.engine`, the `stack` fixture), then,
# on a reset emulator, through the real `pulumi` (the `project` fixture). Their final commands are
# compared on: the AWS calls in order, the stack outputs (secrets masked), which outputs are secret,
# the resources' operations, and, beyond those, the exit status, the provider RPCs by name, what the
# program warned and which values the checkpoint keeps secret. A difference that the harness cannot
# shed is recorded in KNOWN_DIFFERENCES, by aspect, with both sides' values and the reason, so that
# a fix or a new difference both fail the test.

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from tests.cli.project import CliRun, PulumiProject
from tests.emulator import Emulator
from tests.engine import wire
from tests.engine.engine import ROOT_STACK_TYPE, urn_of
from tests.support import KEY, OTHER_KEY, PARTNER_ACCOUNT_TYPE, STACK_AMAZON_ID, Stack, StackRun

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

PROGRAMS = Path(__file__).parent / "programs"
ACCOUNT_URN = urn_of(PARTNER_ACCOUNT_TYPE, "sidewalk")
NEW_AMAZON_ID = "amzn1.account.REPLACEMENT"
PROBE_WARNING = "probe:"
# What the real CLI prints for a secret: in `stack output --json`, and around a value in `stack export`.
MASK = "[secret]"
PROVIDERS_TYPE_PREFIX = "pulumi:providers:"


class Side(Protocol):
    """One way of running the project: the harness or the real CLI."""

    emulator: Emulator

    def set_config(self, key: str, value: Any, secret: bool = False) -> None:
        """Set stack config."""

    def command(self, command: str, *flags: str) -> None:
        """Run a command before the final one; it may fail, as a scenario may ask."""

    def final(self, command: str, *flags: str) -> Outcome:
        """Run the final command and report what the comparison needs."""


Action = Callable[[Side, "IoTWirelessClient"], None]


@dataclass(frozen=True)
class Scenario:
    """A row of the table: what happens first, then the command whose effects are compared."""

    id: str
    before: tuple[Action, ...]
    final: tuple[str, ...]
    program: str | None = None  # a probe program of tests/cli/programs instead of the project's own
    # The real engine runs the final command's steps on several resources at once, so the order of
    # their calls is not defined: compare which calls were made, not their order.
    unordered: bool = False


@dataclass
class Outcome:
    """What a side's final command did, in a vocabulary both sides share."""

    succeeded: bool
    calls: list[str]
    outputs: dict[str, Any]
    secret_outputs: list[str]
    operations: list[tuple[str, str]]
    provider_calls: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    state_secrets: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class KnownDifference:
    """A difference the harness keeps, with both sides' values and why it is not fixed."""

    harness: Any
    cli: Any
    reason: str


# Scenario steps ---------------------------------------------------------------------------


def config(key: str, value: Any, secret: bool = False) -> Action:
    """Return a step that sets stack config on either side."""
    return lambda side, _: side.set_config(key, value, secret)


def command(*args: str) -> Action:
    """Return a step that runs a command on either side."""
    return lambda side, _: side.command(*args)


UP = command("up")


def association_arn(aws: IoTWirelessClient) -> str:
    """Return the ARN of the stack's association."""
    account = aws.get_partner_account(PartnerAccountId=STACK_AMAZON_ID, PartnerType="Sidewalk")
    return account["Sidewalk"]["Arn"]


def tag_outside(side: Side, aws: IoTWirelessClient) -> None:
    """Tag the association outside Pulumi."""
    aws.tag_resource(ResourceArn=association_arn(aws), Tags=[{"Key": "outside", "Value": "yes"}])


def associate_outside(side: Side, aws: IoTWirelessClient) -> None:
    """Associate the stack's Sidewalk account outside Pulumi, with another key and other tags."""
    aws.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": STACK_AMAZON_ID, "AppServerPrivateKey": OTHER_KEY},
        Tags=[{"Key": "team", "Value": "old"}, {"Key": "legacy", "Value": "1"}],
    )


def serve_later(side: Side, aws: IoTWirelessClient) -> None:
    """Serve the region of the ownership probe's later resource, so that its create succeeds."""
    side.emulator.backend.update_settings(sidewalk_regions={"us-east-1", "us-west-2"})


TWO_TAGS = {"team": "iot", "env": "dev"}

SCENARIOS = [
    # The lifecycle of the project's own program.
    Scenario("create", (), ("up",)),
    Scenario("no-op", (UP,), ("up",)),
    Scenario("key-rotation", (UP, config("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True)), ("up",)),
    Scenario("tag-change", (UP, config("sidewalk:tags", {"team": "radio", "env": "prod"})), ("up",)),
    Scenario("replacement", (UP, config("sidewalk:amazonId", NEW_AMAZON_ID)), ("up",)),
    Scenario("refresh-after-drift", (UP, tag_outside), ("refresh",)),
    Scenario("destroy", (UP,), ("destroy",)),
    Scenario("adoption", (associate_outside, config("sidewalk:adoptExisting", True)), ("up",)),
    Scenario("bad-input", (config("sidewalk:appServerPrivateKey", KEY[:-1], secret=True),), ("up",)),
    # The suspected differences, each where it would show.
    Scenario(
        "preview-of-key-rotation",
        (UP, config("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True)),
        ("preview",),
        program="options",
    ),
    Scenario("failed-replacement", (UP, config("aws:region", "eu-west-1")), ("up",)),
    Scenario(
        "up-after-failed-replacement",
        (UP, config("aws:region", "eu-west-1"), UP, config("aws:region", "us-east-1")),
        ("up",),
    ),
    Scenario(
        "replacement-despite-ignore-changes",
        (
            config("probe:ignoreChanges", ["tags"]),
            UP,
            config("sidewalk:tags", {"team": "radio"}),
            config("sidewalk:amazonId", NEW_AMAZON_ID),
        ),
        ("up",),
        program="options",
    ),
    Scenario(
        "ignore-changes-path",
        (
            config("probe:ignoreChanges", ["tags.env"]),
            config("sidewalk:tags", TWO_TAGS),
            UP,
            config("sidewalk:tags", {**TWO_TAGS, "env": "prod"}),
        ),
        ("up",),
        program="options",
    ),
    Scenario("parented", (config("probe:parented", True),), ("up",), program="options"),
    Scenario(
        "alias-to-old-parent",
        (
            config("probe:parented", True),
            UP,
            config("probe:parented", False),
            config("probe:aliasHolder", True),
        ),
        ("up",),
        program="options",
    ),
    Scenario("protected-destroy", (config("probe:protect", True), UP), ("destroy",), program="options"),
    Scenario(
        "protected-replacement",
        (config("probe:protect", True), UP, config("sidewalk:amazonId", NEW_AMAZON_ID)),
        ("up",),
        program="options",
    ),
    Scenario("retained-destroy", (config("probe:retainOnDelete", True), UP), ("destroy",), program="options"),
    Scenario(
        "custom-timeouts",
        (config("probe:timeouts", True), UP, config("sidewalk:amazonId", NEW_AMAZON_ID)),
        ("up",),
        program="options",
    ),
    Scenario("targeted-replace", (UP,), ("up", "--replace", ACCOUNT_URN)),
    # One owner per association: a replacement after a rotation, and one stopped half-way.
    Scenario(
        "targeted-replace-after-key-rotation",
        (UP, config("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True), UP),
        ("up", "--replace", ACCOUNT_URN),
    ),
    Scenario(
        "pending-delete-after-stopped-replace",
        (UP, config("probe:failLater", True), command("up", "--replace", ACCOUNT_URN), serve_later),
        ("up",),
        program="ownership",
    ),
    Scenario(
        "refresh-after-stopped-replace",
        (UP, config("probe:failLater", True), command("up", "--replace", ACCOUNT_URN)),
        ("refresh",),
        program="ownership",
        unordered=True,
    ),
    Scenario("configure-values", (), ("up",), program="echo"),
    Scenario("refresh-secrets", (UP,), ("refresh",), program="echo"),
]

# Differences the harness keeps: scenario id -> aspect -> both values and the reason. Empty when
# the harness matches the real engine on every scenario.
KNOWN_DIFFERENCES: dict[str, dict[str, KnownDifference]] = {}


# The two sides ----------------------------------------------------------------------------


class HarnessSide:
    """The scenario played through `python -m tests.engine`."""

    def __init__(self, stack: Stack, emulator: Emulator) -> None:
        self.stack = stack
        self.emulator = emulator

    def set_config(self, key: str, value: Any, secret: bool = False) -> None:
        """Set stack config in the harness's config file."""
        self.stack.set_config(key, value, secret)

    def command(self, command: str, *flags: str) -> None:
        """Run a command; its result does not matter."""
        self.stack.run(command, *flags)

    def final(self, command: str, *flags: str) -> Outcome:
        """Run the final command and read its result file and the checkpoint."""
        self.emulator.clear_log()
        run = self.stack.run(command, *flags)
        outputs = {k: masked(v) for k, v in run.stack_outputs.items()}
        state = self.stack.state() if self.stack.state_text() else {"resources": []}
        return Outcome(
            succeeded=run.returncode == 0,
            calls=self.emulator.calls(),
            outputs=outputs,
            secret_outputs=sorted(k for k, v in run.stack_outputs.items() if isinstance(v, wire.Secret)),
            operations=harness_operations(run),
            provider_calls=run.provider_calls,
            warnings=sorted(
                {line.strip() for line in run.stderr.splitlines() if line.startswith(PROBE_WARNING)}
            ),
            state_secrets={
                r["urn"] + (" (delete)" if r["delete"] else ""): secret_paths(r, harness_secret)
                for r in state["resources"]
            },
        )


class CliSide:
    """The scenario played through the real `pulumi`, its provider RPCs logged by PULUMI_DEBUG_GRPC."""

    def __init__(self, project: PulumiProject, emulator: Emulator) -> None:
        self.project = project
        self.emulator = emulator
        self.grpc_log = project.directory / "grpc.log"

    def set_config(self, key: str, value: Any, secret: bool = False) -> None:
        """Set stack config with `pulumi config set`, a list item by item with --path."""
        if isinstance(value, list):
            self.project.run("config", "rm", key, check=False)
            for index, item in enumerate(value):
                self.project.run("config", "set", "--path", f"{key}[{index}]", str(item))
            return
        self.project.config_set(key, value, secret)

    def command(self, command: str, *flags: str) -> None:
        """Run a command; its result does not matter."""
        self.project.run(*cli_args(command, flags), check=False)

    def final(self, command: str, *flags: str) -> Outcome:
        """Run the final command with --json and read its events, the RPC log, the outputs and the state."""
        self.emulator.clear_log()
        self.project.env["PULUMI_DEBUG_GRPC"] = str(self.grpc_log)
        try:
            run = self.project.run(*cli_args(command, flags), "--json", check=False)
        finally:
            del self.project.env["PULUMI_DEBUG_GRPC"]
        calls = self.emulator.calls()
        outputs = self.project.outputs()
        document, events = split_json_output(run)
        return Outcome(
            succeeded=run.returncode == 0,
            calls=calls,
            outputs=outputs,
            secret_outputs=sorted(k for k, v in outputs.items() if v == MASK),
            operations=cli_operations(command, document, events),
            provider_calls=provider_rpcs(self.grpc_log),
            warnings=cli_warnings(document, events),
            state_secrets={
                r["urn"] + (" (delete)" if r.get("delete") else ""): secret_paths(r, cli_secret)
                for r in self.project.export()["deployment"].get("resources", [])
                if r["type"] != ROOT_STACK_TYPE and not r["type"].startswith(PROVIDERS_TYPE_PREFIX)
            },
        )


def cli_args(command: str, flags: tuple[str, ...]) -> list[str]:
    """Return the CLI's arguments for a command; all but preview need --yes without a terminal."""
    return [command, *flags] if command == "preview" else [command, "--yes", *flags]


# Reading each side ------------------------------------------------------------------------


def masked(value: Any) -> Any:
    """Return a harness value as `pulumi stack output --json` prints it: a secret as [secret]."""
    if isinstance(value, wire.Secret):
        return MASK
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def harness_secret(value: Any) -> bool:
    """Tell whether a decrypted checkpoint value of the harness is a secret."""
    return isinstance(value, wire.Secret)


def cli_secret(value: Any) -> bool:
    """Tell whether an exported state value of the CLI is a secret."""
    return isinstance(value, dict) and value.get(wire.SIG_KEY) == wire.SECRET_SIG


def secret_paths(resource: dict[str, Any], is_secret: Callable[[Any], bool]) -> list[str]:
    """Return the paths of a state resource's inputs and outputs that hold secrets, `__provider` aside."""

    def walk(prefix: str, value: Any) -> Iterator[str]:
        if is_secret(value):
            yield prefix
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(f"{prefix}.{key}", item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(f"{prefix}[{index}]", item)

    return sorted(
        path
        for part in ("inputs", "outputs")
        for key, value in (resource.get(part) or {}).items()
        if key != "__provider"
        for path in walk(f"{part}.{key}", value)
    )


# Both sides' operations in one vocabulary: create, update, replace, same, delete, refresh (a refresh
# that found the resource changed), read.
CLI_OPERATIONS = {"create-replacement": "replace", "delete-replaced": "replace", "replace": "replace"}
CLI_REFRESH_OPERATIONS = {"update": "refresh", "same": "same", "delete": "delete"}


def collapse(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return one operation per resource: a replacement's create and delete of the old are the replace."""
    by_urn: dict[str, list[str]] = {}
    for urn, op in pairs:
        ops = by_urn.setdefault(urn, [])
        if op not in ops:
            ops.append(op)
    return sorted(
        (urn, op) for urn, ops in by_urn.items() for op in (["replace"] if "replace" in ops else ops)
    )


def harness_operations(run: StackRun) -> list[tuple[str, str]]:
    """Return the harness's steps as (URN, operation)."""
    pairs = []
    for step in run.steps:
        op = step["op"]
        if op == "refresh":
            op = "refresh" if step["changed"] else "same"
        elif op == "delete" and step["replaced"]:
            op = CLI_OPERATIONS["delete-replaced"]
        pairs.append((step["urn"], op))
    return collapse(pairs)


def split_json_output(run: CliRun) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the document, then the engine events one per line, that a command prints with --json."""
    try:
        document, end = json.JSONDecoder().raw_decode(run.stdout)
    except json.JSONDecodeError:
        return {}, []
    events = [json.loads(line) for line in run.stdout[end:].splitlines() if line.strip()]
    return document, events


def cli_operations(
    command: str, document: dict[str, Any], events: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    """Return the CLI's operations as (URN, operation): preview's steps, else the completed steps' events."""
    if command == "preview":
        steps = [(s["urn"], s["op"]) for s in document.get("steps", [])]
    else:
        steps = [
            (e["resOutputsEvent"]["metadata"]["urn"], e["resOutputsEvent"]["metadata"]["op"])
            for e in events
            if "resOutputsEvent" in e
        ]
        # A component never reports outputs unless it registers some: its step shows only as begun.
        steps += [
            (metadata["urn"], metadata["op"])
            for metadata in (e["resourcePreEvent"]["metadata"] for e in events if "resourcePreEvent" in e)
            if not (metadata.get("new") or metadata.get("old") or {}).get("custom", False)
        ]
    mapping = CLI_REFRESH_OPERATIONS if command == "refresh" else CLI_OPERATIONS
    return collapse(
        [
            (urn, mapping.get(op, op))
            for urn, op in steps
            if urn.split("::")[2] != ROOT_STACK_TYPE and PROVIDERS_TYPE_PREFIX not in urn
        ]
    )


def cli_warnings(document: dict[str, Any], events: list[dict[str, Any]]) -> list[str]:
    """Return the distinct warnings of the probe programs that the CLI reported."""
    diagnostics = [
        *document.get("diagnostics", []),
        *(e["diagnosticEvent"] for e in events if "diagnosticEvent" in e),
    ]
    return sorted(
        {
            d["message"].strip()
            for d in diagnostics
            if d.get("severity") == "warning" and d["message"].startswith(PROBE_WARNING)
        }
    )


def provider_rpcs(grpc_log: Path) -> list[str]:
    """Return the RPCs the engine made to the dynamic provider, named as the harness records them."""
    # The log holds every value in plaintext, the key included: it is read, then deleted.
    if not grpc_log.exists():
        return []
    calls = []
    for line in grpc_log.read_text().splitlines():
        entry = json.loads(line)
        method = entry.get("method", "")
        if "/pulumirpc.ResourceProvider/" not in method or entry.get("progress") == "request_started":
            continue
        name = method.rsplit("/", 1)[-1]
        timeout = (entry.get("request") or {}).get("timeout")
        if timeout:
            name += f"(timeout={timeout:g})"
        calls.append(name + ("!" if entry.get("errors") else ""))
    grpc_log.unlink()
    return calls


def differences(harness: Outcome, cli: Outcome) -> dict[str, tuple[Any, Any]]:
    """Return, by aspect, the (harness, CLI) values that differ."""
    return {
        aspect: (getattr(harness, aspect), getattr(cli, aspect))
        for aspect in Outcome.__dataclass_fields__
        if getattr(harness, aspect) != getattr(cli, aspect)
    }


# The test -----------------------------------------------------------------------------------


def play(side: Side, scenario: Scenario, aws: IoTWirelessClient) -> Outcome:
    """Take a scenario through one side: its steps, then its final command."""
    for action in scenario.before:
        action(side, aws)
    return side.final(*scenario.final)


def use_program(scenario: Scenario, stack: Stack, project: PulumiProject) -> None:
    """Point both sides at the scenario's probe program, if it has one."""
    if scenario.program is None:
        return
    program = PROGRAMS / f"{scenario.program}.py"
    stack.program = program
    main = project.directory / "__main__.py"
    main.unlink()
    shutil.copyfile(program, main)


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_harness_and_real_engine_agree(
    scenario: Scenario,
    stack: Stack,
    project: PulumiProject,
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
) -> None:
    """The harness and the real CLI end a scenario alike, but for the differences recorded by name."""
    use_program(scenario, stack, project)
    harness = play(HarnessSide(stack, emulator), scenario, iotwireless)
    emulator.reset()
    cli = play(CliSide(project, emulator), scenario, iotwireless)
    known = {aspect: (d.harness, d.cli) for aspect, d in KNOWN_DIFFERENCES.get(scenario.id, {}).items()}
    if scenario.unordered:
        for outcome in (harness, cli):
            outcome.calls.sort()
            outcome.provider_calls.sort()
    assert differences(harness, cli) == known
