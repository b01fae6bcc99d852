"""LLM cost for the x-cost-usd header and agent_cost_usd_total, from prices.json.

The table holds list prices (USD per million tokens); an unknown model is priced as its
family's current model (sonnet when the id names no family), so a new id never costs 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

MTOK = 1_000_000.0
CACHE_WRITE_5M = 1.25  # x the input price
CACHE_READ = 0.1  # x the input price, unless the model lists its own


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cache_read: float | None = None
    long_tier: tuple[int, float, float] | None = None  # (prompt tokens above, input, output)


@dataclass(frozen=True)
class PriceTable:
    models: dict[str, Price]
    family_defaults: dict[str, str]

    def price(self, model: str) -> Price:
        if model in self.models:
            return self.models[model]
        family = next((f for f in self.family_defaults if f in model), "sonnet")
        return self.models[self.family_defaults[family]]


@cache
def table() -> PriceTable:
    raw = json.loads(resources.files("reference_agent").joinpath("prices.json").read_text())
    models = {
        name: Price(p["input"], p["output"], p.get("cache_read"),
                    tuple(p["long_tier"]) if "long_tier" in p else None)
        for name, p in raw["models"].items()
    }
    models.update({alias: models[target] for alias, target in raw["aliases"].items()})
    return PriceTable(models, raw["family_defaults"])


def cost_usd(model: str, input_tokens: int, output_tokens: int, cache_write: int = 0,
             cache_read: int = 0) -> float:
    """What one call costs at list prices; `cache_write` are 5-minute cache writes."""
    price = table().price(model)
    prompt = input_tokens + cache_write + cache_read
    in_rate, out_rate = price.input, price.output
    if price.long_tier and prompt > price.long_tier[0]:
        in_rate, out_rate = price.long_tier[1], price.long_tier[2]
    read_rate = price.cache_read if price.cache_read is not None else CACHE_READ * in_rate
    total = (input_tokens * in_rate + output_tokens * out_rate
             + cache_write * CACHE_WRITE_5M * in_rate + cache_read * read_rate)
    return round(total / MTOK, 10)
