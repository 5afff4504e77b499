"""A team's shared state: the CLI's own S3 backend and AWS KMS secrets, against a local moto server.

What the pinned CLI (pulumi v3.274.1: gocloud.dev v0.46.1-0.20260810195832, AWS SDK v2) accepts, run here:

- `s3://BUCKET?endpoint=http://HOST:PORT&use_path_style=true&region=us-east-1` reaches an S3-compatible
  server. Path style is required: without it the SDK dials BUCKET.HOST, which no DNS resolves. The SDK
  v1 spelling `endpoint=HOST:PORT&disableSSL=true&s3ForcePathStyle=true` still works (the CLI rewrites
  it), and so does `AWS_ENDPOINT_URL_S3` with the endpoint left out of the URL.
- With `endpoint=` the CLI also sets `request_checksum_calculation=when_required`; the SDK then warns
  on stderr "Response has no supported checksum", which is harmless.
- `awskms://alias/NAME?region=us-east-1` with `AWS_ENDPOINT_URL_KMS` works offline; so does an
  `endpoint=` parameter on the awskms URL, but that stores the endpoint in the stack's config and state.
- The stack lock is an object under `.pulumi/locks/<org>/<project>/<stack>/`; `pulumi cancel --yes`
  deletes every lock object of the stack.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import shutil
import signal
import socket
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto.server import ThreadedMotoServer

from tests.cli.project import CliRun, PulumiProject, wait_until
from tests.cli.test_stack_reference import CONSUMER_PROGRAM, PRODUCER_STACK, READ_OUTPUTS
from tests.emulator import Emulator
from tests.operations import ASSOCIATE, TAKE_OVER_CALLS
from tests.support import KEY, PARTNER_ACCOUNT_TYPE, STACK_AMAZON_ID, assert_no_key

HOST = "127.0.0.1"
REGION = "us-east-1"
BUCKET = "sidewalk-pulumi-state"
KMS_ALIAS = "alias/pulumi-sidewalk"
# A team's URL as it is stored in Pulumi.<stack>.yaml: the endpoint comes from AWS_ENDPOINT_URL_KMS.
KMS_URL = f"awskms://{KMS_ALIAS}?region={REGION}"
STACK = "dev"
LOCKS_PREFIX = ".pulumi/locks/"
STACK_OBJECT = f".pulumi/stacks/{PRODUCER_STACK.split('/', 1)[1]}.json"
LOCK_REFUSED = (
    "the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
    "or delete the lock file with `pulumi cancel`."
)
# Pulumi's signature key, and its value for a secret, in state and exports.
SIGNATURE = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
# Upper bounds, never waits: the hang ends when the test wakes it, the poll when its condition holds.
HANG_LIMIT_SECONDS = 120.0
# moto accepts any credentials; these are the emulator's, which the CLI's environment already carries.
MOTO_CREDENTIALS = {
    "region_name": REGION,
    "aws_access_key_id": "AKIDEXAMPLE",
    "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
}


@dataclass
class TeamBackend:
    """An S3 bucket on the local moto server that holds a team's Pulumi state."""

    endpoint: str
    s3: Any
    kms: Any

    def url(self, *, legacy: bool = False) -> str:
        """Return the `s3://` backend URL that points the CLI's S3 client at moto."""
        if legacy:
            host_port = self.endpoint.removeprefix("http://")
            return f"s3://{BUCKET}?endpoint={host_port}&disableSSL=true&s3ForcePathStyle=true&region={REGION}"
        return f"s3://{BUCKET}?endpoint={self.endpoint}&use_path_style=true&region={REGION}"

    def object_keys(self, prefix: str = "") -> list[str]:
        """Return the key of every object in the bucket under prefix."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def text(self, key: str) -> str:
        """Return one object's content as text, gunzipped when the backend compressed it."""
        body: bytes = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return (gzip.decompress(body) if key.endswith(".gz") else body).decode()

    def locks(self) -> list[str]:
        """Return the keys of the lock objects of every stack."""
        return self.object_keys(LOCKS_PREFIX)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Serve moto's S3 and KMS on 127.0.0.1 on a free port, for the whole session."""
    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    # start() returns once the socket listens: that event is the readiness signal.
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def team_backend(moto_endpoint: str) -> Iterator[TeamBackend]:
    """Return an empty state bucket and a clean KMS on the session's moto server."""
    reset = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(reset, timeout=30):
        pass
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, **MOTO_CREDENTIALS)
    kms = boto3.client("kms", endpoint_url=moto_endpoint, **MOTO_CREDENTIALS)
    s3.create_bucket(Bucket=BUCKET)
    yield TeamBackend(moto_endpoint, s3, kms)
    s3.close()
    kms.close()


