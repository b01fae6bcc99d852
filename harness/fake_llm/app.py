"""The fake LLM as a raw ASGI application: the Messages API plus the control API."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from harness.fake_llm import models_api
from harness.fake_llm.asgi import (
    JSON,
    Headers,
    Receive,
    Request,
    Scope,
    Send,
    respond,
    respond_json,
)
from harness.fake_llm.behaviour import HEALTHY, BehaviourError, BehaviourState, Decision
from harness.fake_llm.errors import DEFAULT_MESSAGES, APIError
from harness.fake_llm.ids import IdSource
from harness.fake_llm.ledger import Ledger, RowTemplate, trace_id
from harness.fake_llm.memo import Prepared, ReplyMemo, split_around
from harness.fake_llm.messages import StreamPlan, message_json, parse_json, validate
from harness.fake_llm.model import Conversation, Model, Reply
from harness.fake_llm.pricing import ModelInfo, cost_usd
from harness.fake_llm.ratelimit import RateLimiter, exceeded_message
from harness.fake_llm.reply_faults import force_stop
from harness.fake_llm.sse import SSE_HEADERS, event
from harness.fake_llm.tokens import CachePlan, InputUsage, PromptCache, segments
from harness.fake_llm.validation import check_body, check_context, check_headers

MAX_BODY_BYTES = 32 * 1024 * 1024  # the real API's limit for /v1/messages
INJECTED_RETRY_AFTER_S = 1  # retry-after of a 429 injected by behaviour
MEMO_MAX = 64 * 1024  # token floods are not memoised: they would pin memory

log = logging.getLogger("harness.fake_llm")
_NO_USAGE = InputUsage(0)


class StreamCut(Exception):
    """Raised mid-response to make uvicorn drop the connection (no message_stop)."""


class _QuietStreamCut(logging.Filter):
    """uvicorn logs any exception escaping the app; a deliberate cut is not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], StreamCut))


logging.getLogger("uvicorn.error").addFilter(_QuietStreamCut())


@dataclass(slots=True)
class CallInfo:
    """What the ledger row of one call is made of, filled as the call proceeds."""

    request_id: str
    correlation_id: str | None
    trace_id: str | None
    tenant: str | None
    started: float
    model: str | None = None
    stream: bool = False
    status: int = 200
    error_type: str | None = None
    usage: InputUsage | None = None
    output_tokens: int = 0
    stop_reason: str | None = None
    tool_calls: int = 0
    upstream: bool = False
    info: ModelInfo | None = None
    limiter: RateLimiter | None = None  # the model's, once known
    estimate: int = 0  # output tokens taken at admission (max_tokens), settled in record()
    recorded: bool = False
    cost_usd: float | None = None  # precomputed (memoised replies); else from usage


