"""A tiny agent speaking every API preset, streamed and not, run as its own process.

    python tests/load/api_agent.py --port PORT --log requests.jsonl

Routes: `/v1/chat` (preset harness; `/sse/v1/chat` and `/chunked/v1/chat` stream the same
reply as SSE `data: {"text": ...}` events or as plain text chunks), `/v1/chat/completions`
(OpenAI style: `stream: true` gives SSE chunks ending in `[DONE]`), `/v1/messages` (Anthropic
Messages: `stream: true` gives its event sequence). Keys: `key-acme` and `key-globex` are
tenants, any other key gets 401. globex's streamed replies break off after the first text.
The reply to a conversation names how many earlier messages it carried; each request's
path, headers and body go to the `--log` file as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

KEYS = {"key-acme": "acme", "key-globex": "globex"}
FIRST_TEXT_DELAY_S = 0.02  # between the first byte and the first text of a stream


def _key(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth.removeprefix("Bearer ") if auth else request.headers.get("x-api-key", "")


def _words(text: str) -> list[str]:
    return [w + " " for w in text.split(" ")[:-1]] + [text.split(" ")[-1]]


def make_app(log: Path) -> FastAPI:
    app = FastAPI()

    def note(request: Request, body: Any) -> None:
        row = {"path": request.url.path, "headers": dict(request.headers), "body": body}
        with log.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def denied() -> JSONResponse:
        error = {"type": "error", "error": {"type": "authentication_error", "message": "key"}}
        return JSONResponse(error, status_code=401)

    async def stream(events: list[bytes], breaks: bool, sse: bool = True) -> AsyncIterator[bytes]:
        if sse:
            yield b": a comment: the first byte, no text yet\n\n"
        await asyncio.sleep(FIRST_TEXT_DELAY_S)
        for i, event in enumerate(events):
            yield event
            if breaks and i >= 1:
                raise RuntimeError("stream broken off on purpose")
            await asyncio.sleep(0.002)

    def answer(conversation: list[dict[str, Any]], tenant: str) -> str:
        last = conversation[-1]["content"] if conversation else ""
        return f"{tenant} turn after {len(conversation) - 1} earlier: {last[:40]}"

    @app.post("/{mode}/v1/chat")
    @app.post("/v1/chat")
    async def chat(request: Request, mode: str = "json") -> Response:
        body = await request.json()
        note(request, body)
        tenant = KEYS.get(_key(request))
        if tenant is None:
            return denied()
        text = f"{tenant} says: {body['message'][:40]}"
        if mode == "sse":
            events = [f"data: {json.dumps({'text': w})}\n\n".encode() for w in _words(text)]
            return StreamingResponse(stream(events, tenant == "globex"),
                                     media_type="text/event-stream")  # fmt: skip
        if mode == "chunked":
            chunks = [w.encode() for w in _words(text)]
            return StreamingResponse(stream(chunks, tenant == "globex", sse=False),
                                     media_type="text/plain")  # fmt: skip
        return JSONResponse({"reply": text, "session_id": body.get("session_id")})

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> Response:
        body = await request.json()
        note(request, body)
        tenant = KEYS.get(_key(request))
        if tenant is None:
            return denied()
        text = answer(body["messages"], tenant)
        if not body.get("stream"):
            choice = {"index": 0, "message": {"role": "assistant", "content": text}}
            return JSONResponse({"id": "c1", "object": "chat.completion", "choices": [choice]})
        first = {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}
        events = [f"data: {json.dumps(first)}\n\n".encode()]
        for word in _words(text):
            chunk = {"choices": [{"index": 0, "delta": {"content": word}}]}
            events.append(f"data: {json.dumps(chunk)}\n\n".encode())
        events.append(b"data: [DONE]\n\n")
        return StreamingResponse(stream(events, tenant == "globex"),
                                 media_type="text/event-stream")  # fmt: skip

    @app.post("/v1/messages")
    async def messages(request: Request) -> Response:
        body = await request.json()
        note(request, body)
        tenant = KEYS.get(_key(request))
        if tenant is None:
            return denied()
        text = answer(body["messages"], tenant)
        if not body.get("stream"):
            content = [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": text}]
            return JSONResponse({"id": "m1", "type": "message", "role": "assistant",
                                 "content": content, "stop_reason": "end_turn"})  # fmt: skip

        def event(kind: str, data: dict[str, Any]) -> bytes:
            return f"event: {kind}\r\ndata: {json.dumps({'type': kind, **data})}\r\n\r\n".encode()

        events = [event("message_start", {"message": {"id": "m1", "content": []}}),
                  event("content_block_start", {"index": 0, "content_block": {"type": "text"}})]
        events += [event("content_block_delta",
                         {"index": 0, "delta": {"type": "text_delta", "text": w}})
                   for w in _words(text)]  # fmt: skip
        events += [event("content_block_stop", {"index": 0}),
                   event("message_delta", {"delta": {"stop_reason": "end_turn"}}),
                   event("message_stop", {})]  # fmt: skip
        return StreamingResponse(stream(events, tenant == "globex"),
                                 media_type="text/event-stream")  # fmt: skip

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args()
    uvicorn.run(make_app(args.log), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False)  # fmt: skip


if __name__ == "__main__":
    main()
