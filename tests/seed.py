"""`python -m tests.seed`: give the emulator the two associations the README's discovery examples show.

The emulator is the one `AWS_ENDPOINT_URL_IOT_WIRELESS` names; without that variable nothing is
sent, so that the test keys below can never reach a real AWS account.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import boto3

from tests.support import KEY, OTHER_KEY

if TYPE_CHECKING:
    from mypy_boto3_iotwireless import IoTWirelessClient

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_IOT_WIRELESS"
REGION = "us-east-1"


def seed(iotwireless: IoTWirelessClient) -> None:
    """Associate amzn1.account.EXAMPLE (tagged) and amzn1.account.LEGACY (untagged), with test keys."""
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": "amzn1.account.EXAMPLE", "AppServerPrivateKey": KEY},
        Tags=[{"Key": "team", "Value": "iot"}, {"Key": "environment", "Value": "dev"}],
    )
    iotwireless.associate_aws_account_with_partner_account(
        Sidewalk={"AmazonId": "amzn1.account.LEGACY", "AppServerPrivateKey": OTHER_KEY}
    )


def main() -> int:
    """Seed the emulator at AWS_ENDPOINT_URL_IOT_WIRELESS, or refuse without that variable."""
    endpoint = os.environ.get(ENDPOINT_VARIABLE)
    if not endpoint:
        print(f"python -m tests.seed: set {ENDPOINT_VARIABLE} to the emulator's address", file=sys.stderr)
        return 2
    seed(boto3.client("iotwireless", region_name=REGION, endpoint_url=endpoint))
    print("the emulator now holds amzn1.account.EXAMPLE and amzn1.account.LEGACY")
    return 0


if __name__ == "__main__":
    sys.exit(main())
