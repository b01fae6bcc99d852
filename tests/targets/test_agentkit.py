"""harness.agentkit on its own: which id a request has, what the middleware and hooks do."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import httpx

from harness import agentkit
from harness.agentkit import Correlation, CorrelationMiddleware, correlate, from_headers

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE}-00f067aa0ba902b7-01"


def test_the_id_is_the_correlation_id_else_the_request_id_else_the_trace_id() -> None:
    assert from_headers({"x-correlation-id": "c1", "x-request-id": "r1",
                         "traceparent": PARENT}) == Correlation("c1", PARENT)
    assert from_headers({"x-request-id": "r1"}) == Correlation("r1", None)
    assert from_headers({"traceparent": PARENT}) == Correlation(TRACE, PARENT)
    assert from_headers({"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"}) is None
    assert from_headers({"traceparent": "garbage"}) is None
    assert from_headers({}) is None


def _serve(app: Any, headers: list[tuple[bytes, bytes]]) -> tuple[list[dict], list[Any]]:
    """One HTTP request through an ASGI app; (messages sent, what the app saw as current)."""
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "headers": headers}, receive, send))
    return sent, seen


seen: list[Any] = []


def _app(own_id: bytes | None = None) -> Any:
    async def app(scope: dict, receive: Any, send: Any) -> None:
        seen.append(agentkit.current())
        headers = [(b"x-request-id", own_id)] if own_id else []
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def test_the_middleware_sets_the_context_and_names_the_id_on_the_reply() -> None:
    seen.clear()
    sent, current = _serve(CorrelationMiddleware(_app()), [(b"X-Request-Id", b"r-42")])
    assert current == [Correlation("r-42", None)]
    assert (b"x-request-id", b"r-42") in sent[0]["headers"]
    assert agentkit.current() is None  # reset after the request


def test_the_apps_own_request_id_is_kept_and_a_request_without_id_passes_untouched() -> None:
    seen.clear()
    sent, _ = _serve(CorrelationMiddleware(_app(b"mine")), [(b"x-request-id", b"r-1")])
    assert sent[0]["headers"] == [(b"x-request-id", b"mine")]
    sent, current = _serve(CorrelationMiddleware(_app()), [])
    assert current[-1] is None and sent[0]["headers"] == []


def test_the_hooks_forward_the_id_and_traceparent_but_keep_what_the_call_has() -> None:
    request = httpx.Request("POST", "http://127.0.0.1:1/v1/messages")
    agentkit.forward(request)
    assert "x-correlation-id" not in request.headers  # outside a request: nothing
    with correlate("r-7", PARENT):
        agentkit.forward(request)
        own = httpx.Request("POST", "http://127.0.0.1:1/", headers={
            "x-correlation-id": "set-by-agent", "traceparent": "00-" + "a" * 32 + "-" + "b" * 16
            + "-01"})
        asyncio.run(agentkit.aforward(own))
    assert request.headers["x-correlation-id"] == "r-7"
    assert request.headers["traceparent"] == PARENT
    assert own.headers["x-correlation-id"] == "set-by-agent"
    assert own.headers["traceparent"].startswith("00-aaaa")


def test_the_context_follows_threads_and_tasks_started_for_the_request() -> None:
    async def main() -> list[str | None]:
        def in_thread() -> str | None:
            served = agentkit.current()
            return served.id if served else None

        async def in_task() -> str | None:
            served = agentkit.current()
            return served.id if served else None

        with correlate("r-9"):
            return [await asyncio.to_thread(in_thread), *await asyncio.gather(in_task(), in_task())]

    assert asyncio.run(main()) == ["r-9", "r-9", "r-9"]


def test_it_imports_nothing_but_the_standard_library() -> None:
    code = "import json, sys, harness.agentkit; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded = set(json.loads(out))
    assert {m for m in loaded if m.startswith("harness")} == {"harness", "harness.agentkit"}
    heavy = {"httpx", "httpx2", "pydantic", "anthropic", "fastapi", "starlette", "opentelemetry"}
    assert {m.split(".")[0] for m in loaded} & heavy == set()
