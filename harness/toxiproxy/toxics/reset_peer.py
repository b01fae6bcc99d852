"""reset_peer: on the first data, wait `timeout` ms, then reset both sockets (TCP RST)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.toxiproxy.toxics.base import Chunk, Emit, Toxic, ToxicContext, register


@register
@dataclass
class ResetPeer(Toxic):
    type_name = "reset_peer"
    timeout: int = 0  # ms

    async def pipe(self, chunk: Chunk, ctx: ToxicContext, emit: Emit) -> None:
        # As in Toxiproxy the data that triggers the reset is dropped.
        if not ctx.state.get("armed"):
            ctx.state["armed"] = True
            if self.timeout > 0:
                ctx.call_later(self.timeout / 1000.0, ctx.conn.reset)
            else:
                ctx.conn.reset()
