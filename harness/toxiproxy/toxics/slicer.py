"""slicer: chunks leave in pieces of about `average_size` ± `size_variation` bytes,
`delay` microseconds apart."""

from __future__ import annotations

from dataclasses import dataclass

from harness.toxiproxy.errors import ApiError
from harness.toxiproxy.toxics.base import Chunk, Emit, Toxic, ToxicContext, register


@register
@dataclass
class Slicer(Toxic):
    type_name = "slicer"
    average_size: int = 0  # bytes
    size_variation: int = 0  # bytes
    delay: int = 0  # microseconds

    def validate(self) -> None:
        if self.average_size < 1:
            raise ApiError("slicer average_size must be >= 1 byte", 400)
        if self.size_variation >= self.average_size:
            raise ApiError("slicer size_variation must be smaller than average_size", 400)

    def offsets(self, size: int, ctx: ToxicContext) -> list[tuple[int, int]]:
        """Split [0, size) in halves (± variation) until pieces are about average_size."""
        pieces: list[tuple[int, int]] = []
        stack = [(0, size)]
        while stack:
            start, end = stack.pop()
            if (end - start) - self.average_size <= self.size_variation:
                pieces.append((start, end))
                continue
            mid = start + (end - start) // 2
            if self.size_variation > 0:
                mid += ctx.rng.randrange(-self.size_variation, self.size_variation)
            stack.append((mid, end))
            stack.append((start, mid))
        return pieces

    async def pipe(self, chunk: Chunk, ctx: ToxicContext, emit: Emit) -> None:
        data = chunk.data
        pieces = self.offsets(len(data), ctx)
        for i, (start, end) in enumerate(pieces):
            await emit(Chunk(data[start:end], chunk.ts))
            if not await ctx.sleep(self.delay / 1_000_000):
                rest = pieces[i + 1][0] if i + 1 < len(pieces) else len(data)
                if rest < len(data):
                    await emit(Chunk(data[rest:], chunk.ts))
                return
