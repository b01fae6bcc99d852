"""What every agent of the suite shares: its command line, its HTTP contract, how it serves.

Not part of the harness: these agents are written the way a user's agent would be, and the
harness only starts them and speaks HTTP to them.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

MODEL = os.environ.get("AGENT_MODEL", "claude-sonnet-4-6")
MAX_TURNS = 6  # tool round trips per request before the agent gives up
SYSTEM = ("You are a travel assistant. Use the tools to look up flights, weather and "
          "customers; answer briefly from what they return.")


class ChatIn(BaseModel):
    message: str
    session_id: str | None = None


class ChatOut(BaseModel):
    reply: str
    tools: list[str] = []  # the tools this request called, in order


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--retries", type=int, default=5,
                        help="retries of a failed LLM (or upstream) call; 0 = none")
    return parser.parse_args()


def new_app(title: str) -> FastAPI:
    app = FastAPI(title=title)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def require_key(x_api_key: str | None = Header(default=None)) -> str:
    """The default contract: every request carries its tenant's key in `x-api-key`."""
    if not x_api_key:
        raise HTTPException(status_code=401, detail="missing x-api-key")
    return x_api_key


def upstream_failed(exc: Exception) -> HTTPException:
    """An LLM or dependency call that failed for good: the user gets a 503 naming it."""
    return HTTPException(status_code=503, detail=f"{type(exc).__name__}: {exc}"[:300])


RunToolUses = Callable[[list[Any]], Awaitable[Sequence[dict[str, Any]]]]
"""Runs one turn's `tool_use` blocks, returning their `tool_result` blocks in order."""


async def answer_with_tools(client: Any, message: str, tools: list[dict[str, Any]],
                            run_uses: RunToolUses) -> ChatOut:
    """The async agents' tool loop on the Messages API: ask; while the model asks for tools,
    run them with `run_uses` and send the results back; answer with its text, or give up
    after MAX_TURNS round trips."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": message}]
    called: list[str] = []
    for _ in range(MAX_TURNS):
        reply = await client.messages.create(model=MODEL, max_tokens=1024, system=SYSTEM,
                                             tools=tools, messages=messages)
        messages.append({"role": "assistant", "content": reply.content})
        uses = [block for block in reply.content if block.type == "tool_use"]
        if reply.stop_reason != "tool_use" or not uses:
            text = "".join(block.text for block in reply.content if block.type == "text")
            return ChatOut(reply=text, tools=called)
        called.extend(use.name for use in uses)
        messages.append({"role": "user", "content": list(await run_uses(uses))})
    return ChatOut(reply="I could not finish that within my tool budget.", tools=called)


def serve(app: FastAPI, args: argparse.Namespace) -> None:
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
