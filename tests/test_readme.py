"""README.md stays true: its runnable blocks run, its outputs and messages are the code's own.

Fenced blocks tagged `sh` run here, against a fresh emulator; a `text` block right after one is its
expected output. Those that render a preview run the real Pulumi CLI, so they need one at hand.
Blocks tagged `sh offline` are the walk-through "Running it by hand, offline": they run in order, in
one shell's environment, through the real CLI, in a folder laid out as a fresh clone.
Blocks tagged `console` need an AWS account or a person at the prompt, so they are selected out of
the run and checked statically instead.
"""

from __future__ import annotations

import ast
import dataclasses
import html
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pulumi
import pytest
import yaml
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.stub import Stubber

from components import fleet
from components.import_task import SidewalkDeviceImportTask, SidewalkDeviceImportTaskArgs
from components.partner_account import PartnerAccount
from demo.cli import at_hand
from providers import (
    _aws,
    _ownership,
    _tags,
    destination,
    device_profile,
    import_task,
    partner_account,
    wireless_device,
)
from providers._tags import OWNER_KEY
from providers.partner_account import PartnerAccountProvider
from provisioning import DEVICE_PROFILE_FILE, WIRELESS_DEVICE_FILE
from tests.cli.conftest import REQUIRE_CLI
from tests.cli.test_crash_recovery import CLI_MESSAGES
from tests.engine.provider import PROJECT_ROOT, merged_env
from tests.operations import (
    CREATE_CALLS,
    DELETE_CALLS,
    DEVICE_CREATE_CALLS,
    DEVICE_DELETE_CALLS,
    DEVICE_READ_CALLS,
    DEVICE_TAKE_OVER_CALLS,
    DEVICE_UPDATE_CALLS,
    IMPORT_CREATE_CALLS,
    IMPORT_DELETE_CALLS,
    IMPORT_READ_CALLS,
    IMPORT_SINGLE_CREATE_CALLS,
    IMPORT_UPDATE_CALLS,
    LIST_TAGS,
    PROFILE_ADOPT_CALLS,
    PROFILE_CREATE_CALLS,
    PROFILE_DELETE_CALLS,
    PROFILE_READ_CALLS,
    TAKE_OVER_CALLS,
)
from tests.seed import seed
from tests.support import KEY, assert_no_key, emulator_env, run_with_emulator

README = PROJECT_ROOT / "README.md"
# The render commands (six) and the discovery commands (two) at least.
MIN_RUNNABLE_BLOCKS = 8
# What the sh blocks of the preview section run: the real CLI's preview, never an imitation.
CLI_RENDER = ".venv/bin/python -m tests.cli.render "
# A fence opens with a language and, for the walk-through's blocks, a tag after it: ```sh offline.
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)(?: (?P<tag>[\w-]+))?\s*$")
OFFLINE = "offline"
# The blocks of "Onboarding devices", a walk-through of their own after the offline one's setup.
ONBOARDING = "onboarding"


@dataclass(frozen=True)
class Block:
    """One fenced block of the README: its tag, its text and where it starts."""

    lang: str
    text: str
    line: int
    follows: Block | None  # the block just before, when only blank lines separate them
    tag: str = ""

    @property
    def id(self) -> str:
        return f"line-{self.line}"


def blocks() -> list[Block]:
    """Return the README's fenced blocks in order, their indentation removed."""
    found: list[Block] = []
    lines = README.read_text().splitlines()
    i, previous_end = 0, -2
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent = len(opening["indent"])
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        text = "\n".join(line[indent:] for line in lines[i + 1 : end])
        adjacent = found and all(not line.strip() for line in lines[previous_end + 1 : i])
        follows = found[-1] if adjacent else None
        found.append(Block(opening["lang"], text, i + 1, follows, opening["tag"] or ""))
        previous_end, i = end, end + 1
    return found


def of(lang: str, tag: str = "") -> list[Block]:
    """Return the blocks of one language and tag (untagged by default), in order."""
    return [b for b in blocks() if b.lang == lang and b.tag == tag]


def output_of(block: Block) -> Block | None:
    """Return the `text` block that shows what an `sh` block prints, if there is one."""
    return next((b for b in blocks() if b.follows == block and b.lang == "text"), None)


def require_cli() -> None:
    """Skip without a Pulumi CLI at hand, or fail where SIDEWALK_REQUIRE_PULUMI_CLI is set."""
    if at_hand() is not None:
        return
    message = "no Pulumi CLI 3.272+ on PATH and none built: run `make cli` (needs Go 1.26+) to check them"
    if os.environ.get(REQUIRE_CLI):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id) for b in of("sh")])
def test_sh_block_runs_and_prints_what_the_readme_shows(
    block: Block, emulator: Any, iotwireless: Any
) -> None:
    """Each sh block exits 0 in the project directory; the text block after it is its exact output."""
    if CLI_RENDER in block.text:
        require_cli()
    seed(iotwireless)
    run = run_with_emulator(emulator, ["bash", "-euo", "pipefail", "-c", block.text], timeout=300)
    assert run.returncode == 0, run.stderr
    expected = output_of(block)
    if expected is not None:
        assert run.stdout.rstrip("\n") == expected.text


def test_readme_runs_at_least_the_known_number_of_blocks() -> None:
    """The run above selects enough sh blocks that losing a tag (or a block) is noticed."""
    assert len(of("sh")) >= MIN_RUNNABLE_BLOCKS


def test_previews_shown_are_the_real_cli_output() -> None:
    """Each sh block of the preview section renders the real CLI's preview and shows its output."""
    shown = [b for b in of("sh") if f"\n{b.text}\n" in section("What `pulumi preview` shows")]
    assert len(shown) >= 6
    for block in shown:
        assert block.text.startswith(CLI_RENDER), block.id
        assert output_of(block) is not None, block.id


def test_every_text_block_is_the_output_of_an_sh_block() -> None:
    """No output in the README goes unchecked: each text block directly follows an sh block."""
    for block in of("text"):
        assert block.follows is not None and block.follows.lang == "sh", block.id


def test_every_block_is_tagged_for_selection() -> None:
    """Each block says how it is checked: run (sh), output (text), static (console, json, python, yaml)."""
    assert {b.lang for b in blocks()} <= {"sh", "text", "console", "json", "python", "yaml"}


