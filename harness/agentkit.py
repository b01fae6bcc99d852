"""Exact attribution of your agent's LLM calls to the user request, without OpenTelemetry.

The harness ties every call in its LLM ledger to the user request that caused it by the
`x-correlation-id` header of the call (else the trace id of its W3C `traceparent`), matched
against the request's id. No SDK forwards either by itself. This module does, in two parts:

    from harness.agentkit import CorrelationMiddleware, event_hooks, async_event_hooks

    app = CorrelationMiddleware(app)     # any ASGI app: FastAPI, Starlette, ...
    client = anthropic.Anthropic(http_client=httpx.Client(event_hooks=event_hooks()))
    aclient = anthropic.AsyncAnthropic(
        http_client=httpx.AsyncClient(event_hooks=async_event_hooks()))

The middleware reads the incoming request's id (`x-correlation-id`, else `x-request-id`, else
the trace id of `traceparent`) into a context variable for the life of the request, and puts
`x-request-id` on the reply when the app sets none; the hooks copy it (and the incoming
`traceparent`) onto every outgoing call made while that request is served, in the same task or
in the threads and tasks it starts (context variables follow them). Without a framework, wrap
the work in `with correlate(request_id):`.

It imports only the standard library (the hooks never import httpx: they only set headers),
so an agent can import it from the harness or copy this one file. docs/your-agent.md.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CORRELATION_HEADER", "Correlation", "CorrelationMiddleware", "async_event_hooks",
           "correlate", "current", "event_hooks", "forward", "from_headers"]

CORRELATION_HEADER = "x-correlation-id"
REQUEST_ID_HEADER = "x-request-id"
TRACEPARENT_HEADER = "traceparent"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Correlation:
    """The user request being served: its id, and its `traceparent` if it came with one."""

    id: str
    traceparent: str | None = None


_current: contextvars.ContextVar[Correlation | None] = contextvars.ContextVar(
    "harness_agentkit_correlation", default=None)


def current() -> Correlation | None:
    """The request served in this context, or None outside one."""
    return _current.get()


@contextlib.contextmanager
def correlate(request_id: str, traceparent: str | None = None) -> Iterator[Correlation]:
    """Serve `request_id` in this block (for code that is not behind the middleware)."""
    token = _current.set(Correlation(request_id, traceparent))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


def trace_id(traceparent: str | None) -> str | None:
    """The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), None if malformed."""
    parts = (traceparent or "").strip().lower().split("-")
    if len(parts) < 4 or len(parts[0]) != 2 or parts[0] == "ff" or len(parts[2]) != 16:
        return None
    value = parts[1]
    if len(value) != 32 or set(value) - _HEX or value == "0" * 32:
        return None
    return value


def from_headers(headers: Mapping[str, str]) -> Correlation | None:
    """The correlation of a request with these (lower-case) headers, or None without an id."""
    traceparent = headers.get(TRACEPARENT_HEADER)
    traced = trace_id(traceparent)
    request_id = (headers.get(CORRELATION_HEADER) or headers.get(REQUEST_ID_HEADER) or traced)
    if not request_id:
        return None
    return Correlation(request_id.strip(), traceparent if traced else None)


# ---- outgoing calls: httpx event hooks -------------------------------------------------------


def forward(request: Any) -> None:
    """httpx request hook: the served request's id as `x-correlation-id`, and its
    `traceparent` unless the call has one already (OpenTelemetry's own wins)."""
    served = _current.get()
    if served is None:
        return
    headers: MutableMapping[str, str] = request.headers
    headers.setdefault(CORRELATION_HEADER, served.id)
    if served.traceparent and TRACEPARENT_HEADER not in headers:
        headers[TRACEPARENT_HEADER] = served.traceparent


async def aforward(request: Any) -> None:
    """`forward` for httpx.AsyncClient (its hooks must be coroutines)."""
    forward(request)


def event_hooks() -> dict[str, list[Callable[[Any], None]]]:
    """`httpx.Client(event_hooks=event_hooks())`."""
    return {"request": [forward]}


def async_event_hooks() -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
    """`httpx.AsyncClient(event_hooks=async_event_hooks())`."""
    return {"request": [aforward]}


# ---- incoming requests: ASGI middleware ------------------------------------------------------

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CorrelationMiddleware:
    """ASGI middleware: each HTTP request's id in the context while the app serves it, and
    `x-request-id: <id>` on the reply when the app sets none (so the harness's record and
    the LLM calls carry the same id). Requests without an id pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", ())}
        served = from_headers(headers)
        if served is None:
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                out = list(message.get("headers", ()))
                if not any(k.lower() == b"x-request-id" for k, _ in out):
                    out.append((b"x-request-id", served.id.encode("latin-1")))
                    message["headers"] = out
            await send(message)

        token = _current.set(served)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)
