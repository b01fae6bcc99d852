"""Running the tool server: in the foreground (the CLI) or in a background thread (tests)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from reference_agent.netutil import LOOPBACK, announce, bind_loopback
from reference_agent.serving import CleanExitServer
from reference_agent.tools.behaviour import Faults
from reference_agent.tools.calls import CallLog
from reference_agent.tools.server import ToolService, build_app
from reference_agent.tools.store import open_store

__all__ = ["ToolServer", "serve"]


def _service(db: str, store_url: str | None, seed: int, log: str | Path | None) -> ToolService:
    return ToolService(
        store=open_store(store_url, db=db, seed=seed), faults=Faults(seed), calls=CallLog(log)
    )


def _close(service: ToolService) -> None:
    service.store.close()
    service.calls.close()


def _uvicorn(service: ToolService, host: str) -> CleanExitServer:
    config = uvicorn.Config(
        build_app(service, host=host), lifespan="on", log_level="warning", access_log=False
    )
    return CleanExitServer(config)


def serve(
    *,
    host: str = LOOPBACK,
    port: int = 0,
    db: str = ":memory:",
    store_url: str | None = None,
    seed: int = 0,
    log: str | Path | None = None,
) -> int:
    """Serve in the foreground until SIGINT/SIGTERM; prints the `listening on` line first."""
    service = _service(db, store_url, seed, log)
    sock = bind_loopback(host, port)
    try:
        server = _uvicorn(service, host)
        announce(host, sock.getsockname()[1])
        server.run(sockets=[sock])
        return 0 if server.started else 1
    finally:
        sock.close()
        _close(service)


class ToolServer:
    """The tool server in a background thread, for tests and the agent's own default.

    `.url` is `http://127.0.0.1:PORT`, `.mcp_url` the MCP endpoint, `.service` the live state
    (store, faults, call log).
    """

    def __init__(
        self,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        db: str = ":memory:",
        store_url: str | None = None,
        seed: int = 0,
        log: str | Path | None = None,
    ) -> None:
        self._host, self._port = host, port
        self._args = (db, store_url, seed, log)
        self._thread: threading.Thread | None = None
        self._server: CleanExitServer | None = None
        self._sock: socket.socket | None = None
        self.service: ToolService | None = None
        self.url = ""

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    def __enter__(self) -> ToolServer:
        self.service = _service(*self._args)
        try:
            self._sock = bind_loopback(self._host, self._port)
            self._server = _uvicorn(self.service, self._host)
            self._thread = threading.Thread(
                target=self._server.run,
                kwargs={"sockets": [self._sock]},
                name="tool-server",
                daemon=True,
            )
            self._thread.start()
            deadline = time.monotonic() + 15
            while not self._server.started:
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("tool server failed to start")
                time.sleep(0.01)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.url = f"http://{self._host}:{self._sock.getsockname()[1]}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        if self._sock is not None:
            self._sock.close()
        if self.service is not None:
            _close(self.service)
