"""Another stack reads this one's outputs through `pulumi.StackReference`, on the same file backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.cli.project import PulumiProject
from tests.support import OTHER_KEY

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
    project: PulumiProject, make_project: Callable[..., PulumiProject]
) -> None:
    """A consumer stack's StackReference outputs equal the deployed producer's stack outputs."""
    project.run("up", "--yes")
    produced = project.outputs()
    consumer = consumer_of(make_project, project)
    consumer.run("up", "--yes")
    assert consumer.outputs() == {name: produced[name] for name in READ_OUTPUTS}


def test_consumer_sees_the_new_fingerprint_after_a_key_rotation(
    project: PulumiProject, make_project: Callable[..., PulumiProject]
) -> None:
    """After the producer rotates its key, the consumer's next `pulumi up` reads the new fingerprint."""
    project.run("up", "--yes")
    consumer = consumer_of(make_project, project)
    consumer.run("up", "--yes")
    old_fingerprint = consumer.outputs()["fingerprint"]
    project.config_set("sidewalk:appServerPrivateKey", OTHER_KEY, secret=True)
    project.run("up", "--yes")
    new_fingerprint = project.outputs()["fingerprint"]
    consumer.run("up", "--yes")
    assert new_fingerprint != old_fingerprint
    assert consumer.outputs()["fingerprint"] == new_fingerprint
