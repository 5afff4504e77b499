"""PartnerAccountProvider manages an AWS IoT Wireless association with an Amazon Sidewalk account."""

from __future__ import annotations

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

from providers import _aws, _ownership, _regional, _tags
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
    "OUTPUTS",
    "OWNER",
    "OWNER_MARKER",
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
# `<project>/<stack>/<resource name>`, set by the component: who holds the association (_ownership).
OWNER = _ownership.OWNER
INPUTS = (AMAZON_ID, APP_SERVER_PRIVATE_KEY, TAGS, REGION, CLIENT_REQUEST_TOKEN, ADOPT_EXISTING, OWNER)
# Computed by check from the key, and kept in plaintext: it shows a key rotation in a preview.
APP_SERVER_PRIVATE_KEY_DIGEST = "appServerPrivateKeyDigest"
# Outputs computed by AWS.
ARN = "arn"
FINGERPRINT = "fingerprint"
ACCOUNT_LINKED = "accountLinked"
PARTNER_ACCOUNT_ID = "partnerAccountId"
# The owner tag's value this resource wrote: it holds the association while AWS shows the same.
OWNER_MARKER = _ownership.OWNER_MARKER
# What the provider adds to the inputs it echoes.
OUTPUTS = (ARN, FINGERPRINT, ACCOUNT_LINKED, PARTNER_ACCOUNT_ID, OWNER_MARKER)

