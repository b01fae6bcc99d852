"""slow_close: data flows, but closing is delayed by `delay` ms."""

from __future__ import annotations

from dataclasses import dataclass

from harness.toxiproxy.toxics.base import Toxic, ToxicContext, register


@register
@dataclass
class SlowClose(Toxic):
    type_name = "slow_close"
    delay: int = 0  # ms

    async def on_eof(self, ctx: ToxicContext) -> None:
        await ctx.sleep(self.delay / 1000.0)
