"""`HOST:PORT` parsing for proxy listen and upstream addresses, loopback only."""

from __future__ import annotations

import ipaddress

from harness.toxiproxy.errors import ApiError


def split_hostport(value: str, field: str) -> tuple[str, int]:
    """Split `host:port` (IPv6 as `[::1]:port`); a malformed address is a 400."""
    host, sep, port_text = value.rpartition(":")
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise ApiError(f"{field} address {value!r} is not HOST:PORT", 400)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loopback_address(value: str, field: str) -> tuple[str, int]:
    """Parse an address that must stay on this machine (a deliberate difference from Toxiproxy)."""
    host, port = split_hostport(value, field)
    if not is_loopback(host):
        raise ApiError(
            f"{field} address {value!r} is not loopback: the embedded Toxiproxy only "
            "uses 127.0.0.0/8, localhost or ::1",
            400,
        )
    return ("127.0.0.1" if host == "localhost" else host), port


def join_hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
