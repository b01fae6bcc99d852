"""bandwidth: at most `rate` KB/s (1 KB = 1000 bytes, as Toxiproxy)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.toxiproxy.errors import ApiError
from harness.toxiproxy.toxics.base import Chunk, Emit, Toxic, ToxicContext, register

SLICE_S = 0.1  # big chunks leave in 100 ms slices so a slow rate still streams


@register
@dataclass
class Bandwidth(Toxic):
    type_name = "bandwidth"
    rate: int = 0  # KB/s

    def validate(self) -> None:
        # Toxiproxy accepts 0 and then spins forever sending empty slices; refuse it.
        if self.rate <= 0:
            raise ApiError(
                "bandwidth rate must be > 0 KB/s (rate 0 would stall the connection; "
                "use a timeout toxic to stop data)",
                400,
            )

    async def pipe(self, chunk: Chunk, ctx: ToxicContext, emit: Emit) -> None:
        bytes_per_s = self.rate * 1000
        slice_len = max(1, int(bytes_per_s * SLICE_S))
        data = chunk.data
        # Debt carries what the last wait overshot (a late timer, a slow write) to the next
        # one, so the long-run rate stays exact on a busy machine. It is capped at one slice:
        # a reader that stalled for long does not earn a burst beyond 100 ms of data.
        debt: float = ctx.state.get("debt", 0.0)
        while data:
            piece, data = data[:slice_len], data[slice_len:]
            wait = debt + len(piece) / bytes_per_s
            start = ctx.now()
            if not await ctx.sleep(wait):
                data = piece + data  # detached: release what is left at once
                break
            await emit(Chunk(piece, chunk.ts))
            debt = max(wait - (ctx.now() - start), -SLICE_S)
        ctx.state["debt"] = debt
        if data:
            await emit(Chunk(data, chunk.ts))
