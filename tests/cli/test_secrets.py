"""The private key through the real CLI: in no file, output or log, only Pulumi's secret ciphertext.

Where the CLI writes (pulumi v3.274.1, found by running it):

- `-v=N` writes a log file to $TMPDIR (Go's os.TempDir, /tmp when unset), named
  pulumi.<host>.<user>.log.INFO.<date>-<time>.<pid>, and says so on stderr: "The log file for this
  run is at <path>". `--logtostderr` sends the same lines to stderr instead; `--logflow` passes the
  level to the plugins. At -v=9 the log prints each resource's inputs, a secret as {[secret]}.
- Every command, with or without -v, writes an "automatic log" to $PULUMI_HOME/logs: JSON lines,
  gzip-compressed (pulumi-<time>-<pid>-<command>.log) until the stack's secrets manager is known,
  then encrypted under it in the PLOG format (<org>+<project>+<stack>-<time>.log). Property values
  sit in those lines as base64 of the magic "pulumiPv" and a protobuf Value; `pulumi logs decrypt`
  prints them so, undecoded.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from google.protobuf import json_format, struct_pb2

from tests.cli.project import CliRun, PulumiProject
from tests.cli.test_devices import devices, private_key_values, with_device  # noqa: F401 (fixtures)
from tests.emulator import Emulator
from tests.support import KEY, OTHER_KEY, PARTNER_ACCOUNT_TYPE, assert_no_key

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

KEY_PROPERTY = "appServerPrivateKey"
# Pulumi's signature key, and its value for a secret, in state, exports, events and logs.
SIGNATURE = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
MASKED = {SIGNATURE: SECRET_SIGNATURE, "ciphertext": "[secret]"}
LOG_FILE_NOTICE = re.compile(r"The log file for this run is at (\S+)")
GZIP_MAGIC = b"\x1f\x8b"
PLOG_MAGIC = b"PLOG"
PROPERTY_VALUE_MAGIC = b"pulumiPv"
LOGGED_PROPERTY_VALUE = re.compile(r"cHVsdW1pUHY[A-Za-z0-9+/]*={0,2}")


def use_log_dir(project: PulumiProject) -> Path:
    """Return a new TMPDIR for the project's later commands, where `-v` writes the CLI's log files."""
    directory = project.directory / "tmp"
    directory.mkdir()
    project.env["TMPDIR"] = str(directory)
    return directory


@pytest.fixture
def log_dir(project: PulumiProject) -> Path:
    """Return the TMPDIR of the project's later commands, where `-v` writes the CLI's log files."""
    return use_log_dir(project)


def logged_property_value(blob: str) -> Any:
    """Return the property value an automatic log holds as base64 of "pulumiPv" and a protobuf Value."""
    raw = base64.b64decode(blob + "=" * (-len(blob) % 4))
    assert raw.startswith(PROPERTY_VALUE_MAGIC)
    return json_format.MessageToDict(struct_pb2.Value.FromString(raw[len(PROPERTY_VALUE_MAGIC) :]))


def readable(data: bytes) -> str:
    """Return a file as a person could read it: gzip undone, logged property values decoded."""
    if data.startswith(GZIP_MAGIC):
        data = gzip.decompress(data)
    text = data.decode(errors="replace")
    values = [json.dumps(logged_property_value(b)) for b in LOGGED_PROPERTY_VALUE.findall(text)]
    return "\n".join([text, *values])


def files(folder: Path) -> dict[str, str]:
    """Return every file under a folder, by path, as readable text."""
    return {str(path): readable(path.read_bytes()) for path in sorted(folder.rglob("*")) if path.is_file()}


def leaking(artefacts: dict[str, str], keys: Sequence[str] = (KEY, OTHER_KEY)) -> list[str]:
    """Return the names of the artefacts that hold one of the keys (KEY, OTHER_KEY by default), any case."""
    found = []
    for name, text in artefacts.items():
        try:
            assert_no_key(text, *keys)
        except AssertionError:
            found.append(name)
    return found


def json_documents(text: str) -> list[Any]:
    """Return each JSON document of a text in order: `up --json` prints the preview, then event lines."""
    decoder, documents, index = json.JSONDecoder(), [], 0
    text = text.strip()
    while index < len(text):
        document, index = decoder.raw_decode(text, index)
        documents.append(document)
        while index < len(text) and text[index].isspace():
            index += 1
    return documents


def key_places(value: Any, path: str = "", secret: bool = False) -> Iterator[str]:
    """Name each place a key sits in a logged value, "(secret)" marking it inside a secret envelope."""
    if isinstance(value, dict):
        secret = secret or value.get(SIGNATURE) == SECRET_SIGNATURE
        for name, item in value.items():
            yield from key_places(item, f"{path}/{name}", secret)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from key_places(item, f"{path}/{index}", secret)
    elif isinstance(value, str) and KEY.lower() in value.lower():
        yield f"{path} (secret)" if secret else path


def account(export: dict[str, Any]) -> dict[str, Any]:
    """Return the PartnerAccount of an exported deployment."""
    [resource] = [r for r in export["deployment"]["resources"] if r["type"] == PARTNER_ACCOUNT_TYPE]
    return resource


def test_lifecycle_leaves_the_key_in_no_file_output_or_log(
    project: PulumiProject, emulator: Emulator, log_dir: Path
) -> None:
    """Up, rotation, preview, refresh, export and destroy leave neither key in any artefact."""
    runs: list[CliRun] = []

    def run(*args: str, stdin: str | None = None) -> CliRun:
        runs.append(project.run(*args, stdin=stdin))
        return runs[-1]

    created = run("up", "--yes", "--json", "-v=9", "--logflow")
    run("config", "set", "--secret", "sidewalk:appServerPrivateKey", stdin=OTHER_KEY)
    run("preview", "--json")
    rotated = run("up", "--yes", "--json", "-v=9", "--logflow", "--logtostderr")
    run("refresh", "--yes")
    run("stack", "export")
    run("destroy", "--yes")

    # The sweep has something to find: the rotation sent OTHER_KEY to AWS, the logs print inputs,
    # and the event stream carries the resource's outputs with the key masked.
    assert "UpdatePartnerAccount" in emulator.calls()
    [log_file] = LOG_FILE_NOTICE.findall(created.stderr)
    assert Path(log_file).parent == log_dir
    assert f"{KEY_PROPERTY}:{{[secret]}}" in Path(log_file).read_text()
    assert f"{KEY_PROPERTY}:{{[secret]}}" in rotated.stderr
    events = [d for d in json_documents(rotated.stdout)[1:] if "resOutputsEvent" in d]
    outputs = [e["resOutputsEvent"]["metadata"]["new"]["outputs"] for e in events]
    assert MASKED in [o.get(KEY_PROPERTY) for o in outputs]
    assert list((project.home / "logs").glob("organization+*.log"))

    artefacts = {
        **{f"pulumi {' '.join(r.args)}: stdout": r.stdout for r in runs},
        **{f"pulumi {' '.join(r.args)}: stderr": r.stderr for r in runs},
        "emulator log": json.dumps(emulator.log),
        **files(project.backend),
        **files(project.home),
        **files(log_dir),
        "Pulumi.dev.yaml": (project.directory / "Pulumi.dev.yaml").read_text(),
    }
    checkpoint = project.backend / ".pulumi" / "stacks" / "sidewalk-partner-account" / "dev.json"
    assert {log_file, str(checkpoint)} <= set(artefacts)
    assert leaking(artefacts) == []


def test_export_holds_the_key_as_a_secret_ciphertext_envelope(deployed: PulumiProject) -> None:
    """`pulumi stack export` keeps appServerPrivateKey, input and output, only as Pulumi ciphertext."""
    exported = deployed.run("stack", "export")
    resource = account(exported.json())
    for properties in (resource["inputs"], resource["outputs"]):
        envelope = properties[KEY_PROPERTY]
        assert set(envelope) == {SIGNATURE, "ciphertext"}
        assert envelope[SIGNATURE] == SECRET_SIGNATURE
        # The passphrase secrets manager's form: v1:<nonce>:<ciphertext>.
        assert re.fullmatch(r"v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+", envelope["ciphertext"])
    assert leaking({"stack export": exported.stdout}) == []


def test_export_with_show_secrets_reveals_the_key(deployed: PulumiProject) -> None:
    """`pulumi stack export --show-secrets` holds the key in plaintext, so the sweep can find it."""
    revealed = deployed.run("stack", "export", "--show-secrets")
    outputs = account(revealed.json())["outputs"]
    assert outputs[KEY_PROPERTY] == {SIGNATURE: SECRET_SIGNATURE, "plaintext": json.dumps(KEY)}
    assert leaking({"stack export --show-secrets": revealed.stdout}) == ["stack export --show-secrets"]


def test_decrypted_automatic_logs_show_the_key_only_inside_secret_envelopes(project: PulumiProject) -> None:
    """`pulumi logs decrypt` reveals the key too, always inside a value marked secret."""
    project.run("up", "--yes", "--skip-preview")
    logs = sorted((project.home / "logs").iterdir())
    encrypted = [path for path in logs if path.read_bytes().startswith(PLOG_MAGIC)]
    decrypted = [project.run("logs", "decrypt", str(path)).stdout for path in encrypted]
    values = [logged_property_value(b) for text in decrypted for b in LOGGED_PROPERTY_VALUE.findall(text)]
    places = [place for value in values for place in key_places(value)]
    assert places
    assert [place for place in places if not place.endswith(" (secret)")] == []
    assert leaking({"logs decrypt": LOGGED_PROPERTY_VALUE.sub("", "\n".join(decrypted))}) == []


def test_device_lifecycle_leaves_its_private_keys_in_no_file_output_or_log(
    with_device: PulumiProject,  # noqa: F811 (fixture)
    emulator: Emulator,
    iotwireless: IoTWirelessClient,
) -> None:
    """A device's up, update, failed update, refresh, outputs, export and destroy leak no private key."""
    project = with_device
    log_dir = use_log_dir(project)
    runs: list[CliRun] = []

    def run(*args: str, check: bool = True) -> CliRun:
        runs.append(project.run(*args, check=check))
        return runs[-1]

    created = run("up", "--yes", "--json", "-v=9", "--logflow")
    # The values AWS generated for this device, as a person with access to it would read them.
    keys = private_key_values(iotwireless)
    assert len(keys) == 2
    project.config_set("devices:description", "in the lab")
    run("preview", "--diff")
    emulator.faults.fail_fraction(1.0, code="InternalServerException")
    failed = run("up", "--yes", "--diff", "-v=9", "--logflow", "--logtostderr", check=False)
    emulator.faults.clear()
    assert failed.returncode != 0
    assert "InternalServerException" in failed.output
    run("up", "--yes", "--diff", "-v=9", "--logflow", "--logtostderr")
    run("refresh", "--yes", "--diff")
    run("stack", "output", "--json")
    run("stack", "output", "privateKeys")
    run("stack", "export")
    run("stack", "history", "--json")
    # The sweep has something to find: --show-secrets reveals the very values sought.
    revealed = project.run("stack", "output", "--json", "--show-secrets")
    assert leaking({"stack output --show-secrets": revealed.stdout}, keys) == ["stack output --show-secrets"]
    run("destroy", "--yes")

    assert "UpdateWirelessDevice" in emulator.calls()
    [log_file] = LOG_FILE_NOTICE.findall(created.stderr)
    assert Path(log_file).parent == log_dir
    events = [d for d in json_documents(created.stdout)[1:] if "resOutputsEvent" in d]
    outputs = [e["resOutputsEvent"]["metadata"]["new"]["outputs"] for e in events]
    assert MASKED in [o.get("privateKeys") for o in outputs]
    assert list((project.home / "logs").glob("organization+*.log"))
    artefacts = {
        **{f"pulumi {' '.join(r.args)}: stdout": r.stdout for r in runs},
        **{f"pulumi {' '.join(r.args)}: stderr": r.stderr for r in runs},
        **files(project.backend),
        **files(project.home),
        **files(log_dir),
        "Pulumi.dev.yaml": (project.directory / "Pulumi.dev.yaml").read_text(),
    }
    checkpoint = project.backend / ".pulumi" / "stacks" / "sidewalk-devices" / "dev.json"
    assert {log_file, str(checkpoint)} <= set(artefacts)
    assert leaking(artefacts, keys) == []
