"""`python -m bench.counting_server`: the SDK's dynamic provider server, counting botocore clients.

Each client the process creates appends one line, `SERVICE REGION`, to the file named by
BENCH_CLIENT_LOG. The count is taken at botocore's `Session.create_client`, beneath boto3, so it
sees every client however it was asked for; the product code carries no hook for it. The patch
goes in when the provider first imports botocore, so the server imports what it would alone.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import runpy
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["CLIENT_LOG_ENV", "count_clients"]

CLIENT_LOG_ENV = "BENCH_CLIENT_LOG"
_SESSION_MODULE = "botocore.session"


def count_clients(log_path: str) -> None:
    """Make every botocore client this process creates append a line to log_path."""
    lock = threading.Lock()

    def patch(session_module: ModuleType) -> None:
        create_client: Callable[..., Any] = session_module.Session.create_client

        def counting_create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
            client = create_client(self, *args, **kwargs)
            with lock, open(log_path, "a", encoding="utf-8") as log:
                log.write(f"{client.meta.service_model.service_name} {client.meta.region_name}\n")
            return client

        session_module.Session.create_client = counting_create_client

    if _SESSION_MODULE in sys.modules:
        patch(sys.modules[_SESSION_MODULE])
    else:
        sys.meta_path.insert(0, _PatchOnImport(_SESSION_MODULE, patch))


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Run a patch on one module right after its first import."""

    def __init__(self, name: str, patch: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.patch = patch

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        loader: Any = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module: ModuleType) -> None:
            exec_module(module)
            self.patch(module)

        loader.exec_module = exec_and_patch
        return spec


if __name__ == "__main__":
    count_clients(os.environ[CLIENT_LOG_ENV])
    # As `python -m pulumi.dynamic`: run the package's __main__, which serves until killed.
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)