def configure(project: PulumiProject) -> PulumiProject:
    """Set the stack config as the README says, the key as a secret."""
    project.config_set("aws:region", REGION)
    project.config_set("sidewalk:amazonId", STACK_AMAZON_ID)
    project.config_set("sidewalk:appServerPrivateKey", KEY, secret=True)
    project.config_set("sidewalk:tags", {"team": "iot"})
    return project


def working_copy_of(
    make_project: Callable[..., PulumiProject], first: PulumiProject, **env: str | None
) -> PulumiProject:
    """Return a teammate's checkout: same backend URL, the stack file copied, the stack selected."""
    second = make_project(PULUMI_BACKEND_URL=first.env["PULUMI_BACKEND_URL"], **env)
    # Pulumi.<stack>.yaml is committed with the program; the teammate's checkout has the same one.
    shutil.copy(first.directory / f"Pulumi.{STACK}.yaml", second.directory / f"Pulumi.{STACK}.yaml")
    second.run("stack", "select", STACK)
    return second


def create_kms_alias(team_backend: TeamBackend) -> None:
    """Create the team's KMS key in moto and give it the alias the secrets provider URL names."""
    key = team_backend.kms.create_key(Description="Pulumi state of the Sidewalk stacks")["KeyMetadata"]
    team_backend.kms.create_alias(AliasName=KMS_ALIAS, TargetKeyId=key["KeyId"])


def kms_project(team_backend: TeamBackend, make_project: Callable[..., PulumiProject]) -> PulumiProject:
    """Return a configured stack whose secrets provider is a new KMS key's alias, with no passphrase."""
    create_kms_alias(team_backend)
    project = make_project(
        PULUMI_BACKEND_URL=team_backend.url(),
        PULUMI_CONFIG_PASSPHRASE=None,
        AWS_ENDPOINT_URL_KMS=team_backend.endpoint,
    )
    project.run("stack", "init", STACK, "--secrets-provider", KMS_URL)
    return configure(project)


def consumer_on(make_project: Callable[..., PulumiProject], backend_url: str) -> PulumiProject:
    """Return a new stack of the consumer program on the S3 backend, reading the producer's stack."""
    consumer = make_project(PULUMI_BACKEND_URL=backend_url)
    consumer.use_program(CONSUMER_PROGRAM).init()
    consumer.config_set("producer", PRODUCER_STACK)
    return consumer


def session_processes(session: int) -> list[int]:
    """Return the ids of the live processes of a session, read from Linux's /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After "pid (comm)": state, ppid, process group, session, ...
            state, _, _, member_of = stat.read_text().rsplit(")", 1)[1].split()[:4]
        except (OSError, ValueError):
            continue
        if int(member_of) == session and state != "Z":
            found.append(int(stat.parent.name))
    return found


def kill_session(session: int) -> None:
    """Kill every process of a session at once, as a crash or a closed laptop would end them."""
    for pid in session_processes(session):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def stack_file(project: PulumiProject) -> dict[str, Any]:
    """Return the working copy's Pulumi.<stack>.yaml."""
    return dict(yaml.safe_load((project.directory / f"Pulumi.{STACK}.yaml").read_text()))


def account_resource(deployment: dict[str, Any]) -> dict[str, Any]:
    """Return the one PartnerAccount of a deployment."""
    [resource] = [r for r in deployment.get("resources", []) if r["type"] == PARTNER_ACCOUNT_TYPE]
    return dict(resource)


def assert_ciphertext(value: Any) -> None:
    """Assert that a state value is Pulumi's secret envelope holding ciphertext, not the key."""
    assert isinstance(value, dict), f"expected a secret envelope, got {value!r}"
    assert value.get(SIGNATURE) == SECRET_SIGNATURE
    assert isinstance(value.get("ciphertext"), str) and value["ciphertext"]
    assert_no_key(value["ciphertext"])


def revealed_key(deployment: dict[str, Any]) -> Any:
    """Return the PartnerAccount's key output as `pulumi stack export --show-secrets` prints it."""
    value = account_resource(deployment)["outputs"]["appServerPrivateKey"]
    assert value.get(SIGNATURE) == SECRET_SIGNATURE
    return json.loads(value["plaintext"])