def test_yaml_blocks_parse() -> None:
    """Each yaml block, such as the CI recipe, is valid YAML."""
    documents = [yaml.safe_load(b.text) for b in of("yaml")]
    assert documents and all(isinstance(document, dict) for document in documents)


@pytest.mark.parametrize(("target", "runs"), [("test", "-m pytest"), ("demo", "-m demo")])
def test_make_commands_of_the_quick_start_do_what_it_says(target: str, runs: str) -> None:
    """`make test` runs the tests and `make demo` the demo, as the quick start table says."""
    assert f"| `make {target}` |" in README.read_text()
    run = subprocess.run(
        ["make", "-n", target], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    assert runs in run.stdout


def test_policy_shown_is_the_policy_file() -> None:
    """The policy in the README is iam/partner-account-policy.json."""
    [shown] = re.findall(r"```json\n(.*?)\n *```", section("Deploying"), flags=re.DOTALL)
    policy = json.loads((PROJECT_ROOT / "iam" / "partner-account-policy.json").read_text())
    assert json.loads(shown) == policy


def test_policy_pack_config_shown_is_the_config_file() -> None:
    """The policy pack config in the README is policy/config.json."""
    [shown] = re.findall(r"```json\n(.*?)\n *```", section("Reviewing changes"), flags=re.DOTALL)
    assert json.loads(shown) == json.loads((PROJECT_ROOT / "policy" / "config.json").read_text())


def section(title: str) -> str:
    """Return the text under a `## ` heading that starts with title, up to the next one."""
    return README.read_text().split(f"\n## {title}", 1)[1].split("\n## ", 1)[0]


def table_keys(text: str) -> set[str]:
    """Return the config keys that begin table rows, such as | `sidewalk:tags` |."""
    return set(re.findall(r"^\| `(\w+:\w+)` \|", text, flags=re.MULTILINE))


def config_table_keys() -> set[str]:
    return table_keys(section("Configuration"))


def config_sets() -> list[list[str]]:
    """Return the `pulumi config set` commands of the console blocks, as words."""
    commands = []
    for block in of("console"):
        for line in block.text.splitlines():
            words = shlex.split(line, comments=True)
            if words[:3] == ["pulumi", "config", "set"]:
                commands.append(words[3:])
    return commands


def test_config_table_lists_only_keys_the_program_reads() -> None:
    """Each key of the configuration table is read by __main__.py, or by the provider's configure."""
    program = (PROJECT_ROOT / "__main__.py").read_text()
    configure = (PROJECT_ROOT / "providers" / "_regional.py").read_text()
    keys = config_table_keys()
    assert "sidewalk:appServerPrivateKey" in keys
    for key in keys:
        if f'req.config.get("{key}")' in configure:
            continue
        namespace, name = key.split(":")
        assert f'"{name}"' in program, key
        assert f'Config("{namespace}")' in program, key


def test_console_config_commands_use_documented_keys() -> None:
    """Each `pulumi config set` of a console block names a key some table documents (or the example's)."""
    known = table_keys(README.read_text()) | {"producerStack"}
    for words in config_sets():
        key = next(w for w in words if not w.startswith("--"))
        assert re.split(r"[.\[]", key)[0] in known, words


def test_console_commands_set_the_key_only_as_a_secret() -> None:
    """The key is only ever set with --secret, and no console block carries a key value."""
    for words in config_sets():
        if any("appServerPrivateKey" in w for w in words):
            assert "--secret" in words
            assert not any(re.fullmatch(r"[0-9a-fA-F]{64}", w) for w in words)


def test_console_commands_name_files_that_exist() -> None:
    """The files and folders console blocks name (file://..., cd ...) are in the project."""
    named = []
    for block in of("console"):
        named += re.findall(r"file://([\w./-]+)", block.text)
        named += re.findall(r"^cd ([\w./-]+)$", block.text, flags=re.MULTILINE)
    assert named
    for path in named:
        assert (PROJECT_ROOT / path).exists(), path


def test_python_snippet_is_taken_from_the_consumer_example() -> None:
    """Each line of the python block on consuming outputs is a line of examples/consumer/__main__.py."""
    example = (PROJECT_ROOT / "examples" / "consumer" / "__main__.py").read_text().splitlines()
    snippets = re.findall(r"```python\n(.*?)\n```", section("Consuming the outputs"), flags=re.DOTALL)
    assert snippets
    for line in "\n".join(snippets).splitlines():
        assert line in example, line


# The troubleshooting table against the messages the code produces.


def produced_messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return every sentence the provider's error translation, check and program emit."""
    for name, value in emulator_env("http://127.0.0.1:9").items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    messages: list[str] = []
    model = botocore.session.get_session().get_service_model("iotwireless")
    codes = {shape.name for shape in model.error_shapes}
    codes |= {_aws.ACCESS_DENIED, _aws.CONFLICT, _aws.NOT_FOUND, *_aws._THROTTLED, *_aws._BAD_CREDENTIALS}
    failures: list[Exception] = [
        NoCredentialsError(),
        EndpointConnectionError(endpoint_url="https://api.iotwireless.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://api.iotwireless.us-east-1.amazonaws.com/partner-accounts"),
        ConnectTimeoutError(endpoint_url="https://api.iotwireless.us-east-1.amazonaws.com/partner-accounts"),
        ProfileNotFound(profile="iot-admin"),
    ]
    for code in sorted(codes):
        failures.append(ClientError({"Error": {"Code": code, "Message": "AWS's message"}}, "Operation"))
    calls = (
        ("AssociateAwsAccountWithPartnerAccount", "amzn1.account.EXAMPLE", _aws.SIDEWALK_ACCOUNT),
        ("UpdateDestination", "sensors-uplinks", destination.DESTINATION),
    )
    for region in ("us-east-1", "us-west-2"):
        for operation, resource_id, kind in calls:
            messages += [refused(raising, f, operation, kind, resource_id, region) for f in failures]
    bad_inputs: list[dict[str, Any]] = [
        {"amazonId": None, "appServerPrivateKey": None},
        {"amazonId": "", "appServerPrivateKey": "0x" + KEY},
        {"amazonID": "x", "tags": ["a"]},
        {"tags": {f"k{i}": "v" for i in range(201)}},
        {"tags": {"": "v", "aws:owner": "v", "k": "v" * 257}},
        {"region": "moon-1", "clientRequestToken": "a b", "adoptExisting": "yes"},
    ]
    bad_inputs += [{"tags": {OWNER_KEY: "x"}, "owner": "no-slashes"}]
    base = {"amazonId": "amzn1.account.EXAMPLE", "appServerPrivateKey": KEY, "owner": "p/s/n"}
    messages += check_reasons(PartnerAccountProvider(), base, bad_inputs)
    for marker in ("p/dev/sidewalk#0123456789abcdef", None):
        operation, remedy = "AssociateAwsAccountWithPartnerAccount", partner_account._TAKE_OVER
        messages.append(
            str(_ownership.held_error(operation, "Sidewalk account", "x", REGION, marker, remedy))
        )
    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, **_: warned.append(message))
    PartnerAccount._warn_outside_sidewalk_regions(None, "us-west-2")  # type: ignore[arg-type]
    _ownership.leave_alone("DeleteDestination", "destination", "x", "us-east-1", "p/s/n#0123456789abcdef")
    return messages + destination_messages(monkeypatch) + warned


