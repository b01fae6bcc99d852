"""A travel agent on AsyncAnthropic: the tool calls of one turn run in parallel.

When the model asks for several tools in one turn (parallel `tool_use` blocks), they are
executed together with asyncio.gather and answered in one user turn, as the tool-use docs
ask. Same contract as plain_sdk.py: POST /v1/chat -> {reply, tools}; --retries = max_retries.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
from common import (
    ChatIn,
    ChatOut,
    answer_with_tools,
    new_app,
    parse_args,
    require_key,
    serve,
    upstream_failed,
)
from fastapi import Depends
from travel_tools import TOOLS, run_tool

TOOL_IO_S = 0.05  # each tool stands for a slow remote lookup

args = parse_args(__doc__ or "")
client = anthropic.AsyncAnthropic(max_retries=args.retries)
app = new_app("async parallel-tools travel agent")


async def call_tool(use: anthropic.types.ToolUseBlock) -> dict[str, Any]:
    await asyncio.sleep(TOOL_IO_S)
    content, is_error = run_tool(use.name, dict(use.input))
    return {"type": "tool_result", "tool_use_id": use.id, "content": content,
            "is_error": is_error}


async def call_tools(uses: list[anthropic.types.ToolUseBlock]) -> list[dict[str, Any]]:
    """All of a turn's tool calls at once."""
    return list(await asyncio.gather(*(call_tool(use) for use in uses)))


@app.post("/v1/chat")
async def chat(body: ChatIn, _key: str = Depends(require_key)) -> ChatOut:
    try:
        return await answer_with_tools(client, body.message, TOOLS, call_tools)
    except anthropic.APIError as exc:
        raise upstream_failed(exc) from exc


if __name__ == "__main__":
    serve(app, args)
