"""Property tests of `check`: it never raises, names each broken rule, and agrees with the service."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pulumi.output import Unknown

from providers.partner_account import (
    ADOPT_EXISTING,
    AMAZON_ID,
    APP_SERVER_PRIVATE_KEY,
    CLIENT_REQUEST_TOKEN,
    INPUTS,
    OWNER,
    REGION,
    TAGS,
    PartnerAccountProvider,
)
from tests.convergence import SIDEWALK, associated
from tests.emulator import Emulator
from tests.engine.engine import Engine, EngineError
from tests.engine.provider import ProviderProcess
from tests.support import assert_no_key, emulator_env, partner_account, partner_account_owner

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient
    from mypy_boto3_iotwireless.type_defs import TagTypeDef

# Derandomized (which also means no example database), so CI runs the same examples every time;
# the budgets keep the file under 20 s.
IN_PROCESS = settings(max_examples=600, derandomize=True, deadline=None)
AGAINST_THE_SERVICE = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
THROUGH_THE_PROVIDER = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
RULE = re.compile(r"\b(is required|must|at most|is not an input)\b")

# The wire carries Unicode scalar values only: a lone surrogate cannot reach the provider.
CHARACTERS = st.characters(exclude_categories=["Cs"])
HEX = "0123456789abcdefABCDEF"
TOKEN_CHARACTERS = string.ascii_letters + string.digits + "_-"

valid_keys = st.text(HEX, min_size=64, max_size=64)
keys = st.one_of(
    valid_keys,
    st.text(HEX, min_size=60, max_size=68),
    st.text(CHARACTERS, max_size=70),
    valid_keys.map(lambda key: key + "\n"),
    valid_keys.map(lambda key: " " + key),
)
# A character that no sentence of check's own holds: a reason that contains it quotes a value given.
MARKER = "\N{SNOWMAN}"
# Keys that cannot be words of the reasons, so that finding one in a reason is an echo, never chance:
# each holds the marker, or is a run of 60 or more hex digits, which no sentence of check's own holds.
traceable_keys = st.one_of(
    st.text(HEX, min_size=60, max_size=68),
    valid_keys.map(lambda key: key + "\n"),
    valid_keys.map(lambda key: " " + key),
    st.tuples(st.text(CHARACTERS, max_size=35), st.text(CHARACTERS, max_size=35)).map(MARKER.join),
)
amazon_ids = st.one_of(
    st.text(CHARACTERS, min_size=1, max_size=40),
    st.sampled_from([".", "..", "a/b", "%2F", "?x=1", "#", " ", "amzn1.account.AEXAMPLE"]),
    # Lengths across the path limit of PartnerAccountId (256) and the body limit of AmazonId (2048).
    st.integers(250, 262).map(lambda n: "a" * n),
    st.sampled_from([2047, 2048, 2049]).map(lambda n: "a" * n),
)
tag_keys = st.one_of(
    st.text(CHARACTERS, min_size=1, max_size=12),
    st.tuples(
        st.sampled_from(["aws:", "AWS:", "Aws:", "aWS:", "aws", "aws-", "xaws:"]), st.text(max_size=4)
    ).map("".join),
    st.integers(126, 130).map(lambda n: "k" * n),
)
tag_values = st.one_of(st.text(CHARACTERS, max_size=12), st.integers(254, 258).map(lambda n: "v" * n))
tag_maps = st.one_of(
    st.dictionaries(tag_keys, tag_values, max_size=4),
    st.integers(199, 201).map(lambda n: {f"k{i}": "v" for i in range(n)}),
)
regions = st.one_of(
    st.sampled_from(
        ["us-east-1", "us-west-2", "eu-west-1", "cn-north-1", "us-gov-west-1", "us-isob-east-1", "moon-1"]
    ),
    st.from_regex(r"(us|eu|cn|us-gov)-\w{1,8}-\d{1,2}", fullmatch=True),
)
# The resource name the property tests register, and the owner the component gives it.
FUZZ_OWNER = partner_account_owner("fuzz")
owners = st.one_of(
    st.just(FUZZ_OWNER),
    st.text(CHARACTERS, max_size=12),
    st.from_regex(r"[a-z]{0,3}/[a-z]{0,3}", fullmatch=True),
)
tokens = st.one_of(st.text(TOKEN_CHARACTERS, min_size=1, max_size=64), st.text(CHARACTERS, max_size=66))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(CHARACTERS, max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)


def wild(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Widen a strategy to its values, any JSON value, or a value unknown during preview."""
    # Scalars on their own: st.recursive rarely draws a bare scalar at the top.
    return st.one_of(strategy, scalars, json_values, st.builds(Unknown))