def destination_messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return what the integration's Destination says: each check rule broken, a name held, AWS's answers."""
    provider = destination.DestinationProvider()
    messages = check_reasons(
        provider,
        {
            destination.NAME: "sensors-uplinks",
            destination.EXPRESSION: "sensors_uplinks",
            destination.EXPRESSION_TYPE: destination.RULE_NAME,
            destination.ROLE_ARN: ROLE_ARN,
            destination.OWNER: OWNER,
        },
        [
            {"name": None, "expression": None, "expressionType": None, "roleArn": None},
            {"name": "sensors uplinks", "expressionType": "Topic", "roleArn": "sidewalk"},
            {"name": "d" * 129, "expression": "", "description": "d" * 2049},
            {"name": 5, "expression": "e" * 2049, "roleArn": 5, "nam": "sensors-uplinks"},
            *SHARED_BAD_INPUTS,
        ],
    )
    props: dict[str, Any] = {
        destination.NAME: "sensors-uplinks",
        destination.EXPRESSION: "sensors_uplinks",
        destination.EXPRESSION_TYPE: destination.RULE_NAME,
        destination.ROLE_ARN: ROLE_ARN,
        destination.DESCRIPTION: "",
        destination.TAGS: {},
        destination.REGION: REGION,
        destination.OWNER: OWNER,
    }
    by_name = {"Name": "sensors-uplinks"}
    stubber = stubbed(monkeypatch)
    # The name taken, by another stack's Destination, then by one with no owner tag: create refuses both.
    for tags in ([{"Key": OWNER_KEY, "Value": ANOTHER_OWNER}], []):
        stubber.add_client_error("create_destination", _aws.CONFLICT, "Destination already exists", 409)
        stubber.add_response("get_destination", {"Arn": DESTINATION_ARN, "Name": "sensors-uplinks"}, by_name)
        stubber.add_response("list_tags_for_resource", {"Tags": tags}, {"ResourceArn": DESTINATION_ARN})
    messages += [refused(provider.create, props) for _ in range(2)]
    stubber.assert_no_pending_responses()
    # The Destination's other calls answer as UpdateDestination does in produced_messages.
    return messages + conflict_and_gone(
        (destination._DESTINATION_IN_USE, "DeleteDestination"),
        (_tags.tagging(destination.DESTINATION), "TagResource"),
    )


def troubleshooting_rows(title: str = "Troubleshooting") -> list[str]:
    """Return the message cells of a section's `| message | what to do |` table, code spans opened."""
    return message_cells(section(title))


def message_cells(text: str) -> list[str]:
    """Return the first cells of the table rows that open with a code span, the span opened."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        cell = line.strip("|").split(" | ")[0].strip()
        rows.append(cell[2:-2].strip() if cell.startswith("``") else cell[1:-1])
    return rows


def message_rows() -> list[str]:
    """Return the rows of both message tables: the association's and shared ones, then the devices'."""
    devices = section(ONBOARDING_SECTION).split(f"\n### {DEVICE_FAILURES}\n", 1)[1].split("\n#", 1)[0]
    return troubleshooting_rows() + message_cells(devices)


def every_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Return every sentence the providers, their checks and the program's config can give."""
    return produced_messages(monkeypatch) + device_produced_messages(monkeypatch, tmp_path)


def pattern(template: str) -> re.Pattern[str]:
    """Turn a row into a regular expression: each `<...>` stands for any text."""
    parts = re.split(r"<[^>]+>", template)
    return re.compile(".+?".join(re.escape(p) for p in parts) + r"\.?$")


