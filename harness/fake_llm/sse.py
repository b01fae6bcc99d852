"""Server-sent events in the Messages API's streaming format."""

from __future__ import annotations

import json
from typing import Any

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
]


def event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def text_chunks(text: str) -> list[str]:
    """Split text into deltas: a few words each, larger pieces for very long outputs so a
    100k-token flood stays a few hundred events."""
    if not text:
        return []
    step = max(24, len(text) // 300)
    return [text[i : i + step] for i in range(0, len(text), step)]


def count_text_chunks(text: str) -> int:
    if not text:
        return 0
    step = max(24, len(text) // 300)
    return -(-len(text) // step)


def json_chunks(raw: str) -> list[str]:
    """Split a tool call's JSON into several input_json_delta partials, as the API does."""
    if not raw:
        return []
    step = max(4, -(-len(raw) // 4))
    return [raw[i : i + step] for i in range(0, len(raw), step)]
