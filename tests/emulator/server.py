"""The emulator's WSGI app, its background server and a client for its control endpoint."""

from __future__ import annotations

import copy
import json
import threading
import traceback
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypedDict, cast

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .auth import authenticate
from .exceptions import InternalServerException, IoTWirelessError, UnknownOperationException
from .faults import FaultInjector
from .models import DEFAULT_IMPORT_STEP_SECONDS, IoTWirelessBackend, Settings, TokenReuse
from .responses import Caller, dispatch, redact
from .urls import match

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["CONTROL_PREFIX", "Emulator", "EmulatorApp", "EmulatorClient", "LogEntry"]

CONTROL_PREFIX = "/_emulator/"
HOST = "127.0.0.1"


class LogEntry(TypedDict):
    """A record of one API request, with every sensitive member redacted."""

    operation: str | None
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int
    region: str | None
    account: str | None
    access_key: str | None
    faulted: bool


class EmulatorApp:
    """The WSGI application: the IoT Wireless API plus the control endpoint."""

    def __init__(
        self,
        backend: IoTWirelessBackend,
        faults: FaultInjector,
        credentials: Mapping[str, str] | None = None,
        latency: float = 0.0,
    ) -> None:
        self.backend = backend
        self.faults = faults
        self.credentials = dict(credentials) if credentials is not None else None
        self.latency = latency
        self._log: list[LogEntry] = []
        self._log_lock = threading.Lock()
        # Bumped by reset, so a request that straddles one cannot leak into the next test.
        self._generation = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        control = request.path.startswith(CONTROL_PREFIX)
        response = self._control(request) if control else self._api(request)
        return response(environ, start_response)

    @property
    def log(self) -> list[LogEntry]:
        """Return a copy of the request log, oldest first."""
        with self._log_lock:
            return copy.deepcopy(self._log)

    def calls(self, include_faulted: bool = True) -> list[str]:
        """Name the operation of each logged request that matched one, oldest first."""
        return [
            entry["operation"]
            for entry in self.log
            if entry["operation"] is not None and (include_faulted or not entry["faulted"])
        ]

    def clear_log(self) -> None:
        """Empty the request log."""
        with self._log_lock:
            self._log.clear()

    def reset(self) -> None:
        """Restore state, settings, faults, latency and log to how they started."""
        with self._log_lock:
            self._generation += 1
            self._log.clear()
        self.faults.clear()
        self.faults.set_latency(self.latency)
        self.backend.reset()

    def _api(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        generation = self._generation
        entry = LogEntry(
            operation=None,
            method=request.method,
            path=request.path,
            query=redact({key: request.args.getlist(key) for key in request.args}),
            body=_logged_body(request.get_data()),
            status=0,
            region=None,
            account=None,
            access_key=None,
            faulted=False,
        )
        try:
            response = self._answer(request, entry, request_id, generation)
        except IoTWirelessError as error:
            response = error.to_response(request_id)
        except Exception:
            # A bug here must still reach the client as an AWS-shaped answer.
            traceback.print_exc()
            response = InternalServerException().to_response(request_id)
        entry["status"] = response.status_code
        with self._log_lock:
            if generation == self._generation:
                self._log.append(entry)
        return response

    def _answer(self, request: Request, entry: LogEntry, request_id: str, generation: int) -> Response:
        operation, path_params = match(request)
        entry["operation"] = operation
        identity = authenticate(request, self.credentials)
        account = self.backend.account_for(identity.access_key)
        entry["access_key"], entry["region"] = identity.access_key, identity.region
        entry["account"] = account
        if operation is None:
            raise UnknownOperationException(request.method, request.path)
        error = self.faults.before() or self.faults.throttle(operation, account, identity.region)
        if error is not None:
            entry["faulted"] = True
            raise error
        if generation != self._generation:
            raise InternalServerException("The emulator was reset while this request waited")
        caller = Caller(identity.access_key, account, identity.region)
        status, body = dispatch(
            self.backend, caller, operation, path_params, request.args, request.get_data()
        )
        entry["faulted"], error = self.faults.after_commit(operation)
        if error is not None:
            raise error
        headers = {"x-amzn-RequestId": request_id}
        return Response(body, status=status, content_type="application/json", headers=headers)

    def _control(self, request: Request) -> Response:
        route = (request.method, request.path.removeprefix(CONTROL_PREFIX).strip("/"))
        data: Any = {}
        try:
            body = request.get_json(force=True, silent=True) or {}
            if not isinstance(body, dict):
                raise TypeError("the body must be a JSON object")
            match route:
                case ("GET", "log"):
                    data = self.log
                case ("DELETE", "log"):
                    self.clear_log()
                case ("POST", "faults"):
                    self._set_faults(body)
                case ("DELETE", "faults"):
                    self.faults.clear()
                case ("POST", "reset"):
                    self.reset()
                case ("GET", "settings"):
                    data = self.backend.settings.to_json()
                case ("POST", "settings"):
                    data = self.backend.update_settings(**body).to_json()
                case ("POST", "clock"):
                    self.backend.advance_clock(float(body["advance"]))
                case ("GET", "state"):
                    data = {"associations": self.backend.associations()}
                case _:
                    return _json({"message": f"No control route {route[0]} {route[1]}"}, 404)
        except (ValueError, TypeError, KeyError) as error:
            return _json({"message": str(error)}, 400)
        return _json(data, 200)

    def _set_faults(self, spec: dict[str, Any]) -> None:
        known = {"fail_next", "fail_fraction", "seed", "code", "latency", "fail_after_commit"}
        known |= {"hang_after_commit", "seconds", "n", "rate_limit", "per_second", "burst"}
        if unknown := set(spec) - known:
            raise ValueError(f"unknown fault settings {sorted(unknown)}")
        code = spec.get("code", "ThrottlingException")
        if "fail_next" in spec:
            self.faults.fail_next(int(spec["fail_next"]), code)
        if "fail_fraction" in spec:
            self.faults.fail_fraction(float(spec["fail_fraction"]), int(spec.get("seed", 0)), code)
        if "latency" in spec:
            self.faults.set_latency(float(spec["latency"]))
        if "fail_after_commit" in spec:
            self.faults.fail_after_commit(spec["fail_after_commit"], int(spec.get("n", 1)))
        if "hang_after_commit" in spec:
            seconds, n = float(spec["seconds"]), int(spec.get("n", 1))
            self.faults.hang_after_commit(spec["hang_after_commit"], seconds, n)
        if "rate_limit" in spec:
            burst = int(spec["burst"]) if spec.get("burst") is not None else None
            self.faults.rate_limit(spec["rate_limit"], float(spec["per_second"]), burst)


class Emulator:
    """Serve the IoT Wireless API on 127.0.0.1 from a background thread."""

    def __init__(
        self,
        port: int = 0,
        credentials: Mapping[str, str] | None = None,
        token_reuse_after_delete: TokenReuse = "associate",
        state_file: str | Path | None = None,
        latency: float = 0.0,
        s3_endpoint_url: str | None = None,
        import_step_seconds: float = DEFAULT_IMPORT_STEP_SECONDS,
    ) -> None:
        settings = Settings(
            token_reuse_after_delete=token_reuse_after_delete,
            s3_endpoint_url=s3_endpoint_url,
            import_step_seconds=import_step_seconds,
        )
        self.backend = IoTWirelessBackend(settings, state_file)
        self.faults = FaultInjector(latency)
        self.app = EmulatorApp(self.backend, self.faults, credentials, latency)
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Return the base URL to give boto3 as endpoint_url."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return f"http://{HOST}:{self._server.port}"

    @property
    def log(self) -> list[LogEntry]:
        """Return a copy of the request log, oldest first."""
        return self.app.log

    def calls(self, include_faulted: bool = True) -> list[str]:
        """Name the operation of each request that matched one, faulted ones included."""
        return self.app.calls(include_faulted)

    def clear_log(self) -> None:
        """Empty the request log."""
        self.app.clear_log()

    def reset(self) -> None:
        """Restore state, settings, faults, latency and log to how they started."""
        self.app.reset()

    def start(self) -> Emulator:
        """Bind the port and serve in a background thread; the port accepts at once."""
        if self._server is not None:
            return self
        server = make_server(HOST, self._port, self.app, threaded=True, request_handler=_Handler)
        # A short poll interval keeps stop() quick; shutdown waits for one poll.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._server = server
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake waiting requests, stop serving and close the listening socket."""
        if self._server is None or self._thread is None:
            return
        self.faults.wake()
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class EmulatorClient:
    """Drive a running emulator's control endpoint, e.g. from another process."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        # The emulator is local; an environment proxy must not intercept it.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def log(self) -> list[LogEntry]:
        """Return the request log."""
        return cast(list[LogEntry], self.request("GET", "log"))

    def calls(self, include_faulted: bool = True) -> list[str]:
        """Name the operation of each logged request that matched one."""
        return [
            entry["operation"]
            for entry in self.log()
            if entry["operation"] is not None and (include_faulted or not entry["faulted"])
        ]

    def clear_log(self) -> None:
        """Empty the request log."""
        self.request("DELETE", "log")

    def fail_next(self, n: int, code: str = "ThrottlingException") -> None:
        """Make the next n API requests fail with code."""
        self.request("POST", "faults", {"fail_next": n, "code": code})

    def fail_fraction(self, fraction: float, seed: int = 0, code: str = "ThrottlingException") -> None:
        """Fail a seeded random fraction of API requests with code."""
        self.request("POST", "faults", {"fail_fraction": fraction, "seed": seed, "code": code})

    def set_latency(self, seconds: float) -> None:
        """Delay every API request by seconds."""
        self.request("POST", "faults", {"latency": seconds})

    def fail_after_commit(self, operation: str, n: int = 1) -> None:
        """Apply the next n calls of operation, then answer 500."""
        self.request("POST", "faults", {"fail_after_commit": operation, "n": n})

    def hang_after_commit(self, operation: str, seconds: float, n: int = 1) -> None:
        """Apply the next n calls of operation, then wait seconds."""
        self.request("POST", "faults", {"hang_after_commit": operation, "seconds": seconds, "n": n})

    def rate_limit(self, operation: str, per_second: float, burst: int | None = None) -> None:
        """Throttle operation beyond per_second calls a second, bursts up to burst."""
        self.request("POST", "faults", {"rate_limit": operation, "per_second": per_second, "burst": burst})

    def clear_faults(self) -> None:
        """Remove every fault and the latency."""
        self.request("DELETE", "faults")

    def reset(self) -> None:
        """Restore state, settings, faults and log to how they started."""
        self.request("POST", "reset")

    def settings(self) -> dict[str, Any]:
        """Return the backend's settings."""
        return cast(dict[str, Any], self.request("GET", "settings"))

    def update_settings(self, **changes: Any) -> dict[str, Any]:
        """Change settings such as token_reuse_after_delete."""
        return cast(dict[str, Any], self.request("POST", "settings", changes))

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward, so import tasks progress without waiting."""
        self.request("POST", "clock", {"advance": seconds})

    def state(self) -> dict[str, Any]:
        """Return every association with its tags, without keys."""
        return cast(dict[str, Any], self.request("GET", "state"))

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one JSON request to the control endpoint and return its answer."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}{CONTROL_PREFIX}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                message = error.read().decode(errors="replace")
            raise RuntimeError(f"emulator control {method} {path} failed: {message}") from None


class _Handler(WSGIRequestHandler):
    """A request handler that keeps werkzeug from printing a line per request; tests read the log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _json(data: Any, status: int) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _logged_body(body: bytes) -> Any:
    """Return the parsed JSON body, redacted; None when there is none or it is not JSON."""
    try:
        return redact(json.loads(body)) if body.strip() else None
    except ValueError:
        return None
