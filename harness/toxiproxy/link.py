"""The data path: one client connection, its upstream connection and two links.

A link copies one direction (upstream = client -> server, downstream = server -> client).
With no active toxic it writes each chunk straight from `data_received` to the other
socket (no queue, no task hop). With toxics it queues chunks and a task runs them through
the toxic chain, re-reading the chain for each chunk so API changes hit live connections.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from harness.toxiproxy.toxic_collection import STREAMS, ToxicSpec
from harness.toxiproxy.toxics import Chunk, ToxicContext

if TYPE_CHECKING:
    from harness.toxiproxy.proxy import ProxyStats

HIGH_WATER = 64  # queued chunks before the source is paused
LOW_WATER = 16
_LINGER_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST
# Larger than asyncio's 64 KiB default: fewer pause/resume round trips on bulk transfers.
WRITE_BUFFER_HIGH = 1 << 20
READ_BUFFER = 256 * 1024


class ReadBuffer:
    """The buffer every socket of one event loop reads into.

    Reads are handled synchronously, so one buffer serves all connections; when a transport
    keeps a reference to it (a partial write), the holder switches to a fresh buffer.
    """

    def __init__(self) -> None:
        self.view = memoryview(bytearray(READ_BUFFER))

    def renew(self) -> None:
        self.view = memoryview(bytearray(READ_BUFFER))


class Side(asyncio.BufferedProtocol):
    """One socket of a proxied connection (the client's or the upstream's).

    A buffered protocol: the kernel reads into a buffer we own, and the fast path writes
    that buffer straight to the other socket, so an untouched byte is never copied in Python.
    """

    def __init__(self, buffer: ReadBuffer) -> None:
        self._buffer = buffer
        self.transport: asyncio.Transport | None = None
        self.reader: Link | None = None  # the link reading from this socket
        self.writer: Link | None = None  # the link writing into this socket
        self.conn: Connection | None = None
        self.lost = False
        self.writable = True
        self._waiters: list[asyncio.Future[None]] = []
        self.on_made: Callable[[Side], None] | None = None
        # Bytes that arrive before the upstream is connected (uvloop may start reading
        # right after connection_made even when it paused reading).
        self._early: list[bytes] = []
        self._early_eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)
        if self.on_made is not None:
            self.on_made(self)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer.view

    def buffer_updated(self, nbytes: int) -> None:
        data = self._buffer.view[:nbytes]
        if self.reader is None:
            self._early.append(bytes(data))
        elif self.reader.feed(data):
            self._buffer.renew()  # the destination still references the unsent rest

    def eof_received(self) -> bool:
        # Keep the socket open for writing: data still in the other link must reach it.
        if self.reader is not None:
            self.reader.feed_eof()
        else:
            self._early_eof = True
        return True

    def flush_early(self) -> None:
        """Hand bytes that arrived before the link existed to it, in order."""
        assert self.reader is not None
        early, self._early = self._early, []
        for data in early:
            self.reader.feed(data)
        if self._early_eof or self.lost:
            self.reader.feed_eof()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._wake()
        if self.reader is not None:
            self.reader.feed_eof()
        if self.conn is not None:
            self.conn.side_lost()

    def pause_writing(self) -> None:
        self.writable = False
        if self.writer is not None:
            self.writer.pause_source()

    def resume_writing(self) -> None:
        self.writable = True
        self._wake()
        if self.writer is not None:
            self.writer.resume_source()

    async def wait_writable(self) -> None:
        while not self.writable and not self.lost:
            fut = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            await fut

    def _wake(self) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort_with_rst(self) -> None:
        if self.transport is None:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # already gone: nothing to reset
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        self.transport.abort()


class Link:
    """One direction of a connection: source socket -> toxic chain -> destination socket."""

    def __init__(self, conn: Connection, stream: str, src: Side, dst: Side) -> None:
        self.conn = conn
        self.stream = stream
        self.src = src
        self.dst = dst
        self.chain: list[ToxicContext] = []
        self._stats = conn.stats
        self._queue: collections.deque[Chunk | None] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        self._eof = False
        self._pauses = 0
        self._queue_paused = False

    # -- input, called from the source socket's protocol --------------------------------
    def feed(self, data: bytes | memoryview) -> bool:
        """Take bytes read from the source; True when `data` is still referenced after."""
        stats = self._stats
        stats.received[self.stream] += len(data)
        if self._task is None and not self.chain:
            # Fast path: no toxic, nothing queued.
            transport = self.dst.transport
            if not self.dst.lost and transport is not None:
                transport.write(data)
                stats.sent[self.stream] += len(data)
                return transport.get_write_buffer_size() > 0
            return False
        self._queue.append(Chunk(bytes(data), time.monotonic()))
        if len(self._queue) >= HIGH_WATER and not self._queue_paused:
            self._queue_paused = True
            self.pause_source()
        self._kick()
        return False

    def feed_eof(self) -> None:
        if self._eof:
            return
        self._eof = True
        if self._task is None and not self.chain:
            self.dst.close()
            return
        self._queue.append(None)
        self._kick()

    # -- flow control -------------------------------------------------------------------
    def pause_source(self) -> None:
        self._pauses += 1
        transport = self.src.transport
        if self._pauses == 1 and transport is not None and not transport.is_closing():
            transport.pause_reading()

    def resume_source(self) -> None:
        self._pauses = max(0, self._pauses - 1)
        transport = self.src.transport
        if self._pauses == 0 and transport is not None and not transport.is_closing():
            transport.resume_reading()

    # -- toxic path ---------------------------------------------------------------------
    def _kick(self) -> None:
        if self._task is None and not self.conn.closed:
            self._task = self.conn.loop.create_task(self._run())

    async def _run(self) -> None:
        try:
            while self._queue and not self.conn.closed:
                item = self._queue.popleft()
                if self._queue_paused and len(self._queue) <= LOW_WATER:
                    self._queue_paused = False
                    self.resume_source()
                chain = list(self.chain)
                if item is None:
                    for ctx in chain:
                        if not ctx.detached:
                            await ctx.toxic.on_eof(ctx)
                    self.dst.close()
                    return
                await self._through(item, chain, 0)
        finally:
            self._task = None

    async def _through(self, chunk: Chunk, chain: list[ToxicContext], index: int) -> None:
        while index < len(chain) and chain[index].detached:
            index += 1  # removed or updated since this chunk entered: skip it
        if index == len(chain):
            await self._write(chunk.data)
            return
        ctx = chain[index]

        async def emit(out: Chunk) -> None:
            await self._through(out, chain, index + 1)

        await ctx.toxic.pipe(chunk, ctx, emit)

    async def _write(self, data: bytes) -> None:
        if not data:
            return
        await self.dst.wait_writable()
        if self.conn.closed or self.dst.lost or self.dst.transport is None:
            return
        self.dst.transport.write(data)
        self._stats.sent[self.stream] += len(data)

    def stop(self) -> None:
        self._queue.clear()
        task = self._task
        if task is not None and task is not asyncio.current_task():
            task.cancel()


@dataclass
class _Decision:
    """The toxicity roll of one toxic for one connection (kept until the toxic changes)."""

    spec: ToxicSpec
    version: int
    ctx: ToxicContext | None


class Connection:
    """A client connection and its upstream connection, with one link per direction."""

    def __init__(
        self,
        client: Side,
        upstream: Side,
        stats: ProxyStats,
        rng: random.Random,
        on_closed: Callable[[Connection], None],
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.stats = stats
        self.rng = rng
        self.closed = False
        self.client = client
        self.upstream = upstream
        self._on_closed = on_closed
        self.links = {
            "upstream": Link(self, "upstream", client, upstream),
            "downstream": Link(self, "downstream", upstream, client),
        }
        client.reader, client.writer = self.links["upstream"], self.links["downstream"]
        upstream.reader, upstream.writer = self.links["downstream"], self.links["upstream"]
        client.conn = upstream.conn = self
        self._decisions: dict[str, _Decision] = {}

    def sync(self, specs: list[ToxicSpec]) -> None:
        """Bring the links in line with the proxy's toxics; toxicity is rolled per connection."""
        if self.closed:
            return
        names = set()
        for spec in specs:
            names.add(spec.name)
            old = self._decisions.get(spec.name)
            if old is not None and old.spec is spec and old.version == spec.version:
                continue
            state = None
            if old is not None and old.ctx is not None:
                if old.spec is spec:
                    state = old.ctx.state  # an update keeps per-connection state
                old.ctx.toxic.detach(old.ctx, removed=False)
                old.ctx.detach()
            ctx = None
            # random() is in [0, 1): toxicity 0 never fires, 1 always does.
            if self.rng.random() < spec.toxicity:
                ctx = ToxicContext(spec.toxic, self, self.rng, self.loop, state)
            self._decisions[spec.name] = _Decision(spec, spec.version, ctx)
            if ctx is not None:
                spec.toxic.attach(ctx)
        removed = [d for name, d in self._decisions.items() if name not in names]
        for d in removed:
            del self._decisions[d.spec.name]
        for stream in STREAMS:
            chain = [self._decisions[s.name].ctx for s in specs if s.stream == stream]
            self.links[stream].chain = [c for c in chain if c is not None]
        for d in removed:
            if d.ctx is not None:
                d.ctx.toxic.detach(d.ctx, removed=True)
                d.ctx.detach()

    @property
    def toxic_contexts(self) -> list[ToxicContext]:
        return [d.ctx for d in self._decisions.values() if d.ctx is not None]

    def close(self) -> None:
        """Drop the connection: both sockets close (after flushing what was written)."""
        if self.closed:
            return
        self.closed = True
        for d in self._decisions.values():
            if d.ctx is not None and not d.ctx.detached:
                d.ctx.detach()
        for link in self.links.values():
            link.stop()
        self.client.close()
        self.upstream.close()
        self._on_closed(self)

    def reset(self) -> None:
        """Reset both sockets: the peers see ECONNRESET (TCP RST), not an orderly close."""
        self.client.abort_with_rst()
        self.upstream.abort_with_rst()
        self.close()

    def side_lost(self) -> None:
        if self.client.lost and self.upstream.lost:
            self.close()
