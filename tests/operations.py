"""IoT Wireless operation names, as the emulator logs them and the tests and benchmarks count them."""

from __future__ import annotations

__all__ = [
    "ASSOCIATE",
    "CREATE_CALLS",
    "DELETE_CALLS",
    "DELETE_IMPORT",
    "DEVICE_CREATE_CALLS",
    "DEVICE_DELETE_CALLS",
    "DEVICE_READ_CALLS",
    "DEVICE_TAKE_OVER_CALLS",
    "DEVICE_UPDATE_CALLS",
    "DISASSOCIATE",
    "GET",
    "GET_IMPORT",
    "IMPORT_CREATE_CALLS",
    "IMPORT_DELETE_CALLS",
    "IMPORT_READ_CALLS",
    "IMPORT_SINGLE_CREATE_CALLS",
    "IMPORT_UPDATE_CALLS",
    "LIST",
    "LIST_IMPORT_DEVICES",
    "LIST_TAGS",
    "PROFILE_ADOPT_CALLS",
    "PROFILE_CREATE_CALLS",
    "PROFILE_DELETE_CALLS",
    "PROFILE_READ_CALLS",
    "START_IMPORT",
    "START_SINGLE_IMPORT",
    "TAG",
    "TAKE_OVER_CALLS",
    "UNTAG",
    "UPDATE",
    "UPDATE_IMPORT",
    "polled_once",
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

# The SidewalkDeviceProfile's lifecycle steps (README "Calls per operation").
# Create: one create with tags and owner tag inline (AWS makes the id), then one read of what AWS generated.
PROFILE_CREATE_CALLS = ["CreateDeviceProfile", "GetDeviceProfile"]
# Refresh: the profile, then its tags, the owner tag among them.
PROFILE_READ_CALLS = ["GetDeviceProfile", LIST_TAGS]
# Delete: check the owner tag, then delete what this resource still holds.
PROFILE_DELETE_CALLS = [LIST_TAGS, "DeleteDeviceProfile"]
# Create with adoptExistingId: no CreateDeviceProfile; the profile, its owner tag, then one TagResource
# of the owner tag with the tags that differ (an UntagResource follows only for tags to remove).
PROFILE_ADOPT_CALLS = ["GetDeviceProfile", LIST_TAGS, TAG]

# The SidewalkDevice's lifecycle steps, shaped as the profile's.
DEVICE_CREATE_CALLS = ["CreateWirelessDevice", "GetWirelessDevice"]
# Update in place: one call with every member that changed (tags aside).
DEVICE_UPDATE_CALLS = ["UpdateWirelessDevice"]
DEVICE_READ_CALLS = ["GetWirelessDevice", LIST_TAGS]
DEVICE_DELETE_CALLS = [LIST_TAGS, "DeleteWirelessDevice"]
# A create that meets a device of its SMSN: refused, then the device and its owner tag are read; what
# follows (an update, the tags) depends on whether it may take the device over.
DEVICE_TAKE_OVER_CALLS = ["CreateWirelessDevice", "GetWirelessDevice", LIST_TAGS]

# The SidewalkDeviceImportTask's operations and lifecycle steps. A create or an update waits by
# polling GetWirelessDeviceImportTask at a fixed interval, so its sequences count that poll once:
# compare them with `polled_once(calls)`.
START_SINGLE_IMPORT = "StartSingleWirelessDeviceImportTask"
START_IMPORT = "StartWirelessDeviceImportTask"
GET_IMPORT = "GetWirelessDeviceImportTask"
LIST_IMPORT_DEVICES = "ListDevicesForWirelessDeviceImportTask"
UPDATE_IMPORT = "UpdateWirelessDeviceImportTask"
DELETE_IMPORT = "DeleteWirelessDeviceImportTask"
# Create: start the task (tags inline, a request token of the resource's own), poll it until no
# device is pending, then list its devices (one call per 250 devices).
IMPORT_SINGLE_CREATE_CALLS = [START_SINGLE_IMPORT, GET_IMPORT, LIST_IMPORT_DEVICES]
IMPORT_CREATE_CALLS = [START_IMPORT, GET_IMPORT, LIST_IMPORT_DEVICES]
# Update of a file task's deviceCreationFile: append the file, wait again, list the devices.
IMPORT_UPDATE_CALLS = [UPDATE_IMPORT, GET_IMPORT, LIST_IMPORT_DEVICES]
# Refresh: the task, its devices and its tags.
IMPORT_READ_CALLS = [GET_IMPORT, LIST_IMPORT_DEVICES, LIST_TAGS]
# Delete: one call; the devices it onboarded stay.
IMPORT_DELETE_CALLS = [DELETE_IMPORT]


def polled_once(calls: list[str]) -> list[str]:
    """Return a call sequence with each run of GetWirelessDeviceImportTask polls counted once."""
    return [c for i, c in enumerate(calls) if not (c == GET_IMPORT and i and calls[i - 1] == GET_IMPORT)]
