"""Serving the app with uvicorn: in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import httpx
import uvicorn

from harness.fake_llm.app import FakeLLMApp
from harness.netutil import LOOPBACK, bind_loopback


def bind(host: str = LOOPBACK, port: int = 0) -> socket.socket:
    """A listening socket, bound before anything is announced so port 0 is already resolved."""
    sock = bind_loopback(host, port)
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app: FakeLLMApp, **overrides: Any) -> uvicorn.Config:
    options: dict[str, Any] = {
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "on",
        "access_log": False,
        "log_level": "warning",
        "timeout_keep_alive": 30,
        "backlog": 2048,
        "server_header": False,  # the real API does not announce uvicorn
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)


class FakeLLMServer:
    """The fake LLM on 127.0.0.1, served from a background thread.

    with FakeLLMServer(region="us", seed=1) as llm:
        client = anthropic.Anthropic(base_url=llm.url, api_key="x")
        llm.set_behaviour(error_first_n=2, error_status=529)
        llm.ledger()  # -> list of ledger rows
    """

    def __init__(
        self,
        region: str = "us",
        seed: int = 0,
        api_key: str | None = None,
        upstream: str | None = None,
        ledger_path: str | None = None,
        **app_options: Any,
    ) -> None:
        self.app = FakeLLMApp(
            region=region,
            seed=seed,
            api_key=api_key,
            upstream=upstream,
            ledger_path=ledger_path,
            **app_options,
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> FakeLLMServer:
        sock = bind()
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"
        # uvloop only in the main thread's policy; a thread gets a fresh asyncio loop.
        self._server = uvicorn.Server(uvicorn_config(self.app, loop="asyncio"))
        server = self._server

        def run() -> None:
            asyncio.run(server.serve(sockets=[sock]))
            sock.close()

        self._thread = threading.Thread(target=run, name=f"fake-llm-{port}", daemon=True)
        self._thread.start()
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError("fake LLM server thread died during start-up")
            threading.Event().wait(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- conveniences over the control API (same effect, no HTTP) ---------------------------
    def set_behaviour(self, **fields: Any) -> dict[str, Any]:
        self.app.behaviour.update(fields)
        return self.app.behaviour.snapshot()

    def reset_behaviour(self) -> None:
        self.app.behaviour.reset()

    def ledger(self) -> list[dict[str, Any]]:
        return self.app.ledger.rows()

    def control(self) -> httpx.Client:
        """An httpx client for the control API (caller closes it)."""
        return httpx.Client(base_url=self.url, timeout=10)
