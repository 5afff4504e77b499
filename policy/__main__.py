"""The policy pack: `pulumi preview --policy-pack policy` runs this with the project's virtualenv."""

from __future__ import annotations

import sys
from pathlib import Path

from pulumi_policy import PolicyPack

# The rules import what the project knows (providers._aws) rather than keep a copy of it.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from rules import POLICIES

PolicyPack(name="sidewalk-policies", policies=POLICIES)
