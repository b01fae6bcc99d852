"""MCP client to the tool server, one persistent session shared by all chats.

Per-call identity travels as HTTP headers (`x-correlation-id`, and `x-tenant-id` when the
tenant is scoped out of band). The MCP transport sends from its own task, so a contextvar would
not reach it; instead each call carries the values in its JSON-RPC `_meta`, and an httpx2
request hook copies them into headers of the very POST that carries the call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import CONNECTION_CLOSED

from reference_agent.telemetry import tracer

log = logging.getLogger("reference_agent.tools_client")

META_CORRELATION = "reference-agent/correlation-id"
META_TENANT = "reference-agent/tenant-id"
_META_HEADERS = {META_CORRELATION: "x-correlation-id", META_TENANT: "x-tenant-id"}


@dataclass(frozen=True)
class ToolOutcome:
    text: str
    is_error: bool
    latency_ms: float


class ToolCallFailed(Exception):
    """The tool server could not be reached or did not answer in time."""


async def _meta_to_headers(request: httpx2.Request) -> None:
    if request.method != "POST" or b"_meta" not in request.content:
        return
    try:
        message = json.loads(request.content)
    except ValueError:
        return
    meta = (message.get("params") or {}).get("_meta") or {} if isinstance(message, dict) else {}
    for key, header in _META_HEADERS.items():
        if isinstance(meta.get(key), str):
            request.headers[header] = meta[key]


class ToolsClient:
    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/") + ("" if url.rstrip("/").endswith("/mcp") else "/mcp")
        self.timeout_s = timeout_s
        self._client: Client | None = None
        self._runner: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._lock = asyncio.Lock()
        self._tools: list[dict[str, Any]] | None = None

    async def _run_session(self, ready: asyncio.Future[Client], stop: asyncio.Event) -> None:
        # anyio task groups inside the MCP transport must be entered and exited by one task,
        # so one long-lived task owns the session while chats call it from their own tasks.
        try:
            async with httpx2.AsyncClient(
                timeout=httpx2.Timeout(self.timeout_s, connect=5.0),
                event_hooks={"request": [_meta_to_headers]},
            ) as http, Client(streamable_http_client(self.url, http_client=http),
                              cache=None) as client:
                ready.set_result(client)
                await stop.wait()
        except Exception as exc:  # reported to the waiting caller, or logged after a break
            if not ready.done():
                ready.set_exception(exc)
            else:
                log.warning("tool session ended", extra={"error": repr(exc)})

    async def _connect(self) -> Client:
        async with self._lock:
            if self._client is not None and self._runner is not None and not self._runner.done():
                return self._client
            loop = asyncio.get_running_loop()
            ready: asyncio.Future[Client] = loop.create_future()
            self._stop = asyncio.Event()
            self._runner = loop.create_task(self._run_session(ready, self._stop))
            try:
                self._client = await asyncio.wait_for(ready, timeout=self.timeout_s)
            except (Exception, asyncio.CancelledError) as exc:
                self._runner.cancel()
                self._runner = self._client = None
                raise ToolCallFailed(f"cannot connect to the tool server: {exc}") from exc
            return self._client

    async def _reset(self) -> None:
        async with self._lock:
            runner, stop = self._runner, self._stop
            self._runner = self._stop = self._client = None
        if runner is not None and stop is not None:
            stop.set()
            try:
                await asyncio.wait_for(runner, timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                runner.cancel()

    async def aclose(self) -> None:
        await self._reset()

    async def list_tools(self) -> list[dict[str, Any]]:
        """Tool definitions (name, description, input_schema) as the Messages API wants them."""
        if self._tools is None:
            client = await self._connect()
            result = await client.list_tools()
            self._tools = [
                {"name": t.name, "description": t.description or "",
                 "input_schema": t.input_schema}
                for t in result.tools
            ]
        return self._tools

    async def call(
        self, name: str, arguments: dict[str, Any], correlation_id: str,
        tenant: str | None, timeout_s: float | None = None,
    ) -> ToolOutcome:
        meta = {META_CORRELATION: correlation_id}
        if tenant is not None:
            meta[META_TENANT] = tenant
        start = time.perf_counter()
        with tracer().start_as_current_span("tool.call") as span:
            span.set_attribute("tool.name", name)
            for attempt in range(2):  # one reconnect: the server may have restarted
                try:
                    client = await self._connect()
                    async with asyncio.timeout(timeout_s or self.timeout_s):
                        result = await client.call_tool(name, arguments, meta=meta)
                    break
                except TimeoutError as exc:
                    raise ToolCallFailed(f"tool {name} timed out") from exc
                except MCPError as exc:
                    # The server died under an in-flight call (a pod crash): reconnect once.
                    # Any other protocol error is an answer, not a reason to retry.
                    if exc.error.code != CONNECTION_CLOSED or attempt:
                        raise ToolCallFailed(f"tool {name} failed: {exc}") from exc
                    await self._reset()
                except (httpx2.HTTPError, OSError, RuntimeError, anyio.BrokenResourceError,
                        anyio.ClosedResourceError) as exc:
                    await self._reset()
                    if attempt:
                        raise ToolCallFailed(f"tool {name} failed: {exc}") from exc
        texts = [getattr(block, "text", "") for block in result.content]
        return ToolOutcome("\n".join(t for t in texts if t), bool(result.is_error),
                           (time.perf_counter() - start) * 1000)
