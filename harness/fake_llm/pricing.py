"""The models the fake serves and their published prices (USD per million tokens).

Cache prices follow the published multipliers of the base input price: a 5-minute cache write
costs 1.25x, a 1-hour write 2x, a cache read 0.1x, unless a model's page lists another read
price (Opus 5.5 reads at $0.20/MTok). Haiku 5.5 has a long-prompt tier above 100K input tokens.
`min_cacheable` is the smallest prefix (tokens) the API will cache for that model.
"""

from __future__ import annotations

from dataclasses import dataclass

MTOK = 1_000_000.0


@dataclass(frozen=True)
class ModelInfo:
    id: str
    family: str  # opus | sonnet | haiku
    input: float
    output: float
    min_cacheable: int
    cache_read: float | None = None  # None: 0.1x input
    # (threshold in prompt tokens, input price, output price) above the threshold
    long_tier: tuple[int, float, float] | None = None

    def rates(self, prompt_tokens: int) -> tuple[float, float]:
        """(input, output) price per MTok for a prompt of `prompt_tokens` input tokens."""
        if self.long_tier and prompt_tokens > self.long_tier[0]:
            return self.long_tier[1], self.long_tier[2]
        return self.input, self.output


_CURRENT = [
    ModelInfo("claude-opus-5-5", "opus", 4.0, 20.0, 512, cache_read=0.20),
    ModelInfo("claude-sonnet-5-5", "sonnet", 2.0, 10.0, 1024),
    ModelInfo("claude-haiku-5-5", "haiku", 0.10, 0.50, 2048, long_tier=(100_000, 0.50, 2.50)),
    # Earlier models that are still active (not in the SDK's DEPRECATED_MODELS).
    ModelInfo("claude-opus-5", "opus", 5.0, 25.0, 512),
    ModelInfo("claude-sonnet-5", "sonnet", 2.0, 10.0, 1024),
    ModelInfo("claude-opus-4-8", "opus", 5.0, 25.0, 1024),
    ModelInfo("claude-opus-4-7", "opus", 5.0, 25.0, 4096),
    ModelInfo("claude-opus-4-6", "opus", 5.0, 25.0, 4096),
    ModelInfo("claude-sonnet-4-6", "sonnet", 3.0, 15.0, 1024),
    ModelInfo("claude-haiku-4-5", "haiku", 1.0, 5.0, 4096),
]

# Dated snapshot ids -> the alias they pin.
_DATED = {"claude-haiku-4-5-20251001": "claude-haiku-4-5"}

MODELS: dict[str, ModelInfo] = {m.id: m for m in _CURRENT}
MODELS.update({dated: MODELS[alias] for dated, alias in _DATED.items()})

DEFAULT_MODEL = "claude-sonnet-5-5"


def resolve(model: str) -> ModelInfo | None:
    """The priced model behind an id or dated alias, or None when the fake does not serve it."""
    return MODELS.get(model)


def cost_usd(
    model: ModelInfo | None,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_write_5m: int = 0,
    cache_write_1h: int = 0,
    cache_read: int = 0,
) -> float:
    """What one call costs; 0.0 for a model without a price (e.g. passthrough of an unknown id)."""
    if model is None:
        return 0.0
    prompt = input_tokens + cache_write_5m + cache_write_1h + cache_read
    in_rate, out_rate = model.rates(prompt)
    read_rate = model.cache_read if model.cache_read is not None else 0.1 * in_rate
    total = (
        input_tokens * in_rate
        + output_tokens * out_rate
        + cache_write_5m * 1.25 * in_rate
        + cache_write_1h * 2.0 * in_rate
        + cache_read * read_rate
    )
    return round(total / MTOK, 10)