class FakeLLMApp:
    """ASGI app. One instance = one fake region with its own behaviour, cache and ledger."""

    def __init__(
        self,
        *,
        region: str = "us",
        seed: int = 0,
        api_key: str | None = None,
        upstream: str | None = None,
        ledger_path: str | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        rate_limit_requests: int | None = None,
        rate_limit_tokens: int | None = None,
        rate_limit_output_tokens: int | None = None,
        behaviour: dict[str, Any] | None = None,
    ) -> None:
        self.region = region
        self.api_key = api_key
        self.max_body_bytes = max_body_bytes
        self.behaviour = BehaviourState(seed, behaviour)
        self.ids = IdSource(seed)
        self.model = Model(seed, self.ids)
        self.cache = PromptCache()
        self.ledger = Ledger(ledger_path)
        # Limits are per model, as in the API; `limiter` answers calls before a model is known.
        self._limits = (rate_limit_requests, rate_limit_tokens, rate_limit_output_tokens)
        self.limiter = self._new_limiter()
        self.limiters: dict[str, RateLimiter] = {}
        self.memo = ReplyMemo()
        self.upstream = None
        if upstream:
            from harness.fake_llm.passthrough import Upstream

            self.upstream = Upstream(upstream)

    # -- ASGI entry -----------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":
            return
        req = Request(scope, receive)
        path = req.path
        if path == "/v1/messages" and req.method == "POST":
            await self.messages(req, send)
        elif path == "/v1/messages/count_tokens" and req.method == "POST":
            await self.count_tokens(req, send)
        elif path.startswith("/v1/models") and req.method == "GET":
            await self.models(req, send)
        elif path.startswith("/_control/"):
            await self.control(req, send)
        else:
            err = APIError(404, f"Not found: {req.method} {path}")
            await respond(send, 404, err.body(), [JSON])

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        if self.upstream:
            await self.upstream.aclose()
        self.ledger.close()

    # -- control API ----------------------------------------------------------------------
    async def control(self, req: Request, send: Send) -> None:
        path, method = req.path, req.method
        if path == "/_control/health" and method == "GET":
            await respond(send, 200, b'{"status":"ok"}', [JSON])
        elif path == "/_control/behaviour" and method == "GET":
            await respond_json(send, 200, self.behaviour.snapshot())
        elif path == "/_control/behaviour" and method == "DELETE":
            self.behaviour.reset()
            await respond_json(send, 200, self.behaviour.snapshot())
        elif path == "/_control/behaviour" and method in ("PUT", "PATCH", "POST"):
            try:
                fields = json.loads(await req.body(1_000_000) or b"{}")
                if not isinstance(fields, dict):
                    raise BehaviourError("body must be a JSON object")
                self.behaviour.update(fields)
            except (ValueError, BehaviourError) as exc:
                await respond_json(
                    send, 400, {"error": {"type": "invalid_request", "message": str(exc)}}
                )
                return
            await respond_json(send, 200, self.behaviour.snapshot())
        elif path == "/_control/ledger" and method == "GET":
            await respond_json(send, 200, {"calls": self.ledger.rows()})
        elif path == "/_control/ledger" and method == "DELETE":
            self.ledger.clear()
            await respond_json(send, 200, {"calls": []})
        elif path == "/_control/cache" and method == "DELETE":
            self.cache.clear()
            await respond_json(send, 200, {"cleared": True})
        else:
            await respond_json(send, 404, {"error": {"type": "not_found", "message": path}})

    # -- Messages API ---------------------------------------------------------------------
    def _new_limiter(self) -> RateLimiter:
        requests, tokens, output = self._limits
        return RateLimiter(requests, tokens, output_tokens=output)

    def limiter_for(self, model_id: str) -> RateLimiter:
        limiter = self.limiters.get(model_id)
        if limiter is None:
            limiter = self.limiters[model_id] = self._new_limiter()
        return limiter

    def _headers(
        self, request_id: str, extra: Headers | None = None, limiter: RateLimiter | None = None
    ) -> Headers:
        limits = (limiter or self.limiter).headers()
        return [(b"request-id", request_id.encode()), *limits, *(extra or [])]

    def _authenticate(self, req: Request) -> None:
        """With --api-key, the caller must present it as x-api-key or as a bearer token
        (the SDK sends the latter)."""
        if self.api_key is None:
            return
        if req.header(b"x-api-key") == self.api_key:
            return
        if req.header(b"authorization") == f"Bearer {self.api_key}":
            return
        raise APIError(401, "invalid x-api-key")

    async def models(self, req: Request, send: Send) -> None:
        """`GET /v1/models` (paged) and `GET /v1/models/{id}` (models_api.py)."""
        request_id = self.ids.request()
        try:
            self._authenticate(req)
            check_headers(req.header(b"anthropic-version"), req.header(b"anthropic-beta"))
            rest = req.path[len("/v1/models") :]
            if rest in ("", "/"):
                payload = models_api.list_page(req.query)
            elif rest.startswith("/") and "/" not in rest[1:]:
                payload = models_api.retrieve(unquote(rest[1:]))
            else:
                raise APIError(404, f"Not found: GET {req.path}")
            await respond(
                send, 200, json.dumps(payload).encode(), [JSON, *self._headers(request_id)]
            )
        except APIError as err:
            await self._send_error(send, err, request_id)

    async def count_tokens(self, req: Request, send: Send) -> None:
        request_id = self.ids.request()
        try:
            self._authenticate(req)
            raw = await req.body(self.max_body_bytes)
            if self.upstream:
                status, body, headers = await self.upstream.count_tokens(req, raw)
                await respond(send, status, body, [JSON, *headers])
                return
            version = check_headers(req.header(b"anthropic-version"), req.header(b"anthropic-beta"))
            body = parse_json(raw)
            info = validate(body, need_max_tokens=False)
            check_body(body, raw, info, version, count_tokens=True, beta=b"beta=true" in req.query)
            total = sum(s.tokens for s in segments(body))
            check_context(total, info)
            payload = json.dumps({"input_tokens": total}).encode()
            await respond(send, 200, payload, [JSON, *self._headers(request_id)])
        except APIError as err:
            await self._send_error(send, err, request_id)

    async def messages(self, req: Request, send: Send) -> None:
        trace = trace_id(req.header(b"traceparent"))
        call = CallInfo(  # positional: this runs on every call
            self.ids.request(),
            req.header(b"x-correlation-id") or trace,
            trace,
            req.header(b"x-tenant-id"),
            time.perf_counter(),
        )
        try:
            if self.api_key is not None:
                self._authenticate(req)
            raw = await req.body(self.max_body_bytes)
            if self.upstream:
                call.upstream = True
                await self.upstream.relay(self, req, raw, call, send)
                return
            version = check_headers(req.header(b"anthropic-version"), req.header(b"anthropic-beta"))
            beta = b"beta=true" in req.query
            generation = self.behaviour.generation
            memo = self.memo.get(raw, generation)
            if memo is not None and memo.version != (version, beta):
                memo = None  # validated under another API version or endpoint
            drawn: Decision | None = None
            if memo is not None:
                drawn = self.behaviour.decide(stream=False, tools=memo.tools)
                if drawn is HEALTHY:
                    await self._serve_memo(memo, call, send)
                    return
                # A fault was drawn: the full path below applies this same decision.
            body = parse_json(raw)
            call.model = body.get("model") if isinstance(body.get("model"), str) else None
            call.stream = bool(body.get("stream"))
            call.info = validate(body)
            check_body(body, raw, call.info, version, beta=beta)
            conv = Conversation.from_body(body, call.info.id)
            decision = drawn or self.behaviour.decide(
                stream=call.stream, tools=bool(body.get("tools"))
            )
            self.raise_injected(decision)
            segs = segments(body)
            prompt_tokens = sum(s.tokens for s in segs)
            check_context(prompt_tokens, call.info)
            plan = self.cache.plan(call.info.id, segs, call.info.min_cacheable)
            usage = plan.usage
            limiter = call.limiter = self.limiter_for(call.info.id)
            # Cache reads do not count towards input tokens per minute; output is max_tokens
            # until the call ends.
            wait = limiter.admit(usage.input_tokens + usage.cache_creation, body["max_tokens"])
            if wait > 0:
                raise APIError(
                    429, exceeded_message(limiter, call.info.id), retry_after=math.ceil(wait)
                )
            call.estimate, call.usage = body["max_tokens"], usage
            behaviour = self.behaviour.current
            if body["max_tokens"] == 0:  # cache warming: the prompt is read, nothing generated
                reply = Reply([], "max_tokens", 0)
            else:
                reply = self.model.reply(conv, behaviour, decision)
            if decision.stop_override:
                reply = force_stop(reply, decision.stop_override)
            call.stop_reason, call.tool_calls = reply.stop_reason, reply.tool_calls
            call.output_tokens = reply.output_tokens
            msg_id = self.ids.message()
            if call.stream:
                await self._stream(
                    send, call, StreamPlan(msg_id, body["model"], reply, usage), decision, plan
                )
            else:
                if behaviour.ttft_ms:
                    await asyncio.sleep(behaviour.ttft_ms / 1000.0)
                self.cache.commit(plan)  # the response has begun: its prefix is cached now
                await self._delay(0.0, behaviour.token_ms, reply)
                payload = json.dumps(
                    message_json(msg_id, body["model"], reply, call.usage)
                ).encode()
                self.record(call)
                headers = self._headers(call.request_id, limiter=limiter)
                await respond(send, 200, payload, [JSON, *headers])
                if decision is HEALTHY and b"cache_control" not in raw and len(payload) < MEMO_MAX:
                    self._remember(
                        raw, generation, (version, beta), body, call, reply, msg_id, payload, segs
                    )
        except APIError as err:
            call.status, call.error_type = err.status, err.type
            call.output_tokens, call.usage = 0, None
            call.stop_reason, call.tool_calls = None, 0
            self.record(call)
            await self._send_error(send, err, call.request_id, call.limiter)
        finally:
            self.record(call)

    async def _serve_memo(self, memo: Prepared, call: CallInfo, send: Send) -> None:
        """Answer a repeated, fault-free request from its memoised reply. The ledger row is
        the memoised call's row with this call's ts, ids and latency (see `_remember`)."""
        call.model, call.info = memo.model, memo.info
        limiter = call.limiter = self.limiter_for(memo.info.id)
        wait = limiter.admit(memo.total_tokens, memo.max_tokens)
        if wait > 0:
            raise APIError(
                429, exceeded_message(limiter, memo.info.id), retry_after=math.ceil(wait)
            )
        limiter.settle(memo.max_tokens, memo.output_tokens)  # the reply is known already
        behaviour = self.behaviour.current
        if behaviour.ttft_ms or behaviour.token_ms:
            delay = behaviour.ttft_ms + behaviour.token_ms * memo.text_chunks
            if delay > 0:
                await asyncio.sleep(delay / 1000.0)
        payload = memo.render(self.ids)
        call.recorded = True
        self.ledger.append_templated(
            memo.row,
            time.time(),
            call.request_id,
            call.correlation_id,
            call.trace_id,
            call.tenant,
            (time.perf_counter() - call.started) * 1000.0,
        )
        headers = [JSON, (b"request-id", call.request_id.encode()), *limiter.headers()]
        await respond(send, 200, payload, headers)

    def _remember(
        self,
        raw: bytes,
        generation: int,
        version: tuple[str, bool],
        body: dict[str, Any],
        call: CallInfo,
        reply: Reply,
        msg_id: str,
        payload: bytes,
        segs: list[Any],
    ) -> None:
        if call.info is None or call.usage is None:
            return
        tool_ids = [b["id"] for b in reply.content if b["type"] == "tool_use"]
        prepared = Prepared(
            version=version,
            max_tokens=body["max_tokens"],
            model=body["model"],
            info=call.info,
            tools=bool(body.get("tools")),
            total_tokens=sum(s.tokens for s in segs),
            usage=call.usage,
            output_tokens=reply.output_tokens,
            stop_reason=reply.stop_reason,
            tool_calls=reply.tool_calls,
            text_chunks=reply.timed_chunks,
            cost_usd=self._cost(call),
            parts=split_around(payload, [msg_id, *tool_ids]),
            row=RowTemplate(self._row(call)),
        )
        self.memo.put(raw, generation, prepared)

    def raise_injected(self, decision: Decision) -> None:
        """Turn an injected error decision into the API error it stands for."""
        if decision.error_status is not None:
            retry = INJECTED_RETRY_AFTER_S if decision.error_status == 429 else None
            raise APIError(decision.error_status, retry_after=retry)

    async def _send_error(
        self, send: Send, err: APIError, request_id: str, limiter: RateLimiter | None = None
    ) -> None:
        extra: Headers = [JSON]
        if err.retry_after is not None:
            extra.append((b"retry-after", str(err.retry_after).encode()))
        headers = self._headers(request_id, extra, limiter)
        await respond(send, err.status, err.body(request_id), headers)

    async def _delay(self, ttft_ms: float, token_ms: float, reply: Reply) -> None:
        """Non-streaming replies take as long as their stream would (without blocking the loop)."""
        total = ttft_ms + token_ms * reply.timed_chunks
        if total > 0:
            await asyncio.sleep(total / 1000.0)

    async def _stream(
        self,
        send: Send,
        call: CallInfo,
        plan: StreamPlan,
        decision: Decision,
        cache_plan: CachePlan,
    ) -> None:
        behaviour = self.behaviour.current
        if behaviour.ttft_ms:
            await asyncio.sleep(behaviour.ttft_ms / 1000.0)
        self.cache.commit(cache_plan)  # the response begins: its prefix is cached from now
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*SSE_HEADERS, *self._headers(call.request_id, limiter=call.limiter)],
            }
        )
        events = plan.events
        stop_at = plan.midpoint() if (decision.stream_cut or decision.stream_error) else len(events)
        emitted = 0
        token_ms = behaviour.token_ms
        if token_ms:
            for data, tokens, is_text in events[:stop_at]:
                if is_text:
                    await asyncio.sleep(token_ms / 1000.0)
                await send({"type": "http.response.body", "body": data, "more_body": True})
                emitted += tokens
        else:
            emitted = sum(t for _, t, _ in events[:stop_at])
            body = b"".join(d for d, _, _ in events[:stop_at])
            await send({"type": "http.response.body", "body": body, "more_body": True})
        if decision.stream_cut:
            call.error_type, call.stop_reason, call.output_tokens = "stream_cut", None, emitted
            self.record(call)
            raise StreamCut(call.request_id)
        if decision.stream_error:
            kind = behaviour.stream_error_type
            call.error_type, call.stop_reason, call.output_tokens = kind, None, emitted
            message = DEFAULT_MESSAGES.get(kind, "Error")
            err = {"type": "error", "error": {"type": kind, "message": message}}
            self.record(call)
            await send(
                {"type": "http.response.body", "body": event("error", err), "more_body": False}
            )
            return
        self.record(call)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    def _cost(call: CallInfo) -> float:
        usage = call.usage or _NO_USAGE
        return cost_usd(
            call.info,
            input_tokens=usage.input_tokens,
            output_tokens=call.output_tokens,
            cache_write_5m=usage.cache_creation_5m,
            cache_write_1h=usage.cache_creation_1h,
            cache_read=usage.cache_read,
        )

    def record(self, call: CallInfo) -> None:
        """Write the call's ledger row, once. Called before the last byte of the response is
        sent, so a client holding its answer always finds the row."""
        if call.recorded:
            return
        call.recorded = True
        if call.estimate and call.limiter is not None:
            call.limiter.settle(call.estimate, call.output_tokens)
            call.estimate = 0
        self.ledger.append(self._row(call))

    def _row(self, call: CallInfo) -> dict[str, Any]:
        usage = call.usage or _NO_USAGE
        # Built literally, in the declared order (harness.records.LedgerRow, ledger.ROW_FIELDS).
        return {
            "ts": time.time(),
            "request_id": call.request_id,
            "correlation_id": call.correlation_id,
            "trace_id": call.trace_id,
            "tenant": call.tenant,
            "model": call.model,
            "region": self.region,
            "stream": call.stream,
            "status": call.status,
            "error_type": call.error_type,
            "input_tokens": usage.input_tokens,
            "output_tokens": call.output_tokens,
            "cache_creation_input_tokens": usage.cache_creation,
            "cache_read_input_tokens": usage.cache_read,
            "cost_usd": call.cost_usd if call.cost_usd is not None else self._cost(call),
            "latency_ms": (time.perf_counter() - call.started) * 1000.0,
            "stop_reason": call.stop_reason,
            "tool_calls": call.tool_calls,
            "upstream": call.upstream,
        }
