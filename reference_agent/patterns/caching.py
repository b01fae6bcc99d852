"""Prompt caching (chapter 5): cache_control on the long system prompt and the tool list.

The system prompt and tools are identical on every call, so marking them lets the API bill
them at the cache-read rate (a tenth of input) after the first call.
"""

from __future__ import annotations

from typing import Any

EPHEMERAL = {"type": "ephemeral"}


def system_blocks(text: str, enabled: bool) -> list[dict[str, Any]]:
    block: dict[str, Any] = {"type": "text", "text": text}
    if enabled:
        block["cache_control"] = dict(EPHEMERAL)
    return [block]


def mark_tools(tools: list[dict[str, Any]], enabled: bool) -> list[dict[str, Any]]:
    """A copy of `tools` with a cache breakpoint on the last one (it covers all before it)."""
    out = [dict(t) for t in tools]
    if enabled and out:
        out[-1]["cache_control"] = dict(EPHEMERAL)
    return out
