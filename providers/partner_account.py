"""PartnerAccountProvider manages an AWS IoT Wireless association with an Amazon Sidewalk account."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import (
    CheckFailure,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)
from pulumi.output import Unknown

from providers import _aws, _regional, _tags
from providers._regional import RegionalProvider, default_region, region_failures

if TYPE_CHECKING:
    from mypy_boto3_iotwireless.type_defs import (
        GetPartnerAccountResponseTypeDef,
        SidewalkAccountInfoTypeDef,
    )

__all__ = [
    "ACCOUNT_LINKED",
    "ADOPT_EXISTING",
    "AMAZON_ID",
    "APP_SERVER_PRIVATE_KEY",
    "APP_SERVER_PRIVATE_KEY_DIGEST",
    "ARN",
    "CLIENT_REQUEST_TOKEN",
    "FINGERPRINT",
    "INPUTS",
    "PARTNER_ACCOUNT_ID",
    "REGION",
    "TAGS",
    "PartnerAccountProvider",
    "default_region",
]

# Input names on the wire (shared/docs/contract.md).
AMAZON_ID = "amazonId"
APP_SERVER_PRIVATE_KEY = "appServerPrivateKey"
TAGS = _tags.TAGS
REGION = _regional.REGION
CLIENT_REQUEST_TOKEN = "clientRequestToken"
ADOPT_EXISTING = "adoptExisting"
INPUTS = (AMAZON_ID, APP_SERVER_PRIVATE_KEY, TAGS, REGION, CLIENT_REQUEST_TOKEN, ADOPT_EXISTING)
# Computed by check from the key, and kept in plaintext: it shows a key rotation in a preview.
APP_SERVER_PRIVATE_KEY_DIGEST = "appServerPrivateKeyDigest"
# Outputs computed by AWS.
ARN = "arn"
FINGERPRINT = "fingerprint"
ACCOUNT_LINKED = "accountLinked"
PARTNER_ACCOUNT_ID = "partnerAccountId"

_PROVIDER_KEY = "__provider"
_KEY_PATTERN = re.compile(r"[0-9a-fA-F]{64}")
# 64 bits of the digest: enough to tell two keys apart, far too few to search a 256-bit key space by.
_DIGEST_HEX = 16
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# AmazonId allows 2048 characters, but the association is then addressed by it as PartnerAccountId,
# which allows 256: a longer one could be associated but never read, updated or disassociated.
_MAX_AMAZON_ID = 256
# Inputs whose change replaces the association rather than updating it.
_REPLACING = (AMAZON_ID, REGION)
# The (region, AmazonId) of every association a Create in this process made or took over. A
# replacement that keeps the identity (`pulumi up --replace`, a taint, a rename without an alias)
# creates the new resource onto the very association the old one holds, since AWS allows one per
# identity, and only then deletes the old one: that Delete must leave the association to its new
# owner. The engine starts a provider process per command, so this spans exactly one update.
_created: set[tuple[str, str]] = set()


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def _derived_token(news: Mapping[str, Any]) -> str | Unknown:
    """Name a create by its parameters, so that a retried create is idempotent."""
    parts = [news.get(k) for k in (REGION, AMAZON_ID, APP_SERVER_PRIVATE_KEY, TAGS)]
    if any(_is_unknown(p) for p in parts) or any(_is_unknown(v) for v in (news.get(TAGS) or {}).values()):
        return Unknown()  # type: ignore[no-untyped-call]
    region, amazon_id, key, tags = parts
    # A digest, so the token (kept in plaintext in state and sent to AWS) never reveals the key.
    material = json.dumps([region, amazon_id, str(key).lower(), tags or {}], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


def _key_digest(key: Any) -> str | Unknown:
    """Return a short, one-way digest of the key that tells keys apart without revealing either.

    The engine shows a secret as `[secret]` on both sides of a diff, and a dynamic provider cannot
    name the inputs that changed, so without it a rotation would preview as an update naming nothing.
    """
    if _is_unknown(key):
        return Unknown()  # type: ignore[no-untyped-call]
    return "sha256:" + hashlib.sha256(str(key).lower().encode()).hexdigest()[:_DIGEST_HEX]


def _key_changed(old: Any, new: Any) -> bool:
    # Hex digits are case-insensitive: "AB" and "ab" are the same key to AWS.
    if not isinstance(old, str) or not isinstance(new, str):
        return True
    return old.lower() != new.lower()


class PartnerAccountProvider(RegionalProvider):
    """Run each lifecycle step of a PartnerAccount through boto3."""

    def check_failures(self, news: Mapping[str, Any]) -> list[CheckFailure]:
        """Apply every rule of the contract to known input values; never raise."""
        failures: list[CheckFailure] = []

        def fail(prop: str, reason: str) -> None:
            failures.append(CheckFailure(prop, reason))

        for name in sorted(set(news) - {*INPUTS, _PROVIDER_KEY}):
            fail(name, f"{name!r} is not an input of PartnerAccount (the inputs are {', '.join(INPUTS)})")

        amazon_id = news.get(AMAZON_ID)
        if amazon_id is None:
            fail(AMAZON_ID, "amazonId is required")
        elif not _is_unknown(amazon_id) and (
            not isinstance(amazon_id, str) or not 1 <= len(amazon_id) <= _MAX_AMAZON_ID
        ):
            fail(AMAZON_ID, f"amazonId must be a string of 1 to {_MAX_AMAZON_ID} characters")

        key = news.get(APP_SERVER_PRIVATE_KEY)
        if key is None:
            fail(APP_SERVER_PRIVATE_KEY, "appServerPrivateKey is required")
        elif not _is_unknown(key) and (not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key)):
            # The reason never echoes the value: it is the private key, or a mistyped one.
            fail(APP_SERVER_PRIVATE_KEY, "appServerPrivateKey must be exactly 64 hexadecimal digits")

        tags = news.get(TAGS)
        if tags is not None and not _is_unknown(tags):
            failures.extend(_tags.failures(tags))

        failures.extend(region_failures(news.get(REGION)))

        token = news.get(CLIENT_REQUEST_TOKEN)
        if (
            token is not None
            and not _is_unknown(token)
            and (not isinstance(token, str) or not _TOKEN_PATTERN.fullmatch(token))
        ):
            fail(CLIENT_REQUEST_TOKEN, "clientRequestToken must be 1 to 64 of A-Z, a-z, 0-9, _ and -")

        adopt = news.get(ADOPT_EXISTING)
        if adopt is not None and not _is_unknown(adopt) and not isinstance(adopt, bool):
            fail(ADOPT_EXISTING, "adoptExisting must be true or false")
        return failures

    def fill_defaults(self, olds: Mapping[str, Any], inputs: dict[str, Any]) -> None:
        """Set adoptExisting, the key's digest and the request token, after the region and tags."""
        inputs.setdefault(ADOPT_EXISTING, False)
        inputs[APP_SERVER_PRIVATE_KEY_DIGEST] = _key_digest(inputs[APP_SERVER_PRIVATE_KEY])
        if CLIENT_REQUEST_TOKEN not in inputs:
            # An existing resource keeps its token, so that a preview never shows it changing.
            inputs[CLIENT_REQUEST_TOKEN] = olds.get(CLIENT_REQUEST_TOKEN) or _derived_token(inputs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare old outputs with new inputs offline: identity replaces, key and tags update."""
        replaces = [k for k in _REPLACING if _is_unknown(news.get(k)) or olds.get(k) != news.get(k)]
        key_changed = _key_changed(olds.get(APP_SERVER_PRIVATE_KEY), news.get(APP_SERVER_PRIVATE_KEY))
        tags_changed = (olds.get(TAGS) or {}) != (news.get(TAGS) or {})
        return DiffResult(
            changes=bool(replaces) or key_changed or tags_changed,
            replaces=replaces,
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Associate the Sidewalk account, tag it inline, or adopt it when asked to."""
        amazon_id, region = props[AMAZON_ID], props[REGION]
        try:
            arn = _associate(props, props[CLIENT_REQUEST_TOKEN])
        except _aws.PartnerAccountError as err:
            if err.code != _aws.CONFLICT or not props.get(ADOPT_EXISTING):
                raise
            outs = _adopt(props)
        else:
            account = _get_account(amazon_id, region)
            if account is None:
                # AWS answered a token reused after a disassociation with its old result, without
                # associating anew: associate once more under a fresh token.
                arn = _associate(props, uuid.uuid4().hex)
                account = _require_account(amazon_id, region)
            outs = _outputs(props, account, arn=arn)
        _created.add((region, amazon_id))
        return CreateResult(amazon_id, outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh the association from AWS; an empty id says it is gone."""
        region = self.region_of(props)
        account = _get_account(id_, region)
        if account is None:
            return ReadResult("", {})
        outs = _outputs({**props, AMAZON_ID: id_, REGION: region}, account)
        outs[TAGS] = _tags.live(id_, region, outs[ARN])
        if props.get(FINGERPRINT) not in (None, outs[FINGERPRINT]):
            # The key was set outside Pulumi: forget ours so that the next diff sets it again.
            outs.pop(APP_SERVER_PRIVATE_KEY, None)
            outs.pop(APP_SERVER_PRIVATE_KEY_DIGEST, None)
        return ReadResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Make only the calls the diff needs: the key, added or changed tags, removed tags."""
        region = news[REGION]
        outs = {k: v for k, v in {**olds, **news}.items() if k != _PROVIDER_KEY}
        if _key_changed(olds.get(APP_SERVER_PRIVATE_KEY), news[APP_SERVER_PRIVATE_KEY]):
            _set_key(id_, region, news[APP_SERVER_PRIVATE_KEY])
            # Read the new fingerprint back: refresh compares it to spot a key set outside Pulumi.
            outs = _outputs(outs, _require_account(id_, region))
        _tags.reconcile(id_, region, olds[ARN], olds.get(TAGS) or {}, news.get(TAGS) or {})
        return UpdateResult(outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Disassociate the Sidewalk account, unless its replacement now holds it; gone counts as deleted."""
        region = self.region_of(props)
        if (region, id_) in _created:
            return
        client = _aws.client(region)
        with (
            _aws.translated("DisassociateAwsAccountFromPartnerAccount", id_, region),
            contextlib.suppress(client.exceptions.ResourceNotFoundException),
        ):
            client.disassociate_aws_account_from_partner_account(
                PartnerAccountId=id_, PartnerType=_aws.PARTNER_TYPE
            )


def _associate(props: Mapping[str, Any], token: str) -> str:
    amazon_id, region = props[AMAZON_ID], props[REGION]
    sidewalk: SidewalkAccountInfoTypeDef = {
        "AmazonId": amazon_id,
        "AppServerPrivateKey": props[APP_SERVER_PRIVATE_KEY],
    }
    with _aws.translated("AssociateAwsAccountWithPartnerAccount", amazon_id, region):
        response = _aws.client(region).associate_aws_account_with_partner_account(
            Sidewalk=sidewalk, ClientRequestToken=token, Tags=_tags.tag_list(props.get(TAGS) or {})
        )
    return response["Arn"]


def _get_account(amazon_id: str, region: str) -> GetPartnerAccountResponseTypeDef | None:
    """Read the association, or None when AWS does not know it."""
    client = _aws.client(region)
    with _aws.translated("GetPartnerAccount", amazon_id, region):
        try:
            return client.get_partner_account(PartnerAccountId=amazon_id, PartnerType=_aws.PARTNER_TYPE)
        except client.exceptions.ResourceNotFoundException:
            return None


def _require_account(amazon_id: str, region: str) -> GetPartnerAccountResponseTypeDef:
    with _aws.translated("GetPartnerAccount", amazon_id, region):
        return _aws.client(region).get_partner_account(
            PartnerAccountId=amazon_id, PartnerType=_aws.PARTNER_TYPE
        )


def _adopt(props: Mapping[str, Any]) -> dict[str, Any]:
    """Take over an existing association: set the key, reconcile tags, read it back."""
    amazon_id, region = props[AMAZON_ID], props[REGION]
    _set_key(amazon_id, region, props[APP_SERVER_PRIVATE_KEY])
    account = _require_account(amazon_id, region)
    arn = account["Sidewalk"]["Arn"]
    _tags.reconcile(amazon_id, region, arn, _tags.live(amazon_id, region, arn), props.get(TAGS) or {})
    return _outputs(props, account)


def _set_key(amazon_id: str, region: str, key: str) -> None:
    with _aws.translated("UpdatePartnerAccount", amazon_id, region):
        _aws.client(region).update_partner_account(
            Sidewalk={"AppServerPrivateKey": key}, PartnerAccountId=amazon_id, PartnerType=_aws.PARTNER_TYPE
        )


def _outputs(
    props: Mapping[str, Any], account: GetPartnerAccountResponseTypeDef, arn: str | None = None
) -> dict[str, Any]:
    """Echo the inputs and add what AWS computed; the key stays under its own name."""
    sidewalk = account["Sidewalk"]
    outs = {k: v for k, v in props.items() if k != _PROVIDER_KEY}
    outs.update(
        {
            ARN: sidewalk.get("Arn") or arn,
            FINGERPRINT: sidewalk["Fingerprint"],
            ACCOUNT_LINKED: bool(account.get("AccountLinked", False)),
            PARTNER_ACCOUNT_ID: props[AMAZON_ID],
        }
    )
    return outs
