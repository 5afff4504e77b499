"""The policy pack in policy/, run as a reviewer runs it: `pulumi preview --policy-pack policy`.

The real CLI starts the pack through our language host's RunPlugin. The IAM rule is the exception:
it judges pulumi-aws resources, which no preview here can hold (the aws resource plugin cannot be
built from the Go module proxy, and the preview of an integration stack fails for want of it), so
its tests start the pack the way RunPlugin does and call it over gRPC as the engine would, with the
resources the real SidewalkIntegration registers under Pulumi's mocks.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
import pulumi
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks, proto, settings
from pulumi.runtime.proto import analyzer_pb2_grpc

from components.partner_account import PartnerAccountArgs
from components.sidewalk import InvokeLambda, Republish, SidewalkIntegration, SidewalkIntegrationArgs
from tests.cli.project import CliRun, PulumiProject
from tests.engine.provider import PROJECT_ROOT
from tests.support import (
    DEVICE_PROFILE_TYPE,
    KEY,
    OTHER_KEY,
    PARTNER_ACCOUNT_TYPE,
    SMSN,
    STACK_AMAZON_ID,
    WIRELESS_DEVICE_TYPE,
)

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

PACK = "policy"
PACK_NAME = "sidewalk-policies@v0.1.0"
REGION_RULE = "sidewalk-region"
TAGS_RULE = "required-tags"
PUBLISH_RULE = "iot-publish-on-rule-topics"
ADOPT_RULE = "adopt-existing-off-after-adoption"
DESTINATION_RULE = "device-destination-in-stack"
EVERY_RULE = {REGION_RULE, TAGS_RULE, PUBLISH_RULE, ADOPT_RULE, DESTINATION_RULE}
DEVICES_PROGRAM = PROJECT_ROOT / "tests" / "cli" / "programs" / "devices"
# What `pulumi preview` exits with when it fails, a mandatory policy violation included.
PREVIEW_FAILED = 1
ACCOUNT_ID = "123456789012"
IOT_ARN = f"arn:aws:iot:us-east-1:{ACCOUNT_ID}"
DESTINATION_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/sidewalk-destination"
ROLE_TYPE = "aws:iam/role:Role"
ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy"
RULE_TYPE = "aws:iot/topicRule:TopicRule"
TOPIC = "sidewalk/uplinks"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:decode-uplinks"


@pytest.fixture
def stack(make_project: Callable[..., PulumiProject]) -> PulumiProject:
    """Return a configured, undeployed stack with the pack beside the program, as in a checkout."""
    # `pulumi preview --json` leaves policy results out of its one document; streamed events keep them.
    stack = make_project(PULUMI_ENABLE_STREAMING_JSON_PREVIEW="true").init()
    (stack.directory / PACK).symlink_to(PROJECT_ROOT / PACK)
    stack.config_set("aws:region", "us-east-1")
    stack.config_set("sidewalk:amazonId", STACK_AMAZON_ID)
    stack.config_set("sidewalk:appServerPrivateKey", KEY, secret=True)
    stack.config_set("sidewalk:tags", {"team": "iot"})
    return stack


def preview(stack: PulumiProject, *flags: str, pack_config: dict[str, Any] | None = None) -> CliRun:
    """Run `pulumi preview --policy-pack policy`, with a `--policy-pack-config` file when given one."""
    if pack_config is not None:
        path = stack.directory / "policy-config.json"
        path.write_text(json.dumps(pack_config))
        flags = (*flags, "--policy-pack-config", path.name)
    return stack.run("preview", "--policy-pack", PACK, *flags, check=False)


def advisory_preview(stack: PulumiProject, rule: str, resource: str) -> str:
    """Run a preview that must pass with rule's advisory warning on resource ("TYPE: name"); return stdout."""
    run = preview(stack)
    assert run.returncode == 0, run.output
    assert f"[advisory]  {rule}  ({resource})" in run.stdout
    return run.stdout


@dataclass
class PolicyResults:
    """The policy events of one `pulumi preview --json`: which rules passed, which were violated."""

    returncode: int
    passed: set[str]
    violations: list[dict[str, Any]]


