"""Dynamic providers of AWS IoT Wireless Sidewalk resources, served by `python -m pulumi.dynamic`."""

from __future__ import annotations

from providers import _errors

# The provider server imports this package when it unpickles a provider, before any request fails:
# from then on its errors of one sentence come without a traceback. Elsewhere this does nothing.
_errors.install()
