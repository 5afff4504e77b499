"""Another stack reads this one's outputs through `pulumi.StackReference`, on the same file backend.

Two consumers: tests/cli/consumer, which runs in this project's own virtualenv, and the README's
examples/consumer, run as its section documents, with the virtualenv `pulumi install` makes for it.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.project import PROGRAM_FILES, PulumiProject
from tests.conftest import REGION
from tests.engine.provider import PROJECT_ROOT
from tests.support import KEY, OTHER_KEY, STACK_AMAZON_ID

# The consumer program: a project of its own, which makes no resource and re-exports what it reads.
CONSUMER_PROGRAM = Path(__file__).parent / "consumer"
# A file backend has no organizations; every stack is named organization/<project>/<stack>.
PRODUCER_STACK = "organization/sidewalk-partner-account/dev"
READ_OUTPUTS = ("partnerAccountArn", "fingerprint", "amazonId", "region")


def consumer_of(make_project: Callable[..., PulumiProject], producer: PulumiProject) -> PulumiProject:
    """Return a new stack of the consumer program on the producer's backend, reading its stack."""
    consumer = make_project(PULUMI_BACKEND_URL=f"file://{producer.backend}", PULUMI_HOME=str(producer.home))
    consumer.use_program(CONSUMER_PROGRAM).init()
    consumer.config_set("producer", PRODUCER_STACK)
    return consumer


def test_consumer_reads_the_producer_outputs_through_a_stack_reference(
    deployed: PulumiProject, make_project: Callable[..., PulumiProject]
) -> None:
    """A consumer stack's StackReference outputs equal the deployed producer's stack outputs."""
    produced = deployed.outputs()
    consumer = consumer_of(make_project, deployed)
    consumer.run("up", "--yes", "--skip-preview")
    assert consumer.outputs() == {name: produced[name] for name in READ_OUTPUTS}


def test_consumer_sees_the_new_fingerprint_after_a_key_rotation(
    deployed: PulumiProject, make_project: Callable[..., PulumiProject]
) -> None:
    """After the producer rotates its key, the consumer's next `pulumi up` reads the new fingerprint."""
    consumer = consumer_of(make_project, deployed)
    consumer.run("up", "--yes", "--skip-preview")
    old_fingerprint = consumer.outputs()["fingerprint"]
    deployed.config_set("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True)
    deployed.run("up", "--yes", "--skip-preview")
    new_fingerprint = deployed.outputs()["fingerprint"]
    consumer.run("up", "--yes", "--skip-preview")
    assert new_fingerprint != old_fingerprint
    assert consumer.outputs()["fingerprint"] == new_fingerprint


# The README's example, as "Consuming the outputs from another stack" says to run it.

EXAMPLE = PROJECT_ROOT / "examples" / "consumer"
README = PROJECT_ROOT / "README.md"
EXAMPLE_SECTION = "## Consuming the outputs from another stack"


def documented_commands() -> list[list[str]]:
    """Return the commands of the section's console block that follow `cd examples/consumer`, as words."""
    text = README.read_text().split(EXAMPLE_SECTION, 1)[1].split("\n## ", 1)[0]
    [block] = [
        b for b in re.findall(r"```console\n(.*?)\n```", text, flags=re.DOTALL) if "cd examples/consumer" in b
    ]
    lines = block.splitlines()
    assert lines[0] == "cd examples/consumer"
    return [shlex.split(line) for line in lines[1:]]


# A `pulumi install` from PyPI, then two projects' commands: minutes on a busy machine.
@pytest.mark.timeout(900)
@pytest.mark.long
def test_example_consumer_runs_through_the_cli_as_the_readme_documents(
    make_project: Callable[..., PulumiProject],
) -> None:
    """examples/consumer, in a copy without a venv, runs the README's commands and reads the producer."""
    commands = documented_commands()
    [stack] = [words[3] for words in commands if words[:3] == ["pulumi", "stack", "init"]]
    producer = make_project().init(stack)
    producer.config_set("aws:region", REGION)
    producer.config_set("sidewalk:amazonId", STACK_AMAZON_ID)
    producer.config_set("sidewalk:appServerPrivateKey", KEY, secret=True)
    producer.run("up", "--yes", "--skip-preview")
    consumer = make_project(PULUMI_BACKEND_URL=f"file://{producer.backend}", PULUMI_HOME=str(producer.home))
    # A copy of the example alone, as in a fresh clone: none of this project's links, no venv.
    for name in PROGRAM_FILES:
        (consumer.directory / name).unlink()
    shutil.copytree(
        EXAMPLE,
        consumer.directory,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("venv", "Pulumi.*.yaml", "__pycache__"),
    )
    for words in commands:
        assert words[0] == "pulumi", words
        # Without a terminal, `up` asks for its confirmation as --yes.
        consumer.run(*words[1:], *(["--yes"] if words[1] == "up" else []))
    venv = consumer.directory / "venv"
    assert (venv / "bin" / "python").is_file() and not venv.is_symlink()
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "show", "pulumi-aws"], capture_output=True, check=False
    )
    assert installed.returncode != 0, "the example needs no resource provider"
    produced = producer.outputs()
    assert consumer.outputs() == {
        name: produced[name] for name in ("partnerAccountArn", "fingerprint", "amazonId")
    }
