"""Bad stack config as `pulumi preview` shows it: the provider's check names the field and the rule."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.cli.project import PulumiProject
from tests.emulator import Emulator
from tests.support import KEY, PARTNER_ACCOUNT_TYPE, assert_no_key

SHORT_KEY = KEY[:-1]
# The engine prints a check failure as "<type> resource '<name>': property <field> value {<value>}
# has a problem: <reason>", the value as Go formats a property value and a secret as [secret].
CHECK_FAILURE = (
    "error: {type} resource 'sidewalk': property {field} value {{{shown}}} has a problem: {reason}"
)

BAD_CONFIG = [
    pytest.param(
        "sidewalk:appServerPrivateKey",
        SHORT_KEY,
        "appServerPrivateKey",
        "[secret]",
        "appServerPrivateKey must be exactly 64 hexadecimal digits",
        id="63-digit-key",
    ),
    pytest.param(
        "aws:region",
        "US_EAST_1",
        "region",
        "US_EAST_1",
        "region must be an AWS region name such as us-east-1",
        id="region-in-capitals",
    ),
    pytest.param(
        # `pulumi config set` keeps a trailing space, as when a region is pasted from a document.
        "aws:region",
        "us-east-1 ",
        "region",
        "us-east-1 ",
        "region must be an AWS region name such as us-east-1",
        id="region-with-trailing-space",
    ),
    pytest.param(
        "sidewalk:tags",
        {"aws:team": "iot"},
        "tags",
        "map[aws:team:{iot}]",
        "tags: key 'aws:team' must not start with 'aws:' in any case (reserved by AWS)",
        id="aws-prefixed-tag-key",
    ),
]


@pytest.mark.parametrize(("config_key", "value", "field", "shown", "reason"), BAD_CONFIG)
def test_preview_refuses_bad_config_naming_the_field_before_any_aws_call(
    project: PulumiProject,
    emulator: Emulator,
    config_key: str,
    value: Any,
    field: str,
    shown: str,
    reason: str,
) -> None:
    """`pulumi preview` exits non-zero with the provider's check failure, having called no AWS API."""
    project.config_set(config_key, value, secret=config_key == "sidewalk:appServerPrivateKey")
    preview = project.run("preview", check=False)
    assert preview.returncode != 0
    message = CHECK_FAILURE.format(type=PARTNER_ACCOUNT_TYPE, field=field, shown=shown, reason=reason)
    assert message in preview.output
    assert emulator.calls() == []


def test_preview_never_prints_a_refused_key(project: PulumiProject) -> None:
    """A 63-digit key refused by check appears in neither the text nor the `--json` output of preview."""
    project.config_set("sidewalk:appServerPrivateKey", SHORT_KEY, secret=True)
    text = project.run("preview", check=False)
    as_json = project.run("preview", "--json", check=False)
    [diagnostic] = [d for d in as_json.json()["diagnostics"] if d.get("urn", "").endswith("::sidewalk")]
    assert re.search(r"property appServerPrivateKey value \{\[secret\]\}", diagnostic["message"])
    assert_no_key(text.output + as_json.output, SHORT_KEY)
