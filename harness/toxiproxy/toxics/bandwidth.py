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
        data = chunk.data
        # Debt carries the timer's over/undershoot to the next chunk, so the long-run rate
        # stays exact even though each sleep is a little late.
        debt: float = ctx.state.get("debt", 0.0)
        slice_len = max(1, int(bytes_per_s * SLICE_S))
        while len(data) > slice_len:
            if not await ctx.sleep(SLICE_S):
                break
            await emit(Chunk(data[:slice_len], chunk.ts))
            data = data[slice_len:]
        else:
            wait = debt + len(data) / bytes_per_s
            start = ctx.now()
            if wait > 0:
                await ctx.sleep(wait)
            ctx.state["debt"] = wait - (ctx.now() - start)
        await emit(Chunk(data, chunk.ts))
