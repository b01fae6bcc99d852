"""All proxies of a server: create, find, update, delete, populate, reset."""

from __future__ import annotations

import random
from typing import Any

from harness.toxiproxy.addr import loopback_address
from harness.toxiproxy.errors import (
    MISSING_FIELD,
    PROXY_ALREADY_EXISTS,
    PROXY_NOT_FOUND,
    ApiError,
    bad_body,
)
from harness.toxiproxy.proxy import Proxy

DEFAULT_LISTEN = "127.0.0.1:0"  # Toxiproxy's default ("") would bind every interface


def _str(body: dict[str, Any], key: str, default: str) -> str:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise bad_body(f"field {key!r} must be a string, got {type(value).__name__}")
    return value


def _bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_body(f"field {key!r} must be a boolean, got {type(value).__name__}")
    return value


def check_upstream(upstream: str) -> None:
    loopback_address(upstream, "upstream")  # traffic never leaves this machine


class ProxyCollection:
    """Proxies by name, in creation order; every method runs on the server's event loop."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.proxies: dict[str, Proxy] = {}

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise PROXY_NOT_FOUND
        return proxy

    @staticmethod
    def parse(body: Any, where: str = "") -> tuple[str, str, str, bool]:
        """Validate a proxy body: (name, listen, upstream, enabled)."""
        if not isinstance(body, dict):
            raise bad_body(f"expected a JSON object{where}")
        name = _str(body, "name", "")
        listen = _str(body, "listen", "") or DEFAULT_LISTEN
        upstream = _str(body, "upstream", "")
        enabled = _bool(body, "enabled", True)
        if not name:
            raise MISSING_FIELD.joined(f"name{where}")
        if not upstream:
            raise MISSING_FIELD.joined(f"upstream{where}")
        loopback_address(listen, "listen")
        check_upstream(upstream)
        return name, listen, upstream, enabled

    async def create(self, body: Any) -> Proxy:
        name, listen, upstream, enabled = self.parse(body)
        if name in self.proxies:
            raise PROXY_ALREADY_EXISTS
        proxy = Proxy(name, listen, upstream, self.rng)
        if enabled:
            await proxy.start()
        self.proxies[name] = proxy
        return proxy

    async def update(self, name: str, body: Any) -> Proxy:
        proxy = self.get(name)
        if not isinstance(body, dict):
            raise bad_body("expected a JSON object")
        listen = _str(body, "listen", proxy.listen)
        upstream = _str(body, "upstream", proxy.upstream)
        enabled = _bool(body, "enabled", proxy.enabled)
        check_upstream(upstream)
        if proxy.differs(listen, upstream):
            proxy.stop()
            proxy.listen, proxy.upstream = listen, upstream
        if enabled and not proxy.enabled:
            await proxy.start()
        elif not enabled:
            proxy.stop()
        return proxy

    def remove(self, name: str) -> None:
        proxy = self.get(name)
        proxy.stop()
        del self.proxies[name]

    async def populate(self, body: Any) -> tuple[list[Proxy], ApiError | None]:
        """Create or replace proxies; all entries are validated before any is touched.

        An existing proxy with the same listen and upstream is kept as it is, toxics included.
        """
        if not isinstance(body, list):
            raise bad_body("expected a JSON array of proxies")
        entries = [self.parse(item, f" at proxy {i + 1}") for i, item in enumerate(body)]
        done: list[Proxy] = []
        for name, listen, upstream, enabled in entries:
            existing = self.proxies.get(name)
            if existing is not None:
                if not existing.differs(listen, upstream):
                    done.append(existing)
                    continue
                existing.stop()
            proxy = Proxy(name, listen, upstream, self.rng)
            if enabled:
                try:
                    await proxy.start()
                except ApiError as exc:
                    return done, exc
            self.proxies[name] = proxy
            done.append(proxy)
        return done, None

    async def reset(self) -> None:
        """Re-enable every proxy and remove every toxic."""
        for proxy in list(self.proxies.values()):
            await proxy.start()
            proxy.toxics.reset()

    def close(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
