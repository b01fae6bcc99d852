"""Loopback TCP servers the proxy forwards to in tests, each in its own thread."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


class TcpServer:
    """A threaded TCP server on 127.0.0.1 running `handle(sock, server)` per connection."""

    def __init__(self, handle: Callable[[socket.socket, TcpServer], None]) -> None:
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                handle(self.request, outer)

        self.received: list[tuple[float, bytes]] = []  # (monotonic time, data) per recv
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.address = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> TcpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def echo(sock: socket.socket, server: TcpServer) -> None:
    """Echo every chunk back and record when it arrived."""
    try:
        while data := sock.recv(65536):
            with server.lock:
                server.received.append((time.monotonic(), data))
            sock.sendall(data)
    except OSError:
        pass


def blob(size: int, close: bool = True) -> Callable[[socket.socket, TcpServer], None]:
    """Send `size` bytes on connect, then close (or wait for the client to close)."""

    def handle(sock: socket.socket, server: TcpServer) -> None:
        try:
            sock.sendall(b"x" * size)
            if not close:
                while sock.recv(65536):
                    pass
        except OSError:
            pass

    return handle


def connect(listen: str, timeout: float = 5.0) -> socket.socket:
    host, port = listen.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=timeout)


def read_all(sock: socket.socket, limit: float = 10.0) -> tuple[bytes, list[int]]:
    """Read until EOF: the bytes and the size of each recv (to see slicing)."""
    sock.settimeout(limit)
    data, sizes = b"", []
    while chunk := sock.recv(65536):
        data += chunk
        sizes.append(len(chunk))
    return data, sizes
