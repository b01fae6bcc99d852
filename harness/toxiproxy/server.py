"""Run the embedded Toxiproxy: API and proxies on one event loop, in-process or as a command."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import threading
from collections.abc import Generator
from types import TracebackType
from typing import Any

import uvicorn

from harness.netutil import LOOPBACK, bind_loopback
from harness.toxiproxy.api import create_app
from harness.toxiproxy.collection import ProxyCollection
from harness.toxiproxy.errors import ApiError


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (part of uvicorn[standard]): it halves the proxy's added latency."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def bind(host: str, port: int) -> socket.socket:
    """Bind and listen before announcing, so port 0 is resolved and connections queue."""
    sock = bind_loopback(host, port, backlog=128)
    sock.setblocking(False)
    return sock


class _QuietServer(uvicorn.Server):
    """uvicorn without its signal handling: the owner of the loop decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def populate(proxies: ProxyCollection, config: list[Any]) -> None:
    """Create the proxies of a -config file; any problem is raised, not logged and skipped."""
    _, err = await proxies.populate(config)
    if err is not None:
        raise err


async def serve(
    sock: socket.socket,
    stop: asyncio.Event,
    *,
    seed: int | None = None,
    config: list[Any] | None = None,
    ready: threading.Event | None = None,
) -> None:
    """Serve the API on `sock` until `stop` is set; then close every proxy listener."""
    proxies = ProxyCollection(random.Random(seed))
    try:
        if config:
            await populate(proxies, config)
        uv_config = uvicorn.Config(
            create_app(proxies), log_level="warning", access_log=False, lifespan="off"
        )
        server = _QuietServer(uv_config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.005)
        if ready is not None:
            ready.set()
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        stopper.cancel()
        await task
    finally:
        proxies.close()


class ToxiproxyServer:
    """An embedded Toxiproxy serving from a background thread with its own event loop.

    with ToxiproxyServer(seed=1) as tp:
        httpx.post(f"{tp.url}/proxies", json={...})
    """

    def __init__(
        self,
        host: str = LOOPBACK,
        port: int = 0,
        *,
        seed: int | None = None,
        proxies: list[dict[str, Any]] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self._config = proxies
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ToxiproxyServer:
        sock = bind(self.host, self.port)
        self.port = int(sock.getsockname()[1])
        self._loop = new_event_loop()
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name=f"toxiproxy:{self.port}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(10):
            self.stop()
            raise RuntimeError("embedded toxiproxy did not start within 10 s")
        if self._error is not None:
            self.stop()
            raise RuntimeError(f"embedded toxiproxy failed to start: {self._error}")
        return self

    def _run(self, sock: socket.socket) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        self._stop = asyncio.Event()
        try:
            self._loop.run_until_complete(
                serve(sock, self._stop, seed=self.seed, config=self._config, ready=self._ready)
            )
        except (ApiError, OSError) as exc:
            self._error = exc
        finally:
            self._ready.set()
            sock.close()
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def stop(self) -> None:
        """Stop serving, close every listener and connection, join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive() and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(self._stop.set)
        thread.join(10)
        self._thread = None

    def __enter__(self) -> ToxiproxyServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