_KEY_PATTERN = re.compile(r"[0-9a-fA-F]{64}")
# 64 bits of the digest: enough to tell two keys apart, far too few to search a 256-bit key space by.
_DIGEST_HEX = 16
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# AmazonId allows 2048 characters, but the association is then addressed by it as PartnerAccountId,
# which allows 256: a longer one could be associated but never read, updated or disassociated.
_MAX_AMAZON_ID = 256
# Inputs whose change replaces the association rather than updating it.
_REPLACING = (AMAZON_ID, REGION)
_ASSOCIATE = "AssociateAwsAccountWithPartnerAccount"
_DISASSOCIATE = "DisassociateAwsAccountFromPartnerAccount"
_TAKE_OVER = (
    "set adoptExisting to true to bring the association under management (its holder's `pulumi destroy` "
    "then leaves it in place), or disassociate it first"
)


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def _derived_token(news: Mapping[str, Any], scoped: bool = True) -> str | Unknown:
    """Name a create by its parameters and its owner, so that a retried create is idempotent.

    The owner (project, stack, resource) is part of it: another stack or resource with the same inputs
    gets another token, so AWS answers its Associate with ConflictException instead of replaying this
    one's. Unscoped is the formula of releases before owner tags, which a take-over still recognises.
    """
    parts = [news.get(k) for k in (REGION, AMAZON_ID, APP_SERVER_PRIVATE_KEY, TAGS, OWNER)]
    if any(_is_unknown(p) for p in parts) or any(_is_unknown(v) for v in (news.get(TAGS) or {}).values()):
        return Unknown()  # type: ignore[no-untyped-call]
    region, amazon_id, key, tags, owner = parts
    # A digest, so the token (kept in plaintext in state and sent to AWS) never reveals the key.
    fields = [region, amazon_id, str(key).lower(), tags or {}] + ([owner] if scoped else [])
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


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

        failures.extend(_regional.unknown_input_failures("PartnerAccount", news, INPUTS))

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
        failures.extend(_ownership.failures(news.get(OWNER)))
        return failures

    def fill_defaults(self, olds: Mapping[str, Any], inputs: dict[str, Any]) -> None:
        """Set adoptExisting, the key's digest and the request token, after the region and tags."""
        inputs.setdefault(ADOPT_EXISTING, False)
        inputs[APP_SERVER_PRIVATE_KEY_DIGEST] = _key_digest(inputs[APP_SERVER_PRIVATE_KEY])
        if CLIENT_REQUEST_TOKEN not in inputs:
            # An existing resource keeps its token, so that a preview never shows it changing.
            inputs[CLIENT_REQUEST_TOKEN] = olds.get(CLIENT_REQUEST_TOKEN) or _derived_token(inputs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Compare old outputs with new inputs offline: identity replaces; key, tags and owner update."""
        replaces = [k for k in _REPLACING if _is_unknown(news.get(k)) or olds.get(k) != news.get(k)]
        key_changed = _key_changed(olds.get(APP_SERVER_PRIVATE_KEY), news.get(APP_SERVER_PRIVATE_KEY))
        tags_changed = (olds.get(TAGS) or {}) != (news.get(TAGS) or {})
        # An association made before owner tags, or a renamed stack, gets its marker (one TagResource).
        owner_changed = _ownership.needs_marking(olds, news)
        return DiffResult(
            changes=bool(replaces) or key_changed or tags_changed or owner_changed,
            replaces=replaces,
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Associate the Sidewalk account with its owner tag inline; take it over only when it may."""
        amazon_id, region = props[AMAZON_ID], props[REGION]
        marker = _ownership.new_marker(props[OWNER])
        try:
            arn = _associate(props, props[CLIENT_REQUEST_TOKEN], marker)
        except _aws.PartnerAccountError as err:
            if err.code != _aws.CONFLICT:
                raise
            # Associated already, or the token was used before with other parameters.
            outs = _claim(props, marker, _get_account(amazon_id, region))
        else:
            # AWS may answer a reused token with its earlier result: the owner tag says whose it is.
            outs = _claim(props, marker, _get_account(amazon_id, region), arn)
        return CreateResult(amazon_id, outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh the association from AWS; an empty id says it is gone, or held by another resource."""
        region = self.region_of(props)
        account = _get_account(id_, region)
        if account is None:
            return ReadResult("", {})
        outs = _outputs({**props, AMAZON_ID: id_, REGION: region}, account)
        outs[TAGS], live_marker = _tags.live(id_, region, outs[ARN])
        if not _ownership.holds(live_marker, props.get(OWNER_MARKER)):
            # A replacement, another stack's adoption or someone by hand holds it now: not this resource.
            return ReadResult("", {})
        if props.get(FINGERPRINT) not in (None, outs[FINGERPRINT]):
            # The key was set outside Pulumi: forget ours so that the next diff sets it again.
            outs.pop(APP_SERVER_PRIVATE_KEY, None)
            outs.pop(APP_SERVER_PRIVATE_KEY_DIGEST, None)
        # The inputs as AWS now has them, so that the next preview names what its update will change (a
        # key or tags set outside Pulumi). The engine keeps the key secret: its old input was.
        inputs = {k: outs[k] for k in (*INPUTS, APP_SERVER_PRIVATE_KEY_DIGEST) if k in outs}
        return ReadResult(id_, outs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Make only the calls the diff needs: the key, added or changed tags, removed tags."""
        region = news[REGION]
        outs = _regional.public({**olds, **news})
        if _key_changed(olds.get(APP_SERVER_PRIVATE_KEY), news[APP_SERVER_PRIVATE_KEY]):
            _set_key(id_, region, news[APP_SERVER_PRIVATE_KEY])
            # Read the new fingerprint back: refresh compares it to spot a key set outside Pulumi.
            outs = _outputs(outs, _require_account(id_, region))
        marker = _ownership.new_marker(news[OWNER]) if _ownership.needs_marking(olds, news) else None
        _tags.reconcile(
            id_, region, olds[ARN], olds.get(TAGS) or {}, news.get(TAGS) or {}, owner_marker=marker
        )
        outs[OWNER_MARKER] = marker or olds[OWNER_MARKER]
        return UpdateResult(outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Disassociate the Sidewalk account while this resource holds it; gone counts as deleted."""
        region = self.region_of(props)
        with _aws.gone_is_done():
            _, live_marker = _tags.live(id_, region, props[ARN])
            if not _ownership.holds(live_marker, props.get(OWNER_MARKER)):
                _ownership.leave_alone(_DISASSOCIATE, _aws.SIDEWALK_ACCOUNT.noun, id_, region, live_marker)
                return
            with _aws.translated(_DISASSOCIATE, id_, region):
                _aws.client(region).disassociate_aws_account_from_partner_account(
                    PartnerAccountId=id_, PartnerType=_aws.PARTNER_TYPE
                )


def _associate(props: Mapping[str, Any], token: str, marker: str | None) -> str:
    """Send the Associate call with the user's tags and, unless None, the owner tag; return the ARN."""
    amazon_id, region = props[AMAZON_ID], props[REGION]
    sidewalk: SidewalkAccountInfoTypeDef = {
        "AmazonId": amazon_id,
        "AppServerPrivateKey": props[APP_SERVER_PRIVATE_KEY],
    }
    tags = dict(props.get(TAGS) or {})
    if marker is not None:
        tags[_tags.OWNER_KEY] = marker
    with _aws.translated(_ASSOCIATE, amazon_id, region):
        response = _aws.client(region).associate_aws_account_with_partner_account(
            Sidewalk=sidewalk, ClientRequestToken=token, Tags=_tags.tag_list(tags)
        )
    return response["Arn"]


def _claim(
    props: Mapping[str, Any],
    marker: str,
    account: GetPartnerAccountResponseTypeDef | None,
    arn: str | None = None,
) -> dict[str, Any]:
    """Return the outputs of the association a create ends up with, once it is surely this resource's.

    `arn` is set when the Associate succeeded. The association is then the one it made, unless AWS
    replayed an earlier create's answer. After a ConflictException it is someone's: taken over when its
    owner tag names this resource (a replacement's predecessor, or an interrupted create of this one),
    or when adoptExisting says so; otherwise refused before anything changes.
    """
    amazon_id, region = props[AMAZON_ID], props[REGION]
    if account is None:
        # Nothing is associated: AWS replayed a token used before the association was removed, or
        # refused it as used with other parameters. Associate anew under a token of this create alone.
        arn = _associate(props, uuid.uuid4().hex, marker)
        return {**_outputs(props, _require_account(amazon_id, region), arn=arn), OWNER_MARKER: marker}
    arn = account["Sidewalk"].get("Arn") or arn or ""
    live_tags, live_marker = _tags.live(amazon_id, region, arn)
    if live_marker == marker:
        return {**_outputs(props, account, arn=arn), OWNER_MARKER: marker}
    if not (
        props.get(ADOPT_EXISTING)
        or _ownership.same_owner(live_marker, props[OWNER])
        or (live_marker is None and _made_by_earlier_release(props))
    ):
        noun = _aws.SIDEWALK_ACCOUNT.noun
        raise _ownership.held_error(_ASSOCIATE, noun, amazon_id, region, live_marker, _TAKE_OVER)
    # Take it over: this resource's key, tags and owner tag.
    _set_key(amazon_id, region, props[APP_SERVER_PRIVATE_KEY])
    account = _require_account(amazon_id, region)
    _tags.reconcile(amazon_id, region, arn, live_tags, props.get(TAGS) or {}, owner_marker=marker)
    return {**_outputs(props, account), OWNER_MARKER: marker}


def _made_by_earlier_release(props: Mapping[str, Any]) -> bool:
    """Tell whether an unmarked association is what a release before owner tags made from these inputs.

    Those releases associated under a token derived from the inputs alone, with no owner tag, and took
    over whatever AWS answered that token with: `pulumi up --replace` of such a stack relies on it. AWS
    replays the answer only to the same token with the same parameters, and associates nothing new
    while the association exists.
    """
    token = _derived_token(props, scoped=False)
    try:
        _associate(props, str(token), marker=None)
    except _aws.PartnerAccountError as err:
        if err.code != _aws.CONFLICT:
            raise
        return False
    return True


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
    outs = _regional.public(props)
    outs.update(
        {
            ARN: sidewalk.get("Arn") or arn,
            FINGERPRINT: sidewalk["Fingerprint"],
            ACCOUNT_LINKED: bool(account.get("AccountLinked", False)),
            PARTNER_ACCOUNT_ID: props[AMAZON_ID],
        }
    )
    return outs
