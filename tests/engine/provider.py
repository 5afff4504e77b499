"""The provider plugin as the engine runs it: `python -u -m pulumi.dynamic` spoken to over gRPC."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Self

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from tests.engine.wire import Secret, strip, to_struct

__all__ = [
    "DEFAULT_PROVIDER_URN",
    "DYNAMIC_SERVER",
    "PROJECT_NAME",
    "PROJECT_ROOT",
    "ProviderProcess",
    "config_strings",
    "merged_env",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_NAME = "sidewalk-partner-account"
# The module `pulumi up` runs for a dynamic provider; a wrapper of it may run instead (make bench).
DYNAMIC_SERVER = "pulumi.dynamic"
# The engine passes its own address; the dynamic provider server never dials it.
_ENGINE_ADDRESS = "127.0.0.1:0"
# The engine configures a dynamic provider as the stack's default provider of package pulumi-python.
DEFAULT_PROVIDER_TYPE = "pulumi:providers:pulumi-python"
DEFAULT_PROVIDER_URN = f"urn:pulumi:dev::{PROJECT_NAME}::{DEFAULT_PROVIDER_TYPE}::default"
# Configure's deprecated `variables` are keyed `<package>:config:<key>`.
_VARIABLE_PREFIX = "pulumi-python:config:"


def merged_env(changes: Mapping[str, str | None]) -> dict[str, str]:
    """Return this process's environment with changes applied; None unsets a variable."""
    env = {**os.environ, **changes}
    return {k: v for k, v in env.items() if v is not None}


def config_strings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return stack config as the engine gives it to a provider: every value text, secrets kept."""
    # An object or a bool set with `pulumi config set` reaches the provider as its JSON, as Go's
    # json.Marshal writes it (sorted keys, no spaces).

    def text(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))

    return {k: Secret(text(v.value)) if isinstance(v, Secret) else text(v) for k, v in config.items()}


class _RecordingStub:
    """Forward each RPC to the real stub and note its method name, with `!` when it failed."""

    def __init__(self, stub: provider_pb2_grpc.ResourceProviderStub, calls: list[str]) -> None:
        self._stub = stub
        self._calls = calls

    def __getattr__(self, method: str) -> Any:
        rpc = getattr(self._stub, method)

        def call(request: Any, **kwargs: Any) -> Any:
            # A custom timeout is part of the call: the engine sends it, the dynamic provider ignores it.
            timeout = getattr(request, "timeout", 0)
            name = f"{method}(timeout={timeout:g})" if timeout else method
            try:
                response = rpc(request, **kwargs)
            except grpc.RpcError:
                self._calls.append(f"{name}!")
                raise
            self._calls.append(name)
            return response

        return call


class ProviderProcess:
    """Start the SDK's dynamic provider server, or a wrapper of it, and configure it as the engine does."""

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
        # The RPCs the server was sent, by method name, over every start: the engine's side of the talk.
        self.calls: list[str] = []
        self.stub: Any

    def start(self) -> Self:
        """Launch the server and wait for the port on its first line of stdout."""
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
        self.stub = _RecordingStub(provider_pb2_grpc.ResourceProviderStub(self._channel), self.calls)
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

    def configure(
        self,
        config: Mapping[str, Any],
        olds: Mapping[str, Any] | None = None,
        check: bool = True,
    ) -> provider_pb2.ConfigureResponse:
        """Load and configure the server as the engine's default provider: the whole stack config, as text."""
        # The engine handshakes and asks for the plugin's info on load; a registering command then has
        # the config checked and, when the stack already holds the provider, diffed against the config
        # of the last `up` (olds); refresh and destroy only configure. Handshake, CheckConfig and
        # DiffConfig each answer UNIMPLEMENTED, which the engine takes for "no opinion".
        self._unimplemented(
            self.stub.Handshake, provider_pb2.ProviderHandshakeRequest(engine_address=_ENGINE_ADDRESS)
        )
        self.stub.GetPluginInfo(empty_pb2.Empty())
        news = config_strings(config)
        provider: dict[str, Any] = {
            "urn": DEFAULT_PROVIDER_URN,
            "name": "default",
            "type": DEFAULT_PROVIDER_TYPE,
        }
        if check:
            old_struct = to_struct(strip(config_strings(olds or {})))
            self._unimplemented(
                self.stub.CheckConfig,
                provider_pb2.CheckRequest(olds=old_struct, news=to_struct(strip(news)), **provider),
            )
            if olds is not None:
                self._unimplemented(
                    self.stub.DiffConfig,
                    provider_pb2.DiffRequest(
                        olds=old_struct, news=to_struct(strip(news)), old_inputs=old_struct, **provider
                    ),
                )
        response: provider_pb2.ConfigureResponse = self.stub.Configure(
            provider_pb2.ConfigureRequest(
                variables={_VARIABLE_PREFIX + k: v for k, v in strip(news).items()},
                args=to_struct(news),
                acceptSecrets=True,
                acceptResources=True,
                sends_old_inputs=True,
                sends_old_inputs_to_delete=True,
                **provider,
            )
        )
        return response

    @staticmethod
    def _unimplemented(method: Any, request: Any) -> None:
        """Call an RPC the dynamic provider does not implement; UNIMPLEMENTED is the expected answer."""
        try:
            method(request)
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise

    @property
    def pid(self) -> int:
        """Return the server's process id."""
        assert self._process is not None
        return self._process.pid

    def output(self) -> str:
        """Return everything the server printed, stdout then stderr."""
        return "".join(self.stdout) + "".join(self.stderr)

    def kill(self) -> None:
        """End the server at once, as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=30)
        self.stop()

    def stop(self) -> None:
        """Cancel the server's work as the engine does on closing a plugin, then end it."""
        if self._channel is not None and self._process is not None and self._process.poll() is None:
            with contextlib.suppress(grpc.RpcError):
                self.stub.Cancel(empty_pb2.Empty(), timeout=5)
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