inputs = st.fixed_dictionaries(
    {},
    optional={
        AMAZON_ID: amazon_ids,
        APP_SERVER_PRIVATE_KEY: keys,
        TAGS: tag_maps,
        REGION: regions,
        CLIENT_REQUEST_TOKEN: tokens,
        ADOPT_EXISTING: st.booleans(),
        OWNER: owners,
    },
)
# Mostly what a program might send: the required inputs present (the owner as the component sets
# it), the rest optional.
plausible_inputs = st.fixed_dictionaries(
    {AMAZON_ID: amazon_ids, APP_SERVER_PRIVATE_KEY: st.one_of(valid_keys, keys), OWNER: st.just(FUZZ_OWNER)},
    optional={TAGS: tag_maps, REGION: regions, CLIENT_REQUEST_TOKEN: tokens, ADOPT_EXISTING: st.booleans()},
)
# Biased towards what check should accept, edge cases included, so that few examples are discarded.
acceptable_inputs = st.fixed_dictionaries(
    {AMAZON_ID: amazon_ids, APP_SERVER_PRIVATE_KEY: valid_keys, OWNER: st.just(FUZZ_OWNER)},
    optional={
        TAGS: tag_maps,
        REGION: regions,
        CLIENT_REQUEST_TOKEN: st.text(TOKEN_CHARACTERS, min_size=1, max_size=64),
        ADOPT_EXISTING: st.booleans(),
    },
)
wild_inputs = st.fixed_dictionaries(
    {},
    optional={
        AMAZON_ID: wild(amazon_ids),
        APP_SERVER_PRIVATE_KEY: wild(keys),
        TAGS: wild(st.dictionaries(tag_keys, wild(tag_values), max_size=3)),
        REGION: wild(regions),
        CLIENT_REQUEST_TOKEN: wild(tokens),
        ADOPT_EXISTING: wild(st.booleans()),
        OWNER: wild(owners),
        "amazonID": json_values,
        "tagz": json_values,
    },
)


@pytest.fixture(scope="module")
def client_for(emulator_server: Emulator) -> Iterator[Callable[[str], IoTWirelessClient]]:
    """Provide a boto3 client per region, with boto3's own parameter validation on."""
    clients: dict[str, IoTWirelessClient] = {}

    def client(region: str) -> IoTWirelessClient:
        if region not in clients:
            clients[region] = boto3.client(
                "iotwireless",
                region_name=region,
                endpoint_url=emulator_server.url,
                aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="secret",
            )
        return clients[region]

    yield client
    for each in clients.values():
        each.close()


@pytest.fixture(scope="module")
def provider_server(emulator_server: Emulator) -> Iterator[ProviderProcess]:
    """One real provider process for all the examples of a module."""
    with ProviderProcess(emulator_env(emulator_server.url)) as process:
        yield process


