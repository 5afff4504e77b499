"""`python -m providers.discover`: the Sidewalk associations of an AWS account, and how to adopt one.

Discover lists every association of the account in a region (ListPartnerAccounts, page by page,
and ListTagsForResource for each) as a table. With `--emit-config` it prints instead the
`pulumi config set` commands that bring an association under a stack of this project with
`adoptExisting`. It never reads, prints or asks for the application server's private key.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from providers import _aws
from providers.partner_account import default_region

__all__ = ["Association", "adoption_commands", "list_associations", "main", "table"]

# The placeholder the emitted commands show for the key; the key itself is never known here.
KEY_PLACEHOLDER = "<your key>"


@dataclass(frozen=True)
class Association:
    """One Sidewalk account associated with the AWS account, with its tags."""

    amazon_id: str
    arn: str
    fingerprint: str
    tags: dict[str, str] = field(default_factory=dict)


def list_associations(region: str) -> list[Association]:
    """Read every association in a region, following NextToken to the last page."""
    client = _aws.client(region)
    summaries = []
    next_token = ""
    with _aws.translated("ListPartnerAccounts", "", region):
        while True:
            # boto3 has no paginator for ListPartnerAccounts; this loop follows the pages.
            page = (
                client.list_partner_accounts(NextToken=next_token)
                if next_token
                else client.list_partner_accounts()
            )
            summaries.extend(page.get("Sidewalk", []))
            next_token = page.get("NextToken", "")
            if not next_token:
                break
    associations = []
    for summary in summaries:
        amazon_id, arn = summary.get("AmazonId", ""), summary.get("Arn", "")
        with _aws.translated("ListTagsForResource", amazon_id, region):
            tags = client.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
        associations.append(
            Association(
                amazon_id=amazon_id,
                arn=arn,
                fingerprint=summary.get("Fingerprint", ""),
                tags={t["Key"]: t.get("Value", "") for t in tags},
            )
        )
    return associations


def table(associations: Sequence[Association]) -> str:
    """Render associations as aligned columns, one row each, sorted by AmazonId."""
    header = ("AMAZON ID", "ARN", "FINGERPRINT", "TAGS")
    rows = [header] + [
        (
            a.amazon_id,
            a.arn,
            a.fingerprint[:16] + "..." if a.fingerprint else "-",
            ", ".join(f"{k}={v}" for k, v in sorted(a.tags.items())) or "-",
        )
        for a in sorted(associations, key=lambda a: a.amazon_id)
    ]
    # Every column but the last is padded to its widest cell.
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ("  ".join([*(row[i].ljust(w) for i, w in enumerate(widths)), row[-1]]) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


def adoption_commands(association: Association, region: str) -> str:
    """Return the `pulumi config set` commands that adopt one association."""
    tags = json.dumps(dict(sorted(association.tags.items())), separators=(", ", ": "))
    lines = [
        f"# Adopt Sidewalk account {association.amazon_id} ({association.arn}).",
        "# Run in this project with the stack selected that is to manage it, then `pulumi up`.",
        f"pulumi config set aws:region {shlex.quote(region)}",
        f"pulumi config set sidewalk:amazonId {shlex.quote(association.amazon_id)}",
        "pulumi config set sidewalk:adoptExisting true",
        "# The tags it has now; adoption makes the live tags equal to sidewalk:tags.",
        f"pulumi config set sidewalk:tags {shlex.quote(tags)}",
        "# AWS never returns the key, and adoption sets the one you give in place of the one in use:",
        "# give the same key unless you mean to rotate it. Without a value the CLI prompts for it.",
        f"pulumi config set --secret sidewalk:appServerPrivateKey  # {KEY_PLACEHOLDER}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table, or the adoption commands, and answer 1 with one sentence on failure."""
    parser = argparse.ArgumentParser(
        prog="python -m providers.discover",
        description="List the Sidewalk associations of the AWS account, or print how to adopt one.",
    )
    parser.add_argument(
        "--region",
        help="AWS region; default AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1",
    )
    parser.add_argument(
        "--emit-config",
        nargs="?",
        const="",
        metavar="AMAZON_ID",
        help="print the `pulumi config set` commands that adopt AMAZON_ID (every association without one)",
    )
    args = parser.parse_args(argv)
    region = args.region or default_region(None)
    try:
        associations = list_associations(region)
    except _aws.PartnerAccountError as err:
        print(err, file=sys.stderr)
        return 1
    if not associations and not args.emit_config:
        print(f"No Sidewalk account is associated with this AWS account in {region}.")
        return 0
    if args.emit_config is None:
        print(table(associations))
        return 0
    chosen = [a for a in associations if args.emit_config in ("", a.amazon_id)]
    if not chosen:
        print(
            f"No association of Sidewalk account {args.emit_config!r} in {region}: "
            "run without --emit-config to list those there are.",
            file=sys.stderr,
        )
        return 1
    print("\n\n".join(adoption_commands(a, region) for a in sorted(chosen, key=lambda a: a.amazon_id)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
