"""Request validation and response rendering for POST /v1/messages (JSON and SSE)."""

from __future__ import annotations

import json
from typing import Any

from harness.fake_llm.errors import APIError, invalid
from harness.fake_llm.model import Reply
from harness.fake_llm.pricing import ModelInfo, resolve
from harness.fake_llm.sse import event, json_chunks, text_chunks
from harness.fake_llm.stream_blocks import STREAMED_ELSEWHERE, block_deltas
from harness.fake_llm.tokens import InputUsage, block_tokens

ROLES = ("user", "assistant")
_DELTA = b"event: content_block_delta"


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"There was an error parsing the body of your request: {exc}") from exc
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    return body


def validate(body: dict[str, Any], *, need_max_tokens: bool = True) -> ModelInfo:
    """Check a Messages request the way the API does; returns the priced model."""
    if "model" not in body:
        raise invalid("model: Field required")
    if need_max_tokens:
        if "max_tokens" not in body:
            raise invalid("max_tokens: Field required")
        max_tokens = body["max_tokens"]
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
            raise invalid("max_tokens: Input should be a valid integer")
        if max_tokens < 0:  # 0 only warms the prompt cache
            raise invalid("max_tokens: Input should be greater than or equal to 0")
    messages = body.get("messages")
    if messages is None:
        raise invalid("messages: Field required")
    if not isinstance(messages, list):
        raise invalid("messages: Input should be a valid list")
    if not messages:
        raise invalid("messages: at least one message is required")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid(f"messages.{i}: Input should be a valid dictionary")
        role = message.get("role")
        if role not in ROLES:
            raise invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        content = message.get("content")
        if not isinstance(content, str | list):
            raise invalid(f"messages.{i}.content: Field required")
    if messages[0]["role"] != "user":
        raise invalid('messages: first message must use the "user" role')
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid("tools: Input should be a valid list")
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict) or not tool.get("name"):
                raise invalid(f"tools.{i}.name: Field required")
    model_id = body["model"]
    info = resolve(model_id) if isinstance(model_id, str) else None
    if info is None:
        raise APIError(404, f"model: {model_id}")
    return info


def usage_dict(usage: InputUsage, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": usage.cache_creation,
        "cache_read_input_tokens": usage.cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_creation_5m,
            "ephemeral_1h_input_tokens": usage.cache_creation_1h,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def message_json(msg_id: str, model: str, reply: Reply, usage: InputUsage) -> dict[str, Any]:
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": reply.content,
        "stop_reason": reply.stop_reason,
        "stop_sequence": reply.stop_sequence,
        "stop_details": reply.stop_details,
        "usage": _with_server_tools(usage_dict(usage, reply.output_tokens), reply),
    }


def _with_server_tools(usage: dict[str, Any], reply: Reply) -> dict[str, Any]:
    if reply.web_searches:
        usage["server_tool_use"] = {"web_search_requests": reply.web_searches,
                                    "web_fetch_requests": 0}
    return usage


class StreamPlan:
    """The SSE events of one reply, split into a head (up to the first delta) and the deltas,
    so faults can cut or break the stream between deltas."""

    def __init__(self, msg_id: str, model: str, reply: Reply, usage: InputUsage) -> None:
        start = message_json(msg_id, model, reply, usage)
        start["content"] = []
        start["stop_reason"] = start["stop_sequence"] = start["stop_details"] = None
        start["usage"] = usage_dict(usage, 1)
        # (bytes, output tokens the event carries, is a text delta)
        self.events: list[tuple[bytes, int, bool]] = [
            (event("message_start", {"type": "message_start", "message": start}), 0, False)
        ]
        for index, block in enumerate(reply.content):
            self._block(index, block, reply.stream_json.get(index))
        self.events.append(
            (
                event(
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {
                            "stop_reason": reply.stop_reason,
                            "stop_sequence": reply.stop_sequence,
                            "stop_details": reply.stop_details,
                        },
                        "usage": {
                            "input_tokens": usage.input_tokens,
                            "cache_creation_input_tokens": usage.cache_creation,
                            "cache_read_input_tokens": usage.cache_read,
                            "output_tokens": reply.output_tokens,
                        },
                    },
                ),
                0,
                False,
            )
        )
        self.events.append((event("message_stop", {"type": "message_stop"}), 0, False))

    def _block(self, index: int, block: dict[str, Any], raw_json: str | None) -> None:
        add = self.events.append
        if block["type"] in STREAMED_ELSEWHERE:
            add((_start(index, STREAMED_ELSEWHERE[block["type"]](block)), 0, False))
            self._ping_after_first_start()
            self.events.extend(block_deltas(index, block))
        elif block["type"] == "text":
            add((_start(index, {"type": "text", "text": ""}), 0, False))
            self._ping_after_first_start()
            for piece in text_chunks(block["text"]):
                delta = {"type": "text_delta", "text": piece}
                add((_delta(index, delta), -(-len(piece) // 4), True))
        else:
            head = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            add((_start(index, head), 0, False))
            self._ping_after_first_start()
            raw = raw_json if raw_json is not None else json.dumps(block["input"])
            pieces = json_chunks(raw)
            tokens = block_tokens(block)
            for piece in pieces:
                delta = {"type": "input_json_delta", "partial_json": piece}
                add((_delta(index, delta), tokens // max(1, len(pieces)), False))
        add((event("content_block_stop", {"type": "content_block_stop", "index": index}), 0, False))

    def _ping_after_first_start(self) -> None:
        # The API sends one ping right after the first content_block_start.
        if len(self.events) == 2:
            self.events.append((event("ping", {"type": "ping"}), 0, False))

    def midpoint(self) -> int:
        """How many events a faulty stream sends before it breaks: up to and including the
        middle delta, so at least one delta always arrives and the message never completes."""
        deltas = [i for i, (data, _, _) in enumerate(self.events) if data.startswith(_DELTA)]
        if not deltas:
            return 1
        return deltas[(len(deltas) + 1) // 2 - 1] + 1


def _start(index: int, block: dict[str, Any]) -> bytes:
    return event(
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": block},
    )


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    return event(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )
