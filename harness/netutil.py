"""Loopback helpers shared by every server the harness starts."""

from __future__ import annotations

import ipaddress
import socket

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A port that is free on `host` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def announce(host: str, port: int) -> None:
    """Print the line every `harness serve ...` command starts with; supervisors parse it."""
    print(f"listening on http://{host}:{port}", flush=True)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, localhost or ::1: the only addresses load and faults may reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name other than localhost: it could resolve anywhere
        return False


def require_loopback(host: str) -> None:
    """Refuse to bind or target anything but loopback: load and faults stay on this machine."""
    if is_loopback(host):
        return
    raise ValueError(f"host {host!r} is not a loopback address (127.0.0.0/8, localhost, ::1)")


def bind_loopback(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening socket on loopback, bound before the `listening on` line is printed.

    Binding first resolves port 0 to the real port we announce; listening first means a
    client that reads the line and connects at once is queued, never refused.
    """
    require_loopback(host)
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