def policy_results(
    stack: PulumiProject, *flags: str, pack_config: dict[str, Any] | None = None
) -> PolicyResults:
    """Return the policy results of a preview, from its streamed JSON events."""
    run = preview(stack, "--json", *flags, pack_config=pack_config)
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    summaries = ("policyAnalyzeSummaryEvent", "policyAnalyzeStackSummaryEvent")
    passed = {name for event in events for key in summaries for name in event.get(key, {}).get("passed", [])}
    violations = [event["policyEvent"] for event in events if "policyEvent" in event]
    return PolicyResults(run.returncode, passed, violations)


def test_a_compliant_stack_passes_every_rule(stack: PulumiProject) -> None:
    """A stack in us-east-1 with the required tags and no adoption passes every rule of the pack."""
    results = policy_results(stack, pack_config={TAGS_RULE: {"requiredTags": ["team"]}})
    assert (results.returncode, results.violations) == (0, [])
    assert results.passed == EVERY_RULE
    run = preview(stack)
    assert run.returncode == 0, run.output
    assert PACK_NAME in run.stdout
    assert "[mandatory]" not in run.output and "[advisory]" not in run.output


def test_a_region_where_sidewalk_is_not_served_fails_the_preview(stack: PulumiProject) -> None:
    """An association in eu-west-1 is a mandatory violation that says which region to set."""
    stack.config_set("aws:region", "eu-west-1")
    run = preview(stack)
    assert run.returncode == PREVIEW_FAILED, run.output
    assert f"[mandatory]  {REGION_RULE}  ({PARTNER_ACCOUNT_TYPE}: sidewalk)" in run.stdout
    assert (
        "PartnerAccount sidewalk is in eu-west-1, where AWS does not serve Amazon Sidewalk (it answers "
        "AccessDeniedException): set aws:region to us-east-1 (`pulumi config set aws:region us-east-1`)"
    ) in run.stdout


@pytest.mark.parametrize(
    ("tags", "required", "missing"),
    [
        pytest.param({"team": "iot"}, ["team", "owner"], "owner", id="configured-tag-absent"),
        pytest.param({"team": "iot", "owner": ""}, ["team", "owner"], "owner", id="configured-tag-empty"),
        pytest.param(None, None, "team", id="default-team-absent"),
    ],
)
def test_a_missing_or_empty_required_tag_fails_the_preview(
    stack: PulumiProject, tags: dict[str, str] | None, required: list[str] | None, missing: str
) -> None:
    """A required tag that is absent or empty is a mandatory violation naming the tag and how to set it."""
    if tags is None:
        stack.config_rm("sidewalk:tags")
    else:
        stack.config_set("sidewalk:tags", tags)
    run = preview(stack, pack_config=None if required is None else {TAGS_RULE: {"requiredTags": required}})
    assert run.returncode == PREVIEW_FAILED, run.output
    assert f"[mandatory]  {TAGS_RULE}  ({PARTNER_ACCOUNT_TYPE}: sidewalk)" in run.stdout
    assert (
        f"sidewalk ({PARTNER_ACCOUNT_TYPE}) is missing these tags or has them empty: {missing}. Set them in "
        f"sidewalk:tags, which every resource of the stack takes its tags from: "
        f"`pulumi config set --path sidewalk:tags.{missing} <value>`."
    ) in run.stdout


def test_the_example_config_passes_only_with_team_and_environment(stack: PulumiProject) -> None:
    """With policy/config.json, tags team and environment pass the rule; team alone does not."""
    example = ("--policy-pack-config", f"{PACK}/config.json")
    without = policy_results(stack, *example)
    assert without.returncode == PREVIEW_FAILED
    [violation] = without.violations
    assert (violation["policyName"], violation["enforcementLevel"]) == (TAGS_RULE, "mandatory")
    assert "is missing these tags or has them empty: environment." in violation["message"]
    stack.config_set("sidewalk:tags", {"team": "iot", "environment": "dev"})
    results = policy_results(stack, *example)
    assert (results.returncode, results.violations) == (0, [])
    assert TAGS_RULE in results.passed


