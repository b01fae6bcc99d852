"""Shared constants of the fake LLM tests (tool definitions, model ids)."""

from __future__ import annotations

SONNET = "claude-sonnet-5-5"
# What the SDK sends; raw HTTP tests send it too (the API requires anthropic-version).
API_HEADERS = {"anthropic-version": "2026-10-21"}
HAIKU = "claude-haiku-5-5"

ORDER_TOOL = {
    "name": "order_lookup",
    "description": "Look up an order by id",
    "input_schema": {
        "type": "object",
        "properties": {"order_id": {"type": "string"}, "tenant": {"type": "string"}},
        "required": ["order_id"],
    },
}
CUSTOMER_TOOL = {
    "name": "customer_lookup",
    "description": "Look up a customer",
    "input_schema": {
        "type": "object",
        "properties": {"customer_id": {"type": "string"}, "email": {"type": "string"}},
    },
}
KB_TOOL = {
    "name": "kb_search",
    "description": "Search the knowledge base",
    "input_schema": {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    },
}
TOOLS = [ORDER_TOOL, CUSTOMER_TOOL, KB_TOOL]
