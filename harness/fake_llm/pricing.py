"""The models the fake serves and their published prices (USD per million tokens).

Cache prices follow the published multipliers of the base input price: a 5-minute cache write
costs 1.25x, a 1-hour write 2x, a cache read 0.1x, unless a model's page lists another read
price (Opus 5.5 reads at $0.20/MTok). Haiku 5.5 has a long-prompt tier above 100K input tokens.
`min_cacheable` is the smallest prefix (tokens) the API will cache for that model.

Each model also carries what `GET /v1/models` reports and what request validation needs: its
context window (`max_input`), its largest `max_tokens` (`max_output`), whether it still takes
`temperature` / `top_p` / `top_k` under `anthropic-version: 2023-06-01` (`sampling`), and its
lifecycle (the SDK's `DEPRECATED_MODELS` gives the deprecated ones and their end of life).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

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
    display_name: str = ""
    max_input: int = 1_000_000
    max_output: int = 128_000
    sampling: bool = False  # temperature/top_p/top_k accepted (2023-06-01 only)
    created_at: str = "1970-01-01T00:00:00Z"  # the epoch where the release date is unknown
    lifecycle: str = "active"  # active | deprecated | retired
    deprecated_at: str | None = None
    retires_at: str | None = None
    dated_id: str | None = None  # the id /v1/models lists when the alias pins a snapshot

    def rates(self, prompt_tokens: int) -> tuple[float, float]:
        """(input, output) price per MTok for a prompt of `prompt_tokens` input tokens."""
        if self.long_tier and prompt_tokens > self.long_tier[0]:
            return self.long_tier[1], self.long_tier[2]
        return self.input, self.output


_CURRENT = [
    # Newest first: the order `GET /v1/models` lists them in (the SDK's `Model` literal order).
    ModelInfo(
        "claude-opus-5-5", "opus", 4.0, 20.0, 512, cache_read=0.20, display_name="Claude Opus 5.5"
    ),
    ModelInfo("claude-sonnet-5-5", "sonnet", 2.0, 10.0, 1024, display_name="Claude Sonnet 5.5"),
    ModelInfo(
        "claude-haiku-5-5",
        "haiku",
        0.10,
        0.50,
        2048,
        long_tier=(100_000, 0.50, 2.50),
        display_name="Claude Haiku 5.5",
    ),
    # Earlier models that are still active (not in the SDK's DEPRECATED_MODELS).
    ModelInfo("claude-opus-5", "opus", 5.0, 25.0, 512, display_name="Claude Opus 5"),
    ModelInfo("claude-sonnet-5", "sonnet", 2.0, 10.0, 1024, display_name="Claude Sonnet 5"),
    ModelInfo("claude-opus-4-8", "opus", 5.0, 25.0, 1024, display_name="Claude Opus 4.8"),
    ModelInfo("claude-opus-4-7", "opus", 5.0, 25.0, 4096, display_name="Claude Opus 4.7"),
    ModelInfo(
        "claude-opus-4-6",
        "opus",
        5.0,
        25.0,
        4096,
        display_name="Claude Opus 4.6",
        sampling=True,
        created_at="2026-02-05T00:00:00Z",
    ),
    ModelInfo(
        "claude-sonnet-4-6",
        "sonnet",
        3.0,
        15.0,
        1024,
        display_name="Claude Sonnet 4.6",
        max_output=64_000,
        sampling=True,
        created_at="2026-02-17T00:00:00Z",
    ),
    ModelInfo(
        "claude-haiku-4-5",
        "haiku",
        1.0,
        5.0,
        4096,
        display_name="Claude Haiku 4.5",
        max_input=200_000,
        max_output=64_000,
        sampling=True,
        created_at="2025-10-01T00:00:00Z",
        dated_id="claude-haiku-4-5-20251001",
    ),
    # Deprecated (SDK DEPRECATED_MODELS: end of life January 22nd, 2027): still served.
    ModelInfo(
        "claude-opus-4-5",
        "opus",
        5.0,
        25.0,
        4096,
        display_name="Claude Opus 4.5",
        max_input=200_000,
        max_output=64_000,
        sampling=True,
        created_at="2025-11-01T00:00:00Z",
        lifecycle="deprecated",
        deprecated_at="2026-10-21T00:00:00Z",
        retires_at="2027-01-22T00:00:00Z",
        dated_id="claude-opus-4-5-20251101",
    ),
]

# Listed by `GET /v1/models?lifecycle=retired` only; requests naming them get 404.
RETIRED = [
    ModelInfo(
        "claude-mythos-preview",
        "mythos",
        0.0,
        0.0,
        0,
        display_name="Claude Mythos Preview",
        lifecycle="retired",
        retires_at="2026-06-30T00:00:00Z",
    ),
]


def _retired(model: ModelInfo, now: str) -> bool:
    return model.retires_at is not None and model.retires_at <= now


# A deprecated model stops being served at its end of life (RFC 3339 strings compare in order).
_NOW = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
RETIRED = [*RETIRED, *(replace(m, lifecycle="retired") for m in _CURRENT if _retired(m, _NOW))]
_CURRENT = [m for m in _CURRENT if not _retired(m, _NOW)]

# Dated snapshot ids -> the alias they pin.
_DATED = {m.dated_id: m.id for m in _CURRENT if m.dated_id}

MODELS: dict[str, ModelInfo] = {m.id: m for m in _CURRENT}
MODELS.update({dated: MODELS[alias] for dated, alias in _DATED.items()})
CATALOGUE: list[ModelInfo] = [*_CURRENT, *RETIRED]  # what /v1/models can list, in order



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