@pytest.fixture
def adopted(stack: PulumiProject, iotwireless: IoTWirelessClient) -> PulumiProject:
    """Return the stack after a `pulumi up` that adopted an association made outside Pulumi."""
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": STACK_AMAZON_ID, "AppServerPrivateKey": OTHER_KEY}
    )
    stack.config_set("sidewalk:adoptExisting", True)
    before = policy_results(stack)
    # Before the update there is nothing to warn about: the association is not the stack's yet.
    assert (before.returncode, before.violations) == (0, [])
    assert ADOPT_RULE in before.passed
    up = stack.run("up", "--yes", "--skip-preview", "--policy-pack", PACK)
    assert f"[advisory]  {ADOPT_RULE}" in up.stdout
    return stack


def test_adopt_existing_left_on_after_adoption_warns_without_failing(adopted: PulumiProject) -> None:
    """Once the stack holds the association, adoptExisting still on is an advisory warning; exit 0."""
    stdout = advisory_preview(adopted, ADOPT_RULE, f"{PARTNER_ACCOUNT_TYPE}: sidewalk")
    assert (
        "is managed by this stack and sidewalk:adoptExisting is still true: "
        "run `pulumi config set sidewalk:adoptExisting false`"
    ) in stdout


def test_adopt_existing_turned_off_after_adoption_passes(adopted: PulumiProject) -> None:
    """Turning adoptExisting off clears the warning at once, although the state still records it on."""
    adopted.config_set("sidewalk:adoptExisting", False)
    results = policy_results(adopted)
    assert (results.returncode, results.violations) == (0, [])
    assert ADOPT_RULE in results.passed


@pytest.fixture
def devices(make_project: Callable[..., PulumiProject]) -> PulumiProject:
    """Return an undeployed stack of the devices probe program (a tagged profile and device), pack beside."""
    stack = make_project(PULUMI_ENABLE_STREAMING_JSON_PREVIEW="true").copy_program(DEVICES_PROGRAM).init()
    (stack.directory / PACK).symlink_to(PROJECT_ROOT / PACK)
    stack.config_set("aws:region", "us-east-1")
    stack.config_set("devices:smsn", SMSN)
    stack.config_set("devices:destinationName", "uplinks")
    stack.config_set("devices:destinationRoleArn", DESTINATION_ROLE_ARN)
    stack.config_set("devices:profileTags", {"team": "iot"})
    stack.config_set("devices:deviceTags", {"team": "iot"})
    stack.config_set("devices:destinationTags", {"team": "iot"})
    return stack


def test_a_device_on_a_destination_the_stack_does_not_manage_is_an_advisory_warning(
    devices: PulumiProject,
) -> None:
    """A device routed to a Destination outside the stack warns, exit 0; routed to the stack's own, passes."""
    devices.config_set("devices:managedDestination", "mine")
    stdout = advisory_preview(devices, DESTINATION_RULE, f"{WIRELESS_DEVICE_TYPE}: sensor-1")
    assert (
        "SidewalkDevice sensor-1 sends its uplinks to Destination 'uplinks', which this stack does not "
        "manage (its Destinations: mine)"
    ) in stdout

    devices.config_set("devices:managedDestination", "uplinks")
    results = policy_results(devices)
    assert (results.returncode, results.violations) == (0, [])
    assert results.passed == EVERY_RULE


@pytest.mark.parametrize(
    ("untagged", "type_token", "name"),
    [
        pytest.param("devices:deviceTags", WIRELESS_DEVICE_TYPE, "sensor-1", id="device"),
        pytest.param("devices:profileTags", DEVICE_PROFILE_TYPE, "sensors", id="profile"),
    ],
)
def test_a_device_or_profile_without_a_required_tag_fails_the_preview(
    devices: PulumiProject, untagged: str, type_token: str, name: str
) -> None:
    """A device or profile whose own tags lack a required one is a mandatory violation of that resource."""
    devices.config_set("devices:managedDestination", "uplinks")
    devices.config_set(untagged, {"team": " "})
    results = policy_results(devices, pack_config={TAGS_RULE: {"requiredTags": ["team"]}})
    assert results.returncode == PREVIEW_FAILED
    [violation] = results.violations
    assert (violation["policyName"], violation["enforcementLevel"]) == (TAGS_RULE, "mandatory")
    assert violation["resourceUrn"].endswith(f"::{type_token}::{name}")
    assert (
        f"{name} ({type_token}) is missing these tags or has them empty: team. Set them in sidewalk:tags"
    ) in violation["message"]


