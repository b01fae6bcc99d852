"""A tiny agent of "your own" for the target tests: FastAPI + the anthropic SDK.

    python correlated_agent.py --port P --mode MODE --client sync|async [--leak]

- `agentkit`: harness.agentkit's middleware and httpx hooks forward the request's id;
  `otel`: OpenTelemetry's ASGI middleware picks up the incoming `traceparent` and the anthropic
  SDK's own OpenTelemetry propagation (SDK 2.x: it runs on httpx2) forwards it;
  `otel-httpx`: the same middleware, and the LLM called with plain `httpx`, instrumented by
  opentelemetry-instrumentation-httpx; `otel-httpx-sdk`: that instrumentation with the SDK
  (its own propagation off), to show it does not reach the SDK's httpx2 client;
  `none`: nothing is forwarded (the ledger cannot be joined: the tests must see that).
- `sync`: a plain `def` endpoint (run in a worker thread) makes one call with `Anthropic`;
  `async`: an `async def` endpoint makes two calls at once with `AsyncAnthropic`.
- `--leak`: a deliberate bug: tenant beta's replies quote tenant alpha's canary.
- With HARNESS_UPSTREAM_CRM_URL set, each chat first GETs /customer from that upstream.
"""

from __future__ import annotations

import argparse
import asyncio
import os

import anthropic
import httpx
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request

from harness.agentkit import CorrelationMiddleware, async_event_hooks, event_hooks

TENANTS = {"k-alpha": "alpha", "k-beta": "beta"}
CANARIES = {"alpha": "CANARY-alpha-5eed0a1f", "beta": "CANARY-beta-0b5e55ed"}
MODEL = "claude-haiku-4-5"


def build(mode: str, client_kind: str, leak: bool) -> FastAPI:
    app = FastAPI()
    hooks = mode == "agentkit"
    if mode.startswith("otel"):
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider

        trace.set_tracer_provider(TracerProvider())
    if mode.startswith("otel-httpx"):
        os.environ["ANTHROPIC_OPEN_TELEMETRY_PROPAGATION"] = "false"  # the instrumentation's job
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument()
    # The SDK's own httpx client class (httpx2 in SDK 2.x), with the hooks.
    llm = anthropic.Anthropic(max_retries=0, http_client=anthropic.DefaultHttpxClient(
        event_hooks=event_hooks() if hooks else {}))
    allm = anthropic.AsyncAnthropic(max_retries=0, http_client=anthropic.DefaultAsyncHttpxClient(
        event_hooks=async_event_hooks() if hooks else {}))
    sync_http = httpx.Client(event_hooks=event_hooks() if hooks else {}, timeout=30)
    async_http = httpx.AsyncClient(event_hooks=async_event_hooks() if hooks else {}, timeout=30)
    crm = os.environ.get("HARNESS_UPSTREAM_CRM_URL")
    base = os.environ["ANTHROPIC_BASE_URL"].rstrip("/")
    raw_headers = {"x-api-key": os.environ.get("ANTHROPIC_API_KEY", "k"),
                   "anthropic-version": "2023-06-01"}

    def create(message: str) -> list[str]:
        if mode == "otel-httpx":  # a plain httpx call, as an agent without the SDK makes it
            answer = sync_http.post(f"{base}/v1/messages", json=ask(message), headers=raw_headers)
            return [b["text"] for b in answer.json()["content"] if b["type"] == "text"]
        reply_ = llm.messages.create(**ask(message))
        return [b.text for b in reply_.content if b.type == "text"]

    async def acreate(message: str) -> list[str]:
        if mode == "otel-httpx":
            answer = await async_http.post(f"{base}/v1/messages", json=ask(message),
                                           headers=raw_headers)
            return [b["text"] for b in answer.json()["content"] if b["type"] == "text"]
        reply_ = await allm.messages.create(**ask(message))
        return [b.text for b in reply_.content if b.type == "text"]

    def tenant_of(key: str | None) -> str:
        if key not in TENANTS:
            raise HTTPException(401, "unknown key")
        return TENANTS[key]

    def reply(tenant: str, texts: list[str], customer: str) -> dict:
        text = " / ".join(texts) + f" (customer: {customer}; your ref {CANARIES[tenant]})"
        if leak and tenant == "beta":
            text += f" see also {CANARIES['alpha']}"
        return {"reply": text}

    def ask(message: str) -> dict:
        return {"model": MODEL, "max_tokens": 64,
                "messages": [{"role": "user", "content": message}]}

    if client_kind == "sync":
        @app.post("/v1/chat")
        def chat_sync(body: dict, x_api_key: str | None = Header(default=None)) -> dict:
            tenant = tenant_of(x_api_key)
            customer = sync_http.get(f"{crm}/customer").text if crm else "-"
            return reply(tenant, create(str(body.get("message"))), customer)
    else:
        @app.post("/v1/chat")
        async def chat_async(body: dict, x_api_key: str | None = Header(default=None)) -> dict:
            tenant = tenant_of(x_api_key)
            customer = (await async_http.get(f"{crm}/customer")).text if crm else "-"
            answers = await asyncio.gather(*(acreate(str(body.get("message"))) for _ in range(2)))
            return reply(tenant, [t for texts in answers for t in texts], customer)

    @app.get("/healthz")
    def healthz(request: Request) -> dict:
        return {"ok": True}

    if mode == "agentkit":
        return CorrelationMiddleware(app)  # type: ignore[return-value]
    if mode.startswith("otel"):
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        return OpenTelemetryMiddleware(app)  # type: ignore[return-value]
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", default="agentkit",
                        choices=("agentkit", "otel", "otel-httpx", "otel-httpx-sdk", "none"))
    parser.add_argument("--client", choices=("sync", "async"), default="async")
    parser.add_argument("--leak", action="store_true")
    args = parser.parse_args()
    uvicorn.run(build(args.mode, args.client, args.leak), host="127.0.0.1", port=args.port,
                log_level="warning")


if __name__ == "__main__":
    main()
