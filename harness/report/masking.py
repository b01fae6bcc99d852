"""Mask tenant canaries wherever the report shows free text: the evidence must not leak too."""

from __future__ import annotations

import re
from typing import Any

# Wider than the reference agent's own pattern on purpose: any casing, any hex length.
_CANARY = re.compile(r"CANARY-([A-Za-z][A-Za-z0-9_]*)-[0-9A-Fa-f]+")
MASK = "••••••••"


def mask_canaries(text: str) -> str:
    """`CANARY-globex-1a2b3c4d5e6f` -> `CANARY-globex-••••••••` (the tenant stays readable)."""
    return _CANARY.sub(lambda m: f"CANARY-{m.group(1)}-{MASK}", text)


def mask_any(value: Any) -> Any:
    """Mask every string inside a JSON-like value (dicts, lists, scalars)."""
    if isinstance(value, str):
        return mask_canaries(value)
    if isinstance(value, dict):
        return {mask_any(k): mask_any(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_any(v) for v in value]
    return value