class IntegrationMocks(pulumi.runtime.Mocks):
    """Record what SidewalkIntegration registers, answering with its inputs and the association's ARN."""

    def __init__(self) -> None:
        self.registered: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """Return the resource's inputs as its outputs, plus the ARN an association gets."""
        outputs = dict(args.inputs)
        if args.typ == PARTNER_ACCOUNT_TYPE:
            outputs["region"] = "us-east-1"
            outputs["arn"] = f"arn:aws:iotwireless:us-east-1:{ACCOUNT_ID}:SidewalkAccount/{STACK_AMAZON_ID}"
        self.registered.append((args.typ, args.name, outputs))
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        """Refuse: the integration makes no invoke."""
        raise AssertionError(f"the integration makes no invoke, but called {args.token}")


def integration_resources(uplink: Republish | InvokeLambda) -> list[proto.AnalyzerResource]:
    """Return the IAM roles and the rule of a SidewalkIntegration, shaped as AnalyzeStack sends them."""
    recorder = IntegrationMocks()
    settings.ROOT.set(None)
    mocks.set_mocks(recorder, project="sidewalk-partner-account", stack="policy", preview=False)
    account = PartnerAccountArgs(
        amazon_id=STACK_AMAZON_ID, app_server_private_key=KEY, tags={"team": "iot"}, region="us-east-1"
    )

    @pulumi.runtime.test
    def program() -> None:
        SidewalkIntegration("sidewalk", SidewalkIntegrationArgs(account=account, uplink=uplink))

    try:
        program()
    finally:
        settings.ROOT.set(None)
    return [
        analyzer_resource(type_, name, outputs)
        for type_, name, outputs in recorder.registered
        if type_ in (ROLE_TYPE, RULE_TYPE)
    ]


def analyzer_resource(type_: str, name: str, props: dict[str, Any]) -> proto.AnalyzerResource:
    """Return one resource as the engine describes it to a policy pack."""
    urn = f"urn:pulumi:policy::sidewalk-partner-account::{type_}::{name}"
    properties = json_format.ParseDict(props, struct_pb2.Struct())
    return proto.AnalyzerResource(type=type_, name=name, urn=urn, properties=properties)


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """Start the pack as RunPlugin does (`python -u -m pulumi.policy ENGINE DIR` in its folder)."""
    pack = PROJECT_ROOT / PACK
    with subprocess.Popen(
        [str(PROJECT_ROOT / ".venv/bin/python"), "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(pack)],
        cwd=pack,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            # The pack's first line is its port, as the engine reads it.
            port = int(process.stdout.readline())
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                yield analyzer_pb2_grpc.AnalyzerStub(channel)
        finally:
            process.kill()


def publish_violations(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, resources: list[proto.AnalyzerResource]
) -> list[Any]:
    """Return the pack's diagnostics of the IAM rule for a stack of these resources."""
    response = analyzer.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources))
    return [d for d in response.diagnostics if d.policyName == PUBLISH_RULE]


def inline_policy(resource: proto.AnalyzerResource) -> dict[str, Any]:
    """Return a role's one inline policy document."""
    (inline,) = json_format.MessageToDict(resource.properties)["inlinePolicies"]
    return dict(json.loads(inline["policy"]))


def with_inline_policy(resource: proto.AnalyzerResource, document: dict[str, Any]) -> proto.AnalyzerResource:
    """Return the role with its one inline policy replaced by the document."""
    props = json_format.MessageToDict(resource.properties)
    props["inlinePolicies"][0]["policy"] = json.dumps(document)
    return analyzer_resource(resource.type, resource.name, props)


