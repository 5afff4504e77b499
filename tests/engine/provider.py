"""The provider plugin as the engine runs it: `python -u -m pulumi.dynamic` spoken to over gRPC."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Self

import grpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from tests.engine.wire import Secret, to_struct

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_NAME = "sidewalk-partner-account"
# The module `pulumi up` runs for a dynamic provider; a wrapper of it may run instead (make bench).
DYNAMIC_SERVER = "pulumi.dynamic"
# The engine passes its own address; the dynamic provider server never dials it.
_ENGINE_ADDRESS = "127.0.0.1:0"


def merged_env(changes: Mapping[str, str | None]) -> dict[str, str]:
    """Merged_env is this process's environment with changes applied; None unsets a variable."""
    env = {**os.environ, **changes}
    return {k: v for k, v in env.items() if v is not None}


class ProviderProcess:
    """ProviderProcess starts the SDK's dynamic provider server, or a wrapper of it, and configures it."""

    def __init__(
        self,
        env: Mapping[str, str | None] | None = None,
        cwd: Path = PROJECT_ROOT,
        module: str = DYNAMIC_SERVER,
    ) -> None:
        self.env = merged_env({**(env or {}), "PULUMI_PROJECT": PROJECT_NAME})
        self.cwd = cwd
        self.module = module
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._readers: list[threading.Thread] = []
        self.stub: provider_pb2_grpc.ResourceProviderStub

    def start(self) -> Self:
        """Start launches the server and waits for the port on its first line of stdout."""
        self._process = subprocess.Popen(
            [sys.executable, "-u", "-m", self.module, _ENGINE_ADDRESS],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        first = self._process.stdout.readline().decode().strip()
        self._readers = [
            self._drain(self._process.stdout, self.stdout),
            self._drain(self._process.stderr, self.stderr),
        ]
        if not first.isdigit():
            self.stop()
            raise RuntimeError(f"the provider did not start: {first!r} {''.join(self.stderr)}")
        self._channel = grpc.insecure_channel(f"127.0.0.1:{first}")
        grpc.channel_ready_future(self._channel).result(timeout=30)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        return self

    @staticmethod
    def _drain(stream: IO[bytes], into: list[str]) -> threading.Thread:
        def read() -> None:
            for line in iter(stream.readline, b""):
                into.append(line.decode(errors="replace"))
            stream.close()

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        return thread

    def configure(self, config: Mapping[str, Any]) -> provider_pb2.ConfigureResponse:
        """Configure sends the whole stack config with namespaced keys, secrets wrapped."""
        # The engine asks CheckConfig first; UNIMPLEMENTED means "no opinion".
        try:
            self.stub.CheckConfig(provider_pb2.CheckRequest(news=to_struct(dict(config))))
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
        variables = {k: v.value if isinstance(v, Secret) else v for k, v in config.items()}
        response: provider_pb2.ConfigureResponse = self.stub.Configure(
            provider_pb2.ConfigureRequest(
                variables={k: str(v) for k, v in variables.items()},
                args=to_struct(dict(config)),
                acceptSecrets=True,
                acceptResources=True,
            )
        )
        return response

    @property
    def pid(self) -> int:
        """Pid is the server's process id."""
        assert self._process is not None
        return self._process.pid

    def output(self) -> str:
        """Output is everything the server printed, stdout then stderr."""
        return "".join(self.stdout) + "".join(self.stderr)

    def kill(self) -> None:
        """Kill ends the server at once, as a crash would."""
        if self._process is not None:
            self._process.kill()
        self.stop()

    def stop(self) -> None:
        """Stop ends the server and closes the channel."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
            self._process.wait(timeout=30)
            for reader in self._readers:
                reader.join(timeout=5)
            self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