def assert_bucket_holds_no_key(backend: TeamBackend) -> list[str]:
    """Assert that no object in the bucket holds the key in either case; return the keys read."""
    keys = backend.object_keys()
    assert keys, "the bucket is empty: the CLI wrote no state there"
    for key in keys:
        text = backend.text(key)
        assert_no_key(text, KEY.lower(), KEY.upper())
    # The stack's own object keeps the key, as ciphertext, wherever it keeps it at all.
    checkpoint = json.loads(backend.text(STACK_OBJECT))["checkpoint"]["latest"]
    resource = account_resource(checkpoint)
    assert_ciphertext(resource["inputs"]["appServerPrivateKey"])
    assert_ciphertext(resource["outputs"]["appServerPrivateKey"])
    return keys


@pytest.mark.parametrize(
    "url_form",
    [
        pytest.param("endpoint", id="endpoint-and-use_path_style"),
        pytest.param("legacy", id="sdk-v1-disableSSL-and-s3ForcePathStyle"),
        pytest.param("environment", id="AWS_ENDPOINT_URL_S3"),
    ],
)
def test_each_s3_url_form_keeps_the_stack_in_the_bucket(
    url_form: str, team_backend: TeamBackend, make_project: Callable[..., PulumiProject]
) -> None:
    """Each way of naming the endpoint makes `pulumi stack init` write the stack into the moto bucket."""
    env = {
        "endpoint": {"PULUMI_BACKEND_URL": team_backend.url()},
        "legacy": {"PULUMI_BACKEND_URL": team_backend.url(legacy=True)},
        "environment": {
            "PULUMI_BACKEND_URL": f"s3://{BUCKET}?use_path_style=true&region={REGION}",
            "AWS_ENDPOINT_URL_S3": team_backend.endpoint,
        },
    }[url_form]
    project = make_project(**env).init()
    assert STACK_OBJECT in team_backend.object_keys()
    listed = project.run("stack", "ls", "--json").json()
    assert [(s["name"], s["current"]) for s in listed] == [(STACK, True)]


def test_second_working_copy_shares_the_stack_secrets_salt(
    team_backend: TeamBackend, make_project: Callable[..., PulumiProject]
) -> None:
    """A copied Pulumi.dev.yaml carries the passphrase salt the backend's state records, so both decrypt."""
    first = configure(make_project(PULUMI_BACKEND_URL=team_backend.url()).init())
    first.run("up", "--yes", "--skip-preview")
    second = working_copy_of(make_project, first)
    salt = stack_file(second)["encryptionsalt"]
    providers = second.export()["deployment"]["secrets_providers"]
    assert providers == {"type": "passphrase", "state": {"salt": salt}}
    assert second.outputs(show_secrets=True) == first.outputs(show_secrets=True)
    assert second.run("preview", "--expect-no-changes", check=False).returncode == 0


def test_concurrent_up_from_two_working_copies_is_refused_by_the_stack_lock(
    team_backend: TeamBackend, make_project: Callable[..., PulumiProject], emulator: Emulator
) -> None:
    """While one `pulumi up` holds the lock, the other is refused; one association results, recorded."""
    first = configure(make_project(PULUMI_BACKEND_URL=team_backend.url()).init())
    second = working_copy_of(make_project, first)
    emulator.faults.hang_after_commit(ASSOCIATE, HANG_LIMIT_SECONDS)
    with ThreadPoolExecutor(max_workers=1) as pool:
        first_up = pool.submit(first.run, "up", "--yes", check=False)
        try:
            # The association is committed and its answer held back: the first up is mid-Associate.
            wait_until(emulator.backend.associations, "the first up to be inside the Associate")
            [lock] = team_backend.locks()
            holder = json.loads(team_backend.text(lock))
            refused = second.run("up", "--yes", "--skip-preview", check=False)
        finally:
            emulator.faults.wake()
        proceeded: CliRun = first_up.result(timeout=HANG_LIMIT_SECONDS)
    proceeded.check()
    assert refused.returncode != 0
    assert LOCK_REFUSED in refused.output
    assert lock.startswith(f"{LOCKS_PREFIX}{PRODUCER_STACK}/")
    assert f"{lock}?" in refused.output
    assert f"created by {holder['username']}@{holder['hostname']} (pid {holder['pid']})" in refused.output
    # The refused up made no AWS call and took no lock; the first released its own.
    assert emulator.calls().count(ASSOCIATE) == 1
    assert team_backend.locks() == []
    [association] = emulator.backend.associations()
    for copy in (first, second):
        [resource] = copy.resources(PARTNER_ACCOUNT_TYPE)
        assert (resource["id"], resource["outputs"]["arn"]) == (association["AmazonId"], association["Arn"])
        assert copy.run("preview", "--expect-no-changes", check=False).returncode == 0