def test_every_message_has_a_troubleshooting_row(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each message the code can produce ends as some row of the two message tables."""
    rows = [pattern(row) for row in message_rows()]
    for message in every_message(monkeypatch, tmp_path):
        assert any(row.search(message) for row in rows), message


def test_every_troubleshooting_row_is_a_message_the_code_produces(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No row is stale: each one of the two message tables matches a message the code produces today."""
    messages = every_message(monkeypatch, tmp_path)
    rows = message_rows()
    assert len(troubleshooting_rows()) >= 20
    assert len(rows) >= len(troubleshooting_rows()) + 30
    for row in rows:
        assert any(pattern(row).search(m) for m in messages), row


def test_every_crash_message_of_the_cli_has_a_row() -> None:
    """Each message the real CLI printed in the crash tests ends some row of the crash section."""
    rows = [pattern(row) for row in troubleshooting_rows("Recovering from a crash")]
    for message in CLI_MESSAGES:
        assert any(row.search(message) for row in rows), message


def test_every_crash_row_is_a_message_the_cli_prints() -> None:
    """No crash row is stale: each matches a message tests/cli/test_crash_recovery.py saw the CLI print."""
    rows = troubleshooting_rows("Recovering from a crash")
    assert len(rows) == len(CLI_MESSAGES)
    for row in rows:
        assert any(pattern(row).search(message) for message in CLI_MESSAGES), row


def test_error_example_is_a_message_the_code_produces(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example sentence quoted in the troubleshooting section is a real one, AWS's part aside."""
    lines = section("Troubleshooting").splitlines()
    quoted = " ".join(line[2:] for line in lines if line.startswith("> "))
    example = pattern(html.unescape(quoted).removesuffix("."))
    assert any(example.fullmatch(m) for m in produced_messages(monkeypatch))


# The walk-through "Running it by hand, offline", run as a person runs it.

WALKTHROUGH = "Running it by hand, offline"
# Where the walk-through's emulator listens (`make emulator`); the test's own takes its place.
EMULATOR_ADDRESS = "http://127.0.0.1:4566"
# What a person has that the test folder links from this checkout instead of making it again:
# `make install`'s virtualenv, `make cli`'s build and the rest of a clone, all but the files the
# walk-through writes (a copy of them, or nothing).
NOT_LINKED = {".git", "examples", "Pulumi.dev.yaml", ".pulumi-offline", ".pulumi-state", "build"}
KEY_FILE = Path(".pulumi-offline") / "app-server.key"
# Where "Onboarding devices" writes the provisioning files, which hold the devices' private keys.
PROVISIONING = Path("build") / "provisioning"
WALKTHROUGH_TIMEOUT_SECONDS = 300
# What varies from run to run in what the CLI prints: progress lines (as many as ticks pass),
# trailing blanks, step and total durations, the fingerprints of throwaway keys, and the ids AWS
# generates for device profiles and devices (a UUID; a device's Sidewalk id, 10 hex digits).
_VOLATILE = (
    (re.compile(r"^@ .*\n?", flags=re.MULTILINE), ""),
    (re.compile(r"[ \t]+$", flags=re.MULTILINE), ""),
    (re.compile(r"\((?:\d+m)?\d+(?:\.\d+)?s\)"), "(<time>)"),
    (re.compile(r"^Duration: .*$", flags=re.MULTILINE), "Duration: <time>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<fingerprint>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<id>"),
    (re.compile(r'(sidewalkId"?: +)"[0-9A-F]{10}"'), r'\1"<sidewalk id>"'),
)
ELISION = "..."


def stable(text: str) -> str:
    """Return output with what varies from run to run replaced by placeholders, blank ends cut."""
    for volatile, placeholder in _VOLATILE:
        text = volatile.sub(placeholder, text)
    return text.strip("\n")


def shows(expected: str, printed: str) -> bool:
    """Tell whether printed is what expected shows, each line `...` standing for any lines."""
    parts = [re.escape(line) if line != ELISION else "(?:.*\n)*?" for line in stable(expected).split("\n")]
    elided = "".join(part if part.startswith("(?:") else part + "\n" for part in parts)
    return re.fullmatch(elided, stable(printed) + "\n") is not None


def in_section(block: Block, title: str) -> bool:
    """Tell whether a block lies under the `## ` heading that starts with title."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"## {title}"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return start < block.line <= end


def require_built_cli() -> None:
    """Skip without `make cli`'s build, which the walk-through puts on PATH, or fail where it is required."""
    if (PROJECT_ROOT / ".pulumi" / "bin" / "pulumi").is_file():
        return
    message = "the walk-through runs the CLI `make cli` builds into .pulumi/bin: run `make cli` to check it"
    if os.environ.get(REQUIRE_CLI):
        pytest.fail(message)
    pytest.skip(message)


def clone_of_checkout(folder: Path) -> Path:
    """Lay a folder out as a fresh clone of this checkout that has run `make install` and `make cli`."""
    folder.mkdir()
    for entry in PROJECT_ROOT.iterdir():
        if entry.name in NOT_LINKED or re.fullmatch(r"Pulumi\..+\.yaml", entry.name):
            continue
        (folder / entry.name).symlink_to(entry)
    shutil.copy2(PROJECT_ROOT / "Pulumi.dev.yaml", folder / "Pulumi.dev.yaml")
    shutil.copytree(
        PROJECT_ROOT / "examples",
        folder / "examples",
        symlinks=True,
        ignore=shutil.ignore_patterns("venv", "Pulumi.*.yaml", "__pycache__"),
    )
    return folder


def test_walkthrough_setup_commands_are_make_targets() -> None:
    """The walk-through's console steps are `make` targets that exist: install, cli, emulator."""
    console = [b for b in of("console") if in_section(b, WALKTHROUGH)]
    commands = [line for b in console for line in b.text.splitlines()]
    assert commands == ["make install", "make cli", "make emulator"]
    for command in commands:
        run = subprocess.run(
            ["make", "-n", command.split()[1]], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
        )
        assert run.returncode == 0, run.stderr
    emulator = subprocess.run(
        ["make", "-n", "emulator"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert "--port 4566" in emulator.stdout


def test_walkthrough_blocks_are_those_of_its_section() -> None:
    """The blocks tagged offline are the walk-through's sh blocks, all of them, and no other's."""
    walkthrough = of("sh", OFFLINE)
    assert len(walkthrough) >= 15
    assert all(in_section(b, WALKTHROUGH) for b in walkthrough)
    assert not [b for b in of("sh") if in_section(b, WALKTHROUGH)]
    assert {b.tag for b in blocks()} == {"", OFFLINE, ONBOARDING}


@dataclass
class WalkthroughRun:
    """What a walk-through printed, and the secrets it wrote to files as it went."""

    printed: str
    app_server_keys: set[str] = field(default_factory=set)
    device_keys: set[str] = field(default_factory=set)
    # The mode of each provisioning file and folder seen, by path relative to the clone.
    modes: dict[str, int] = field(default_factory=dict)


def run_walkthrough(
    walkthrough: list[Block], clone: Path, tmp_path: Path, emulator_url: str
) -> WalkthroughRun:
    """Run sh blocks in order in one shell's state, as a person types them; each must print what it shows."""
    shell_state = tmp_path / "shell-state"
    shell_state.write_text(f"cd {shlex.quote(str(clone))}\n")
    # A person's shell: none of the variables the walk-through sets, a Pulumi home of its own.
    env = merged_env(
        {
            **emulator_env(emulator_url),
            "AWS_ENDPOINT_URL_IOT_WIRELESS": None,
            "AWS_ACCESS_KEY_ID": None,
            "AWS_SECRET_ACCESS_KEY": None,
            "PULUMI_BACKEND_URL": None,
            "PULUMI_CONFIG_PASSPHRASE": None,
            "PULUMI_CONFIG_PASSPHRASE_FILE": None,
            "PULUMI_ACCESS_TOKEN": None,
            "PULUMI_HOME": str(tmp_path / "pulumi-home"),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        }
    )
    printed: list[str] = []
    found = WalkthroughRun("")
    for block in walkthrough:
        script = block.text.replace(EMULATOR_ADDRESS, emulator_url)
        # Each block starts where the one before left the shell (variables, folder), as in one terminal.
        state = shlex.quote(str(shell_state))
        wrapped = f'. {state}\n{script}\n{{ export -p; printf "cd %q\\n" "$PWD"; }} > {state}\n'
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", wrapped],
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=WALKTHROUGH_TIMEOUT_SECONDS,
            check=False,
        )
        if (clone / KEY_FILE).exists():
            found.app_server_keys.add((clone / KEY_FILE).read_text().strip())
        written = [clone / PROVISIONING, *(clone / PROVISIONING).glob("**/*")]
        for path in (p for p in written if p.exists()):
            found.modes[str(path.relative_to(clone))] = path.stat().st_mode & 0o777
            if path.name == WIRELESS_DEVICE_FILE:
                keys = json.loads(path.read_text())["Sidewalk"]["PrivateKeys"]
                found.device_keys.update(key["Value"] for key in keys)
        printed.append(run.stdout)
        assert run.returncode == 0, f"{block.id}:\n{run.stdout}"
        expected = output_of(block)
        if expected is not None:
            assert shows(expected.text, run.stdout), f"{block.id} printed:\n{stable(run.stdout)}"
    return dataclasses.replace(found, printed="".join(printed))


# Some twenty CLI commands and a `pulumi install` from PyPI: minutes on a busy machine.
@pytest.mark.long
@pytest.mark.timeout(WALKTHROUGH_TIMEOUT_SECONDS * 3)
def test_walkthrough_runs_offline_as_the_readme_shows(
    tmp_path: Path, emulator: Any, iotwireless: Any
) -> None:
    """The walk-through's sh blocks run in order, in one shell's state, printing what the README shows."""
    require_built_cli()
    clone = clone_of_checkout(tmp_path / "clone")
    run = run_walkthrough(of("sh", OFFLINE), clone, tmp_path, emulator.url)
    keys = run.app_server_keys
    assert keys and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
    assert_no_key(run.printed, *keys)
    assert (clone / "Pulumi.dev.yaml").read_text() == (PROJECT_ROOT / "Pulumi.dev.yaml").read_text()
    assert not list(clone.glob("Pulumi.offline.yaml")) and not (clone / ".pulumi-offline").exists()
    assert sorted(p.name for p in (clone / "examples" / "consumer").glob("Pulumi.*.yaml")) == []
    # The last step leaves the emulator as the discovery examples of the README show it.
    held = iotwireless.list_partner_accounts()["Sidewalk"]
    assert sorted(a["AmazonId"] for a in held) == ["amzn1.account.EXAMPLE", "amzn1.account.LEGACY"]


# "Onboarding devices": its sh blocks, after the offline walk-through's setup of the shell.

ONBOARDING_SECTION = "Onboarding devices"


def onboarding_walkthrough() -> list[Block]:
    """Return step 3 of the offline walk-through (the shell's setup), then the onboarding blocks."""
    setup = of("sh", OFFLINE)[0]
    assert "export PULUMI_BACKEND_URL=" in setup.text and EMULATOR_ADDRESS in setup.text
    return [setup, *of("sh", ONBOARDING)]


def test_onboarding_blocks_are_those_of_its_section() -> None:
    """The blocks tagged onboarding are the section's sh blocks, all of them, and no other's."""
    onboarding = of("sh", ONBOARDING)
    assert len(onboarding) >= 8
    assert all(in_section(b, ONBOARDING_SECTION) for b in onboarding)
    assert not [b for b in of("sh") if in_section(b, ONBOARDING_SECTION)]


# Fifteen CLI commands, two of them `up` of five resources.
@pytest.mark.long
@pytest.mark.timeout(WALKTHROUGH_TIMEOUT_SECONDS * 3)
def test_onboarding_runs_offline_as_the_readme_shows(tmp_path: Path, emulator: Any, iotwireless: Any) -> None:
    """The onboarding steps run through the real CLI as shown, print no key and leave nothing behind."""
    require_built_cli()
    clone = clone_of_checkout(tmp_path / "clone")
    run = run_walkthrough(onboarding_walkthrough(), clone, tmp_path, emulator.url)
    assert run.app_server_keys and run.device_keys
    assert all(re.fullmatch(r"[0-9a-f]{64}", key) for key in run.app_server_keys | run.device_keys)
    assert_no_key(run.printed, *run.app_server_keys, *run.device_keys)
    # The provisioning files were written for the owner alone, folders and files.
    assert run.modes and all(
        mode == (0o700 if not path.endswith(".json") else 0o600) for path, mode in run.modes.items()
    ), run.modes
    assert sorted(p for p in run.modes if p.endswith(".json")) == [
        f"{PROVISIONING}/sensor-{n}/{name}"
        for n in (1, 2)
        for name in (DEVICE_PROFILE_FILE, WIRELESS_DEVICE_FILE)
    ]
    # The last step leaves no stack, no file with a key, and the emulator as it was.
    assert not list(clone.glob("Pulumi.devices.yaml"))
    assert not (clone / ".pulumi-offline").exists() and not (clone / PROVISIONING).exists()
    assert iotwireless.list_wireless_devices()["WirelessDeviceList"] == []
    assert iotwireless.list_device_profiles()["DeviceProfileList"] == []
    assert iotwireless.list_partner_accounts().get("Sidewalk", []) == []
    with pytest.raises(iotwireless.exceptions.ResourceNotFoundException):
        iotwireless.get_destination(Name="sensors-uplinks")


def test_replacement_section_quotes_the_warning_a_delete_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """The warning quoted under "Replacing the association" is the one the provider's delete gives."""
    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, **_: warned.append(message))
    marker = "sidewalk-partner-account/dev/sidewalk#0123456789abcdef"
    _ownership.leave_alone(
        "DisassociateAwsAccountFromPartnerAccount", "Sidewalk account", "<id>", "us-east-1", marker
    )
    [quoted] = re.findall(
        r"`(DisassociateAwsAccountFromPartnerAccount skipped: [^`]*) \.\.\.`",
        section("Replacing the association"),
    )
    assert " ".join(warned[0].split()).startswith(" ".join(quoted.split()))


def test_calls_table_is_what_the_tests_assert() -> None:
    """The README's calls per operation are the sequences tests/operations.py holds and tests assert."""
    rows = {}
    for line in section("Replacing the association").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 2 and cells[0] in ("create", "delete", "replace onto the same association"):
            rows[cells[0]] = cells[1].split(", ")
    assert rows == {
        "create": CREATE_CALLS,
        "delete": DELETE_CALLS,
        "replace onto the same association": [*TAKE_OVER_CALLS, LIST_TAGS],
    }
    assert calls_tables(section("Sidewalk devices: the resources")) == {
        "SidewalkDeviceProfile": {
            "create": PROFILE_CREATE_CALLS,
            "refresh": PROFILE_READ_CALLS,
            "delete": PROFILE_DELETE_CALLS,
            "replace": [*PROFILE_CREATE_CALLS, *PROFILE_DELETE_CALLS],
            "create with adoptExistingId": PROFILE_ADOPT_CALLS,
        },
        "SidewalkDevice": {
            "create": DEVICE_CREATE_CALLS,
            "update in place": DEVICE_UPDATE_CALLS,
            "refresh": DEVICE_READ_CALLS,
            "delete": DEVICE_DELETE_CALLS,
            "replace, new SMSN or region": [*DEVICE_CREATE_CALLS, *DEVICE_DELETE_CALLS],
            "replace, new profile": [*DEVICE_DELETE_CALLS, *DEVICE_CREATE_CALLS],
            "create over a device of its SMSN": DEVICE_TAKE_OVER_CALLS,
        },
        "SidewalkDeviceImportTask": {
            "create, one SMSN": IMPORT_SINGLE_CREATE_CALLS,
            "create, CSV file": IMPORT_CREATE_CALLS,
            "update, new file": IMPORT_UPDATE_CALLS,
            "refresh": IMPORT_READ_CALLS,
            "delete": IMPORT_DELETE_CALLS,
        },
    }


def test_time_table_is_what_the_bench_measured() -> None:
    """The README's `up` ratios over each floor are bench/RESULTS.md's rows."""
    results = (PROJECT_ROOT / "bench" / "RESULTS.md").read_text()

    def measured(size: int, what: str, floor: str) -> str:
        [figure] = re.findall(
            rf"^\| end to end, in pairs \| `pulumi up` {what}, PartnerAccount / {floor}, {size} resources, "
            rf"0 ms, in pairs[^|]*\| ([\d.]+ \(n=\d+ pairs; 95% interval [\d.]+ to [\d.]+)",
            results,
            flags=re.MULTILINE,
        )
        median, low, high = re.findall(r"\d+\.\d+", figure)
        return f"{median} ({low} to {high})" if what == "wall time" else f"CPU {median}"

    rows = {}
    for line in section("Replacing the association").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0].endswith(" resources"):
            rows[int(cells[0].split()[0])] = cells[1:]
    assert rows == {
        size: [
            f"{measured(size, 'wall time', floor)}; {measured(size, 'CPU time', floor)}"
            for floor in ("boto3 floor", "floor keeping its state")
        ]
        for size in (10, 100)
    }


def calls_tables(text: str) -> dict[str, dict[str, list[str]]]:
    """Return each `| <resource> | calls |` table of a text: resource → operation → its calls."""
    tables: dict[str, dict[str, list[str]]] = {}
    rows: dict[str, list[str]] | None = None
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) == 2 and cells[1] == "calls":
            rows = tables.setdefault(cells[0], {})
        elif rows is not None and len(cells) == 2 and not cells[0].startswith("---"):
            rows[cells[0]] = cells[1].split(", ")
        elif not cells:
            rows = None
    return tables


