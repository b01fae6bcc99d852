"""FastAPI app factory: `POST /v1/chat`, `/healthz`, `/readyz`, `/metrics`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from reference_agent import logs
from reference_agent.chat import Chat, current_chat
from reference_agent.config import AgentConfig
from reference_agent.llm import LLMGateway, LLMRejected, LLMUnavailable
from reference_agent.loop import ChatLoop
from reference_agent.metrics import AgentMetrics
from reference_agent.patterns.budget import RequestBudget, TenantBudget
from reference_agent.patterns.degrade import degraded_reply
from reference_agent.patterns.ratelimit import TenantRateLimiter
from reference_agent.telemetry import tracer
from reference_agent.tenants import TENANTS, tenant_for_key
from reference_agent.tools_client import ToolCallFailed, ToolsClient

log = logging.getLogger("reference_agent.app")


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": {"type": kind, "message": message}}, status, headers=headers)


class _Agent:
    """Everything one app instance owns; built in the lifespan, closed on shutdown."""

    def __init__(self, cfg: AgentConfig, llm_url: str | None, llm_eu_url: str | None,
                 tools_url: str | None, api_key: str | None,
                 rng: Callable[[], float]) -> None:
        self.cfg = cfg
        self.metrics = AgentMetrics()
        self.gateway = LLMGateway(cfg, self.metrics, llm_url, llm_eu_url, api_key)
        self.tools = ToolsClient(tools_url, cfg.tool_timeout_s if cfg.timeouts else 600.0) \
            if tools_url else None
        self.loop = ChatLoop(cfg, self.metrics, self.gateway, self.tools,
                             TenantBudget(cfg.tenant_token_budget))
        self.limiter = TenantRateLimiter(cfg.quotas())
        # The deployment's capacity, shared by every tenant: what a noisy neighbour exhausts.
        self.slots = (asyncio.Semaphore(cfg.max_concurrent_chats)
                      if cfg.max_concurrent_chats else contextlib.nullcontext())
        self.rng = rng

    async def aclose(self) -> None:
        await self.gateway.aclose()
        if self.tools is not None:
            await self.tools.aclose()


def create_app(
    cfg: AgentConfig,
    *,
    llm_url: str | None = None,
    llm_eu_url: str | None = None,
    tools_url: str | None = None,
    api_key: str | None = None,
    rng: Callable[[], float] = random.random,
) -> FastAPI:
    """The agent as an ASGI app. `llm_url` None = ANTHROPIC_BASE_URL / the SDK default."""
    agent = _Agent(cfg, llm_url, llm_eu_url, tools_url, api_key, rng)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await agent.aclose()

    app = FastAPI(title="reference agent", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.agent = agent

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "profile": cfg.profile}

    @app.get("/readyz")
    async def readyz() -> Response:
        checks: dict[str, Any] = {"llm_circuits": {
            name: b.state.name.lower() for name, b in agent.gateway.breakers.items()}}
        ok = True
        if agent.tools is not None:
            try:
                async with asyncio.timeout(5):
                    await agent.tools.list_tools()
                checks["tools"] = "ok"
            except (ToolCallFailed, OSError, TimeoutError, RuntimeError) as exc:
                checks["tools"] = f"unavailable: {exc}"
                ok = False
        return JSONResponse({"ready": ok, "checks": checks}, 200 if ok else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(agent.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/v1/chat")
    async def chat(request: Request) -> Response:
        start = time.perf_counter()
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        logs.correlation_id.set(request_id)
        tenant = tenant_for_key(request.headers.get("x-api-key"))
        tenant_name = tenant.name if tenant else "unknown"
        logs.tenant_id.set(tenant.name if tenant else None)
        with tracer().start_as_current_span("chat") as span:
            span.set_attribute("request_id", request_id)
            span.set_attribute("tenant", tenant_name)
            response = await _handle(request, request_id, tenant_name)
        response.headers["x-request-id"] = request_id
        elapsed = time.perf_counter() - start
        agent.metrics.requests.labels(tenant_name, str(response.status_code)).inc()
        agent.metrics.request_duration.observe(elapsed)
        log.info("chat", extra={"status": response.status_code,
                                "latency_ms": round(elapsed * 1000, 2),
                                "llm_calls": response.headers.get("x-llm-calls"),
                                "degraded": response.headers.get("x-degraded")})
        return response

    async def _handle(request: Request, request_id: str, tenant_name: str) -> Response:
        if tenant_name == "unknown":
            return _error(401, "authentication_error", "unknown or missing x-api-key")
        size_limit = cfg.max_message_chars * 4 + 4096  # JSON escaping can grow a message 4x
        if int(request.headers.get("content-length") or 0) > size_limit:
            return _error(413, "request_too_large",
                          f"message longer than {cfg.max_message_chars} characters")
        message, problem = _parse_body(await request.body())
        if problem:
            return _error(422, "invalid_request_error", problem)
        assert message is not None
        if len(message) > cfg.max_message_chars:
            return _error(413, "request_too_large",
                          f"message has {len(message)} characters; the limit is "
                          f"{cfg.max_message_chars}")
        if cfg.rate_limit:
            allowed, wait_s = agent.limiter.acquire(tenant_name)
            if not allowed:
                agent.metrics.budget_blocks.labels(tenant_name, "rate_limit").inc()
                quota = agent.limiter.quota(tenant_name)
                return _error(429, "rate_limit_error",
                              f"tenant {tenant_name} is over its quota of "
                              f"{quota.rate_per_s:g} chats/s (burst {quota.burst})",
                              {"retry-after": str(max(1, math.ceil(wait_s)))})
        if cfg.fail_rate and agent.rng() < cfg.fail_rate:
            return _error(500, "internal_error", "bad deploy: this build fails some chats")
        chat = Chat(
            request_id=request_id, tenant=tenant_name, region=TENANTS[tenant_name].region,
            budget=RequestBudget(cfg.request_token_budget if cfg.request_budget else None),
            deadline=time.monotonic() + cfg.request_timeout_s if cfg.timeouts else None,
        )
        current_chat.set(chat)
        reply, degraded, failure = "", False, None
        try:
            async with asyncio.timeout(cfg.request_timeout_s if cfg.timeouts else None):
                async with agent.slots:  # waiting for a slot counts against the deadline
                    result = await agent.loop.run(chat, message)
            reply, degraded = result.reply, result.degraded
        except TimeoutError:
            failure = ("deadline", 504, "timeout_error", "the chat exceeded its deadline")
        except LLMUnavailable as exc:
            region_down = chat.region == "eu" and cfg.region_pinning and agent.gateway.eu
            reason = "region_unavailable" if region_down else "llm_unavailable"
            status = 504 if exc.kind == "timeout" else 503 if exc.kind in (
                "overloaded", "circuit_open") else 502
            failure = (reason, status, f"llm_{exc.kind}", str(exc))
        except LLMRejected as exc:
            failure = ("llm_unavailable", 502, "llm_error", str(exc))
        except ToolCallFailed as exc:
            failure = ("tool_unavailable", 502, "tool_error", str(exc))
        if failure is not None:
            reason, status, kind, text = failure
            if not cfg.degrade or kind == "tool_error":
                log.warning("chat failed", extra={"error_type": kind, "error": text})
                return _error(status, kind, text, _chat_headers(chat, False))
            agent.metrics.degraded.labels(reason).inc()
            reply, degraded = degraded_reply(reason), True
            log.warning("chat degraded", extra={"reason": reason, "error": text})
        return JSONResponse({"reply": reply, "request_id": request_id},
                            headers=_chat_headers(chat, degraded))

    return app


def _chat_headers(chat: Chat, degraded: bool) -> dict[str, str]:
    return {
        "x-llm-calls": str(chat.llm_calls),
        "x-cost-usd": f"{chat.cost_usd:.6f}",
        "x-degraded": "true" if degraded else "false",
        "x-model": chat.model or "",
    }


def _parse_body(raw: bytes) -> tuple[str | None, str | None]:
    """(message, problem): a clear sentence for every way the body can be wrong."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        return None, f"body is not valid JSON: {exc}"
    if not isinstance(body, dict):
        return None, "body must be a JSON object {\"message\": str, \"session_id\": str | null}"
    unknown = sorted(set(body) - {"message", "session_id"})
    if unknown:
        return None, f"unknown field(s) {unknown}; allowed: message, session_id"
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        return None, "field 'message' is required and must be a non-empty string"
    session = body.get("session_id")
    if session is not None and not isinstance(session, str):
        return None, "field 'session_id' must be a string or null"
    return message, None
