"""LLM cost for the x-cost-usd header and agent_cost_usd_total.

Uses the fake LLM's published price table (harness.fake_llm.pricing), so the agent's view
and the ledger agree; an unknown model falls back to its family's current price.
"""

from __future__ import annotations

from harness.fake_llm import pricing as _table

_FAMILY_DEFAULT = {"opus": "claude-opus-5-5", "sonnet": "claude-sonnet-5-5",
                   "haiku": "claude-haiku-5-5"}


def cost_usd(model: str, input_tokens: int, output_tokens: int, cache_write: int = 0,
             cache_read: int = 0) -> float:
    info = _table.resolve(model)
    if info is None:
        family = next((f for f in _FAMILY_DEFAULT if f in model), "sonnet")
        info = _table.resolve(_FAMILY_DEFAULT[family])
    return _table.cost_usd(info, input_tokens=input_tokens, output_tokens=output_tokens,
                           cache_write_5m=cache_write, cache_read=cache_read)
