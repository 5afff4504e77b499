"""TrivialProvider: the smallest dynamic provider, the baseline of the cold-start benchmark.

This module is what the server imports to unpickle the provider: it imports nothing else.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, ResourceProvider

__all__ = ["TrivialProvider"]


class TrivialProvider(ResourceProvider):
    """Answer Create at once, touching nothing outside the process."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Return a fixed id and no outputs."""
        return CreateResult("trivial", {})
