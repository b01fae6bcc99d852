"""A travel agent on the plain anthropic SDK: streamed replies, tools of its own.

POST /v1/chat {message, session_id} with x-api-key -> {reply, tools}. The client reads
ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY from the environment; --retries is its max_retries.
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

args = parse_args(__doc__ or "")
client = anthropic.Anthropic(max_retries=args.retries)
app = new_app("plain-sdk travel agent")


def answer(message: str) -> ChatOut:
    messages: list[dict[str, Any]] = [{"role": "user", "content": message}]
    called: list[str] = []
    for _ in range(MAX_TURNS):
        with client.messages.stream(model=MODEL, max_tokens=1024, system=SYSTEM, tools=TOOLS,
                                    messages=messages) as stream:
            final = stream.get_final_message()
        messages.append({"role": "assistant", "content": final.content})
        uses = [block for block in final.content if block.type == "tool_use"]
        if final.stop_reason != "tool_use" or not uses:
            text = "".join(block.text for block in final.content if block.type == "text")
            return ChatOut(reply=text, tools=called)
        results = []
        for use in uses:
            content, is_error = run_tool(use.name, dict(use.input))
            called.append(use.name)
            results.append({"type": "tool_result", "tool_use_id": use.id, "content": content,
                            "is_error": is_error})
        messages.append({"role": "user", "content": results})
    return ChatOut(reply="I could not finish that within my tool budget.", tools=called)


@app.post("/v1/chat")
def chat(body: ChatIn, _key: str = Depends(require_key)) -> ChatOut:
    try:
        return answer(body.message)
    except anthropic.APIError as exc:
        raise upstream_failed(exc) from exc


if __name__ == "__main__":
    serve(app, args)
