"""Passthrough: forward to a real Anthropic-compatible API with the caller's credentials,
apply the same faults in front, and write ledger rows from the upstream's own usage."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import httpx

from harness.fake_llm.asgi import JSON, Headers, Request, Send, respond
from harness.fake_llm.errors import APIError, error_type_for
from harness.fake_llm.messages import parse_json
from harness.fake_llm.pricing import resolve
from harness.fake_llm.sse import count_text_chunks, event
from harness.fake_llm.tokens import InputUsage

if TYPE_CHECKING:
    from harness.fake_llm.app import CallInfo, FakeLLMApp

FORWARDED = (b"x-api-key", b"authorization", b"anthropic-version", b"anthropic-beta")
RELAYED_PREFIXES = ("anthropic-ratelimit-", "retry-after", "x-should-retry", "request-id")


def _relayed(headers: httpx.Headers) -> Headers:
    return [
        (k.encode(), v.encode())
        for k, v in headers.items()
        if k.lower().startswith(RELAYED_PREFIXES)
    ]


def _usage(u: dict[str, Any]) -> InputUsage:
    cc = u.get("cache_creation") or {}
    creation = int(u.get("cache_creation_input_tokens") or 0)
    one_hour = int(cc.get("ephemeral_1h_input_tokens") or 0)
    return InputUsage(
        int(u.get("input_tokens") or 0),
        cache_creation_5m=max(0, creation - one_hour),
        cache_creation_1h=one_hour,
        cache_read=int(u.get("cache_read_input_tokens") or 0),
    )


def _error_type(status: int, body: bytes) -> str:
    try:
        return str(json.loads(body)["error"]["type"])
    except (ValueError, KeyError, TypeError):
        return error_type_for(status)


class Upstream:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.client = httpx.AsyncClient(
            base_url=self.url, timeout=httpx.Timeout(600.0, connect=10.0)
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def _forward_headers(self, req: Request) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        for name in FORWARDED:
            value = req.header(name)
            if value is not None:
                headers[name.decode()] = value
        return headers

    async def count_tokens(self, req: Request, raw: bytes) -> tuple[int, bytes, Headers]:
        resp = await self.client.post(
            "/v1/messages/count_tokens", content=raw, headers=self._forward_headers(req)
        )
        return resp.status_code, resp.content, _relayed(resp.headers)

    async def relay(
        self, app: FakeLLMApp, req: Request, raw: bytes, call: CallInfo, send: Send
    ) -> None:
        body = parse_json(raw)
        call.model = body.get("model") if isinstance(body.get("model"), str) else None
        call.stream = bool(body.get("stream"))
        call.info = resolve(call.model or "")
        decision = app.behaviour.decide(stream=call.stream, tools=bool(body.get("tools")))
        app.raise_injected(decision)
        behaviour = app.behaviour.current
        if behaviour.ttft_ms:
            await asyncio.sleep(behaviour.ttft_ms / 1000.0)
        headers = self._forward_headers(req)
        if not call.stream:
            try:
                resp = await self.client.post("/v1/messages", content=raw, headers=headers)
            except httpx.HTTPError as exc:
                raise APIError(502, f"upstream {self.url} failed: {exc!r}") from exc
            self._account_json(call, resp)
            if behaviour.token_ms and resp.status_code == 200:
                chunks = sum(
                    count_text_chunks(b.get("text", "")) for b in resp.json().get("content", [])
                )
                await asyncio.sleep(behaviour.token_ms * chunks / 1000.0)
            app.record(call)
            await respond(send, resp.status_code, resp.content, [JSON, *_relayed(resp.headers)])
            return
        request = self.client.build_request("POST", "/v1/messages", content=raw, headers=headers)
        try:
            resp = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise APIError(502, f"upstream {self.url} failed: {exc!r}") from exc
        try:
            if resp.status_code != 200:
                content = await resp.aread()
                call.request_id = resp.headers.get("request-id", call.request_id)
                call.status, call.error_type = (
                    resp.status_code,
                    _error_type(resp.status_code, content),
                )
                app.record(call)
                await respond(send, resp.status_code, content, [JSON, *_relayed(resp.headers)])
                return
            await self._relay_stream(app, call, resp, send, decision)
        finally:
            await resp.aclose()

    def _account_json(self, call: CallInfo, resp: httpx.Response) -> None:
        call.request_id = resp.headers.get("request-id", call.request_id)
        call.status = resp.status_code
        if resp.status_code != 200:
            call.error_type = _error_type(resp.status_code, resp.content)
            return
        data = resp.json()
        call.usage = _usage(data.get("usage") or {})
        call.output_tokens = int((data.get("usage") or {}).get("output_tokens") or 0)
        call.stop_reason = data.get("stop_reason")
        call.tool_calls = sum(1 for b in data.get("content", []) if b.get("type") == "tool_use")

    async def _relay_stream(
        self, app: FakeLLMApp, call: CallInfo, resp: httpx.Response, send: Send, decision: Any
    ) -> None:
        from harness.fake_llm.app import StreamCut

        call.request_id = resp.headers.get("request-id", call.request_id)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                    *_relayed(resp.headers),
                ],
            }
        )
        token_ms = app.behaviour.current.token_ms
        buffer = b""
        deltas = 0
        async for chunk in resp.aiter_bytes():
            buffer += chunk.replace(b"\r\n", b"\n")
            while b"\n\n" in buffer:
                raw_event, buffer = buffer.split(b"\n\n", 1)
                name, _data = self._account_event(call, raw_event)
                if name == "content_block_delta":
                    if token_ms:
                        await asyncio.sleep(token_ms / 1000.0)
                    deltas += 1
                if name in ("message_stop", "error"):
                    app.record(call)
                await send(
                    {"type": "http.response.body", "body": raw_event + b"\n\n", "more_body": True}
                )
                # Faults break the stream right after the first delta: mid-stream by construction.
                if deltas == 1 and name == "content_block_delta":
                    if decision.stream_cut:
                        call.error_type, call.stop_reason = "stream_cut", None
                        app.record(call)
                        raise StreamCut(call.request_id)
                    if decision.stream_error:
                        call.error_type, call.stop_reason = "overloaded_error", None
                        err = {
                            "type": "error",
                            "error": {"type": "overloaded_error", "message": "Overloaded"},
                        }
                        app.record(call)
                        await send(
                            {
                                "type": "http.response.body",
                                "body": event("error", err),
                                "more_body": False,
                            }
                        )
                        return
        app.record(call)
        await send({"type": "http.response.body", "body": buffer, "more_body": False})

    def _account_event(self, call: CallInfo, raw_event: bytes) -> tuple[str, dict[str, Any]]:
        name, data = "", {}
        for line in raw_event.split(b"\n"):
            if line.startswith(b"event:"):
                name = line[6:].strip().decode()
            elif line.startswith(b"data:"):
                try:
                    data = json.loads(line[5:])
                except ValueError:
                    data = {}
        if name == "message_start":
            usage = (data.get("message") or {}).get("usage") or {}
            call.usage = _usage(usage)
            call.output_tokens = int(usage.get("output_tokens") or 0)
        elif name == "content_block_start":
            if (data.get("content_block") or {}).get("type") == "tool_use":
                call.tool_calls += 1
        elif name == "message_delta":
            usage = data.get("usage") or {}
            call.output_tokens = int(usage.get("output_tokens") or call.output_tokens)
            if usage.get("input_tokens") is not None and call.usage is not None:
                merged = {
                    **_as_dict(call.usage),
                    **{k: v for k, v in usage.items() if v is not None},
                }
                call.usage = _usage(merged)
            call.stop_reason = (data.get("delta") or {}).get("stop_reason")
        elif name == "error":
            call.error_type = (data.get("error") or {}).get("type", "api_error")
        return name, data


def _as_dict(usage: InputUsage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": usage.cache_creation,
        "cache_read_input_tokens": usage.cache_read,
        "cache_creation": {"ephemeral_1h_input_tokens": usage.cache_creation_1h},
    }
