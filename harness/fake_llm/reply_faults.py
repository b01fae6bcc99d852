"""Faults applied to a finished reply: tool-call JSON that no parser can read, and forced stop
reasons (`refusal`, `pause_turn`, `model_context_window_exceeded`).

Broken JSON: the SDK's stream accumulator parses every `input_json_delta` with jiter in
partial mode, which silently repairs a truncated tail, a missing comma or an extra closing
brace. A single-quoted key (a model writing a Python dict) is an error at its first byte, so
the SDK raises as soon as that delta arrives. Non-streaming replies carry such text as
`{"INVALID_JSON": "<text>"}`, the shape the API documents for tool input it could not parse
(fine-grained tool streaming).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from harness.fake_llm.tokens import block_tokens

if TYPE_CHECKING:  # model.py imports this module
    from harness.fake_llm.model import Reply

INVALID_JSON_KEY = "INVALID_JSON"


def broken_json(args: dict[str, Any]) -> str:
    """The call's arguments written as a Python dict literal: `{'order_id': 'ORD-1'}`."""
    if not args:
        return "{'': None}"
    return "{" + ", ".join(f"{key!r}: {value!r}" for key, value in args.items()) + "}"


def refusal_details() -> dict[str, Any]:
    """`stop_details` of a refusal (types/refusal_stop_details.py): no named category."""
    return {"type": "refusal", "category": None, "explanation": None}


def force_stop(reply: Reply, stop_reason: str) -> Reply:
    """The reply cut where the forced stop happens: text kept up to its middle, tool calls
    dropped (the turn never got to them), output tokens those of what is kept."""
    kept: list[dict[str, Any]] = []
    for block in reply.content:
        if block["type"] == "text":
            text = block["text"]
            kept.append({"type": "text", "text": text[: len(text) // 2]})
            break
        if block["type"] in ("thinking", "redacted_thinking"):
            kept.append(block)
    tokens = sum(block_tokens(b) for b in kept)
    details = refusal_details() if stop_reason == "refusal" else None
    return dataclasses.replace(
        reply,
        content=kept,
        stop_reason=stop_reason,
        output_tokens=tokens,
        stream_json={},
        stop_details=details,
        stop_sequence=None,  # the forced stop comes first
        web_searches=0,  # server tool calls are dropped with the client ones
    )
