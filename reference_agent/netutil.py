"""Loopback sockets and the `listening on` line, for the agent and its tool server.

The agent binds loopback only (it is a test target, not a public service), binds before it
announces (so port 0 resolves to the port it prints) and listens before it announces (so a
supervisor that connects the moment it reads the line is queued, not refused).
"""

from __future__ import annotations

import ipaddress
import socket

LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    """True for `localhost` and any 127.0.0.0/8 or ::1 address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_loopback(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening socket on `host:port`; ValueError when `host` is not loopback."""
    if not is_loopback(host):
        raise ValueError(f"host {host!r} is not a loopback address (127.0.0.0/8, localhost, ::1)")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def announce(host: str, port: int) -> None:
    """The first stdout line, flushed at once: supervisors wait for it and parse the URL."""
    print(f"listening on http://{host}:{port}", flush=True)
