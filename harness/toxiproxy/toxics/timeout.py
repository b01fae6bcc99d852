"""timeout: no data passes; the connection closes after `timeout` ms (0 = held forever).

Removing the toxic closes the connections it held, as in Toxiproxy.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.toxiproxy.toxics.base import Chunk, Emit, Toxic, ToxicContext, register


@register
@dataclass
class Timeout(Toxic):
    type_name = "timeout"
    timeout: int = 0  # ms

    def attach(self, ctx: ToxicContext) -> None:
        if self.timeout > 0:
            ctx.call_later(self.timeout / 1000.0, ctx.conn.close)

    def detach(self, ctx: ToxicContext, removed: bool) -> None:
        if removed:
            ctx.conn.close()

    async def pipe(self, chunk: Chunk, ctx: ToxicContext, emit: Emit) -> None:
        return  # data is dropped on the floor
