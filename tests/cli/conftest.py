"""The real-CLI tests' fixtures (`cli_bin`, `make_project`, `project`) live in tests/conftest.py.

They moved there so that tests elsewhere (tests/test_error_text.py) can run the real CLI too.
"""

from __future__ import annotations

from tests.conftest import REQUIRE_CLI

__all__ = ["REQUIRE_CLI"]
