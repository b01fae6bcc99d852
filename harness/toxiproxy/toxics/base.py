"""What a toxic is: a small dataclass of typed attributes plus a `pipe()` over chunks.

Like Toxiproxy's Go `toxics` package, a toxic type holds only its settings; per-connection
state lives in a `ToxicContext` so one toxic serves every connection of its proxy.
A link runs each chunk through its active toxics in order: `pipe(chunk, ctx, emit)` hands
zero or more chunks to `emit`, which feeds the next toxic (or the socket at the end).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Protocol

from harness.toxiproxy.errors import ApiError, bad_body


class Chunk:
    """Bytes read from one socket and when they arrived (time.monotonic(); latency counts
    from it)."""

    __slots__ = ("data", "ts")

    def __init__(self, data: bytes, ts: float) -> None:
        self.data = data
        self.ts = ts


Emit = Callable[[Chunk], Awaitable[None]]


class ConnectionOps(Protocol):
    """What a toxic may do to the connection it runs on."""

    def close(self) -> None: ...

    def reset(self) -> None: ...


class ToxicContext:
    """One toxic on one connection: its state, its timers, and whether it was detached.

    Detaching (toxic removed or updated, connection closed) wakes every pending `sleep()`
    with False and cancels timers, so a removed latency toxic stops holding data at once.
    """

    def __init__(
        self,
        toxic: Toxic,
        conn: ConnectionOps,
        rng: random.Random,
        loop: asyncio.AbstractEventLoop,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.toxic = toxic
        self.conn = conn
        self.rng = rng
        self.loop = loop
        self.state: dict[str, Any] = {} if state is None else state
        self.detached = False
        self._sleepers: set[asyncio.Future[bool]] = set()
        self._timers: set[asyncio.TimerHandle] = set()

    def now(self) -> float:
        # Not loop.time(): uvloop's clock has 1 ms steps and is read once per iteration.
        return time.monotonic()

    async def sleep(self, delay: float) -> bool:
        """Sleep `delay` seconds; False when interrupted by detaching."""
        if self.detached:
            return False
        if delay <= 0:
            return True
        fut: asyncio.Future[bool] = self.loop.create_future()
        handle = self.loop.call_later(delay, _resolve, fut, True)
        self._sleepers.add(fut)
        try:
            return await fut
        finally:
            handle.cancel()
            self._sleepers.discard(fut)

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        """Run `callback` after `delay` seconds unless the toxic is detached first."""
        if self.detached:
            return
        handle = self.loop.call_later(delay, callback)
        self._timers.add(handle)

    def detach(self) -> None:
        self.detached = True
        for fut in list(self._sleepers):
            _resolve(fut, False)
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()


def _resolve(fut: asyncio.Future[bool], value: bool) -> None:
    if not fut.done():
        fut.set_result(value)


@dataclasses.dataclass
class Toxic:
    """Base of every toxic type; subclasses are dataclasses of `int` attributes with units."""

    type_name: ClassVar[str] = ""

    @classmethod
    def from_attributes(cls, attrs: dict[str, Any], base: Toxic | None = None) -> Toxic:
        """Decode attributes over `base` (an update merges), as Go's json.Decode does.

        Unknown keys are ignored like Toxiproxy; a wrong type or a negative value is a 400.
        """
        values = dataclasses.asdict(base) if base is not None else {}
        for field in dataclasses.fields(cls):
            if field.name not in attrs:
                continue
            value = attrs[field.name]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool):
                raise bad_body(
                    f"attribute {field.name!r} of a {cls.type_name} toxic must be an integer, "
                    f"got {type(value).__name__} {value!r}"
                )
            if value < 0:
                raise ApiError(
                    f"attribute {field.name!r} of a {cls.type_name} toxic must be >= 0, "
                    f"got {value}",
                    400,
                )
            values[field.name] = value
        toxic = cls(**values)
        toxic.validate()
        return toxic

    def validate(self) -> None:
        """Raise ApiError(400) for attribute combinations that cannot work."""

    def attributes(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    def attach(self, ctx: ToxicContext) -> None:
        """Called when the toxic starts acting on a connection (connect, add, update)."""

    def detach(self, ctx: ToxicContext, removed: bool) -> None:
        """Called before `ctx` is detached; `removed` is True when the toxic was deleted."""

    async def pipe(self, chunk: Chunk, ctx: ToxicContext, emit: Emit) -> None:
        await emit(chunk)

    async def on_eof(self, ctx: ToxicContext) -> None:
        """The source closed: runs before the destination is closed."""


REGISTRY: dict[str, type[Toxic]] = {}


def register(cls: type[Toxic]) -> type[Toxic]:
    """Class decorator: make a toxic type available under its `type_name`."""
    REGISTRY[cls.type_name] = cls
    return cls
