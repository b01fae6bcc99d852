"""latency: every chunk is delayed by `latency` ± `jitter` ms, counted from its arrival."""

from __future__ import annotations

from dataclasses import dataclass

from harness.toxiproxy.toxics.base import Chunk, Emit, Toxic, ToxicContext, register


@register
@dataclass
class Latency(Toxic):
    type_name = "latency"
    latency: int = 0  # ms
    jitter: int = 0  # ms

    def delay_s(self, ctx: ToxicContext) -> float:
        delay = float(self.latency)
        if self.jitter > 0:
            delay += ctx.rng.uniform(-self.jitter, self.jitter)
        return delay / 1000.0

    async def pipe(self, chunk: Chunk, ctx: ToxicContext, emit: Emit) -> None:
        # The deadline counts from arrival, so chunks queued behind a sleeping one are not
        # delayed twice (Toxiproxy does the same with the chunk timestamp).
        deadline = chunk.ts + self.delay_s(ctx)
        wait = deadline - ctx.now()
        if wait > 0:
            await ctx.sleep(wait)  # interrupted: pass the data on at once, never drop it
            chunk.ts = ctx.now()
        await emit(chunk)