def test_devices_policy_shown_is_the_policy_file() -> None:
    """The IAM policy shown for devices is iam/devices-policy.json."""
    [shown] = re.findall(r"```json\n(.*?)\n *```", section(ONBOARDING_SECTION), flags=re.DOTALL)
    policy = json.loads((PROJECT_ROOT / "iam" / "devices-policy.json").read_text())
    assert json.loads(shown) == policy


def test_import_task_example_names_what_the_component_has() -> None:
    """The import task example imports real names, passes arguments the class takes, reads real outputs."""
    [snippet] = re.findall(r"```python\n(.*?)\n```", section(ONBOARDING_SECTION), flags=re.DOTALL)
    tree = ast.parse(snippet)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            module = importlib.import_module(node.module)
            assert all(hasattr(module, alias.name) for alias in node.names), node.module
    fields = {f.name: f for f in dataclasses.fields(SidewalkDeviceImportTaskArgs)}
    required = {name for name, f in fields.items() if f.default is dataclasses.MISSING}
    calls = [
        (n.func.id, n) for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    ]
    [args] = [call for name, call in calls if name == SidewalkDeviceImportTaskArgs.__name__]
    given = {keyword.arg for keyword in args.keywords}
    assert given <= set(fields) and required <= given, given
    assert [call for name, call in calls if name == SidewalkDeviceImportTask.__name__]
    read = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    assert {"counts", "devices"} <= read
    assert all(hasattr(SidewalkDeviceImportTask, name) for name in ("counts", "devices"))