def test_lock_of_a_killed_up_refuses_the_next_until_pulumi_cancel(
    team_backend: TeamBackend, make_project: Callable[..., PulumiProject], emulator: Emulator
) -> None:
    """An up killed mid-Associate leaves its lock; `pulumi cancel --yes` clears it and up converges."""
    project = configure(make_project(PULUMI_BACKEND_URL=team_backend.url()).init())
    emulator.faults.hang_after_commit(ASSOCIATE, HANG_LIMIT_SECONDS)
    log = project.directory / "killed-up.log"
    killed = project.start(log, "up", "--yes", "--skip-preview")
    try:
        wait_until(
            lambda: emulator.backend.associations() or killed.poll() is not None,
            "the up to be inside the Associate",
        )
        assert killed.poll() is None, log.read_text()
    finally:
        kill_session(killed.pid)
        killed.wait()
        emulator.faults.wake()
    wait_until(lambda: not session_processes(killed.pid), "the killed up's processes to end")
    [lock] = team_backend.locks()
    refused = project.run("up", "--yes", "--skip-preview", check=False)
    assert refused.returncode != 0
    assert LOCK_REFUSED in refused.output
    assert f"{lock}?" in refused.output and f"(pid {killed.pid})" in refused.output
    cancelled = project.run("cancel", "--yes")
    assert f"The currently running update for '{STACK}' has been canceled!" in cancelled.output
    assert team_backend.locks() == []
    emulator.clear_log()
    resumed = project.run("up", "--yes", "--skip-preview")
    assert "interrupted while creating" in resumed.output
    # The create runs again: refused, it finds the owner tag of this resource and takes the association over.
    assert emulator.calls() == TAKE_OVER_CALLS
    [association] = emulator.backend.associations()
    [resource] = project.resources(PARTNER_ACCOUNT_TYPE)
    assert resource["id"] == association["AmazonId"]
    assert project.run("preview", "--expect-no-changes", check=False).returncode == 0


def test_consumer_reads_the_outputs_from_the_s3_backend(
    team_backend: TeamBackend, make_project: Callable[..., PulumiProject]
) -> None:
    """A consumer stack on another machine reads the producer's outputs through StackReference from S3."""
    producer = configure(make_project(PULUMI_BACKEND_URL=team_backend.url()).init())
    producer.run("up", "--yes", "--skip-preview")
    consumer = consumer_on(make_project, team_backend.url())
    consumer.run("up", "--yes", "--skip-preview")
    produced = producer.outputs()
    assert consumer.outputs() == {name: produced[name] for name in READ_OUTPUTS}


def test_state_objects_hold_the_key_only_as_ciphertext(
    team_backend: TeamBackend, make_project: Callable[..., PulumiProject]
) -> None:
    """Every object the CLI wrote to the bucket lacks the key; the stack object holds its ciphertext."""
    project = configure(make_project(PULUMI_BACKEND_URL=team_backend.url()).init())
    project.run("up", "--yes", "--skip-preview")
    project.run("refresh", "--yes")
    keys = assert_bucket_holds_no_key(team_backend)
    assert any(key.startswith(".pulumi/history/") for key in keys)
    # The key is in the state: decrypted, the export shows it, so the checks above could fail.
    assert revealed_key(project.export(show_secrets=True)["deployment"]) == KEY


