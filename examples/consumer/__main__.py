"""A consumer of the partner account's stack outputs: an IAM policy that can read the association.

The producer is the sidewalk-partner-account stack named by `producerStack`. Its
`partnerAccountArn` scopes the policy; its `fingerprint` tags it, so that a key rotation in
the producer shows up as a tag change in this stack's next preview.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
producer = pulumi.StackReference(config.require("producerStack"))
partner_account_arn = producer.require_output("partnerAccountArn")
fingerprint = producer.require_output("fingerprint")

read_association = aws.iam.Policy(
    "sidewalk-association-read",
    description="Read the Amazon Sidewalk association managed by the sidewalk-partner-account stack",
    policy=pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadSidewalkAssociation",
                    "Effect": "Allow",
                    "Action": ["iotwireless:GetPartnerAccount", "iotwireless:ListTagsForResource"],
                    "Resource": partner_account_arn,
                }
            ],
        }
    ),
    tags={"sidewalk-key-fingerprint": fingerprint},
)

pulumi.export("policyArn", read_association.arn)
pulumi.export("partnerAccountArn", partner_account_arn)