# "When a device fails to onboard": the device resources' and the fleet's sentences, produced here.

DEVICE_FAILURES = "When a device fails to onboard"
SMSN_SHOWN = "5a" * 32
TASK_ID = "0a1b2c3d-0000-4000-8000-000000000000"
TASK_ARN = f"arn:aws:iotwireless:us-east-1:123456789012:ImportTask/{TASK_ID}"
PROFILE_ARN = f"arn:aws:iotwireless:us-east-1:123456789012:DeviceProfile/{TASK_ID}"
DEVICE_ARN = f"arn:aws:iotwireless:us-east-1:123456789012:WirelessDevice/{TASK_ID}"
REGION = "us-east-1"
OWNER = "sidewalk-partner-account/devices/sensor-1"
ANOTHER_OWNER = "sidewalk-partner-account/devices/sensor-2#0123456789abcdef"
ROLE_ARN = "arn:aws:iam::123456789012:role/sidewalk-destination"
DESTINATION_ARN = "arn:aws:iotwireless:us-east-1:123456789012:Destination/sensors-uplinks"
# Inputs that break the rules every resource shares: tags, region and owner.
SHARED_BAD_INPUTS: list[dict[str, Any]] = [
    {"tags": ["a"], "region": "moon-1", "owner": "no-slashes"},
    {"tags": {"aws:x": "v", OWNER_KEY: "v"}},
]


