"""The few raw-ASGI helpers the app needs (a framework would cost half the throughput)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from harness.fake_llm.errors import APIError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON = (b"content-type", b"application/json")


class Request:
    """A parsed HTTP request: method, path, lower-case headers and (lazily) its body."""

    __slots__ = ("headers", "method", "path", "query", "receive")

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query: bytes = scope.get("query_string", b"")
        self.headers: dict[bytes, bytes] = dict(scope["headers"])
        self.receive = receive

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return value.decode("latin-1") if value is not None else None

    async def body(self, limit: int) -> bytes:
        """The whole body; 413 request_too_large past `limit` bytes."""
        declared = self.headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise APIError(413)
        message = await self.receive()
        if message["type"] == "http.request" and not message.get("more_body"):
            body = message.get("body", b"")  # the usual case: the whole body in one message
            if len(body) > limit:
                raise APIError(413)
            return body
        chunks: list[bytes] = [message.get("body", b"")]
        size = len(chunks[0])
        if size > limit:
            raise APIError(413)
        while message["type"] != "http.disconnect" and message.get("more_body"):
            message = await self.receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise APIError(413)
            chunks.append(chunk)
        return b"".join(chunks)


async def respond(send: Send, status: int, body: bytes, headers: Headers) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def respond_json(
    send: Send, status: int, payload: Any, headers: Headers | None = None
) -> None:
    await respond(send, status, json.dumps(payload).encode(), [JSON, *(headers or [])])
