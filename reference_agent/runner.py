"""Running the agent: foreground (the CLI) or a background thread (tests, benchmarks)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from reference_agent.app import create_app
from reference_agent.config import AgentConfig
from reference_agent.netutil import LOOPBACK, bind_loopback
from reference_agent.serving import CleanExitServer

__all__ = ["AgentServer", "ToolServerProcess", "bind"]


def bind(host: str, port: int) -> socket.socket:
    """Bind and listen before serving so that port 0 resolves to the port we announce."""
    return bind_loopback(host, port)


def make_server(app: Any) -> CleanExitServer:
    return CleanExitServer(uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False,
                                  loop="uvloop", http="httptools"))


class ToolServerProcess:
    """`python -m reference_agent.tools --port 0` as a child; `.url` once it announced itself."""

    def __init__(self, startup_timeout_s: float = 30.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reference_agent.tools", "--port", "0"],
            stdout=subprocess.PIPE, text=True,
        )
        self.url = self._read_url(startup_timeout_s)

    def _read_url(self, timeout_s: float) -> str:
        timer = threading.Timer(timeout_s, self.proc.kill)
        timer.start()
        try:
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline().strip()
        finally:
            timer.cancel()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"tool server did not start (first line: {line!r})")
        return line.removeprefix("listening on ")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class AgentServer:
    """The agent in a background thread: `with AgentServer(cfg, llm_url=u) as agent: agent.url`."""

    def __init__(self, cfg: AgentConfig, *, host: str = LOOPBACK, **app_kwargs: Any) -> None:
        self._sock = bind(host, 0)
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://{host}:{self.port}"
        self.app = create_app(cfg, **app_kwargs)
        self._server = make_server(self.app)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True,
            name=f"agent:{self.port}")

    def __enter__(self) -> AgentServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._sock.close()
                raise RuntimeError("agent server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.should_exit = True
        self._thread.join(30)
        self._sock.close()
