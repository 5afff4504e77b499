"""The real program, `pulumi up`-ed through the harness's CLI against the emulator."""

from __future__ import annotations

import json
from typing import Any

from tests.engine import wire
from tests.support import KEY, OTHER_KEY, STACK_AMAZON_ID, Stack, assert_no_key

STACK_OUTPUTS = {"partnerAccountArn", "amazonId", "fingerprint", "accountLinked", "region"}


def sweep(stack: Stack, run: Any, *keys: str) -> None:
    """Assert that no artefact of a run holds the key: state, outputs, errors, provider output."""
    result = (stack.directory / "result.json").read_text()
    for text in (stack.state_text(), result, run.provider_output, run.stderr):
        assert_no_key(text, *(keys or (KEY,)))


def test_program_lifecycle_up_update_refresh_destroy(stack: Stack, emulator: Any, iotwireless: Any) -> None:
    """The program creates, updates tags, rotates the key, refreshes and destroys one association."""
    preview = stack.run("preview")
    assert preview.returncode == 0, preview.stderr
    assert preview.ops() == [("create", "sidewalk")]
    assert emulator.calls() == []

    up = stack.run("up")
    assert up.returncode == 0, up.stderr
    assert up.ops() == [("create", "sidewalk")]
    assert set(up.outputs) == STACK_OUTPUTS
    assert up.outputs["amazonId"] == STACK_AMAZON_ID
    assert up.outputs["partnerAccountArn"].endswith(f":SidewalkAccount/{STACK_AMAZON_ID}")
    assert up.outputs["accountLinked"] is False
    assert up.outputs["region"] == "us-east-1"
    assert not any(isinstance(v, wire.Secret) for v in up.outputs.values())
    sweep(stack, up)

    emulator.clear_log()
    same = stack.run("up")
    assert same.ops() == [("same", "sidewalk")]
    assert emulator.calls() == []

    stack.set_config("sidewalk:tags", {"team": "iot", "env": "dev"})
    stack.set_config("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True)
    updated = stack.run("up")
    assert updated.returncode == 0, updated.stderr
    assert [(s["op"], s["diffs"]) for s in updated.steps] == [
        ("update", ["appServerPrivateKey", "appServerPrivateKeyDigest", "tags"])
    ]
    assert updated.outputs["fingerprint"] != up.outputs["fingerprint"]
    sweep(stack, updated, KEY, OTHER_KEY)

    refreshed = stack.run("refresh")
    assert refreshed.returncode == 0, refreshed.stderr
    assert refreshed.ops() == [("refresh", "sidewalk")]

    destroyed = stack.run("destroy")
    assert destroyed.returncode == 0, destroyed.stderr
    assert iotwireless.list_partner_accounts()["Sidewalk"] == []
    assert stack.state()["resources"] == []


def test_program_state_keeps_the_key_only_as_ciphertext(stack: Stack) -> None:
    """The checkpoint holds the key only under appServerPrivateKey, and only as ciphertext."""
    assert stack.run("up").returncode == 0
    raw = json.loads(stack.state_text())
    [resource] = raw["resources"]
    assert resource["outputs"]["appServerPrivateKey"][wire.SIG_KEY] == wire.SECRET_SIG
    assert resource["inputs"]["appServerPrivateKey"][wire.SIG_KEY] == wire.SECRET_SIG
    decrypted = stack.state()["resources"][0]
    assert decrypted["outputs"]["appServerPrivateKey"] == wire.Secret(KEY)
    assert_no_key(stack.state_text())


def test_program_missing_amazon_id_fails_clearly(stack: Stack, emulator: Any) -> None:
    """Without sidewalk:amazonId the program stops with a message naming the key, and calls nothing."""
    del stack.config["sidewalk:amazonId"]
    stack.set_config("aws:region", "us-east-1")
    run = stack.run("preview")
    assert run.returncode == 1
    assert "sidewalk:amazonId" in (run.error or "")
    assert emulator.calls() == []