def checked(news: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Run the provider's check as a new resource: (checked inputs, (property, reason) pairs)."""
    result = PartnerAccountProvider().check({}, dict(news))
    return result.inputs, [(f.property, f.reason) for f in result.failures or []]


@IN_PROCESS
@given(news=wild_inputs, old_token=st.none() | tokens)
def test_check_never_raises_and_names_input_and_rule(news: dict[str, Any], old_token: str | None) -> None:
    """Check answers any input without raising; each failure names its input and the rule broken."""
    olds = {CLIENT_REQUEST_TOKEN: old_token} if old_token is not None else {}
    result = PartnerAccountProvider().check(olds, dict(news))
    for failure in result.failures or []:
        assert failure.property in news or failure.property in (AMAZON_ID, APP_SERVER_PRIVATE_KEY, OWNER)
        assert failure.property in failure.reason
        assert RULE.search(failure.reason), failure.reason


@IN_PROCESS
@given(news=inputs)
def test_check_names_every_missing_required_input(news: dict[str, Any]) -> None:
    """Check names each required input that is missing, and only the contract's inputs."""
    _, failures = checked(news)
    failing = {prop for prop, _ in failures}
    for required in (AMAZON_ID, APP_SERVER_PRIVATE_KEY):
        assert (required in failing) or (required in news)
    assert failing <= set(INPUTS)


@IN_PROCESS
@given(key=traceable_keys, other=traceable_keys)
def test_check_reasons_never_echo_the_key(key: str, other: str) -> None:
    """No failure reason quotes the key given, whatever else is wrong with the inputs."""
    _, failures = checked({AMAZON_ID: "", APP_SERVER_PRIVATE_KEY: key, TAGS: {"aws:k": other}})
    assert failures
    # Exact whatever the number of examples: neither value can occur in a reason unless quoted.
    for _, reason in failures:
        assert_no_key(reason, key.strip(), other.strip())


@AGAINST_THE_SERVICE
@given(news=acceptable_inputs)
def test_what_check_accepts_the_service_accepts(
    news: dict[str, Any], emulator_server: Emulator, client_for: Callable[[str], IoTWirelessClient]
) -> None:
    """Every call the provider makes with inputs check accepted is accepted by the service's model."""
    inputs, failures = checked(news)
    assume(not failures)
    amazon_id, key, region = inputs[AMAZON_ID], inputs[APP_SERVER_PRIVATE_KEY], inputs[REGION]
    tags: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in sorted(inputs[TAGS].items())]
    emulator_server.reset()
    emulator_server.backend.update_settings(sidewalk_regions={region})
    client = client_for(region)
    arn = client.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": amazon_id, "AppServerPrivateKey": key},
        ClientRequestToken=inputs[CLIENT_REQUEST_TOKEN],
        Tags=tags,
    )["Arn"]
    client.get_partner_account(PartnerAccountId=amazon_id, PartnerType=SIDEWALK)
    client.update_partner_account(
        Sidewalk={"AppServerPrivateKey": key}, PartnerAccountId=amazon_id, PartnerType=SIDEWALK
    )
    assert len(client.list_tags_for_resource(ResourceArn=arn)["Tags"]) == len(tags)
    if tags:
        client.untag_resource(ResourceArn=arn, TagKeys=[t["Key"] for t in tags])
        client.tag_resource(ResourceArn=arn, Tags=tags)
    client.disassociate_aws_account_from_partner_account(PartnerAccountId=amazon_id, PartnerType=SIDEWALK)
    assert all(entry["status"] < 300 for entry in emulator_server.log)


@pytest.mark.long
@THROUGH_THE_PROVIDER
@given(news=acceptable_inputs)
def test_what_check_accepts_the_provider_creates_and_destroys(
    news: dict[str, Any],
    emulator_server: Emulator,
    provider_server: ProviderProcess,
    client_for: Callable[[str], IoTWirelessClient],
) -> None:
    """Inputs check accepts are created and destroyed by the real provider process."""
    inputs, failures = checked(news)
    assume(not failures)
    emulator_server.reset()
    emulator_server.backend.update_settings(sidewalk_regions={inputs[REGION]})
    engine = Engine(provider_server, {"aws:region": "us-east-1"})
    reg = partner_account("fuzz", **news)
    engine.up([reg], skip_preview=True)
    assert associated(client_for(inputs[REGION])) == [inputs[AMAZON_ID]]
    engine.destroy()
    assert associated(client_for(inputs[REGION])) == []


@THROUGH_THE_PROVIDER
@given(news=plausible_inputs)
def test_nothing_is_sent_for_input_check_refuses(
    news: dict[str, Any], emulator_server: Emulator, provider_server: ProviderProcess
) -> None:
    """Inputs check refuses fail the up at Check, with the same failures, before any request."""
    _, failures = checked(news)
    assume(failures)
    emulator_server.reset()
    engine = Engine(provider_server, {"aws:region": "us-east-1"})
    with pytest.raises(EngineError) as exc:
        engine.up([partner_account("fuzz", **news)], skip_preview=True)
    assert exc.value.op == "check"
    # A map's order does not survive the wire, so failures about tags may come in another order.
    assert sorted(exc.value.failures) == sorted(failures)
    assert emulator_server.log == []
