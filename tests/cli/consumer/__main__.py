"""A consumer stack: read the association's outputs through a StackReference and export them again."""

from __future__ import annotations

import pulumi

# The producer's fully qualified stack name, e.g. organization/sidewalk-partner-account/dev.
producer = pulumi.StackReference(pulumi.Config().require("producer"))

# require_output: an output missing from the producer is a broken contract, not a None.
for name in ("partnerAccountArn", "fingerprint", "amazonId", "region"):
    pulumi.export(name, producer.require_output(name))
