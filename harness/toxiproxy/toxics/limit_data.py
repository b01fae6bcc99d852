"""limit_data: the connection closes once `bytes` bytes have passed in this direction."""

from __future__ import annotations

from dataclasses import dataclass

from harness.toxiproxy.toxics.base import Chunk, Emit, Toxic, ToxicContext, register


@register
@dataclass
class LimitData(Toxic):
    type_name = "limit_data"
    bytes: int = 0

    async def pipe(self, chunk: Chunk, ctx: ToxicContext, emit: Emit) -> None:
        sent: int = ctx.state.get("sent", 0)
        allowed = max(0, self.bytes - sent)
        data = chunk.data[:allowed]
        if data:
            ctx.state["sent"] = sent + len(data)
            await emit(Chunk(data, chunk.ts))
        if self.bytes - ctx.state.get("sent", 0) <= 0:
            ctx.conn.close()