def stubbed(monkeypatch: pytest.MonkeyPatch) -> Stubber:
    """Make the providers' IoT Wireless client one that answers from a Stubber, activated."""
    client = boto3.client(
        "iotwireless",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="offline",
        aws_secret_access_key="offline",
    )
    monkeypatch.setattr(_aws, "client", lambda region: client)
    stubber = Stubber(client)
    stubber.activate()
    return stubber


def refused(call: Any, *args: Any) -> str:
    """Return the sentence a provider call fails with."""
    with pytest.raises(_aws.PartnerAccountError) as exc:
        call(*args)
    return str(exc.value)


def raising(
    failure: Exception, operation: str, kind: _aws.ResourceKind, resource_id: str = "x", region: str = REGION
) -> None:
    """Raise a boto3 failure inside the translation of a call on a resource of this kind."""
    with _aws.translated(operation, resource_id, region, kind):
        raise failure


def check_reasons(provider: Any, base: dict[str, Any], bad_inputs: list[dict[str, Any]]) -> list[str]:
    """Return every reason a provider's check gives for each bad input over a valid base; None drops a key."""
    reasons = []
    for inputs in bad_inputs:
        news = {k: v for k, v in {**base, **inputs}.items() if v is not None}
        failures = provider.check({}, news).failures
        assert failures, inputs  # Each bad input breaks some rule: a rule that stopped applying shows.
        reasons += [f.reason for f in failures]
    return reasons


def conflict_and_gone(*calls: tuple[_aws.ResourceKind, str]) -> list[str]:
    """Return what AWS's ConflictException and ResourceNotFoundException say on each operation of a kind."""
    messages = []
    for kind, operation in calls:
        for code in (_aws.CONFLICT, _aws.NOT_FOUND):
            failure = ClientError({"Error": {"Code": code, "Message": "AWS's message"}}, operation)
            messages.append(refused(raising, failure, operation, kind))
    return messages


def device_check_reasons() -> list[str]:
    """Return the reasons the checks of the profile, the device and the import task give, every rule hit."""
    profile = check_reasons(
        device_profile.DeviceProfileProvider(),
        {"owner": OWNER},
        [
            {"name": "n" * 257, "adoptExistingId": "", "adoptExisting": "yes", "names": "x"},
            {"name": 5, "adoptExistingId": "i" * 257},
            *SHARED_BAD_INPUTS,
        ],
    )
    device = check_reasons(
        wireless_device.WirelessDeviceProvider(),
        {
            "sidewalkManufacturingSn": SMSN_SHOWN,
            "deviceProfileId": TASK_ID,
            "destinationName": "sensors-uplinks",
            "owner": OWNER,
        },
        [
            {"sidewalkManufacturingSn": None, "deviceProfileId": None, "destinationName": None},
            {"sidewalkManufacturingSn": "", "deviceProfileId": "", "destinationName": "sensors uplinks"},
            {"sidewalkManufacturingSn": "s" * 65, "deviceProfileId": "i" * 257, "destinationName": "d" * 129},
            {"name": "n" * 257, "description": "d" * 2049, "positioning": "On", "adoptExisting": "yes"},
            {"sidewalkManufacturingSn": 5, "deviceName": "sensor-1"},
            *SHARED_BAD_INPUTS,
        ],
    )
    task = check_reasons(
        import_task.ImportTaskProvider(),
        {"sidewalkManufacturingSn": SMSN_SHOWN, "destinationName": "sensors-uplinks", "owner": OWNER},
        [
            {"deviceCreationFile": "s3://bucket/devices.csv"},
            {"sidewalkManufacturingSn": None},
            {"sidewalkManufacturingSn": None, "deviceCreationFile": "s3://bucket/devices.csv"},
            {"role": "arn:aws:iam::123456789012:role/import", "deviceName": ""},
            {"sidewalkManufacturingSn": None, "deviceCreationFile": "devices.csv", "role": "import"},
            {"sidewalkManufacturingSn": None, "deviceCreationFile": "f" * 1025, "role": "r" * 2049},
            {"sidewalkManufacturingSn": None, "deviceCreationFile": "s3://b/k", "role": "", "deviceName": ""},
            {"destinationName": None, "waitTimeoutSeconds": 0, "pollIntervalSeconds": "5", "strict": "yes"},
            {"positioning": "On", "deviceName": "n" * 257, "name": "sensor-1"},
            *SHARED_BAD_INPUTS,
        ],
    )
    return profile + device + task


def task_answer(status: str, pending: int, failed: int) -> dict[str, Any]:
    """Return a GetWirelessDeviceImportTask answer with these counts."""
    return {
        "Id": TASK_ID,
        "Arn": TASK_ARN,
        "Status": status,
        "StatusReason": "the file could not be read" if status == "FAILED" else "",
        "PendingImportedDeviceCount": pending,
        "FailedImportedDeviceCount": failed,
    }


