"""The LLM gateway: anthropic clients per region endpoint, wrapped in the resilience patterns.

Metrics and correlation ids ride on httpx2 event hooks of the SDK's HTTP client, so every HTTP
attempt is seen, the SDK's own internal retries (naive profile) included.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anthropic
import httpx2

from reference_agent.chat import Chat, current_chat
from reference_agent.config import AgentConfig
from reference_agent.metrics import AgentMetrics
from reference_agent.patterns.breaker import CircuitBreaker, State
from reference_agent.patterns.region import Endpoint, endpoints_for
from reference_agent.patterns.retry import Backoff, TruncatedReply, is_retryable, retry_after_s
from reference_agent.pricing import cost_usd
from reference_agent.telemetry import tracer

log = logging.getLogger("reference_agent.llm")

DEFAULT_API_KEY = "sk-ant-fake-key"  # the fake LLM accepts any key


class LLMUnavailable(Exception):
    """Every allowed endpoint, retry and fallback failed; `kind` says how."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind  # overloaded | timeout | connection | circuit_open | error | truncated
        self.status = status


class LLMRejected(Exception):
    """A non-retryable error from the API (bad request, auth): retrying cannot help."""


def _classify(exc: BaseException) -> tuple[str, int | None]:
    if isinstance(exc, anthropic.APITimeoutError):
        return "timeout", None
    if isinstance(exc, anthropic.APIStatusError):
        return ("overloaded" if exc.status_code in (429, 529) else "error"), exc.status_code
    if isinstance(exc, TruncatedReply):
        return "truncated", None
    return "connection", None


class LLMGateway:
    def __init__(
        self,
        cfg: AgentConfig,
        metrics: AgentMetrics,
        us_url: str | None,
        eu_url: str | None,
        api_key: str | None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        backoff: Backoff | None = None,
    ) -> None:
        self.cfg = cfg
        self.metrics = metrics
        self._sleep = sleep
        self._clock = clock
        self.backoff = backoff or Backoff(cfg.backoff_base_ms, cfg.backoff_max_ms)
        self.us = Endpoint("us", us_url)
        self.eu = Endpoint("eu", eu_url) if eu_url else None
        self._clients: dict[str, anthropic.AsyncAnthropic] = {}
        self.breakers: dict[str, CircuitBreaker] = {}
        for ep in filter(None, (self.us, self.eu)):
            self._clients[ep.name] = self._make_client(ep, api_key)
            self.breakers[ep.name] = CircuitBreaker(
                cfg.breaker_threshold, cfg.breaker_reset_s, clock=clock,
                on_change=lambda s, n=ep.name: metrics.circuit_state.labels(n).set(int(s)))
            metrics.circuit_state.labels(ep.name).set(int(State.CLOSED))

    # --- client construction -------------------------------------------------------------
    def _make_client(self, ep: Endpoint, api_key: str | None) -> anthropic.AsyncAnthropic:
        cfg = self.cfg
        timeout = (
            httpx2.Timeout(cfg.llm_timeout_s, connect=min(5.0, cfg.llm_timeout_s))
            if cfg.timeouts else anthropic.DEFAULT_TIMEOUT
        )
        http_client = anthropic.DefaultAsyncHttpxClient(
            timeout=timeout,
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
        )
        return anthropic.AsyncAnthropic(
            api_key=api_key or DEFAULT_API_KEY,
            base_url=ep.base_url,
            # naive: the SDK's own retry schedule; hardened: our loop, so the SDK must not retry.
            max_retries=0 if cfg.retries else cfg.max_retries,
            timeout=timeout,
            http_client=http_client,
        )

    async def _on_request(self, request: httpx2.Request) -> None:
        chat = current_chat.get()
        if chat is None:
            return
        chat.llm_calls += 1
        request.headers["x-correlation-id"] = chat.request_id
        request.headers["x-tenant-id"] = chat.tenant

    async def _on_response(self, response: httpx2.Response) -> None:
        chat = current_chat.get()
        model = chat.model if chat and chat.model else "unknown"
        self.metrics.llm_calls.labels(model, str(response.status_code)).inc()

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.close()

    # --- calls -----------------------------------------------------------------------------
    def endpoints(self, region: str) -> list[Endpoint]:
        return endpoints_for(region, self.us, self.eu, pinned=self.cfg.region_pinning)

    async def create(self, chat: Chat, model: str, **params: Any) -> anthropic.types.Message:
        """One model turn, across endpoints (region policy) and models (fallback policy)."""
        models = [model]
        if self.cfg.fallback_model and self.cfg.fallback_model_name != model:
            models.append(self.cfg.fallback_model_name)
        last: LLMUnavailable | None = None
        for ep in self.endpoints(chat.region):
            for m in models:
                try:
                    return await self._call(ep, m, chat, params)
                except LLMUnavailable as exc:
                    last = exc
                    if exc.kind == "circuit_open":
                        break  # this endpoint is down for every model
        assert last is not None
        raise last

    async def _call(
        self, ep: Endpoint, model: str, chat: Chat, params: dict[str, Any]
    ) -> anthropic.types.Message:
        cfg = self.cfg
        breaker = self.breakers[ep.name] if cfg.circuit_breaker else None
        attempts = cfg.max_retries + 1 if cfg.retries else 1
        exc: BaseException | None = None
        for attempt in range(attempts):
            if breaker is not None and not breaker.allow():
                raise LLMUnavailable("circuit_open", f"circuit open for endpoint {ep.name}")
            try:
                msg = await self._once(ep, model, chat, params)
            except (anthropic.APIError, httpx2.TransportError, TruncatedReply) as err:
                exc = err
                if not is_retryable(err):
                    raise LLMRejected(str(err)) from err
                if breaker is not None:
                    breaker.record_failure()
                if attempt + 1 >= attempts:
                    break
                headers = getattr(getattr(err, "response", None), "headers", None)
                delay = self.backoff.delay_s(attempt, retry_after_s(headers))
                remaining = chat.remaining_s()
                if remaining is not None and delay >= remaining:
                    break  # the wait would outlive the chat's deadline
                log.info("llm retry", extra={"attempt": attempt + 1, "delay_s": round(delay, 3),
                                             "endpoint": ep.name, "error": type(err).__name__})
                await self._sleep(delay)
                continue
            if breaker is not None:
                breaker.record_success()
            return msg
        kind, status = _classify(exc) if exc else ("error", None)
        raise LLMUnavailable(kind, f"LLM {ep.name}/{model}: {exc}", status)

    async def _once(
        self, ep: Endpoint, model: str, chat: Chat, params: dict[str, Any]
    ) -> anthropic.types.Message:
        client = self._clients[ep.name]
        chat.model = model
        if ep.name not in chat.endpoints_used:
            chat.endpoints_used.append(ep.name)
        kwargs: dict[str, Any] = dict(params, model=model)
        if self.cfg.timeouts:
            remaining = chat.remaining_s()
            limit = self.cfg.llm_timeout_s if remaining is None else min(
                self.cfg.llm_timeout_s, max(remaining, 0.01))
            kwargs["timeout"] = limit
        with tracer().start_as_current_span("llm.call") as span:
            span.set_attribute("llm.model", model)
            span.set_attribute("llm.endpoint", ep.name)
            try:
                if self.cfg.stream:
                    async with client.messages.stream(**kwargs) as stream:
                        msg = await stream.get_final_message()
                    if msg.stop_reason is None:
                        raise TruncatedReply("stream ended before message_stop")
                else:
                    msg = await client.messages.create(**kwargs)
            except (anthropic.APIConnectionError, httpx2.TransportError):
                # No HTTP response, so the response hook did not count it.
                self.metrics.llm_calls.labels(model, "0").inc()
                raise
        self._account(chat, model, msg.usage)
        return msg

    def _account(self, chat: Chat, model: str, usage: Any) -> None:
        inp = usage.input_tokens or 0
        out = usage.output_tokens or 0
        cw = getattr(usage, "cache_creation_input_tokens", None) or 0
        cr = getattr(usage, "cache_read_input_tokens", None) or 0
        tokens = self.metrics.llm_tokens
        tokens.labels(model, "input").inc(inp)
        tokens.labels(model, "output").inc(out)
        tokens.labels(model, "cache_creation").inc(cw)
        tokens.labels(model, "cache_read").inc(cr)
        cost = cost_usd(model, inp, out, cw, cr)
        chat.cost_usd += cost
        chat.tokens += inp + out + cw + cr
        chat.budget.spend(inp + out + cw + cr)
        self.metrics.cost.labels(chat.tenant).inc(cost)
