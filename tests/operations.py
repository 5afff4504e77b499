"""IoT Wireless operation names, as the emulator logs them and the tests and benchmarks count them."""

from __future__ import annotations

__all__ = [
    "ASSOCIATE",
    "CREATE_CALLS",
    "DELETE_CALLS",
    "DISASSOCIATE",
    "GET",
    "LIST",
    "LIST_TAGS",
    "TAG",
    "TAKE_OVER_CALLS",
    "UNTAG",
    "UPDATE",
]

ASSOCIATE = "AssociateAwsAccountWithPartnerAccount"
GET = "GetPartnerAccount"
UPDATE = "UpdatePartnerAccount"
DISASSOCIATE = "DisassociateAwsAccountFromPartnerAccount"
LIST = "ListPartnerAccounts"
TAG = "TagResource"
UNTAG = "UntagResource"
LIST_TAGS = "ListTagsForResource"

# What the PartnerAccount's lifecycle steps call, in order (README "Calls per operation").
# Create: associate with the owner tag inline, read the fingerprint, check the owner tag.
CREATE_CALLS = [ASSOCIATE, GET, LIST_TAGS]
# Delete: check the owner tag, then disassociate what this resource still holds.
DELETE_CALLS = [LIST_TAGS, DISASSOCIATE]
# A create that meets its own predecessor's association: conflict, read it and its owner tag, then
# set the key, read the new fingerprint and write the tags and the new owner tag.
TAKE_OVER_CALLS = [ASSOCIATE, GET, LIST_TAGS, UPDATE, GET, TAG]