def test_awskms_secrets_provider_encrypts_state_under_the_kms_key(
    team_backend: TeamBackend, make_project: Callable[..., PulumiProject], emulator: Emulator
) -> None:
    """With `--secrets-provider awskms://alias/...` and no passphrase, state keeps only ciphertext."""
    project = kms_project(team_backend, make_project)
    project.run("up", "--yes", "--skip-preview")
    settings = stack_file(project)
    assert settings["secretsprovider"] == KMS_URL and "encryptionsalt" not in settings
    # The stack's data key is wrapped by the KMS key: moto's KMS unwraps it.
    data_key = team_backend.kms.decrypt(CiphertextBlob=base64.b64decode(settings["encryptedkey"]))
    [alias] = team_backend.kms.list_aliases(KeyId=data_key["KeyId"])["Aliases"]
    assert (alias["AliasName"], len(data_key["Plaintext"])) == (KMS_ALIAS, 32)
    exported = project.export()
    assert exported["deployment"]["secrets_providers"]["type"] == "cloud"
    assert exported["deployment"]["secrets_providers"]["state"]["url"] == KMS_URL
    assert_no_key(json.dumps(exported))
    assert_ciphertext(account_resource(exported["deployment"])["outputs"]["appServerPrivateKey"])
    assert revealed_key(project.export(show_secrets=True)["deployment"]) == KEY
    assert_bucket_holds_no_key(team_backend)
    assert len(emulator.backend.associations()) == 1


def test_deployed_passphrase_stack_moves_to_kms_with_change_secrets_provider(
    team_backend: TeamBackend, make_project: Callable[..., PulumiProject]
) -> None:
    """`pulumi stack change-secrets-provider awskms://...` re-keys a deployed stack; no passphrase after."""
    create_kms_alias(team_backend)
    project = make_project(PULUMI_BACKEND_URL=team_backend.url(), AWS_ENDPOINT_URL_KMS=team_backend.endpoint)
    configure(project.init()).run("up", "--yes", "--skip-preview")
    project.run("stack", "change-secrets-provider", KMS_URL)
    settings = stack_file(project)
    assert settings["secretsprovider"] == KMS_URL and "encryptionsalt" not in settings
    teammate = working_copy_of(
        make_project, project, PULUMI_CONFIG_PASSPHRASE=None, AWS_ENDPOINT_URL_KMS=team_backend.endpoint
    )
    assert teammate.export()["deployment"]["secrets_providers"]["state"]["url"] == KMS_URL
    assert teammate.run("config", "get", "sidewalk:appServerPrivateKey").stdout.strip() == KEY
    assert teammate.run("preview", "--expect-no-changes", check=False).returncode == 0
    assert_bucket_holds_no_key(team_backend)


def test_working_copy_that_cannot_reach_kms_cannot_read_the_secrets(
    team_backend: TeamBackend, make_project: Callable[..., PulumiProject]
) -> None:
    """A teammate whose KMS cannot be reached gets the SDK's KMS Decrypt error, never the key."""
    project = kms_project(team_backend, make_project)
    with socket.socket() as unreachable:
        # Bound and never listening: every connection to it is refused, and no other server can take it.
        unreachable.bind((HOST, 0))
        kms_down = f"http://{HOST}:{unreachable.getsockname()[1]}"
        teammate = working_copy_of(
            make_project, project, PULUMI_CONFIG_PASSPHRASE=None, AWS_ENDPOINT_URL_KMS=kms_down
        )
        failed = teammate.run("config", "get", "sidewalk:appServerPrivateKey", check=False)
    assert failed.returncode != 0
    assert "operation error KMS: Decrypt, exceeded maximum number of attempts, 3" in failed.output
    assert "connect: connection refused" in failed.output
    assert_no_key(failed.output)
    assert project.run("config", "get", "sidewalk:appServerPrivateKey").stdout.strip() == KEY


def test_working_copy_with_another_passphrase_is_refused(
    team_backend: TeamBackend, make_project: Callable[..., PulumiProject], emulator: Emulator
) -> None:
    """A teammate with the stack file but another passphrase is refused before any AWS call."""
    first = configure(make_project(PULUMI_BACKEND_URL=team_backend.url()).init())
    first.run("up", "--yes", "--skip-preview")
    emulator.clear_log()
    stranger = make_project(
        PULUMI_BACKEND_URL=team_backend.url(), PULUMI_CONFIG_PASSPHRASE="not-the-team-one"
    )
    shutil.copy(first.directory / f"Pulumi.{STACK}.yaml", stranger.directory / f"Pulumi.{STACK}.yaml")
    stranger.run("stack", "select", STACK)
    refused = stranger.run("up", "--yes", "--skip-preview", check=False)
    assert refused.returncode != 0
    assert "getting stack configuration: get stack secrets manager: incorrect passphrase" in refused.output
    assert emulator.calls() == []
