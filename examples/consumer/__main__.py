"""A consumer of the partner account's stack outputs: read them through a StackReference, export them.

The producer is the sidewalk-partner-account stack named by `producerStack`. The program makes no
resource, so it needs no resource plugin and runs offline; a real consumer would pass
`partner_account_arn` to an IAM policy's Resource, or `fingerprint` to a tag, in the same way.
"""

from __future__ import annotations

import pulumi

config = pulumi.Config()
producer = pulumi.StackReference(config.require("producerStack"))
partner_account_arn = producer.require_output("partnerAccountArn")
fingerprint = producer.require_output("fingerprint")

pulumi.export("partnerAccountArn", partner_account_arn)
pulumi.export("fingerprint", fingerprint)
# require_output: an output missing from the producer is a broken contract, not a None.
pulumi.export("amazonId", producer.require_output("amazonId"))