@pytest.mark.parametrize(
    "uplink", [Republish(TOPIC), InvokeLambda(FUNCTION_ARN)], ids=["republish", "lambda"]
)
def test_the_integrations_roles_publish_only_on_their_rules_topics(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, uplink: Republish | InvokeLambda
) -> None:
    """The roles SidewalkIntegration builds grant iot:Publish on the rule's own topics and pass."""
    resources = integration_resources(uplink)
    assert {r.type for r in resources} == {ROLE_TYPE, RULE_TYPE}
    assert publish_violations(analyzer, resources) == []


def publish_on(resource: str) -> Callable[[dict[str, Any]], None]:
    """Return an edit that makes the policy's iot:Publish statement name this resource."""

    def edit(document: dict[str, Any]) -> None:
        [statement] = [s for s in document["Statement"] if s["Action"] == "iot:Publish"]
        statement["Resource"] = resource

    return edit


def publish_everywhere_but_the_rule(document: dict[str, Any]) -> None:
    """Make the iot:Publish statement a NotResource one: every topic but the rule's."""
    [statement] = [s for s in document["Statement"] if s["Action"] == "iot:Publish"]
    statement["NotResource"] = statement.pop("Resource")


def every_iot_action(document: dict[str, Any]) -> None:
    """Widen the DescribeEndpoint statement, whose resource is `*`, to every iot action."""
    [statement] = [s for s in document["Statement"] if s["Action"] == "iot:DescribeEndpoint"]
    statement["Action"] = ["iot:*"]


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        pytest.param(publish_on("*"), "`*` (a wildcard)", id="any-resource"),
        pytest.param(publish_on(f"{IOT_ARN}:topic/*"), f"`{IOT_ARN}:topic/*` (a wildcard)", id="any-topic"),
        pytest.param(
            publish_on(f"{IOT_ARN}:topic/elsewhere"),
            f"`{IOT_ARN}:topic/elsewhere` (a topic that no AWS IoT rule of the stack owns)",
            id="another-topic",
        ),
        pytest.param(
            publish_everywhere_but_the_rule, "every topic but those its NotResource lists", id="not-resource"
        ),
        pytest.param(every_iot_action, "`*` (a wildcard)", id="iot-star-on-star"),
    ],
)
def test_publish_beyond_the_rules_topics_is_a_mandatory_violation(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, edit: Callable[[dict[str, Any]], None], problem: str
) -> None:
    """A destination role that may publish beyond its rule's topic is a mandatory violation of the role."""
    resources = integration_resources(Republish(TOPIC))
    [role] = [r for r in resources if r.name == "sidewalk-destination"]
    document = inline_policy(role)
    edit(document)
    resources[resources.index(role)] = with_inline_policy(role, document)
    [violation] = publish_violations(analyzer, resources)
    assert violation.enforcementLevel == proto.MANDATORY
    assert violation.urn == role.urn
    assert f"sidewalk-destination allows iot:Publish on {problem}: grant it on the exact topic ARN" in (
        violation.message
    )


def test_a_role_policy_publishing_on_any_topic_is_a_mandatory_violation(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    """A RolePolicy added beside the integration that may publish anywhere is caught as well."""
    statement = {"Effect": "Allow", "Action": "iot:Pub*", "Resource": "*"}
    document = {"Version": "2012-10-17", "Statement": statement}
    extra = analyzer_resource(ROLE_POLICY_TYPE, "anywhere", {"role": "r", "policy": json.dumps(document)})
    [violation] = publish_violations(analyzer, [*integration_resources(Republish(TOPIC)), extra])
    assert (violation.enforcementLevel, violation.urn) == (proto.MANDATORY, extra.urn)
    assert "anywhere allows iot:Publish on `*` (a wildcard)" in violation.message


def test_the_pack_requirements_are_installed_with_the_dev_requirements() -> None:
    """Every pin of policy/requirements.txt is in requirements-dev.txt, which fills the pack's virtualenv."""

    def pins(name: str) -> set[str]:
        lines = (PROJECT_ROOT / name).read_text().splitlines()
        return {line.strip() for line in lines if line.strip() and not line.lstrip().startswith(("#", "-r"))}

    assert pins("policy/requirements.txt") <= pins("requirements-dev.txt")
