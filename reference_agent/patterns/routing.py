"""Model routing (chapter 5): simple turns go to the small model, the rest to the primary."""

from __future__ import annotations

import re

# Words that mean the turn needs data (a tool) or reasoning; anything else short is simple.
_NEEDS_TOOLS = re.compile(
    r"\b(order|orders|ord-\d+|customer|cust-\d+|account|refund|return|ship|shipping|deliver|"
    r"invoice|warranty|policy|knowledge|article|search|look ?up|find|status|why|explain|compare)\b",
    re.IGNORECASE,
)
SIMPLE_MAX_CHARS = 160


def is_simple(message: str) -> bool:
    return len(message) <= SIMPLE_MAX_CHARS and not _NEEDS_TOOLS.search(message)


def choose_model(message: str, primary: str, simple: str, enabled: bool) -> str:
    return simple if enabled and is_simple(message) else primary
