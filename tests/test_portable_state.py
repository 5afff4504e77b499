"""The stored state names the provider class instead of freezing its bytecode, so any laptop can carry on."""

from __future__ import annotations

import base64
import pickletools
import subprocess
import sys
from typing import TYPE_CHECKING

from tests.convergence import associated
from tests.engine import wire
from tests.engine.engine import Engine
from tests.engine.provider import PROJECT_ROOT, merged_env
from tests.support import PASSPHRASE, STACK_AMAZON_ID, Stack, live_tags, partner_account

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

PROVIDER_CLASS = ("providers.partner_account", "PartnerAccountProvider")


def stored_blob(engine: Engine) -> bytes:
    """Return the pickled provider as the checkpoint keeps it, decoded."""
    [state] = engine.resources.values()
    return base64.b64decode(wire.strip(state.outputs["__provider"]))


def globals_of(blob: bytes) -> list[tuple[str, str]]:
    """List every (module, name) a pickle imports when it is loaded."""
    strings: list[str] = []
    found = []
    for opcode, argument, _ in pickletools.genops(blob):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(str(argument))
        elif opcode.name == "STACK_GLOBAL":
            found.append((strings[-2], strings[-1]))
        elif opcode.name in ("GLOBAL", "INST"):
            module, name = str(argument).split(" ", 1)
            found.append((module, name))
    return found


def deployed(engine: Engine, stack: Stack) -> None:
    """Create the program's resource through this process's engine and save the checkpoint."""
    engine.config = dict(stack.config)
    amazon_id, tags = stack.config["sidewalk:amazonId"], stack.config["sidewalk:tags"]
    engine.up([partner_account("sidewalk", amazonId=amazon_id, tags=tags)], skip_preview=True)
    engine.save(stack.directory / "state.json", PASSPHRASE)


def test_stored_provider_is_a_reference_to_the_importable_class(engine: Engine) -> None:
    """The stored provider imports only its class: no bytecode, no dill, under 1 KiB."""
    engine.up([partner_account()], skip_preview=True)
    blob = stored_blob(engine)
    assert len(blob) < 1024
    assert globals_of(blob) == [PROVIDER_CLASS]
    assert not any(op.name in ("REDUCE", "BUILD") for op, _, _ in pickletools.genops(blob))


def test_stored_provider_loads_with_plain_pickle_in_a_fresh_process(engine: Engine) -> None:
    """A fresh interpreter restores the stored provider with the standard pickle module alone."""
    engine.up([partner_account()], skip_preview=True)
    loader = (
        "import base64, pickle, sys; "
        "provider = pickle.loads(base64.b64decode(sys.stdin.read())); "
        "print(type(provider).__module__, type(provider).__qualname__)"
    )
    process = subprocess.run(
        [sys.executable, "-c", loader],
        input=base64.b64encode(stored_blob(engine)).decode(),
        cwd=PROJECT_ROOT,
        env=merged_env({}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.split() == list(PROVIDER_CLASS)


def test_saved_checkpoint_is_destroyed_from_a_fresh_process(
    engine: Engine, stack: Stack, iotwireless: IoTWirelessClient
) -> None:
    """A checkpoint saved here is destroyed by a new process that only reads the stack's files."""
    deployed(engine, stack)
    assert associated(iotwireless) == [STACK_AMAZON_ID]
    run = stack.run("destroy")
    assert run.returncode == 0, run.stderr
    assert run.ops() == [("delete", "sidewalk")]
    assert associated(iotwireless) == []
    assert stack.state()["resources"] == []


def test_saved_checkpoint_is_updated_from_a_fresh_process(
    engine: Engine, stack: Stack, iotwireless: IoTWirelessClient
) -> None:
    """A checkpoint saved here is updated in place by the program run in a new process."""
    deployed(engine, stack)
    stack.set_config("sidewalk:tags", {"team": "radio"})
    run = stack.run("up")
    assert run.returncode == 0, run.stderr
    assert [(s["op"], s["diffs"]) for s in run.steps] == [("update", ["tags"])]
    arn = run.outputs["partnerAccountArn"]
    assert live_tags(iotwireless, arn) == {"team": "radio"}
