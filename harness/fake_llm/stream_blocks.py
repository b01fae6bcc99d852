"""SSE events of the blocks beyond text and tool_use: thinking (thinking_delta, then one
signature_delta), redacted_thinking and server tool results (whole in content_block_start),
server_tool_use (its input as input_json_delta, like a tool_use)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness.fake_llm.sse import event, json_chunks, text_chunks
from harness.fake_llm.tokens import text_tokens

# The content_block_start payload of each such block type.
STREAMED_ELSEWHERE: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "thinking": lambda b: {"type": "thinking", "thinking": "", "signature": ""},
    "redacted_thinking": lambda b: b,
    "server_tool_use": lambda b: {**b, "input": {}},
    "web_search_tool_result": lambda b: b,
}


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    return event(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )


def block_deltas(index: int, block: dict[str, Any]) -> list[tuple[bytes, int, bool]]:
    """(event bytes, output tokens it carries, takes token time) for the block's deltas."""
    kind = block["type"]
    out: list[tuple[bytes, int, bool]] = []
    if kind == "thinking":
        for piece in text_chunks(block["thinking"]):
            out.append((_delta(index, {"type": "thinking_delta", "thinking": piece}),
                        text_tokens(piece), True))
        out.append((_delta(index, {"type": "signature_delta", "signature": block["signature"]}),
                    0, False))
    elif kind == "server_tool_use":
        for piece in json_chunks(json.dumps(block["input"])):
            out.append((_delta(index, {"type": "input_json_delta", "partial_json": piece}),
                        0, False))
    return out


__all__ = ["STREAMED_ELSEWHERE", "block_deltas"]
