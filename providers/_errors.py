"""In the provider process, an error told in one sentence reaches the user without a Python traceback.

The SDK's provider server (`python -m pulumi.dynamic`) answers every exception with
`traceback.format_exc()`, and the CLI prints that text as the error. For a PartnerAccountError the
sentence is the whole message: the frames of our code and the server's only bury it. Any other
exception is a bug of ours, and its traceback is what a bug report needs, so it keeps it.

`sys.tracebacklimit` would drop every traceback of the process, bugs' included. Instead the server
module's own name `traceback` is given a stand-in whose `format_exc` tells a sentence error alone
and leaves everything else to the real module. The program process (which imports the same
providers) is left untouched: its tracebacks are the user's own code.
"""

from __future__ import annotations

import sys
import traceback
import types
from typing import Any

__all__ = ["SERVER_MODULE", "SentenceTraceback", "install", "is_provider_server"]

# What `python -m pulumi.dynamic` (and a runpy wrapper of it, as `make bench` has) runs as __main__.
SERVER_MODULE = "pulumi.dynamic.__main__"


def is_provider_server(main: types.ModuleType | None) -> bool:
    """Say whether a __main__ module is the SDK's dynamic provider server."""
    spec = getattr(main, "__spec__", None)
    return getattr(spec, "name", None) == SERVER_MODULE


def _is_sentence_error(error: BaseException | None) -> bool:
    # Imported here: providers._aws imports this package, so a module-level import would be circular.
    from providers._aws import PartnerAccountError

    return isinstance(error, PartnerAccountError)


class SentenceTraceback(types.ModuleType):
    """The `traceback` module, except that `format_exc` gives a sentence error without its frames."""

    def __init__(self) -> None:
        super().__init__(traceback.__name__, traceback.__doc__)

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def format_exc(limit: int | None = None, chain: bool = True) -> str:
        """Format the exception being handled: a sentence error as its last line only."""
        error = sys.exception()
        if _is_sentence_error(error):
            # What Python prints under the traceback: `providers._aws.PartnerAccountError: <sentence>`.
            return "".join(traceback.format_exception_only(error))
        return traceback.format_exc(limit, chain)


def install(main: types.ModuleType | None = None) -> bool:
    """Give the provider server's module the sentence-aware `traceback`; say whether it has it now."""
    main = main if main is not None else sys.modules.get("__main__")
    if main is None or not is_provider_server(main):
        return False
    if getattr(main, "traceback", None) is traceback:
        main.traceback = SentenceTraceback()  # type: ignore[attr-defined]
    return isinstance(getattr(main, "traceback", None), SentenceTraceback)
