"""A proxy: a loopback listener, its live connections, its toxics and its counters."""

from __future__ import annotations

import asyncio
import errno
import random
from dataclasses import dataclass, field
from typing import Any

from harness.toxiproxy.addr import join_hostport, loopback_address, split_hostport
from harness.toxiproxy.errors import ApiError
from harness.toxiproxy.link import Connection, ReadBuffer, Side
from harness.toxiproxy.toxic_collection import ToxicCollection


@dataclass
class ProxyStats:
    """Plain counters, read by the /metrics collector (no locking on the data path)."""

    connections_total: int = 0
    received: dict[str, int] = field(default_factory=lambda: {"upstream": 0, "downstream": 0})
    sent: dict[str, int] = field(default_factory=lambda: {"upstream": 0, "downstream": 0})


class Proxy:
    """Listens on `listen` and forwards every accepted connection to `upstream`."""

    def __init__(self, name: str, listen: str, upstream: str, rng: random.Random) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.rng = rng
        self.stats = ProxyStats()
        self.toxics = ToxicCollection(on_change=self._toxics_changed)
        self.connections: set[Connection] = set()
        self._server: asyncio.AbstractServer | None = None
        self._dialing: set[asyncio.Task[None]] = set()
        self._buffer = ReadBuffer()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": self.toxics.to_json(),
        }

    def differs(self, listen: str, upstream: str) -> bool:
        """True when a new listen/upstream needs a restart (Toxiproxy's Differs)."""
        host, port = loopback_address(listen, "listen")
        return join_hostport(host, port) != self.listen or upstream != self.upstream

    async def start(self) -> None:
        """Bind the listener; `listen` is rewritten with the real port (port 0 resolves)."""
        if self.enabled:
            return
        host, port = loopback_address(self.listen, "listen")
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(self._new_side, host, port)
        except OSError as exc:
            reason = "address already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise ApiError(f"listen tcp {join_hostport(host, port)}: bind: {reason}", 500) from exc
        sockname = self._server.sockets[0].getsockname()
        self.listen = join_hostport(sockname[0], sockname[1])
        self.enabled = True

    def stop(self) -> None:
        """Stop listening and drop every connection (disable, delete, listen change)."""
        if not self.enabled:
            return
        self.enabled = False
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._dialing):
            task.cancel()
        for conn in list(self.connections):
            conn.close()

    # -- accepting ------------------------------------------------------------------------
    def _new_side(self) -> Side:
        side = Side(self._buffer)
        side.on_made = self._accepted
        return side

    def _accepted(self, client: Side) -> None:
        assert client.transport is not None
        client.transport.pause_reading()  # nothing may arrive before upstream is there
        task = asyncio.get_running_loop().create_task(self._dial(client))
        self._dialing.add(task)
        task.add_done_callback(self._dialing.discard)

    async def _dial(self, client: Side) -> None:
        assert client.transport is not None
        host, port = split_hostport(self.upstream, "upstream")
        loop = asyncio.get_running_loop()
        try:
            _, upstream = await loop.create_connection(lambda: Side(self._buffer), host, port)
        except asyncio.CancelledError:
            client.close()
            raise
        except OSError:
            client.close()  # as Toxiproxy: the client sees its connection closed
            return
        if not self.enabled:
            upstream.close()
            client.close()
            return
        conn = Connection(client, upstream, self.stats, self.rng, self.connections.discard)
        self.connections.add(conn)
        self.stats.connections_total += 1
        conn.sync(self.toxics.specs)
        client.flush_early()
        upstream.flush_early()  # a server may speak first (banner) before we wired the links
        if not conn.closed and not client.transport.is_closing():
            client.transport.resume_reading()

    def _toxics_changed(self) -> None:
        specs = self.toxics.specs
        for conn in list(self.connections):
            conn.sync(specs)
