"""An OpenAI-style chat completions endpoint backed by the anthropic SDK.

POST /v1/chat/completions with `Authorization: Bearer <key>` and
{model, messages: [{role, content}], stream}: the OpenAI messages become a Messages API
conversation (system turns become `system`), the tool loop runs on AsyncAnthropic, and the
answer comes back as a `chat.completion` object or, with `stream: true`, as SSE
`chat.completion.chunk` events (`data: {...}`), text at `choices[0].delta.content`, ended by
`data: [DONE]`. A failure before the first text is an HTTP 503; after it, an `error` event
and no [DONE] (the client sees the stream end unfinished). --retries = max_retries.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

import anthropic
from common import MAX_TURNS, MODEL, SYSTEM, new_app, parse_args, serve, upstream_failed
from fastapi import Header, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from travel_tools import TOOLS, run_tool

args = parse_args(__doc__ or "")
client = anthropic.AsyncAnthropic(max_retries=args.retries)
app = new_app("OpenAI-style travel agent")


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class CompletionIn(BaseModel):
    model: str = "agent"
    messages: list[ChatMessage]
    stream: bool = False


def bearer(authorization: str | None) -> str:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise HTTPException(status_code=401, detail="missing Authorization: Bearer <key>")
    return key.strip()


def conversation(messages: list[ChatMessage]) -> tuple[str, list[dict[str, Any]]]:
    system = "\n".join([SYSTEM, *(m.content for m in messages if m.role == "system")])
    turns = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
    if not turns or turns[0]["role"] != "user":
        raise HTTPException(status_code=400, detail="messages must start with a user turn")
    return system, turns


async def text_deltas(system: str, turns: list[dict[str, Any]]) -> AsyncIterator[str]:
    """The reply's text as it streams, through every tool round trip."""
    for _ in range(MAX_TURNS):
        async with client.messages.stream(model=MODEL, max_tokens=1024, system=system,
                                          tools=TOOLS, messages=turns) as stream:
            async for text in stream.text_stream:
                yield text
            final = await stream.get_final_message()
        turns.append({"role": "assistant", "content": final.content})
        uses = [block for block in final.content if block.type == "tool_use"]
        if final.stop_reason != "tool_use" or not uses:
            return
        results = []
        for use in uses:
            content, is_error = run_tool(use.name, dict(use.input))
            results.append({"type": "tool_result", "tool_use_id": use.id, "content": content,
                            "is_error": is_error})
        turns.append({"role": "user", "content": results})


def chunk(completion_id: str, delta: dict[str, Any], finish: str | None = None) -> str:
    event = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()),
             "model": MODEL, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(event)}\n\n"


async def sse(completion_id: str, first: str | None,
              rest: AsyncIterator[str]) -> AsyncIterator[str]:
    yield chunk(completion_id, {"role": "assistant", "content": first or ""})
    try:
        async for text in rest:
            yield chunk(completion_id, {"content": text})
    except anthropic.APIError as exc:
        yield f"data: {json.dumps({'error': {'message': str(exc)[:300]}})}\n\n"
        return
    yield chunk(completion_id, {}, finish="stop")
    yield "data: [DONE]\n\n"


@app.post("/v1/chat/completions", response_model=None)
async def completions(body: CompletionIn, authorization: str | None = Header(default=None)
                      ) -> dict[str, Any] | StreamingResponse:
    bearer(authorization)
    system, turns = conversation(body.messages)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    deltas = text_deltas(system, turns)
    try:  # up to the first text: a failure here is still an HTTP error
        first: str | None = await anext(deltas)
    except StopAsyncIteration:
        first = None
    except anthropic.APIError as exc:
        raise upstream_failed(exc) from exc
    if body.stream:
        return StreamingResponse(sse(completion_id, first, deltas),
                                 media_type="text/event-stream")
    try:
        text = (first or "") + "".join([t async for t in deltas])
    except anthropic.APIError as exc:
        raise upstream_failed(exc) from exc
    return {"id": completion_id, "object": "chat.completion", "created": int(time.time()),
            "model": MODEL, "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": text}}]}


if __name__ == "__main__":
    serve(app, args)
