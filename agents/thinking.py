"""A travel agent with extended thinking: a thinking budget on every call, and the thinking
blocks (with their signatures) passed back unchanged on tool turns, as the API requires.

Same contract as plain_sdk.py: POST /v1/chat -> {reply, tools, thinking_blocks};
--retries = max_retries.
"""

from __future__ import annotations

from typing import Any

import anthropic
from common import (
    MAX_TURNS,
    MODEL,
    SYSTEM,
    ChatIn,
    ChatOut,
    new_app,
    parse_args,
    require_key,
    serve,
    upstream_failed,
)
from fastapi import Depends
from travel_tools import TOOLS, run_tool

BUDGET_TOKENS = 2048
MAX_TOKENS = 4096  # must exceed the thinking budget

args = parse_args(__doc__ or "")
client = anthropic.Anthropic(max_retries=args.retries)
app = new_app("extended-thinking travel agent")


class ThinkingChatOut(ChatOut):
    thinking_blocks: int = 0  # thinking blocks the model produced for this request


def answer(message: str) -> ThinkingChatOut:
    messages: list[dict[str, Any]] = [{"role": "user", "content": message}]
    called: list[str] = []
    thoughts = 0
    for _ in range(MAX_TURNS):
        reply = client.messages.create(
            model=MODEL, max_tokens=MAX_TOKENS, system=SYSTEM, tools=TOOLS, messages=messages,
            thinking={"type": "enabled", "budget_tokens": BUDGET_TOKENS})
        thoughts += sum(block.type in ("thinking", "redacted_thinking")
                        for block in reply.content)
        # The whole content goes back: a tool turn must start with its thinking block.
        messages.append({"role": "assistant", "content": reply.content})
        uses = [block for block in reply.content if block.type == "tool_use"]
        if reply.stop_reason != "tool_use" or not uses:
            text = "".join(block.text for block in reply.content if block.type == "text")
            return ThinkingChatOut(reply=text, tools=called, thinking_blocks=thoughts)
        results = []
        for use in uses:
            content, is_error = run_tool(use.name, dict(use.input))
            called.append(use.name)
            results.append({"type": "tool_result", "tool_use_id": use.id, "content": content,
                            "is_error": is_error})
        messages.append({"role": "user", "content": results})
    return ThinkingChatOut(reply="I could not finish that within my tool budget.",
                           tools=called, thinking_blocks=thoughts)


@app.post("/v1/chat")
def chat(body: ChatIn, _key: str = Depends(require_key)) -> ThinkingChatOut:
    try:
        return answer(body.message)
    except anthropic.APIError as exc:
        raise upstream_failed(exc) from exc


if __name__ == "__main__":
    serve(app, args)
