"""A travel agent whose tool is an HTTP call to a CRM (crm_server.py).

The CRM's base URL comes from HARNESS_UPSTREAM_CRM_URL (the harness sets it to the CRM
behind its proxy, so network faults with `target: crm` reach this agent's calls). A failed
CRM call (connection refused or reset, timeout, 5xx) is retried --retries times with
exponential backoff, as are LLM calls (the client's max_retries); when the CRM stays out of
reach the request fails with 503. POST /v1/chat {message, session_id} with x-api-key ->
{reply, tools}.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import anthropic
import httpx
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

CRM_TIMEOUT_S = 5.0
BACKOFF_S, BACKOFF_MAX_S = 0.25, 4.0  # 5 retries wait 7.75 s in all

TOOLS: list[dict[str, Any]] = [
    {"name": "search_customers",
     "description": "Search the CRM for customers (name, home city, tier) and their trips.",
     "input_schema": {"type": "object", "properties": {
         "query": {"type": "string", "description": "words to look for"}},
         "required": ["query"]}},
]


class CRMUnavailable(Exception):
    """The CRM did not answer after every retry."""


args = parse_args(__doc__ or "")
client = anthropic.AsyncAnthropic(max_retries=args.retries)
crm = httpx.AsyncClient(base_url=os.environ.get("HARNESS_UPSTREAM_CRM_URL",
                                                "http://127.0.0.1:9100"),
                        timeout=CRM_TIMEOUT_S)
app = new_app("travel agent with an HTTP CRM")


async def search_customers(query: str) -> str:
    last: Exception | None = None
    for attempt in range(args.retries + 1):
        if attempt:
            await asyncio.sleep(min(BACKOFF_S * 2 ** (attempt - 1), BACKOFF_MAX_S))
        try:
            response = await crm.get("/customers", params={"q": query})
            if response.status_code < 500:
                response.raise_for_status()
                return json.dumps(response.json())
            last = httpx.HTTPStatusError(f"CRM answered {response.status_code}",
                                         request=response.request, response=response)
        except httpx.TransportError as exc:
            last = exc
    raise CRMUnavailable(f"CRM unreachable after {args.retries + 1} attempts: {last!r}")


async def call_tools(uses: list[anthropic.types.ToolUseBlock]) -> list[dict[str, Any]]:
    """A turn's tool calls one after the other (each may wait out a CRM outage)."""
    results = []
    for use in uses:
        if use.name == "search_customers":
            content = await search_customers(str(dict(use.input).get("query", "")))
            results.append({"type": "tool_result", "tool_use_id": use.id, "content": content})
        else:
            results.append({"type": "tool_result", "tool_use_id": use.id,
                            "content": f"unknown tool {use.name!r}", "is_error": True})
    return results


@app.post("/v1/chat")
async def chat(body: ChatIn, _key: str = Depends(require_key)) -> ChatOut:
    try:
        return await answer_with_tools(client, body.message, TOOLS, call_tools)
    except (anthropic.APIError, CRMUnavailable) as exc:
        raise upstream_failed(exc) from exc


if __name__ == "__main__":
    serve(app, args)
