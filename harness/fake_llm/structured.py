"""Structured outputs: `output_config.format` (what `messages.parse(output_format=...)`
sends) answered with JSON valid against its schema, filled from the conversation."""

from __future__ import annotations

import json
from typing import Any

from harness.fake_llm.errors import invalid
from harness.fake_llm.mentions import mentions
from harness.fake_llm.schema_values import generate, schema_error
from harness.fake_llm.tools_model import build, profile


def output_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The requested JSON schema, checked; None without `output_config.format`."""
    out = body.get("output_config")
    if out is None:
        return None
    if not isinstance(out, dict):
        raise invalid("output_config: Input should be a valid dictionary or object")
    fmt = out.get("format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict):
        raise invalid("output_config.format: Input should be a valid dictionary or object")
    if fmt.get("type") != "json_schema":
        raise invalid(
            f"output_config.format.type: Input should be 'json_schema' (got {fmt.get('type')!r})"
        )
    schema = fmt.get("schema")
    if schema is None:
        raise invalid("output_config.format.schema: Field required")
    if (problem := schema_error(schema)) is not None:
        raise invalid(f"output_config.format.schema: Invalid JSON schema: {problem}")
    return schema


def structured_answer(schema: dict[str, Any], text: str, seed: int) -> str:
    """JSON for `schema`: an object takes what `text` says for its properties (as a tool's
    input would), the rest generated; other schemas are generated whole."""
    if schema.get("type") == "object" or "properties" in schema:
        planned = build(profile({"name": "output", "input_schema": schema}), mentions(text),
                        seed, forced=True)
        return json.dumps(planned.input)
    return json.dumps(generate(schema, seed, "output"))


__all__ = ["output_schema", "structured_answer"]
