"""What every provider here shares: resources in one AWS region, by default the stack's."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, ResourceProvider
from pulumi.output import Unknown

from providers import _aws, _tags

__all__ = [
    "PROVIDER_KEY",
    "REGION",
    "RegionalProvider",
    "default_region",
    "public",
    "region_failures",
    "shape_failure",
    "unknown_input_failures",
]

# The input's name on the wire, the same for every resource.
REGION = "region"
# Where the SDK keeps the pickled provider, among the inputs and outputs of every dynamic resource.
PROVIDER_KEY = "__provider"


def public(props: Mapping[str, Any]) -> dict[str, Any]:
    """Return a resource's properties without the pickled provider."""
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


def unknown_input_failures(kind: str, news: Mapping[str, Any], inputs: Sequence[str]) -> list[CheckFailure]:
    """Refuse each input a resource does not have, naming the ones it has."""
    return [
        CheckFailure(name, f"{name!r} is not an input of {kind} (the inputs are {', '.join(inputs)})")
        for name in sorted(set(news) - {*inputs, PROVIDER_KEY})
    ]


def default_region(stack_region: str | None) -> str:
    """Pick the region of a resource that names none, as the contract orders."""
    return (
        stack_region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or _aws.DEFAULT_REGION
    )


def region_failures(region: Any) -> list[CheckFailure]:
    """Refuse a region input that names no AWS region; absent or not yet known passes."""
    if region is None or isinstance(region, Unknown):
        return []
    if isinstance(region, str) and _aws.is_region_name(region):
        return []
    return [CheckFailure(REGION, f"region must be an AWS region name such as {_aws.DEFAULT_REGION}")]


def shape_failure(prop: str, shape: str, value: Any, required: bool = False) -> CheckFailure | None:
    """Apply the model's rules for a string shape to one input, or return None when it keeps them."""
    rules = _aws.shape_rules(shape)
    if not isinstance(value, str):
        return CheckFailure(prop, f"{prop} must be a string")
    if "enum" in rules:
        if value not in rules["enum"]:
            return CheckFailure(prop, f"{prop} must be one of {', '.join(rules['enum'])}")
        return None
    # AWS refuses an empty required member even where the model sets no minimum.
    low, high = max(rules.get("min", 0), 1 if required else 0), rules["max"]
    if not low <= len(value) <= high:
        return CheckFailure(prop, f"{prop} must be {low} to {high} characters")
    if "pattern" in rules and not re.fullmatch(rules["pattern"], value):
        return CheckFailure(prop, f"{prop} must match the pattern {rules['pattern']}")
    return None


class RegionalProvider(ResourceProvider):
    """A provider whose resources fall back to the stack's `aws:region`."""

    # Only plain data lives on the instance (it is pickled into state): no clients, no sessions.
    _stack_region: str | None = None

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the inputs offline; valid ones get the region, tags and the resource's defaults."""
        failures = self.check_failures(news)
        inputs = dict(news)
        if not failures:
            inputs.setdefault(REGION, self.region_of(inputs))
            inputs.setdefault(_tags.TAGS, {})
            self.fill_defaults(olds, inputs)
        return CheckResult(inputs, failures)

    def check_failures(self, news: Mapping[str, Any]) -> list[CheckFailure]:
        """Apply every rule of the resource to known input values; never raise."""
        raise NotImplementedError

    def fill_defaults(self, olds: Mapping[str, Any], inputs: dict[str, Any]) -> None:
        """Set the resource's own defaults on inputs that passed check."""

    def configure(self, req: ConfigureRequest) -> None:
        """Record the stack's `aws:region`, every resource's default, and use its `aws:profile`."""
        region = req.config.get("aws:region")
        self._stack_region = region if isinstance(region, str) else None
        profile = req.config.get("aws:profile")
        _aws.use_profile(profile if isinstance(profile, str) else None)

    def region_of(self, props: Mapping[str, Any]) -> str:
        """Return the region a resource lives in: its own input, else the default."""
        region = props.get(REGION)
        return region if isinstance(region, str) and region else default_region(self._stack_region)
