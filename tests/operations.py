"""IoT Wireless operation names, as the emulator logs them and the tests and benchmarks count them."""

from __future__ import annotations

__all__ = ["ASSOCIATE", "DISASSOCIATE", "GET", "LIST", "LIST_TAGS", "TAG", "UNTAG", "UPDATE"]

ASSOCIATE = "AssociateAwsAccountWithPartnerAccount"
GET = "GetPartnerAccount"
UPDATE = "UpdatePartnerAccount"
DISASSOCIATE = "DisassociateAwsAccountFromPartnerAccount"
LIST = "ListPartnerAccounts"
TAG = "TagResource"
UNTAG = "UntagResource"
LIST_TAGS = "ListTagsForResource"