def import_task_messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return what an import task says: no Destination, a failed device, strict, a timeout, FAILED."""
    monkeypatch.setattr(pulumi.log, "info", lambda message, **_: None)
    props: dict[str, Any] = {
        import_task.REGION: "us-east-1",
        import_task.DESTINATION_NAME: "sensors-uplinks",
        import_task.SIDEWALK_MANUFACTURING_SN: SMSN_SHOWN,
        import_task.TAGS: {},
        import_task.WAIT_TIMEOUT_SECONDS: 1.0,
        import_task.POLL_INTERVAL_SECONDS: 1.0,
        import_task.STRICT: True,
        import_task.OWNER: OWNER,
    }
    failed_device = {
        "SidewalkManufacturingSn": SMSN_SHOWN,
        "OnboardingStatus": "FAILED",
        "OnboardingStatusReason": "not in the control log",
    }
    stubber = stubbed(monkeypatch)
    stubber.add_client_error(
        "start_single_wireless_device_import_task", _aws.NOT_FOUND, "Destination not found", 404
    )
    stubber.add_response("get_wireless_device_import_task", task_answer("COMPLETE", 0, 1))
    stubber.add_response(
        "list_devices_for_wireless_device_import_task",
        {"ImportedWirelessDeviceList": [{"Sidewalk": failed_device}]},
    )
    stubber.add_response("get_wireless_device_import_task", task_answer("PENDING", 1, 0))
    stubber.add_response("get_wireless_device_import_task", task_answer("FAILED", 0, 0))
    stubber.add_response("delete_wireless_device_import_task", {})
    messages = [refused(import_task.ImportTaskProvider().create, props)]
    messages += [refused(import_task._wait_and_read, TASK_ID, props) for _ in range(3)]
    stubber.assert_no_pending_responses()
    return messages


def device_messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return what a device's create and update say: no Destination, held elsewhere, another profile."""
    props: dict[str, Any] = {
        wireless_device.SIDEWALK_MANUFACTURING_SN: SMSN_SHOWN,
        wireless_device.REGION: "us-east-1",
        wireless_device.OWNER: OWNER,
        wireless_device.NAME: "sensor-1",
        wireless_device.DESCRIPTION: "",
        wireless_device.DESTINATION_NAME: "sensors-uplinks",
        wireless_device.DEVICE_PROFILE_ID: TASK_ID,
        wireless_device.POSITIONING: "Disabled",
        wireless_device.TAGS: {},
        wireless_device.ADOPT_EXISTING: False,
    }
    by_smsn = {"Identifier": SMSN_SHOWN, "IdentifierType": "SidewalkManufacturingSn"}
    live = {"Id": TASK_ID, "Arn": DEVICE_ARN, "Sidewalk": {"DeviceProfileId": "another-profile"}}
    stubber = stubbed(monkeypatch)
    create = wireless_device.WirelessDeviceProvider().create
    stubber.add_client_error("create_wireless_device", _aws.NOT_FOUND, "Destination not found", 404)
    # A conflict that is not the SMSN's: AWS's own sentence, with the kind's advice.
    stubber.add_client_error("create_wireless_device", _aws.CONFLICT, "in progress", 409)
    stubber.add_client_error("get_wireless_device", _aws.NOT_FOUND, "no such device", 404, None, by_smsn)
    # The SMSN's device, marked by this resource's owner, made on another profile.
    stubber.add_client_error("create_wireless_device", _aws.CONFLICT, "exists", 409)
    stubber.add_response("get_wireless_device", live, by_smsn)
    marker = [{"Key": OWNER_KEY, "Value": f"{OWNER}#0123456789abcdef"}]
    stubber.add_response("list_tags_for_resource", {"Tags": marker})
    stubber.add_client_error("update_wireless_device", _aws.NOT_FOUND, "Destination not found", 404)
    messages = [refused(create, props) for _ in range(3)]
    messages.append(refused(wireless_device._update_device, TASK_ID, "us-east-1", {"DestinationName": "x"}))
    stubber.assert_no_pending_responses()
    held = _ownership.held_error(
        "CreateWirelessDevice",
        wireless_device.WIRELESS_DEVICE.noun,
        SMSN_SHOWN,
        "us-east-1",
        ANOTHER_OWNER,
        wireless_device._TAKE_OVER,
    )
    return [*messages, str(held)]


def profile_messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return what a profile's adoption refuses: an id of no profile, another name, another holder."""
    props: dict[str, Any] = {
        device_profile.NAME: "sensors",
        device_profile.REGION: "us-east-1",
        device_profile.TAGS: {},
        device_profile.OWNER: OWNER,
    }
    by_id = {"Id": TASK_ID}
    stubber = stubbed(monkeypatch)
    stubber.add_client_error("get_device_profile", _aws.NOT_FOUND, "no such profile", 404, None, by_id)
    stubber.add_response("get_device_profile", {"Id": TASK_ID, "Arn": PROFILE_ARN, "Name": "other"}, by_id)
    stubber.add_response("get_device_profile", {"Id": TASK_ID, "Arn": PROFILE_ARN, "Name": "sensors"}, by_id)
    stubber.add_response("list_tags_for_resource", {"Tags": [{"Key": OWNER_KEY, "Value": ANOTHER_OWNER}]})
    messages = [refused(device_profile._adopt, TASK_ID, props, f"{OWNER}#0123456789abcdef") for _ in range(3)]
    stubber.assert_no_pending_responses()
    return messages


def fleet_messages(tmp_path: Path) -> list[str]:
    """Return what the program says of each bad `sidewalk:devices` or `devicesCsv`, and of no Destination."""
    config = pulumi.Config("sidewalk")
    device = {"smsn": SMSN_SHOWN, "name": "sensor-1"}
    csvs = {
        "missing.csv": None,
        "header.csv": "serial,name\n",
        "fields.csv": f"smsn,name\n{SMSN_SHOWN}\n",
        "names.csv": f"smsn,name\n{SMSN_SHOWN},sensor 1\n",
    }
    for name, text in csvs.items():
        if text is not None:
            (tmp_path / name).write_text(text)
    bad: list[tuple[Any, str | None]] = [
        ([device], "devices.csv"),
        ({"smsn": SMSN_SHOWN}, None),
        (["sensor-1"], None),
        ([{**device, "serial": "x"}], None),
        ([{"smsn": SMSN_SHOWN}], None),
        ([{**device, "name": 1}], None),
        ([{**device, "tags": {"team": 1}}], None),
        ([device, {**device, "smsn": "5b" * 32}], None),
        ([device, {**device, "name": "sensor-2"}], None),
        *[(None, str(tmp_path / name)) for name in csvs],
    ]
    messages = []
    for listed, csv_path in bad:
        with pytest.raises(pulumi.RunError) as exc:
            fleet.devices_from_config(config, listed, csv_path)
        messages.append(str(exc.value))
    for named, integration in ((None, False), ("sensors-uplinks", True)):
        with pytest.raises(pulumi.RunError) as exc:
            fleet.device_destination(config, named, integration=integration)
        messages.append(str(exc.value))
    return messages


def device_produced_messages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Return every sentence the device resources and the fleet's config can give, warnings included."""
    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, **_: warned.append(message))
    messages = device_check_reasons() + fleet_messages(tmp_path)
    messages += profile_messages(monkeypatch) + device_messages(monkeypatch)
    messages += import_task_messages(monkeypatch)
    messages += conflict_and_gone(
        (device_profile.DEVICE_PROFILE, "CreateDeviceProfile"),
        (device_profile._PROFILE_IN_USE, "DeleteDeviceProfile"),
        (_tags.tagging(wireless_device.WIRELESS_DEVICE), "TagResource"),
        (import_task.IMPORT_TASK, "StartWirelessDeviceImportTask"),
    )
    _ownership.leave_alone("DeleteDeviceProfile", device_profile.DEVICE_PROFILE.noun, "x", REGION, None)
    _ownership.leave_alone("DeleteWirelessDevice", wireless_device.WIRELESS_DEVICE.noun, "x", REGION, None)
    return messages + warned
